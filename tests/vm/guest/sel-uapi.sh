#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: the rbnn uAPI negative matrix (uapi_neg_test: every ioctl with
# one bad argument per KTAP line, errno and "nothing changed" checked) and
# the success paths / isolation between files and processes
# (isolation_test), on a bit-exact card. The tests that hold jobs pending
# behind a fence use vgem (loaded through the vm-modules line).
#
# vm-qemu: -device rbnn,error-model=off,seed=11
# vm-env: RBNN_SEL_SEED=11
# vm-modules: vgem
# vm-timeout: 150
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/uapi_neg_test
# vm-bin: build/selftests/rbnn/isolation_test
# vm-file: tests/vm/guest-lib/sel-run.sh
set -u
# shellcheck source-path=SCRIPTDIR source=../guest-lib/sel-run.sh
. /tests/vm/guest-lib/sel-run.sh
sel_run uapi_neg_test
sel_run isolation_test
exit $rc
