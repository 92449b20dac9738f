#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: the random ioctl fuzzer (rbnn_ioctl_fuzz) as in
# sel-ioctl-fuzz.sh, with a card reset (debugfs force_reset, the driver's
# hang recovery without a guilty job) every RBNN_FUZZ_RESET_EVERY calls of
# all workers together (default 2000): jobs on the card end -ECANCELED,
# the others run, nothing is lost, every reset is one recovery and no other
# recovery happens. RBNN_FUZZ_CALLS (default 60000), RBNN_FUZZ_SEED
# (default 2), RBNN_FUZZ_PROCS (default 3).
#
# vm-qemu: -device rbnn,error-model=off,seed=72
# vm-modules: vgem
# vm-timeout: 200
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/rbnn_ioctl_fuzz
# vm-file: tests/vm/guest-lib/sel-run.sh
set -u
# shellcheck source-path=SCRIPTDIR source=../guest-lib/sel-run.sh
. /tests/vm/guest-lib/sel-run.sh
# On the debug kernel (KASAN, lockdep, 4 vCPUs on 2 host cores: about 5x
# slower) a quarter of the calls, with the time to make them.
calls=60000 max_s=${RBNN_FUZZ_MAX_S:-160}
if [ "${RBNN_VM_DEBUG:-0}" = 1 ]; then
	calls=20000 max_s=${RBNN_FUZZ_MAX_S:-640}
fi
# shellcheck disable=SC2086 # RBNN_FUZZ_ARGS: more options, split
sel_run rbnn_ioctl_fuzz --seed "${RBNN_FUZZ_SEED:-2}" \
	--calls "${RBNN_FUZZ_CALLS:-$calls}" --procs "${RBNN_FUZZ_PROCS:-3}" \
	--reset-every "${RBNN_FUZZ_RESET_EVERY:-2000}" \
	--max-seconds "$max_s" ${RBNN_FUZZ_ARGS:-}
exit $rc
