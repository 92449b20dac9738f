# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# tests/bench/bench.mk - make bench's own build rules; included by the
# top-level Makefile after libbnn.mk.

# The unit test includes roofline.c itself.
$(B)/tests/unit/test_roofline: tests/bench/roofline.c tests/bench/roofline.h
