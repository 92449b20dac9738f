#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# WFDB conformance: write the corpus with the wfdb Python package (venv of
# scripts/deps.sh conformance) and compare libbnn's reading with its own;
# and the wfdb package's reading of an annotation file libbnn wrote.
#
#   tests/conformance/run.sh OUTDIR CHECK_WFDB
set -euo pipefail
out=$1 check=$2
py=${RBNN_CACHE:-$HOME/.cache/rbnn}/venv-wfdb/bin/python
rm -rf "$out"
mkdir -p "$out"
"$py" "$(dirname "$0")/wfdb_corpus.py" "$out" | sed 's/^/# /'
# The other way round: libbnn writes annotations, wfdb reads them.
mkdir -p "$out/written"
"$check" --write "$out/written"
"$py" "$(dirname "$0")/wfdb_corpus.py" --read "$out/written" wr bnn | sed 's/^/# /'
exec "$check" "$out" "$out/written"
