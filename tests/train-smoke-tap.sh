#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# The training pipeline as TAP: tools/train/smoke.sh (extract, train one
# epoch, export, libbnn and bnn-run agree with PyTorch) and the results
# report's self-test (tools/results/selftest.py), the rhythm-feature
# pipeline and the inter-patient guard (tools/train/smoke_features.sh),
# two-lead models (tools/train/smoke_leads.sh), class score offsets chosen
# without the test records (tools/train/smoke_offsets.sh); logs follow as
# diagnostics.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
echo "1..5"
log=$(mktemp)
n=0
tap() {
	local desc=$1
	shift
	n=$((n + 1))
	if "$@" >"$log" 2>&1; then
		sed 's/^/# /' "$log"
		echo "ok $n - $desc"
	else
		sed 's/^/# /' "$log"
		echo "not ok $n - $desc (log above)"
	fi
}
tap "training smoke: extract, train 1 epoch, export, libbnn and bnn-run agree" \
	"$here/../tools/train/smoke.sh"
tap "rhythm features: trained without the test record's files, export, bnn-run (emu, cpu) == PyTorch beat by beat" \
	"$here/../tools/train/smoke_features.sh"
tap "two leads (MLII + V1): trained without the test record, 124 left out, export v3, bnn-run (emu, cpu) == PyTorch beat by beat, 100 refused or --lead-map" \
	"$here/../tools/train/smoke_leads.sh"
tap "class offsets: chosen by CV without the test record's files, export v5, libbnn and bnn-run (emu, cpu) == PyTorch + offsets beat by beat" \
	"$here/../tools/train/smoke_offsets.sh"
tap "results report self-test: tables, model choice, anchors, plots" \
	/usr/bin/python3 "$here/../tools/results/selftest.py"
rm -f "$log"
