# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# tests/bench/bench.mk - make bench's table (bench_models: every shipped
# model on every in-process backend, with the XNOR-popcount roofline of
# roofline.c); included by the top-level Makefile after libbnn.mk.
BENCH_MODELS := $(B)/bench/bench_models
BENCH_JSON := $(B)/bench/models.json

$(BENCH_MODELS): tests/bench/bench_models.c tests/bench/roofline.c \
		tests/bench/roofline.h $(LIBBNN_OBJS) $(CORE_LIB) $(LIBBNN_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) tests/bench/bench_models.c tests/bench/roofline.c \
		$(LIBBNN_OBJS) $(CORE_LIB) $(LDLIBS) -o $@

# The unit test includes roofline.c itself.
$(B)/tests/unit/test_roofline: tests/bench/roofline.c tests/bench/roofline.h

# The table. BENCH_TABLE_SECONDS per measurement.
BENCH_TABLE_SECONDS ?= 1
.PHONY: bench-table
bench-table: $(BENCH_MODELS)
	@echo "== $(BENCH_MODELS): shipped models x backends, roofline"
	@$(BENCH_MODELS) --seconds $(BENCH_TABLE_SECONDS) --json $(BENCH_JSON) \
		--latency $(RUN_MODEL) \
		$(sort $(wildcard models/*.bnn))
