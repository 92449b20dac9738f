#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test (F12 of the driver review): what the driver takes from the
# card. Two cards, the first reporting larger batch and SG limits than the
# driver supports (the QEMU device's max-batch and max-sgl properties): the
# driver clamps them (QUERY_DEVICE, through bnn-smi, reports 65536 items);
# each card's two interrupts have names of their own in /proc/interrupts
# (rbnn-cq@<PCI name>, rbnn-event@<PCI name>); a reset through the ADMIN
# ioctl (bnn-smi reset) completes (the driver polls CONTROL.RESET) and the
# card works after it. Prints KTAP; exits 1 on failure.
#
# vm-qemu: -device rbnn,id=rbnn0,error-model=off,max-batch=1048576,max-sgl=1048576 -device rbnn,id=rbnn1,error-model=off
# vm-ko: kernel/rbnn.ko
# vm-bin: build/tools/bnn-smi
# vm-timeout: 90
# vm-file: tests/vm/guest-lib/ktap.sh
set -u

SMI=/bin/bnn-smi
# shellcheck source-path=SCRIPTDIR source=../guest-lib/ktap.sh
. /tests/vm/guest-lib/ktap.sh
show() { sed 's/^/#   /' "$1"; }
has() { grep -q -- "$1" /tmp/out; }

echo "KTAP version 1"
echo "1..4"

wait_node /dev/accel/accel1

# The card of each node, as its PCI name.
bdf() { basename "$(readlink "/sys/class/accel/$1/device")"; }
b0=$(bdf accel0)
b1=$(bdf accel1)
echo "# accel0 is $b0, accel1 is $b1"

"$SMI" info --json accel0 >/tmp/out 2>&1
show /tmp/out
"$SMI" info --json accel1 >>/tmp/out 2>&1
# the first card (either node) clamped, the second at its own 65536
[ "$(grep -o '"max_batch": 65536' /tmp/out | wc -l)" -eq 2 ]
result $? "the card's max-batch 1048576 is clamped to the driver's 65536"

grep rbnn /proc/interrupts >/tmp/out
show /tmp/out
ok=0
for b in "$b0" "$b1"; do
	has "rbnn-cq@$b" && has "rbnn-event@$b" || ok=1
done
[ "$(grep -c 'rbnn-cq@' /tmp/out)" -eq 2 ] || ok=1
result $ok "each card's interrupts are named after it (rbnn-cq@, rbnn-event@)"

"$SMI" reset accel0 >/tmp/out 2>&1
rc=$?
show /tmp/out
[ "$rc" -eq 0 ]
result $? "bnn-smi reset accel0: the reset completes"

"$SMI" info accel0 >/tmp/out 2>&1
rc=$?
[ "$rc" -eq 0 ] && ! dmesg | grep -q 'reset did not complete'
result $? "the card answers after the reset, no reset timeout logged"

echo "# Totals: pass:$npass fail:$nfail xfail:0 xpass:0 skip:$nskip error:0"
[ "$nfail" -eq 0 ]
