#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
#
# test_report.sh - bnn-run --report DIR (TAP, for tests/run-tap.sh): on a
# synthetic WFDB record and its EDF+ copy (beats), Bonn-like EEG segments
# (windows), 60 small CSVs and a CSV with a hostile name, the page's
# counts (parsed by report_parse.py) are those of --json, its strips
# those the predictions CSV calls for (misses and calls, at most 12 per
# source, 600 in all), names are HTML-escaped; and
# the failures: DIR a file, a symlink, index.html a symlink, an
# unwritable DIR, a failed run over a good report.
#
#   tests/unit/test_report.sh [BNN_RUN [BNN_MKMODEL]]
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUN=${1:-${BNN_RUN:-$repo/build/tools/bnn-run}}
MK=${2:-${BNN_MKMODEL:-$repo/build/tests/bnn-mkmodel}}
PY=${PYTHON:-python3}
PARSE=$here/report_parse.py
# shellcheck source-path=SCRIPTDIR source=tap-scratch.sh
. "$here/tap-scratch.sh"
abspath RUN MK
scratch test-report

notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	[ -s err ] && head -n 10 err | sed 's/^/#   stderr: /'
	[ -s py.err ] && head -n 10 py.err | sed 's/^/#   check: /'
	return 0
}
AS=()	# a command that runs bnn-run as another user (setpriv ...)

# expect STATUS REGEX DESCRIPTION -- ARGS...: exit status, stderr matches,
# an error is one last line "bnn-run: error: ...".
expect() {
	local want=$1 pat=$2 desc=$3 rc
	shift 3
	[ "${1:-}" = "--" ] && shift
	"${AS[@]}" "$RUN" "$@" >out 2>err
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		notok "$desc (exit $rc, want $want)"
		return 1
	fi
	if [ -n "$pat" ] && ! grep -qE -- "$pat" err; then
		notok "$desc (stderr lacks /$pat/)"
		return 1
	fi
	if [ "$want" -ne 0 ] && { [ "$(grep -c '^bnn-run: error: ' err)" -ne 1 ] ||
	   ! tail -n 1 err | grep -q '^bnn-run: error: '; }; then
		notok "$desc (want exactly one 'bnn-run: error:' line, last)"
		return 1
	fi
	ok "$desc"
}

# page_check DESC DIR JSON PRED: the page in DIR against the --json report
# and the predictions CSV of the same run (see the top).
page_check() {
	local desc=$1
	if "$PY" - "$PARSE" "$2/index.html" "$3" "$4" >py.err 2>&1 <<'EOF'
import csv, importlib.util, json, sys
spec = importlib.util.spec_from_file_location("rp", sys.argv[1])
rp = importlib.util.module_from_spec(spec); spec.loader.exec_module(rp)
p = rp.parse(sys.argv[2])
d = json.load(open(sys.argv[3]))
rows = list(csv.DictReader(open(sys.argv[4])))
m, k = d["metrics"], p["k"]
def eq(a, b, what):
    if a != b:
        sys.exit("%s: page %r, want %r" % (what, a, b))
eq(int(k["items"]), d["data"]["items"], "items")
eq(int(k["labelled"]), d["data"]["labelled"], "labelled")
eq(int(k["correct"]), m["correct"], "correct")
eq(int(k["total"]), m["items"], "total")
eq(k["accuracy"], "%.2f" % (100 * m["accuracy"]), "accuracy")
names = [c["name"] if isinstance(c, dict) else c for c in d["model"]["classes"]]
cm = {"%d,%d" % (t, q): v for t, r in enumerate(m["confusion"]) for q, v in enumerate(r)}
eq(p["cm"], cm, "confusion matrix")
# Strips: misses and calls per source, at most 12 (600 in all).
cap = min(12, max(1, 600 // len(d["data"]["sources"])))
eq(int(k["strip-cap"]), cap, "strips per source")
aami = set(names) >= {"N", "S", "V"}
calls = {"S", "V", "F"} if aami else set(names[1:])
# The data label of a row -> its model class (None: not one).
cls = {l["label"]: l["class"] for l in d["data"]["labels"]}
cand = {}
for r in rows:
    truth = cls.get(r["true"])
    if r["predicted"] in calls or (truth and truth != r["predicted"]):
        cand[r["record"]] = cand.get(r["record"], 0) + 1
total = 0
for s in d["data"]["sources"]:
    row, c = p["rows"][s["name"]], cand.get(s["name"], 0)
    eq(int(row["items"]), s["items"], "items of " + s["name"])
    eq((int(row["strips"]), int(row["left"])), (min(c, cap), c - min(c, cap)), "strips of " + s["name"])
    if c:
        eq(p["sections"][s["name"]], {"strips": min(c, cap), "left": c - min(c, cap)}, "section of " + s["name"])
    total += min(c, cap)
eq(len(p["figures"]), total, "figures")
eq(p["svg_paths"], total, "traces")
eq(int(k["strips-left"]), sum(cand.values()) - total, "strips left out")
if total and not any(f["miss"] for f in p["figures"]) and any(
        cls.get(r["true"]) not in (None, r["predicted"]) for r in rows):
    sys.exit("no miss among the strips")
print("ok", total, "strips")
EOF
	then
		ok "$desc ($(tail -n 1 py.err))"
	else
		notok "$desc"
	fi
}

if [ ! -x "$RUN" ] || [ ! -x "$MK" ]; then
	echo "1..1"
	echo "not ok 1 - binaries missing: $RUN / $MK (build them first)"
	exit 1
fi

# ---------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------
"$MK" --arch conv --length 50 --rate 250 --beat 20,30 --lead MLII \
	--norm zscore --name 'syn<ecg>' ecg.bnn || exit 1
"$MK" --arch conv --length 178 --rate 173.61 --classes non-seizure,seizure \
	--norm zscore eeg.bnn || exit 1
"$MK" --arch majority --length 8 --classes pos,neg maj.bnn || exit 1
"$PY" - <<'EOF' || exit 1
import os, random, struct
random.seed(3)
# rec: 250 Hz, 60 s, MLII in mV (gain 200); a beat every 0.8 s, labels
# cycling N N V A N F N (A = S): plenty of calls and misses for a model
# of random weights, more than 12 in the record.
os.makedirs("wfdb", exist_ok=True)
n, step = 15000, 200
beats = list(range(100, n - 100, step))
codes = [[1, 1, 5, 8, 1, 6, 1][k % 7] for k in range(len(beats))]
sig = [0] * n
for b, c in zip(beats, codes):
    amp = 260 if c == 5 else 200
    for i in range(-6, 7):
        sig[b + i] += int(amp * (1 - abs(i) / 7))
sig = [v + random.randint(-4, 4) for v in sig]
with open("wfdb/rec.dat", "wb") as f:
    f.write(struct.pack("<%dh" % n, *sig))
ck = sum(sig) & 0xffff
ck = ck - 65536 if ck > 32767 else ck
with open("wfdb/rec.hea", "w") as f:
    f.write("rec 1 250 %d\n" % n)
    f.write("rec.dat 16 200/mV 16 0 %d %d 0 MLII\n" % (sig[0], ck))
# ... and as EDF+ (edf_write.py --ecg), its beats as annotations
with open("rec.i16", "wb") as f:
    f.write(struct.pack("<%dh" % n, *sig))
with open("rec-beats.txt", "w") as f:
    f.write("".join("%d %s\n" % (b, {1: "N", 5: "V", 8: "A", 6: "F"}[c]) for b, c in zip(beats, codes)))
with open("wfdb/rec.atr", "wb") as f:
    t = 0
    for b, c in zip(beats, codes):
        f.write(struct.pack("<H", (c << 10) | (b - t)))
        t = b
    f.write(struct.pack("<H", 0))
# Bonn-like EEG: a segment of 4097 samples in Z/ and in S/.
for s in "ZS":
    os.makedirs("eeg/" + s, exist_ok=True)
    with open("eeg/%s/%s001.txt" % (s, s), "w") as f:
        for i in range(4097):
            f.write("%d\n" % random.randint(-200 if s == "Z" else -900, 200 if s == "Z" else 900))
# rows with a name that must be escaped
with open("x<&>\"'.csv", "w") as f:
    f.write("label," + ",".join("x%d" % i for i in range(8)) + "\n")
    for i in range(10):
        s = 1 if i % 2 else -1
        f.write("%d," % (i % 3 == 0) + ",".join("%.3f" % (s * (0.5 + random.random())) for _ in range(8)) + "\n")
# 60 CSVs of 12 rows all called neg: 60 x 12 > 600, so 10 strips each.
os.makedirs("many", exist_ok=True)
for k in range(60):
    with open("many/m%02d.csv" % k, "w") as f:
        f.write("label," + ",".join("x%d" % i for i in range(8)) + "\n")
        for i in range(12):
            f.write("1," + ",".join("%.3f" % -(0.5 + random.random()) for _ in range(8)) + "\n")
with open("nolab.csv", "w") as f:
    for i in range(5):
        f.write(",".join("%.3f" % (random.random() - 0.5) for _ in range(8)) + "\n")
EOF
"$PY" "$here/edf_write.py" --ecg rec.edf rec.i16 250 200 MLII rec-beats.txt || exit 1

# ---------------------------------------------------------------------
# Pages
# ---------------------------------------------------------------------
expect 0 "report in rep/index.html" "ECG record: --report with --json and -p" -- \
	-m ecg.bnn --backend cpu --report rep --json -p pred.csv wfdb/rec
cp out rep.json
page_check "ECG page: counts = --json, strips = misses + S/V/F calls (cap 12)" rep rep.json pred.csv
grep -q 'lead MLII at 250 Hz, mV' rep/index.html &&
	ok "ECG strips: the record's lead in mV" || notok "ECG strips: the record's lead in mV"
grep -q '<title>bnn-run report: syn&lt;ecg&gt;</title>' rep/index.html && ! grep -q 'syn<ecg>' rep/index.html &&
	ok "model name escaped" || notok "model name escaped"
! grep -qiE '<script|https?://' rep/index.html &&
	ok "no script, no network reference" || notok "no script, no network reference"
[ "$(ls -A rep)" = index.html ] && ok "DIR holds index.html only (no temporary left)" ||
	notok "DIR holds index.html only: $(ls -A rep | tr '\n' ' ')"

expect 0 "" "EDF+ ECG (beats detected): --report" -- -m ecg.bnn --backend cpu -q --report edfrep --json -p edf.csv rec.edf
cp out edf.json
page_check "EDF+ page: counts = --json, strips" edfrep edf.json edf.csv
grep -q 'lead MLII at 250 Hz, mV' edfrep/index.html &&
	ok "EDF strips: the file's channel read again, in mV" || notok "EDF strips: the file's channel read again, in mV"

expect 0 "" "Bonn EEG windows: --report" -- -m eeg.bnn --backend cpu -q --report eegrep --json -p eeg.csv eeg
cp out eeg.json
page_check "EEG page: counts = --json, strips = misses + seizure calls" eegrep eeg.json eeg.csv
grep -q "the model's input (channel 0)" eegrep/index.html &&
	ok "EEG strips: the window the model classified" || notok "EEG strips: the window the model classified"

expect 0 "" "a CSV named x<&>\"'.csv" -- -m maj.bnn -q --report csvrep --json -p csv.csv "x<&>\"'.csv"
cp out csv.json
page_check "CSV page: counts and strips" csvrep csv.json csv.csv
grep -qF 'x&lt;&amp;&gt;&quot;&#39;.csv' csvrep/index.html && ! grep -qF 'x<&>' csvrep/index.html &&
	ok "source names HTML-escaped" || notok "source names HTML-escaped"

expect 0 "" "60 sources: --report" -- -m maj.bnn -q --report manyrep --json -p many.csv many/m*.csv
cp out many.json
page_check "60 sources of 12 calls: 10 strips each (600 in all), 2 left out each" manyrep many.json many.csv

expect 0 "" "no labels: --report is an output (exit 0, not 10)" -- -m maj.bnn -q --report nolab nolab.csv
grep -q 'data-k="labelled">0<' nolab/index.html && grep -q 'Metrics skipped' nolab/index.html &&
	ok "no labels: the page says the metrics were skipped" || notok "no labels: the page says the metrics were skipped"

# ---------------------------------------------------------------------
# Failures
# ---------------------------------------------------------------------
: >afile
expect 1 "cannot write the report to afile: it exists and is not a folder" "DIR is a file" -- -m maj.bnn -q --report afile "x<&>\"'.csv"
ln -s rep linkdir
expect 1 "cannot write the report to linkdir: it is a symbolic link" "DIR is a symlink" -- -m maj.bnn -q --report linkdir "x<&>\"'.csv"
mkdir -p trap && echo keep >kept.html && ln -s ../kept.html trap/index.html
expect 1 "trap/index.html is a symbolic link, not a regular file \(refusing to replace it\)" "DIR/index.html is a symlink" -- -m maj.bnn -q --report trap "x<&>\"'.csv"
[ -L trap/index.html ] && [ "$(cat kept.html)" = keep ] &&
	ok "the symlink and the file it names are untouched" || notok "the symlink and the file it names are untouched"
mkdir -p fifo && mkfifo fifo/index.html
expect 1 "fifo/index.html is a special file" "DIR/index.html is a FIFO" -- -m maj.bnn -q --report fifo "x<&>\"'.csv"
expect 1 "cannot write the report to nodir/sub: No such file or directory" "DIR's parent missing" -- -m maj.bnn -q --report nodir/sub "x<&>\"'.csv"
expect 2 "--report is empty" "--report ''" -- -m maj.bnn --report '' "x<&>\"'.csv"
expect 2 "--report does not apply to --stream" "--report with --stream" -- -m ecg.bnn --stream - --fs 250 --report r2
if [ "$(id -u)" -ne 0 ]; then
	mkdir -p ro && chmod 555 ro
	expect 1 "cannot write the report to ro: Permission denied" "unwritable DIR" -- -m maj.bnn -q --report ro "x<&>\"'.csv"
	chmod 755 ro
elif command -v setpriv >/dev/null &&
     mkdir -p pv/ro && chmod 755 "$tmp" pv && chmod 555 pv/ro &&
     cp maj.bnn nolab.csv pv/ && chmod 644 pv/maj.bnn pv/nolab.csv &&
     setpriv --reuid=65534 --regid=65534 --clear-groups test -x "$RUN"; then
	# Root writes anywhere: the check runs as nobody (setpriv).
	cd pv && AS=(setpriv --reuid=65534 --regid=65534 --clear-groups)
	expect 1 "cannot write the report to ro: Permission denied" "unwritable DIR (as nobody)" -- -m maj.bnn -q --report ro nolab.csv
	AS=() && cd ..
else
	skip "unwritable DIR" "running as root, which writes anywhere, without setpriv to drop it"
fi
# A good page stays when a later run fails (its data, after the check).
cp rep/index.html good.html
printf 'rec 1 250 xx\n' >wfdb/bad.hea
expect 5 "record bad" "a failed run with --report" -- -m ecg.bnn --backend cpu --report rep wfdb/bad
cmp -s rep/index.html good.html && [ "$(ls -A rep)" = index.html ] &&
	ok "the failed run left the previous page whole, no temporary" || notok "the failed run left the previous page whole"
# ... and a run that succeeds replaces it, keeping the folder.
expect 0 "" "a second run replaces the page" -- -m ecg.bnn --backend cpu -q --report rep/ --limit 20 wfdb/rec
grep -q 'data-k="items">20<' rep/index.html && [ "$(ls -A rep)" = index.html ] &&
	ok "replaced page: 20 beats" || notok "replaced page: 20 beats"

echo "1..$n"
