#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
#
# Tiny end-to-end smoke test of the training pipeline (well under a minute
# on one core): extract eight MIT-BIH records with bnn-extract (libbnn's C
# readers) and cross-check one record against an independent decoding;
# train a small fully binarized ECG model (width 4, 4-bit input) for one
# epoch and evaluate it. The split is intra-patient (random beats of the
# same eight patients in train and test): one epoch on four patients does
# not generalise to new patients, and the point here is that the pipeline
# learns, not the inter-patient score. Checks the results against loose
# floors and that a second run with the same seed gives identical results.
# Exports the model (.bnn, integer thresholds) and checks that its binary
# activations and predictions equal PyTorch's (and libbnn's, when built).
# Prints the metrics; exits non-zero on any failure.
#
#   tools/train/smoke.sh            (from anywhere; uses $RBNN_DATA or
#                                    <checkout>/../shared/data)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
export RBNN_DATA=${RBNN_DATA:-$(cd "$repo/.." && pwd)/shared/data}
PY=/usr/bin/python3

fail() { echo "smoke: FAIL: $*" >&2; exit 1; }

[ -x "$PY" ] || fail "$PY not found (scripts/deps.sh train)"
"$PY" -c 'import torch, numpy' 2>/dev/null ||
	fail "PyTorch/numpy missing for $PY (scripts/deps.sh train)"
[ -f "$RBNN_DATA/mitdb/SPLITS_AAMI.txt" ] || fail "no MIT-BIH data under $RBNN_DATA/mitdb"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/bnn-smoke.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

t0=$(date +%s)
make -s -C "$repo" build/tools/bnn-extract
ext="$repo/build/tools/bnn-extract"

"$ext" mitdb -r 101,106,119,209,207,223,100,200 --fs 180 --pre 45 --post 55 \
	--norm zscore -o "$tmp/ecg" -q || fail "bnn-extract mitdb"
"$ext" mitdb -r 119 --pre 90 --post 110 --norm zscore -o "$tmp/chk" -q ||
	fail "bnn-extract mitdb (record rate)"
"$PY" "$here/check_extract.py" mitdb "$tmp/chk" "$RBNN_DATA/mitdb" ||
	fail "bnn-extract output differs from an independent decoding"
if [ -d "$RBNN_DATA/bonn_eeg" ]; then
	"$ext" bonn -t eeg3 --max-per-set 2 -w 256 --hop 128 -o "$tmp/eeg" -q ||
		fail "bnn-extract bonn"
	"$PY" "$here/check_extract.py" bonn "$tmp/eeg" "$RBNN_DATA/bonn_eeg" ||
		fail "bnn-extract bonn output differs from the text files"
fi

# The extraction tool must refuse bad input with a usage error (status 2).
set +e
"$ext" mitdb -r 102 -o "$tmp/bad" -q 2>/dev/null; rc=$?
set -e
[ "$rc" -eq 2 ] || fail "bnn-extract accepted a paced record (status $rc)"

train() {
	"$PY" "$here/train.py" --task ecg --variant bin-full --width 4 --epochs 1 \
		--seed 7 --threads 1 --data "$tmp/ecg" --split intra --out "$1" "${@:2}"
}
train "$tmp/run1" || fail "training"
train "$tmp/run2" --quiet || fail "training (second run)"

"$PY" - "$tmp/run1/metrics.json" "$tmp/run2/metrics.json" <<'EOF' || fail "result checks"
import json, math, sys
a = json.load(open(sys.argv[1]))
b = json.load(open(sys.argv[2]))
t = a["test"]
assert a["protocol"].startswith("intra-patient"), a["protocol"]
assert t["n"] == 3643, "test beats %d, want 3643 (20 %% of 18218)" % t["n"]
assert sum(map(sum, t["confusion"])) == t["n"]
# One epoch of a 4-channel BNN: far from good, but well above chance (seeds
# 1-5 give accuracy 0.66-0.76, macro F1 0.34-0.41, V Se 0.41-0.81); a model
# that predicts only N (accuracy 0.83) fails the V and macro-F1 floors.
assert t["accuracy"] > 0.5, "accuracy %.3f <= 0.5" % t["accuracy"]
assert t["macro_f1"] > 0.25, "macro F1 %.3f <= 0.25" % t["macro_f1"]
assert t["per_class"]["V"]["se"] > 0.25, "V Se %.3f <= 0.25" % t["per_class"]["V"]["se"]
m = a["memory"]
assert m["card"] > 0 and m["host"] == 64 and m["total"] == m["host"] + m["card"], m
h = a["train"]["history"]
assert len(h) == 1 and math.isfinite(h[0]["loss"])
assert a["test"]["confusion"] == b["test"]["confusion"], "not deterministic"
assert h[0]["loss"] == b["train"]["history"][0]["loss"], "not deterministic"
print("smoke: test accuracy %.2f %%, S Se %s, V Se %s, memory %d bits (card %d), deterministic"
      % (100 * t["accuracy"],
         "-" if t["per_class"]["S"]["se"] is None else "%.1f %%" % (100 * t["per_class"]["S"]["se"]),
         "-" if t["per_class"]["V"]["se"] is None else "%.1f %%" % (100 * t["per_class"]["V"]["se"]),
         m["total"], m["card"]))
EOF
# The epoch-selection scores of --select on a hand-made confusion matrix
# (N, S, V, F, Q; F has 5 items, below the 20-item floor, so it is left out).
"$PY" - "$here" <<'EOF' || fail "selection scores (--select)"
import sys
sys.path.insert(0, sys.argv[1])
import metrics, train
cm = [[90, 5, 5, 0, 0], [10, 30, 0, 0, 0], [0, 0, 20, 0, 0], [0, 0, 5, 0, 0], [0] * 5]
m = metrics.from_confusion(cm, ["N", "S", "V", "F", "Q"])
f1 = {c: m["per_class"][c]["f1"] for c in "NSV"}
near = lambda x, y: abs(x - y) < 1e-12  # noqa: E731
assert near(train.selection_score(m), sum(f1.values()) / 3)
assert near(train.selection_score(m, how="nsv_f1"), sum(f1.values()) / 3)
assert near(train.selection_score(m, how="sv_sum"), 30 / 40 + 30 / 35 + 20 / 20 + 20 / 30)
assert train.selection_score(m, how="last") == 0.0
print("smoke: --select scores: macro_f1 %.4f, sv_sum %.4f" %
      (train.selection_score(m), train.selection_score(m, how="sv_sum")))
EOF
# Export: BN + sign folded into integer thresholds, run by a numpy reference
# of libbnn's semantics (identical binary activations and predictions), then
# written as .bnn; when libbnn and the bnn Python package are built
# (build/libbnn.so and build/python, or $BNN_LIBBNN), the file is loaded
# and run by libbnn's cpu backend too, through the package (same
# predictions as PyTorch, same memory footprint as models.memory_bits).
lib=() lib_so=${BNN_LIBBNN:-$repo/build/libbnn.so}
[ -e "$lib_so" ] && { [ -n "${BNN_LIBBNN:-}" ] || [ -d "$repo/build/python/lib/bnn" ]; } &&
	lib=(--libbnn "$lib_so")
"$PY" "$here/export.py" "$tmp/run1" --items 0 --bnn "$tmp/ecg.bnn" "${lib[@]}" ||
	fail "exported model differs from PyTorch"
[ ${#lib[@]} -gt 0 ] || echo "smoke: note: $lib_so or the bnn package (make python) not built, .bnn not run through libbnn"

# The whole chain as users run it: bnn-run reads the records itself
# (libbnn's WFDB reader, resampling, z-score) and runs the exported model on
# the emulated card; its class for every test beat must equal PyTorch's.
run=$repo/build/tools/bnn-run
if [ -x "$run" ]; then
	"$run" -m "$tmp/ecg.bnn" -b emu --resample -q -p "$tmp/pred.csv" \
		101 106 119 209 207 223 100 200 || fail "bnn-run on the exported model"
	"$PY" - "$tmp/run1/test_items.tsv" "$tmp/pred.csv" <<'EOF' || fail "bnn-run differs from PyTorch"
import csv, sys
classes = ["N", "S", "V", "F", "Q"]
with open(sys.argv[1]) as f:
    want = {(r["record"], r["sample"]): int(r["torch_pred"])
            for r in csv.DictReader(f, delimiter="\t")}
with open(sys.argv[2]) as f:
    got = {(r["record"], r["sample"]): classes.index(r["predicted"]) for r in csv.DictReader(f)}
missing = [k for k in want if k not in got]
assert not missing, "%d test beats not in bnn-run's output, e.g. %s" % (len(missing), missing[:3])
same = sum(got[k] == v for k, v in want.items())
print("smoke: bnn-run (emu) gives PyTorch's class for %d of %d test beats (%.3f %%)"
      % (same, len(want), 100.0 * same / len(want)))
assert same >= 0.999 * len(want), "below 99.9 %"
EOF
else
	echo "smoke: note: $run not built, bnn-run not checked against PyTorch"
fi
echo "smoke: PASS ($(($(date +%s) - t0)) s)"
