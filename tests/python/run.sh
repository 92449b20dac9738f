#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# The Python package's tests (pytest, tests/python) as TAP: the package
# from `make python` (BUILD/python/lib), libbnn.so.0 and bnn-run from BUILD.
#   tests/python/run.sh BUILD
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1
tap=$(mktemp "${TMPDIR:-/tmp}/bnn-py-tap.XXXXXX")
trap 'rm -f "$tap"' EXIT
PYTHONPATH=$build/python/lib LD_LIBRARY_PATH=$build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
	BNN_RUN=$build/tools/bnn-run BNN_TAP=$tap PYTHONDONTWRITEBYTECODE=1 \
	/usr/bin/python3 -m pytest -q -p no:cacheprovider "$here" >&2
rc=$?
echo "TAP version 13"
cat "$tap"
echo "1..$(grep -cE '^(not )?ok ' "$tap")"
exit "$rc"
