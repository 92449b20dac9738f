#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# The Python package's tests (pytest, tests/python) as TAP: the package
# from `make python` (BUILD/python/lib), libbnn.so.0 and bnn-run from BUILD.
# With "san": the extension built with ASan + UBSan (BUILD/python/san/lib),
# the sanitizer runtimes preloaded into the interpreter.
#   tests/python/run.sh BUILD [san]
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
build=$1 mode=${2:-}
tap=$(mktemp "${TMPDIR:-/tmp}/bnn-py-tap.XXXXXX")
trap 'rm -f "$tap"' EXIT
pkg=$build/python/lib pre=
if [ "$mode" = san ]; then
	pkg=$build/python/san/lib
	pre="$(gcc -print-file-name=libasan.so):$(gcc -print-file-name=libubsan.so)"
	export ASAN_OPTIONS=detect_leaks=0:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1
	# grep reads all of ldd's output: grep -q may exit first, and ldd's
	# SIGPIPE then fails the pipeline (pipefail) though libasan is there
	ldd "$pkg"/bnn/_bnn*.so | grep libasan >/dev/null || { echo "not ok 1 - $pkg is not built with ASan"; exit 1; }
fi
PYTHONPATH=$pkg LD_LIBRARY_PATH=$build${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} \
	LD_PRELOAD=$pre BNN_RUN=$build/tools/bnn-run BNN_TAP=$tap PYTHONDONTWRITEBYTECODE=1 \
	/usr/bin/python3 -m pytest -q -p no:cacheprovider "$here" >&2
rc=$?
echo "TAP version 13"
cat "$tap"
echo "1..$(grep -cE '^(not )?ok ' "$tap")"
exit "$rc"
