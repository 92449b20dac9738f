#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Build what the VM tier's guest tests load: the rbnn module (W=1, sparse;
# warnings fail) and every static test program of tests/selftests/rbnn.
# Incremental; prints the paths of what it built.
#
#   tests/vm/build-guest.sh           module + test programs
#   tests/vm/build-guest.sh --check   also checkpatch --strict the driver
#
# Guest tests name these files in their headers ("# vm-ko: kernel/rbnn.ko",
# "# vm-bin: build/selftests/rbnn/rbnn_smoke"), relative to the top.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
# shellcheck source=/dev/null
. "$("$HERE/kernel.sh")"

check=--no-check
[ "${1:-}" = --check ] && check=
# shellcheck disable=SC2086 # empty when checking
"$TOP/kernel/build.sh" $check

out=$TOP/build/selftests/rbnn
# The Makefile builds rbnn_smoke, rbnn_unplug and (include sel.mk) the test
# engineer's suite.
make -s -j"$(nproc 2>/dev/null || echo 2)" -C "$TOP/tests/selftests/rbnn" KSFT_DIR="$KSRC_SELFTESTS" \
	DRM_UAPI="$(dirname "$KHEADERS")/linux-headers-$KABI-common/include/uapi/drm" \
	OUTPUT="$out" >&2
for p in "$out"/*; do
	[ -x "$p" ] && echo "$p"
done
# libbnn's programs for the libbnn-*.sh guest tests (bnn-smi, the rbnn
# backend test, bnn-run).
"$TOP/libbnn/build-guest-bins.sh"
exit 0
