#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Run libFuzzer targets for a bounded time each and report TAP.
#   tests/fuzz/run.sh SECONDS WORKDIR FUZZER[:SEEDCMD]...
# A fuzzer passes when it ran the whole time without a crash, leak or
# timeout (libFuzzer exits non-zero and leaves a crash-* artifact then).
# A target fuzz_NAME with a folder tests/fuzz/corpus/NAME in the tree
# (seeds and the inputs of crashes found and fixed) starts from it too:
# libFuzzer runs every input there first, so a regression fails the run.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
secs=$1 work=$2
shift 2
echo "TAP version 13"
echo "1..$#"
n=0 bad=0
for f in "$@"; do
	n=$((n + 1))
	name=$(basename "$f")
	corpus=$work/corpus-$name
	mkdir -p "$corpus"
	log=$work/$name.log
	# Targets that know how to write seeds do so with -seeds=DIR.
	"$f" -seeds="$corpus" -runs=0 >/dev/null 2>&1 || true
	tree=$here/corpus/${name#fuzz_}
	[ -d "$tree" ] || tree=
	if "$f" -max_total_time="$secs" -max_len=16384 -timeout=10 \
		-rss_limit_mb=2048 -artifact_prefix="$work/$name-" \
		"$corpus" ${tree:+"$tree"} >"$log" 2>&1; then
		runs=$(grep -oE 'Done [0-9]+ runs' "$log" | tail -n1)
		echo "ok $n - $name: ${runs:-ran} in ${secs} s"
	else
		bad=$((bad + 1))
		echo "not ok $n - $name: see $log"
		grep -E 'ERROR|SUMMARY|artifact' "$log" | head -n 5 | sed 's/^/# /'
	fi
done
[ "$bad" -eq 0 ]
