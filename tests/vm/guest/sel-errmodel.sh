#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: the error model through the uAPI (errmodel_test): readback bit
# error rates within statistical bounds of the model's BER, weak vs strong
# programming, program-and-verify, drift over an emulated year and scrub.
# Three cards: 2T2R at the default 100 uA (x-debug=on for age_advance_s), 2T2R
# whose default current is a weak 20 uA, 1T1R.
#
# vm-qemu: -device rbnn,seed=31,x-debug=on
# vm-qemu: -device rbnn,seed=32,prog-current-ua=20
# vm-qemu: -device rbnn,seed=33,cell-mode=1t1r
# vm-timeout: 150
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/errmodel_test
# vm-file: tests/vm/guest-lib/sel-run.sh
set -u
# shellcheck source-path=SCRIPTDIR source=../guest-lib/sel-run.sh
. /tests/vm/guest-lib/sel-run.sh
sel_run errmodel_test
exit $rc
