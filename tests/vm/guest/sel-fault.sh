#!/bin/sh
# shellcheck shell=dash # busybox ash
# Guest test: fault handling (fault_test) through the driver's debugfs hooks
# on a card with debug registers: a hung command (the guilty file banned,
# the other file unharmed, the card recovered), DMA faults (only that job
# fails; a failed PROGRAM invalidates its rows; failed in-sync dependencies
# along syncobj chains, sync files and timeline points, held pending by a
# vgem fence), a dropped interrupt (the job still completes), stuck cells
# (readback and EXEC show them), a reset forced under load, the test
# interrupt.
#
# vm-qemu: -device rbnn,error-model=off,debug=on,seed=41
# vm-modules: vgem
# vm-timeout: 150
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
sel_run fault_test -T hang_cmd_property -T dma_every_and_irq_every_properties
exit $rc
