#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
#
# Smoke test of threshold moving (class score offsets, .bnn version 5) and
# of its guard: the offsets are chosen without the test records.
#
#  1. In a MIT-BIH folder that holds only the training records' files,
#     train.py --cv-folds 2 pools held-out integer scores (cv_scores.npz)
#     and offsets.py chooses S and V offsets on them; the final model is
#     trained with them (--class-offsets-file, --no-test): all of it must
#     succeed without the test record, i.e. never opens it.
#  2. The test record's files are added; a model with offsets S=3,V=-1
#     (fixed, so that the file surely has an offsets section) reads it
#     once and predicts with the offsets; export writes version 5 and
#     libbnn (cpu) gives PyTorch's classes plus the offsets.
#  3. bnn-run on the emulated card and on the cpu: the class of every test
#     beat equals PyTorch's with the offsets.
#
#   tools/train/smoke_offsets.sh      (uses $RBNN_DATA or ../shared/data)
set -euo pipefail

. "$(dirname "$0")/smoke_lib.sh"
smoke_init smoke-offsets 101 106 119 209 223

train() {
	RBNN_DATA=$tmp/data "$PY" "$here/train.py" --task ecg --variant bin-full \
		--width 4 --epochs 1 --seed 3 --threads 1 --cache "$tmp/cache" \
		--train-records 101,106,119,209,223 --test-records 100 \
		--fs 180 --pre 45 --post 72 --norm mv --baseline median --lowpass 35 \
		--amp-norm qrs --ref-beats 8 --features pre_local,post_pre,irreg \
		--feature-bits 6 --q-weight 0 --quiet --out "$1" "${@:2}"
}
train "$tmp/cv" --cv-folds 2 || fail "cross-validation without the test record's files"
"$PY" "$here/offsets.py" "$tmp/cv" --s-range=-2:4 --v-range=-2:4 --quiet ||
	fail "offsets.py"
"$PY" - "$tmp/cv" <<'EOF' || fail "cv scores / offsets checks"
import json, os, sys
import numpy as np
d = sys.argv[1]
z = np.load(os.path.join(d, "cv_scores.npz"))
m = json.load(open(os.path.join(d, "metrics.json")))
assert len(z["y"]) == m["test"]["n"], (len(z["y"]), m["test"]["n"])
assert set(z["record"].tolist()) == {"101", "106", "119", "209", "223"}
assert (z["scores"] == np.round(z["scores"])).all(), "scores are not integers"
o = json.load(open(os.path.join(d, "offsets.json")))
assert len(o["grid"]) == 49 and set(o["offsets"]) == set(m["data"]["classes"])
print("smoke-offsets: %d pooled held-out scores; chosen S %+d, V %+d"
      % (len(z["y"]), o["offsets"]["S"], o["offsets"]["V"]))
EOF
train "$tmp/sel" --class-offsets-file "$tmp/cv/offsets.json" --no-test ||
	fail "training with chosen offsets without the test record's files"
echo "smoke-offsets: chose offsets and trained without the test record (100 absent)"
link 100
train "$tmp/run" --class-offsets S=3,V=-1 || fail "training + test with offsets"
RBNN_DATA=$tmp/data "$PY" "$here/export.py" "$tmp/run" --items 0 --bnn "$tmp/off.bnn" \
	--libbnn "$repo/build/libbnn.so" || fail "exported model differs from PyTorch"
[ "$(od -An -tu2 -j4 -N2 "$tmp/off.bnn" | tr -d ' ')" = 5 ] || fail "not a version 5 file"
for be in emu cpu; do
	RBNN_DATA=$tmp/data "$repo/build/tools/bnn-run" -m "$tmp/off.bnn" -b $be -q \
		-p "$tmp/pred-$be.csv" 100 || fail "bnn-run -b $be"
	"$PY" "$here/check_preds.py" "$tmp/run/test_items.tsv" "$tmp/pred-$be.csv" $be smoke-offsets ||
		fail "bnn-run ($be) differs from PyTorch with the offsets"
done
echo "smoke-offsets: PASS"
