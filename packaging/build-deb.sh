#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Build RBNN's Debian packages (libbnn0, libbnn-dev, bnn-tools, rbnn-dkms)
# with dpkg-buildpackage and dh, then check them with lintian.
#
#   packaging/build-deb.sh VERSION DEBDIR
#
# The checkout is not a Debian source package: its files (tracked and
# new, as git sees them) are copied to DEBDIR/src/rbnn-VERSION with
# packaging/debian/ as debian/ and a changelog for VERSION-1 dated by
# the last commit; the .debs, .buildinfo and .changes land in DEBDIR.
# Fails when lintian reports an error (warnings are printed; the
# accepted ones are overridden in packaging/debian/*.lintian-overrides).
set -euo pipefail

version=${1:?usage: build-deb.sh VERSION DEBDIR}
debdir=${2:?usage: build-deb.sh VERSION DEBDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
log() { printf 'deb: %s\n' "$*" >&2; }

mkdir -p "$debdir"
debdir=$(cd "$debdir" && pwd)
src=$debdir/src/rbnn-$version
rm -rf "$debdir/src"
rm -f "$debdir"/*.deb "$debdir"/*.ddeb "$debdir"/*.changes "$debdir"/*.buildinfo
mkdir -p "$src"

log "copying the checkout to $src"
(cd "$top" && git ls-files -z --cached --others --exclude-standard |
	while IFS= read -r -d '' f; do [ -e "$f" ] && printf '%s\0' "$f"; done |
	grep -zv '^packaging/debian/' |
	xargs -0 cp --parents -t "$src")
cp -R "$top/packaging/debian" "$src/debian"

when=$(cd "$top" && git log -1 --format=%aD 2>/dev/null) || when=$(date -R)
cat >"$src/debian/changelog" <<CHL
rbnn ($version-1) unstable; urgency=medium

  * Package of the checkout at $(cd "$top" && git rev-parse --short HEAD 2>/dev/null || echo unknown).

 -- RBNN developers <dev@rbnn.invalid>  $when
CHL

log "dpkg-buildpackage -b"
(cd "$src" && nice dpkg-buildpackage -b -us -uc -j1 >"$debdir/build.log" 2>&1) || {
	tail -n 40 "$debdir/build.log" >&2
	log "package build failed (log: $debdir/build.log)"
	exit 1
}
mv "$debdir"/src/*.deb "$debdir"/src/*.changes "$debdir"/src/*.buildinfo "$debdir"/
shopt -s nullglob
ddebs=("$debdir"/src/*.ddeb)
[ ${#ddebs[@]} -eq 0 ] || mv "${ddebs[@]}" "$debdir"/

changes=$(ls "$debdir"/rbnn_"$version"-1_*.changes)
log "lintian $changes"
lintian --display-info --pedantic --fail-on error "$changes" | tee "$debdir/lintian.log"
log "lintian: no errors ($(grep -c '^W:' "$debdir/lintian.log" || true) warnings, log: $debdir/lintian.log)"
ls -s --block-size=K "$debdir"/*.deb
