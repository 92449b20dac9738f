#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Run the device tests (QEMU qtest protocol, no guest kernel).
#   tests/device/run.sh PATHS-FILE LOGDIR
# PATHS-FILE lists the QEMU binary and the qtest binaries built by
# emulator/qemu/build-qemu.sh, one per line.
set -euo pipefail
paths=$1 logdir=$2
here=$(cd "$(dirname "$0")" && pwd)
qemu=$(grep -m1 '/qemu-system-x86_64$' "$paths")
mapfile -t qtests < <(grep '/tests/qtest/rbnn-[a-z-]*test$' "$paths")
if [ ${#qtests[@]} -eq 0 ]; then
	echo "no qtest binaries listed in $paths" >&2
	exit 1
fi
args=()
for t in "${qtests[@]}"; do
	# libqtest runs "exec $QTEST_QEMU_BINARY ..." through sh, so the
	# firmware search path (Debian's seabios, qemu-system-data) rides along.
	args+=(env QTEST_QEMU_BINARY="$qemu -L /usr/share/seabios -L /usr/share/qemu" "$t" --tap -k ---)
done
"$here/../run-tap.sh" device "$logdir" -- "${args[@]}"
