#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
#
# test_examples.sh - every bnn-run example of the documentation runs as
# printed (TAP output, for tests/run-tap.sh).
#
#   tests/unit/test_examples.sh [BNN_RUN]
#
# The examples are found by their shape, so a new one is tested without
# touching this script:
#   bnn-run --help             lines "  bnn-run ..." after "Examples"
#   Documentation/bnn-run.1    ".B bnn-run ..." lines of EXAMPLES
#   Documentation/user-guide.md, README.md
#                              lines of ```sh blocks starting with
#                              "bnn-run " or "build/tools/bnn-run "
#                              (a trailing "# comment" dropped, "\" lines
#                              joined)
# Each runs from a scratch folder with: the binary under test for bnn-run,
# ecg.bnn / eeg.bnn / models/ = the shipped models, ../shared/data = the
# data, stand-ins for the user's files (beats.csv, labels.txt, beats.x.f32,
# /data/myrec/rec01, recording.edf: Bonn S001 as EDF+, recording-ecg.edf
# and ecg.csv: 5 minutes of MIT-BIH 100's MLII, signal.txt), and
# --limit 300 to keep it short.  Nothing needs a
# card: backend auto falls back to the emulated card.  An example whose
# model does not exist in the checkout (one you train yourself) is skipped
# with that reason, as are all when the data is not there.
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUN=${1:-${BNN_RUN:-$repo/build/tools/bnn-run}}
DATA=${RBNN_DATA:-$repo/../shared/data}
PY=${PYTHON:-python3}
# shellcheck source-path=SCRIPTDIR source=tap-scratch.sh
. "$here/tap-scratch.sh"
abspath RUN DATA
export RBNN_DATA=$DATA
scratch test-examples

notok() { n=$((n + 1)); echo "not ok $n - $1"; }

if [ ! -x "$RUN" ]; then
	echo "1..1"
	echo "not ok 1 - $RUN missing (build it first)"
	exit 1
fi

# ---------------------------------------------------------------------
# Extraction: "SOURCE<TAB>COMMAND" lines
# ---------------------------------------------------------------------
"$RUN" --help >help.txt || { echo "1..1"; echo "not ok 1 - --help failed"; exit 1; }
{
	awk '/^Examples/ { on = 1; next } on && /^  bnn-run / {
		sub(/^  /, ""); print "--help\t" $0 }' help.txt
	awk '/^\.SH EXAMPLES/ { on = 1; next } /^\.SH / { on = 0 }
		on && /^\.B bnn-run / { sub(/^\.B /, ""); gsub(/\\-/, "-");
		print "bnn-run.1\t" $0 }' "$repo/Documentation/bnn-run.1"
	for doc in Documentation/user-guide.md README.md; do
		awk -v src="$doc" '
			/^```sh/ { on = 1; next }
			/^```/ { on = 0; next }
			!on { next }
			cont != "" { line = cont " " $0; cont = "" }
			cont == "" && line == "" { line = $0 }
			/\\$/ { sub(/\\$/, "", line); cont = line; line = ""; next }
			{
				if (line ~ /^(build\/tools\/)?bnn-run /) {
					sub(/ +#.*$/, "", line)
					print src "\t" line
				}
				line = ""
			}' "$repo/$doc"
	done
} >examples.tsv

total=$(wc -l <examples.tsv)
for src in --help bnn-run.1 Documentation/user-guide.md README.md; do
	k=$(awk -F'\t' -v s="$src" '$1 == s' examples.tsv | wc -l)
	[ "$k" -ge 1 ] && ok "examples found in $src ($k)" ||
		notok "no bnn-run example found in $src (has the marking changed?)"
done

if [ ! -f "$DATA/mitdb/100.hea" ] || [ ! -d "$DATA/bonn_eeg/Z" ]; then
	while IFS=$'\t' read -r src cmd; do
		skip "$src: $cmd" "no MIT-BIH / Bonn data under $DATA"
	done <examples.tsv
	echo "1..$n"
	exit 0
fi

# ---------------------------------------------------------------------
# Stand-ins for the files the examples name
# ---------------------------------------------------------------------
mkdir -p shared models myrec
ln -s "$DATA" shared/data
ln -s "$repo/models/ecg-bin-full.bnn" ecg.bnn
ln -s "$repo/models/eeg-seizure-bin-full.bnn" eeg.bnn
for m in "$repo"/models/*.bnn; do ln -s "$m" models/; done
# A record of one's own: MIT-BIH 100 under another name.
sed '1s/^100 /rec01 /' "$DATA/mitdb/100.hea" >myrec/rec01.hea
ln -s "$DATA/mitdb/100.dat" myrec/100.dat
ln -s "$DATA/mitdb/100.atr" myrec/rec01.atr
"$PY" - "$repo/models/ecg-bin-full.bnn" <<'EOF' || exit 1
import math, random, struct, sys
random.seed(3)
# The shipped ECG model's item: its beat window (input section: length,
# beat_pre) and its rhythm features (signal section, type 5: nfeatures),
# as Documentation/bnn-format.rst lays them out.
m = open(sys.argv[1], "rb").read()
nsec = struct.unpack_from("<I", m, 12)[0]
L = pre = nfeat = 0
for i in range(nsec):
    typ, _, off, _, _ = struct.unpack_from("<IIQII", m, 64 + 24 * i)
    if typ == 1:
        L = struct.unpack_from("<I", m, off + 4)[0]
        pre = struct.unpack_from("<I", m, off + 28)[0]
    elif typ == 5:
        nfeat = struct.unpack_from("<I", m, off + 12)[0]
def beat(k):
    # an R peak in the window, some noise; then rhythm features near 1
    # (a beat as regular as its neighbours)
    return [math.exp(-((i - pre) / (4.0 + k % 3)) ** 2) + 0.05 * random.random()
            for i in range(L)] + [1.0 + 0.02 * (k % 5)] * nfeat
with open("beats.csv", "w") as f:
    for k in range(40):
        f.write(",".join("%.4f" % v for v in beat(k)) + "\n")
with open("labels.txt", "w") as f:
    for k in range(40):
        f.write("NV"[k % 5 == 0] + "\n")
with open("beats.x.f32", "wb") as f:
    for k in range(40):
        f.write(struct.pack("<%df" % (L + nfeat), *beat(k)))
with open("beats.rows.tsv", "w") as f:
    f.write("index\tlabel\tclass\trecord\tsample\n")
    for k in range(40):
        f.write("%d\t0\tN\tr%d\t%d\n" % (k, k // 20, 100 * k))
with open("signal.txt", "w") as f:
    for i in range(2048):
        f.write("%d\n" % int(80 * math.sin(i / 9.0) + 20 * random.random()))
EOF
"$PY" "$repo/tests/unit/edf_write.py" recording.edf "$DATA/bonn_eeg/S/S001.txt" \
	seizure || exit 1
# An ECG recorder's file: the first 5 minutes of MIT-BIH 100's MLII (format
# 212, baseline 1024, 200 ADC units per mV) as EDF (edf_write.py --ecg)
# and as one value in mV per line (ecg.csv).
"$PY" - "$DATA/mitdb/100.dat" <<'EOF' || exit 1
import struct, sys
d = open(sys.argv[1], "rb").read(3 * 360 * 300)
v = []
for i in range(0, len(d) - 2, 3):
    s = d[i] | (d[i + 1] & 0x0f) << 8	# signal 0 (MLII) of the frame
    v.append((s - 4096 if s > 2047 else s) - 1024)
open("recording-ecg.i16", "wb").write(struct.pack("<%dh" % len(v), *v))
open("ecg.csv", "w").write("".join("%r\n" % (x / 200) for x in v))
EOF
"$PY" "$repo/tests/unit/edf_write.py" --ecg recording-ecg.edf recording-ecg.i16 \
	360 200 MLII || exit 1

# ---------------------------------------------------------------------
# Run them
# ---------------------------------------------------------------------
i=0
while IFS=$'\t' read -r src cmd; do
	i=$((i + 1))
	model=$(printf '%s\n' "$cmd" | sed -nE 's/.*(-m|--model) +([^ ]+).*/\2/p')
	run=$(printf '%s\n' "$cmd" | sed -E \
		-e "s#^(build/tools/)?bnn-run #\"\$RUN\" --limit 300 #" \
		-e "s#\.\./shared/data#$tmp/shared/data#g" \
		-e "s#/path/to/mitdb#$tmp/shared/data/mitdb#g" \
		-e "s#/data/myrec/#$tmp/myrec/#g" \
		-e "s#\| *gzip#| gzip#")
	# A bare name is an installed model (/usr/share/rbnn/models): the
	# binary under test is not installed, so give it the shipped file.
	case $model in
	*/* | '') ;;
	*)	if [ ! -e "$model" ] && [ -e "models/$model.bnn" ]; then
			run=$(printf '%s\n' "$run" |
				sed -E "s#(-m|--model) +$model( |\$)#\1 models/$model.bnn\2#")
			model=models/$model.bnn
		fi ;;
	esac
	if [ -n "$model" ] && [ ! -e "$model" ]; then
		skip "$src: $cmd" "needs a model you train yourself ($model)"
		continue
	fi
	RUN=$RUN bash -c "set -o pipefail; $run" >"out.$i" 2>"err.$i" </dev/null
	rc=$?
	if [ "$rc" -eq 0 ] && ! grep -q "^bnn-run: error:" "err.$i"; then
		ok "$src: $cmd"
	else
		notok "$src: $cmd (exit $rc)"
		head -n 5 "err.$i" | sed 's/^/#   /'
	fi
done <examples.tsv

# What some examples write must be there and make sense.
[ -s eeg.json ] && "$PY" -m json.tool eeg.json >/dev/null &&
	ok "eeg.json is a JSON report" || notok "eeg.json is a JSON report"
[ -s pred.csv ] && head -n 1 pred.csv | grep -q '^record,index,sample,true,predicted,' &&
	ok "pred.csv is a predictions CSV" || notok "pred.csv is a predictions CSV"
if grep -q 'gzip' examples.tsv; then
	gzip -dc pred.csv.gz | head -n 1 | grep -q '^record,index,' &&
		ok "-p - | gzip: a compressed predictions CSV" ||
		notok "-p - | gzip: a compressed predictions CSV"
fi
echo "# $total examples"
echo "1..$n"
