#!/usr/bin/env bash
# tools/train/smoke.sh as one TAP test (its log follows as diagnostics).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
echo "1..1"
log=$(mktemp)
if "$here/../tools/train/smoke.sh" >"$log" 2>&1; then
	sed 's/^/# /' "$log"
	echo "ok 1 - training smoke: extract, train 1 epoch, export, libbnn agrees"
else
	sed 's/^/# /' "$log"
	echo "not ok 1 - training smoke (log above)"
fi
rm -f "$log"
