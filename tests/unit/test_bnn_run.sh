#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
#
# test_bnn_run.sh - end-to-end tests of the bnn-run binary (TAP output, for
# tests/run-tap.sh): tiny models written by bnn-mkmodel, synthetic CSV,
# float32, WFDB, EDF+ and Bonn-like inputs, every user-error path (message
# and exit status), --json validity, --predictions content, and real
# MIT-BIH / Bonn runs when ../shared/data is there; Bonn segments written
# as EDF+ by pyedflib (scripts/deps.sh edf-check) and by EDFlib's C API
# (bnn-bonn2edf) classify like the .txt.
#
#   tests/unit/test_bnn_run.sh [BNN_RUN [BNN_MKMODEL [BNN_WFDB2RAW [BNN_BONN2EDF]]]]
#
# Defaults: build/tools/bnn-run and build/tests/bnn-mkmodel of the checkout
# (or $BNN_RUN / $BNN_MKMODEL); data under $RBNN_DATA or
# <checkout>/../shared/data.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUN=${1:-${BNN_RUN:-$repo/build/tools/bnn-run}}
MK=${2:-${BNN_MKMODEL:-$repo/build/tests/bnn-mkmodel}}
W2R=${3:-${BNN_WFDB2RAW:-$repo/build/tests/bnn-wfdb2raw}}
B2E=${4:-${BNN_BONN2EDF:-$repo/build/tests/bnn-bonn2edf}}
DATA=${RBNN_DATA:-$repo/../shared/data}
PY=${PYTHON:-python3}
export RBNN_DATA=$DATA

# shellcheck source-path=SCRIPTDIR source=tap-scratch.sh
. "$here/tap-scratch.sh"
abspath RUN MK W2R B2E
scratch test-bnn-run

notok() {
	n=$((n + 1))
	echo "not ok $n - $1"
	[ -s out ] && head -n 20 out | sed 's/^/#   stdout: /'
	[ -s err ] && head -n 10 err | sed 's/^/#   stderr: /'
	return 0
}

# expect STATUS REGEX DESCRIPTION -- ARGS...: run bnn-run, check the exit
# status, that stderr matches REGEX, and that an error is one line
# "bnn-run: error: ..." (the last line of stderr); status 11 (some inputs
# skipped) is no error: no such line then.
expect() {
	local want=$1 pat=$2 desc=$3 rc
	shift 3
	[ "${1:-}" = "--" ] && shift
	"$RUN" "$@" >out 2>err
	rc=$?
	if [ "$rc" -ne "$want" ]; then
		notok "$desc (exit $rc, want $want)"
		return 1
	fi
	if [ -n "$pat" ] && ! grep -qE -- "$pat" err; then
		notok "$desc (stderr lacks /$pat/)"
		return 1
	fi
	if [ "$want" -eq 11 ]; then
		if grep -q '^bnn-run: error: ' err; then
			notok "$desc (an error line with status 11)"
			return 1
		fi
	elif [ "$want" -ne 0 ]; then
		if [ "$(grep -c '^bnn-run: error: ' err)" -ne 1 ] ||
		   ! tail -n 1 err | grep -q '^bnn-run: error: '; then
			notok "$desc (want exactly one 'bnn-run: error:' line, last)"
			return 1
		fi
	fi
	ok "$desc"
}

# json_check DESCRIPTION PYTHON-EXPRESSIONS...: out must be valid JSON
# (python3 -m json.tool) and every expression true with d = the document;
# an argument that is a statement (x = ...) is run, to name things for the
# expressions after it.
json_check() {
	local desc=$1
	shift
	if ! "$PY" -m json.tool out >/dev/null 2>json.err; then
		notok "$desc (invalid JSON: $(head -c 200 json.err))"
		return 1
	fi
	if ! "$PY" - "$@" >py.err 2>&1 <<'EOF'
import json, math, sys
d = json.load(open("out"))
g = {"d": d, "math": math}
for e in sys.argv[1:]:
    try:
        code = compile(e, "check", "eval")
    except SyntaxError:
        exec(e, g)
        continue
    if not eval(code, g):
        print("failed:", e)
        sys.exit(1)
EOF
	then
		notok "$desc ($(head -c 300 py.err))"
		return 1
	fi
	ok "$desc"
}

if [ ! -x "$RUN" ] || [ ! -x "$MK" ]; then
	echo "1..1"
	echo "not ok 1 - binaries missing: $RUN / $MK (build them first)"
	exit 1
fi

# ---------------------------------------------------------------------
# Fixtures
# ---------------------------------------------------------------------
"$MK" --arch majority --length 8 --classes pos,neg maj.bnn || exit 1
"$MK" --arch majority --channels 2 --length 8 --classes pos,neg maj2.bnn || exit 1
"$MK" --arch conv --length 50 --rate 250 --beat 20,30 --lead MLII \
	--norm zscore --name syn-ecg ecg250.bnn || exit 1
"$MK" --arch conv --length 50 --rate 360 --beat 20,30 --lead MLII \
	--norm zscore ecg360.bnn || exit 1
"$MK" --arch conv --length 50 --rate 250 --beat 20,30 --lead V5 \
	--norm zscore ecgv5.bnn || exit 1
"$MK" --arch conv --length 100 --rate 360 --beat 40,60 --lead MLII \
	--norm zscore --name mitdb-test mitdb.bnn || exit 1
"$MK" --arch conv --length 178 --rate 173.61 --classes non-seizure,seizure \
	--norm zscore eeg.bnn || exit 1
"$MK" --arch float --length 8 --classes pos,neg float.bnn || exit 1
"$MK" --arch conv --length 100 --rate 360 --beat 40,60 --lead MLII \
	--norm zscore --features 9 --baseline median --lowpass 35 --amp-norm qrs \
	--name mitdb-feat mitdb-feat.bnn || exit 1
"$MK" --arch conv --length 8 --features 3 --classes pos,neg feat-nobeat.bnn || exit 1
"$MK" --arch conv --length 100 --rate 100 --classes non-seizure,seizure \
	--norm zscore eeg100.bnn || exit 1
"$MK" --arch conv --length 100 --rate 100 --classes non-seizure,seizure \
	--lead Pz-Oz --norm zscore eegpz.bnn || exit 1
"$MK" --arch conv --length 100 --rate 100 --classes non-seizure,seizure \
	--lead C3 --norm zscore eegc3.bnn || exit 1

"$PY" - <<'EOF' || exit 1
import struct, random
random.seed(7)
# rows.csv: 20 rows of 8 values with a header and a label column; the
# majority model predicts pos (0) for positive rows, neg (1) for negative
# ones; rows 3 and 4 carry the wrong label -> 18 of 20 correct.
with open("rows.csv", "w") as f:
    f.write("label," + ",".join("x%d" % i for i in range(8)) + "\n")
    for i in range(20):
        s = 1 if i % 2 == 0 else -1
        lab = 0 if s > 0 else 1
        if i in (3, 4):
            lab = 1 - lab
        f.write("%d," % lab + ",".join("%.4f" % (s * (0.5 + random.random())) for _ in range(8)) + "\n")
# nolab.csv: 5 rows of 8 values, no header, no label
with open("nolab.csv", "w") as f:
    for i in range(5):
        s = 1 if i < 3 else -1
        f.write(",".join("%.3f" % (s * (1 + random.random())) for _ in range(8)) + "\n")
with open("wide.csv", "w") as f:
    f.write(",".join(["1"] * 10) + "\n")
with open("bad.csv", "w") as f:
    f.write("1,2,3,4,5,6,7,8\n1,2,x,4,5,6,7,8\n")
# textlab.csv: class names in the label column (the names go in --labels)
with open("textlab.csv", "w") as f:
    f.write("a,b,c,d,e,f,g,h,label\n1,1,1,1,1,1,1,1,pos\n")
# items.x.f32 + items.rows.tsv (bnn-extract's layout): 10 items
with open("items.x.f32", "wb") as f:
    for i in range(10):
        s = 1.0 if i < 6 else -1.0
        f.write(struct.pack("<8f", *[s] * 8))
with open("items.rows.tsv", "w") as f:
    f.write("index\tlabel\tclass\trecord\tsample\n")
    for i in range(10):
        f.write("%d\t%d\t%s\t%s\t%d\n" % (i, 0 if i < 5 else 1, "pos" if i < 5 else "neg", "r1" if i < 4 else "r2", 100 * i))
# ncl.f32: 3 items, 2 channels x 8, channel-major (N,C,L)
with open("ncl.f32", "wb") as f:
    for i in range(3):
        s = -1.0 if i == 1 else 1.0
        f.write(struct.pack("<16f", *[s] * 16))
# sig.csv: a 2-channel signal of 40 samples -> 5 windows of 8
with open("sig.csv", "w") as f:
    for i in range(40):
        f.write("%g,%g\n" % (1 + i * 0.01, -2 - i * 0.01))
with open("junk.xyz", "wb") as f:
    f.write(bytes(range(256)))
# A WFDB record: 250 Hz, 1000 samples, MLII and V1, format 16; beats
# every 100 samples: N N V A N N V N N (A = S class).
import os
os.makedirs("wfdb", exist_ok=True)
n = 1000
sig = [[int(200 * ((i % 100) < 5)) + (i % 7) for i in range(n)],
       [int(-150 * ((i % 100) < 5)) - (i % 5) for i in range(n)]]
with open("wfdb/syn.dat", "wb") as f:
    for i in range(n):
        f.write(struct.pack("<hh", sig[0][i], sig[1][i]))
def ck(v):
    s = sum(v) & 0xffff
    return s - 65536 if s > 32767 else s
with open("wfdb/syn.hea", "w") as f:
    f.write("syn 2 250 %d\r\n" % n)
    f.write("syn.dat 16 200 16 0 %d %d 0 MLII\r\n" % (sig[0][0], ck(sig[0])))
    f.write("syn.dat 16 200 16 0 %d %d 0 V1\r\n" % (sig[1][0], ck(sig[1])))
codes = [1, 1, 5, 8, 1, 1, 5, 1, 1]
with open("wfdb/syn.atr", "wb") as f:
    t = 0
    for k, c in enumerate(codes):
        at = 100 * (k + 1)
        f.write(struct.pack("<H", (c << 10) | (at - t)))
        t = at
    f.write(struct.pack("<H", 0))
# EDF+C written here (a third writer, besides EDFlib in test_edf.c and
# pyedflib below): 10 records of 1 s, "EEG Fpz-Cz" and "EEG Pz-Oz" at
# 100 Hz in uV, annotations "seizure" over [2, 6) s and "eyes open" over
# [0, 1) s.
import math
def edfplus(path, sigs, nrec, anns):
    ann_bytes = 120
    allsig = sigs + [("EDF Annotations", "", ann_bytes // 2, None)]
    ns = len(allsig)
    def fld(v, n):
        return str(v).ljust(n)[:n].encode()
    h = fld("0", 8) + fld("X X X X", 80) + fld("Startdate 01-JAN-2020 X X X", 80)
    h += fld("01.01.20", 8) + fld("00.00.00", 8) + fld(256 * (ns + 1), 8)
    h += fld("EDF+C", 44) + fld(nrec, 8) + fld(1, 8) + fld(ns, 4)
    for key in range(10):
        for (lab, unit, spr, _) in allsig:
            ann = lab == "EDF Annotations"
            h += [fld(lab, 16), fld("", 80), fld(unit, 8),
                  fld(-1 if ann else -3276.8, 8), fld(1 if ann else 3276.7, 8),
                  fld(-32768, 8), fld(32767, 8), fld("", 80), fld(spr, 8),
                  fld("", 32)][key]
    body = b""
    for r in range(nrec):
        for (lab, unit, spr, f) in sigs:
            body += struct.pack("<%dh" % spr, *[f(r * spr + i) for i in range(spr)])
        tal = ("+%d\x14\x14\x00" % r).encode()
        if r == 0:
            for (on, du, text) in anns:
                tal += ("+%g\x15%g\x14%s\x14\x00" % (on, du, text)).encode()
        body += tal.ljust(ann_bytes, b"\x00")
    with open(path, "wb") as f:
        f.write(h + body)
sigs = [("EEG Fpz-Cz", "uV", 100, lambda i: int(500 * math.sin(0.3 * i))),
        ("EEG Pz-Oz", "uV", 100, lambda i: int(300 * math.cos(0.2 * i)) + (i % 7))]
edfplus("rec.edf", sigs, 10, [(2, 4, "seizure"), (0, 1, "eyes open")])
with open("rec.edf", "rb") as f:
    whole = f.read()
with open("cut.edf", "wb") as f:
    f.write(whole[:-300])
with open("fake.edf", "w") as f:
    f.write("this is no EDF file\n")
# Signals without a rate: 400 values, one per line (.txt, .csv), float32.
with open("sig400.txt", "w") as f:
    for i in range(400):
        f.write("%d\n" % int(100 * math.sin(0.1 * i)))
with open("sig400.csv", "w") as f:
    for i in range(400):
        f.write("%g\n" % math.sin(0.1 * i))
with open("sig400.f32", "wb") as f:
    f.write(struct.pack("<400f", *[math.sin(0.1 * i) for i in range(400)]))
# Named like a Bonn file and 4097 lines long (the name rule), and the same
# name with 400 lines (no Bonn file).
os.makedirs("named", exist_ok=True)
with open("named/Z001.txt", "w") as f:
    for i in range(4097):
        f.write("%d\n" % int(100 * math.sin(0.1 * i)))
os.makedirs("short", exist_ok=True)
with open("short/Z001.txt", "w") as f:
    for i in range(400):
        f.write("%d\n" % i)
# ecg60: 60 s of a synthetic ECG lead at 250 Hz in ADC units (gain 200,
# baseline 0): QRS and T waves at irregular RR, now and then a wide
# inverted beat, baseline wander and noise; as the WFDB record
# ecg/ecg60 (format 16, no annotations), ecg60.i16 (raw int16, for
# edf_write.py --ecg and --stream), ecg60.csv and .txt (one column of mV,
# the exact decimal of the float the others give) and ecg60.f32 (float32
# mV); ecg60x2.csv has a second, negated column.
random.seed(11)
fs, n = 250, 250 * 60
acc = [0.0] * n
t = 0.5 * fs
beats = []
while t < n:
    wide = random.random() < 0.1
    amp, w = (-160, 0.025) if wide else (240, 0.01)
    c = int(t)
    beats.append((c, "V" if wide else "N"))
    for k in range(max(0, c - 150), min(n, c + 150)):
        d, dt = (k - c) / fs, (k - c) / fs - 0.25
        acc[k] += amp * math.exp(-d * d / (2 * w * w)) + 40 * math.exp(-dt * dt / (2 * 0.04 * 0.04))
    t += (0.6 + 0.35 * random.random()) * (0.7 if wide else 1) * fs
ecg = [int(round(acc[i] + 60 * math.sin(2 * math.pi * 0.3 * i / fs) + 6 * (random.random() - 0.5)))
       for i in range(n)]
os.makedirs("ecg", exist_ok=True)
with open("ecg/ecg60.dat", "wb") as f:
    f.write(struct.pack("<%dh" % n, *ecg))
with open("ecg/ecg60.hea", "w") as f:
    f.write("ecg60 1 250 %d\n" % n)
    f.write("ecg60.dat 16 200 16 0 %d %d 0 MLII\n" % (ecg[0], ck(ecg)))
with open("ecg60.i16", "wb") as f:
    f.write(struct.pack("<%dh" % n, *ecg))
mv = [struct.unpack("<f", struct.pack("<f", v / 200))[0] for v in ecg]
for name in ("ecg60.csv", "ecg60.txt"):
    with open(name, "w") as f:
        f.write("".join("%r\n" % v for v in mv))
with open("ecg60.f32", "wb") as f:
    f.write(struct.pack("<%df" % n, *mv))
with open("ecg60x2.csv", "w") as f:
    f.write("".join("%r,%r\n" % (v, -v) for v in mv))
# Its beats (N, and V for the wide ones) as "sample symbol" lines (for
# edf_write.py --ecg ... BEATS: an EDF+ file with beat annotations) and
# as the .atr of ecgann/ecg60, a copy of the record with annotations.
with open("ecg60.beats", "w") as f:
    f.write("".join("%d %s\n" % b for b in beats))
os.makedirs("ecgann", exist_ok=True)
with open("ecgann/ecg60.atr", "wb") as f:
    t = 0
    for (at, sym) in beats:
        f.write(struct.pack("<H", ({"N": 1, "V": 5}[sym] << 10) | (at - t)))
        t = at
    f.write(struct.pack("<H", 0))
EOF
# ecg60 as plain EDF files (physical = digital / 200 mV, so the samples
# are those of ecg/ecg60): the channel labelled as EDF+ does
# ("ECG MLII"), by the lead's alias ("II"), generically ("ECG1"), and a
# chest lead only ("V2").
for l in "ECG MLII:ecg60" "II:ecg60-ii" "ECG1:ecg60-generic" "V2:ecg60-v2"; do
	"$PY" "$here/edf_write.py" --ecg "${l#*:}.edf" ecg60.i16 250 200 "${l%%:*}" || exit 1
done
"$PY" "$here/edf_write.py" --ecg ecg60-ann.edf ecg60.i16 250 200 "ECG MLII" ecg60.beats || exit 1
cp ecg/ecg60.hea ecg/ecg60.dat ecgann/
# Bonn layouts: lay/ holds Z/ and S/ (a real layout); lone/S/ is only a
# folder called S.
mkdir -p lay/Z lay/S lone/S
cp sig400.txt lay/Z/seg.txt
cp sig400.txt lone/S/seg.txt

# batch/: two good records and a corrupt one (bad header)
mkdir batch
for r in syn syn2; do
	sed "s/^syn /$r /; s/^syn.dat/$r.dat/" wfdb/syn.hea > batch/$r.hea
	cp wfdb/syn.dat batch/$r.dat && cp wfdb/syn.atr batch/$r.atr
done
printf 'broken 1 250 xx\n' > batch/broken.hea
printf 'this is not a model\n' > short.bnn
head -c 300 rows.csv > notmodel.bnn
head -c 36 items.x.f32 > odd.f32
seq -50 49 | sed 's/$/\r/' > seg.txt
mkdir emptydir
cp maj.bnn corrupt.bnn
printf '\xff' | dd of=corrupt.bnn bs=1 seek=200 conv=notrunc 2>/dev/null

# ---------------------------------------------------------------------
# Usage
# ---------------------------------------------------------------------
expect 0 "" "--help" -- --help
grep -q "Exit status" out && grep -q -- "--predictions" out &&
	ok "--help documents the exit statuses and options" ||
	notok "--help documents the exit statuses and options"
man=$repo/Documentation/bnn-run.1
if [ -f "$man" ]; then
	missing=
	for opt in $(grep -oE -- '--[a-z][a-z0-9-]+' out | sort -u); do
		sed 's/\\-/-/g' "$man" | grep -q -- "$opt" || missing="$missing $opt"
	done
	[ -z "$missing" ] && ok "man page documents every option of --help" ||
		notok "man page lacks:$missing"
	if command -v groff >/dev/null; then
		w=$(groff -man -Tutf8 -ww -z "$man" 2>&1)
		[ -z "$w" ] && ok "man page renders without groff warnings" ||
			notok "man page: $w"
	else
		skip "man page renders" "no groff"
	fi
else
	skip "man page" "no $man"
fi
expect 0 "" "--version" -- --version
grep -qE '^bnn-run [0-9.]+ \(libbnn [0-9.]+\)$' out && ok "--version format" ||
	notok "--version format"

expect 2 "--model FILE is required" "missing --model" -- rows.csv
expect 2 "no input" "missing input" -- -m maj.bnn
expect 2 "--batch wants an integer" "--batch 12x" -- -m maj.bnn --batch 12x rows.csv
expect 2 "--batch wants an integer" "--batch 0" -- -m maj.bnn --batch 0 rows.csv
expect 2 "--batch wants an integer" "--batch ' 5'" -- -m maj.bnn --batch " 5" rows.csv
expect 2 "--read-ber wants a number" "--read-ber 2" -- -m maj.bnn --read-ber 2 rows.csv
expect 2 "--read-ber wants a number" "--read-ber nan" -- -m maj.bnn --read-ber nan rows.csv
expect 2 "--prog-current-ua wants" "--prog-current-ua 0" -- -m maj.bnn --prog-current-ua 0 rows.csv
expect 2 "--seed wants an integer" "--seed -1" -- -m maj.bnn --seed -1 rows.csv
expect 2 "--wear-cycles wants an integer" "--wear-cycles 2e9" -- -m maj.bnn --wear-cycles 2000000000 rows.csv
expect 2 "--wear-cycles wants an integer" "--wear-cycles -3" -- -m maj.bnn --wear-cycles -3 rows.csv
expect 2 "--temperature-c wants a number" "--temperature-c 201" -- -m maj.bnn --temperature-c 201 rows.csv
expect 2 "--temperature-c wants a number" "--temperature-c -41" -- -m maj.bnn --temperature-c -41 rows.csv
expect 2 "--temperature-c wants a number" "--temperature-c nan" -- -m maj.bnn --temperature-c nan rows.csv
expect 2 "--cell-mode wants 2t2r or 1t1r" "--cell-mode 3t" -- -m maj.bnn --cell-mode 3t rows.csv
expect 2 "--backend wants auto, cpu, emu or rbnn" "--backend gpu" -- -m maj.bnn --backend gpu rows.csv
expect 2 "unknown option '--frobnicate'" "unknown option" -- -m maj.bnn --frobnicate rows.csv
expect 2 "needs a value" "option without value" -- rows.csv -m
expect 2 "applies to the emulated card" "emu option with --backend cpu" -- -m maj.bnn --backend cpu --read-ber 1e-3 rows.csv
expect 2 "applies to the rbnn backend" "--device with --backend cpu" -- -m maj.bnn --backend cpu --device /dev/null rows.csv
expect 2 "--shape wants" "--shape 1,,2" -- -m maj.bnn --shape 1,,2 items.x.f32
expect 2 "--progress wants" "--progress sometimes" -- -m maj.bnn --progress sometimes rows.csv
expect 2 "no class 'bogus'" "--label-map to an unknown class" -- -m maj.bnn --label-map 0=bogus rows.csv
expect 2 "is a .bnn model, not data" "a model given as data" -- -m maj.bnn maj.bnn

# ---------------------------------------------------------------------
# Files and models
# ---------------------------------------------------------------------
expect 3 "model nope.bnn: No such file" "missing model file" -- -m nope.bnn rows.csv
expect 3 "is a folder" "model is a folder" -- -m . rows.csv
expect 4 "notmodel.bnn: not a .bnn model \(bad magic\)" "not a .bnn model (libbnn's message)" -- -m notmodel.bnn rows.csv
expect 4 "short.bnn: .*not a .bnn model" "a short file as model" -- -m short.bnn rows.csv
expect 4 "checksum" "corrupt model (checksum)" -- -m corrupt.bnn rows.csv
expect 3 "nope.csv: no such file" "missing input file" -- -m maj.bnn nope.csv
expect 3 "no such file, folder or record" "unknown record name" -- -m maj.bnn --data wfdb 999
expect 5 "cannot tell what this file holds" "binary file of unknown type" -- -m maj.bnn junk.xyz
expect 5 "bad.csv.*bad number" "malformed CSV" -- -m maj.bnn bad.csv
expect 5 "bad number 'pos'.*--labels FILE" "class names in a CSV label column: hint" -- -m maj.bnn textlab.csv
expect 5 "no WFDB records" "folder without data" -- -m maj.bnn emptydir
cp rows.csv locked.csv && chmod 000 locked.csv
if [ "$(id -u)" -ne 0 ]; then
	expect 3 "locked.csv: Permission denied" "unreadable input" -- -m maj.bnn locked.csv
elif command -v setpriv >/dev/null; then
	# root reads anything: run a copy of the binary as nobody.
	chmod 755 "$tmp" && chmod 644 ./*.bnn ./*.csv && chmod 000 locked.csv
	cp "$RUN" "$tmp/bnn-run-copy" && chmod 755 "$tmp/bnn-run-copy"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/bnn-run-copy" \
		-m maj.bnn locked.csv >out 2>err
	rc=$?
	[ "$rc" -eq 3 ] && grep -q "^bnn-run: error: locked.csv: Permission denied$" err &&
		ok "unreadable input (as nobody)" ||
		notok "unreadable input (as nobody; exit $rc)"
else
	skip "unreadable input" "running as root without setpriv"
fi

# ---------------------------------------------------------------------
# Model / data mismatch, rate, lead
# ---------------------------------------------------------------------
expect 6 "rows have 10 values.*expects 8 per item" "CSV rows of the wrong width" -- -m maj.bnn wide.csv
expect 6 "rows have 9 values.*--label-column" "--label-column none on a labelled CSV" -- -m maj.bnn --label-column none rows.csv
expect 6 "9 float32 values are not a whole number of items of 8" "float32 file of the wrong size" -- -m maj.bnn odd.f32
expect 6 "the model expects C = 2 channels" "--shape N,C,L against the model" -- -m maj2.bnn --shape 3,8,2 ncl.f32
expect 5 "check --shape" "--shape N,K with the wrong N" -- -m maj2.bnn --shape 4,16 ncl.f32
expect 6 "record syn has no lead 'V5' \(signals: MLII, V1\), the lead the model was trained on; --lead NAME picks another" "lead not found" -- -m ecgv5.bnn wfdb/syn
expect 6 "record syn has no lead 'V4' \(signals: MLII, V1\)$" "--lead not found" -- -m ecg250.bnn --lead V4 wfdb/syn
expect 7 "sampled at 250 Hz, the model expects 360 Hz \(--no-resample refuses" "--no-resample: a rate mismatch is an error" -- -m ecg360.bnn --no-resample wfdb/syn
expect 0 "^bnn-run: resampling inputs at 250 Hz to the model's 360 Hz \(windowed sinc" "a rate mismatch is resampled by default, with a note" -- -m ecg360.bnn --json wfdb/syn
json_check "default resampling: resampled beats" 'd["data"]["sources"][0]["resampled"] is True' \
	'd["data"]["items"] == 9'
[ "$(grep -c resampling err)" -eq 1 ] && ok "the resampling note is one line" ||
	notok "the resampling note is one line"
expect 0 "" "--resample alone is still accepted" -- -m ecg360.bnn --resample --json wfdb/syn
json_check "--resample: resampled beats" 'd["data"]["sources"][0]["resampled"] is True'
expect 0 "\(linear;" "--resample=linear" -- -m ecg360.bnn --resample=linear --json wfdb/syn
json_check "--resample=linear: 9 resampled beats" 'd["data"]["items"] == 9' \
	'd["data"]["sources"][0]["resampled"] is True'
# A method name after --resample is the method, never an input, even
# when a file of that name is there (./linear names the file).
printf '1,2\n' >linear
expect 0 "\(linear;" "--resample linear: the word is the method (a file 'linear' is there)" -- -m ecg360.bnn --resample linear --json wfdb/syn
json_check "--resample linear: only the record read, 9 resampled beats" 'd["data"]["items"] == 9' \
	'[s["name"] for s in d["data"]["sources"]] == ["syn"]'
expect 0 "windowed sinc" "--resample sinc wfdb/syn: sinc" -- -m ecg360.bnn --resample sinc -p /dev/null wfdb/syn
expect 0 "windowed sinc" "--resample before an input that is no method: that input" -- -m ecg360.bnn --resample -p /dev/null wfdb/syn
expect 2 "--resample wants sinc or linear, got 'cubic'" "--resample=cubic: refused" -- -m ecg360.bnn --resample=cubic wfdb/syn
expect 3 "cubic: no such file, folder or record" "--resample cubic: 'cubic' is no method, so an input" -- -m ecg360.bnn --data wfdb --resample cubic wfdb/syn
expect 2 "no input" "--resample linear and no input: usage error" -- -m ecg360.bnn --resample linear
rm -f linear
expect 0 "" "-q silences the resampling note" -- -m ecg360.bnn -q -p q.csv wfdb/syn
[ ! -s err ] && ok "-q: nothing on stderr" || notok "-q: nothing on stderr"
expect 6 "a Bonn EEG segment has 1 channel, the model needs 2" "Bonn segment for a 2-channel model" -- -m maj2.bnn lay/Z/seg.txt
expect 5 "not a Bonn EEG segment" "--format bonn on a CSV" -- -m maj.bnn --format bonn nolab.csv

# ---------------------------------------------------------------------
# Models of several leads (format version 3): each channel by its lead
# ---------------------------------------------------------------------
# The same weights (seed) under three lead lists; swp/swp is syn with its
# two signal descriptions exchanged (V1 is then stored first).
for l in MLII,V1 V1,MLII MLII,V5; do
	"$MK" --arch conv --channels 2 --length 50 --rate 250 --beat 20,30 \
		--lead $l --norm zscore --seed 5 "lead-${l/,/-}.bnn" || exit 1
done
mkdir swp
sed 's/ 0 MLII\r$/ 0 @\r/; s/ 0 V1\r$/ 0 MLII\r/; s/ 0 @\r$/ 0 V1\r/; s/^syn /swp /' \
	wfdb/syn.hea > swp/swp.hea
cp wfdb/syn.atr swp/swp.atr
cp wfdb/syn.dat swp/
scores() { cut -d, -f3,6- "$1"; }
"$MK" --arch conv --channels 2 --length 50 --rate 250 --classes a,b \
	--lead V1,MLII --norm zscore eeg2lead-w.bnn || exit 1
expect 0 "" "two-lead model on syn" -- -m lead-MLII-V1.bnn --json -p l2-syn.csv wfdb/syn
json_check "two-lead model: its leads in JSON, the source's leads MLII+V1" \
	'd["model"]["input"]["leads"] == ["MLII", "V1"]' 'd["model"]["input"]["lead"] == "MLII"' \
	'd["data"]["sources"][0]["lead"] == "MLII+V1"' 'd["data"]["items"] == 9'
expect 0 "" "the same weights with leads V1,MLII on swp (V1 stored first)" -- -m lead-V1-MLII.bnn --json -p l2r-swp.csv swp/swp
json_check "V1,MLII on swp: the source's leads V1+MLII" 'd["data"]["sources"][0]["lead"] == "V1+MLII"'
expect 0 "" "leads MLII,V1 on swp" -- -m lead-MLII-V1.bnn -q -p l2-swp.csv swp/swp
if [ "$(scores l2-syn.csv)" = "$(scores l2r-swp.csv)" ] &&
   [ "$(scores l2-syn.csv)" != "$(scores l2-swp.csv)" ]; then
	ok "each channel takes its lead by name, not the record's signal order (scores beat for beat)"
else
	notok "each channel takes its lead by name, not the record's signal order (scores beat for beat)"
fi
"$RUN" -m lead-MLII-V1.bnn wfdb/syn > out 2> err
grep -q "^  input     2 channels x 50 samples at 250 Hz, leads MLII, V1, beat window" out &&
	ok "text report: the model's leads" || notok "text report: the model's leads"
expect 6 "record syn has no lead 'V5' \(signals: MLII, V1\), a lead the model was trained on; --lead-map V5=NAME feeds it from another of the record's signals" \
	"two-lead model: a lead the record lacks" -- -m lead-MLII-V5.bnn wfdb/syn
expect 0 "^bnn-run: warning: record syn: the model's lead V5 is fed from the record's V1 \(--lead-map V5=V1\), not from the lead it was trained on" \
	"--lead-map V5=V1: a warning" -- -m lead-MLII-V5.bnn --json -p l2m-syn.csv --lead-map V5=V1 wfdb/syn
json_check "--lead-map: the warning in the JSON, the source's leads MLII+V1" \
	'any("fed from the record\x27s V1" in w for w in d["warnings"])' 'd["data"]["sources"][0]["lead"] == "MLII+V1"'
[ "$(scores l2-syn.csv)" = "$(scores l2m-syn.csv)" ] &&
	ok "--lead-map V5=V1 feeds V1 to the V5 channel (scores equal MLII,V1's)" ||
	notok "--lead-map V5=V1 feeds V1 to the V5 channel (scores equal MLII,V1's)"
expect 0 "fed from the record's V1 \(--lead-map V5=V1\)" "--lead-map alternatives tried in order (V4 absent, then V1), repeated option" -- -m lead-MLII-V5.bnn -q -p q.csv --lead-map V5=V4 --lead-map V5=V1 wfdb/syn
expect 0 "" "--lead-map unused when the record has the lead: no warning" -- -m lead-MLII-V1.bnn -q -p q.csv --lead-map V1=V5 wfdb/syn
! grep -q warning err && ok "--lead-map: no warning when not used" || notok "--lead-map: no warning when not used"
expect 6 "record syn has no lead 'V5' \(signals: MLII, V1\), nor its --lead-map alternatives V4, V2" "--lead-map alternatives all missing" -- -m lead-MLII-V5.bnn --lead-map V5=V4,V5=V2 wfdb/syn
expect 2 "--lead-map V2=V1: the model has no lead V2 \(its leads: MLII, V5\)" "--lead-map of a lead the model lacks" -- -m lead-MLII-V5.bnn --lead-map V2=V1 wfdb/syn
expect 2 "--lead-map V5=MLII: MLII is the model's own lead of channel 0" "--lead-map onto the model's other lead" -- -m lead-MLII-V5.bnn --lead-map V5=MLII wfdb/syn
expect 2 "--lead-map V1=V1 maps a lead to itself" "--lead-map onto itself" -- -m lead-MLII-V1.bnn --lead-map V1=V1 wfdb/syn
for bad in V1 =V5 V1= V1=V5=V2 V1=V5, ,V1=V5; do
	expect 2 "--lead-map wants LEAD=ALT\[,LEAD=ALT...\] such as V1=V5, got '$bad'" "--lead-map '$bad' refused" -- -m lead-MLII-V1.bnn --lead-map "$bad" wfdb/syn
done
expect 2 "--lead-map '0123456789012345678901234567890123=V5': lead names have at most 31" "--lead-map: an over-long name" -- -m lead-MLII-V1.bnn --lead-map 0123456789012345678901234567890123=V5 wfdb/syn
expect 2 "--lead-map MLII=V5: the model has no lead MLII \(it names none\)" "--lead-map with a model that names no leads" -- -m maj2.bnn --lead-map MLII=V5 sig.csv
expect 2 "--lead V1: the model takes 2 leads \(MLII, V1\), each by name" "--lead with a two-lead model" -- -m lead-MLII-V1.bnn --lead V1 wfdb/syn
expect 0 "" "one-lead model: --lead-map MLII=V1 where MLII is there: unused" -- -m ecg250.bnn -q -p q.csv --lead-map MLII=V1 wfdb/syn
expect 0 "the model's lead V5 is fed from the record's V1 \(--lead-map V5=V1\)" "one-lead model: --lead-map V5=V1" -- -m ecgv5.bnn -q -p q.csv --lead-map V5=V1 wfdb/syn
expect 2 "--lead-map names a record's signals: a --stream has none" "--lead-map with --stream" -- -m lead-MLII-V1.bnn --stream - --fs 250 --lead-map V1=V5
expect 6 "the model takes 2 channels \(leads MLII, V1\); --stream feeds a model one channel of the stream" "--stream refuses a two-lead model" -- -m lead-MLII-V1.bnn --stream /dev/null --fs 250 --channels 2
expect 6 "rec.edf: the model classifies heartbeats of 2 leads \(MLII, V1\); in an EDF file or a CSV / float32 signal bnn-run detects the beats on one lead, so only one-lead beat models take them: give a recording of several leads as a WFDB record" "EDF: a two-lead beat model refused, naming what is supported" -- -m lead-MLII-V1.bnn rec.edf
expect 6 "ecg60x2.csv: the model classifies heartbeats of 2 leads \(MLII, V1\);.*only one-lead beat models" "a two-column CSV signal for a two-lead beat model refused" -- -m lead-MLII-V1.bnn --fs 250 ecg60x2.csv
# a folder: the record without V5 is skipped, naming its signals
mkdir l2dir
cp wfdb/syn.hea wfdb/syn.dat wfdb/syn.atr l2dir/
sed 's/ 0 V1\r$/ 0 V5\r/; s/^syn /has5 /' wfdb/syn.hea > l2dir/has5.hea
cp wfdb/syn.atr l2dir/has5.atr
expect 11 "skipped syn: record syn has no lead 'V5' \(signals: MLII, V1\)" "a folder: the record without the lead is skipped, the other classified" -- -m lead-MLII-V5.bnn --json l2dir
json_check "folder: has5 classified, syn skipped with the reason" \
	'[s["name"] for s in d["data"]["sources"]] == ["has5"]' \
	'd["skipped"][0]["input"] == "syn" and "no lead \x27V5\x27" in d["skipped"][0]["reason"] and d["skipped"][0]["status"] == 6'

# ---------------------------------------------------------------------
# Backends and the device node
# ---------------------------------------------------------------------
if ls /dev/accel/accel* >/dev/null 2>&1; then
	skip "--backend rbnn without a card" "a /dev/accel node exists"
else
	expect 8 "no RBNN card" "--backend rbnn without a card" -- -m maj.bnn --backend rbnn rows.csv
fi
expect 8 "/nonexistent/accel0: No such file or directory: no card there" "--device that does not exist" -- -m maj.bnn --device /nonexistent/accel0 rows.csv
expect 8 "/nonexistent/accel0: No such file or directory: no card there" "--scrub-policy on a real card: accepted (no card here)" -- -m maj.bnn --device /nonexistent/accel0 --scrub-policy --temperature-c 85 rows.csv
expect 2 "--scrub-policy applies to a card \(--backend emu or rbnn\), not cpu" "--scrub-policy with --backend cpu" -- -m maj.bnn --backend cpu --scrub-policy rows.csv
expect 8 "/nonexistent/accel0: No such file or directory: no card there" "--no-verify on a real card: accepted (libbnn programs it without verify)" -- -m maj.bnn --device /nonexistent/accel0 --no-verify rows.csv
expect 2 "--verify applies to a card \(--backend emu or rbnn\), not cpu" "--verify with --backend cpu" -- -m maj.bnn --backend cpu --verify rows.csv
expect 0 "" "--no-verify alone: the emulated card with its error model" -- -m maj.bnn --json --no-verify rows.csv
json_check "--no-verify alone: emu, error model on" 'd["backend"]["name"] == "emu"' '"error model on" in d["backend"]["detail"]'
expect 8 "is not a device node" "--device that is no device node" -- -m maj.bnn --device rows.csv rows.csv
# Permission denied: a node the user may not open.
touch node && chmod 000 node
chmod 755 "$tmp" && chmod 644 ./*.bnn ./*.csv && chmod 000 locked.csv
if [ "$(id -u)" -ne 0 ]; then
	expect 9 "permission denied.*udev rule" "permission denied on the device node" -- -m maj.bnn --device node rows.csv
elif command -v setpriv >/dev/null; then
	cp "$RUN" "$tmp/bnn-run-copy" && chmod 755 "$tmp/bnn-run-copy"
	setpriv --reuid=65534 --regid=65534 --clear-groups "$tmp/bnn-run-copy" \
		-m maj.bnn --device node rows.csv >out 2>err
	rc=$?
	if [ "$rc" -eq 9 ] && grep -q "permission denied.*udev rule" err &&
	   [ "$(wc -l <err)" -eq 1 ]; then
		ok "permission denied on the device node (as nobody)"
	else
		notok "permission denied on the device node (as nobody; exit $rc)"
	fi
else
	skip "permission denied on the device node" "root without setpriv"
fi
"$RUN" -m maj.bnn --backend emu --json rows.csv >out 2>err
rc=$?
if [ "$rc" -eq 0 ]; then
	json_check "emu backend: modeled device energy and time" \
		'd["backend"]["name"] == "emu"' \
		'd["performance"]["device"]["energy_pj_per_item"] > 0' \
		'd["performance"]["device"]["time_ns_per_item"] > 0' \
		'd["model"]["tiles"]["used"] >= 1 and d["model"]["tiles"]["total"] == 16' \
		'd["model"]["tiles"]["cards"] == 1' \
		'd["model"]["placement"]["card_stages"] >= 1' \
		'd["model"]["placement"]["card_bits"] + d["model"]["placement"]["host_bits"] == d["model"]["memory_bits"]["total"]' \
		'd["model"]["programming"]["pulses"] > 0 and d["model"]["programming"]["energy_pj"] > 0'
	"$RUN" -m maj.bnn --backend emu rows.csv >out 2>err &&
		grep -q "^  tiles     [1-9][0-9]* of 16 used" out &&
		grep -q "^  program   [1-9][0-9]* rows, [1-9][0-9]* pulses" out &&
		! grep -q "not reported" out &&
		ok "emu text report: tiles used and programming cost" ||
		notok "emu text report: tiles used and programming cost"
elif [ "$rc" -eq 8 ] && grep -q "^bnn-run: error: backend emu not available" err; then
	ok "emu backend not built into libbnn yet: exit 8 with a clear message"
else
	notok "emu backend (exit $rc)"
fi

# The scrub policy: a year at 85 C is ~1300 scrubs, each a programming
# cost; the JSON and the text report name the temperature and the policy.
"$RUN" -m maj.bnn --backend emu --json --age-s 3.156e7 --temperature-c 85 rows.csv >nopol.json 2>err &&
	"$RUN" -m maj.bnn --backend emu --json --age-s 3.156e7 --temperature-c 85 --scrub-policy rows.csv >out 2>err
rc=$?
if [ "$rc" -eq 0 ]; then
	cp out pol.json
	json_check "--scrub-policy: temperature and policy in the JSON, scrubs cost programming pulses" \
		'd["backend"]["error_model"]["temperature_c"] == 85' \
		'd["backend"]["error_model"]["scrub_policy"] is True' \
		'd["model"]["programming"]["pulses"] > 1000 * __import__("json").load(open("nopol.json"))["model"]["programming"]["pulses"]' \
		'1000 < d["model"]["programming"]["scrubs"] < 2000' \
		'0 <= d["model"]["programming"]["scrub_rows_rewritten"] <= d["model"]["programming"]["scrubs"] * d["model"]["programming"]["rows"]' \
		'__import__("json").load(open("nopol.json"))["model"]["programming"]["scrubs"] == 0'
	"$RUN" -m maj.bnn --backend emu --age-s 1e5 --temperature-c 60 --scrub-policy rows.csv >out 2>err &&
		grep -q "age 100000 s at 60 C, wear 0 cycles, scrub policy on" out &&
		grep -qE "^  scrub     [0-9]+ read-verify pass(es)? over the rows, [0-9]+ rows programmed again" out &&
		ok "--scrub-policy: the text report names it" ||
		notok "--scrub-policy: the text report names it"
else
	notok "--scrub-policy runs (exit $rc)"
fi
expect 1 "scrub policy: 1e\+12 s at 200 C is .* scrubs \(at most 1e\+06" "--scrub-policy: too many scrubs refused" -- \
	-m maj.bnn --backend emu --age-s 1e12 --temperature-c 200 --scrub-policy rows.csv

# ---------------------------------------------------------------------
# Results: metrics, JSON, predictions
# ---------------------------------------------------------------------
expect 0 "" "labelled CSV (text report)" -- -m maj.bnn --backend cpu rows.csv
grep -qE "accuracy +90.00 %" out && grep -q "confusion matrix" out &&
	grep -qE "^ +pos +10 +10 +90.00 +90.00" out &&
	ok "text report: accuracy, confusion matrix, per-class Se/+P" ||
	notok "text report: accuracy, confusion matrix, per-class Se/+P"
expect 0 "" "labelled CSV (--json)" -- -m maj.bnn --backend cpu --json rows.csv
json_check "--json metrics of the labelled CSV" \
	'd["exit_status"] == 0' \
	'd["metrics"]["accuracy"] == 0.9' \
	'd["metrics"]["confusion"] == [[9, 1], [1, 9]]' \
	'abs(d["metrics"]["per_class"]["pos"]["se"] - 0.9) < 1e-12' \
	'abs(d["metrics"]["macro_f1"] - 0.9) < 1e-12' \
	'd["metrics"]["aami"] is None and d["metrics"]["ec57"] is None' \
	'd["model"]["memory_bits"]["card"] == 16 and d["model"]["memory_bits"]["host"] == 0' \
	'd["model"]["card_layers"] == 1 and d["model"]["host_layers"] == 2' \
	'd["data"]["items"] == 20 and d["data"]["labelled"] == 20' \
	'd["performance"]["items"] == 20 and d["performance"]["latency_batch_ms"]["p50"] > 0' \
	'd["performance"]["device"] is None' \
	'd["command"][-1] == "rows.csv"'
expect 0 "" "--label-map swaps the classes" -- -m maj.bnn --json --label-map 0=neg,1=pos rows.csv
json_check "--label-map: accuracy 10 %" 'abs(d["metrics"]["accuracy"] - 0.1) < 1e-12'
expect 0 "" "--label-map '-' leaves a label out" -- -m maj.bnn --json --label-map 1=- rows.csv
json_check "--label-map '-': 10 labelled, 10 excluded, undefined Se is null" \
	'd["data"]["labelled"] == 10 and d["data"]["excluded"] == 10' \
	'd["metrics"]["per_class"]["neg"]["se"] is None'

expect 0 "" "--predictions on a labelled CSV" -- -m maj.bnn -q -p pred.csv rows.csv
[ ! -s out ] && ok "--quiet prints no report" || notok "--quiet prints no report"
"$PY" - <<'EOF' && ok "--predictions CSV: header, one row per item, labels, scores" || notok "--predictions CSV content"
import csv
rows = list(csv.reader(open("pred.csv")))
assert rows[0] == ["record", "index", "sample", "true", "predicted", "score_pos", "score_neg"], rows[0]
assert len(rows) == 21
for i, r in enumerate(rows[1:]):
    assert r[0] == "rows.csv" and int(r[1]) == i and int(r[2]) == i
    assert r[4] == ("pos" if i % 2 == 0 else "neg"), r
    assert float(r[5]) == (8 if i % 2 == 0 else -8) and float(r[6]) == -float(r[5])
    want = "pos" if i % 2 == 0 else "neg"
    assert (r[3] == ("0" if want == "pos" else "1")) == (i not in (3, 4)), r
EOF
ls pred.csv.tmp-* >/dev/null 2>&1 && notok "no temporary file left" || ok "no temporary file left"
expect 1 "cannot write predictions" "--predictions into a missing folder" -- -m maj.bnn -p nodir/p.csv rows.csv


# Outputs: -p -, symlinks, special files, no partial file in place of a good one
"$RUN" -m maj.bnn -p - rows.csv >out 2>err
rc=$?
[ "$rc" -eq 0 ] && [ "$(head -n 1 out)" = "record,index,sample,true,predicted,score_pos,score_neg" ] &&
	[ "$(wc -l <out)" -eq 21 ] && grep -qE "accuracy +90.00 %" err &&
	ok "-p -: predictions on stdout, the text report on stderr" ||
	notok "-p -: predictions on stdout, the text report on stderr (exit $rc)"
"$RUN" -m maj.bnn -q -p - rows.csv >out 2>err
[ "$(wc -l <out)" -eq 21 ] && [ ! -s err ] && ok "-p - -q: only the predictions" ||
	notok "-p - -q: only the predictions"
expect 2 "-p - and --json both write to stdout" "-p - with --json is refused" -- -m maj.bnn --json -p - rows.csv
mkdir -p real && rm -f real/t.csv && ln -sf real/t.csv link.csv
expect 0 "" "-p onto a dangling symlink" -- -m maj.bnn -q -p link.csv rows.csv
[ -L link.csv ] && [ "$(wc -l <real/t.csv)" -eq 21 ] &&
	ok "-p onto a symlink: the link stays, the file it names gets the predictions" ||
	notok "-p onto a symlink: the link stays, the file it names gets the predictions"
printf 'old\n' > real/t.csv && chmod 640 real/t.csv
expect 0 "" "-p through a symlink onto an existing file" -- -m maj.bnn -q -p link.csv rows.csv
[ -L link.csv ] && [ "$(wc -l <real/t.csv)" -eq 21 ] &&
	[ "$(stat -c %a real/t.csv)" = 640 ] && ! ls real/t.csv.tmp-* >/dev/null 2>&1 &&
	ok "-p through a symlink: file replaced, mode kept, no temporary left" ||
	notok "-p through a symlink: file replaced, mode kept, no temporary left"
# Through a link of our own: a broken bnn-run (rename over the target)
# would replace the link, never /dev/null itself.
ln -sf /dev/null to-null
expect 0 "" "-p onto a character device (via a link to /dev/null): written in place" -- -m maj.bnn -q -p to-null rows.csv
[ -L to-null ] && [ -c /dev/null ] && ! ls to-null.tmp-* /dev/null.tmp-* >/dev/null 2>&1 &&
	ok "the link and the device stay as they were" ||
	notok "the link and the device stay as they were"
rm -f pipe && mkfifo pipe
(cat pipe > from-pipe) &
reader=$!
expect 0 "" "-p onto a FIFO: streamed" -- -m maj.bnn -q -p pipe rows.csv
wait "$reader"
[ -p pipe ] && [ "$(wc -l <from-pipe)" -eq 21 ] && ok "FIFO: stays a FIFO, the reader got 21 lines" ||
	notok "FIFO: stays a FIFO, the reader got 21 lines"
expect 1 "cannot write predictions to real: it is a folder" "-p onto a folder" -- -m maj.bnn -p real rows.csv
printf 'good\n' > good.csv
expect 6 "wide.csv: rows have 10 values" "a failed run (model/data mismatch) with -p" -- -m maj.bnn -p good.csv wide.csv
[ "$(cat good.csv)" = good ] && ! ls good.csv.tmp-* >/dev/null 2>&1 &&
	ok "a failed run leaves the existing output untouched, no temporary" ||
	notok "a failed run leaves the existing output untouched, no temporary"
expect 5 "record broken" "a run failing on its data after the output was opened" -- -m ecg250.bnn -p good.csv batch/broken
[ "$(cat good.csv)" = good ] && ok "the existing output is untouched" ||
	notok "the existing output is untouched"
# interrupted: SIGTERM while the model runs (a long input; --batch 1)
"$PY" -c 'import sys
for i in range(600000): sys.stdout.write("1,1,1,1,1,1,1,1\n")' > long.csv
"$RUN" -m maj.bnn -q --batch 1 -p good.csv long.csv >out 2>err &
pid=$!
sleep 0.5
kill -TERM "$pid" 2>/dev/null
wait "$pid"
rc=$?
if [ "$rc" -eq 0 ]; then
	skip "SIGTERM mid-run" "the run ended within a second"
else
	[ "$(cat good.csv)" = good ] && ! ls good.csv.tmp-* >/dev/null 2>&1 &&
		ok "SIGTERM mid-run: output untouched, no temporary (exit $rc)" ||
		notok "SIGTERM mid-run: output untouched, no temporary (exit $rc)"
fi

expect 10 "the data has no labels: metrics skipped" "no labels, no --predictions" -- -m maj.bnn nolab.csv
expect 0 "" "no labels with --predictions" -- -m maj.bnn --json -p nolab-pred.csv nolab.csv
json_check "--json without labels: metrics null" 'd["metrics"] is None' \
	'd["data"]["unlabelled"] == 5'
[ "$(wc -l <nolab-pred.csv)" -eq 6 ] && grep -q '^nolab.csv,4,4,,neg,' nolab-pred.csv &&
	ok "predictions without labels" || notok "predictions without labels"
expect 10 "no label of the data is a class of the model" "labels that are no model class" -- -m maj.bnn --label-map 0=-,1=- rows.csv

expect 0 "labels from" "float32 with PREFIX.rows.tsv labels" -- -m maj.bnn --json -p f32-pred.csv items.x.f32
json_check "rows.tsv: classes, records and samples" \
	'd["metrics"]["confusion"] == [[5, 0], [1, 4]]' \
	'[s["name"] for s in d["data"]["sources"]] == ["r1", "r2"]' \
	'[s["items"] for s in d["data"]["sources"]] == [4, 6]'
grep -q '^r2,1,500,neg,pos,' f32-pred.csv && ok "rows.tsv record/sample in predictions" ||
	notok "rows.tsv record/sample in predictions"
printf 'pos\npos\n' > two.labels
expect 5 "2 labels for 10 items" "--labels of the wrong length" -- -m maj.bnn --labels two.labels items.x.f32
expect 2 "--labels goes with one CSV or float32 input" "--labels with two inputs" -- -m maj.bnn --labels two.labels rows.csv nolab.csv

expect 0 "" "N,C,L float32 (transposed to position-major)" -- -m maj2.bnn --shape 3,2,8 -p ncl-pred.csv -q ncl.f32
cut -d, -f5 ncl-pred.csv | tr '\n' ' ' | grep -q "predicted pos neg pos" &&
	ok "N,C,L predictions" || notok "N,C,L predictions"
expect 0 "" "2-channel signal CSV cut into windows" -- -m maj2.bnn -q -p sig-pred.csv sig.csv
[ "$(wc -l <sig-pred.csv)" -eq 6 ] && grep -q '^sig.csv,4,32,,' sig-pred.csv &&
	ok "signal CSV windows" || notok "signal CSV windows"
expect 0 "" "--limit" -- -m maj.bnn --json --limit 7 rows.csv
json_check "--limit 7" 'd["data"]["items"] == 7 and d["data"]["limited"] is True'

"$RUN" -m maj.bnn -q -p b1.csv --batch 1 rows.csv &&
	"$RUN" -m maj.bnn -q -p b3.csv --batch 3 --queue 4 rows.csv &&
	cmp -s b1.csv b3.csv && ok "same predictions for --batch 1 and --batch 3 --queue 4" ||
	notok "same predictions for --batch 1 and --batch 3 --queue 4"
expect 0 "" "float-only model (host layers)" -- -m float.bnn --json rows.csv
json_check "float-only model: no card layer, host bits" \
	'd["model"]["card_layers"] == 0 and d["model"]["memory_bits"]["card"] == 0' \
	'd["model"]["memory_bits"]["host"] > 0' \
	'd["model"]["tiles"]["used"] == 0 and d["model"]["placement"]["card_stages"] == 0' \
	'd["model"]["placement"]["host_bits"] == d["model"]["memory_bits"]["host"]'
expect 0 "running" "--progress always draws on stderr" -- -m maj.bnn --progress always -q rows.csv

# ---------------------------------------------------------------------
# WFDB (synthetic record)
# ---------------------------------------------------------------------
expect 0 "" "synthetic WFDB record (beats, AAMI classes)" -- -m ecg250.bnn --json wfdb/syn.hea
json_check "WFDB beats: 9 beats N 6, S 1, V 2, AAMI block" \
	'd["data"]["items"] == 9 and d["data"]["unit"] == "beats"' \
	'{l["label"]: l["items"] for l in d["data"]["labels"]} == {"N": 6, "S": 1, "V": 2, "F": 0, "Q": 0}' \
	'd["metrics"]["aami"]["SVEB"]["support"] == 1 and d["metrics"]["aami"]["VEB"]["support"] == 2' \
	'list(d["metrics"]["ec57"]["classes"]) == ["N", "S", "V", "F", "Q"]' \
	'd["metrics"]["ec57"]["classes"]["F"]["se"] is None and d["metrics"]["ec57"]["records"] == 1' \
	'd["metrics"]["ec57"]["s_se_without"] is None' \
	'd["data"]["sources"][0]["lead"] == "MLII"' \
	'd["model"]["name"] == "syn-ecg"'
expect 0 "" "WFDB folder, record given twice" -- -m ecg250.bnn --json wfdb wfdb/syn
json_check "WFDB folder: the record read once" 'd["data"]["items"] == 9'
expect 3 "no annotations|syn.qrs" "missing annotation file" -- -m ecg250.bnn --annotator qrs wfdb/syn

# ---------------------------------------------------------------------
# Signals without a rate (--fs), Bonn layouts
# ---------------------------------------------------------------------
expect 2 "sig400.txt: a signal without a sampling rate: it is no Bonn EEG segment .*give its rate with --fs HZ" ".txt outside a Bonn layout needs --fs" -- -m eeg.bnn sig400.txt
expect 0 "" ".txt signal with --fs at the model's rate" -- -m eeg.bnn --fs 173.61 --json -p p.csv sig400.txt
json_check ".txt with --fs: 2 windows, unlabelled, not resampled" 'd["data"]["items"] == 2' \
	'd["data"]["sources"][0]["reader"] == "csv"' 'd["data"]["sources"][0]["resampled"] is False'
expect 0 "resampling inputs at 86.805 Hz to the model's 173.61 Hz" ".txt signal with --fs at half the rate: resampled" -- -m eeg.bnn --fs 86.805 --json -p p.csv sig400.txt
json_check "--fs 86.805: 800 samples, 4 windows" 'd["data"]["items"] == 4' 'd["data"]["sources"][0]["resampled"] is True'
expect 7 "sig400.txt is sampled at 86.805 Hz, the model expects 173.61 Hz \(--no-resample" "--fs with --no-resample: rate mismatch" -- -m eeg.bnn --fs 86.805 --no-resample sig400.txt
expect 2 "sig400.csv: a signal \(400 rows of 1 channel\) carries no sampling rate and the model expects 173.61 Hz: give its rate with --fs HZ" "CSV signal without --fs" -- -m eeg.bnn sig400.csv
expect 0 "" "CSV signal with --fs" -- -m eeg.bnn --fs 173.61 --json -p p.csv sig400.csv
json_check "CSV signal: 2 windows" 'd["data"]["items"] == 2'
expect 0 "" "float32 signal with --fs" -- -m eeg.bnn --fs 173.61 --json -p p.csv sig400.f32
json_check "float32 with --fs: a signal, 2 windows" 'd["data"]["items"] == 2' 'd["data"]["unit"] == "windows"'
expect 2 "--shape describes float32 items, --fs makes" "--fs with --shape" -- -m eeg.bnn --fs 100 --shape 2 sig400.f32
expect 2 "--fs wants a number in \(0, 1e\+06\]" "--fs 0" -- -m eeg.bnn --fs 0 sig400.txt
expect 0 "" "real Bonn layout: the folder letter labels, 173.61 Hz" -- -m eeg.bnn --json lay/Z/seg.txt
json_check "layout: label Z -> non-seizure, no --fs needed" 'd["data"]["items"] == 2' \
	'{l["label"]: l["items"] for l in d["data"]["labels"] if l["items"]} == {"Z": 2}' \
	'd["data"]["sources"][0]["reader"] == "bonn"'
expect 2 "lone/S/seg.txt: a signal without a sampling rate" "a lone folder named S is no Bonn layout" -- -m eeg.bnn lone/S/seg.txt
expect 0 "" "lone folder S with --fs: unlabelled" -- -m eeg.bnn --fs 173.61 --json -p p.csv lone/S/seg.txt
json_check "lone S: no folder label" 'all(l["items"] == 0 for l in d["data"]["labels"])'
expect 0 "" "named like Z001.txt with 4097 lines: Bonn, its letter labels" -- -m eeg.bnn --json named/Z001.txt
json_check "name rule: 23 windows labelled Z" 'd["data"]["items"] == 23' \
	'{l["label"]: l["items"] for l in d["data"]["labels"] if l["items"]} == {"Z": 23}'
expect 2 "short/Z001.txt: a signal without a sampling rate" "named Z001.txt but 400 lines: no Bonn file" -- -m eeg.bnn short/Z001.txt
expect 0 "" "--format bonn outside a layout: 173.61 Hz, unlabelled" -- -m eeg.bnn --format bonn --json -p p.csv lone/S/seg.txt
json_check "--format bonn: no label" 'd["data"]["sources"][0]["reader"] == "bonn"' 'all(l["items"] == 0 for l in d["data"]["labels"])'

# ---------------------------------------------------------------------
# EDF+ (written by the fixture above)
# ---------------------------------------------------------------------
expect 0 "the model names no channel: using each EDF file's first signal \(EEG Fpz-Cz" "EDF+: first signal, annotations label windows" -- -m eeg100.bnn --json -p p.csv rec.edf
json_check "EDF+: 10 windows, 4 labelled seizure by the annotation over [2, 6) s" \
	'd["data"]["items"] == 10' \
	'{l["label"]: l["items"] for l in d["data"]["labels"]} == {"seizure": 4}' \
	'd["data"]["sources"][0]["reader"] == "edf" and d["data"]["sources"][0]["lead"] == "EEG Fpz-Cz"' \
	'd["data"]["sources"][0]["fs"] == 100'
[ "$(awk -F, 'NR > 1 { printf "%s;", $4 }' p.csv)" = ";;seizure;seizure;seizure;seizure;;;;;" ] &&
	ok "EDF+: windows 2-5 labelled, the others not" || notok "EDF+: windows 2-5 labelled, the others not ($(awk -F, 'NR > 1 { printf "%s;", $4 }' p.csv))"
expect 0 "" "--channel picks a signal by label, case-insensitively" -- -m eeg100.bnn --channel pz-oz --json -p p.csv rec.edf
json_check "--channel pz-oz: EEG Pz-Oz" 'd["data"]["sources"][0]["lead"] == "EEG Pz-Oz"'
expect 0 "" "the model's lead names the EDF channel" -- -m eegpz.bnn --json -p p.csv rec.edf
json_check "model lead Pz-Oz: EEG Pz-Oz" 'd["data"]["sources"][0]["lead"] == "EEG Pz-Oz"'
expect 6 "rec.edf has no channel 'Cz' \(its channels: EEG Fpz-Cz, EEG Pz-Oz\)$" "EDF: --channel not in the file" -- -m eeg100.bnn --channel Cz rec.edf
expect 6 "rec.edf has no channel 'C3' \(its channels: EEG Fpz-Cz, EEG Pz-Oz\); that is the model's lead" "EDF: the model's lead not in the file" -- -m eegc3.bnn rec.edf
# a windowed model of two named leads takes the EDF channels by label
"$MK" --arch conv --channels 2 --length 100 --rate 100 --classes non-seizure,seizure \
	--lead Pz-Oz,Fpz-Cz --norm zscore eeg2lead.bnn || exit 1
"$MK" --arch conv --channels 2 --length 100 --rate 100 --classes non-seizure,seizure \
	--lead Pz-Oz,C3 --norm zscore eegc3b.bnn || exit 1
expect 0 "" "EDF: a two-lead windowed model takes its channels by label" -- -m eeg2lead.bnn --json -p p.csv rec.edf
json_check "EDF two leads: Pz-Oz then Fpz-Cz (not the file's order)" \
	'd["data"]["sources"][0]["lead"] == "EEG Pz-Oz+EEG Fpz-Cz"'
expect 6 "rec.edf has no channel 'C3' \(its channels: EEG Fpz-Cz, EEG Pz-Oz\); that is one of the model's leads: --lead-map LEAD=ALT" "EDF: a two-lead model's channel missing" -- -m eegc3b.bnn rec.edf
expect 0 "rec.edf: the model's lead C3 is fed from the file's EEG Fpz-Cz \(--lead-map C3=Fpz-Cz\)" "EDF: --lead-map C3=Fpz-Cz" -- -m eegc3b.bnn --json -p p.csv --lead-map C3=Fpz-Cz rec.edf
json_check "EDF --lead-map: Pz-Oz, then Fpz-Cz for C3" 'd["data"]["sources"][0]["lead"] == "EEG Pz-Oz+EEG Fpz-Cz"'
expect 6 "rec.edf: the model's leads Pz-Oz and C3 both name its channel EEG Pz-Oz" "EDF: --lead-map onto a channel another lead takes" -- -m eegc3b.bnn --lead-map C3=EEG\ Pz-Oz rec.edf
expect 0 "" "WFDB windowed two-lead model: leads by name" -- -m eeg2lead-w.bnn --json -p p.csv wfdb/syn
json_check "WFDB windows, leads V1 then MLII" 'd["data"]["sources"][0]["lead"] == "V1+MLII"'
expect 6 "rec.edf has no channel 'MLII' \(its channels: EEG Fpz-Cz, EEG Pz-Oz\); that is the model's lead: --channel NAME picks another" "EDF of EEG channels with an ECG beat model: no MLII, exit 6" -- -m ecg250.bnn rec.edf
expect 0 "resampling inputs at 100 Hz to the model's 173.61 Hz" "EDF at 100 Hz, model at 173.61 Hz: resampled" -- -m eeg.bnn --json -p p.csv rec.edf
expect 7 "rec.edf is sampled at 100 Hz, the model expects 173.61 Hz \(--no-resample" "EDF with --no-resample" -- -m eeg.bnn --no-resample rec.edf
expect 5 "fake.edf: not an EDF or BDF file" "not EDF" -- -m eeg100.bnn fake.edf
expect 5 "cut.edf: truncated: the header announces 10 data records" "truncated EDF" -- -m eeg100.bnn cut.edf
expect 11 "skipped cut.edf: .*truncated" "a truncated EDF among good ones is skipped" -- -m eeg100.bnn --json -p p.csv rec.edf cut.edf
cp rec.edf noext
expect 0 "" "EDF recognised by its first bytes" -- -m eeg100.bnn --json -p p.csv noext
json_check "EDF without .edf: read as EDF" 'd["data"]["sources"][0]["reader"] == "edf"'
expect 0 "--fs ignored for EDF files" "--fs with an EDF: ignored with a warning" -- -m eeg100.bnn --fs 50 --json -p p.csv rec.edf

# ---------------------------------------------------------------------
# Beat models on signals without beat annotations: EDF, CSV, float32
# ---------------------------------------------------------------------
# ecg60 (60 s at 250 Hz) as a WFDB record without annotations (beats
# detected), as EDF files and as CSV / float32 signals: the same samples,
# so the same beats, classes and scores, beat for beat.
beatcls() { cut -d, -f3,5- "$1"; }
same_beats() {	# same_beats A.csv B.csv DESCRIPTION
	if [ "$(wc -l <"$1")" -gt 1 ] && [ "$(beatcls "$1")" = "$(beatcls "$2")" ]; then
		ok "$3"
	else
		notok "$3 ($(wc -l <"$1") and $(wc -l <"$2") lines)"
	fi
}
expect 0 "record ecg60 has no .atr annotations: its beats are detected" "ecg60 WFDB record: beats detected (-p)" -- -m ecg250.bnn -p wf60.csv ecg/ecg60
[ "$(wc -l <wf60.csv)" -gt 60 ] && ok "ecg60: more than 60 beats detected ($(($(wc -l <wf60.csv) - 1)))" ||
	notok "ecg60: more than 60 beats detected ($(wc -l <wf60.csv) lines)"
expect 10 "the data has no labels: metrics skipped and nothing saved" "ecg60 without annotations nor -p: status 10" -- -m ecg250.bnn ecg/ecg60
"$PY" - "$(($(wc -l <wf60.csv) - 1))" <<'EOF' && ok "... the report gives the items per predicted class" || notok "... the report gives the items per predicted class"
import re, sys
line = [l for l in open("out") if l.startswith("  predicted ")][0]
counts = [int(v) for v in re.findall(r" (\d+)(?:,|  \()", line)]
total = int(re.search(r"\(of (\d+) items\)", line).group(1))
sys.exit(not (sum(counts) == total == int(sys.argv[1]) and len(counts) >= 2))
EOF
expect 0 "" "--beats detect on a record without annotations: detected, nothing to score against" -- -m ecg250.bnn --beats detect -p wfd60.csv ecg/ecg60
same_beats wfd60.csv wf60.csv "--beats detect without annotations = the default (auto) without them"
# ecg60 oversampled: MLII as signal 1 with 2 samples per frame (each
# sample twice) after a 1-sample-per-frame signal, and the .atr in frame
# times: the mean per frame is the record's signal, so the same beats.
mkdir -p ecgspf
"$PY" - <<'EOF'
import struct
n = 250 * 60
x = struct.unpack("<%dh" % n, open("ecg/ecg60.dat", "rb").read())
open("ecgspf/ecg60.dat", "wb").write(
    b"".join(struct.pack("<3h", -x[i], x[i], x[i]) for i in range(n)))
ck = lambda v: (sum(v) + 32768) % 65536 - 32768
open("ecgspf/ecg60.hea", "w").write(
    "ecg60 2 250 %d\n"
    "ecg60.dat 16 200 16 0 %d %d 0 RESP\n"
    "ecg60.dat 16x2 200 16 0 %d %d 0 MLII\n"
    % (n, -x[0], ck([-v for v in x]), x[0], ck(list(x) * 2)))
EOF
expect 0 "record ecg60: signal 1 \(MLII\) has 2 samples per frame: their mean per frame is used, at the frame rate 250 Hz" \
	"2 samples per frame: beats detected at the frame rate, with a note" -- -m ecg250.bnn -p spf60.csv ecgspf/ecg60
! grep -q "warning" err && ok "2 samples per frame: checksums and initial values agree (no warning)" ||
	notok "2 samples per frame: checksums and initial values agree (no warning)"
same_beats spf60.csv wf60.csv "2 samples per frame = the record at 1: every beat's sample, class and scores"
cp ecgann/ecg60.atr ecgspf/
expect 0 "" "2 samples per frame with frame-time annotations (--json)" -- -m ecg250.bnn --json --beats detect -p spfa60.csv ecgspf/ecg60
json_check "2 samples per frame: every annotated beat matched" \
	'det = d["detection"]' 'det["fn"] == 0 and det["tp"] > 60'
cp out spfa60.json
# ecg60 skewed by 2 frames, with the header's checksum and initial value
# of the stored samples (as WFDB writes them): no mismatch, also --strict.
mkdir -p ecgskew
cp ecg/ecg60.dat ecgskew/
sed '2s/ 16 200 / 16:2 200 /' ecg/ecg60.hea >ecgskew/ecg60.hea
expect 0 "" "a skewed signal with its stored samples' checksum: --strict reads it" -- -m ecg250.bnn --strict -p skew60.csv ecgskew/ecg60
! grep -q "warning" err && ok "skewed signal: no checksum or initial-value warning" ||
	notok "skewed signal: no checksum or initial-value warning"
sed '2s/ 16 200 16 0 \(-*[0-9]*\) \(-*[0-9]*\) / 16:2 200 16 0 \1 7 /' ecg/ecg60.hea >ecgskew/ecg60.hea
expect 5 "record ecg60: .*signal 0 \(MLII\): checksum .*, header says 7 \(--strict: without it a mismatch is a warning\)" \
	"a skewed signal whose checksum is wrong: --strict refuses it" -- -m ecg250.bnn --strict ecgskew/ecg60
# The same beats at 500 Hz ticks, as WFDB's gqrs -H and wfdb.wrann(fs=)
# write them: the note "## time resolution: 500" at 0, a SKIP of -1 and a
# NOTQRS (code 0) of interval 1, then the annotations.
"$PY" - <<'EOF'
import struct
res = b"## time resolution: 500"
out = struct.pack("<H", 22 << 10) + struct.pack("<H", 63 << 10 | len(res)) + res + b"\0"
out += struct.pack("<HHHH", 59 << 10, 0xffff, 0xffff, 1)
t = 0
for line in open("ecg60.beats"):
    at, sym = int(line.split()[0]) * 2, line.split()[1]
    d = at - t
    if d > 1023:
        out += struct.pack("<HHH", 59 << 10, d >> 16, d & 0xffff)
        d = 0
    out += struct.pack("<H", {"N": 1, "V": 5}[sym] << 10 | d)
    t = at
open("ecgspf/ecg60.hres", "wb").write(out + b"\0\0")
EOF
expect 0 "record ecg60: the .hres times count at 500 Hz \(its time resolution note\): moved to the frame rate 250 Hz" \
	"annotations at 500 Hz ticks (time resolution note, NOTQRS): read, with a note" -- -m ecg250.bnn --json --beats detect --annotator hres -p spfh60.csv ecgspf/ecg60
"$PY" -c 'import json, sys; a, b = (json.load(open(f))["detection"] for f in sys.argv[1:]); sys.exit(a != b)' out spfa60.json &&
	ok "time resolution 500 Hz: the detection scored as against the frame-time .atr" ||
	notok "time resolution 500 Hz: the detection scored as against the frame-time .atr"
printf '\001\004\000\000\007\000' >ecgspf/ecg60.bad
expect 5 "record ecg60: .*ecg60.bad: annotations: .*data after the end-of-file word" \
	"an annotation file with bytes after its end word: still refused" -- -m ecg250.bnn --beats detect --annotator bad ecgspf/ecg60
expect 3 "record ecg60: .*ecg60.qrs: cannot open" "--beats detect --annotator NAME: the named reference must be there" -- -m ecg250.bnn --beats detect --annotator qrs ecg/ecg60
expect 0 "" "EDF with a beat model: beats detected (--json -p)" -- -m ecg250.bnn --json -p edf60.csv ecg60.edf
json_check "EDF beats: an edf source of beats on ECG MLII, the detection object, items unlabelled" \
	's = d["data"]["sources"][0]; det = d["detection"]' \
	's["reader"] == "edf" and s["lead"] == "ECG MLII" and s["fs"] == 250 and not s["resampled"]' \
	'det["records"] == 1 and det["records_with_reference"] == 0 and det["detected"] == s["items"] + s["dropped"]' \
	'det["tp"] == 0 and det["se"] is None' \
	'd["data"]["items"] == s["items"] and all(l["items"] == 0 for l in d["data"]["labels"])'
same_beats edf60.csv wf60.csv "EDF = the WFDB record with detected beats: every beat's sample, class and scores"
expect 0 "" "EDF channel by the lead's alias (II for MLII)" -- -m ecg250.bnn -p edfii.csv ecg60-ii.edf
! grep -q "generic" err && ok "EDF 'II' for MLII: no note" || notok "EDF 'II' for MLII: no note"
same_beats edfii.csv wf60.csv "EDF 'II' taken for MLII: the same beats and classes"
expect 0 "ecg60-generic.edf has no channel MLII: using its generic ECG channel 'ECG1' \(signal 0; --channel NAME picks another\)" "EDF generic ECG1 channel: taken with a note" -- -m ecg250.bnn -p edfg.csv ecg60-generic.edf
# A windowed model that names no lead (as the EEG models) on ECG: refused,
# unless a signal is named.
expect 6 "record ecg60: its first signal 'MLII' is an ECG lead, but the model classifies windows and names no lead \(an EEG model\): --lead NAME classifies a signal anyway" \
	"a lead-less windowed model on an ECG record: refused" -- -m eeg.bnn ecg/ecg60
expect 0 "" "... with --lead MLII: classified" -- -m eeg.bnn --lead MLII -p /dev/null ecg/ecg60
expect 6 "ecg60.edf: its first channel 'ECG MLII' is an ECG lead, but the model classifies windows and names no lead \(an EEG model\): --channel NAME classifies a channel anyway" \
	"a lead-less windowed model on an ECG EDF file: refused" -- -m eeg.bnn ecg60.edf
expect 6 "ecg60-generic.edf: its first channel 'ECG1' is an ECG lead" "... also a generic ECG channel" -- -m eeg.bnn ecg60-generic.edf
expect 0 "" "... with --channel: classified" -- -m eeg.bnn --channel "ECG MLII" -p /dev/null ecg60.edf
expect 11 "skipped ecg60.edf: ecg60.edf: its first channel 'ECG MLII' is an ECG lead" "... among EEG files: skipped (status 11)" -- -m eeg.bnn -p /dev/null rec.edf ecg60.edf
same_beats edfg.csv wf60.csv "EDF generic channel: the same beats and classes"
expect 0 "rec.edf: none of its 2 EDF\+ annotations is a beat \(a WFDB beat symbol such as N, V, A at a point in time\): the detected beats are unlabelled" "EDF+ with annotations that are no beats and a beat model: a note" -- -m ecg250.bnn -p /dev/null --channel "EEG Fpz-Cz" rec.edf
# EDF+ beat annotations are the reference of the detected beats, as a
# record's .atr is for --beats detect.
expect 0 "" "EDF+ with beat annotations (N, V): detected beats matched and labelled (--json)" -- -m ecg250.bnn --json -p edfa.csv ecg60-ann.edf
cp out edfa.json
json_check "EDF+ beat annotations: a reference for the detection, labelled beats, N and V" \
	'det = d["detection"]' 'det["records_with_reference"] == 1 and det["se"] > 0.95 and det["ppv"] > 0.95' \
	'{l["label"]: l["items"] > 0 for l in d["data"]["labels"] if l["label"] in "NV"} == {"N": True, "V": True}'
expect 0 "" "the record with the same beats as .atr, --beats detect (--json)" -- -m ecg250.bnn --beats detect --json -p wfa.csv ecgann/ecg60
"$PY" -c 'import json, sys; a, b = (json.load(open(f)) for f in sys.argv[1:]); sys.exit(a["detection"] != b["detection"] or a["metrics"]["confusion"] != b["metrics"]["confusion"])' edfa.json out &&
	[ "$(cut -d, -f3- edfa.csv)" = "$(cut -d, -f3- wfa.csv)" ] &&
	ok "EDF+ beat annotations = the record's .atr with --beats detect: detection counts, confusion, every beat's label, class and scores" ||
	notok "EDF+ beat annotations = the record's .atr with --beats detect: detection counts, confusion, every beat's label, class and scores"
expect 6 "ecg60-v2.edf has no channel 'MLII' \(its channels: V2\); that is the model's lead: --channel NAME picks another" "EDF with only another lead (V2): refused" -- -m ecg250.bnn ecg60-v2.edf
expect 0 "" "--channel V2 picks it" -- -m ecg250.bnn -q -p edfv2.csv --channel V2 ecg60-v2.edf
same_beats edfv2.csv wf60.csv "--channel V2: the same beats and classes"
expect 0 "resampling inputs at 250 Hz to the model's 360 Hz" "EDF at 250 Hz, beat model at 360 Hz: resampled" -- -m ecg360.bnn -p edf360.csv ecg60.edf
expect 0 "" "the WFDB record at 250 Hz, beat model at 360 Hz" -- -m ecg360.bnn -q -p wf360.csv ecg/ecg60
same_beats edf360.csv wf360.csv "EDF resampled = WFDB resampled, beat for beat"
expect 7 "ecg60.edf is sampled at 250 Hz, the model expects 360 Hz \(--no-resample refuses to resample it\)" "EDF beats with --no-resample and another rate" -- -m ecg360.bnn --no-resample ecg60.edf
expect 0 "" "a rhythm-feature model (baseline, low-pass, QRS amplitude) on the EDF" -- -m mitdb-feat.bnn -q -p edff.csv ecg60.edf
expect 0 "" "... and on the WFDB record" -- -m mitdb-feat.bnn -q -p wff.csv ecg/ecg60
same_beats edff.csv wff.csv "rhythm-feature model: EDF = WFDB, beat for beat"
# CSV, .txt and float32 signals: beats detected given --fs, refused without.
expect 2 "ecg60.csv: a continuous signal \(15000 rows of 1 value\) for a beat model, whose items are 50 values centred on beats: bnn-run detects the beats, which needs the signal's sampling rate: give it with --fs HZ" "a CSV signal for a beat model without --fs: refused naming --fs" -- -m ecg250.bnn ecg60.csv
expect 2 "ecg60.txt: a continuous signal \(15000 rows of 1 value\) for a beat model.*give it with --fs HZ" "a .txt signal for a beat model without --fs: refused naming --fs" -- -m ecg250.bnn ecg60.txt
expect 2 "whose items are 109 values centred on beats followed by rhythm features: bnn-run detects the beats" "the refusal names the rhythm features of a feature model" -- -m mitdb-feat.bnn ecg60.csv
for f in csv txt f32; do
	expect 0 "" "a $f signal with --fs 250 for a beat model: beats detected" -- -m ecg250.bnn -q --fs 250 -p sig60$f.csv ecg60.$f
	same_beats sig60$f.csv wf60.csv "$f signal = the WFDB record, beat for beat"
done
expect 0 "" "a CSV signal with --fs for a rhythm-feature model" -- -m mitdb-feat.bnn -q --fs 250 -p sigf.csv ecg60.csv
same_beats sigf.csv wff.csv "rhythm-feature model: CSV = WFDB, beat for beat"
expect 7 "ecg60.csv is sampled at 50 Hz: beat detection works at 100 .. 20000 Hz" "a CSV signal at a rate the detector refuses: exit 7" -- -m ecg250.bnn --fs 50 ecg60.csv
expect 7 "ecg60.f32 is sampled at 50 Hz: beat detection works at 100 .. 20000 Hz" "a float32 signal at a rate the detector refuses: exit 7" -- -m ecg250.bnn --fs 50 ecg60.f32
expect 7 "ecg60.csv is sampled at 250 Hz, the model expects 360 Hz \(--no-resample" "a CSV signal with --no-resample and another rate" -- -m ecg360.bnn --fs 250 --no-resample ecg60.csv
# One beat window per row stays a table of items (no --fs needed).
"$PY" -c 'print("\n".join(",".join(str((i * 7 + j) % 11) for j in range(50)) for i in range(3)))' >beatrows.csv
expect 0 "" "a CSV of beat windows (one per row) for a beat model: still items" -- -m ecg250.bnn --json -p br.csv beatrows.csv
json_check "beat-window rows: 3 items from a csv source" 'd["data"]["items"] == 3' 'd["data"]["sources"][0]["reader"] == "csv"'
# --write-ann on the EDF: NAME.EXT beside it, as the WFDB record's.
mkdir annedf annwf
cp ecg60.edf annedf/
expect 0 "" "--write-ann bnn on an EDF file" -- -m ecg250.bnn -q -p /dev/null --write-ann bnn annedf/ecg60.edf
expect 0 "" "--write-ann bnn on the WFDB record (detected beats)" -- -m ecg250.bnn -q -p /dev/null --write-ann bnn --ann-dir annwf ecg/ecg60
cmp -s annedf/ecg60.bnn annwf/ecg60.bnn && ok "--write-ann: the EDF's annotation file equals the WFDB record's, byte for byte" ||
	notok "--write-ann: the EDF's annotation file equals the WFDB record's, byte for byte"
expect 2 "annedf/ecg60.edf is the input file itself: --write-ann never replaces it" "--write-ann edf on an EDF refused" -- -m ecg250.bnn --write-ann edf annedf/ecg60.edf
cmp -s annedf/ecg60.edf ecg60.edf && ok "the EDF is untouched" || notok "the EDF is untouched"

# ---------------------------------------------------------------------
# WFDB annotations out (--write-ann)
# ---------------------------------------------------------------------
# The wfdb Python package of scripts/deps.sh conformance, if installed:
# it reads the files back as the reference WFDB reader.
WFDB_PY=${RBNN_CACHE:-$HOME/.cache/rbnn}/venv-wfdb/bin/python
mkdir annw && cp wfdb/syn.hea wfdb/syn.dat wfdb/syn.atr annw/
expect 0 "" "--write-ann bnn: synthetic record" -- -m ecg250.bnn -p annw.csv --write-ann bnn annw/syn
grep -q "9 beat annotations written to annw/syn.bnn" err && [ -s annw/syn.bnn ] &&
	ok "--write-ann: annw/syn.bnn written, a note says so" ||
	notok "--write-ann: annw/syn.bnn written, a note says so"
expect 0 "" "its own annotations as the reference (--annotator bnn)" -- -m ecg250.bnn --json --annotator bnn annw/syn
json_check "read back: 9 beats, 100 % accuracy against its own predictions" \
	'd["data"]["items"] == 9' 'd["metrics"]["accuracy"] == 1'
cp annw/syn.bnn annw.first
expect 0 "" "--write-ann again: the annotation file replaced" -- -m ecg250.bnn -q --write-ann bnn annw/syn
cmp -s annw/syn.bnn annw.first && ! ls annw | grep -q tmp- &&
	ok "replaced by the same bytes, no temporary left" ||
	notok "replaced by the same bytes, no temporary left"
"$MK" --arch conv --length 50 --rate 250 --beat 20,30 --lead MLII \
	--classes pos,neg ecg-pn.bnn || exit 1
expect 0 "" "--write-ann with classes that are no AAMI class" -- -m ecg-pn.bnn -q --write-ann pn annw/syn
grep -qa -e pos -e neg annw/syn.pn && ok "other classes: Q with the class name as aux text" ||
	notok "other classes: Q with the class name as aux text"
if [ -x "$WFDB_PY" ]; then
	if "$WFDB_PY" - >py.err 2>&1 <<'PYEOF'
import csv, wfdb
a = wfdb.rdann("annw/syn", "bnn")
rows = list(csv.DictReader(open("annw.csv")))
assert [int(r["sample"]) for r in rows] == list(a.sample), "samples"
assert [r["predicted"] for r in rows] == a.symbol, "symbols"
b = wfdb.rdann("annw/syn", "pn")
assert set(b.symbol) == {"Q"} and set(b.aux_note) <= {"pos", "neg"}, (b.symbol, b.aux_note)
PYEOF
	then
		ok "wfdb.rdann reads --write-ann files: samples, symbols and aux as bnn-run wrote them"
	else
		notok "wfdb.rdann reads --write-ann files ($(tail -n 1 py.err))"
	fi
else
	skip "wfdb.rdann reads --write-ann files" "no wfdb venv at $WFDB_PY (scripts/deps.sh conformance)"
fi
expect 2 "--write-ann atr would replace the reference annotations" "--write-ann atr refused" -- -m ecg250.bnn --write-ann atr annw/syn
expect 2 "--write-ann hea would replace the record's header" "--write-ann hea refused" -- -m ecg250.bnn --write-ann hea annw/syn
expect 2 "--write-ann qrs would replace the reference annotations the run reads \(--annotator qrs\)" "--write-ann EXT equal to --annotator refused" -- -m ecg250.bnn --annotator qrs --write-ann qrs annw/syn
expect 2 "--write-ann wants an annotator name" "--write-ann with a slash" -- -m ecg250.bnn --write-ann a/b annw/syn
expect 2 "--ann-dir goes with --write-ann" "--ann-dir alone" -- -m ecg250.bnn --ann-dir . annw/syn
expect 2 "--write-ann writes beat annotations: the model has no beat window" "--write-ann with a window model" -- -m maj.bnn --write-ann bnn annw/syn
ln -s syn.atr annw/syn.lnk
expect 2 "annw/syn.lnk is the record's reference annotation file" "--write-ann through a symlink to the .atr refused" -- -m ecg250.bnn --write-ann lnk annw/syn
cmp -s annw/syn.atr wfdb/syn.atr && ok "the reference .atr untouched" || notok "the reference .atr untouched"
echo "not annotations" >annw/syn.txt
expect 1 "annw/syn.txt exists and is no annotation file" "an existing file that is no annotation file is not replaced" -- -m ecg250.bnn --write-ann txt annw/syn
grep -q "not annotations" annw/syn.txt && ok "... and stays as it was" || notok "... and stays as it was"
ln -s elsewhere.ann annw/syn.sl
expect 0 "" "--write-ann through a dangling symlink" -- -m ecg250.bnn -q --write-ann sl annw/syn
[ -L annw/syn.sl ] && cmp -s annw/elsewhere.ann annw/syn.bnn &&
	ok "the symlink followed: its target written, the link kept" ||
	notok "the symlink followed: its target written, the link kept"
mkdir annro && cp wfdb/syn.* annro/ && chmod 555 annro
expect 1 "cannot write the annotations of record syn in annro: the folder is not writable \(--ann-dir DIR" "a read-only record folder: error suggesting --ann-dir" -- -m ecg250.bnn --write-ann bnn annro/syn
expect 1 "--ann-dir nowhere: No such file" "--ann-dir that does not exist" -- -m ecg250.bnn --write-ann bnn --ann-dir nowhere annro/syn
mkdir annout
expect 0 "" "--ann-dir: written there" -- -m ecg250.bnn -q --write-ann bnn --ann-dir annout annro/syn
[ -s annout/syn.bnn ] && [ ! -e annro/syn.bnn ] && ok "--ann-dir: annout/syn.bnn, nothing in the record folder" ||
	notok "--ann-dir: annout/syn.bnn, nothing in the record folder"
chmod 755 annro

# ---------------------------------------------------------------------
# Batches: an input that cannot be read is skipped, not fatal

# ---------------------------------------------------------------------
expect 11 "^bnn-run: warning: skipped broken: record broken: .*broken.hea: line 1" "folder with a corrupt record: the others classified, status 11" -- -m ecg250.bnn --json batch
json_check "folder with a corrupt record: JSON skipped list and exit_status" \
	'd["exit_status"] == 11' \
	'[s["name"] for s in d["data"]["sources"]] == ["syn", "syn2"]' \
	'd["data"]["items"] == 18' \
	'len(d["skipped"]) == 1 and d["skipped"][0]["input"] == "broken"' \
	'"bad number of samples" in d["skipped"][0]["reason"] and d["skipped"][0]["status"] == 5'
grep -q "^bnn-run: warning: 1 input skipped (listed above; exit status 11)$" err &&
	ok "status 11 is announced on stderr" || notok "status 11 is announced on stderr"
expect 11 "skipped broken" "folder with a corrupt record (text report)" -- -m ecg250.bnn batch
grep -q "^  skipped   broken: record broken:" out && grep -q "^Results   18 labelled beats" out &&
	ok "text report lists the skipped input" || notok "text report lists the skipped input"
expect 11 "skipped broken: record broken" "list run: a corrupt record among good ones" -- -m ecg250.bnn --json wfdb/syn batch/broken
json_check "list run: one source, one skipped" 'd["data"]["items"] == 9' \
	'[s["input"] for s in d["skipped"]] == ["broken"]'
expect 11 "skipped wide.csv: wide.csv: rows have 10 values" "list of CSV files: one of the wrong width" -- -m maj.bnn --json rows.csv wide.csv
json_check "CSV list: 20 rows classified, wide.csv skipped" 'd["data"]["items"] == 20' \
	'd["metrics"]["accuracy"] == 0.9' 'd["skipped"][0]["input"] == "wide.csv"' \
	'd["skipped"][0]["status"] == 6'
expect 6 "no input could be read \(2 skipped; the first: wide.csv: rows have 10 values" "every input skipped: the first one's status" -- -m maj.bnn wide.csv wide.csv
expect 7 "no input could be read \(2 skipped; the first: record syn is sampled at 250 Hz" "--no-resample in a folder run: all skipped, status 7" -- -m ecg360.bnn --no-resample wfdb batch/syn
expect 5 "^bnn-run: error: record broken: .*bad number of samples" "a corrupt record alone is still fatal with its status" -- -m ecg250.bnn batch/broken
expect 0 "" "a good folder: status 0, empty skipped list" -- -m ecg250.bnn --json wfdb
json_check "good folder: skipped == []" 'd["skipped"] == []' 'd["exit_status"] == 0'

# ---------------------------------------------------------------------
# Records read on several threads (read_parallel.c): the same data set,
# report and messages, in the same order, as on one
# ---------------------------------------------------------------------
# par/: records at 250 and 500 Hz (resampling notes at each change of
# rate), one without annotations (its beats detected, a once-only note),
# a corrupt one (skipped), in name order a250 b500 c250 d250 e000 f500.
mkdir par
for r in a250 c250 d250 f500 b500; do
	sed "s/^syn /$r /; s/^syn.dat/$r.dat/" wfdb/syn.hea > par/$r.hea
	cp wfdb/syn.dat par/$r.dat && cp wfdb/syn.atr par/$r.atr
done
sed -i '1s/ 250 / 500 /' par/b500.hea par/f500.hea
rm par/d250.atr
printf 'e000 1 250 xx\n' > par/e000.hea
# par_same DESC ARGS...: the run with -j 1 and with -j 2, -j 3 and no -j
# (the online CPUs): the same stdout (JSON: but the command line, the
# backend's thread count and the timings), predictions, stderr and status.
par_same() {
	local desc=$1 j rc1 rc
	shift
	"$RUN" -j 1 -p p1.csv "$@" >out1 2>err1
	rc1=$?
	for j in 2 3 ""; do
		"$RUN" ${j:+-j $j} -p pj.csv "$@" >out 2>err
		rc=$?
		if [ "$rc" -ne "$rc1" ] || ! cmp -s err1 err || ! cmp -s p1.csv pj.csv ||
		   ! "$PY" - out1 out <<'PYEOF'
import json, sys
def core(path):
    text = open(path).read()
    try:
        d = json.loads(text)
    except ValueError:      # the text report: up to its timings
        return [l for l in text.split("Performance")[0].splitlines()
                if "thread" not in l]
    for k in ("command", "performance"):
        d.pop(k, None)
    d["backend"].pop("threads", None)
    d["backend"].pop("detail", None)
    return d
sys.exit(core(sys.argv[1]) != core(sys.argv[2]))
PYEOF
		then
			notok "$desc (-j ${j:-default} differs from -j 1: status $rc vs $rc1)"
			diff err1 err | head -n 5 | sed 's/^/#   /'
			return
		fi
	done
	ok "$desc"
}
par_same "threads: a folder with rate changes, a detected record and a corrupt one" \
	-m ecg360.bnn --json par
grep -c '^bnn-run: resampling inputs at' err1 | grep -qx 4 &&
	grep -q "^bnn-run: warning: skipped e000: record e000" err1 &&
	grep -q "^bnn-run: record d250 has no .atr annotations" err1 &&
	ok "threads: the notes of a one-thread run (4 rate changes, the detection note, the skip)" ||
	notok "threads: the notes of a one-thread run (4 rate changes, the detection note, the skip)"
par_same "threads: --limit inside the second record" -m ecg360.bnn --json --limit 13 par
par_same "threads: text report" -m ecg360.bnn par
par_same "threads: --beats detect on every record" -m ecg360.bnn --json --beats detect par
par_same "threads: records, an EDF file (read on the main thread), corrupt records" \
	-m ecg250.bnn --json par/a250 ecg60.edf par/c250 batch/broken par/e000

# ---------------------------------------------------------------------
# Real data (MIT-BIH, Bonn) when present
# ---------------------------------------------------------------------

# ---------------------------------------------------------------------
# --stream: samples from a pipe, one JSON line per item
# ---------------------------------------------------------------------
# jsonl_classes FILE: "sample class" per line of a --stream output (every
# line must be a JSON object with the documented keys).
jsonl_classes() {
	"$PY" -c '
import json, sys
for line in open(sys.argv[1]):
    d = json.loads(line)
    assert set(d) >= {"t", "sample", "class", "scores", "delay_s", "compute_ms", "latency_ms"}, d
    assert d["delay_s"] >= 0 and d["compute_ms"] >= 0
    assert abs(d["latency_ms"] - (1000 * d["delay_s"] + d["compute_ms"])) < 0.2
    print(d["sample"], d["class"])
' "$1"
}
seq 0 3999 | awk '{ printf "%.6f\n", sin($1 / 9) * 40 + ($1 % 7) }' >eeg1.csv
expect 0 "" "windows of a CSV signal (batch)" -- -m eeg.bnn --fs 173.61 -p eeg-batch.csv eeg1.csv
expect 0 "stream eeg1.csv \(end of input\): 22 windows" "--stream: a windowed model classifies each window as it fills (22 of 4000 samples)" -- -m eeg.bnn --stream eeg1.csv --stream-format csv --fs 173.61
jsonl_classes out >eeg-stream.txt && tail -n +2 eeg-batch.csv | cut -d, -f3,5 | tr , ' ' >eeg-batch.txt &&
	cmp -s eeg-stream.txt eeg-batch.txt && ok "--stream windows: same positions and classes as the batch run" ||
	notok "--stream windows: same positions and classes as the batch run"
expect 2 "--stream needs --fs HZ" "--stream without --fs" -- -m eeg.bnn --stream -
expect 2 "--fs wants a number" "--stream --fs abc" -- -m eeg.bnn --stream - --fs abc
expect 2 "--fs wants a number" "--stream --fs 0" -- -m eeg.bnn --stream - --fs 0
expect 2 "--stream-format wants int16, float32 or csv" "--stream-format bogus" -- -m eeg.bnn --stream - --fs 100 --stream-format bogus
expect 2 "--stream-channel 2: the stream has 2 channels" "--stream-channel out of range" -- -m eeg.bnn --stream - --fs 100 --channels 2 --stream-channel 2
expect 2 "--units adc needs --gain" "--units adc without --gain" -- -m eeg.bnn --stream - --fs 100 --units adc
expect 2 "--gain goes with --units adc" "--gain without --units adc" -- -m eeg.bnn --stream - --fs 100 --gain 200
expect 2 "--stream reads its samples from -: no other input" "--stream with an input" -- -m eeg.bnn --stream - --fs 100 eeg1.csv
expect 3 "--stream nothere.fifo: No such file" "--stream of a missing file" -- -m eeg.bnn --stream nothere.fifo --fs 100
printf '1\n2\nabc\n' >bad.csv
expect 5 "line 3: 'abc' is not a line of 1 number" "--stream: a non-numeric CSV line" -- -m eeg.bnn --stream bad.csv --stream-format csv --fs 173.61
printf '1,2\n3\n' >bad2.csv
expect 5 "line 2 has 1 value, want 2" "--stream: a CSV line with too few values" -- -m eeg.bnn --stream bad2.csv --stream-format csv --fs 173.61 --channels 2
printf '\001\002\003' >odd.i16
expect 5 "1 byte at the end are not a whole frame" "--stream: a partial int16 frame at EOF" -- -m eeg.bnn --stream odd.i16 --fs 173.61
grep -q "stream odd.i16 (end of input): 0 windows" err && ok "a partial frame: the summary comes before the error" ||
	notok "a partial frame: the summary comes before the error"
printf '\000\000\300\177' >nan.f32
expect 5 "frame 0: channel 0 is not a finite float32" "--stream: NaN in float32 input" -- -m eeg.bnn --stream nan.f32 --stream-format float32 --fs 173.61
expect 2 "--fs 50: beat detection works at 100 .. 20000 Hz" "--stream: a beat model at a rate the detector refuses" -- -m mitdb.bnn --stream - --fs 50
expect 7 "the stream is sampled at 250 Hz, the model expects 173.61 Hz" "--stream --no-resample with another rate" -- -m eeg.bnn --stream - --fs 250 --no-resample

if [ -f "$DATA/mitdb/100.hea" ] && [ -f "$DATA/mitdb/SPLITS_AAMI.txt" ]; then
	expect 0 "" "MIT-BIH records 100 and 233 (text)" -- -m mitdb.bnn 100 233
	grep -q "AAMI EC57  SVEB (S): Se" out && grep -qE "^    233 +DS2" out &&
		ok "MIT-BIH text report: AAMI line and per-record table" ||
		notok "MIT-BIH text report: AAMI line and per-record table"
	expect 0 "" "MIT-BIH records 100 and 233 (--json)" -- -m mitdb.bnn --json -p mitdb-pred.csv 100 233
	json_check "MIT-BIH: beats per class of 100 + 233, window [-40, +60)" \
		'd["data"]["items"] == 5350' \
		'{l["label"]: l["items"] for l in d["data"]["labels"]} == {"N": 4467, "S": 40, "V": 832, "F": 11, "Q": 0}' \
		'[s["set"] for s in d["data"]["sources"]] == ["DS2", "DS2"]' \
		'sum(s["dropped"] for s in d["data"]["sources"]) == 2' \
		'sum(map(sum, d["metrics"]["confusion"])) == 5350'
	[ "$(wc -l <mitdb-pred.csv)" -eq 5351 ] && grep -q '^100,0,77,N,' mitdb-pred.csv &&
		ok "MIT-BIH predictions CSV" || notok "MIT-BIH predictions CSV"
	# EC57 statistics of a shipped model on 100 + 232 (232: most of DS2's
	# S beats), checked against the confusion matrices of the same report
	if [ -f "$repo/models/ecg-bin-full.bnn" ]; then
		expect 0 "" "EC57: models/ecg-bin-full.bnn on 100 232 (emu, --json)" -- -m "$repo/models/ecg-bin-full.bnn" -b emu --json 100 232
		json_check "EC57 JSON: F-as-V rule, gross and per-record Se / +P / FPR, kappa, jk, S Se without 232" \
			'e = d["metrics"]["ec57"]; cm = d["metrics"]["confusion"]; cl = d["model"]["classes"]; ix = {c: cl.index(c) for c in "NSVFQ"}; v = e["classes"]["V"]; s = e["classes"]["S"]; n = sum(map(sum, cm))' \
			'e["f_as_v_rule"] is True and "F beats classified as V" in e["rule"] and e["records"] == 2' \
			'v["fp"] == sum(r[ix["V"]] for r in cm) - v["tp"] - cm[ix["F"]][ix["V"]]' \
			'v["ppv"] is None if v["tp"] + v["fp"] == 0 else abs(v["ppv"] - v["tp"] / (v["tp"] + v["fp"])) < 1e-9' \
			'abs(v["fpr"] - v["fp"] / (v["fp"] + v["tn"])) < 1e-9 and v["tp"] + v["fn"] + v["fp"] + v["tn"] + cm[ix["F"]][ix["V"]] == e["beats"]' \
			'po = sum(cm[i][i] for i in range(len(cm))) / n; pe = sum(sum(cm[i]) * sum(r[i] for r in cm) for i in range(len(cm))) / n / n' \
			'abs(e["kappa"] - (po - pe) / (1 - pe)) < 1e-9' \
			'abs(e["jk"] - (e["kappa"] / 2 + (s["se"] + v["se"] + s["ppv"] + v["ppv"]) / 8)) < 1e-9' \
			'src = {x["name"]: x["confusion"] for x in d["data"]["sources"]}; ss = {k: sum(c[ix["S"]]) for k, c in src.items()}' \
			'e["s_se_without"]["record"] == "232" and e["s_se_without"]["s_beats"] == ss["232"]' \
			'abs(e["s_se_without"]["se"] - src["100"][ix["S"]][ix["S"]] / ss["100"]) < 1e-9' \
			'r = [c[ix["S"]][ix["S"]] / sum(c[ix["S"]]) for c in src.values() if sum(c[ix["S"]])]' \
			's["per_record"]["se_records"] == len(r) and abs(s["per_record"]["se"] - sum(r) / len(r)) < 1e-9' \
			'e["classes"]["Q"]["support"] == 0 and e["classes"]["Q"]["se"] is None and e["classes"]["Q"]["per_record"]["se_records"] == 0'
		expect 0 "" "EC57: the text report" -- -m "$repo/models/ecg-bin-full.bnn" -b emu 100 232
		grep -q "^  EC57      all beats (gross) | mean over 2 records; F beats classified as V are not V false positives" out &&
			grep -qE "^    kappa -?[0-9.]+, j-index -?[0-9.]+; S Se without record 232 \([0-9]+ of [0-9]+ S beats\): [0-9.]+ %" out &&
			grep -qE "^    Q +0 +- +- " out &&
			ok "EC57 text block: rule, kappa, j-index, S Se without 232, '-' for an empty class" ||
			notok "EC57 text block: rule, kappa, j-index, S Se without 232, '-' for an empty class"
	else
		skip "EC57 on a shipped model" "no models/ecg-bin-full.bnn"
	fi
	expect 6 "record 102 has no lead 'MLII' \(signals: V5, V2\)" "MIT-BIH 102 has no MLII" -- -m mitdb.bnn 102
	# two leads on MIT-BIH: 100 has V5 and 114 stores V5 before MLII
	"$MK" --arch conv --channels 2 --length 100 --rate 360 --beat 40,60 \
		--lead MLII,V1 --norm zscore mitdb2.bnn || exit 1
	expect 6 "record 100 has no lead 'V1' \(signals: MLII, V5\), a lead the model was trained on; --lead-map V1=NAME" "MIT-BIH 100 for an MLII + V1 model" -- -m mitdb2.bnn 100
	expect 0 "record 114: the model's lead V1 is fed from the record's V5 \(--lead-map V1=V5\)" "MIT-BIH 100 and 114 with --lead-map V1=V2,V1=V5" -- -m mitdb2.bnn --json --lead-map V1=V2,V1=V5 100 114
	json_check "100: MLII+V5; 114: MLII (its signal 1) then V5 (its signal 0); one warning each" \
		'[s["lead"] for s in d["data"]["sources"]] == ["MLII+V5", "MLII+V5"]' \
		'sum("is fed from the record" in w for w in d["warnings"]) == 2'
	expect 0 "" "DS2 by name, --limit" -- -m mitdb.bnn --json --limit 3000 DS2
	json_check "DS2 resolved from SPLITS_AAMI.txt" 'd["data"]["items"] == 3000' \
		'd["data"]["sources"][0]["name"] == "100"'
	# A plain PhysioNet download: no SPLITS_AAMI.txt -> the built-in split.
	mkdir plain
	for r in 100 101 102 103; do
		for e in hea dat atr; do ln -s "$DATA/mitdb/$r.$e" plain/; done
	done
	expect 11 "DS1: no SPLITS_AAMI.txt in plain: using the built-in split" "DS1 without SPLITS_AAMI.txt: the built-in split (records missing there skipped)" -- -m mitdb.bnn --data plain --json DS1
	json_check "built-in DS1 in a folder holding 100-103: 101 read, the 21 others skipped" \
		'[s["name"] for s in d["data"]["sources"]] == ["101"]' \
		'd["data"]["sources"][0]["set"] == "DS1"' \
		'len(d["skipped"]) == 21 and d["skipped"][0]["input"] == "106"'
	expect 0 "plain: left out 1 paced record .*--allow-paced.*: 102" "folder run without SPLITS_AAMI.txt leaves the paced record out" -- -m mitdb.bnn --json --limit 10 plain
	json_check "paced 102 left out" '"102" not in [s["name"] for s in d["data"]["sources"]]' \
		'd["skipped"] == []'
	expect 11 "skipped 102: record 102 has no lead 'MLII'" "--allow-paced: 102 read (and skipped: it has no MLII)" -- -m mitdb.bnn --json --allow-paced plain
	json_check "--allow-paced: 102 in the skipped list" '[s["input"] for s in d["skipped"]] == ["102"]' \
		'[s["name"] for s in d["data"]["sources"]] == ["100", "101", "103"]'
	# Rhythm features and preprocessing from the model (format v2).
	expect 0 "" "a rhythm-feature model (9 features, baseline, low-pass, QRS amplitude) on 100 and 233" -- -m mitdb-feat.bnn --json -p feat-pred.csv 100 233
	json_check "feature model: every beat of 100 and 233 classified" \
		'd["data"]["items"] == 5350' 'd["detection"] is None'
	# Beats: detected when a record has no annotations, or when asked.
	mkdir noatr
	ln -s "$DATA/mitdb/100.hea" noatr/ && ln -s "$DATA/mitdb/100.dat" noatr/
	expect 10 "record 100 has no .atr annotations: its beats are detected" "a record without annotations: beats detected (no labels: nothing to score)" -- -m mitdb-feat.bnn noatr/100
	expect 0 "" "a record without annotations classifies (-p)" -- -m mitdb-feat.bnn -p noatr.csv noatr/100
	[ "$(wc -l <noatr.csv)" -gt 2200 ] && ok "detected beats of 100 written to the predictions" ||
		notok "detected beats of 100 written to the predictions"
	expect 3 "record 100: .*--beats detect finds the beats" "--beats annotations on a record without them" -- -m mitdb-feat.bnn --beats annotations noatr/100
	# --write-ann on MIT-BIH: 100 with its annotations, noatr/100 detected.
	mkdir annrec
	for e in hea dat atr; do ln -s "$DATA/mitdb/100.$e" annrec/; done
	expect 0 "" "--write-ann on MIT-BIH 100 (annotated beats)" -- -m mitdb.bnn -q -p annrec.csv --write-ann bnn annrec/100
	expect 0 "" "100 read back with --annotator bnn" -- -m mitdb.bnn --json --annotator bnn annrec/100
	json_check "100: every classified beat read back, 100 % accuracy against its own predictions" \
		"d['data']['items'] == $(($(wc -l <annrec.csv) - 1))" 'd["metrics"]["accuracy"] == 1'
	expect 0 "" "--write-ann on 100 without .atr (detected beats; no labels, yet status 0)" -- -m mitdb.bnn -p noatr-w.csv --write-ann bnn noatr/100
	expect 0 "" "the detected beats read back with --annotator bnn" -- -m mitdb.bnn --json --annotator bnn noatr/100
	json_check "detected beats of 100 read back: all of them, 100 % accuracy" \
		"d['data']['items'] == $(($(wc -l <noatr-w.csv) - 1))" 'd["metrics"]["accuracy"] == 1' \
		'd["detection"] is None'
	if [ -x "$WFDB_PY" ]; then
		if "$WFDB_PY" - "$DATA/mitdb/100" >py.err 2>&1 <<'PYEOF'
import csv, sys, wfdb
ref = wfdb.rdann(sys.argv[1], "atr")
for rec, pred in (("annrec/100", "annrec.csv"), ("noatr/100", "noatr-w.csv")):
    a = wfdb.rdann(rec, "bnn")
    rows = list(csv.DictReader(open(pred)))
    assert [int(r["sample"]) for r in rows] == list(a.sample), rec + ": samples"
    assert [r["predicted"] for r in rows] == a.symbol, rec + ": symbols"
    assert a.fs == 360
# annotated beats: at the reference's own samples
assert set(wfdb.rdann("annrec/100", "bnn").sample) <= set(ref.sample)
PYEOF
		then
			ok "wfdb.rdann reads 100.bnn (annotated and detected beats) as bnn-run's predictions"
		else
			notok "wfdb.rdann reads 100.bnn ($(tail -n 1 py.err))"
		fi
	else
		skip "wfdb.rdann reads 100.bnn" "no wfdb venv at $WFDB_PY (scripts/deps.sh conformance)"
	fi
	if [ -z "$(find "$DATA/mitdb" -maxdepth 0 -perm /222)" ]; then
		expect 1 "cannot write the annotations of record 100 in .*mitdb: the folder is not writable \(--ann-dir DIR writes them elsewhere\)" "--write-ann next to a record of the read-only data folder: error" -- -m mitdb.bnn --write-ann bnn 100
	else
		skip "--write-ann in the read-only data folder" "$DATA/mitdb is writable"
	fi
	mkdir annds
	expect 0 "" "--write-ann --ann-dir for records by name" -- -m mitdb.bnn -q --write-ann bnn --ann-dir annds 100 233
	[ -s annds/100.bnn ] && [ -s annds/233.bnn ] && cmp -s annds/100.bnn annrec/100.bnn &&
		ok "--ann-dir: 100.bnn and 233.bnn there (100 as before)" ||
		notok "--ann-dir: 100.bnn and 233.bnn there (100 as before)"
	expect 0 "" "--beats detect scored against the reference (--json)" -- -m mitdb-feat.bnn --beats detect --json 100 233
	json_check "detection object: tp/fp/fn/se/ppv, Se and +P over 99 %" \
		'd["detection"]["records"] == 2' \
		'd["detection"]["tp"] + d["detection"]["fn"] == 2273 + 3079' \
		'd["detection"]["se"] > 0.99 and d["detection"]["ppv"] > 0.99' \
		'abs(d["detection"]["se"] - d["detection"]["tp"] / (d["detection"]["tp"] + d["detection"]["fn"])) < 1e-9'
	expect 0 "" "--beats detect, text report" -- -m mitdb-feat.bnn --beats detect 100
	grep -qE "beats detected in 1 record .*Se [0-9.]+ %, \+P [0-9.]+ %" out &&
		ok "detection Se/+P in the text report" || notok "detection Se/+P in the text report"
	expect 2 "--beats wants auto, annotations or detect" "--beats bogus" -- -m mitdb-feat.bnn --beats bogus 100
	seq 1 4000 | awk '{ print sin($1 / 20) }' >signal.csv
	expect 2 "a continuous signal .* for a beat model.*give it with --fs HZ" "a continuous CSV for a beat model without --fs: refused naming --fs" -- -m mitdb-feat.bnn signal.csv
	# MIT-BIH 100's MLII as an EDF file (bnn-wfdb2raw: ADC - baseline as
	# the digital values, physical = digital / 200 mV: the samples are
	# the record's to the bit, tests/unit/test_edf.c test_ecg_exact), in
	# whole records of 1 s: 1805 s = 649800 samples.  trunc/100 is the
	# WFDB record cut to those samples (its header's sample count; the
	# checksum then warns).  The shipped ECG model (180 Hz, beat
	# reference, rhythm features) gives every beat the class and scores
	# of --beats detect on the record, and the same --write-ann file.
	if [ -f "$repo/models/ecg-bin-full.bnn" ] && [ -x "$W2R" ] &&
	   "$W2R" "$DATA/mitdb" 100 MLII int16 >m100.i16 2>/dev/null; then
		mkdir edf100 trunc
		"$PY" "$here/edf_write.py" --ecg edf100/100.edf m100.i16 360 200 MLII
		sed '1s/ 650000\r\{0,1\}$/ 649800/' "$DATA/mitdb/100.hea" >trunc/100.hea
		ln -s "$DATA/mitdb/100.dat" trunc/ && ln -s "$DATA/mitdb/100.atr" trunc/
		expect 0 "" "MIT-BIH 100 as EDF with models/ecg-bin-full.bnn (--json -p --write-ann)" -- \
			-m "$repo/models/ecg-bin-full.bnn" --json -p edf100.csv --write-ann bnn edf100/100.edf
		json_check "EDF of 100: 2270 beats detected and classified, resampled to 180 Hz, no labels" \
			's = d["data"]["sources"][0]' 's["reader"] == "edf" and s["lead"] == "MLII" and s["resampled"]' \
			'd["data"]["items"] == s["items"] and s["items"] > 2250 and d["detection"]["records"] == 1'
		expect 0 "" "trunc/100 with --beats detect (-p --write-ann)" -- \
			-m "$repo/models/ecg-bin-full.bnn" --beats detect -q -p trunc100.csv --write-ann bnn --ann-dir . trunc/100
		if [ "$(wc -l <edf100.csv)" -gt 2250 ] &&
		   [ "$(cut -d, -f3,5- edf100.csv)" = "$(cut -d, -f3,5- trunc100.csv)" ]; then
			ok "EDF of 100 = --beats detect on the record: every beat's sample, class and scores ($(($(wc -l <edf100.csv) - 1)) beats)"
		else
			notok "EDF of 100 = --beats detect on the record: every beat's sample, class and scores"
		fi
		cmp -s edf100/100.bnn 100.bnn && ok "EDF of 100: --write-ann gives the record's annotation file, byte for byte" ||
			notok "EDF of 100: --write-ann gives the record's annotation file, byte for byte"
		# The same as EDF+ with 100.atr's beats as annotations: the
		# detection scored and the beats labelled as on the record.
		"$PY" - "$DATA/mitdb/100.atr" >b100.txt <<'EOF'
import sys
# MIT-format annotations -> "sample symbol" lines of the beat codes
sym = {1: "N", 2: "L", 3: "R", 4: "a", 5: "V", 6: "F", 7: "J", 8: "A", 9: "S",
       10: "E", 11: "j", 12: "/", 13: "Q", 34: "e", 38: "f"}
d = open(sys.argv[1], "rb").read()
i = t = 0
while i + 1 < len(d):
    w = d[i] | d[i + 1] << 8
    i += 2
    a, n = w >> 10, w & 0x3ff
    if a == 0 and n == 0:
        break
    if a == 59:	# SKIP: a 32-bit interval, high word first
        v = (d[i] | d[i + 1] << 8) << 16 | d[i + 2] | d[i + 3] << 8
        t += v - (1 << 32) if v >= 1 << 31 else v
        i += 4
    elif a == 63:	# AUX text
        i += (n + 1) // 2 * 2
    elif a < 59:
        t += n
        if a in sym:
            print(t, sym[a])
EOF
		"$PY" "$here/edf_write.py" --ecg edf100/100plus.edf m100.i16 360 200 MLII b100.txt
		expect 0 "" "MIT-BIH 100 as EDF+ with its beats as annotations (--json)" -- \
			-m "$repo/models/ecg-bin-full.bnn" --json -p edf100a.csv edf100/100plus.edf
		cp out edf100a.json
		expect 0 "" "trunc/100 with --beats detect (--json)" -- \
			-m "$repo/models/ecg-bin-full.bnn" --beats detect --json -p trunc100a.csv trunc/100
		"$PY" -c 'import json, sys; a, b = (json.load(open(f)) for f in sys.argv[1:]); sys.exit(a["detection"] != b["detection"] or a["detection"]["tp"] < 2250 or a["metrics"]["confusion"] != b["metrics"]["confusion"])' edf100a.json out &&
			[ "$(cut -d, -f3- edf100a.csv)" = "$(cut -d, -f3- trunc100a.csv)" ] &&
			ok "EDF+ of 100 with its beats = --beats detect on the record: detection, confusion, every beat's label, class and scores" ||
			notok "EDF+ of 100 with its beats = --beats detect on the record: detection, confusion, every beat's label, class and scores"
	else
		skip "MIT-BIH 100 as EDF" "no models/ecg-bin-full.bnn or $W2R"
	fi
	# A checksum mismatch: a warning by default, an error with --strict.
	mkdir badsum
	ln -s "$DATA/mitdb/100.dat" badsum/ && ln -s "$DATA/mitdb/100.atr" badsum/
	sed '2s/ -22131 / 12345 /' "$DATA/mitdb/100.hea" >badsum/100.hea
	expect 0 "record 100: .*checksum" "WFDB checksum mismatch: a warning, the record classified" -- -m mitdb.bnn --limit 100 badsum/100
	expect 5 "checksum.*--strict" "WFDB checksum mismatch with --strict: status 5" -- -m mitdb.bnn --strict badsum/100
	expect 4 "rhythm features but no beat window" "features in a model without a beat window" -- -m feat-nobeat.bnn 100
	# --stream: record 100 piped through (int16 ADC - baseline, --gain
	# 200) gets the classes of the batch run with detected beats.
	expect 0 "" "batch run of 100 with detected beats (-p)" -- -m mitdb-feat.bnn --beats detect -p det100.csv 100
	tail -n +2 det100.csv | cut -d, -f3,5 | tr , ' ' >det100.txt
	if [ -x "$W2R" ] && "$W2R" "$DATA/mitdb" 100 MLII int16 >r100.i16 2>/dev/null; then
		"$RUN" -m mitdb-feat.bnn --stream - --fs 360 --units adc --gain 200 <r100.i16 >out 2>err
		rc=$?
		[ $rc -eq 0 ] && jsonl_classes out >s100.txt && cmp -s s100.txt det100.txt &&
			ok "--stream: record 100 piped as int16: every beat and class as the batch run ($(wc -l <s100.txt) beats)" ||
			notok "--stream: record 100 piped as int16: every beat and class as the batch run (exit $rc)"
		grep -qE "stream stdin \(end of input\): $(wc -l <det100.txt) beats in 1805.6 s of signal" err &&
			grep -q "latency mean" err && ok "--stream summary: beats, classes, latency" ||
			notok "--stream summary: beats, classes, latency"
		"$W2R" "$DATA/mitdb" 100 MLII float32 2 >r100.f32 2>/dev/null
		mkfifo s.fifo
		cat r100.f32 >s.fifo &
		"$RUN" -m mitdb-feat.bnn --stream s.fifo --stream-format float32 --channels 2 --stream-channel 0 --fs 360 >out 2>err
		rc=$?
		wait
		[ $rc -eq 0 ] && jsonl_classes out >s100f.txt && cmp -s s100f.txt det100.txt &&
			ok "--stream from a FIFO: float32, 2 channels, --stream-channel 0: the batch run's classes" ||
			notok "--stream from a FIFO: float32, 2 channels, --stream-channel 0: the batch run's classes (exit $rc)"
		"$W2R" "$DATA/mitdb" 100 MLII csv >r100.csv 2>/dev/null
		"$RUN" -m mitdb-feat.bnn --stream - --stream-format csv --fs 360 <r100.csv >out 2>err
		rc=$?
		[ $rc -eq 0 ] && jsonl_classes out >s100c.txt && cmp -s s100c.txt det100.txt &&
			ok "--stream: CSV lines (mV): the batch run's classes" ||
			notok "--stream: CSV lines (mV): the batch run's classes (exit $rc)"
		# SIGINT mid-stream: the samples come slowly, the run is stopped.
		"$PY" -c '
import sys, time
d = open("r100.i16", "rb").read()
for i in range(0, len(d), 7200):
    sys.stdout.buffer.write(d[i:i + 7200]); sys.stdout.flush(); time.sleep(0.05)
' 2>/dev/null | "$RUN" -m mitdb-feat.bnn --stream - --fs 360 --units adc --gain 200 >out 2>err &
		pid=$!
		sleep 4
		kill -INT "$pid"
		wait "$pid"
		rc=$?
		jsonl_classes out >sint.txt
		lines=$(wc -l <sint.txt)
		[ $rc -eq 130 ] && grep -q "interrupted (SIGINT)" err && [ "$lines" -gt 10 ] &&
			[ "$lines" -lt "$(wc -l <det100.txt)" ] &&
			head -n "$((lines - 2))" det100.txt | cmp -s - <(head -n "$((lines - 2))" sint.txt) &&
			ok "--stream: SIGINT mid-stream ends cleanly (status 130, summary, $lines beats, as the batch run's)" ||
			notok "--stream: SIGINT mid-stream ends cleanly (exit $rc, $lines lines)"
		wait
	else
		skip "--stream on record 100" "no $W2R"
	fi
else
	skip "MIT-BIH runs" "no data under $DATA/mitdb"
fi
if [ -d "$DATA/bonn_eeg/Z" ]; then
	expect 0 "" "Bonn EEG set folder Z + one S segment" -- -m eeg.bnn --json "$DATA/bonn_eeg/Z" "$DATA/bonn_eeg/S/S001.txt"
	json_check "Bonn: 23 windows per segment, Z and S mapped to non-seizure / seizure" \
		'd["data"]["items"] == 101 * 23' \
		'{l["label"]: l["class"] for l in d["data"]["labels"] if l["items"]} == {"Z": "non-seizure", "S": "seizure"}'
	expect 7 "Bonn EEG is sampled at 173.61 Hz, the model expects 250 Hz \(--no-resample" "Bonn rate mismatch with --no-resample" -- -m ecg250.bnn --no-resample "$DATA/bonn_eeg/Z/Z001.txt"
	if [ -f "$DATA/mitdb/100.hea" ]; then
		expect 6 "record 100: its first signal 'MLII' is an ECG lead" "the shipped EEG model on MIT-BIH 100: refused" -- -m "$repo/models/eeg-seizure-bin-full.bnn" -p /dev/null 100
	fi
	# EDF+ written with EDFlib's C API (the library libbnn reads with)
	# from Bonn segments: the shipped EEG model gives the .txt's classes
	# and scores, the annotations label the windows.
	eegm=$repo/models/eeg-seizure-bin-full.bnn
	if "$B2E" s001-c.edf "$DATA/bonn_eeg/S/S001.txt" seizure &&
	   "$B2E" z001-c.edf "$DATA/bonn_eeg/Z/Z001.txt" Z; then
		expect 0 "" "EDFlib (C) EDF+ of S001 and Z001 with the shipped EEG model" -- -m "$eegm" --json -p edfc-pred.csv s001-c.edf z001-c.edf
		json_check "EDFlib EDF+: 46 windows labelled by the annotations, seizure / non-seizure, 173.61 Hz" \
			'd["data"]["items"] == 46' \
			'{l["label"]: (l["items"], l["class"]) for l in d["data"]["labels"]} == {"seizure": (23, "seizure"), "Z": (23, "non-seizure")}' \
			'all(abs(s["fs"] - 173.61) < 0.01 and not s["resampled"] and s["reader"] == "edf" for s in d["data"]["sources"])'
		cp out edfc.json
		expect 0 "" "the same segments as Bonn .txt (for EDFlib's files)" -- -m "$eegm" --json -p txtc-pred.csv "$DATA/bonn_eeg/S/S001.txt" "$DATA/bonn_eeg/Z/Z001.txt"
		[ "$(cut -d, -f4- edfc-pred.csv)" = "$(cut -d, -f4- txtc-pred.csv | sed 's/^S,/seizure,/')" ] &&
			"$PY" -c 'import json, sys; a, b = (json.load(open(f)) for f in sys.argv[1:]); sys.exit(a["metrics"]["confusion"] != b["metrics"]["confusion"])' edfc.json out &&
			ok "EDFlib EDF+ = Bonn .txt: same labels, predicted classes, scores and confusion matrix" ||
			notok "EDFlib EDF+ = Bonn .txt: same labels, predicted classes, scores and confusion matrix"
		cp s001-c.edf cut-c.edf && truncate -s 3000 cut-c.edf
		expect 5 "cut-c.edf" "EDFlib EDF+ cut short: refused" -- -m "$eegm" cut-c.edf
	else
		notok "bnn-bonn2edf wrote the Bonn segments as EDF+"
	fi
	# EDF+ by pyedflib (a venv of scripts/deps.sh edf-check) from Bonn
	# segments: the shipped EEG model gives the same classes and scores
	# as for the .txt segments; the annotations label the windows.
	venv=${RBNN_CACHE:-$HOME/.cache/rbnn}/venv-edf
	if "$repo/scripts/deps.sh" edf-check >deps.log 2>&1 &&
	   "$venv/bin/python" "$here/edf_pyedflib.py" s001.edf "$DATA/bonn_eeg/S/S001.txt" seizure &&
	   "$venv/bin/python" "$here/edf_pyedflib.py" z001.edf "$DATA/bonn_eeg/Z/Z001.txt" Z; then
		eegm=$repo/models/eeg-seizure-bin-full.bnn
		expect 0 "" "pyedflib EDF+ of S001 and Z001 with the shipped EEG model" -- -m "$eegm" --json -p edf-pred.csv s001.edf z001.edf
		json_check "pyedflib EDF+: 46 windows labelled by the annotations, seizure / non-seizure" \
			'd["data"]["items"] == 46' \
			'{l["label"]: (l["items"], l["class"]) for l in d["data"]["labels"]} == {"seizure": (23, "seizure"), "Z": (23, "non-seizure")}' \
			'all(abs(s["fs"] - 173.61) < 0.01 and not s["resampled"] for s in d["data"]["sources"])'
		cp out edf.json
		expect 0 "" "the same segments as Bonn .txt" -- -m "$eegm" --json -p txt-pred.csv "$DATA/bonn_eeg/S/S001.txt" "$DATA/bonn_eeg/Z/Z001.txt"
		[ "$(cut -d, -f5- edf-pred.csv)" = "$(cut -d, -f5- txt-pred.csv)" ] &&
			"$PY" -c 'import json, sys; a, b = (json.load(open(f)) for f in sys.argv[1:]); sys.exit(a["metrics"]["confusion"] != b["metrics"]["confusion"])' edf.json out &&
			ok "pyedflib EDF+ = Bonn .txt: same predicted classes, scores and confusion matrix" ||
			notok "pyedflib EDF+ = Bonn .txt: same predicted classes, scores and confusion matrix"
	else
		skip "pyedflib EDF+ runs" "the edf-check venv could not be made ($(tail -n 1 deps.log))"
	fi
else
	skip "Bonn EEG runs" "no data under $DATA/bonn_eeg"
fi

echo "1..$n"
