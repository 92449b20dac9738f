#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Build the libbnn programs the VM tier's guest tests run
# (tests/vm/guest/libbnn-*.sh): bnn-smi, the rbnn backend's test program
# (also built with ASan + UBSan), and bnn-run with bnn-mkmodel
# (tools/bnn-run/bnn-run.mk).  They link libbnn statically and libc, libdrm and libudev
# dynamically (libudev has no static library); the harness copies the
# shared libraries ldd lists into the initramfs.  Incremental; prints the
# paths of what it built, one a line.
#
#   libbnn/build-guest-bins.sh
#
# tests/vm/build-guest.sh calls it; the guest tests name the files in their
# "# vm-bin:" lines (build/tools/bnn-smi, build/vm/libbnn_rbnn_test[-san],
# build/tools/bnn-run, build/tests/bnn-mkmodel).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
cd "$TOP"

mk=(make --no-print-directory -s)
# The top-level Makefile includes libbnn/libbnn.mk; bnn-smi's rules come
# from tools/bnn-smi/bnn-smi.mk, added here until the Makefile includes it.
if ! grep -q '^include tools/bnn-smi/bnn-smi.mk' Makefile; then
	mk+=(-f Makefile -f tools/bnn-smi/bnn-smi.mk)
fi
bins=(build/tools/bnn-smi build/vm/libbnn_rbnn_test build/vm/libbnn_rbnn_test-san
	build/tools/bnn-run build/tests/bnn-mkmodel)
"${mk[@]}" "${bins[@]}" >&2
for b in "${bins[@]}"; do
	echo "$TOP/$b"
done
