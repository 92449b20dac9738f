#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# Every tracked file carries an SPDX-License-Identifier line the licence
# policy (LICENSE) allows for its folder. TAP, one test per folder.
#
#   tests/check-spdx.sh
#
# Looks at the first 15 lines of each file, as the kernel's
# scripts/spdxcheck.py does (scripts have a shebang first; QEMU puts the
# line at the end of its header comment).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1

case "${1:-}" in
"") ;;
*)
	sed -n '3,12s/^# \{0,1\}//p' "$0"
	echo "Exempt (no SPDX line needed):"
	sed -n '/^exempt() {/,/^}/s/^\t\([^)]*\)) echo "\(.*\)" ;;$/  \1: \2/p' "$0"
	exit 2 ;;
esac

# Why a file needs no SPDX line; nothing for files that need one.
exempt() {
	case "$1" in
	LICENSE|LICENSES/*) echo "licence text" ;;
	models/*.bnn) echo "binary model written by make results" ;;
	Documentation/results/*.png) echo "plot written by make results" ;;
	tests/fuzz/corpus/*/*[!d]|tests/fuzz/corpus/*/*[!m]d)
		# binary libFuzzer inputs (their README.md has the line)
		echo "fuzzer input" ;;
	.gitignore|*/.gitignore) echo "git ignore list" ;;
	tests/vm/kconfig/*.config)
		# as the kernel's own fragments (kernel/configs/*.config); its
		# bytes are also the debug kernel's cache key
		echo "Kconfig fragment" ;;
	esac
}

# The licence expression the policy allows for a path (LICENSE).
policy() {
	case "$1" in
	kernel/include/uapi/*) echo "GPL-2.0-only WITH Linux-syscall-note OR MIT" ;;
	kernel/*|Kbuild) echo "GPL-2.0-only OR MIT" ;;
	tests/selftests/*|tests/syzkaller/*) echo "GPL-2.0-only OR MIT" ;;
	Documentation/index.rst|Documentation/rbnn-device.rst|Documentation/rbnn-uapi.rst)
		echo "GPL-2.0-only OR MIT" ;;
	emulator/qemu/*|tests/device/rbnn-test.c) echo "GPL-2.0-or-later" ;;
	*) echo "GPL-2.0-or-later OR MIT" ;;
	esac
}

# The expression of the file's SPDX line, without comment closers; empty
# when there is none.
tag_of() {
	head -n 15 -- "$1" 2>/dev/null | tr -d '\000' | awk '
		/SPDX-License-Identifier:/ {
			sub(/.*SPDX-License-Identifier:[ \t]*/, "")
			sub(/[ \t]*(\*\/|-->)[ \t]*$/, "")
			sub(/[ \t]+$/, "")
			print
			exit
		}'
}

if ! files=$(git ls-files 2>/dev/null) || [ -z "$files" ]; then
	echo "1..1"
	echo "not ok 1 - git ls-files lists the tracked files (not a git checkout?)"
	exit 1
fi

declare -A bad ndir
dirs=()
nexempt=0
while IFS= read -r f; do
	why=$(exempt "$f")
	if [ -n "$why" ]; then
		nexempt=$((nexempt + 1))
		echo "# exempt: $f ($why)"
		continue
	fi
	d=$(dirname "$f")
	[ -n "${ndir[$d]+x}" ] || { dirs+=("$d"); ndir[$d]=0; bad[$d]=; }
	ndir[$d]=$((ndir[$d] + 1))
	want=$(policy "$f")
	got=$(tag_of "$f")
	if [ -z "$got" ]; then
		bad[$d]+="$f: no SPDX-License-Identifier in its first 15 lines (policy: $want)"$'\n'
	elif [ "$got" != "$want" ]; then
		bad[$d]+="$f: '$got', the policy says '$want'"$'\n'
	fi
done <<<"$files"

n=0 failed=0
echo "TAP version 13"
echo "1..$(( ${#dirs[@]} + 1 ))"

# Every identifier the policy uses has its text in LICENSES/.
n=$((n + 1))
missing=
for id in GPL-2.0-only GPL-2.0-or-later MIT Linux-syscall-note; do
	grep -qsxE "(Valid-License|SPDX-Exception)-Identifier: $id" LICENSES/*/* ||
		missing+=" $id"
done
if [ -z "$missing" ]; then
	echo "ok $n - LICENSES/ holds the text of every licence the policy uses"
else
	failed=$((failed + 1))
	echo "not ok $n - LICENSES/ holds the text of every licence the policy uses"
	echo "# no text in LICENSES/ for:$missing"
fi

for d in "${dirs[@]}"; do
	n=$((n + 1))
	if [ -z "${bad[$d]}" ]; then
		echo "ok $n - $d: ${ndir[$d]} files tagged as the policy says"
		continue
	fi
	k=$(printf '%s' "${bad[$d]}" | grep -c .)
	failed=$((failed + 1))
	echo "not ok $n - $d: $k of ${ndir[$d]} files untagged or off policy"
	printf '%s' "${bad[$d]}" | sed 's/^/# /'
done
echo "# $nexempt files exempt (listed above), policy in LICENSE"
[ "$failed" -eq 0 ]
