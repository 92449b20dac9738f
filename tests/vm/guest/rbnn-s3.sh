#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: a real ACPI S3 sleep of the whole machine while bnn-run
# classifies a record on the card with many small batches in flight. The
# guest boots through SeaBIOS (vm-boot: bios; a PVH-booted guest does not
# come back from S3), arms the RTC to wake it 4 s later and writes "mem" to
# /sys/power/state: the kernel suspends every device (the driver quiesces
# the card), QEMU puts the machine in S3, the RTC alarm wakes it, the
# firmware's resume path returns to the kernel and the devices resume (the
# driver restores the card's rings). Every bnn-run run across the sleep
# must give the cpu backend's predictions (no lost, failed or duplicated
# completion), the kernel log must show that S3 was really entered and
# left, and the card must work afterwards. The debug kernel is built as a
# vmlinux only, so on it the test boots through PVH and says so (SKIP);
# rbnn-pm.sh covers its devices-only PM test.
#
# vm-boot: bios
# vm-qemu: -global ICH9-LPC.disable_s3=0 -device rbnn,id=rbnn0,error-model=off
# vm-ko: kernel/rbnn.ko
# vm-bin: build/tools/bnn-run
# vm-bin: build/tests/bnn-mkmodel
# vm-bin: build/selftests/rbnn/rbnn_smoke
# vm-data: mitdb/100.hea
# vm-data: mitdb/100.dat
# vm-data: mitdb/100.atr
# vm-timeout: 180
# QEMU's RTC cannot have its ACPI fixed event disabled; the kernel says so
# once on every resume from S3.
# vm-allow: ACPI Error: Could not disable RealTimeClock events
# vm-file: tests/vm/guest-lib/ktap.sh
# vm-file: tests/vm/guest-lib/card-loop.sh
set -u

# shellcheck source-path=SCRIPTDIR source=../guest-lib/ktap.sh
. /tests/vm/guest-lib/ktap.sh
# shellcheck source-path=SCRIPTDIR source=../guest-lib/card-loop.sh
. /tests/vm/guest-lib/card-loop.sh
diag() { echo "# $*"; }

echo "KTAP version 1"
echo "1..4"
REC=/data/mitdb/100
skip_all() { # REASON
	for i in 1 2 3 4; do
		result 4 "check $i ($1)"
	done
	exit 0
}
[ -r "$REC.dat" ] || skip_all "no $REC in the guest: \$RBNN_DATA"
[ "${RBNN_VM_BOOT:-pvh}" = bios ] ||
	skip_all "booted through PVH (this kernel has no bzImage): no S3 resume"
grep -q mem /sys/power/state || skip_all "no suspend to RAM in /sys/power/state"
[ -w /sys/class/rtc/rtc0/wakealarm ] || skip_all "no RTC wake alarm"
[ -w /sys/power/mem_sleep ] && echo deep >/sys/power/mem_sleep
i=0
while [ ! -e /dev/accel/accel0 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done

/bin/bnn-mkmodel --arch conv --length 256 --beat 90,166 --lead MLII \
	--rate 360 --norm zscore --seed 5 /tmp/ecg.bnn
/bin/bnn-run -m /tmp/ecg.bnn -b cpu -q -p /tmp/cpu.csv "$REC"
result $? "cpu reference on record 100"

loop_card s3 &
pid=$!
sleep 1
echo 0 >/sys/class/rtc/rtc0/wakealarm
echo +4 >/sys/class/rtc/rtc0/wakealarm
if echo mem >/sys/power/state; then rc=0; else rc=1; fi
if [ $rc -eq 0 ] && ! dmesg | grep -q 'Waking up from system sleep state S3'; then
	diag "the kernel log does not show an S3 resume"
	rc=1
fi
diag "$(dmesg | grep -E 'PM: suspend (entry|exit)|system sleep state S3' | tail -n 3 | tr '\n' ' ')"
result $rc "the machine slept in S3 and woke up on the RTC alarm"
touch /tmp/stop
wait "$pid"
rc=$?
diag "bnn-run: $(cat /tmp/s3.loop)"
result $rc "bnn-run across the sleep: the cpu backend's predictions every time"

RBNN_DEVICE=/dev/accel/accel0 /bin/rbnn_smoke -t query -t program_readback \
	-t exec_conv >/tmp/smoke.out 2>&1
rc=$?
sed 's/^/    /' /tmp/smoke.out
result $rc "selftest on the card after the sleep"
echo "# Totals: pass:$npass fail:$nfail xfail:0 xpass:0 skip:$nskip error:0"
[ "$nfail" -eq 0 ]
