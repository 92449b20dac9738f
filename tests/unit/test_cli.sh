#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
#
# test_cli.sh - bnn-run and bnn-smi agree on their short options (-J is
# --json in both; bnn-run's -j is --threads; bnn-smi's old -j still works
# with a deprecation note), and their bash completions
# (tools/completion/) match the programs: every long option of --help is
# completed and every completed option is one of --help that the program
# accepts, with a value exactly when the program wants one; models, sets,
# records and files complete sensibly; make install puts both files under
# $(PREFIX)/share/bash-completion/completions.  TAP, for tests/run-tap.sh.
#
#   tests/unit/test_cli.sh [BNN_RUN [BNN_SMI [BNN_MKMODEL]]]
#
# Defaults: build/tools/bnn-run, build/tools/bnn-smi, build/tests/bnn-mkmodel
# of the checkout.  No card is needed (bnn-smi lists none).
# ok and notok always succeed, so "A && ok || notok" is an if-then-else here.
# shellcheck disable=SC2015
set -u

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
RUN=${1:-$repo/build/tools/bnn-run}
SMI=${2:-$repo/build/tools/bnn-smi}
MK=${3:-$repo/build/tests/bnn-mkmodel}
case $RUN in /*) ;; *) RUN=$PWD/$RUN ;; esac
case $SMI in /*) ;; *) SMI=$PWD/$SMI ;; esac
case $MK in /*) ;; *) MK=$PWD/$MK ;; esac
COMP=$repo/tools/completion

tmp=$(mktemp -d "${TMPDIR:-/tmp}/test-cli.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1

n=0 bad=0
ok() { n=$((n + 1)); echo "ok $n - $1"; }
notok() {
	n=$((n + 1)) bad=$((bad + 1))
	echo "not ok $n - $1"
	shift
	printf '#   %s\n' "$@"
	return 0
}
echo "TAP version 13"
for p in "$RUN" "$SMI" "$MK"; do
	if [ ! -x "$p" ]; then
		echo "not ok 1 - $p not built"
		echo "1..1"
		exit 1
	fi
done

# ---- short options ------------------------------------------------------

"$RUN" --help >run.help
"$SMI" --help >smi.help
grep -qE '^ +-J, --json ' smi.help && grep -qE '^ +-J, --json ' run.help &&
	ok "both --help name -J as --json" || notok "both --help name -J as --json"
grep -qE '^ +-j, --threads N' run.help && ! grep -qE '^ +-j, ' smi.help &&
	ok "-j is --threads in bnn-run and no listed option of bnn-smi" ||
	notok "-j is --threads in bnn-run and no listed option of bnn-smi"

"$RUN" -j 2>err >/dev/null
grep -q "option '-j' needs a value" err &&
	ok "bnn-run -j wants a value (the thread count)" ||
	notok "bnn-run -j wants a value (the thread count)" "$(cat err)"

"$MK" --arch majority --length 8 --classes pos,neg maj.bnn >/dev/null || exit 1
/usr/bin/python3 - <<'EOF'
import random
random.seed(3)
with open("rows.csv", "w") as f:
    f.write("label," + ",".join("x%d" % i for i in range(8)) + "\n")
    for i in range(10):
        s = 1 if i % 2 == 0 else -1
        f.write("%d," % (0 if s > 0 else 1) +
                ",".join("%.3f" % (s * (0.5 + random.random())) for _ in range(8)) + "\n")
EOF
json_ok() { /usr/bin/python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$@"; }
"$RUN" -m maj.bnn -J -j 2 --backend cpu rows.csv >run.json 2>err
rc=$?
[ "$rc" -eq 0 ] && json_ok run.json 'd["metrics"]["items"] == 10 and d["backend"]["threads"] == 2' &&
	ok "bnn-run -J -j 2: a JSON report of a run on 2 threads" ||
	notok "bnn-run -J -j 2: a JSON report of a run on 2 threads" "exit $rc" "$(head -c 300 run.json)" "$(cat err)"
"$RUN" -m maj.bnn --json --threads 2 --backend cpu rows.csv >run2.json 2>/dev/null
python3 -c 'import json, sys
a, b = (json.load(open(f)) for f in sys.argv[1:])
for d in a, b:
    d.pop("command"); d.pop("performance"); d["data"].pop("sources", None)
sys.exit(a != b)' run.json run2.json &&
	ok "bnn-run -J -j 2 reports what --json --threads 2 does" ||
	notok "bnn-run -J -j 2 reports what --json --threads 2 does"

# --threads: auto by default (the cpu backend's pool where a batch pays)
"$RUN" -m maj.bnn -J --backend cpu rows.csv >auto.json 2>err
rc=$?
[ "$rc" -eq 0 ] && json_ok auto.json 'd["backend"]["threads"] == "auto" and d["metrics"]["items"] == 10' &&
	if [ "$(nproc)" -gt 1 ]; then
		json_ok auto.json '"up to" in d["backend"]["detail"]'
	else
		json_ok auto.json '"1 thread" in d["backend"]["detail"]'
	fi &&
	ok "bnn-run: --threads auto by default, the detail says what it came to" ||
	notok "bnn-run: --threads auto by default, the detail says what it came to" "exit $rc" "$(head -c 600 auto.json)" "$(cat err)"
"$RUN" -m maj.bnn -J -j auto --backend cpu rows.csv >auto2.json 2>/dev/null &&
	"$RUN" -m maj.bnn -J -j 1 --backend cpu rows.csv >one.json 2>/dev/null &&
	json_ok auto2.json 'd["backend"]["threads"] == "auto"' &&
	json_ok one.json 'd["backend"]["threads"] == 1 and d["backend"]["detail"].endswith(", 1 thread")' &&
	ok "bnn-run -j auto is the default; -j 1 is one thread" ||
	notok "bnn-run -j auto is the default; -j 1 is one thread" "$(head -c 600 one.json)"
"$RUN" -m maj.bnn -j many --backend cpu rows.csv >/dev/null 2>err
rc=$?
[ "$rc" -eq 2 ] && grep -q "threads wants auto or an integer in 0..1024, got 'many'" err &&
	ok "bnn-run -j many: a usage error naming auto" ||
	notok "bnn-run -j many: a usage error naming auto" "exit $rc" "$(cat err)"

# bnn-smi (no card here: list prints an empty list and exits 0)
"$SMI" --json >smi.json 2>err
rc=$?
[ "$rc" -eq 0 ] && json_ok smi.json '"cards" in d' && [ ! -s err ] &&
	ok "bnn-smi --json: valid JSON, nothing on stderr" ||
	notok "bnn-smi --json: valid JSON, nothing on stderr" "exit $rc" "$(cat smi.json err)"
for form in "-J" "list -J" "-J list"; do
	# shellcheck disable=SC2086
	"$SMI" $form >out 2>err
	rc=$?
	[ "$rc" -eq 0 ] && cmp -s out smi.json && [ ! -s err ] &&
		ok "bnn-smi $form: the same as --json" ||
		notok "bnn-smi $form: the same as --json" "exit $rc" "$(cat out err)"
done
for form in "-j" "list -j"; do
	# shellcheck disable=SC2086
	"$SMI" $form >out 2>err
	rc=$?
	[ "$rc" -eq 0 ] && cmp -s out smi.json &&
		grep -q "^bnn-smi: -j is deprecated: use -J or --json" err && [ "$(wc -l <err)" -eq 1 ] &&
		ok "bnn-smi $form (old spelling): the same output, one deprecation line on stderr" ||
		notok "bnn-smi $form (old spelling): the same output, one deprecation line on stderr" \
			"exit $rc" "$(cat out err)"
done
"$SMI" -j -j >out 2>err
[ "$(grep -c deprecated err)" -eq 1 ] && ok "bnn-smi -j -j: the note once" ||
	notok "bnn-smi -j -j: the note once" "$(cat err)"
"$SMI" list -V >out 2>err && grep -q '^bnn-smi (libbnn ' out &&
	ok "bnn-smi list -V: the version, as before the command" ||
	notok "bnn-smi list -V: the version, as before the command" "$(cat out err)"
"$SMI" -x >out 2>err
[ $? -eq 2 ] && ok "bnn-smi -x: usage error (exit 2)" || notok "bnn-smi -x: usage error (exit 2)" "$(cat err)"

# ---- completion against the programs ------------------------------------

# The long options a --help names, one a line, sorted.
help_longs() { grep -oE -- '--[a-z][a-z0-9-]*' "$1" | sort -u; }
# A completion file's variable, one word a line, sorted.
comp_var() { bash -c 'source "$1" && printf "%s\n" ${!2}' _ "$1" "$2" | sort -u; }

for prog in run smi; do
	help_longs "$prog.help" >"$prog.help.longs"
	comp_var "$COMP/bnn-$prog" "_bnn_${prog}_long" >"$prog.comp.longs"
	if [ "$(wc -l <"$prog.help.longs")" -gt 2 ] && cmp -s "$prog.help.longs" "$prog.comp.longs"; then
		ok "bnn-$prog: the completion's options are exactly those of --help ($(wc -l <"$prog.help.longs"))"
	else
		notok "bnn-$prog: the completion's options are exactly those of --help" \
			"< --help only, > completion only:" "$(diff "$prog.help.longs" "$prog.comp.longs")"
	fi
done

# Every option the completion offers is one bnn-run accepts, and it takes
# a value exactly when the completion says so ('needs a value' when the
# value is missing; --resample's method is optional, after '=' only).
comp_var "$COMP/bnn-run" _bnn_run_valued >run.valued
wrong=
while read -r o; do
	"$RUN" "$o" >out 2>err
	rc=$?
	if grep -q "unknown option" err; then
		wrong+=" $o(unknown)"
	elif grep -q "option '$o' needs a value" err; then
		grep -qx -- "$o" run.valued || wrong+=" $o(wants a value, completed as a flag)"
	else
		grep -qx -- "$o" run.valued && wrong+=" $o(a flag, completed as wanting a value)"
		case $o in --help | --version) [ "$rc" -eq 0 ] || wrong+=" $o(exit $rc)" ;; esac
	fi
done <run.comp.longs
[ -z "$wrong" ] && ok "bnn-run accepts every completed option, values where the completion expects them" ||
	notok "bnn-run accepts every completed option, values where the completion expects them" "$wrong"

# The short options with a value: as --help pairs them, each wants a value.
sed -nE 's/^ +(-[A-Za-z]), (--[a-z][a-z0-9-]*) [A-Z].*/\1:\2/p' run.help | sort >run.help.short
comp_var "$COMP/bnn-run" _bnn_run_short >run.comp.short
wrong=
while IFS=: read -r s _; do
	"$RUN" "$s" >/dev/null 2>err
	grep -q "option '$s' needs a value" err || wrong+=" $s"
done <run.comp.short
cmp -s run.help.short run.comp.short && [ -z "$wrong" ] &&
	ok "bnn-run: the completion's short options with a value are those of --help ($(tr '\n' ' ' <run.comp.short))" ||
	notok "bnn-run: the completion's short options with a value are those of --help" \
		"< --help, > completion:" "$(diff run.help.short run.comp.short)" "no value wanted:$wrong"

wrong=
while read -r o; do
	"$SMI" "$o" >out 2>err
	rc=$?
	[ "$rc" -eq 0 ] || wrong+=" $o(exit $rc: $(head -n1 err))"
done <smi.comp.longs
[ -z "$wrong" ] && ok "bnn-smi accepts every completed option" ||
	notok "bnn-smi accepts every completed option" "$wrong"
cmds=$(comp_var "$COMP/bnn-smi" _bnn_smi_cmds | tr '\n' ' ')
wrong=
for c in $cmds; do grep -qE "^  $c\b" smi.help || [ "$c" = help ] || wrong+=" $c"; done
"$SMI" nosuch 2>err >/dev/null
for c in $(grep -o '(list, [a-z, ]*)' err | tr -d '(),'); do
	[[ " $cmds " == *" $c "* ]] || wrong+=" $c(not completed)"
done
[ -z "$wrong" ] && ok "bnn-smi: the completed commands are those of --help and of the program ($cmds)" ||
	notok "bnn-smi: the completed commands are those of --help and of the program" "$wrong"

# ---- completion behaviour -------------------------------------------------

mkdir -p comp/sub comp/data
touch comp/a.bnn comp/b.bnn comp/notes.txt comp/rec.csv comp/data/100.hea comp/data/101.hea \
	comp/data/200.hea comp/data/100.dat
# complete PROG WORD...: the completions of the last WORD ('' for a new
# word), as bash would ask for them with '=' in COMP_WORDBREAKS, sorted,
# space-separated.
complete_words() {
	local prog=$1
	shift
	(cd comp && bash -c '
		source "$1"; shift
		fn=$1; shift
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		"$fn" "${COMP_WORDS[0]}" "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD-1]:-}"
		printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP/$prog" "_${prog//-/_}" "$prog" "$@" |
		sort | tr '\n' ' ' | sed 's/ $//')
}
# expect_comp DESC WANT PROG WORD...
expect_comp() {
	local d=$1 want=$2 got
	shift 2
	got=$(RBNN_DATA='' complete_words "$@")
	[ "$got" = "$want" ] && ok "completion: $d" || notok "completion: $d" "want: $want" "got:  $got"
}

expect_comp "--mo -> --model" "--model" bnn-run --mo
expect_comp "--res -> --resample and --resample=" "--resample --resample=" bnn-run --res
expect_comp "--model: .bnn files and folders" "a.bnn b.bnn data sub" bnn-run --model ''
expect_comp "-m: as --model" "a.bnn b.bnn data sub" bnn-run -m ''
expect_comp "-m a: a.bnn" "a.bnn" bnn-run -m a
expect_comp "--model=: as --model" "a.bnn b.bnn data sub" bnn-run --model =
expect_comp "--model=b: b.bnn" "b.bnn" bnn-run --model = b
expect_comp "--backend: the backends" "auto cpu emu rbnn" bnn-run -m a.bnn --backend ''
expect_comp "-b e: emu" "emu" bnn-run -b e
expect_comp "--cell-mode" "1t1r 2t2r" bnn-run --cell-mode ''
expect_comp "--resample=: the methods" "linear sinc" bnn-run --resample =
expect_comp "--format=e: edf" "edf" bnn-run --format = e
expect_comp "--units" "adc mv uv" bnn-run --units ''
expect_comp "--progress" "always auto never" bnn-run --progress ''
expect_comp "--beats" "annotations auto detect" bnn-run --beats ''
expect_comp "--stream-format" "csv float32 int16" bnn-run --stream-format ''
expect_comp "--cpu-isa" "auto avx2 avx512 portable" bnn-run --cpu-isa ''
expect_comp "--label-column" "auto first last none" bnn-run --label-column ''
expect_comp "--data: folders only" "data sub" bnn-run --data ''
expect_comp "--seed: a number, nothing offered" "" bnn-run --seed ''
expect_comp "-j: auto (or a number)" "auto" bnn-run -j ''
expect_comp "--threads a: auto" "auto" bnn-run --threads a
expect_comp "-j 4: a number, nothing offered" "" bnn-run -j 4
expect_comp "--predictions: '-' and files" "- a.bnn b.bnn data notes.txt rec.csv sub" bnn-run -p ''
expect_comp "an input: sets, files and folders" "ALL DS1 DS2 a.bnn b.bnn data notes.txt rec.csv sub" \
	bnn-run -m a.bnn ''
expect_comp "an input DS: the sets" "DS1 DS2" bnn-run -m a.bnn DS
expect_comp "an input d: the folder data" "data" bnn-run -m a.bnn d
expect_comp "an input with --data: its records" "100 101" bnn-run --data data -m a.bnn 10
expect_comp "an input with --data=DIR: its records" "200" bnn-run --data = data 2
expect_comp "after --resample (no '='): an input" "rec.csv" bnn-run --resample r
expect_comp "after a flag: an input" "notes.txt" bnn-run --json n
got=$(cd comp && RBNN_DATA=$tmp/comp/rb bash -c 'mkdir -p rb/mitdb && touch rb/mitdb/233.hea
	source "$1"; COMP_WORDS=(bnn-run -m a.bnn 23); COMP_CWORD=3; _bnn_run; printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP/bnn-run")
[ "$got" = 233 ] && ok "completion: records of \$RBNN_DATA/mitdb without --data" ||
	notok "completion: records of \$RBNN_DATA/mitdb without --data" "got: $got"
mkdir -p "comp/with space"
touch "comp/with space/m.bnn"
got=$(cd comp && bash -c 'source "$1"; COMP_WORDS=(bnn-run -m "with space/"); COMP_CWORD=2; _bnn_run
	printf "%s\n" "${COMPREPLY[@]}"' _ "$COMP/bnn-run")
[ "$got" = "with space/m.bnn" ] && ok "completion: a folder name with a space" ||
	notok "completion: a folder name with a space" "got: $got"

expect_comp "bnn-smi: the commands" "health help info list reset scrub tiles" bnn-smi ''
expect_comp "bnn-smi he: health help" "health help" bnn-smi he
expect_comp "bnn-smi -: the long options" "--help --json --version" bnn-smi -
expect_comp "bnn-smi --json h: commands after an option" "health help" bnn-smi --json h
expect_comp "bnn-smi health --j: options after the command" "--json" bnn-smi health --j
expect_comp "bnn-smi list: no CARD" "" bnn-smi list ''
expect_comp "bnn-smi reset accel0: one CARD only" "" bnn-smi reset accel0 ''

# ---- make install ---------------------------------------------------------

inst=$(make -C "$repo" -n install-bnn-run install-bnn-smi PREFIX=/usr DESTDIR=/x 2>/dev/null)
if grep -q "tools/completion/bnn-run /x/usr/share/bash-completion/completions" <<<"$inst" &&
	grep -q "tools/completion/bnn-smi /x/usr/share/bash-completion/completions" <<<"$inst"; then
	ok "make install puts both completions under PREFIX/share/bash-completion/completions"
else
	notok "make install puts both completions under PREFIX/share/bash-completion/completions" \
		"$(grep -i complet <<<"$inst")"
fi

echo "1..$n"
[ "$bad" -eq 0 ]
