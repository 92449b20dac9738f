#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Run libFuzzer targets for a bounded time each and report TAP.
#   tests/fuzz/run.sh [--cpu] SECONDS WORKDIR FUZZER[:SEEDCMD]...
# SECONDS is wall-clock time (libFuzzer's -max_total_time), or with --cpu
# the CPU time (user + system) of the fuzzer processes: on a shared
# machine wall time gives a fuzzer less CPU than it says. --cpu runs the
# fuzzer in chunks of wall time no longer than the CPU time left (a
# single-threaded process gets at most one CPU-second per second), adds
# up each chunk's CPU time from bash's `time`, and starts another until
# the budget is spent; the corpus folder keeps what each chunk found.
# A fuzzer passes when it ran the whole time without a crash, leak or
# timeout (libFuzzer exits non-zero and leaves a crash-* artifact then).
# A target fuzz_NAME with a folder tests/fuzz/corpus/NAME in the tree
# (seeds and the inputs of crashes found and fixed) starts from it too:
# libFuzzer runs every input there first, so a regression fails the run.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cpu=0
if [ "${1:-}" = --cpu ]; then
	cpu=1
	shift
fi
secs=$1 work=$2
shift 2
case $secs in
'' | *[!0-9]* | 0)
	echo "run.sh: SECONDS must be a positive integer (got '$secs')" >&2
	exit 2
	;;
esac
# Longest chunk with --cpu, so that a long budget reports as it goes.
chunk_max=${FUZZ_CHUNK_SECONDS:-600}
echo "TAP version 13"
echo "1..$#"

# run_fuzzer FUZZER WALLSECS LOG CORPUS... : one libFuzzer run; prints
# its CPU milliseconds (user + system) on fd 3.
run_fuzzer() {
	local f=$1 t=$2 log=$3 rc times
	shift 3
	times=$( { TIMEFORMAT='%3U %3S'; time "$f" -max_total_time="$t" \
		-max_len=16384 -timeout=10 -rss_limit_mb=2048 \
		-artifact_prefix="$work/$(basename "$f")-" "$@" \
		>>"$log" 2>&1; } 2>&1 )
	rc=$?
	# "12.345 0.067" -> 12412
	echo "$times" | tail -n1 | awk '{ printf "%d\n", ($1 + $2) * 1000 + 0.5 }' >&3
	return $rc
}

n=0 bad=0
for f in "$@"; do
	n=$((n + 1))
	name=$(basename "$f")
	corpus=$work/corpus-$name
	mkdir -p "$corpus"
	log=$work/$name.log
	: >"$log"
	# Targets that know how to write seeds do so with -seeds=DIR.
	"$f" -seeds="$corpus" -runs=0 >/dev/null 2>&1 || true
	tree=$here/corpus/${name#fuzz_}
	[ -d "$tree" ] || tree=
	used=0 chunks=0 ok=1 start=$SECONDS
	while :; do
		if [ "$cpu" -eq 1 ]; then
			left=$(((secs * 1000 - used + 999) / 1000))
			[ "$left" -gt "$chunk_max" ] && left=$chunk_max
		else
			left=$secs
		fi
		chunks=$((chunks + 1))
		echo "== chunk $chunks: -max_total_time=$left (CPU so far ${used} ms)" >>"$log"
		ms=$(run_fuzzer "$f" "$left" "$log" "$corpus" ${tree:+"$tree"} 3>&1 >/dev/null)
		rc=$?
		used=$((used + ${ms:-0}))
		if [ "$rc" -ne 0 ]; then
			ok=0
			break
		fi
		[ "$cpu" -eq 1 ] && [ "$used" -lt $((secs * 1000)) ] || break
	done
	cpus=$(awk -v m="$used" 'BEGIN { printf "%.1f", m / 1000 }')
	wall=$((SECONDS - start))
	if [ "$ok" -eq 1 ]; then
		runs=$(grep -oE 'Done [0-9]+ runs' "$log" |
			awk '{ s += $2 } END { print s + 0 }')
		echo "ok $n - $name: $runs runs in $cpus CPU-s ($wall s wall, $chunks chunk(s))"
	else
		bad=$((bad + 1))
		echo "not ok $n - $name: failed after $cpus CPU-s in chunk $chunks, see $log"
		grep -E 'ERROR|SUMMARY|artifact' "$log" | head -n 5 | sed 's/^/# /'
	fi
done
[ "$bad" -eq 0 ]
