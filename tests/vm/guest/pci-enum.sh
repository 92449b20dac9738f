#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash: POSIX sh plus local
# Guest test (busybox sh, run by the VM tier's /init): the guest kernel
# enumerates every RBNN card on the PCI bus, with no driver loaded.
# Checks per card: vendor/device IDs, class code, BAR0 is a 4 KiB memory BAR
# with an address assigned, and the capability list (walked in the config
# space) has MSI-X with the expected table size, its table and PBA in an
# assigned BAR. Prints KTAP; exits 1 if anything failed.
#
# vm-qemu: -device rbnn -device rbnn
# vm-env: EXPECT_COUNT=2
# vm-timeout: 60
#
# The expectations can be overridden (e.g. to try the plumbing with a stock
# device): EXPECT_VENDOR EXPECT_DEVICE EXPECT_CLASS EXPECT_COUNT EXPECT_BAR
# EXPECT_BAR_SIZE EXPECT_MSIX_SIZE EXPECT_MSIX_BAR (and PCI_SYSFS, the devices dir).
# vm-file: tests/vm/guest-lib/ktap.sh
set -u

V=${EXPECT_VENDOR:-0x1af4}
D=${EXPECT_DEVICE:-0x10f0}
C=${EXPECT_CLASS:-0x120000}
N=${EXPECT_COUNT:-2}
BAR=${EXPECT_BAR:-0}
BAR_SIZE=${EXPECT_BAR_SIZE:-4096}
MSIX_SIZE=${EXPECT_MSIX_SIZE:-2}
MSIX_BAR=${EXPECT_MSIX_BAR:-2}
PER_CARD=3
PCI_CAP_ID_MSIX=17
IORESOURCE_MEM=512

# shellcheck source-path=SCRIPTDIR source=../guest-lib/ktap.sh
. /tests/vm/guest-lib/ktap.sh
diag() { echo "# $*"; }

# Little-endian reads from a config space file (x86 is little-endian too).
cfg() { # FILE OFFSET BYTES -> unsigned decimal
	od -An -tu"$3" -j "$2" -N"$3" "$1" | tr -d ' \n'
}

# "START END" of BAR i from the sysfs resource file, in decimal; 0 0 if none.
bar_range() { # DEVDIR INDEX
	sed -n "$(($2 + 1))p" "$1/resource" | {
		read -r start end flags
		echo "$((start)) $((end)) $((flags))"
	}
}

# Offset of capability ID in the standard list, or 0.
find_cap() { # CONFIG-FILE CAP-ID
	local f=$1 want=$2 ptr n=0
	[ $(($(cfg "$f" 6 2) & 0x10)) -ne 0 ] || { echo 0; return; }
	ptr=$(($(cfg "$f" 52 1) & 0xfc))
	while [ "$ptr" -ge 64 ] && [ "$n" -lt 48 ]; do
		if [ "$(cfg "$f" "$ptr" 1)" -eq "$want" ]; then
			echo "$ptr"
			return
		fi
		ptr=$(($(cfg "$f" $((ptr + 1)) 1) & 0xfc))
		n=$((n + 1))
	done
	echo 0
}

caps_list() { # CONFIG-FILE -> "id@off ..." for the diagnostics
	local f=$1 ptr n=0 out=""
	[ $(($(cfg "$f" 6 2) & 0x10)) -ne 0 ] || { echo none; return; }
	ptr=$(($(cfg "$f" 52 1) & 0xfc))
	while [ "$ptr" -ge 64 ] && [ "$n" -lt 48 ]; do
		out="$out $(printf '0x%02x@0x%02x' "$(cfg "$f" "$ptr" 1)" "$ptr")"
		ptr=$(($(cfg "$f" $((ptr + 1)) 1) & 0xfc))
		n=$((n + 1))
	done
	echo "${out# }"
}

check_card() { # DEVDIR
	local d=$1 bdf=${1##*/} class start end flags size cap ctrl table pba tbir pbir
	class=$(cat "$d/class")
	[ "$((class))" -eq "$((C))" ]
	result $? "$bdf class $class (want $C)"

	# shellcheck disable=SC2046 # split "START END FLAGS"
	set -- $(bar_range "$d" "$BAR")
	start=$1 end=$2 flags=$3 size=0
	[ "$end" -gt 0 ] && size=$((end - start + 1))
	diag "$bdf BAR$BAR start=$(printf 0x%x "$start") size=$size flags=$(printf 0x%x "$flags")"
	[ "$start" -ne 0 ] && [ "$size" -eq "$BAR_SIZE" ] &&
		[ $((flags & IORESOURCE_MEM)) -ne 0 ]
	result $? "$bdf BAR$BAR is a $BAR_SIZE-byte memory BAR with an address"

	diag "$bdf capabilities: $(caps_list "$d/config")"
	cap=$(find_cap "$d/config" $PCI_CAP_ID_MSIX)
	if [ "$cap" -eq 0 ]; then
		diag "$bdf has no MSI-X capability"
		result 1 "$bdf MSI-X capability with $MSIX_SIZE vectors"
		return
	fi
	ctrl=$(cfg "$d/config" $((cap + 2)) 2)
	table=$(cfg "$d/config" $((cap + 4)) 4)
	pba=$(cfg "$d/config" $((cap + 8)) 4)
	tbir=$((table & 7)) pbir=$((pba & 7))
	diag "$bdf MSI-X at $(printf 0x%02x "$cap"): table size $(((ctrl & 0x7ff) + 1)), table BAR$tbir+$(printf 0x%x $((table & ~7))), PBA BAR$pbir+$(printf 0x%x $((pba & ~7)))"
	# shellcheck disable=SC2046 # split "START END FLAGS"
	set -- $(bar_range "$d" "$tbir")
	[ $(((ctrl & 0x7ff) + 1)) -eq "$MSIX_SIZE" ] && [ "$tbir" -eq "$MSIX_BAR" ] &&
		[ "$pbir" -eq "$MSIX_BAR" ] && [ "$1" -ne 0 ]
	result $? "$bdf MSI-X capability with $MSIX_SIZE vectors, table and PBA in BAR$MSIX_BAR"
}

cards=""
for d in "${PCI_SYSFS:-/sys/bus/pci/devices}"/*; do
	[ "$(cat "$d/vendor")" = "$V" ] && [ "$(cat "$d/device")" = "$D" ] &&
		cards="$cards $d"
done
found=$(echo "$cards" | wc -w)

echo "KTAP version 1"
echo "1..$((1 + N * PER_CARD))"
diag "looking for $N cards $V:$D"
[ "$found" -eq "$N" ]
result $? "enumerated $found cards $V:$D (want $N)"
i=0
for d in $cards; do
	[ "$i" -lt "$N" ] || break
	check_card "$d"
	i=$((i + 1))
done
while [ "$i" -lt "$N" ]; do
	j=0
	while [ "$j" -lt "$PER_CARD" ]; do
		result 1 "card $i check $j (card missing)"
		j=$((j + 1))
	done
	i=$((i + 1))
done
echo "# Totals: pass:$npass fail:$nfail xfail:0 xpass:0 skip:0 error:0"
[ "$nfail" -eq 0 ]
