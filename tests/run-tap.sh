#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Run test programs that print TAP and summarise them.
#
#   tests/run-tap.sh SUITE-NAME LOGDIR -- CMD [ARGS...] [--- CMD [ARGS...]]...
#
# Each command's TAP output goes to LOGDIR/<n>.log. A command passes when it
# exits 0 and reports no "not ok". Prints one line per command and, last,
# "<suite>: N passed, N failed, N skipped" counting individual test cases.
set -uo pipefail

suite=$1 logdir=$2
shift 2
[ "${1:-}" = "--" ] && shift
mkdir -p "$logdir"

pass=0 fail=0 skip=0 bad_progs=0 n=0
run_one() {
	n=$((n + 1))
	local log="$logdir/$n-$(basename "$1").log" rc p f s
	"$@" >"$log" 2>&1
	rc=$?
	# cmocka reports a skip as "not ok N # SKIP", glib as "ok N # SKIP".
	p=$(grep -E '^ok [0-9]+' "$log" | grep -cvE '# *(SKIP|skip)' | tr -d ' ')
	s=$(grep -cE '^(not )?ok [0-9]+.*# *(SKIP|skip)' "$log" | tr -d ' ')
	f=$(grep -E '^not ok [0-9]+' "$log" | grep -cvE '# *(SKIP|skip)' | tr -d ' ')
	pass=$((pass + p)) fail=$((fail + f)) skip=$((skip + s))
	if [ "$rc" -ne 0 ] || [ "$f" -ne 0 ] || [ $((p + s)) -eq 0 ]; then
		bad_progs=$((bad_progs + 1))
		# A program that crashed or ran nothing counts as one failure.
		[ "$f" -eq 0 ] && fail=$((fail + 1))
		printf '  FAIL %-40s (exit %d, %d ok, %d not ok) log: %s\n' "$*" "$rc" "$p" "$f" "$log"
		grep -E '^not ok|ERROR|runtime error|AddressSanitizer|LeakSanitizer' "$log" | head -n 20 | sed 's/^/       /'
	else
		printf '  ok   %-40s (%d passed, %d skipped)\n' "$*" "$p" "$s"
	fi
	grep -E '^(not )?ok [0-9]+.*# *(SKIP|skip)' "$log" | sed 's/^/       /'
}

cmd=()
for a in "$@"; do
	if [ "$a" = "---" ]; then
		[ ${#cmd[@]} -gt 0 ] && run_one "${cmd[@]}"
		cmd=()
	else
		cmd+=("$a")
	fi
done
[ ${#cmd[@]} -gt 0 ] && run_one "${cmd[@]}"

echo "$suite: $pass passed, $fail failed, $skip skipped"
mkdir -p "$(dirname "$logdir")"
echo "$pass $fail $skip" >"$logdir/summary"
[ "$bad_progs" -eq 0 ]
