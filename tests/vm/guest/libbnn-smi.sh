#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash: POSIX sh plus local
# Guest test: bnn-smi, the card management tool, on two cards: list, info,
# health, tiles in text and JSON (the JSON checked by a strict parser),
# a process holding a card shows up in health, a reset as root, the sysfs
# fallback and the refusals for an unprivileged user, usage errors and
# exit statuses. Prints KTAP; exits 1 on failure.
#
# vm-qemu: -device rbnn,id=rbnn0,error-model=off -device rbnn,id=rbnn1,error-model=off,x-debug=on,seed=2
# vm-ko: kernel/rbnn.ko
# vm-bin: build/tools/bnn-smi
# vm-bin: build/vm/libbnn_rbnn_test
# vm-timeout: 120
# vm-file: tests/vm/guest-lib/ktap.sh
set -u

SMI=/bin/bnn-smi
HELP=/bin/libbnn_rbnn_test
# shellcheck source-path=SCRIPTDIR source=../guest-lib/ktap.sh
. /tests/vm/guest-lib/ktap.sh
diag() { echo "# $*"; }
show() { sed 's/^/#   /' "$1"; } # FILE as diagnostics

# Run bnn-smi ARGS: output in /tmp/out, stderr in /tmp/err, status in $rc.
smi() {
	"$SMI" "$@" >/tmp/out 2>/tmp/err
	rc=$?
}
json_ok() { "$HELP" json /tmp/out 2>>/tmp/err; }
has() { grep -q -- "$1" /tmp/out; }

echo "KTAP version 1"
echo "1..18"

wait_node /dev/accel/accel1

smi
show /tmp/out
n=$(grep -c '^[0-9].*/dev/accel/accel[0-9].*rbnn' /tmp/out)
[ "$rc" -eq 0 ] && [ "$n" -eq 2 ] && has 16x256x256
result $? "bnn-smi lists two cards (node, PCI address, driver, geometry)"

smi --json
show /tmp/out
json_ok && [ "$(grep -o '"node"' /tmp/out | wc -l)" -eq 2 ] && has '"driver": "rbnn"'
result $? "bnn-smi --json: valid JSON, two cards"

smi info
show /tmp/out
[ "$rc" -eq 0 ] && has "geometry *16 tiles x 256 rows x 256 columns" &&
	has "device model *error model off" && has "DEBUG"
result $? "bnn-smi info: identity, capabilities, limits, device model"

smi info --json accel1
json_ok && has '"error_model": 0' && has 'DEBUG' && has '"seed": 2' && has '"timing": 0'
result $? "bnn-smi info --json accel1: valid JSON, seed and timing from debugfs sim/ (root)"

smi health
show /tmp/out
[ "$rc" -eq 0 ] && has "tiles *0 used, 16 free" && has "wear histogram" &&
	has "recovery" && has "energy" && has "processes *none"
result $? "bnn-smi health: tiles, wear, cells, recovery, energy, jobs, processes"

# A process holding the card (this shell, through fd 3).
exec 3<>/dev/accel/accel0
smi health accel0
show /tmp/out
has "processes *PID" && grep -q "^ *$$ *sh " /tmp/out
result $? "bnn-smi health: the shell holding accel0 (pid $$) is listed"
smi --json health /dev/accel/accel0
json_ok && has "\"pid\": $$" && has '"source": "driver"' && has '"histogram"'
result $? "bnn-smi --json health: valid JSON with the process and the histogram"
exec 3<&-

smi tiles accel0
[ "$rc" -eq 0 ] && [ "$(grep -c '^ *[0-9]* free' /tmp/out)" -eq 16 ]
result $? "bnn-smi tiles accel0: 16 free tiles"
smi --json tiles 1
json_ok && [ "$(grep -o '"tile"' /tmp/out | wc -l)" -eq 16 ]
result $? "bnn-smi --json tiles 1: valid JSON, 16 tiles"

r0=$(cat /sys/class/accel/accel1/device/recoveries)
smi reset accel1
show /tmp/out
r1=$(cat /sys/class/accel/accel1/device/recoveries)
[ "$rc" -eq 0 ] && [ "$r1" -eq $((r0 + 1)) ] && has "reset done"
result $? "bnn-smi reset accel1 as root: recoveries $r0 -> $r1"
smi --json reset /dev/accel/accel1
json_ok && has '"reset": true'
result $? "bnn-smi --json reset: valid JSON"

# An unprivileged user: sysfs only, and no reset.
"$HELP" as-nobody "$SMI" >/tmp/out 2>/tmp/err
rc=$?
show /tmp/out
[ "$rc" -eq 0 ] && [ "$(grep -c '^[0-9].*/dev/accel/accel[0-9].*rbnn.*16x256x256' /tmp/out)" -eq 2 ] &&
	has "HW ?: .*permission denied.*render"
result $? "as nobody: list still shows both cards (geometry from sysfs) and why the rest is missing"
"$HELP" as-nobody "$SMI" health accel0 >/tmp/out 2>/tmp/err
rc=$?
show /tmp/out
[ "$rc" -eq 0 ] && has "from sysfs only" && has "render" && has "tiles *0 used, 16 free"
result $? "as nobody: health falls back to sysfs and names the render group"
"$HELP" as-nobody "$SMI" --json health accel0 >/tmp/out 2>/tmp/err
json_ok && has '"source": "sysfs"'
result $? "as nobody: health --json says source sysfs"
"$HELP" as-nobody "$SMI" reset accel0 >/tmp/out 2>/tmp/err
rc=$?
show /tmp/err
[ "$rc" -eq 1 ] && grep -q "needs root" /tmp/err
result $? "as nobody: reset refused (exit 1, needs root)"

smi frob
r1=$rc
smi reset
r2=$rc
smi health accel9
r3=$rc
show /tmp/err
[ "$r1" -eq 2 ] && [ "$r2" -eq 2 ] && [ "$r3" -eq 3 ] && grep -q "no RBNN card 'accel9'" /tmp/err
result $? "usage errors exit 2, an unknown card exits 3 and lists the cards"
smi --json health accel9
json_ok && has '"error"' && [ "$rc" -eq 3 ]
result $? "errors in --json mode are a JSON object too"
smi --help
[ "$rc" -eq 0 ] && has "^Usage: bnn-smi" && has "Exit status"
result $? "bnn-smi --help"

echo "# Totals: pass:$npass fail:$nfail xfail:0 xpass:0 skip:$nskip error:0"
[ "$nfail" -eq 0 ]
