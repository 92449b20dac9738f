#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# make test-deb: RBNN's Debian packages installed into a clean Debian 12
# root, as an administrator would install them. TAP.
#
#   packaging/test-deb.sh VERSION DEBDIR
#
# The root is a chroot that mmdebstrap makes from the Debian mirror (the
# one apt already uses; cached as a tarball in $RBNN_CACHE/deb-root, made
# again when the package list below changes), with dkms and the runtime
# and -dev libraries the packages depend on, nothing of the project.  In a
# private mount namespace (nothing stays mounted afterwards) it gets
# /proc, /sys and /dev and, read-only at the same path, the VM tier's
# guest kernel headers (tests/vm/kernel.sh).  Then:
#   dpkg -i the four packages (maintainer scripts run: rbnn-dkms's
#   postinst adds the module to DKMS), dkms build + install for the guest
#   kernel, the .ko's vermagic, the udev rule, a program linked through
#   pkg-config, and the installed bnn-run on a shipped model found by name
#   under /usr/share/rbnn/models, on the cpu and emu backends, with one
#   MIT-BIH record put in the installed default data root.
set -euo pipefail

version=${1:?usage: test-deb.sh VERSION DEBDIR}
debdir=${2:?usage: test-deb.sh VERSION DEBDIR}
top=$(cd "$(dirname "$0")/.." && pwd)
CACHE=${RBNN_CACHE:-$HOME/.cache/rbnn}
DATA=${RBNN_DATA:-$top/../shared/data}
# What the root has besides Debian's minbase: DKMS, the C compiler (gcc-12,
# also the one the guest kernel's headers name), make, what the headers'
# own programs link (objtool: libelf1; sign-file: libssl3) and run (pahole
# for the module's BTF: dwarves), the libraries the packages depend on and
# their -dev packages (for libbnn-dev).
ROOT_PKGS="dkms gcc gcc-12 make libc6-dev kmod libelf1 libssl3 dwarves pkgconf libdrm-dev libudev-dev libedf-dev zlib1g-dev"

n=0 failed=0
ok() { n=$((n + 1)); echo "ok $n - $*"; }
not_ok() { n=$((n + 1)); failed=$((failed + 1)); echo "not ok $n - $*"; }
check() { # DESCRIPTION CMD...: one test, the command's output as comments
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then ok "$d"; else not_ok "$d"; fi
	[ -z "$out" ] || printf '%s\n' "$out" | tail -n 15 | sed 's/^/# /'
}

# chroot, mount and dpkg in the root need root (CI and the developers'
# machines run as root).
if [ "$(id -u)" -ne 0 ]; then
	echo "ok 1 # SKIP not root: the clean root needs chroot and mounts (run as root)"
	echo "1..1"
	exit 0
fi

# The cached base root: made once per package list.
key=$(printf 'bookworm minbase %s\n' "$ROOT_PKGS" | sha256sum | cut -c1-12)
tarball=$CACHE/deb-root/bookworm-$key.tar
if [ ! -s "$tarball" ]; then
	mkdir -p "$CACHE/deb-root"
	rm -f "$CACHE"/deb-root/bookworm-*.tar* # roots of older package lists
	echo "# making the clean root $tarball (mmdebstrap, once)"
	nice mmdebstrap --variant=minbase --format=tar --aptopt='APT::Install-Recommends "false"' \
		--include="${ROOT_PKGS// /,}" bookworm "$tarball.tmp" >"$tarball.log" 2>&1 ||
		{ tail -n 20 "$tarball.log" | sed 's/^/# /'; echo "not ok 1 - mmdebstrap made the clean root"; echo "1..1"; exit 1; }
	mv "$tarball.tmp" "$tarball"
fi

# shellcheck source=/dev/null
. "$("$top/tests/vm/kernel.sh")"
kroot=${KHEADERS%/usr/src/*}

work=$(mktemp -d "${TMPDIR:-/tmp}/rbnn-test-deb.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root
mkdir -p "$root"
tar -C "$root" -xf "$tarball"
mkdir -p "$root/tmp/debs" "$root$kroot"
cp "$debdir"/libbnn0_"$version"-1_*.deb "$debdir"/libbnn-dev_"$version"-1_*.deb \
	"$debdir"/bnn-tools_"$version"-1_*.deb "$debdir"/rbnn-dkms_"$version"-1_all.deb \
	"$root/tmp/debs/"
cp "$top/packaging/test-deb-root.sh" "$root/tmp/"
mkdir -p "$root/tmp/mitdb"
cp "$DATA"/mitdb/100.hea "$DATA"/mitdb/100.dat "$DATA"/mitdb/100.atr "$root/tmp/mitdb/"

# Everything inside the root runs in its own mount namespace; the script
# there prints "ok - ..." / "not ok - ..." lines, numbered here.
rc=0
nice unshare -m sh -c '
	set -e
	r=$1 k=$2
	mount --make-rprivate /
	mount -t proc proc "$r/proc"
	mount --rbind /sys "$r/sys"
	mount --rbind /dev "$r/dev"
	mount --bind "$k" "$r$k"
	mount -o remount,bind,ro "$r$k"
	exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root DEBIAN_FRONTEND=noninteractive \
		bash /tmp/test-deb-root.sh "$3" "$4" "$5"
' sh "$root" "$kroot" "$version" "$KVER" "$KHEADERS" >"$work/root.tap" 2>&1 || rc=$?
while IFS= read -r line; do
	case $line in
	"ok - "*) ok "${line#ok - }" ;;
	"not ok - "*) not_ok "${line#not ok - }" ;;
	"#"*) printf '%s\n' "$line" ;;
	*) printf '# %s\n' "$line" ;;
	esac
done <"$work/root.tap"
if [ "$rc" -eq 0 ]; then ok "the clean root's checks ran to the end"; else not_ok "the clean root's checks ran to the end (exit $rc)"; fi
echo "1..$n"
[ "$failed" -eq 0 ]
