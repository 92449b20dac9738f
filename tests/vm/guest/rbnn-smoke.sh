#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash: POSIX sh plus local
# Guest test (busybox sh, run by the VM tier's /init): the rbnn driver with
# two cards. The module is loaded by /init; this checks the device nodes,
# sysfs, hwmon, debugfs and fdinfo, runs the uAPI selftest
# (tests/selftests/rbnn/rbnn_smoke: queries, BOs, tiles, PROGRAM, READBACK,
# EXEC FC and CONV1D against a reference, isolation, syncobjs, hang
# recovery on the x-debug=on card) on each card, then unloads and reloads the
# module. Prints KTAP (the selftest's own TAP nested); exits 1 on failure.
#
# vm-qemu: -device rbnn,id=rbnn0,error-model=off -device rbnn,id=rbnn1,error-model=off,x-debug=on,seed=2
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/rbnn_smoke
# vm-timeout: 240
# vm-file: tests/vm/guest-lib/ktap.sh
set -u

SMOKE=${RBNN_SMOKE:-/bin/rbnn_smoke}
# shellcheck source-path=SCRIPTDIR source=../guest-lib/ktap.sh
. /tests/vm/guest-lib/ktap.sh
diag() { echo "# $*"; }

# Number and names of the accel nodes (devtmpfs creates them, no udev).
nodes() {
	set -- /dev/accel/accel*
	if [ -e "$1" ]; then echo $#; else echo 0; fi
}
node_names() { echo /dev/accel/accel*; }

# Wait until N accel nodes exist.
wait_nodes() { # N
	local i=0
	while [ "$(nodes)" -lt "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	[ "$(nodes)" -eq "$1" ]
}

# Run the selftest on one device, its TAP nested as a KTAP subtest.
run_smoke() { # DEVICE NAME [ARGS...]
	local dev=$1 name=$2 rc
	shift 2
	RBNN_DEVICE=$dev "$SMOKE" "$@" >/tmp/smoke.out 2>&1
	rc=$?
	sed 's/^/    /' /tmp/smoke.out
	[ "$rc" -eq 0 ] || diag "$name: exit $rc"
	result "$rc" "$name"
}

echo "KTAP version 1"
echo "1..18"

grep -q '^rbnn ' /proc/modules
result $? "module rbnn loaded"
wait_nodes 2
result $? "two accel nodes: $(node_names)"

for n in 0 1; do
	d=/sys/class/accel/accel$n/device
	ok=0
	for a in tiles rows cols tiles_free tiles_used cell_mode wear_cycles_max \
		wear_cycles_mean stuck_cells verify_fails recoveries card_resets; do
		v=$(cat "$d/$a" 2>/dev/null) || { diag "accel$n: no $a"; ok=1; continue; }
		diag "accel$n $a=$v"
	done
	[ "$(cat "$d/tiles" 2>/dev/null)" = 16 ] && [ "$(cat "$d/tiles_free" 2>/dev/null)" = 16 ] || ok=1
	result $ok "accel$n sysfs attributes"

	e=$(cat "$d"/hwmon/hwmon*/energy1_input 2>/dev/null)
	[ -n "$e" ] && [ "$(cat "$d"/hwmon/hwmon*/name)" = rbnn ]
	result $? "accel$n hwmon energy1_input=$e uJ"

	dbg=/sys/kernel/debug/accel/$(basename "$(readlink -f "$d")")
	[ -r "$dbg/status" ] && [ -r "$dbg/tiles" ] && echo 1 >"$dbg/test_irq"
	result $? "accel$n debugfs status, tiles, test_irq ($(cat "$dbg/test_irq" 2>/dev/null) test interrupts)"
done

# fdinfo of an open file.
exec 3<>/dev/accel/accel0
info=$(cat /proc/$$/fdinfo/3)
echo "$info" | grep -q '^drm-driver:.*rbnn' && echo "$info" | grep -q '^drm-engine-rbnn:'
result $? "fdinfo: $(echo "$info" | grep -E '^drm-(driver|engine)' | tr '\n\t' '  ')"
# The module cannot go while a file is open.
! rmmod rbnn 2>/dev/null
result $? "rmmod refused while a file is open"
exec 3<&-

run_smoke /dev/accel/accel0 "selftest on accel0 (error-model=off)"
run_smoke /dev/accel/accel1 "selftest on accel1 (error-model=off, x-debug=on)"

r=$(cat /sys/class/accel/accel1/device/recoveries)
[ "$r" -ge 2 ]
result $? "accel1 recovered from the injected hang and the forced reset ($r recoveries)"
diag "accel1 tiles after the selftest:"
dbg=/sys/kernel/debug/accel/$(basename "$(readlink -f /sys/class/accel/accel1/device)")
sed 's/^/#   /' "$dbg/tiles" | head -n 6
sed 's/^/#   /' "$dbg/status"

# Unload and reload.
rmmod rbnn
result $? "rmmod rbnn"
[ ! -e /dev/accel/accel0 ] && [ ! -e /dev/accel/accel1 ]
result $? "accel nodes gone"
modprobe rbnn
wait_nodes 2
result $? "modprobe rbnn again: $(node_names)"
run_smoke /dev/accel/accel0 "selftest after reload (accel0)" -t query -t program_readback -t exec_fc

rmmod rbnn
result $? "final rmmod"

dmesg | grep -i rbnn | tail -n 20 | sed 's/^/# dmesg: /'
echo "# Totals: pass:$npass fail:$nfail xfail:0 xpass:0 skip:$nskip error:0"
[ "$nfail" -eq 0 ]
