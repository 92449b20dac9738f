#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Add up the per-tier summaries written by tests/run-tap.sh and print the
# closing line. Exit status is non-zero when anything failed.
set -u
dir=$1
pass=0 fail=0 skip=0 tiers=
for f in "$dir"/*/summary; do
	[ -f "$f" ] || continue
	read -r p fl s <"$f"
	pass=$((pass + p)) fail=$((fail + fl)) skip=$((skip + s))
	tiers="$tiers $(basename "$(dirname "$f")")"
done
echo "== tiers run:${tiers:- none}"
echo "total: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
