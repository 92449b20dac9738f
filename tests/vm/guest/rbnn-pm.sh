#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: the card across a system suspend and resume and across a
# function-level reset (sysfs "reset": the driver's reset_prepare/done;
# QEMU resets the card, so its rings must be restored), each while bnn-run
# classifies a record on it with many small batches in flight. The
# predictions must equal the cpu backend's (no lost, failed or duplicated
# completion), the file must not be banned, and the card must work
# afterwards. The suspend is the kernel's "devices" PM test (every device
# suspended and resumed, 1 s apart, without entering S3: a PVH-booted
# guest does not come back from a real S3 under QEMU's SeaBIOS: rbnn-s3.sh
# boots through SeaBIOS and sleeps for real); the
# driver resets the card on suspend, so resume must restart it. The FLR
# case fails with a driver that has no reset_prepare/done (the card loses
# its rings, the next job hangs, the watchdog bans bnn-run's file); the
# PM test cannot tell a driver without PM callbacks (QEMU keeps the card's
# state), it checks that the driver's own suspend and resume lose nothing.
#
# vm-qemu: -device rbnn,id=rbnn0,error-model=off
# vm-ko: kernel/rbnn.ko
# vm-bin: build/tools/bnn-run
# vm-bin: build/tests/bnn-mkmodel
# vm-bin: build/selftests/rbnn/rbnn_smoke
# vm-data: mitdb/100.hea
# vm-data: mitdb/100.dat
# vm-data: mitdb/100.atr
# vm-timeout: 240
# vm-file: tests/vm/guest-lib/ktap.sh
# vm-file: tests/vm/guest-lib/card-loop.sh
set -u

# shellcheck source-path=SCRIPTDIR source=../guest-lib/ktap.sh
. /tests/vm/guest-lib/ktap.sh
# shellcheck source-path=SCRIPTDIR source=../guest-lib/card-loop.sh
. /tests/vm/guest-lib/card-loop.sh
diag() { echo "# $*"; }

echo "KTAP version 1"
echo "1..6"
REC=/data/mitdb/100
if [ ! -r "$REC.dat" ]; then
	for i in 1 2 3 4 5 6; do
		result 4 "check $i (no $REC in the guest: \$RBNN_DATA)"
	done
	exit 0
fi
i=0
while [ ! -e /dev/accel/accel0 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
bdf=$(basename "$(readlink -f /sys/class/accel/accel0/device)")
diag "card at $bdf"

/bin/bnn-mkmodel --arch conv --length 256 --beat 90,166 --lead MLII \
	--rate 360 --norm zscore --seed 5 /tmp/ecg.bnn
/bin/bnn-run -m /tmp/ecg.bnn -b cpu -q -p /tmp/cpu.csv "$REC"
result $? "cpu reference on record 100"

# System suspend and resume of every device (PM test "devices").
if [ -w /sys/power/pm_test ] && grep -q mem /sys/power/state; then
	loop_card pm &
	pid=$!
	sleep 1
	echo devices >/sys/power/pm_test
	# The PM test busy-waits (5 s by default) with the devices suspended:
	# under TCG that is long enough for the soft-lockup detector.
	[ -w /sys/module/suspend/parameters/pm_test_delay ] &&
		echo 1 >/sys/module/suspend/parameters/pm_test_delay
	if echo mem >/sys/power/state; then rc=0; else rc=1; fi
	echo none >/sys/power/pm_test
	touch /tmp/stop
	diag "$(dmesg | grep -E 'PM: suspend (entry|exit)|suspend debug' | tail -n 3 | tr '\n' ' ')"
	result $rc "suspend and resume of the devices"
	wait "$pid"
	rc=$?
	diag "bnn-run: $(cat /tmp/pm.loop)"
	result $rc "bnn-run across the suspend: the cpu backend's predictions every time"
else
	result 4 "suspend and resume (no /sys/power/pm_test: CONFIG_PM_DEBUG)"
	result 4 "bnn-run across the suspend"
fi

# Function-level reset through sysfs (the PCI core calls reset_prepare
# and reset_done around the FLR).
if [ -w "/sys/bus/pci/devices/$bdf/reset" ]; then
	diag "reset methods: $(cat "/sys/bus/pci/devices/$bdf/reset_method" 2>/dev/null)"
	loop_card flr &
	pid=$!
	sleep 1
	if echo 1 >"/sys/bus/pci/devices/$bdf/reset"; then rc=0; else rc=1; fi
	result $rc "function-level reset"
	touch /tmp/stop
	wait "$pid"
	rc=$?
	diag "bnn-run: $(cat /tmp/flr.loop)"
	result $rc "bnn-run across the FLR: the cpu backend's predictions every time"
else
	result 4 "function-level reset (no sysfs reset for $bdf)"
	result 4 "bnn-run across the FLR"
fi

RBNN_DEVICE=/dev/accel/accel0 /bin/rbnn_smoke -t query -t program_readback \
	-t exec_conv >/tmp/smoke.out 2>&1
rc=$?
[ "$rc" -eq 0 ] || sed 's/^/    /' /tmp/smoke.out
result "$rc" "selftest afterwards"
dmesg | grep -iE 'rbnn|PM: ' | tail -n 12 | sed 's/^/# dmesg: /'

echo "# Totals: pass:$npass fail:$nfail xfail:0 xpass:0 skip:0 error:0"
[ "$nfail" -eq 0 ]
