#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# scripts/deps.sh without installing anything (TAP): its distribution
# check on made-up os-release files, and that make run and make demo ask
# only for the run group (dry run, with a dpkg-query that knows no package).
# ok and notok always succeed, so "A && ok || notok" is an if-then-else here.
# shellcheck disable=SC2015
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/.." && pwd)
deps=$repo/scripts/deps.sh
tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-deps.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

n=0 bad=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $1"; shift; printf '# %s\n' "$@"; }

# An empty "installed" list: every package of a group counts as missing.
# apt, sudo and pip stand-ins fail and leave a mark, so that a deps.sh
# that ignores the dry run (or an older one) installs nothing: run as
# root, deps.sh calls apt-get without sudo, found first on PATH.
mkdir -p "$tmp/bin"
printf '#!/bin/sh\nexit 1\n' >"$tmp/bin/dpkg-query"
for c in apt-get apt-cache sudo pip pip3; do
	printf '#!/bin/sh\necho "%s $*" >>"%s/called"\nexit 99\n' "$c" "$tmp" >"$tmp/bin/$c"
done
chmod +x "$tmp/bin/"*

osr() { printf '%s\n' "$@" >"$tmp/os-release"; }
# deps GROUP...: dry run on $tmp/os-release; sets rc and out (stderr + stdout).
deps() {
	out=$(env -u RBNN_DEPS_ANY_OS PATH="$tmp/bin:$PATH" RBNN_DEPS_DRY_RUN=1 \
		RBNN_OS_RELEASE="$tmp/os-release" RBNN_CACHE="$tmp/cache" "$deps" "$@" 2>&1)
	rc=$?
}

echo "TAP version 13"

osr 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"' 'NAME="Debian GNU/Linux"' \
	'VERSION_ID="12"' 'VERSION_CODENAME=bookworm' 'ID=debian'
deps run
[ "$rc" -eq 0 ] && [[ $out == *"group run: would install: build-essential"* ]] &&
	ok "Debian 12: accepted, the dry run lists the run group" ||
	notok "Debian 12: accepted, the dry run lists the run group" "exit $rc" "$out"

osr "ID='debian'" 'VERSION_CODENAME="bookworm"' 'PRETTY_NAME=Debian bookworm'
deps run
[ "$rc" -eq 0 ] && ok "Debian bookworm without VERSION_ID, single quotes: accepted" ||
	notok "Debian bookworm without VERSION_ID, single quotes: accepted" "exit $rc" "$out"

for os in 'ubuntu|22.04|jammy|Ubuntu 22.04.4 LTS' 'debian|13|trixie|Debian GNU/Linux 13 (trixie)' \
	'fedora|40||Fedora Linux 40 (Workstation Edition)'; do
	IFS='|' read -r id ver code pretty <<<"$os"
	osr "ID=$id" "VERSION_ID=\"$ver\"" "VERSION_CODENAME=$code" "PRETTY_NAME=\"$pretty\""
	deps run
	if [ "$rc" -eq 3 ] && [[ $out == *"Debian 12 (bookworm)"* ]] && [[ $out == *"$pretty"* ]] &&
		[[ $out == *RBNN_DEPS_ANY_OS=1* ]] && [[ $out != *"would install"* ]]; then
		ok "$pretty: refused (exit 3), says what it supports and the override"
	else
		notok "$pretty: refused (exit 3), says what it supports and the override" "exit $rc" "$out"
	fi
done

osr 'ID=ubuntu' 'VERSION_ID="24.04"' 'PRETTY_NAME="Ubuntu 24.04 LTS"'
out=$(PATH="$tmp/bin:$PATH" RBNN_DEPS_ANY_OS=1 RBNN_DEPS_DRY_RUN=1 \
	RBNN_OS_RELEASE="$tmp/os-release" RBNN_CACHE="$tmp/cache" "$deps" run 2>&1)
rc=$?
[ "$rc" -eq 0 ] && [[ $out == *"warning: this is Ubuntu 24.04 LTS"* ]] &&
	[[ $out == *"would install"* ]] &&
	ok "RBNN_DEPS_ANY_OS=1: goes on elsewhere, with a warning" ||
	notok "RBNN_DEPS_ANY_OS=1: goes on elsewhere, with a warning" "exit $rc" "$out"

rm -f "$tmp/os-release"
deps run
[ "$rc" -eq 3 ] && [[ $out == *"unknown (no readable $tmp/os-release)"* ]] &&
	ok "no os-release file: refused, says so" ||
	notok "no os-release file: refused, says so" "exit $rc" "$out"

osr 'ID=debian' 'VERSION_ID="12"'
deps nonsense
[ "$rc" -eq 2 ] && [[ $out == *"unknown group 'nonsense'"* ]] &&
	ok "an unknown group: exit 2" || notok "an unknown group: exit 2" "exit $rc" "$out"

# What make run and make demo call, and what that would install.
allowed=" build-essential pkg-config libdrm-dev libudev-dev libedf-dev zlib1g-dev "
for target in run demo; do
	calls=$(cd "$repo" && make -n "$target" B="$tmp/build" 2>/dev/null | grep 'scripts/deps\.sh')
	if [ "$calls" != "scripts/deps.sh run" ]; then
		notok "make $target calls only 'scripts/deps.sh run'" "calls: ${calls:-none}"
		continue
	fi
	ok "make $target calls only 'scripts/deps.sh run'"
done
deps run
pk=$(sed -n 's/.*group run: would install: //p' <<<"$out")
extra=
for p in $pk; do [[ $allowed == *" $p "* ]] || extra+=" $p"; done
if [ "$rc" -eq 0 ] && [ -n "$pk" ] && [ -z "$extra" ] && [[ $out != *backports* ]]; then
	ok "the run group: compiler, pkg-config, libdrm, libudev, EDFlib, zlib only ($pk)"
else
	notok "the run group: compiler, pkg-config, libdrm, libudev, EDFlib, zlib only" \
		"exit $rc, beyond those:${extra:- none}" "$out"
fi
deps qemu
[ "$rc" -eq 0 ] && [[ $out == *"would install from bookworm-backports: meson"* ]] &&
	ok "the qemu group still takes meson from bookworm-backports (dry run)" ||
	notok "the qemu group still takes meson from bookworm-backports (dry run)" "$out"
# make bench: OpenBLAS with its own cblas.h (not netlib's), PyTorch, and
# the peers' venv (ONNX Runtime, then Larq Compute Engine, optional).
deps bench
[ "$rc" -eq 0 ] && [[ $out == *"group bench: would install: libopenblas-pthread-dev"* ]] &&
	[[ $out == *python3-torch* ]] && [[ $out == *"venv-bench with onnxruntime=="* ]] &&
	[[ $out == *"then try larq=="* ]] &&
	ok "the bench group: OpenBLAS, PyTorch and the peers' venv (dry run)" ||
	notok "the bench group: OpenBLAS, PyTorch and the peers' venv (dry run)" "exit $rc" "$out"
calls=$(cd "$repo" && make -n bench B="$tmp/build" 2>/dev/null | grep '^scripts/deps\.sh')
[ "$calls" = "scripts/deps.sh build bench" ] &&
	ok "make bench installs the bench group first" ||
	notok "make bench installs the bench group first" "calls: ${calls:-none}"

[ ! -e "$tmp/called" ] && ok "no dry run called apt, sudo or pip" ||
	notok "no dry run called apt, sudo or pip" "$(cat "$tmp/called")"

echo "1..$n"
[ "$bad" -eq 0 ]
