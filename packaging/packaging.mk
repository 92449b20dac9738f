# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# packaging/packaging.mk - Debian packages, included by the top-level
# Makefile after libbnn/libbnn.mk (it uses LIBBNN_VERSION):
#
#   make deb        libbnn0, libbnn-dev, bnn-tools, rbnn-dkms into $(DEBDIR)
#                   (packaging/build-deb.sh: dpkg-buildpackage, dh, lintian)
#   make test-deb   the packages installed in a clean Debian 12 root, the
#                   module built there by DKMS for the VM tier's guest
#                   kernel, the installed bnn-run on a shipped model
#                   (packaging/test-deb.sh, TAP)
DEBDIR ?= $(B)/deb

.PHONY: deb test-deb
deb:
	@scripts/deps.sh deb
	packaging/build-deb.sh $(LIBBNN_VERSION) $(DEBDIR)

test-deb: deb
	@echo "== Debian packages (clean root, DKMS build for the guest kernel, bnn-run)"
	@tests/run-tap.sh deb $(B)/test-logs/deb -- packaging/test-deb.sh \
		$(LIBBNN_VERSION) $(abspath $(DEBDIR))
