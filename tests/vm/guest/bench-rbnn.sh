#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest benchmark: the driver path against the in-process emulated card, in
# the same guest. bnn-run runs the shipped model (models/ecg-bin-full.bnn)
# on random float32 items (libbnn_rbnn_test f32) with the emu backend and
# with the rbnn backend on one card (the device's default timing, instant;
# the error model off on both, so both compute the ideal array) at batch
# 64, 256 and 1024, rbnn with --queue 1 and 4, and prints items/s and the
# ratio rbnn/emu. Then libbnn_rbnn_test stages shows where the rbnn time
# goes: the EXEC and JOB_INFO ioctls and the fence wait (wrapped libdrm
# calls), libbnn's own host work, the guest's CPU states, interrupts and
# the card's counters. Every number is guest wall time (CLOCK_MONOTONIC,
# which follows the host's clock under TCG, while guest code runs many
# times slower than native): only ratios measured in this guest mean much.
# It fails on errors (a run fails, rbnn's predictions differ from emu's),
# never on speed. The lines "# bench-rbnn: ..." and "# stages: ..." are
# for make bench (tests/bench/bench-rbnn.sh), which also reads the card's
# compute time per command in QEMU (host CPU time, native code) from the
# trace events the -trace options below write to the log's qemu.out.
# BENCH_RBNN_ITEMS (default 8192) items per run, BENCH_RBNN_REPS (default
# 3) runs of each, BENCH_RBNN_BATCHES (default "64 256 1024").
#
# vm-qemu: -device rbnn,error-model=off -trace rbnn_slice -trace rbnn_cmd_posted
# vm-ko: kernel/rbnn.ko
# vm-bin: build/tools/bnn-run
# vm-bin: build/vm/libbnn_rbnn_test
# vm-file: models/ecg-bin-full.bnn
# vm-file: tests/vm/guest-lib/ktap.sh
# vm-timeout: 600
set -u

# shellcheck source-path=SCRIPTDIR source=../guest-lib/ktap.sh
. /tests/vm/guest-lib/ktap.sh

M=/models/ecg-bin-full.bnn
T=/bin/libbnn_rbnn_test
N=${BENCH_RBNN_ITEMS:-8192}
REPS=${BENCH_RBNN_REPS:-3}
BATCHES=${BENCH_RBNN_BATCHES:-64 256 1024}
nb=0
for b in $BATCHES; do nb=$((nb + 1)); done

echo "KTAP version 1"
echo "1..$((2 + 2 * nb))"
if [ ! -x /bin/bnn-run ] || [ ! -x "$T" ] || [ ! -r "$M" ]; then
	i=0
	while [ $i -lt $((2 + 2 * nb)) ]; do
		result 4 "bench-rbnn (bnn-run, $T or $M not in the guest)"
		i=$((i + 1))
	done
	exit 0
fi
wait_node /dev/accel/accel0
[ -e /dev/accel/accel0 ]
result $? "the card's node /dev/accel/accel0"

# Random items of the model's size (the helper prints it).
K=$("$T" f32 /tmp/x.f32 "$N" "$M" 7)
result $? "$N random items of ${K:-?} floats for $M"
[ -n "$K" ] || exit 1
echo "# clocks: items/s from bnn-run's JSON performance.items_per_s (guest CLOCK_MONOTONIC over the libbnn calls);"
echo "# card: -device rbnn,error-model=off (timing instant: the card's modeled device time is reported, not waited for)"
uname -r | sed 's/^/# guest kernel /'
grep -m1 'model name' /proc/cpuinfo | sed 's/^/# guest /'

# run NAME ARGS...: bnn-run on the items, JSON in /tmp/NAME.json, its
# predictions in /tmp/NAME.csv; prints items/s (empty on failure).
run() {
	local name=$1
	shift
	if /bin/bnn-run -m "$M" --shape "$N,$K" -q -p "/tmp/$name.csv" --json \
		"$@" /tmp/x.f32 >"/tmp/$name.json" 2>"/tmp/$name.err"; then
		sed -n 's/.*"items_per_s": \([0-9.e+-]*\).*/\1/p' "/tmp/$name.json"
	else
		sed 's/^/# /' "/tmp/$name.err" >&2
	fi
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.2f", a / b; else print "-" }'; }
cmds() { sed -n 's/.*"commands": \([0-9]*\).*/\1/p' "/tmp/$1.json"; }

# best of REPS runs (the host's cores are shared: a run can be preempted)
best() { awk -v a="${1:-0}" -v b="${2:-0}" 'BEGIN { print (a + 0 > b + 0) ? a : b }'; }
echo "# items/s, best of $REPS runs of $N items each (emu, rbnn q1, rbnn q4 in turn):"
echo "# batch  emu items/s  rbnn q1 items/s  rbnn q4 items/s  rbnn/emu q1  q4"
for b in $BATCHES; do
	e=0 r1=0 r4=0 ok=0 rep=0
	while [ $rep -lt "$REPS" ]; do
		x=$(run "emu$b" -b emu -B "$b")
		y=$(run "r1_$b" -b rbnn -d /dev/accel/accel0 -B "$b" --queue 1)
		z=$(run "r4_$b" -b rbnn -d /dev/accel/accel0 -B "$b" --queue 4)
		{ [ -n "$x" ] && [ -n "$y" ] && [ -n "$z" ] &&
			cmp "/tmp/emu$b.csv" "/tmp/r1_$b.csv" &&
			cmp "/tmp/emu$b.csv" "/tmp/r4_$b.csv"; } || ok=1
		e=$(best "$e" "$x") r1=$(best "$r1" "$y") r4=$(best "$r4" "$z")
		rep=$((rep + 1))
	done
	printf '# %5s %12.0f %16.0f %16.0f %12s %4s\n' "$b" "$e" "$r1" "$r4" \
		"$(ratio "$r1" "$e")" "$(ratio "$r4" "$e")"
	echo "# bench-rbnn: batch=$b emu=$e rbnn_q1=$r1 rbnn_q4=$r4 cmds_q1=$(cmds "r1_$b") reps=$REPS items=$N"
	result $ok "batch $b: emu and rbnn (--queue 1, 4) ran $REPS times, the same predictions and scores"
done

# Where the time goes, per batch, in the same guest.
for b in $BATCHES; do
	nbatch=$((N / b))
	[ "$nbatch" -ge 2 ] || nbatch=2
	ok=0
	for q in 1 4; do
		"$T" stages "$M" /dev/accel/accel0 "$b" "$nbatch" "$q" || ok=1
	done
	result $ok "batch $b: rbnn stages (--queue 1 and 4, $nbatch batches)"
done

echo "# Totals: pass:$((t - nfail - nskip)) fail:$nfail xfail:0 xpass:0 skip:$nskip error:0"
[ "$nfail" -eq 0 ]
