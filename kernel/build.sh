#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only OR MIT
# Build rbnn.ko against the cached reference 6.12 headers with W=1 (extra
# warnings) and C=1 (sparse), then run checkpatch --strict on the driver.
# Fails on any compiler, sparse, modpost or checkpatch warning. Prints the
# path of the module on stdout.
#
#   kernel/build.sh              build + checks
#   kernel/build.sh --no-check   build only (still W=1 C=1, warnings fail)
#   kernel/build.sh --clean      remove the build outputs
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
# shellcheck source=/dev/null
. "$("$TOP/tests/vm/kernel.sh")"

log() { printf 'rbnn-build: %s\n' "$*" >&2; }

check=1
case ${1:-} in
'') ;;
--no-check) check=0 ;;
--clean) make -s -C "$KHEADERS" M="$HERE" clean >&2; exit 0 ;;
*) log "unknown argument '$1'"; exit 2 ;;
esac

blog=$HERE/build.log
log "building rbnn.ko (W=1 C=1) against $KHEADERS"
if ! make -C "$KHEADERS" M="$HERE" W=1 C=1 modules >"$blog" 2>&1; then
	cat "$blog" >&2
	log "build failed"
	exit 1
fi
if grep -E 'warning|error|: note:' "$blog" >&2; then
	log "the build printed warnings (full log: $blog)"
	exit 1
fi

if [ "$check" -eq 1 ]; then
	log "checkpatch --strict"
	# The driver's own files (not kbuild's generated *.mod.c).
	files=$(cd "$HERE" && ls rbnn_*.c rbnn_drv.h include/uapi/drm/*.h Kbuild)
	cp=(perl "$CHECKPATCH" --strict --no-tree --terse --show-types
		--ignore FILE_PATH_CHANGES)
	# shellcheck disable=SC2086 # one argument per file
	# Any report fails the build, CHECKs included (checkpatch itself
	# exits 0 on those).
	out=$(cd "$HERE" && "${cp[@]}" -f $files 2>&1) || true
	if [ -n "$out" ]; then
		printf '%s\n' "$out" >&2
		log "checkpatch reported problems"
		exit 1
	fi
	# rbnn_regs.h is shared with the (userspace) device model, which has
	# no BIT(): it keeps plain shifts.
	out=$(cd "$HERE" && "${cp[@]}" --ignore BIT_MACRO -f rbnn_regs.h 2>&1) || true
	if [ -n "$out" ]; then
		printf '%s\n' "$out" >&2
		log "checkpatch reported problems in rbnn_regs.h"
		exit 1
	fi
fi
echo "$HERE/rbnn.ko"
