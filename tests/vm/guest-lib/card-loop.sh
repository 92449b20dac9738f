# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash; sourced by the guest tests that keep
# bnn-run busy on the card across a sleep or a reset (rbnn-pm.sh,
# rbnn-s3.sh; they copy it into the guest with
# "# vm-file: tests/vm/guest-lib/card-loop.sh"). They set REC (the record)
# and write the model /tmp/ecg.bnn and the cpu backend's predictions
# /tmp/cpu.csv first.
#
# bnn-run on the card, 16 beats per EXEC (about 140 jobs, several in
# flight at any time), over and over in the background until told to stop:
# the sleep or reset always lands in the middle of a run. Each run must
# give the cpu backend's predictions; the loop stops at the first that
# does not, and its status says how many runs it made.
run_card() { # TAG
	/bin/bnn-run -m /tmp/ecg.bnn -b rbnn -B 16 --queue 8 -q -p "/tmp/$1.csv" \
		"$REC" >"/tmp/$1.out" 2>&1
}
same() { # TAG
	if cmp -s /tmp/cpu.csv "/tmp/$1.csv"; then return 0; fi
	sed 's/^/    /' "/tmp/$1.out" | tail -n 5
	return 1
}
loop_card() { # TAG: runs until /tmp/stop exists, at least one after it
	local n=0
	rm -f /tmp/stop
	while :; do
		last=0
		[ -e /tmp/stop ] && last=1
		if ! run_card "$1" || ! same "$1"; then
			echo "run $n failed" >"/tmp/$1.loop"
			return 1
		fi
		n=$((n + 1))
		[ "$last" -eq 1 ] && break
	done
	echo "$n runs" >"/tmp/$1.loop"
}
