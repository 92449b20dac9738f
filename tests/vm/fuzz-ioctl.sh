#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# A long run of the rbnn ioctl fuzzer (tests/selftests/rbnn/rbnn_ioctl_fuzz)
# in one TCG boot: the guest test tests/vm/guest/sel-ioctl-fuzz.sh (or
# another one of its variants) with CALLS calls and SEED, and a wall-clock
# limit that fits CALLS. Prints the fuzzer's KTAP on stdout; the exit status
# is run-vm.sh's (0 only for a clean pass: no failed check, no Oops, WARN,
# KASAN or lockdep report in the guest's log).
#
#   tests/vm/fuzz-ioctl.sh CALLS [SEED]          e.g. 5000000 (make fuzz)
#   tests/vm/fuzz-ioctl.sh --no-build CALLS [SEED]
#
# SEED defaults to the date (YYYYMMDD), printed first so that a failure can
# be rerun. Environment:
#   RBNN_FUZZ_TEST     the guest test (default sel-ioctl-fuzz; also
#                      sel-ioctl-fuzz-reset, sel-ioctl-fuzz-unplug)
#   RBNN_FUZZ_PROCS    worker processes (default: the guest test's)
#   RBNN_FUZZ_RATE     calls per second assumed for the limit (default 1000;
#                      the stock kernel makes 3000-6000 on this kind of
#                      machine, a KASAN kernel 3-5 times fewer)
#   RBNN_FUZZ_TIMEOUT  the wall-clock limit in seconds, instead
#   RBNN_VM_LOGROOT    where the logs go (default build/vm-logs): the run's
#                      are in <root>/fuzz-ioctl-SEED/
# and what tests/vm/run-vm.sh takes (RBNN_QEMU, RBNN_CACHE).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)

build=1
if [ "${1:-}" = --no-build ]; then
	build=0
	shift
fi
case ${1:-} in
'' | *[!0-9]*) sed -n '3,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
calls=$1
seed=${2:-$(date +%Y%m%d)}
test=${RBNN_FUZZ_TEST:-sel-ioctl-fuzz}
rate=${RBNN_FUZZ_RATE:-1000}
timeout=${RBNN_FUZZ_TIMEOUT:-$((120 + calls / rate))}
# The fuzzer stops itself a minute before the limit, to report what it saw.
maxs=$((timeout > 180 ? timeout - 60 : timeout * 2 / 3))

echo "fuzz-ioctl: $test, $calls calls, seed $seed, limit ${timeout}s" >&2
if [ "$build" -eq 1 ]; then
	"$TOP/tests/vm/build-guest.sh" >/dev/null
fi
envs=(--env "RBNN_FUZZ_CALLS=$calls" --env "RBNN_FUZZ_SEED=$seed"
	--env "RBNN_FUZZ_MAX_S=$maxs")
[ -z "${RBNN_FUZZ_PROCS:-}" ] || envs+=(--env "RBNN_FUZZ_PROCS=$RBNN_FUZZ_PROCS")
logroot=${RBNN_VM_LOGROOT:-$TOP/build/vm-logs}
exec "$HERE/run-vm.sh" "$test" "${envs[@]}" --timeout "$timeout" \
	--logdir "$logroot/fuzz-ioctl-$seed"
