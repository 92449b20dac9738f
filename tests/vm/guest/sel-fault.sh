#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
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
# vm-qemu: -device rbnn,error-model=off,x-debug=on,seed=41
# vm-modules: vgem
# vm-timeout: 150
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/fault_test
# vm-file: tests/vm/guest-lib/sel-run.sh
set -u
# shellcheck source-path=SCRIPTDIR source=../guest-lib/sel-run.sh
. /tests/vm/guest-lib/sel-run.sh
sel_run fault_test -T hang_cmd_property -T dma_every_and_irq_every_properties
exit $rc
