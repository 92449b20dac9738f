# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# tools/bnn-smi/bnn-smi.mk - build of bnn-smi, the RBNN card management
# tool, to be included by the top-level Makefile AFTER libbnn/libbnn.mk
# (it uses LIBBNN_A, LIBBNN_HDRS, LIBBNN_LDLIBS):
#
#     include tools/bnn-smi/bnn-smi.mk
#     TOOLS += $(BNN_SMI)
#     install: install-bnn-smi
#
# It provides:
#   $(BNN_SMI)          build/tools/bnn-smi (static libbnn; libdrm, libudev
#                       and libc shared: libudev has no static library)
#   bnn-smi             phony: $(BNN_SMI)
#   install-bnn-smi     phony: binary, man page and bash completion
#                       (tools/completion/bnn-smi) under $(DESTDIR)$(PREFIX)
#
# Its tests run in the VM tier (tests/vm/guest/libbnn-smi.sh), where the
# cards are; libbnn/build-guest-bins.sh builds it for them.  Its options
# and completion without a card: tests/unit/test_cli.sh in test-bnn-run.

BNN_SMI := $(B)/tools/bnn-smi
MANDIR ?= $(PREFIX)/share/man
BINDIR ?= $(PREFIX)/bin
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions

$(BNN_SMI): tools/bnn-smi/bnn-smi.c $(LIBBNN_A) $(LIBBNN_HDRS) $(CORE_HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) $< $(LIBBNN_A) $(LIBBNN_LDLIBS) -o $@

.PHONY: bnn-smi install-bnn-smi
bnn-smi: $(BNN_SMI)
test-bnn-run: $(BNN_SMI)

install-bnn-smi: $(BNN_SMI)
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 755 $(BNN_SMI) $(DESTDIR)$(BINDIR)/
	install -m 644 Documentation/bnn-smi.1 $(DESTDIR)$(MANDIR)/man1/
	install -d $(DESTDIR)$(BASHCOMPDIR)
	install -m 644 tools/completion/bnn-smi $(DESTDIR)$(BASHCOMPDIR)/
