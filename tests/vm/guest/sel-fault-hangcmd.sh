#!/bin/sh
# shellcheck shell=dash # busybox ash
# Guest test: the card's fault-hang-cmd property: the 5th command fetched
# since power-on hangs; that job ends with -ETIMEDOUT, its file is banned,
# another file works (fault_test hang_cmd_property).
#
# vm-qemu: -device rbnn,error-model=off,fault-hang-cmd=5
# vm-env: RBNN_HANG_CMD=5
# vm-timeout: 90
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/fault_test
set -u
rc=0
sel_run() { # BINARY ARGS...: its KTAP passes through; rc=1 if it failed
	b=$1
	shift
	if [ -x "/bin/$b" ]; then
		"/bin/$b" "$@"
		r=$?
		[ "$r" -eq 0 ] || [ "$r" -eq 4 ] || rc=1
	else
		echo "TAP version 13"
		echo "1..1"
		echo "ok 1 $b # SKIP /bin/$b not in the initramfs (run-vm.sh --bin)"
	fi
}
sel_run fault_test -t hang_cmd_property
exit $rc
