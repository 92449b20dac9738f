#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: the card's x-fault-dma-every and x-fault-irq-every properties:
# exactly every 7th data command fails with a DMA error (only those jobs
# fail, -EIO), every 5th MSI-X message is dropped (no job is lost)
# (fault_test dma_every_and_irq_every_properties).
#
# vm-qemu: -device rbnn,error-model=off,x-fault-dma-every=7,x-fault-irq-every=5
# vm-env: RBNN_DMA_EVERY=7
# vm-env: RBNN_IRQ_EVERY=5
# vm-timeout: 90
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/fault_test
# vm-file: tests/vm/guest-lib/sel-run.sh
set -u
# shellcheck source-path=SCRIPTDIR source=../guest-lib/sel-run.sh
. /tests/vm/guest-lib/sel-run.sh
sel_run fault_test -t dma_every_and_irq_every_properties
exit $rc
