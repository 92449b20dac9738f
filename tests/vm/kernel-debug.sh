#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Build and cache the VM tier's debug kernel: Linux 6.12 from Debian's
# linux-source-6.12 (bookworm-backports, the same release as the reference
# kernel of tests/vm/kernel.sh) with x86_64_defconfig + kvm_guest.config +
# tests/vm/kconfig/debug.config: KASAN, lockdep, kmemleak, debug objects,
# UBSAN, DMA-API debugging, hung-task detection and fault injection
# (failslab, fail_page_alloc, fail_function).
#
#   tests/vm/kernel-debug.sh             prints the path of its env file
#   tests/vm/kernel-debug.sh --print     prints the env file's KEY=VALUE lines
#   tests/vm/kernel-debug.sh --rbnn-ko   also builds kernel/ against it into
#                                        build/kernel-debug/rbnn.ko (printed)
#
# The env file has the keys of tests/vm/kernel.sh's (KVER KROOT KHEADERS
# VMLINUX MODDIR KCONFIG ...), so run-vm.sh and initramfs.sh take either;
# KHEADERS is the build tree (make -C $KHEADERS M=DIR modules works).
#
# Cache: ${RBNN_CACHE:-~/.cache/rbnn}/kernel-debug-<key>/, the key hashing
# the source package version, the config fragment and this script's build
# recipe, so a warm run only checks files; a cold build takes about 25 min
# of 2 cores. RBNN_KDEBUG_JOBS sets make -j (default: all CPUs).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
CACHE=${RBNN_CACHE:-$HOME/.cache/rbnn}
DEPS=$TOP/scripts/deps.sh
FRAGMENT=$HERE/kconfig/debug.config
RECIPE=2 # bump when the build steps below change what they produce

log() { printf 'kernel-debug: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

mode=path
case ${1:-} in
'') ;;
--print) mode=print ;;
--rbnn-ko) mode=ko ;;
-h | --help) sed -n '2,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
*) die "unknown argument '$1'" ;;
esac

# The source package: the one the reference kernel's cache already names,
# so both kernels are the same release; else the newest backports has.
srcver() {
	local v
	v=$("$DEPS" bpo-candidate linux-source-6.12 2>/dev/null | awk '{print $2}' | sed -n 1p)
	[ -n "$v" ] || v=$(find "$CACHE" -maxdepth 1 -name 'kernel-debug-*' -printf '%f\n' 2>/dev/null |
		sed -n 's/^kernel-debug-\([^_]*\)_.*/\1/p' | sort -rV | sed -n 1p)
	[ -n "$v" ] || die "no linux-source-6.12 in bookworm-backports and none cached"
	echo "$v"
}

"$DEPS" vm >&2
"$DEPS" kernel-build >&2
ver=$(srcver)
key=$(cat "$FRAGMENT" <(echo "recipe=$RECIPE") | sha256sum | cut -c1-12)
K=$CACHE/kernel-debug-${ver}_$key
mkdir -p "$K"
exec 9>"$K/.lock"
flock 9 # concurrent callers wait for one build

build() {
	local src=$K/src obj=$K/obj root=$K/root jobs
	jobs=${RBNN_KDEBUG_JOBS:-$(nproc)}
	if [ ! -f "$src/.unpacked" ]; then
		local dl=$CACHE/downloads/ksrc deb
		mkdir -p "$dl"
		deb=$(compgen -G "$dl/linux-source-6.12_${ver//\~/?}_all.deb" | sed -n 1p || true)
		if [ -z "$deb" ]; then
			"$DEPS" bpo-download "$dl" "linux-source-6.12=$ver" >&2
			deb=$(compgen -G "$dl/linux-source-6.12_*_all.deb" | sort -V | tail -n1)
		fi
		[ -f "$deb" ] || die "linux-source-6.12 $ver did not download"
		log "unpacking $(basename "$deb")"
		rm -rf "$src" "$src.tmp"
		mkdir -p "$src.tmp"
		dpkg-deb --fsys-tarfile "$deb" | tar -xO ./usr/src/linux-source-6.12.tar.xz |
			tar -xJ -C "$src.tmp" --strip-components=1
		# The scheduler is a hidden tristate that only in-tree drivers
		# select (none of them x86 and small); give it a prompt so the
		# fragment can build it as a module for our out-of-tree driver.
		sed -i '/^config DRM_SCHED$/{n;s/^\ttristate$/\ttristate "GPU scheduler (for out-of-tree drivers)"/}' \
			"$src.tmp/drivers/gpu/drm/Kconfig"
		grep -q 'tristate "GPU scheduler (for out-of-tree drivers)"' "$src.tmp/drivers/gpu/drm/Kconfig" ||
			die "could not give DRM_SCHED a prompt"
		touch "$src.tmp/.unpacked"
		mv "$src.tmp" "$src"
	fi
	mkdir -p "$obj"
	log "configuring (x86_64_defconfig + kvm_guest.config + $(basename "$FRAGMENT"))"
	make -s -C "$src" O="$obj" x86_64_defconfig >&2
	"$src/scripts/kconfig/merge_config.sh" -m -O "$obj" "$obj/.config" \
		"$src/kernel/configs/kvm_guest.config" "$FRAGMENT" >"$K/merge.log" 2>&1
	make -s -C "$src" O="$obj" olddefconfig >&2
	# Every "=y"/"=m" the fragment asks for must have survived olddefconfig
	# (a dependency we did not satisfy would silently drop a checker).
	local want miss=()
	while read -r want; do
		grep -qx "$want" "$obj/.config" || miss+=("$want")
	done < <(grep -E '^CONFIG_[A-Z0-9_]+=[ym]$' "$FRAGMENT")
	[ ${#miss[@]} -eq 0 ] || die "config lost: ${miss[*]} (see $K/merge.log)"
	local start=$SECONDS
	log "building vmlinux and modules with -j$jobs (log: $K/build.log)"
	if ! make -C "$src" O="$obj" -j"$jobs" vmlinux modules >"$K/build.log" 2>&1; then
		tail -n 30 "$K/build.log" >&2
		die "kernel build failed"
	fi
	rm -rf "$root"
	make -s -C "$src" O="$obj" INSTALL_MOD_PATH="$root" INSTALL_MOD_STRIP=1 \
		modules_install >&2
	log "built in $((SECONDS - start)) s"
	local kver
	kver=$(cat "$obj/include/config/kernel.release")
	{
		printf '# generated by tests/vm/kernel-debug.sh; source it\n'
		printf '%s=%q\n' \
			KFLAVOUR debug \
			KABI "$ver" \
			KVER "$kver" \
			KPKGVER "$ver" \
			KROOT "$root" \
			KHEADERS "$obj" \
			VMLINUX "$obj/vmlinux" \
			BZIMAGE "$obj/arch/x86/boot/bzImage" \
			KCONFIG "$obj/.config" \
			MODDIR "$root/lib/modules/$kver" \
			KSRC "$src" \
			KSRC_SELFTESTS "$src/tools/testing/selftests" \
			CHECKPATCH "$src/scripts/checkpatch.pl"
	} >"$K/env.tmp"
	mv "$K/env.tmp" "$K/env"
}

if [ ! -f "$K/env" ]; then
	build
fi

# Build the driver against this kernel: kbuild 6.12 writes an external
# module's objects beside its sources, so build a copy of kernel/.
rbnn_ko() {
	# shellcheck source=/dev/null
	. "$K/env"
	local out=$TOP/build/kernel-debug
	mkdir -p "$out/include"
	cp -p "$TOP"/kernel/Kbuild "$TOP"/kernel/*.[ch] "$out/"
	cp -rp "$TOP"/kernel/include/. "$out/include/"
	if ! make -C "$KHEADERS" M="$out" modules >"$out/build.log" 2>&1; then
		cat "$out/build.log" >&2
		die "rbnn.ko did not build against the debug kernel"
	fi
	if grep -E 'warning|error' "$out/build.log" >&2; then
		die "rbnn.ko built with warnings against the debug kernel"
	fi
	echo "$out/rbnn.ko"
}

case $mode in
path) echo "$K/env" ;;
print) grep -v '^#' "$K/env" ;;
ko) rbnn_ko ;;
esac
