#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
#
# test_qrs_eval.sh - bnn-qrs-eval's command line: --fs refuses rates it
# cannot use with its message and exit status 2, and --fs resamples (a
# synthetic record at 360 Hz, its beats found at 128 Hz).  TAP, for
# tests/run-tap.sh.
#
#   tests/unit/test_qrs_eval.sh [BNN_QRS_EVAL]
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
EV=${1:-$repo/build/tools/bnn-qrs-eval}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-qrs-eval.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

n=0 bad=0
check() { # DESCRIPTION COMMAND...
	local d=$1
	shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; bad=$((bad + 1)); fi
}
refuses() { # VALUE
	"$EV" --data "$tmp" --fs "$1" >"$tmp/out" 2>"$tmp/err"
	[ $? -eq 2 ] && grep -q '^bnn-qrs-eval: --fs wants a rate in Hz, 50 to 100000$' "$tmp/err"
}
for v in 10 0 -360 abc 360x 1e9 nan; do
	check "--fs $v: refused, exit 2, with the message" refuses "$v"
done

# A record: 60 s at 360 Hz, a 1-mV spike every second (format 16), its
# beats annotated as N (MIT format: type 1, time differences).
python3 - "$tmp" <<'PY'
import struct, sys
d = sys.argv[1]
fs, n = 360, 360 * 60
x = [0] * n
beats = list(range(180, n - 180, 360))
for b in beats:
    for k, v in ((-2, 100), (-1, 400), (0, 1000), (1, 400), (2, 100)):
        x[b + k] = v
with open(d + "/syn.dat", "wb") as f:
    f.write(struct.pack("<%dh" % n, *x))
with open(d + "/syn.hea", "w") as f:
    f.write("syn 1 %d %d\nsyn.dat 16 1000 16 0 0 0 0 MLII\n" % (fs, n))
with open(d + "/syn.atr", "wb") as f:
    last = 0
    for b in beats:
        f.write(struct.pack("<H", (1 << 10) | (b - last)))
        last = b
    f.write(b"\0\0")
PY
fs_row() { # RATE
	"$EV" --data "$tmp" --ann atr --fs "$1" syn >"$tmp/out" 2>"$tmp/err" &&
		grep -q "^| syn | $1 | 59 | 59 | 0 | 0 |" "$tmp/out"
}
check "--fs 128: the 59 beats of a 360 Hz record found at 128 Hz" fs_row 128
check "--fs 360 (the record's rate): the same beats" fs_row 360
echo "1..$n"
[ "$bad" -eq 0 ]
