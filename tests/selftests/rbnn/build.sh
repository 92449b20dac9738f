#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# Build every rbnn selftest binary (static) into OUTDIR with the directory's
# Makefile: the driver author's (rbnn_smoke rbnn_unplug) and the test
# engineer's (sel.mk: uapi_neg_test isolation_test stress_test errmodel_test
# fault_test unplug_test rbnn_ioctl_fuzz bench). Uses the kselftest headers of the cached
# linux-source and the uAPI headers of the cached 6.12 kernel headers
# (tests/vm/kernel.sh). Prints the paths of the binaries on stdout.
#
#   tests/selftests/rbnn/build.sh [OUTDIR]    (default build/selftests/rbnn)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
out=${1:-$TOP/build/selftests/rbnn}
mkdir -p "$out"
out=$(realpath "$out")

# shellcheck source=/dev/null
. "$("$TOP/tests/vm/kernel.sh")"
drm_uapi=
for d in "$KHEADERS/include/uapi/drm" "${KHEADERS%-amd64}-common/include/uapi/drm" \
	"$KSRC/include/uapi/drm" /usr/include/drm /usr/include/libdrm; do
	if [ -f "$d/drm.h" ]; then drm_uapi=$d; break; fi
done
[ -n "$drm_uapi" ] || { echo "build.sh: no drm.h found" >&2; exit 1; }

jobs=$(nproc 2>/dev/null || echo 2)
# The Makefile builds rbnn_smoke, rbnn_unplug and (include sel.mk) the rest.
make -s -j"$jobs" -C "$HERE" KSFT_DIR="$KSRC_SELFTESTS" DRM_UAPI="$drm_uapi" \
	OUTPUT="$out" >&2
for b in uapi_neg_test isolation_test stress_test errmodel_test fault_test \
	unplug_test rbnn_ioctl_fuzz bench rbnn_smoke rbnn_unplug; do
	[ -x "$out/$b" ] && echo "$out/$b"
done
exit 0
