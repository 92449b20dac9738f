#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash: POSIX sh plus local
# Guest test (busybox sh, run by the VM tier's /init): surprise removal of
# an rbnn card with a hung job, a queued job, an open file and a mapping
# (tests/selftests/rbnn/rbnn_unplug), then a PCI rescan that brings the card
# back, and module unload/reload with files open. The kernel log must stay
# free of Oops/WARN (the harness checks). Prints KTAP; exits 1 on failure.
#
# vm-qemu: -device rbnn,id=rbnn0,error-model=off,x-debug=on
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/rbnn_unplug
# vm-bin: build/selftests/rbnn/rbnn_smoke
# vm-timeout: 120
# vm-file: tests/vm/guest-lib/ktap.sh
set -u

# shellcheck source-path=SCRIPTDIR source=../guest-lib/ktap.sh
. /tests/vm/guest-lib/ktap.sh
diag() { echo "# $*"; }

wait_for() { # TEST-EXPRESSION... (up to 10 s)
	local i=0
	while ! "$@" && [ $i -lt 100 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	"$@"
}
nodes() {
	set -- /dev/accel/accel*
	if [ -e "$1" ]; then echo $#; else echo 0; fi
}
one_node() { [ "$(nodes)" -eq 1 ]; }
no_node() { [ "$(nodes)" -eq 0 ]; }

echo "KTAP version 1"
echo "1..9"

# A long watchdog: the hung job stays on the card until the unplug.
rmmod rbnn && modprobe rbnn job_timeout_ms=60000 && wait_for one_node
result $? "rbnn reloaded with job_timeout_ms=60000"
bdf=$(basename "$(readlink -f /sys/class/accel/accel0/device)")
diag "card at $bdf"

rm -f /tmp/ready
/bin/rbnn_unplug /dev/accel/accel0 /tmp/ready >/tmp/unplug.out 2>&1 &
pid=$!
wait_for test -e /tmp/ready
result $? "jobs in flight"

rc=0
echo 1 >"/sys/bus/pci/devices/$bdf/remove" || rc=1
result $rc "PCI device removed"
wait "$pid"
rc=$?
sed 's/^/    /' /tmp/unplug.out
result "$rc" "helper saw -ENODEV and closed cleanly"
wait_for no_node
result $? "accel node gone"

echo 1 >/sys/bus/pci/rescan
wait_for one_node
result $? "PCI rescan: card back as $(echo /dev/accel/accel*)"
RBNN_DEVICE=$(echo /dev/accel/accel*) /bin/rbnn_smoke -t query \
	-t program_readback -t exec_conv >/tmp/smoke.out 2>&1
rc=$?
sed 's/^/    /' /tmp/smoke.out
result "$rc" "selftest on the rescanned card"

# Unplug with a file open but no job, then unload.
exec 3<>"$(echo /dev/accel/accel*)"
bdf=$(basename "$(readlink -f /sys/class/accel/accel*/device)")
echo 1 >"/sys/bus/pci/devices/$bdf/remove"
! rmmod rbnn 2>/dev/null
result $? "rmmod refused while an unplugged card's file is open"
exec 3<&-
rmmod rbnn
result $? "rmmod after the file is closed"
echo 1 >/sys/bus/pci/rescan

dmesg | grep -i rbnn | tail -n 12 | sed 's/^/# dmesg: /'
echo "# Totals: pass:$npass fail:$nfail xfail:0 xpass:0 skip:0 error:0"
[ "$nfail" -eq 0 ]
