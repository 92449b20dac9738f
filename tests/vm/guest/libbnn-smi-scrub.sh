#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash: POSIX sh plus local
# Guest test: bit errors seen by scrub, end to end (card REFRESH margin
# reads -> driver counters and debugfs scrub -> libbnn -> bnn-smi). Two
# cards with the error model on (2T2R, default 100 uA) get the same network
# programmed with program-and-verify by libbnn's rbnn backend; card 0 is
# then aged one year (debugfs age_advance_s, x-debug=on). bnn-smi reports no
# bit errors before any scrub; `bnn-smi scrub` finds none on the fresh card
# and a few hundred weak cells on the aged one (model: ~0.2 % of the
# programmed cells), and a second scrub of the aged card finds (almost)
# none: the first restored the margins. health, tiles and their JSON show
# the same counts; scrub needs root; usage errors. Prints KTAP; exits 1 on
# failure.
#
# vm-qemu: -device rbnn,id=rbnn0,x-debug=on,seed=41 -device rbnn,id=rbnn1,x-debug=on,seed=41
# vm-ko: kernel/rbnn.ko
# vm-bin: build/tools/bnn-smi
# vm-bin: build/vm/libbnn_rbnn_test
# vm-timeout: 150
# vm-file: tests/vm/guest-lib/ktap.sh
set -u

SMI=/bin/bnn-smi
HELP=/bin/libbnn_rbnn_test
# shellcheck source-path=SCRIPTDIR source=../guest-lib/ktap.sh
. /tests/vm/guest-lib/ktap.sh
diag() { echo "# $*"; }
show() { sed 's/^/#   /' "$1"; } # FILE as diagnostics

smi() { # bnn-smi ARGS: output in /tmp/out, stderr in /tmp/err, status in $rc
	"$SMI" "$@" >/tmp/out 2>/tmp/err
	rc=$?
}
json_ok() { "$HELP" json /tmp/out 2>>/tmp/err; }
has() { grep -q -- "$1" /tmp/out; }
# The number after "scrub" in bnn-smi health's text.
health_count() { sed -n 's/^  scrub  *\([0-9][0-9]*\) bit errors seen.*/\1/p' /tmp/out; }
# The total of bnn-smi scrub's text.
scrub_total() { sed -n 's/^total: \([0-9][0-9]*\) bit errors seen.*/\1/p' /tmp/out; }
# The sum of the SCRUB ERR column of bnn-smi tiles.
tiles_sum() { awk '$1 ~ /^[0-9]+$/ { s += $NF } END { print s + 0 }' /tmp/out; }

echo "KTAP version 1"
echo "1..13"

wait_node /dev/accel/accel1
bdf0=$(basename "$(readlink /sys/class/accel/accel0/device)")

smi health
show /tmp/out
[ "$rc" -eq 0 ] && [ "$(grep -c '^  scrub  *0 bit errors seen since power-on' /tmp/out)" -eq 2 ]
result $? "bnn-smi health: no bit errors seen by scrub on two new cards"

"$HELP" program accel0 7 >/tmp/out 2>/tmp/err && "$HELP" program accel1 7 >>/tmp/out 2>>/tmp/err
r=$?
show /tmp/out
show /tmp/err
[ "$r" -eq 0 ]
result $? "the same network programmed with verify on both cards (libbnn rbnn backend)"

if echo $((365 * 24 * 3600)) >"/sys/kernel/debug/accel/$bdf0/age_advance_s"; then r=0; else r=1; fi
result "$r" "card 0 aged one year (debugfs age_advance_s)"

smi scrub accel1
show /tmp/out
fresh=$(scrub_total)
[ "$rc" -eq 0 ] && [ "$fresh" = 0 ] && has "scrubbed 16 tiles"
result $? "bnn-smi scrub of the fresh card: 0 bit errors (every cell verified)"

smi scrub accel0
show /tmp/out
aged=$(scrub_total)
diag "aged card: ${aged:-?} bit errors seen by the scrub"
[ "$rc" -eq 0 ] && [ "${aged:-0}" -gt 50 ] && [ "$aged" -lt 5000 ]
result $? "bnn-smi scrub of the aged card: weak cells found (${aged:-?})"

smi --json scrub accel0
show /tmp/out
again=$(sed -n 's/.*"scrub": {"bit_errors": \([0-9][0-9]*\),.*/\1/p' /tmp/out | head -n 1)
json_ok && [ "$rc" -eq 0 ] && [ "${again:-99}" -le 2 ] &&
	[ "$(grep -o '"tile":' /tmp/out | wc -l)" -eq 16 ]
result $? "bnn-smi --json scrub again: valid JSON, ${again:-?} bit errors (margins restored)"

smi health accel0
show /tmp/out
[ "$rc" -eq 0 ] && [ "$(health_count)" = "$((aged + again))" ]
result $? "bnn-smi health accel0: the card counts both scrubs ($((aged + again)))"
smi health accel1
[ "$rc" -eq 0 ] && [ "$(health_count)" = 0 ]
result $? "bnn-smi health accel1: still 0"

smi --json health accel0
json_ok && has "\"scrub_bit_errors\": $((aged + again))"
result $? "bnn-smi --json health: scrub_bit_errors $((aged + again))"

smi tiles accel0
show /tmp/out
[ "$rc" -eq 0 ] && has "SCRUB ERR" && [ "$(tiles_sum)" = "$((aged + again))" ]
result $? "bnn-smi tiles: the tiles' scrub counts add up"

"$HELP" as-nobody "$SMI" health accel0 >/tmp/out 2>/tmp/err
rc=$?
[ "$rc" -eq 0 ] && has "from sysfs only" && [ "$(health_count)" = "$((aged + again))" ]
result $? "as nobody: health shows the count from sysfs"
"$HELP" as-nobody "$SMI" scrub accel0 >/tmp/out 2>/tmp/err
rc=$?
show /tmp/err
[ "$rc" -eq 1 ] && grep -q "needs root" /tmp/err
result $? "as nobody: scrub refused (exit 1, needs root)"

smi scrub
r1=$rc
smi scrub accel0 accel1
r2=$rc
smi scrub accel9
r3=$rc
[ "$r1" -eq 2 ] && [ "$r2" -eq 2 ] && [ "$r3" -eq 3 ]
result $? "scrub without a card or with two exits 2, an unknown card exits 3"

echo "# Totals: pass:$npass fail:$nfail xfail:0 xpass:0 skip:0 error:0"
[ "$nfail" -eq 0 ]
