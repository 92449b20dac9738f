# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash; sourced by guest tests that print KTAP
# themselves (they copy it into the guest with
# "# vm-file: tests/vm/guest-lib/ktap.sh").
# result STATUS DESCRIPTION: the next KTAP line; STATUS 0 = ok, 4 = skipped
# (ok ... # SKIP), anything else = not ok. The counters t, npass, nfail and
# nskip are the caller's, for its "# Totals:" line and exit status.
# shellcheck disable=SC2034 # the counters are read by the caller
t=0 npass=0 nfail=0 nskip=0
result() { # STATUS(0 pass, 4 skip) DESCRIPTION
	t=$((t + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $t $2"
		npass=$((npass + 1))
	elif [ "$1" -eq 4 ]; then
		echo "ok $t $2 # SKIP"
		nskip=$((nskip + 1))
	else
		echo "not ok $t $2"
		nfail=$((nfail + 1))
	fi
}
# wait_node PATH: up to 5 s for a device node to appear (the cards' nodes
# come after the module's probe, asynchronously).
wait_node() {
	local i=0
	while [ ! -e "$1" ] && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
}
