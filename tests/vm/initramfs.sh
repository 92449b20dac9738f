#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Build the VM tier's initramfs: busybox-static, kernel modules with their
# dependencies, test files, and an /init that runs one guest test and
# reports its exit code through isa-debug-exit.
#
#   tests/vm/initramfs.sh -o OUT.cpio [options]
#
#   --modules "M..."     kernel modules to include and load, resolved with their
#                        dependencies (default: drm drm_kms_helper
#                        drm_shmem_helper gpu-sched;
#                        RBNN_VM_MODULES overrides the default)
#   --add-modules "M..." more in-kernel modules, loaded after those of
#                        --modules (e.g. vgem; repeatable)
#   --ko FILE.ko         an out-of-tree module (e.g. rbnn.ko), put in
#                        /lib/modules/KVER/extra and loaded; the in-kernel
#                        modules it depends on are added (repeatable)
#   --bin FILE[:DEST]    an executable (default DEST /bin/NAME) plus the shared
#                        libraries ldd lists for it (repeatable)
#   --file SRC:DEST      any file or directory, copied to DEST (repeatable)
#   --test FILE          the guest test script; /init runs it with busybox sh
#   --env NAME=VALUE     exported in the guest before the test (repeatable)
#   --kernel-env FILE    kernel env file (default: from tests/vm/kernel.sh)
#
# The archive is two cpio archives back to back (the kernel unpacks both):
# a cached base (busybox + modules; keyed by kernel, busybox and the module
# set) and a small part made each time (/init, config, test files), so a
# rebuild after changing a test binary takes well under a second.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
CACHE=${RBNN_CACHE:-$HOME/.cache/rbnn}
# The DRM core and the helpers an accel driver uses (shmem GEM, scheduler).
DEFAULT_MODULES="drm drm_kms_helper drm_shmem_helper gpu-sched"
BASE_FORMAT=1 # bump when the base layout below changes

log() { printf 'initramfs: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

out="" kenv="" test="" more_modules=""
modules=${RBNN_VM_MODULES:-$DEFAULT_MODULES}
kos=() bins=() files=() envs=()
while [ $# -gt 0 ]; do
	case $1 in
	-o) out=$2; shift ;;
	--modules) modules=$2; shift ;;
	--add-modules) more_modules="$more_modules $2"; shift ;;
	--ko) kos+=("$(realpath "$2")"); shift ;;
	--bin) bins+=("$2"); shift ;;
	--file) files+=("$2"); shift ;;
	--test) test=$(realpath "$2"); shift ;;
	--env) envs+=("$2"); shift ;;
	--kernel-env) kenv=$2; shift ;;
	-h | --help) sed -n '2,/^set -e/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
	*) die "unknown argument '$1'" ;;
	esac
	shift
done
[ -n "$out" ] || die "-o OUT is required"
modules="$modules$more_modules"
[ -n "$kenv" ] || kenv=$("$HERE/kernel.sh")
# shellcheck source=/dev/null
. "$kenv"
for t in busybox cpio depmod modprobe modinfo xz; do
	command -v "$t" >/dev/null || die "$t not found (run scripts/deps.sh vm)"
done
BUSYBOX=$(command -v busybox)
if ldd "$BUSYBOX" >/dev/null 2>&1; then die "$BUSYBOX is not static (install busybox-static)"; fi

# In-kernel module names to resolve: the requested ones plus what the extra
# modules depend on. Names are normalised to underscores.
norm() { tr '-' '_'; }
want=$(
	for m in $modules; do echo "$m"; done
	for k in ${kos[@]+"${kos[@]}"}; do modinfo -F depends "$k" | tr ',' '\n'; done
)
want=$(echo "$want" | norm | sed '/^$/d' | sort -u)

# newc cpio entry for a character device node, written without mknod/root.
cpio_nod() { # NAME MODE(octal) MAJOR MINOR INO
	local name=$1 namesize pad
	namesize=$((${#name} + 1))
	printf '070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%s\0' \
		"$5" $((0020000 | 8#$2)) 0 0 1 0 0 0 0 "$3" "$4" "$namesize" 0 "$name"
	pad=$(((4 - (110 + namesize) % 4) % 4))
	head -c "$pad" /dev/zero
}

# cpio of a staged directory, owned by root, in newc format.
pack() { # DIR OUT
	(cd "$1" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$2"
}

# ---- the cached base ----------------------------------------------------
bbver=$("$BUSYBOX" | sed -n 1p)
key=$(printf '%s\n' "$BASE_FORMAT" "$KVER" "$bbver" "$(stat -c %Y "$BUSYBOX")" "$want" |
	sha256sum | cut -c1-16)
BASE=$CACHE/initramfs/base-$KVER-$key
mkdir -p "$CACHE/initramfs"
exec 9>"$CACHE/initramfs/.lock"
flock 9 # one builder at a time; the others then find the base ready
if [ ! -f "$BASE/base.cpio" ]; then
	log "building base $BASE"
	rm -rf "$BASE.tmp"
	st=$BASE.tmp/tree
	mkdir -p "$st"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,root,etc,lib,lib64}
	cp "$BUSYBOX" "$st/bin/busybox"
	for a in $("$BUSYBOX" --list-full); do
		[ -e "$st/$a" ] || ln -s /bin/busybox "$st/$a"
	done
	# Modules: the dependency closure from the full tree, decompressed.
	md=lib/modules/$KVER
	mkdir -p "$st/$md"
	for m in $want; do
		modprobe -d "$KROOT" -S "$KVER" --show-depends "$m" >"$BASE.tmp/deps" 2>&1 ||
			die "module $m: $(cat "$BASE.tmp/deps")"
		sed -n 's/^insmod \([^ ]*\).*/\1/p' "$BASE.tmp/deps"
	done | sort -u >"$BASE.tmp/files"
	while read -r f; do
		rel=${f#"$MODDIR"/}
		mkdir -p "$st/$md/$(dirname "$rel")"
		case $f in
		*.xz) xz -dc "$f" >"$st/$md/${rel%.xz}" ;;
		*.zst) zstd -dcq "$f" >"$st/$md/${rel%.zst}" ;;
		*) cp "$f" "$st/$md/$rel" ;;
		esac
	done <"$BASE.tmp/files"
	cp "$MODDIR"/modules.builtin "$MODDIR"/modules.builtin.modinfo "$st/$md/"
	sed -e "s|^$MODDIR/||" -e 's/\.\(xz\|zst\)$//' "$BASE.tmp/files" >"$st/$md/modules.order"
	depmod -b "$st" "$KVER"
	echo "$want" >"$BASE.tmp/modules"
	pack "$st" "$BASE.tmp/base.cpio.part"
	# Prepend /dev/console (the kernel opens it before running /init).
	{
		cpio_nod dev/console 600 5 1 1
		cat "$BASE.tmp/base.cpio.part"
	} >"$BASE.tmp/base.cpio"
	rm -f "$BASE.tmp/base.cpio.part" "$BASE.tmp/deps"
	rm -rf "$BASE"
	mv "$BASE.tmp" "$BASE"
	log "base: $(wc -l <"$BASE/files") modules, $(du -h "$BASE/base.cpio" | cut -f1)"
fi
flock -u 9

# ---- the part made each time -------------------------------------------
ex=$(mktemp -d)
# shellcheck disable=SC2064 # expand now
trap "rm -rf '$ex'" EXIT
st=$ex/tree
mkdir -p "$st/etc" "$st/tests" "$st/bin" "$st/lib/modules/$KVER/extra"

copy_with_libs() { # SRC DEST
	local src=$1 dst=$2 lib
	mkdir -p "$st/$(dirname "$dst")"
	cp -L "$src" "$st/$dst"
	# Shared libraries and the dynamic loader, at their absolute paths.
	for lib in $(ldd "$src" 2>/dev/null | grep -oE '/[^ ]+' || true); do
		[ -e "$st/$lib" ] && continue
		mkdir -p "$st/$(dirname "$lib")"
		cp -L "$lib" "$st/$lib"
	done
}
for b in ${bins[@]+"${bins[@]}"}; do
	src=${b%%:*} dst=/bin/$(basename "${b%%:*}")
	[ "$b" = "$src" ] || dst=${b#*:}
	[ -x "$src" ] || die "--bin $src: not an executable"
	copy_with_libs "$src" "$dst"
done
for f in ${files[@]+"${files[@]}"}; do
	src=${f%%:*} dst=${f#*:}
	[ "$f" != "$src" ] || die "--file wants SRC:DEST, got '$f'"
	[ -e "$src" ] || die "--file $src: not found"
	mkdir -p "$st/$(dirname "$dst")"
	cp -a "$src" "$st/$dst"
done
load=$(echo "$modules" | tr ' ' '\n' | norm | sed '/^$/d' | tr '\n' ' ')
if [ ${#kos[@]} -gt 0 ]; then
	for k in "${kos[@]}"; do
		cp "$k" "$st/lib/modules/$KVER/extra/"
		load="$load $(modinfo -F name "$k" 2>/dev/null || basename "$k" .ko)"
	done
	# modules.dep etc. for base + extra (they replace the base's when the
	# kernel unpacks the second archive): depmod over hard links of the
	# base's modules, without its old index files.
	dt=$ex/depmod/lib/modules/$KVER
	mkdir -p "$(dirname "$dt")"
	cp -al "$BASE/tree/lib/modules/$KVER" "$dt"
	rm -f "$dt"/modules.*dep* "$dt"/modules.alias* "$dt"/modules.symbols* "$dt"/modules.devname "$dt"/modules.softdep
	mkdir -p "$dt/extra"
	cp "$st/lib/modules/$KVER/extra/"*.ko "$dt/extra/"
	depmod -b "$ex/depmod" "$KVER"
	cp "$dt"/modules.* "$st/lib/modules/$KVER/"
fi
testname=
if [ -n "$test" ]; then
	testname=$(basename "$test")
	cp "$test" "$st/tests/$testname"
fi
{
	echo "# generated by tests/vm/initramfs.sh"
	printf 'VM_LOAD=%q\n' "$load"
	printf 'VM_TEST=%q\n' "${testname:+/tests/$testname}"
	printf 'VM_KVER=%q\n' "$KVER"
	for e in ${envs[@]+"${envs[@]}"}; do
		case $e in [A-Za-z_]*=*) ;; *) die "--env wants NAME=VALUE, got '$e'" ;; esac
		printf 'export %s=%q\n' "${e%%=*}" "${e#*=}"
	done
} >"$st/etc/rbnn-vm.env"

# /init: busybox sh. Serial ports: ttyS0 console, ttyS1 test output (KTAP,
# between markers), ttyS2 the kernel log (dmesg, all levels) at the end.
cat >"$st/init" <<'INIT'
#!/bin/sh
# Guest init of the RBNN VM tier (generated by tests/vm/initramfs.sh).
export PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root
mount -t devtmpfs -o mode=0755 devtmpfs /dev
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
mkdir -p /dev/pts && mount -t devpts devpts /dev/pts
# Boot ran with "quiet"; from here on the console shows every kernel
# message up to KERN_INFO live, so a hang still leaves a trace.
echo 7 >/proc/sys/kernel/printk
. /etc/rbnn-vm.env

say() { echo "rbnn-vm: $*" >/dev/console; }

# The debug kernel: which checkers run (the host requires all of them),
# and kmemleak forgets what boot left, so a report is the test's.
KML=/sys/kernel/debug/kmemleak
if [ "${RBNN_VM_DEBUG:-0}" = 1 ]; then
	kasan=0 lockdep=0 kmemleak=0 faults=0
	dmesg | grep -q 'KernelAddressSanitizer initialized' && kasan=1
	[ -e /proc/lockdep ] && lockdep=1
	[ -w "$KML" ] && kmemleak=1 && echo clear >"$KML"
	[ -d /sys/kernel/debug/failslab ] && [ -d /sys/kernel/debug/fail_function ] && faults=1
	say "checkers: kasan=$kasan lockdep=$lockdep kmemleak=$kmemleak faults=$faults cpus=$(grep -c ^processor /proc/cpuinfo)"
fi
# After the test: objects the test left unreferenced. kmemleak reports
# only objects older than 5 s that two scans found unreferenced.
kmemleak_check() {
	[ "${RBNN_VM_DEBUG:-0}" = 1 ] && [ -w "$KML" ] || return 0
	sleep 5
	echo scan >"$KML"
	echo scan >"$KML"
	leaks=$(grep -c 'unreferenced object' "$KML")
	if [ "$leaks" -gt 0 ]; then
		say "kmemleak: $leaks unreferenced objects after the test"
		cat "$KML" >/dev/console
	else
		say "kmemleak: clean"
	fi
}

# Exit QEMU with (rc << 1) | 1 through isa-debug-exit at port 0xf4.
finish() {
	rc=$1
	[ "$rc" -le 127 ] || rc=127
	dmesg -s 1048576 >/dev/ttyS2 2>/dev/null
	say "done rc=$rc taint=$(cat /proc/sys/kernel/tainted)"
	sync
	printf "\\$(printf %o "$rc")" | dd of=/dev/port bs=1 seek=244 count=1 2>/dev/null
	# Not reached with isa-debug-exit; without it, power off.
	poweroff -f
}

rc=0
for m in $VM_LOAD; do
	if ! modprobe "$m"; then
		say "modprobe $m failed"
		rc=125
	fi
done
say "modules: $(cut -d' ' -f1 /proc/modules | tr '\n' ' ')"

if [ "${RBNN_SHELL:-0}" = 1 ]; then
	say "interactive shell; the test is ${VM_TEST:-none} (run: sh $VM_TEST)."
	say "exit the shell (Ctrl-D) to power off."
	setsid cttyhack sh -l
	finish 0
fi

if [ "$rc" -eq 0 ] && [ -n "$VM_TEST" ]; then
	{
		echo "<<<RBNN-VM KTAP BEGIN $VM_TEST>>>"
		cd /tests && sh "$VM_TEST" 2>&1
		rc=$?
		echo "<<<RBNN-VM KTAP END rc=$rc>>>"
	} >/dev/ttyS1
	cd /
	kmemleak_check
fi
finish "$rc"
INIT
chmod 755 "$st/init" "$st/tests/"* 2>/dev/null || true

pack "$st" "$ex/extra.cpio"
mkdir -p "$(dirname "$out")"
cat "$BASE/base.cpio" "$ex/extra.cpio" >"$out.tmp"
mv "$out.tmp" "$out"
log "wrote $out ($(du -h "$out" | cut -f1))"
