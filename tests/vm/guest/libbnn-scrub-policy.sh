#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash: POSIX sh plus local
# Guest test: libbnn's scrub policy on a real (emulated) card past its
# retention limit (issue 15). Two cards with the same seed and physics
# (error model on, 2T2R programmed weakly at 10 uA, 85 C) get the same
# 1024-512-2 network from libbnn's rbnn backend, run 512 items, are aged
# ten years through debugfs and run them again: without the policy the
# drifted cells change the scores of many items against the cpu backend;
# with it (libbnn reads every row back before the job, programs the wrong
# rows again, refreshes the others) the items are as they were before
# aging. Prints KTAP; exits 1 on failure.
#
# vm-qemu: -device rbnn,id=rbnn0,x-debug=on,seed=47,prog-current-ua=10,temperature-c=85 -device rbnn,id=rbnn1,x-debug=on,seed=47,prog-current-ua=10,temperature-c=85
# vm-ko: kernel/rbnn.ko
# vm-bin: build/vm/libbnn_rbnn_test
# vm-timeout: 300
# vm-file: tests/vm/guest-lib/ktap.sh
set -u

HELP=/bin/libbnn_rbnn_test
TEN_YEARS=$((10 * 365 * 24 * 3600))
# shellcheck source-path=SCRIPTDIR source=../guest-lib/ktap.sh
. /tests/vm/guest-lib/ktap.sh
diag() { echo "# $*"; }

# aged CARD POLICY: its line in /tmp/out; $b_sc $b_cl (items whose scores,
# whose classes differ from cpu) before aging, $a_sc $a_cl after; $scrubs
# $rewritten the policy's (bnn_prepare_info after the runs).
aged() {
	"$HELP" aged "$1" "$TEN_YEARS" "$2" 85 >/tmp/out 2>/tmp/err
	rc=$?
	sed 's/^/# /' /tmp/out /tmp/err
	# shellcheck disable=SC2046 # six numbers, split on purpose
	set -- $(sed -n 's/.*before aging \([0-9]*\) of 512 items differ from cpu, \([0-9]*\) of them in class; after [0-9.e+]* s \([0-9]*\) differ, \([0-9]*\) in class; \([0-9]*\) scrubs, \([0-9]*\) rows programmed again$/\1 \2 \3 \4 \5 \6/p' /tmp/out) 999 999 999 999 999 999
	b_sc=$1 b_cl=$2 a_sc=$3 a_cl=$4 scrubs=$5 rewritten=$6
}

echo "KTAP version 1"
echo "1..4"

wait_node /dev/accel/accel1

aged accel0 0
off_sc=$b_sc off_cl=$b_cl
[ "$rc" -eq 0 ] && [ "$a_cl" -ge 40 ] && [ "$a_cl" -gt $((3 * b_cl)) ] && [ "$scrubs" -eq 0 ]
result $? "without the scrub policy: ten years at 85 C change the class of $a_cl of 512 items ($b_cl before aging; $scrubs scrubs)"

aged accel1 1
[ "$rc" -eq 0 ] && [ "$b_sc" -eq "$off_sc" ] && [ "$b_cl" -eq "$off_cl" ]
result $? "with the policy: the same card and results before aging ($b_cl classes differ)"
[ "$rc" -eq 0 ] && [ "$a_cl" -le "$b_cl" ] && [ "$a_sc" -le "$b_sc" ] &&
	[ "$scrubs" -ge 1 ] && [ "$rewritten" -ge 1 ]
result $? "with the policy: after ten years at 85 C as good as new ($a_cl classes, $a_sc scores differ; $b_cl, $b_sc before; $scrubs scrubs rewrote $rewritten rows)"

"$HELP" aged accel7 1 1 85 >/dev/null 2>/tmp/err
r=$?
sed 's/^/# /' /tmp/err
[ "$r" -eq 1 ] && grep -q accel7 /tmp/err
result $? "an unknown card is a clear error (exit 1)"

echo "# Totals: pass:$npass fail:$nfail xfail:0 xpass:0 skip:0 error:0"
[ "$nfail" -eq 0 ]
