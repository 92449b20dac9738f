#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# Run only the test engineer's guest tests (tests/vm/guest/sel-*.sh), or the
# named ones, through the VM tier: a thin wrapper around tests/vm/run.sh,
# which also runs them as part of the whole tier (make test). Each script's
# header says what it needs (vgem through "# vm-modules: vgem"); run.sh
# builds the module and every selftest program (tests/vm/build-guest.sh).
# Prints one line per guest test and "vm: N passed, N failed, N skipped";
# the KTAP of each is in LOGDIR/N-run-vm.sh.log, the VM logs in
# LOGDIR/<test>/.
#
#   tests/selftests/rbnn/vm-sel.sh [LOGDIR] [sel-NAME...]
#
# LOGDIR defaults to build/vm-sel. RBNN_QEMU as for tests/vm/run-vm.sh.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../../.." && pwd)
logdir=${1:-$TOP/build/vm-sel}
[ $# -gt 0 ] && shift

tests=("$@")
if [ ${#tests[@]} -eq 0 ]; then
	for t in "$TOP"/tests/vm/guest/sel-*.sh; do tests+=("$(basename "$t" .sh)"); done
fi
exec "$TOP/tests/vm/run.sh" "$logdir" "${tests[@]}"
