# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# RBNN: top-level build.
#
#   make            build everything buildable (core, tools, QEMU with the card)
#   make run        the main job: classify the MIT-BIH test set (DS2) with the
#                   shipped fully binarized ECG model on the card (emulated
#                   in-process when no card is present)
#   make demo       the card model on its own: program a BNN, show the physics
#   make test       every test tier that exists (unit, device, vm)
#   make test-conformance  libbnn's WFDB reader against the wfdb Python package
#   make python     the Python package bnn (python/) under build/python
#   make deb        Debian packages into build/deb (packaging/; make test-deb)
#   make bench      benchmarks (printed, never pass/fail; the table and its
#                   peers also as JSON: build/bench/models.json, peers.json;
#                   cost vs batch, threads, width: build/bench/scaling.json)
#   make bench-rbnn  its rbnn rows alone: the driver path in a TCG guest
#                   against the emulated card in the same guest (a boot)
#   make bench-scaling  that scaling run, then its plots and text in
#                   Documentation/results/scaling*.{png,md} (in results.md)
#   make results    the study: train, export and evaluate every model, write
#                   Documentation/results.md and models/ (about an hour),
#                   then Documentation/results/lifetime.md (15 minutes)
#   make deps       install what the build needs (Debian packages, idempotent)
#
# Large downloads and builds are cached in $(RBNN_CACHE), outside the checkout.

RBNN_CACHE ?= $(HOME)/.cache/rbnn
RBNN_DATA ?= $(abspath $(CURDIR)/../shared/data)
export RBNN_CACHE RBNN_DATA

B := build
CC := gcc
CSTD := -std=gnu11
WARN := -Wall -Wextra -Werror
CPPFLAGS := -Ikernel -Iemulator/core -Ilibbnn/data
CFLAGS := $(CSTD) $(WARN) -O2 -g
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=undefined \
	-fno-omit-frame-pointer
# The test builds (the sanitizer objects and the unit tests) have the data
# readers' allocation-failure hook, bnn_test_fail_alloc_after (bnn_data.h);
# the shipped libbnn.so and libbnn.a do not.
TEST_CPPFLAGS := -DBNN_TEST_HOOKS
# -ledf: EDFlib (libedf-dev), under libbnn/data/edf.c.
LDLIBS := -lm -ledf

# The device-model core and libbnn's data readers (small, pure C).
CORE_SRCS := $(sort $(wildcard emulator/core/*.c libbnn/data/*.c))
CORE_HDRS := $(wildcard emulator/core/*.h libbnn/data/*.h) kernel/rbnn_regs.h
CORE_OBJS := $(CORE_SRCS:%.c=$(B)/rel/%.o)
CORE_SAN_OBJS := $(CORE_SRCS:%.c=$(B)/san/%.o)
CORE_LIB := $(B)/librbnncore.a
CORE_SAN_LIB := $(B)/librbnncore-san.a

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/tests/unit/%)

TOOLS := $(B)/tools/rbnn-demo $(B)/tools/bnn-extract $(B)/tools/bnn-qrs-eval
BENCHES := $(B)/bench/bench_core $(B)/bench/bench_bnn $(B)/bench/bench_backends

QEMU_PATHS := $(B)/qemu.paths

# libbnn (model format, compiler, backends) and bnn-run; UNIT_LIBS are the
# extra sanitizer objects the unit tests link.
UNIT_LIBS :=
include libbnn/libbnn.mk
include tools/bnn-run/bnn-run.mk
include tools/bnn-smi/bnn-smi.mk
include python/python.mk
include tests/bench/bench.mk
include packaging/packaging.mk
TOOLS += $(BNN_RUN) $(BNN_SMI)

.PHONY: all deps deps-build deps-run core tools qemu demo run results results-ecg results-lifetime test-train test test-unit test-device test-vm test-vm-debug test-vm-stock vmtest \
	test-fuzz test-syzkaller test-spdx test-deps test-abi fuzz test-conformance bench bench-run bench-scaling clean install
.DELETE_ON_ERROR:

all: deps core libbnn tools qemu

install: install-libbnn install-bnn-run install-bnn-smi install-python

deps:
	@scripts/deps.sh build qemu vm

# What building the host tools and their tests needs (no QEMU, no VM images).
deps-build:
	@scripts/deps.sh build

# What make run and make demo need: a compiler and libbnn's libraries only.
deps-run:
	@scripts/deps.sh run

core: $(CORE_LIB)

tools: $(TOOLS)

# ---- device-model core -------------------------------------------------
$(B)/rel/%.o: %.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c $< -o $@

$(B)/san/%.o: %.c $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TEST_CPPFLAGS) $(CFLAGS) $(SANFLAGS) -c $< -o $@

$(CORE_LIB): $(CORE_OBJS)
	@rm -f $@
	ar rcs $@ $^

$(CORE_SAN_LIB): $(CORE_SAN_OBJS)
	@rm -f $@
	ar rcs $@ $^

# ---- tools and benchmarks ----------------------------------------------
$(B)/tools/%: tools/%.c $(CORE_LIB) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(CORE_LIB) $(LDLIBS) -o $@

$(B)/bench/%: tests/bench/%.c $(CORE_LIB) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(CORE_LIB) $(LDLIBS) -o $@

demo: deps-run $(B)/tools/rbnn-demo
	$(B)/tools/rbnn-demo

RUN_MODEL ?= models/ecg-bin-full.bnn
RUN_DATA ?= DS2
run: deps-run $(BNN_RUN)
	$(BNN_RUN) --model $(RUN_MODEL) $(RUN_DATA)

# The study (issue 5): train every model, export, evaluate with bnn-run on
# the emulated card, sweep the card's imperfections; writes
# Documentation/results.md, Documentation/results/*.png and models/.
# RESULTS_ARGS=--quick checks the pipeline in a few minutes (not published).
RESULTS_ARGS ?=
results:
	@scripts/deps.sh build train results
	@$(MAKE) --no-print-directory $(B)/tools/bnn-extract $(BNN_RUN) libbnn python
	/usr/bin/python3 tools/results/run.py $(RESULTS_ARGS)
	/usr/bin/python3 tools/results/lifetime.py $(filter --quick,$(RESULTS_ARGS))

# The shipped models on the calibrated card over emulated years, with and
# without libbnn's scrub policy; lifetime against the programming current;
# the BER and 2T2R / 1T1R sweeps (issue 15; about 15 minutes on 2 cores):
# Documentation/results/lifetime.md and lifetime.png. Part of make results.
results-lifetime:
	@scripts/deps.sh build results
	@$(MAKE) --no-print-directory $(BNN_RUN)
	/usr/bin/python3 tools/results/lifetime.py

# Only the inter-patient ECG models of the study and their sweeps (about
# half an hour on 2 cores): when only the ECG recipe changed.
results-ecg:
	@scripts/deps.sh build train results
	@$(MAKE) --no-print-directory $(B)/tools/bnn-extract $(BNN_RUN) libbnn python
	/usr/bin/python3 tools/results/ecg_inter.py

# Tiny end-to-end training + export + libbnn run (tools/train/smoke.sh).
test-train: $(B)/tools/bnn-extract $(LIBBNN_SO) $(BNN_RUN) python
	@scripts/deps.sh train results
	@echo "== training pipeline smoke test (PyTorch, one thread)"
	@tests/run-tap.sh train $(B)/test-logs/train -- tests/train-smoke-tap.sh

# The bench group first, in its own step: the benchmarks' build reads what
# it installs (OpenBLAS's pkg-config file) when make parses the Makefile.
bench:
	@scripts/deps.sh build bench
	@$(MAKE) --no-print-directory bench-run

bench-run: $(BENCHES) $(BNN_RUN) $(BNN_MKMODEL) $(BNN_WFDB2RAW)
	@echo "== make bench, $$(date -u '+%F %T UTC'), $$(uname -srm)"
	@$(MAKE) --no-print-directory bench-table
	@$(MAKE) --no-print-directory bench-scaling-run
	@for b in $(BENCHES); do echo "== $$b"; $(BENCH_BLAS_ENV) $$b || exit 1; done
	@tests/bench/bench_stream.sh $(BNN_RUN) $(BNN_MKMODEL) $(BNN_WFDB2RAW)

# ---- QEMU with the card ------------------------------------------------
# The script is incremental and cheap when nothing changed, so always run it.
qemu:
	@mkdir -p $(B)
	emulator/qemu/build-qemu.sh > $(QEMU_PATHS).tmp
	@mv $(QEMU_PATHS).tmp $(QEMU_PATHS)

# ---- tests ---------------------------------------------------------------
$(B)/tests/unit/%: tests/unit/%.c $(UNIT_LIBS) $(CORE_SAN_LIB) $(CORE_HDRS) \
		$(LIBBNN_HDRS) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(TEST_CPPFLAGS) $(CFLAGS) $(SANFLAGS) $< $(UNIT_LIBS) \
		$(CORE_SAN_LIB) $(LDLIBS) -lcmocka -o $@

test: deps
	@rm -rf $(B)/test-logs
	@$(MAKE) --no-print-directory -k test-unit test-conformance test-bnn-run test-report \
		test-fuzz test-syzkaller test-spdx test-deps test-abi test-python test-train \
		test-device test-vm; \
	rc=$$?; \
	tests/summarize.sh $(B)/test-logs; exit $$rc

test-unit: $(UNIT_BINS)
	@echo "== unit tests (ASan + UBSan)"
	@CMOCKA_MESSAGE_OUTPUT=TAP tests/run-tap.sh unit $(B)/test-logs/unit -- \
		$(foreach t,$(UNIT_BINS),$(t) ---)

test-device: qemu
	@echo "== device tests (QEMU qtest, no guest kernel)"
	@tests/device/run.sh $(QEMU_PATHS) $(B)/test-logs/device

# libFuzzer targets (clang): bounded in `make test`, longer with `make fuzz`.
FUZZ_WFDB := $(B)/fuzz/fuzz_wfdb
$(FUZZ_WFDB): tests/fuzz/fuzz_wfdb.c $(wildcard libbnn/data/*.c) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -Ilibbnn/data -Ilibbnn/include $< \
		$(wildcard libbnn/data/*.c) -lm -ledf -o $@

# The device-model core driven as a hostile guest would (registers, rings,
# DMA, slices, timers, resets, save/load); seeds and regression inputs in
# tests/fuzz/corpus/dev, which run.sh runs first.
FUZZ_DEV := $(B)/fuzz/fuzz_dev
$(FUZZ_DEV): tests/fuzz/fuzz_dev.c $(wildcard emulator/core/*.c) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CLANG) -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=undefined -Wall -Wextra -Werror \
		-Ikernel -Iemulator/core $< $(wildcard emulator/core/*.c) \
		-lm -o $@

FUZZERS := $(FUZZ_MODEL) $(FUZZ_WFDB) $(FUZZ_DEV)
TEST_FUZZ_SECONDS ?= 30
test-fuzz: $(FUZZERS)
	@echo "== fuzzers ($(TEST_FUZZ_SECONDS) s each; longer: make fuzz)"
	@tests/run-tap.sh fuzz $(B)/test-logs/fuzz -- tests/fuzz/run.sh \
		$(TEST_FUZZ_SECONDS) $(B)/fuzz $(FUZZERS)

# make fuzz: the libFuzzer targets for longer (FUZZ_SECONDS each; the device
# core FUZZ_DEV_SECONDS, an hour by default; both in CPU time of the fuzzer,
# run.sh --cpu, not wall time, which a shared machine cuts short), QEMU's
# generic-fuzz on -device rbnn for QEMU_FUZZ_SECONDS (its own clang --enable-fuzzing build of QEMU,
# in $(RBNN_CACHE)/qemu-*/build-fuzz, built only here), then the guest ioctl
# fuzzer for FUZZ_IOCTL_CALLS calls (5 M: about 17 min on Debian's kernel
# under TCG).
FUZZ_SECONDS ?= 600
FUZZ_DEV_SECONDS ?= 3600
QEMU_FUZZ_SECONDS ?= 600
FUZZ_IOCTL_CALLS ?= 5000000
FUZZ_IOCTL_SEED ?=
fuzz: $(FUZZERS) qemu
	tests/fuzz/run.sh --cpu $(FUZZ_SECONDS) $(B)/fuzz $(FUZZ_MODEL) $(FUZZ_WFDB)
	tests/fuzz/run.sh --cpu $(FUZZ_DEV_SECONDS) $(B)/fuzz $(FUZZ_DEV)
	tests/fuzz/qemu-generic-fuzz.sh $(QEMU_FUZZ_SECONDS) $(B)/fuzz
	RBNN_QEMU=$$(head -n1 $(QEMU_PATHS)) tests/vm/fuzz-ioctl.sh $(FUZZ_IOCTL_CALLS) $(FUZZ_IOCTL_SEED)

# The syzkaller description of the uAPI checked against the C header.
test-syzkaller:
	@echo "== syzkaller description vs the rbnn uAPI header"
	@tests/run-tap.sh syzkaller $(B)/test-logs/syzkaller -- /usr/bin/python3 tests/syzkaller/check.py

# Licence tags (LICENSE): every tracked file has the SPDX line its folder's
# policy allows.
test-spdx:
	@echo "== SPDX licence tags (policy in LICENSE)"
	@tests/run-tap.sh spdx $(B)/test-logs/spdx -- tests/check-spdx.sh

# libbnn's ABI (tests/abi/check-abi.sh): exports = installed headers =
# libbnn/libbnn.map, no test hook, SONAME, a static link through
# pkg-config --static keeps the card backend, the docs name no function
# that does not exist.  On an install into $(B)/abi/root.
test-abi: libbnn
	@echo "== libbnn ABI (exports, static link, docs)"
	@rm -rf $(B)/abi/root
	@$(MAKE) --no-print-directory -s install-libbnn DESTDIR=$(abspath $(B))/abi/root \
		PREFIX=/usr >/dev/null
	@tests/run-tap.sh abi $(B)/test-logs/abi -- tests/abi/check-abi.sh $(B)/abi/root

# scripts/deps.sh without installing anything: the distribution check on
# made-up os-release files; make run and make demo ask for the run group only.
test-deps:
	@echo "== scripts/deps.sh (dry run, nothing installed)"
	@tests/run-tap.sh deps $(B)/test-logs/deps -- tests/test-deps.sh

# WFDB conformance (issue 10): the wfdb Python package (pinned, in a venv
# of scripts/deps.sh conformance) writes a corpus in every format and reads
# it back; libbnn must read the same samples and annotations.
CHECK_WFDB := $(B)/tests/conformance/check_wfdb
$(CHECK_WFDB): tests/conformance/check_wfdb.c $(CORE_SAN_LIB) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) $< $(CORE_SAN_LIB) $(LDLIBS) -o $@

test-conformance: $(CHECK_WFDB)
	@scripts/deps.sh conformance
	@echo "== WFDB conformance (libbnn vs the wfdb Python package)"
	@tests/run-tap.sh conformance $(B)/test-logs/conformance -- \
		tests/conformance/run.sh $(B)/conformance $(CHECK_WFDB)

# Linux 6.12 guests under TCG with the card(s); see tests/vm/README.md.
# Every guest test twice: on the debug build of the kernel (KASAN, lockdep,
# kmemleak, UBSAN, fault injection; 4 vCPUs), then on Debian's own kernel.
test-vm: test-vm-debug test-vm-stock

test-vm-debug: qemu
	@echo "== VM tests (TCG guest, Linux 6.12 debug build, 4 vCPUs)"
	@RBNN_QEMU=$$(head -n1 $(QEMU_PATHS)) tests/vm/run.sh --kernel debug $(B)/test-logs/vm-debug

test-vm-stock: qemu
	@echo "== VM tests (TCG guest, Debian's Linux 6.12)"
	@RBNN_QEMU=$$(head -n1 $(QEMU_PATHS)) tests/vm/run.sh $(B)/test-logs/vm

vmtest: test-vm

clean:
	rm -rf $(B)
