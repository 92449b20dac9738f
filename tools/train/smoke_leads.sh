#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
#
# Smoke test of two-lead (MLII + V1) ECG models, the sibling of
# smoke_features.sh (about a minute on one core):
#
#  1. In a MIT-BIH folder that holds only the training and validation
#     records' files, train.py --leads MLII,V1 --no-test trains a fully
#     binarized two-lead model with the shipped recipe's preprocessing and
#     rhythm features for one epoch: training and selection never open
#     the test record; record 124 (MLII + V4) is left out and named, not
#     fed from V4.
#  2. The test record's files are added; a full run reads it once, after
#     selection.
#  3. The exported .bnn (format version 3: its leads section names MLII
#     and V1) gives PyTorch's predictions in the numpy reference and in
#     libbnn's cpu backend, and libbnn reports the leads.
#  4. bnn-run reads the test record itself (libbnn's two-lead beat
#     extraction, each lead preprocessed on its own) on the emulated card
#     and on the cpu: its class for every test beat equals PyTorch's, whose
#     inputs came from bnn-extract.
#  5. bnn-run on record 100 (MLII + V5) refuses (exit 6, naming its
#     signals); with --lead-map V1=V5 it runs and warns.
#
#   tools/train/smoke_leads.sh      (uses $RBNN_DATA or ../shared/data)
set -euo pipefail

. "$(dirname "$0")/smoke_lib.sh"
smoke_init smoke-leads 101 106 119 124 209 223
RUN=$repo/build/tools/bnn-run

train() {
	RBNN_DATA=$tmp/data "$PY" "$here/train.py" --task ecg --variant bin-full \
		--width 4 --epochs 1 --seed 3 --threads 1 --cache "$tmp/cache" \
		--leads MLII,V1 --train-records 101,106,119,124,209 --val-records 223 \
		--test-records 113 --fs 180 --pre 45 --post 72 --norm mv \
		--baseline median --lowpass 35 --amp-norm qrs \
		--features pre_local,post_pre,pre_long,local_long,irreg \
		--feature-bits 6 --q-weight 0 --augment --quiet --out "$1" "${@:2}"
}
train "$tmp/sel" --no-test || fail "training without the test record's files"
echo "smoke-leads: trained and selected without the test record (113 absent)"
link 113
train "$tmp/run" || fail "training + test"
"$PY" - "$tmp/run/metrics.json" <<'PYEOF' || fail "result checks"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["model"]["in_channels"] == 2, m["model"]
assert m["data"]["leads"] == ["MLII", "V1"], m["data"]["leads"]
left = [s["name"] for s in m["data"]["skipped"]]
assert left == ["124"], left
assert "no lead 'V1' (signals: MLII, V4)" in m["data"]["skipped"][0]["reason"]
assert "124" not in m["splits"]["train_records"], m["splits"]
assert m["test"]["n"] > 1500, m["test"]["n"]
print("smoke-leads: 124 left out (%s); test record 113: %d beats, accuracy %.1f %%"
      % (m["data"]["skipped"][0]["reason"], m["test"]["n"], 100 * m["test"]["accuracy"]))
PYEOF
RBNN_DATA=$tmp/data "$PY" "$here/export.py" "$tmp/run" --items 0 --bnn "$tmp/two.bnn" \
	--libbnn "$repo/build/libbnn.so" || fail "exported model differs from PyTorch"
[ "$(od -An -tu2 -j4 -N2 "$tmp/two.bnn" | tr -d ' ')" = 3 ] ||
	fail "the two-lead model is not format version 3"
for be in emu cpu; do
	RBNN_DATA=$tmp/data "$RUN" -m "$tmp/two.bnn" -b $be -q \
		-p "$tmp/pred-$be.csv" 113 || fail "bnn-run -b $be"
	"$PY" "$here/check_preds.py" "$tmp/run/test_items.tsv" "$tmp/pred-$be.csv" $be smoke-leads ||
		fail "bnn-run ($be) differs from PyTorch"
done
link 100
set +e
RBNN_DATA=$tmp/data "$RUN" -m "$tmp/two.bnn" -q -p "$tmp/p100.csv" 100 2>"$tmp/err"
rc=$?
set -e
[ $rc -eq 6 ] && grep -q "record 100 has no lead 'V1' (signals: MLII, V5)" "$tmp/err" ||
	fail "record 100 without V1: exit $rc, $(cat "$tmp/err")"
RBNN_DATA=$tmp/data "$RUN" -m "$tmp/two.bnn" -q -p "$tmp/p100.csv" --lead-map V1=V5 100 \
	2>"$tmp/err" || fail "--lead-map V1=V5 on 100"
grep -q "the model's lead V1 is fed from the record's V5" "$tmp/err" ||
	fail "--lead-map V1=V5 without its warning"
echo "smoke-leads: record 100 refused without V1, run with --lead-map V1=V5 (warned)"
echo "smoke-leads: PASS"
