#!/bin/sh
# shellcheck shell=dash # busybox ash
# Guest test: the rbnn uAPI negative matrix (uapi_neg_test: every ioctl with
# one bad argument per KTAP line, errno and "nothing changed" checked) and
# the success paths / isolation between files and processes
# (isolation_test), on a bit-exact card. The tests that hold jobs pending
# behind a fence use vgem (loaded through the vm-modules line).
#
# vm-qemu: -device rbnn,error-model=off,seed=11
# vm-modules: vgem
# vm-timeout: 150
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/uapi_neg_test
# vm-bin: build/selftests/rbnn/isolation_test
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
sel_run uapi_neg_test
sel_run isolation_test
exit $rc
