#!/bin/sh
# shellcheck shell=dash # busybox ash
# Guest test: the error model through the uAPI (errmodel_test): readback bit
# error rates within statistical bounds of the model's BER, weak vs strong
# programming, program-and-verify, drift over an emulated year and scrub.
# Three cards: 2T2R at the default 100 uA (debug=on for age_advance_s), 2T2R
# whose default current is a weak 20 uA, 1T1R.
#
# vm-qemu: -device rbnn,seed=31,debug=on
# vm-qemu: -device rbnn,seed=32,prog-current-ua=20
# vm-qemu: -device rbnn,seed=33,cell-mode=1t1r
# vm-timeout: 150
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/errmodel_test
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
sel_run errmodel_test
exit $rc
