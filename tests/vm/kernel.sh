#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Fetch and cache the reference guest kernel for the VM tier: Debian's
# bookworm-backports Linux 6.12 (image, headers, kbuild) plus a few files of
# linux-source-6.12 (checkpatch, the kselftest headers).
#
#   tests/vm/kernel.sh              prints the path of the env file
#   tests/vm/kernel.sh --print      prints the env file's KEY=VALUE lines
#   tests/vm/kernel.sh --selftest   also builds a throwaway module (in a temp
#                                   dir) with W=1 C=1 against the headers
#
# Use it as:   . "$(tests/vm/kernel.sh)"
# which sets KVER KABI KHEADERS VMLINUX BZIMAGE MODDIR KCONFIG KSRC
# KSRC_SELFTESTS CHECKPATCH (KHEADERS works as `make -C $KHEADERS M=DIR`).
#
# Everything lives in ${RBNN_CACHE:-~/.cache/rbnn}/kernel-<abi>/. The ABI
# (e.g. 6.12.95+deb12) is pinned by RBNN_KERNEL_ABI (default below); when the
# mirror no longer has all four packages of the pin, the newest 6.12 ABI that
# has them is used. Once a kernel is cached, no network is needed.
set -euo pipefail

TOP=$(cd "$(dirname "$0")/../.." && pwd)
CACHE=${RBNN_CACHE:-$HOME/.cache/rbnn}
PIN=${RBNN_KERNEL_ABI:-6.12.95+deb12}
FLAVOUR=amd64
DEPS=$TOP/scripts/deps.sh
# Paths taken out of linux-source-6.12 (relative to its top directory).
# kselftest_harness.h and kselftest.h include only libc/uapi headers and
# each other.
SRC_FILES=(
	scripts/checkpatch.pl
	scripts/spelling.txt
	scripts/const_structs.checkpatch
	Documentation/dev-tools/checkpatch.rst
	tools/testing/selftests/kselftest_harness.h
	tools/testing/selftests/kselftest.h
	tools/testing/selftests/kselftest_module.h
)

log() { printf 'kernel: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

mode=path
case ${1:-} in
'') ;;
--print) mode=print ;;
--selftest) mode=selftest ;;
-h | --help) sed -n '2,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
*) die "unknown argument '$1'" ;;
esac

pkgs_for() { # ABI -> the four binary package names
	echo "linux-image-$1-$FLAVOUR-unsigned linux-headers-$1-$FLAVOUR" \
		"linux-headers-$1-common linux-kbuild-$1"
}

# Is ABI fetchable, i.e. do all four packages have a candidate?
abi_available() {
	local n
	# shellcheck disable=SC2046 # word splitting of the package list is wanted
	n=$("$DEPS" bpo-candidate $(pkgs_for "$1") | wc -l)
	[ "$n" -eq 4 ]
}

choose_abi() {
	if [ -f "$CACHE/kernel-$PIN/env" ]; then
		echo "$PIN"
		return
	fi
	"$DEPS" vm >&2
	if abi_available "$PIN"; then
		echo "$PIN"
		return
	fi
	log "pinned $PIN not (fully) available; looking for the newest 6.12"
	local abi
	for abi in $("$DEPS" bpo-pkgnames "linux-image-6.12." |
		sed -n "s/^linux-image-\(6\.12\.[^-]*\)-$FLAVOUR-unsigned\$/\1/p" | sort -rV); do
		if abi_available "$abi"; then
			echo "$abi"
			return
		fi
	done
	# Offline or the mirror changed: fall back to the newest cached one.
	abi=$(find "$CACHE" -maxdepth 2 -path "$CACHE/kernel-6.12.*/env" 2>/dev/null |
		sed 's|.*/kernel-\([^/]*\)/env|\1|' | sort -rV | sed -n 1p)
	[ -n "$abi" ] || die "no 6.12 kernel with image+headers+kbuild found"
	echo "$abi"
}

le32() { # FILE OFFSET -> unsigned 32-bit little-endian value
	od -An -tu4 -j "$2" -N4 "$1" | tr -d ' '
}

# Extract the uncompressed ELF vmlinux (bootable through PVH) from a bzImage
# whose payload is zstd-compressed.
extract_vmlinux() {
	local bz=$1 out=$2 setup off len magic size
	setup=$(od -An -tu1 -j $((0x1f1)) -N1 "$bz" | tr -d ' ')
	[ "$setup" -ne 0 ] || setup=4
	# boot protocol >= 2.08: payload_offset/payload_length in the setup header,
	# the offset counted from the start of the protected-mode code.
	off=$(($(le32 "$bz" $((0x248))) + (setup + 1) * 512))
	len=$(le32 "$bz" $((0x24c)))
	magic=$(od -An -tx1 -j "$off" -N4 "$bz" | tr -d ' ')
	if [ "$magic" != "28b52ffd" ]; then
		# Not where the header says: search for the zstd frame magic.
		off=$(LC_ALL=C grep -obUaP '\x28\xb5\x2f\xfd' "$bz" | sed -n 1p | cut -d: -f1)
		[ -n "$off" ] || die "no zstd payload in $bz"
		len=$(($(stat -c %s "$bz") - off))
		log "payload found by magic search at $off"
	fi
	# The kernel appends the decompressed size (le32) after the zstd frame.
	size=$(le32 "$bz" $((off + len - 4)))
	dd if="$bz" iflag=skip_bytes,count_bytes skip="$off" count=$((len - 4)) status=none |
		zstd -dcq >"$out.tmp" ||
		die "zstd failed on the payload of $bz"
	[ "$(od -An -tx1 -N4 "$out.tmp" | tr -d ' ')" = "7f454c46" ] || die "payload is not ELF"
	[ "$(stat -c %s "$out.tmp")" -eq "$size" ] ||
		die "vmlinux size $(stat -c %s "$out.tmp") != $size recorded in the bzImage"
	mv "$out.tmp" "$out"
}

fetch() {
	local abi=$1 K=$CACHE/kernel-$1
	local kver=$abi-$FLAVOUR debs=$K/debs root=$K/root
	mkdir -p "$K"
	if [ ! -f "$K/.root-done" ]; then
		# shellcheck disable=SC2046 # word splitting of the package list is wanted
		"$DEPS" bpo-download "$debs" $(pkgs_for "$abi") >&2
		log "unpacking $(find "$debs" -name '*.deb' | wc -l) packages"
		rm -rf "$root" "$root.tmp"
		local d
		for d in "$debs"/*.deb; do
			dpkg-deb -x "$d" "$root.tmp"
		done
		dpkg-deb -f "$(compgen -G "$debs/linux-kbuild-${abi}_*.deb" | sed -n 1p)" Version \
			>"$root.tmp/.pkgversion"
		mv "$root.tmp" "$root"
		touch "$K/.root-done"
	fi
	local hdr=$root/usr/src/linux-headers-$kver
	local common=$root/usr/src/linux-headers-$abi-common
	# The arch headers' Makefile includes the common one by absolute path.
	if ! grep -qF "include $common/Makefile" "$hdr/Makefile"; then
		sed -i "s|^include /usr/src/linux-headers-$abi-common/Makefile\$|include $common/Makefile|" "$hdr/Makefile"
		grep -qF "include $common/Makefile" "$hdr/Makefile" ||
			die "unexpected $hdr/Makefile: $(head -c 200 "$hdr/Makefile")"
	fi
	local moddir
	moddir=$(find "$root" -maxdepth 4 -type d -path "*/modules/$kver" | sed -n 1p)
	[ -n "$moddir" ] || die "no modules directory for $kver"
	if [ ! -f "$moddir/modules.dep" ]; then
		log "depmod on the full module tree"
		depmod -b "${moddir%/lib/modules/*}" "$kver"
	fi
	local bz=$root/boot/vmlinuz-$kver
	if [ ! -f "$K/vmlinux" ]; then
		log "extracting vmlinux from $(basename "$bz")"
		extract_vmlinux "$bz" "$K/vmlinux"
	fi
	local srckey
	srckey=$(printf '%s\n' "${SRC_FILES[@]}" | sha256sum | cut -c1-16)
	if [ "$(cat "$K/.src-done" 2>/dev/null)" != "$srckey" ]; then
		"$DEPS" bpo-download "$debs" linux-source-6.12 >&2
		local sdeb
		sdeb=$(compgen -G "$debs/linux-source-6.12_*.deb" | sed -n 1p)
		log "extracting ${#SRC_FILES[@]} files from $(basename "$sdeb")"
		rm -rf "$K/src" "$K/src.tmp"
		mkdir -p "$K/src.tmp"
		dpkg-deb --fsys-tarfile "$sdeb" |
			tar -xO ./usr/src/linux-source-6.12.tar.xz |
			tar -xJ -C "$K/src.tmp" --strip-components=1 \
				"${SRC_FILES[@]/#/linux-source-6.12/}"
		basename "$sdeb" .deb | sed 's/^linux-source-6.12_//; s/_all$//' >"$K/src.tmp/VERSION"
		mv "$K/src.tmp" "$K/src"
		echo "$srckey" >"$K/.src-done"
	fi
	# The .debs are no longer needed: the unpacked trees are the cache.
	[ -n "${RBNN_KEEP_DEBS:-}" ] || rm -rf "$debs"
	{
		printf '# generated by tests/vm/kernel.sh; source it\n'
		printf '%s=%q\n' \
			KABI "$abi" \
			KVER "$kver" \
			KPKGVER "$(cat "$root/.pkgversion")" \
			KROOT "$root" \
			KHEADERS "$hdr" \
			KBUILD_DIR "$root/usr/lib/linux-kbuild-$abi" \
			VMLINUX "$K/vmlinux" \
			BZIMAGE "$bz" \
			KCONFIG "$root/boot/config-$kver" \
			MODDIR "$moddir" \
			KSRC "$K/src" \
			KSRC_SELFTESTS "$K/src/tools/testing/selftests" \
			CHECKPATCH "$K/src/scripts/checkpatch.pl"
	} >"$K/env.tmp"
	mv "$K/env.tmp" "$K/env"
}

# Build a throwaway module with W=1 (extra warnings) and C=1 (sparse), with
# BTF (pahole), to prove that the unpacked headers and the toolchain work.
# Runs in a subshell that sources the env file.
selftest() (
	# shellcheck source=/dev/null
	. "$1"
	t=$(mktemp -d)
	# shellcheck disable=SC2064 # expand now: $t is local to this subshell
	trap "rm -rf '$t'" EXIT
	cat >"$t/hello.c" <<'C'
// SPDX-License-Identifier: GPL-2.0
#include <linux/module.h>
#include <linux/init.h>

static int __init hello_init(void)
{
	pr_info("hello: loaded\n");
	return 0;
}

static void __exit hello_exit(void)
{
}

module_init(hello_init);
module_exit(hello_exit);
MODULE_DESCRIPTION("toolchain check for the RBNN VM tier");
MODULE_LICENSE("GPL");
C
	echo 'obj-m := hello.o' >"$t/Kbuild"
	log "building a test module with W=1 C=1 against $KHEADERS"
	make -s -C "$KHEADERS" M="$t" W=1 C=1 modules >"$t/build.log" 2>&1 ||
		{ cat "$t/build.log" >&2; die "module build failed"; }
	if grep -E 'warning|error' "$t/build.log" >&2; then
		die "module build printed warnings"
	fi
	[ -f "$t/hello.ko" ] || die "no hello.ko"
	vm=$(modinfo -F vermagic "$t/hello.ko")
	# shellcheck disable=SC2153 # KVER comes from the env file
	case $vm in "$KVER "*) ;; *) die "vermagic '$vm' is not for $KVER" ;; esac
	[ "$(readelf -S "$t/hello.ko" | grep -c '\.BTF')" -gt 0 ] || die "hello.ko has no BTF section"
	log "module ok: vermagic '$vm', BTF present, no warnings (W=1 C=1)"
)

abi=$(choose_abi)
K=$CACHE/kernel-$abi
mkdir -p "$K"
exec 9>"$K/.lock"
flock 9 # concurrent callers wait for one fetch
if [ ! -f "$K/env" ] || [ ! -f "$K/vmlinux" ]; then
	start=$(date +%s)
	fetch "$abi"
	log "kernel $abi cached in $K ($(($(date +%s) - start)) s, $(du -sh "$K" | cut -f1))"
fi
case $mode in
path) echo "$K/env" ;;
print) grep -v '^#' "$K/env" ;;
selftest) selftest "$K/env"; echo "$K/env" ;;
esac
