# SPDX-License-Identifier: GPL-2.0-only OR MIT
#
# The rbnn selftests of the test engineer (uAPI negative matrix, success
# paths and isolation, concurrency, error model, faults, hot-unplug, the
# random ioctl fuzzer, bench),
# laid out as tools/testing/selftests/drivers/accel/rbnn/ would be (in a
# kernel tree these would be TEST_GEN_PROGS of lib.mk). The directory's
# Makefile can pull them in with two lines at its end,
#
#   include sel.mk
#   all: sel_all
#
# (then tests/vm/build-guest.sh builds them too); standalone:
#
#   make -f sel.mk KSFT_DIR=$KSRC_SELFTESTS \
#        DRM_UAPI=<kernel headers>/include/uapi/drm OUTPUT=<dir>
#
# tests/selftests/rbnn/build.sh sets these from tests/vm/kernel.sh. The
# binaries are static: raw ioctls with the uAPI header, no libdrm.

SEL_DIR := $(dir $(lastword $(MAKEFILE_LIST)))
SEL_PROGS := uapi_neg_test isolation_test stress_test errmodel_test \
	fault_test unplug_test fault_inject rbnn_ioctl_fuzz
SEL_BENCH := bench

RBNN_UAPI ?= $(abspath $(SEL_DIR)/../../../kernel/include/uapi/drm)
KSFT_DIR ?= ../..
DRM_UAPI ?= /usr/include/drm
OUTPUT ?= .
CC ?= gcc

SEL_CFLAGS := -O2 -g -Wall -Wno-misleading-indentation -Wno-format-truncation \
	-Werror -std=gnu11 -static -pthread \
	-D__user= -I$(SEL_DIR) -I$(RBNN_UAPI) -I$(KSFT_DIR) \
	-idirafter $(DRM_UAPI) $(EXTRA_CFLAGS)

SEL_OUT := $(addprefix $(OUTPUT)/,$(SEL_PROGS) $(SEL_BENCH))

sel_all: $(SEL_OUT)

# The fuzzer is also clean with -Wextra.
$(OUTPUT)/rbnn_ioctl_fuzz: SEL_CFLAGS += -Wextra

$(SEL_OUT): $(OUTPUT)/%: $(SEL_DIR)/%.c $(SEL_DIR)/rbnn_sel.h $(RBNN_UAPI)/rbnn_accel.h
	@mkdir -p $(OUTPUT)
	$(CC) $(SEL_CFLAGS) $< -o $@ -lm

sel_clean:
	rm -f $(SEL_OUT)

.PHONY: sel_all sel_clean
