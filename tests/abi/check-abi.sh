#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# libbnn's ABI as shipped (TAP), on a `make install-libbnn` into ROOT
# (PREFIX=/usr):
#   - the installed headers compile on their own (C and C++);
#   - libbnn.so exports exactly the functions those headers declare, as
#     libbnn/libbnn.map lists them, and nothing else (no test hook);
#   - SONAME libbnn.so.0, symbol version LIBBNN_0;
#   - a static link through `pkg-config --static` keeps the card backend
#     (and one without the .pc file's -u flag drops it: the check can fail);
#   - every bnn_*() function the documentation names exists;
#   - the section 3 pages are current and cover every exported function.
#
#   tests/abi/check-abi.sh ROOT
# ok and notok always succeed, so "A && ok || notok" is an if-then-else here.
# shellcheck disable=SC2015
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
root=$(cd "$1" && pwd)
inc=$root/usr/include lib=$root/usr/lib
tmp=$(mktemp -d "${TMPDIR:-/tmp}/check-abi.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
CC=${CC:-gcc}

n=0 bad=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() { n=$((n + 1)); bad=$((bad + 1)); echo "not ok $n - $1"; shift; printf '# %s\n' "$@"; }

echo "TAP version 13"

# Function names declared by the installed headers (preprocessed, so
# comments and macros do not count).
for h in bnn.h bnn_error.h bnn_device.h bnn_data.h; do
	if [ ! -f "$inc/$h" ]; then
		notok "$h installed" "missing: $inc/$h"
		continue
	fi
	printf '#include <%s>\nint main(void) { return 0; }\n' "$h" >"$tmp/h.c"
	if out=$($CC -std=gnu11 -Wall -Wextra -Werror -I"$inc" -c "$tmp/h.c" -o "$tmp/h.o" 2>&1) &&
		out=$(g++ -Wall -Wextra -Werror -I"$inc" -x c++ -c "$tmp/h.c" -o "$tmp/h.o" 2>&1); then
		ok "$h installed, compiles on its own (C and C++)"
	else
		notok "$h installed, compiles on its own (C and C++)" "$out"
	fi
done
if grep -qE 'NOT-INSTALLED|BNN_DATA_INTERNAL|bnn_test_|bnn__' "$inc"/bnn*.h; then
	notok "installed headers: no test hook, no internal helpers" \
		"$(grep -nE 'NOT-INSTALLED|BNN_DATA_INTERNAL|bnn_test_|bnn__' "$inc"/bnn*.h | head -n 5)"
else
	ok "installed headers: no test hook, no internal helpers"
fi

printf '#include <bnn.h>\n#include <bnn_device.h>\n#include <bnn_data.h>\n' |
	$CC -E -P -I"$inc" -x c - 2>/dev/null |
	grep -oE '\bbnn_[a-z0-9_]+[[:space:]]*\(' | sed 's/[[:space:]]*($//' | sort -u >"$tmp/hdr"
sed -n 's/^[[:space:]]*\(bnn_[a-z0-9_]*\);.*/\1/p' "$repo/libbnn/libbnn.map" | sort >"$tmp/map"
nm -D --defined-only "$lib/libbnn.so" >"$tmp/nm.all"
awk '$2 ~ /^[TtWwiDdBbRr]$/ {print $3}' "$tmp/nm.all" | sed 's/@.*//' | sort >"$tmp/nm"
nh=$(wc -l <"$tmp/hdr") nn=$(wc -l <"$tmp/nm")

if [ "$nh" -gt 100 ] && cmp -s "$tmp/hdr" "$tmp/map"; then
	ok "libbnn.map lists exactly the $nh functions of the installed headers"
else
	notok "libbnn.map lists exactly the functions of the installed headers" \
		"headers $nh; < headers only, > map only:" "$(diff "$tmp/hdr" "$tmp/map")"
fi
if cmp -s "$tmp/hdr" "$tmp/nm"; then
	ok "nm -D --defined-only libbnn.so: exactly those $nn functions"
else
	notok "nm -D --defined-only libbnn.so: exactly those functions" \
		"exported $nn; < headers only, > exported only:" "$(diff "$tmp/hdr" "$tmp/nm")"
fi
other=$(awk '$2 !~ /^[TtWwiDdBbRr]$/ && !($2 == "A" && $3 ~ /^LIBBNN_0/)' "$tmp/nm.all")
[ -z "$other" ] && ok "no other dynamic symbol than the version node LIBBNN_0" ||
	notok "no other dynamic symbol than the version node LIBBNN_0" "$other"
unver=$(grep -vE '@@LIBBNN_0$|^ *[0-9a-f]* A LIBBNN_0' "$tmp/nm.all" || true)
[ -z "$unver" ] && ok "every export has the symbol version LIBBNN_0" ||
	notok "every export has the symbol version LIBBNN_0" "$unver"
if nm "$lib/libbnn.a" 2>/dev/null | grep -q ' T bnn_test_' ||
	grep -q bnn_test_ "$tmp/nm.all"; then
	notok "no test hook (bnn_test_*) in libbnn.so or libbnn.a" \
		"$(nm "$lib/libbnn.a" | grep bnn_test_)"
else
	ok "no test hook (bnn_test_*) in libbnn.so or libbnn.a"
fi
son=$(readelf -d "$lib/libbnn.so" | sed -n 's/.*(SONAME).*\[\(.*\)\]/\1/p')
[ "$son" = libbnn.so.0 ] && [ "$(readlink "$lib/libbnn.so.0")" = libbnn.so.0.1.0 ] &&
	ok "SONAME libbnn.so.0, file libbnn.so.0.1.0" ||
	notok "SONAME libbnn.so.0, file libbnn.so.0.1.0" "SONAME '$son'" "$(ls -l "$lib"/libbnn.so*)"

# Static link: a root with the static library only (as a program that
# must not depend on libbnn.so is built), through pkg-config --static.
srt=$tmp/static-root
cp -a "$root" "$srt"
rm -f "$srt"/usr/lib/libbnn.so*
pc() {
	PKG_CONFIG_SYSROOT_DIR=$1 PKG_CONFIG_LIBDIR=$1/usr/lib/pkgconfig:/usr/lib/x86_64-linux-gnu/pkgconfig:/usr/share/pkgconfig \
		pkg-config "${@:2}" libbnn
}
# shellcheck disable=SC2046
if out=$($CC -std=gnu11 -Wall -Werror "$here/static_card.c" $(pc "$srt" --cflags) \
	$(pc "$srt" --static --libs) -o "$tmp/static_card" 2>&1); then
	if ldd "$tmp/static_card" | grep -q libbnn; then
		notok "static link through pkg-config --static" "linked libbnn.so: $(ldd "$tmp/static_card")"
	else
		ok "static link through pkg-config --static ($(pc "$srt" --static --libs | tr -s ' '))"
	fi
	out=$("$tmp/static_card" 2>&1)
	rc=$?
	if [ "$rc" -eq 0 ] && nm "$tmp/static_card" | grep -q ' bnn__backend_rbnn_ops$'; then
		ok "the statically linked program has the card backend ($out)"
	else
		notok "the statically linked program has the card backend" "exit $rc: $out"
	fi
else
	notok "static link through pkg-config --static" "$out"
	notok "the statically linked program has the card backend" "not linked"
fi
# The same .pc file without its -u flag (as before): the check must see
# the card backend go.
sed -i 's/ -Wl,-u,bnn__backend_rbnn_ops//' "$srt/usr/lib/pkgconfig/libbnn.pc"
# shellcheck disable=SC2046
if $CC -std=gnu11 "$here/static_card.c" $(pc "$srt" --cflags) $(pc "$srt" --static --libs) \
	-o "$tmp/static_nou" 2>/dev/null; then
	out=$("$tmp/static_nou" 2>&1)
	rc=$?
	[ "$rc" -eq 1 ] && ok "without the -u flag the card backend is dropped, and the check sees it ($out)" ||
		notok "without the -u flag the card backend is dropped, and the check sees it" "exit $rc: $out"
else
	notok "without the -u flag the card backend is dropped, and the check sees it" "link failed"
fi
# Shared link through pkg-config (the usual way).
# shellcheck disable=SC2046
if $CC -std=gnu11 "$here/static_card.c" $(pc "$root" --cflags) $(pc "$root" --libs) \
	-o "$tmp/shared_card" 2>"$tmp/err" &&
	out=$(LD_LIBRARY_PATH=$lib "$tmp/shared_card" 2>&1); then
	ok "shared link through pkg-config: the card backend is there ($out)"
else
	notok "shared link through pkg-config: the card backend is there" "$(cat "$tmp/err")" "${out:-}"
fi

# Documentation: every bnn_name( or bnn_name() it mentions is a function
# of the installed headers.
docs=("$repo"/README.md "$repo"/Documentation/*.md "$repo"/Documentation/*.rst
	"$repo"/Documentation/*.[1-9] "$repo"/models/README.md "$repo"/tools/train/README.md
	"$repo"/python/README.md)
missing=
for f in "${docs[@]}"; do
	[ -f "$f" ] || continue
	for fn in $(grep -oE '\bbnn_[a-z0-9_]+(\\f[RBIP])?\(' "$f" | sed -E 's/(\\f[RBIP])?\($//' | sort -u); do
		grep -qx "$fn" "$tmp/hdr" || missing+=" ${f#"$repo"/}:$fn"
	done
done
nd=$(cat "${docs[@]}" 2>/dev/null | grep -oE '\bbnn_[a-z0-9_]+(\\f[RBIP])?\(' | sort -u | wc -l)
[ -z "$missing" ] && [ "$nd" -gt 5 ] && ok "the $nd bnn_*() functions the documentation names all exist" ||
	notok "every bnn_*() function the documentation names exists" "missing:$missing" "named: $nd"
# Man pages of ours (bnn*, rbnn*) the man pages refer to: NAME(N) must be
# a page we ship (other tools' pages, bxb(1), are theirs).
pages=$(grep -ohE '\\fB[a-z_-]+\\f[RP]\([0-9]\)|\.BR [a-z_-]+ \([0-9]\)' "$repo"/Documentation/*.[1-9] |
	sed -E 's/\\fB([a-z_-]+)\\f[RP]\(([0-9])\)/\1.\2/; s/\.BR ([a-z_-]+) \(([0-9])\)/\1.\2/' |
	grep -E '^r?bnn' | sort -u)
nopage=
for p in $pages; do [ -f "$repo/Documentation/$p" ] || nopage+=" $p"; done
[ -z "$nopage" ] && ok "every man page the man pages refer to exists ($(echo $pages))" ||
	notok "every man page the man pages refer to exists" "missing:$nopage"

# Section 3 man pages: current (generated from the headers), clean for
# groff, one page (or link page) per exported function.
out=$(/usr/bin/python3 "$repo/scripts/gen-man3.py" --check "$repo/Documentation/man3" 2>&1) &&
	ok "Documentation/man3 is what scripts/gen-man3.py makes of the headers" ||
	notok "Documentation/man3 is what scripts/gen-man3.py makes of the headers" "$out"
man3=$root/usr/share/man/man3 warn=
for p in "$man3"/bnn.3 "$man3"/bnn_error.3 "$man3"/bnn_device.3 "$man3"/bnn_data.3; do
	[ -f "$p" ] || { warn+=" missing: $p"; continue; }
	w=$(groff -man -ww -z "$p" 2>&1) || warn+=" $p: groff failed"
	[ -z "$w" ] || warn+=" $(basename "$p"): $w"
done
[ -z "$warn" ] && ok "bnn(3), bnn_error(3), bnn_device(3), bnn_data(3) installed, no groff warning" ||
	notok "bnn(3), bnn_error(3), bnn_device(3), bnn_data(3) installed, no groff warning" "$warn"
nopage=
while read -r fn; do
	p=$man3/$fn.3
	if [ ! -f "$p" ]; then
		nopage+=" $fn"
	elif t=$(sed -n 's/^\.so man3\///p' "$p") && [ -n "$t" ] && [ ! -f "$man3/$t" ]; then
		nopage+=" $fn(->$t)"
	fi
done <"$tmp/nm"
[ -z "$nopage" ] && ok "a man page for each of the $nn exported functions" ||
	notok "a man page for each exported function" "none for:$nopage"

echo "1..$n"
[ "$bad" -eq 0 ]
