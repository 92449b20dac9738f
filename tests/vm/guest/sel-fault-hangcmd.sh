#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: the card's x-fault-hang-cmd property: the 5th command fetched
# since power-on hangs; that job ends with -ETIMEDOUT, its file is banned,
# another file works (fault_test hang_cmd_property).
#
# vm-qemu: -device rbnn,error-model=off,x-fault-hang-cmd=5
# vm-env: RBNN_HANG_CMD=5
# vm-timeout: 90
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/fault_test
# vm-file: tests/vm/guest-lib/sel-run.sh
set -u
# shellcheck source-path=SCRIPTDIR source=../guest-lib/sel-run.sh
. /tests/vm/guest-lib/sel-run.sh
sel_run fault_test -t hang_cmd_property
exit $rc
