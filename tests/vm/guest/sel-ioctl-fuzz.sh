#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: the random ioctl fuzzer (rbnn_ioctl_fuzz, issue 12 item 3) on
# one bit-exact card: RBNN_FUZZ_PROCS worker processes (default 3), each
# with 3 files of its own plus one file shared by all, make RBNN_FUZZ_CALLS
# calls in all (default 200000) of every rbnn ioctl and the DRM core ioctls
# a client uses, with mostly-valid arguments of which about half are
# mutated; jobs are held behind vgem fences now and then. Fails on a worker
# killed by a signal, a call hung for 30 s, an undocumented errno or job
# status, a wait with a past deadline that does not poll, a tile or a job
# left behind once everything is closed, or a fresh file that no longer
# computes the reference answer (and, as every VM test, on any Oops, WARN,
# KASAN or lockdep report). RBNN_FUZZ_SEED (default 1) picks the run. The
# fuzzer stops itself after RBNN_FUZZ_MAX_S seconds (default 200, under the
# VM's limit) and then fails all_calls_made, so a kernel too slow for the
# count still reports what it saw. Measured here (2 shared Xeon cores,
# stock 6.12, TCG): 200000 calls in 55-66 s, 65-72 s with the boot, of
# which the current driver's past-deadline waits that block (10 s each,
# until vgem's fence times out) take about half: 30 s (40 s) without them
# (--no-gates). Set the variables with run-vm.sh --env, e.g. on a debug
# kernel 3-5 times slower:
#   tests/vm/run-vm.sh sel-ioctl-fuzz --env RBNN_FUZZ_CALLS=60000
# tests/vm/fuzz-ioctl.sh runs it for millions of calls.
#
# vm-qemu: -device rbnn,error-model=off,seed=71
# vm-modules: vgem
# vm-timeout: 240
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/rbnn_ioctl_fuzz
# vm-file: tests/vm/guest-lib/sel-run.sh
set -u
# shellcheck source-path=SCRIPTDIR source=../guest-lib/sel-run.sh
. /tests/vm/guest-lib/sel-run.sh
# On the debug kernel (KASAN, lockdep, 4 vCPUs on 2 host cores: about 5x
# slower) a quarter of the calls, with the time to make them.
calls=200000 max_s=${RBNN_FUZZ_MAX_S:-200}
if [ "${RBNN_VM_DEBUG:-0}" = 1 ]; then
	calls=50000 max_s=${RBNN_FUZZ_MAX_S:-800}
fi
# shellcheck disable=SC2086 # RBNN_FUZZ_ARGS: more options, split
sel_run rbnn_ioctl_fuzz --seed "${RBNN_FUZZ_SEED:-1}" \
	--calls "${RBNN_FUZZ_CALLS:-$calls}" --procs "${RBNN_FUZZ_PROCS:-3}" \
	--max-seconds "$max_s" ${RBNN_FUZZ_ARGS:-}
exit $rc
