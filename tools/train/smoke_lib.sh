# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
#
# Shared set-up of the record-folder smoke tests (smoke_features.sh,
# smoke_leads.sh, smoke_offsets.sh), sourced after `set -euo pipefail`:
#
#   . "$(dirname "$0")/smoke_lib.sh"
#   smoke_init NAME RECORD...
#
# sets here, repo, DATA, PY and tmp (removed at exit), defines fail() and
# link RECORD, builds the tools the tests run, and makes $tmp/data/mitdb a
# MIT-BIH folder holding only the given records' files: a test that trains
# there cannot read another record (the inter-patient guard).

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
DATA=${RBNN_DATA:-$(cd "$repo/.." && pwd)/shared/data}
PY=/usr/bin/python3

smoke_name=smoke
fail() { echo "$smoke_name: FAIL: $*" >&2; exit 1; }

link() { for e in hea dat atr; do ln -sf "$DATA/mitdb/$1.$e" "$tmp/data/mitdb/"; done; }

smoke_init() {
	smoke_name=$1
	shift
	[ -f "$DATA/mitdb/SPLITS_AAMI.txt" ] || fail "no MIT-BIH data under $DATA/mitdb"
	make -s -C "$repo" build/tools/bnn-extract build/tools/bnn-run libbnn python
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/bnn-$smoke_name.XXXXXX")
	trap 'rm -rf "$tmp"' EXIT
	mkdir -p "$tmp/data/mitdb"
	ln -s "$DATA/mitdb/SPLITS_AAMI.txt" "$tmp/data/mitdb/"
	local r
	for r in "$@"; do link "$r"; done
}
