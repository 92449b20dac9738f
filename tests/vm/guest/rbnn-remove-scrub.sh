#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash: POSIX sh plus local
# Guest test (busybox sh): orderly removal of a card while an
# administrator's debugfs scrub waits for a job that hangs on the card.
# drm_dev_unplug() waits for debugfs writers, so remove() must end the
# scrub's job first (it quiesces the card before the unplug); without that
# the removal hangs for good. The kernel log must stay clean (the harness
# checks); prints KTAP, exits 1 on failure.
#
# vm-qemu: -device rbnn,error-model=off,x-debug=on
# vm-ko: kernel/rbnn.ko
# vm-bin: build/selftests/rbnn/rbnn_smoke
# vm-timeout: 150
# vm-file: tests/vm/guest-lib/ktap.sh
set -u

# shellcheck source-path=SCRIPTDIR source=../guest-lib/ktap.sh
. /tests/vm/guest-lib/ktap.sh
diag() { echo "# $*"; }

wait_for() { # SECONDS TEST-EXPRESSION...
	local n=$(($1 * 10)) i=0
	shift
	while ! "$@" && [ $i -lt "$n" ]; do
		sleep 0.1
		i=$((i + 1))
	done
	"$@"
}
gone() { ! kill -0 "$1" 2>/dev/null; }
have_node() { [ -e /dev/accel/accel0 ]; }

echo "KTAP version 1"
echo "1..6"

# A long watchdog: the hung scrub job stays on the card until the removal.
rmmod rbnn && modprobe rbnn job_timeout_ms=60000 && wait_for 10 have_node
result $? "rbnn reloaded with job_timeout_ms=60000"
bdf=$(basename "$(readlink -f /sys/class/accel/accel0/device)")
dbg=/sys/kernel/debug/accel/$bdf
[ -d "$dbg" ] || dbg=/sys/kernel/debug/accel/0
diag "card at $bdf, debugfs $dbg"

# The next command the card fetches hangs: the scrub's REFRESH of tile 0.
echo 1 >"$dbg/fault"
(echo 0 >"$dbg/scrub") 2>/tmp/scrub.err &
scrub=$!
sleep 2
! gone "$scrub"
result $? "the scrub write waits for its hung job"

(echo 1 >"/sys/bus/pci/devices/$bdf/remove") &
remove=$!
wait_for 30 gone "$remove"
result $? "the removal finished within 30 s"
wait_for 5 gone "$scrub"
rc=$?
diag "scrub write: $(tr '\n' ' ' </tmp/scrub.err 2>/dev/null)"
result $rc "the scrub write returned"
wait_for 10 eval '! have_node'
result $? "accel node gone"

echo 1 >/sys/bus/pci/rescan
wait_for 10 have_node &&
	/bin/rbnn_smoke -t query -t program_readback >/tmp/smoke.out 2>&1
rc=$?
sed 's/^/    /' /tmp/smoke.out
result "$rc" "the rescanned card works"

echo "# Totals: pass:$npass fail:$nfail xfail:0 xpass:0 skip:0 error:0"
[ "$nfail" -eq 0 ]
