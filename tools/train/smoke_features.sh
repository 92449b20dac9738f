#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
#
# Smoke test of the rhythm-feature pipeline and of the inter-patient
# protocol's guard (well under a minute on one core):
#
#  1. In a MIT-BIH folder that holds only the training and validation
#     records' files, train.py --no-test trains a fully binarized model with
#     rhythm features and the signal preprocessing: it must succeed without
#     the test record, i.e. training and model selection never open it.
#  2. The test record's files are added; a full run reads it once, after
#     selection, and evaluates it.
#  3. The exported .bnn (JOIN layer, v4 signal section with a beat
#     reference) gives PyTorch's
#     predictions in the numpy reference and in libbnn's cpu backend.
#  4. bnn-run reads the test record itself (libbnn's beat extraction,
#     preprocessing and rhythm features) and runs the model on the emulated
#     card and on the cpu: its class for every test beat equals PyTorch's,
#     whose inputs came from bnn-extract, so training and inference compute
#     the same feature bits and the same beat reference.
#
#   tools/train/smoke_features.sh      (uses $RBNN_DATA or ../shared/data)
set -euo pipefail

. "$(dirname "$0")/smoke_lib.sh"
smoke_init smoke-features 101 106 119 209 223

train() {
	RBNN_DATA=$tmp/data "$PY" "$here/train.py" --task ecg --variant bin-full \
		--width 4 --epochs 1 --seed 3 --threads 1 --cache "$tmp/cache" \
		--train-records 101,106,119,209 --val-records 223 --test-records 100 \
		--fs 180 --pre 45 --post 72 --norm mv --baseline median --lowpass 35 \
		--amp-norm qrs --ref-beats 8 --features pre_rr,post_pre,pre_local,pre_long,irreg \
		--feature-bits 6 --q-weight 0 --augment --quiet --out "$1" "${@:2}"
}
# --morph-drop (training only) exercised here; its bad values refused
train "$tmp/sel" --no-test --morph-drop 0.5 || fail "training without the test record's files"
for bad in "--morph-drop 1.5" "--morph-drop 0.5 --features none"; do
	# shellcheck disable=SC2086
	if train "$tmp/bad" --no-test $bad 2>/dev/null; then fail "train.py took $bad"; fi
done
echo "smoke-features: trained and selected without the test record (100 absent)"
link 100
train "$tmp/run" || fail "training + test"
"$PY" - "$tmp/run/metrics.json" <<'EOF' || fail "result checks"
import json, sys
m = json.load(open(sys.argv[1]))
assert m["test"]["n"] > 2000, m["test"]["n"]
assert m["model"]["features"][0] == [0, 5, 4, 6, 8], m["model"]["features"]
assert m["memory"]["host"] == 64 + 32 * sum(len(t) for t in m["model"]["features"][1])
print("smoke-features: test record 100: %d beats, accuracy %.1f %%"
      % (m["test"]["n"], 100 * m["test"]["accuracy"]))
EOF
RBNN_DATA=$tmp/data "$PY" "$here/export.py" "$tmp/run" --items 0 --bnn "$tmp/feat.bnn" \
	--libbnn "$repo/build/libbnn.so" || fail "exported model differs from PyTorch"
for be in emu cpu; do
	RBNN_DATA=$tmp/data "$repo/build/tools/bnn-run" -m "$tmp/feat.bnn" -b $be -q \
		-p "$tmp/pred-$be.csv" 100 || fail "bnn-run -b $be"
	"$PY" "$here/check_preds.py" "$tmp/run/test_items.tsv" "$tmp/pred-$be.csv" $be smoke-features ||
		fail "bnn-run ($be) differs from PyTorch"
done
echo "smoke-features: PASS"
