#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# QEMU's generic-fuzz target (tests/qtest/fuzz/generic_fuzz.c in QEMU) on
# -device rbnn, for a bounded time; TAP, one test.
#
#   tests/fuzz/qemu-generic-fuzz.sh SECONDS WORKDIR [QEMU_FUZZ_BINARY]
#
# Without QEMU_FUZZ_BINARY it builds one with emulator/qemu/build-qemu.sh
# --fuzz (clang, --enable-fuzzing, ASan, UBSan; its own build directory in
# $RBNN_CACHE, minutes the first time). generic-fuzz takes its machine from
# QEMU_FUZZ_ARGS and fuzzes the MMIO/PIO regions whose names or owners match
# QEMU_FUZZ_OBJECTS, with DMA reads answered from the input: the
# configuration below is what QEMU's generic_fuzz_configs.h would hold for
# the card. A small geometry keeps each input fast; the error model is on
# so the physics runs under the fuzzer too. Inputs that crash are left as
# WORKDIR/qemu-rbnn-crash-*; reproduce one with the same environment:
#   QEMU_FUZZ_ARGS=... QEMU_FUZZ_OBJECTS=... qemu-fuzz-x86_64 \
#       --fuzz-target=generic-fuzz FILE
set -uo pipefail
secs=$1 work=$2
bin=${3:-}
top=$(cd "$(dirname "$0")/../.." && pwd)

# The configuration (QEMU's generic_fuzz_configs.h style): the card on q35
# with the memory regions it owns fuzzed (matched by the owner's type,
# rbnn): BAR0's registers "rbnn-regs" and the MSI-X BAR's "msix-table" and
# "msix-pba"; generic-fuzz also writes the PCI config space of the devices
# that own a matched region (BARs, command register, bus mastering).
export QEMU_FUZZ_ARGS=${QEMU_FUZZ_ARGS:-"-M q35 -nodefaults \
-L /usr/share/seabios -L /usr/share/qemu \
-device rbnn,tiles=2,rows=64,cols=128,max-batch=8,max-layers=8,max-sgl=8,act-buf-size=4096,error-model=on,seed=7"}
export QEMU_FUZZ_OBJECTS=${QEMU_FUZZ_OBJECTS:-"rbnn*"}

echo "TAP version 13"
echo "1..1"
mkdir -p "$work/corpus-qemu-rbnn"
log=$work/qemu-rbnn.log
if [ -z "$bin" ]; then
	if ! bin=$("$top/emulator/qemu/build-qemu.sh" --fuzz 2>"$work/qemu-fuzz-build.log"); then
		echo "not ok 1 - qemu generic-fuzz rbnn: build failed, see $work/qemu-fuzz-build.log"
		tail -n 5 "$work/qemu-fuzz-build.log" | sed 's/^/# /'
		exit 1
	fi
fi
if "$bin" --fuzz-target=generic-fuzz -max_total_time="$secs" -max_len=4096 \
	-timeout=10 -rss_limit_mb=4096 -close_fd_mask=1 \
	-artifact_prefix="$work/qemu-rbnn-" "$work/corpus-qemu-rbnn" \
	>"$log" 2>&1; then
	runs=$(grep -oE 'Done [0-9]+ runs' "$log" | tail -n1)
	cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -n1)
	echo "ok 1 - qemu generic-fuzz rbnn: ${runs:-ran} in ${secs} s, ${cov:-cov ?}"
else
	echo "not ok 1 - qemu generic-fuzz rbnn: see $log"
	grep -E 'ERROR|SUMMARY|artifact' "$log" | head -n 5 | sed 's/^/# /'
	exit 1
fi
