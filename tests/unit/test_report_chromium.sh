#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
#
# test_report_chromium.sh - the --report page of a DS2 run (all 22 records
# of the MIT-BIH inter-patient test set, the shipped ECG model) rendered
# by headless Chromium (Debian's chromium, scripts/deps.sh report): the
# screenshot exists and is not blank, and the DOM Chromium built has the
# counts of bnn-run --json (items, confusion matrix, accuracy, per-record
# beats) and the strips the per-record table promises.  TAP, for
# tests/run-tap.sh (make test-report).
#
#   tests/unit/test_report_chromium.sh [BNN_RUN]
#
# As root Chromium's sandbox cannot start: --no-sandbox then (the page is
# our own, no network).  RBNN_REPORT_RECORDS="100 101" runs those records
# instead of DS2.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUN=${1:-${BNN_RUN:-$repo/build/tools/bnn-run}}
DATA=${RBNN_DATA:-$repo/../shared/data}
PY=${PYTHON:-python3}
CHROMIUM=${CHROMIUM:-chromium}
# shellcheck source-path=SCRIPTDIR source=tap-scratch.sh
. "$here/tap-scratch.sh"
abspath RUN
export RBNN_DATA=$DATA

scratch test-report-chromium

notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	for f in err chrome.err py.err; do
		[ -s $f ] && tail -n 8 $f | sed "s/^/#   $f: /"
	done
	return 0
}
# el T0 T1: seconds between two `date +%s%N`, one decimal.
el() { local d=$((($2 - $1) / 100000000)); echo "$((d / 10)).$((d % 10))"; }

if ! command -v "$CHROMIUM" >/dev/null; then
	echo "1..1"
	echo "not ok 1 - no $CHROMIUM (scripts/deps.sh report installs it)"
	exit 1
fi
if [ ! -d "$DATA/mitdb" ]; then
	skip "DS2 report in Chromium" "no MIT-BIH under $DATA/mitdb"
	echo "1..$n"
	exit 0
fi
inputs=${RBNN_REPORT_RECORDS:-DS2}
sandbox=
[ "$(id -u)" -ne 0 ] || sandbox=--no-sandbox
# No profile of the user's, no first-run work, no network.
chrome() {
	timeout 120 "$CHROMIUM" --headless $sandbox --disable-gpu \
		--user-data-dir="$tmp/profile" --no-first-run \
		--disable-extensions --disable-background-networking \
		--hide-scrollbars "$@" 2>>chrome.err
}

t0=$(date +%s%N)
# shellcheck disable=SC2086 # $inputs: record names, split on purpose
"$RUN" -m "$repo/models/ecg-bin-full.bnn" -q --json --report rep $inputs >run.json 2>err
rc=$?
t1=$(date +%s%N)
[ "$rc" -eq 0 ] && [ -s rep/index.html ] &&
	ok "bnn-run --report on $inputs ($(el $t0 $t1) s, page $(($(stat -c %s rep/index.html) / 1024)) KiB)" ||
	notok "bnn-run --report on $inputs (exit $rc)"

chrome --dump-dom "file://$tmp/rep/index.html" >dom.html
t2=$(date +%s%N)
[ -s dom.html ] && grep -q '</html>' dom.html &&
	ok "chromium --dump-dom ($(el $t1 $t2) s)" ||
	notok "chromium --dump-dom"

if "$PY" - "$here/report_parse.py" dom.html run.json >py.err 2>&1 <<'EOF'
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("rp", sys.argv[1])
rp = importlib.util.module_from_spec(spec); spec.loader.exec_module(rp)
p = rp.parse(sys.argv[2])
d = json.load(open(sys.argv[3]))
m, k = d["metrics"], p["k"]
def eq(a, b, what):
    if a != b:
        sys.exit("%s: page %r, --json %r" % (what, a, b))
eq(int(k["items"]), d["data"]["items"], "items")
eq(int(k["labelled"]), d["data"]["labelled"], "labelled")
eq(int(k["correct"]), m["correct"], "correct")
eq(k["accuracy"], "%.2f" % (100 * m["accuracy"]), "accuracy")
eq(p["cm"], {"%d,%d" % (t, q): v for t, r in enumerate(m["confusion"])
             for q, v in enumerate(r)}, "confusion matrix")
eq(sorted(p["rows"]), sorted(s["name"] for s in d["data"]["sources"]), "records")
for s in d["data"]["sources"]:
    eq(int(p["rows"][s["name"]]["items"]), s["items"], "beats of " + s["name"])
shown = sum(int(r["strips"]) for r in p["rows"].values())
eq(len(p["figures"]), shown, "strips drawn")
eq(p["svg_paths"], shown, "traces")
if not shown or any(int(r["strips"]) > 12 for r in p["rows"].values()):
    sys.exit("strips: %d, want 1..12 per record" % shown)
print("%d beats, %d records, accuracy %s %%, %d strips, %s left out" % (
    d["data"]["items"], len(p["rows"]), k["accuracy"], shown, k["strips-left"]))
EOF
then
	ok "the rendered DOM's counts are those of --json ($(tail -n 1 py.err))"
else
	notok "the rendered DOM's counts are those of --json"
fi

chrome --window-size=1280,2000 --screenshot="$tmp/shot.png" "file://$tmp/rep/index.html" >/dev/null
t3=$(date +%s%N)
# Decode the PNG (zlib only) and count what is not background.
if [ -s shot.png ] && "$PY" - shot.png >py.err 2>&1 <<'EOF'
import struct, sys, zlib
b = open(sys.argv[1], "rb").read()
if b[:8] != b"\x89PNG\r\n\x1a\n":
    sys.exit("not a PNG")
pos, idat, w = 8, b"", 0
while pos < len(b):
    ln, typ = struct.unpack(">I4s", b[pos:pos + 8])
    body = b[pos + 8:pos + 8 + ln]
    if typ == b"IHDR":
        w, h, depth, ctype = struct.unpack(">IIBB", body[:10])
        bpp = {2: 3, 6: 4}[ctype]
        if depth != 8:
            sys.exit("depth %d" % depth)
    elif typ == b"IDAT":
        idat += body
    pos += 12 + ln
raw, stride = zlib.decompress(idat), w * bpp
prev, dark, colours = bytearray(stride), 0, set()
for y in range(h):
    f, line = raw[y * (stride + 1)], bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
    for i in range(stride):
        a = line[i - bpp] if i >= bpp else 0
        c = prev[i - bpp] if i >= bpp else 0
        u = prev[i]
        if f == 1: line[i] = (line[i] + a) & 255
        elif f == 2: line[i] = (line[i] + u) & 255
        elif f == 3: line[i] = (line[i] + (a + u) // 2) & 255
        elif f == 4:
            pa, pb, pc = abs(u - c), abs(a - c), abs(a + u - 2 * c)
            line[i] = (line[i] + (a if pa <= pb and pa <= pc else u if pb <= pc else c)) & 255
    if y % 4 == 0:
        for x in range(0, w, 2):
            px = tuple(line[x * bpp:x * bpp + 3])
            colours.add(px)
            dark += sum(px) < 300
    prev = line
if dark < 2000 or len(colours) < 8:
    sys.exit("blank: %d dark samples, %d colours" % (dark, len(colours)))
print("%dx%d, %d dark samples, %d colours" % (w, h, dark, len(colours)))
EOF
then
	ok "screenshot is not blank ($(tail -n 1 py.err); $(el $t2 $t3) s)"
else
	notok "screenshot is not blank"
fi
cp shot.png "${RBNN_REPORT_SHOT:-/dev/null}" 2>/dev/null
echo "1..$n"
