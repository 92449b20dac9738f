# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# tests/bench/bench.mk - make bench's table (bench_models: every shipped
# model on every in-process backend, with the XNOR-popcount roofline of
# roofline.c), the peers beside it (bench_peers.py), the rbnn rows from a
# TCG guest (bench-rbnn) and DS2 end to end per stage, on one thread and on
# two (bench_ds2); included by the top-level Makefile after libbnn.mk.
BENCH_MODELS := $(B)/bench/bench_models
BENCH_JSON := $(B)/bench/models.json
BENCH_PEERS_JSON := $(B)/bench/peers.json

$(BENCH_MODELS): tests/bench/bench_models.c tests/bench/roofline.c \
		tests/bench/roofline.h $(LIBBNN_OBJS) $(CORE_LIB) $(LIBBNN_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) tests/bench/bench_models.c tests/bench/roofline.c \
		$(LIBBNN_OBJS) $(CORE_LIB) $(LDLIBS) -o $@

BENCH_DS2 := $(B)/bench/bench_ds2
$(BENCH_DS2): tests/bench/bench_ds2.c $(LIBBNN_OBJS) $(CORE_LIB) $(LIBBNN_HDRS) \
		$(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIBBNN_OBJS) $(CORE_LIB) $(LDLIBS) -o $@

# The unit test includes roofline.c itself.
$(B)/tests/unit/test_roofline: tests/bench/roofline.c tests/bench/roofline.h

# OpenBLAS (bench_bnn's float reference, and PyTorch's GEMM in the peers)
# takes generic kernels ("Prescott") on CPUs it does not know, e.g. newer
# ones in VMs: name the core from the CPU's flags, unless the environment
# already sets OPENBLAS_CORETYPE.
BENCH_OPENBLAS_CORE := $(shell grep -qw avx512f /proc/cpuinfo 2>/dev/null && echo SkylakeX || \
	{ grep -qw avx2 /proc/cpuinfo 2>/dev/null && echo Haswell; })
BENCH_BLAS_ENV := $(if $(OPENBLAS_CORETYPE),,$(if $(BENCH_OPENBLAS_CORE),OPENBLAS_CORETYPE=$(BENCH_OPENBLAS_CORE)))

# The table and its peers, one after the other in one run (the peers'
# ratios are to the table's numbers). BENCH_TABLE_SECONDS per measurement.
BENCH_TABLE_SECONDS ?= 1
BENCH_VENV_PY := $(RBNN_CACHE)/venv-bench/bin/python
.PHONY: bench-table
bench-table: $(BENCH_MODELS) $(BENCH_DS2)
	@echo "== $(BENCH_MODELS): shipped models x backends, roofline"
	@$(BENCH_MODELS) --seconds $(BENCH_TABLE_SECONDS) --json $(BENCH_JSON) \
		--latency $(RUN_MODEL) \
		$(sort $(wildcard models/*.bnn))
	@$(MAKE) --no-print-directory bench-rbnn
	@echo "== tests/bench/bench_peers.py: the same networks on PyTorch, ONNX Runtime, LCE"
	@if [ -x $(BENCH_VENV_PY) ]; then \
		$(BENCH_BLAS_ENV) $(BENCH_VENV_PY) tests/bench/bench_peers.py $(BENCH_JSON) \
			--seconds $(BENCH_TABLE_SECONDS) --json $(BENCH_PEERS_JSON) \
			--tmp $(B)/bench/peers 2>$(B)/bench/peers.log || \
		{ echo "bench_peers failed (stderr: $(B)/bench/peers.log)"; tail -5 $(B)/bench/peers.log; }; \
	else echo "peers skipped: no $(BENCH_VENV_PY) (scripts/deps.sh bench makes it)"; fi
	@echo "== $(BENCH_DS2): DS2 end to end, per stage, 1 and 2 threads"
	@if [ -f $(RBNN_DATA)/mitdb/100.hea ]; then \
		$(BENCH_DS2) $(RUN_MODEL) $(RBNN_DATA)/mitdb; \
	else echo "skipped: no MIT-BIH under $(RBNN_DATA)/mitdb"; fi

# The rbnn rows (issue 14 items 1 and 5): the driver path in one TCG guest
# against the emulated card in the same guest (tests/bench/bench-rbnn.sh
# boots tests/vm/guest/bench-rbnn.sh through tests/vm/run.sh, logs in
# $(B)/bench/vm; it builds what make test-vm builds when missing, about a
# minute when cached). Printed, never fails.
.PHONY: bench-rbnn
bench-rbnn:
	@tests/bench/bench-rbnn.sh $(B)/bench/vm

# How cost grows (issue 14 item 6): bench_scaling on the default model
# (batch 1..4096, threads 1 and 2) and on the same topology at widths 4..128
# (random weights, tests/bench/width_models.py: 25.6 k to 21 M binary MACs
# per item), then the three PNGs and the text of Documentation/results/
# (tools/results/scaling.py). BENCH_SCALING_SECONDS per point.
BENCH_SCALING := $(B)/bench/bench_scaling
BENCH_SCALING_JSON := $(B)/bench/scaling.json
BENCH_SCALING_SECONDS ?= 0.5
BENCH_WIDTHS := 4 8 16 32 64 128
BENCH_WIDTH_MODELS := $(foreach w,$(BENCH_WIDTHS),$(B)/bench/width/ecg-w$(w).bnn)

$(BENCH_SCALING): tests/bench/bench_scaling.c tests/bench/roofline.c \
		tests/bench/roofline.h $(LIBBNN_OBJS) $(CORE_LIB) $(LIBBNN_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) tests/bench/bench_scaling.c tests/bench/roofline.c \
		$(LIBBNN_OBJS) $(CORE_LIB) $(LDLIBS) -o $@

# PyTorch and numpy come with the bench group (make bench installs it first).
$(BENCH_WIDTH_MODELS) &: tests/bench/width_models.py tools/train/models.py tools/train/export.py
	/usr/bin/python3 tests/bench/width_models.py $(B)/bench/width $(BENCH_WIDTHS)

.PHONY: bench-scaling bench-scaling-run
bench-scaling-run: $(BENCH_SCALING) $(BENCH_WIDTH_MODELS)
	@echo "== $(BENCH_SCALING): cost vs batch, threads, width"
	@$(BENCH_SCALING) --seconds $(BENCH_SCALING_SECONDS) --json $(BENCH_SCALING_JSON) \
		$(RUN_MODEL) $(BENCH_WIDTH_MODELS)

bench-scaling: bench-scaling-run
	@scripts/deps.sh results
	/usr/bin/python3 tools/results/scaling.py $(BENCH_SCALING_JSON) Documentation/results
