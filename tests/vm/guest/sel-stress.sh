#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
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
# vm-file: tests/vm/guest-lib/sel-run.sh
set -u
# shellcheck source-path=SCRIPTDIR source=../guest-lib/sel-run.sh
. /tests/vm/guest-lib/sel-run.sh
sel_run stress_test
sel_run bench
exit $rc
