# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=bash
# Sourced by the bnn-run tier's test scripts: TAP counters, absolute paths
# for the tools under test, and a scratch folder to run in. Each script
# keeps its own notok(), which prints the files that script writes.

n=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
skip() { n=$((n + 1)); echo "ok $n - $1 # SKIP $2"; }

# abspath VAR...: each named path made absolute (the scripts cd away).
abspath() {
	local v
	for v in "$@"; do
		case ${!v} in /*) ;; *) printf -v "$v" '%s' "$PWD/${!v}" ;; esac
	done
}

# scratch NAME: cd into a new temporary folder, removed at exit (made
# writable first, as some tests take write permission away in it).
scratch() {
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX") || exit 1
	trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT
	cd "$tmp" || exit 1
}
