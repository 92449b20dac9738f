#!/bin/sh
# shellcheck shell=dash # busybox ash
# Guest test: the card's fault-dma-every and fault-irq-every properties:
# exactly every 7th data command fails with a DMA error (only those jobs
# fail, -EIO), every 5th MSI-X message is dropped (no job is lost)
# (fault_test dma_every_and_irq_every_properties).
#
# vm-qemu: -device rbnn,error-model=off,fault-dma-every=7,fault-irq-every=5
# vm-env: RBNN_DMA_EVERY=7
# vm-env: RBNN_IRQ_EVERY=5
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
sel_run fault_test -t dma_every_and_irq_every_properties
exit $rc
