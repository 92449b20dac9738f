#!/bin/sh
# shellcheck shell=dash # busybox ash
# Guest test: concurrency (stress_test): processes with their own files and
# threads sharing one file submit many small EXEC jobs of random networks,
# results checked against the reference; tile churn next to them. Then the
# benchmark (bench: prints numbers, never fails). Bit-exact card.
#
# vm-qemu: -device rbnn,error-model=off,seed=21
# vm-env: RBNN_STRESS_PROCS=6
# vm-env: RBNN_STRESS_JOBS=160
# vm-timeout: 180
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/stress_test
# vm-bin: build/selftests/rbnn/bench
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
sel_run stress_test
sel_run bench
exit $rc
