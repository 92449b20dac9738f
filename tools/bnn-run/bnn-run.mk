# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# tools/bnn-run/bnn-run.mk - build and tests of bnn-run, to be included by
# the top-level Makefile AFTER libbnn/libbnn.mk (it uses LIBBNN_A,
# LIBBNN_SAN_OBJS, LIBBNN_HDRS, LIBBNN_LDLIBS, CORE_SAN_LIB, SANFLAGS):
#
#     include tools/bnn-run/bnn-run.mk
#     TOOLS += $(BNN_RUN)
#     (and add test-bnn-run to the `test` target's list)
#
# It provides:
#   $(BNN_RUN)          build/tools/bnn-run (static libbnn)
#   $(BNN_RUN_SAN)      build/san/tools/bnn-run (ASan + UBSan, for tests)
#   $(BNN_MKMODEL)      build/tests/bnn-mkmodel (test models)
#   $(BNN_WFDB2RAW)     build/tests/bnn-wfdb2raw (a WFDB lead as a raw
#                       stream, for the --stream tests)
#   $(BNN_BONN2EDF)     build/tests/bnn-bonn2edf (a Bonn segment as EDF+
#                       written with EDFlib's C API)
#   bnn-run             phony: $(BNN_RUN)
#   test-bnn-run        phony: tests/unit/test_bnn_run.sh,
#                       tests/unit/test_examples.sh (every documented
#                       example runs), tests/unit/test_report.sh
#                       (--report) and tests/unit/test_cli.sh (bnn-run
#                       and bnn-smi: short options, bash completions;
#                       bnn-smi.mk adds $(BNN_SMI) to the prerequisites)
#                       under tests/run-tap.sh (TAP, counted like the unit
#                       tests)
#   test-report         phony: bnn-run --report of a DS2 run rendered by
#                       headless Chromium (scripts/deps.sh report installs
#                       it), tests/unit/test_report_chromium.sh
#   install-bnn-run     phony: binary, man page, bash completion
#                       (tools/completion/bnn-run) and the shipped models
#                       (models/ -> $(BNN_RUN_DATADIR)/models) under
#                       $(DESTDIR)$(PREFIX)
#
# tests/unit/test_metrics.c (cmocka) builds with the generic unit-test
# rule: it includes tools/bnn-run/metrics.c and ec57.c (listed below so
# that a change there rebuilds it).

BNN_RUN_SRCS := $(sort $(wildcard tools/bnn-run/*.c))
BNN_RUN_HDRS := $(wildcard tools/bnn-run/*.h)
BNN_RUN := $(B)/tools/bnn-run
BNN_RUN_SAN := $(B)/san/tools/bnn-run
BNN_MKMODEL := $(B)/tests/bnn-mkmodel
BNN_WFDB2RAW := $(B)/tests/bnn-wfdb2raw
BNN_BONN2EDF := $(B)/tests/bnn-bonn2edf

$(B)/tests/unit/test_metrics: tools/bnn-run/metrics.c tools/bnn-run/metrics.h \
	tools/bnn-run/ec57.c tools/bnn-run/ec57.h
MANDIR ?= $(PREFIX)/share/man
BINDIR ?= $(PREFIX)/bin
# Where bash-completion looks for a command's completion (by its name).
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

# The installed bnn-run's data directory (tools/bnn-run/paths.c): the
# shipped models in its models/, the default data root its data/.  Only
# the shipped binary has it; the test build keeps the checkout's paths.
BNN_RUN_DATADIR ?= $(PREFIX)/share/rbnn
$(BNN_RUN): CPPFLAGS += -DBNN_RUN_DATADIR='"$(BNN_RUN_DATADIR)"'

$(BNN_RUN): $(BNN_RUN_SRCS) $(BNN_RUN_HDRS) $(LIBBNN_A) $(LIBBNN_HDRS) \
		$(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(BNN_RUN_SRCS) $(LIBBNN_A) \
		$(LIBBNN_LDLIBS) -o $@

$(BNN_RUN_SAN): $(BNN_RUN_SRCS) $(BNN_RUN_HDRS) $(LIBBNN_SAN_OBJS) \
		$(CORE_SAN_LIB) $(LIBBNN_HDRS) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $(SANFLAGS) $(BNN_RUN_SRCS) \
		$(LIBBNN_SAN_OBJS) $(CORE_SAN_LIB) $(LIBBNN_LDLIBS) -o $@

$(BNN_MKMODEL): tests/unit/bnn-mkmodel.c $(LIBBNN_A) $(LIBBNN_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIBBNN_A) $(LIBBNN_LDLIBS) -o $@

$(BNN_WFDB2RAW): tests/unit/bnn-wfdb2raw.c $(LIBBNN_A) $(LIBBNN_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIBBNN_A) $(LIBBNN_LDLIBS) -o $@

$(BNN_BONN2EDF): tests/unit/bnn-bonn2edf.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) $< -ledf -lm -o $@

.PHONY: bnn-run test-bnn-run test-report install-bnn-run
bnn-run: $(BNN_RUN)

test-bnn-run: $(BNN_RUN_SAN) $(BNN_MKMODEL) $(BNN_WFDB2RAW) $(BNN_BONN2EDF) \
		$(B)/tools/bnn-qrs-eval
	@echo "== bnn-run end-to-end tests (ASan + UBSan)"
	@tests/run-tap.sh bnn-run $(B)/test-logs/bnn-run -- \
		tests/unit/test_bnn_run.sh $(BNN_RUN_SAN) $(BNN_MKMODEL) \
		$(BNN_WFDB2RAW) $(BNN_BONN2EDF) --- \
		tests/unit/test_examples.sh $(BNN_RUN_SAN) --- \
		tests/unit/test_report.sh $(BNN_RUN_SAN) $(BNN_MKMODEL) --- \
		tests/unit/test_cli.sh $(BNN_RUN_SAN) $(BNN_SMI) $(BNN_MKMODEL) --- \
		tests/unit/test_qrs_eval.sh $(B)/tools/bnn-qrs-eval

# The page of a DS2 run in headless Chromium (about 30 s on 2 cores).
test-report: $(BNN_RUN)
	@scripts/deps.sh report
	@echo "== bnn-run --report in headless Chromium (DS2)"
	@tests/run-tap.sh report $(B)/test-logs/report -- \
		tests/unit/test_report_chromium.sh $(BNN_RUN)

install-bnn-run: $(BNN_RUN)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BNN_RUN) $(DESTDIR)$(BINDIR)/
	install -m 644 Documentation/bnn-run.1 $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 tools/completion/bnn-run $(DESTDIR)$(BASHCOMPDIR)/
	install -d $(DESTDIR)$(BNN_RUN_DATADIR)/models
	install -m 644 models/*.bnn models/README.md $(DESTDIR)$(BNN_RUN_DATADIR)/models/
