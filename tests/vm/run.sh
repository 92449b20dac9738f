#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# The VM test tier: every guest test in tests/vm/guest/ (or the ones named),
# each in its own TCG boot of the reference 6.12 kernel, summarised by
# tests/run-tap.sh ("vm: N passed, N failed, N skipped").
#
#   tests/vm/run.sh [--kernel stock|debug] LOGDIR [TEST...]
#
# --kernel debug boots the debug build of the same kernel (KASAN, lockdep,
# kmemleak, UBSAN, fault injection; tests/vm/kernel-debug.sh) with 4 vCPUs,
# the driver built against it; the summary is then "vm-debug: ...".
#
# Builds or fetches what it needs first (Debian packages of the "vm" group,
# the kernel, QEMU with the card; all cached, so a second run only boots).
# RBNN_QEMU set to a QEMU binary skips building QEMU.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
kflavour=stock
if [ "${1:-}" = --kernel ]; then
	kflavour=${2:-}
	shift 2
fi
case $kflavour in stock | debug) ;; *) echo "$0: --kernel stock|debug" >&2; exit 2 ;; esac
[ $# -ge 1 ] || { echo "usage: $0 [--kernel stock|debug] LOGDIR [TEST...]" >&2; exit 2; }
logdir=$1
shift

"$TOP/scripts/deps.sh" vm >&2
"$HERE/kernel.sh" >/dev/null
if [ -z "${RBNN_QEMU:-}" ]; then
	# Read all of the script's output (it lists more than the binary).
	paths=$("$TOP/emulator/qemu/build-qemu.sh")
	RBNN_QEMU=$(grep -m1 '/qemu-system-x86_64$' <<<"$paths")
fi
export RBNN_QEMU
# The rbnn module and the guest test programs (incremental).
"$HERE/build-guest.sh" --check >/dev/null
tier=vm
if [ "$kflavour" = debug ]; then
	"$HERE/kernel-debug.sh" --rbnn-ko >/dev/null
	tier=vm-debug
fi
export RBNN_VM_KERNEL=$kflavour

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	for t in "$HERE"/guest/*.sh; do tests+=("$(basename "$t" .sh)"); done
fi
mkdir -p "$logdir"
logdir=$(realpath "$logdir")
export RBNN_VM_LOGROOT=$logdir
cmds=()
for t in "${tests[@]}"; do
	cmds+=(tests/vm/run-vm.sh "$t" ---)
done
cd "$TOP"
exec tests/run-tap.sh "$tier" "$logdir" -- "${cmds[@]}"
