#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# The checks of make test-deb, run by packaging/test-deb.sh as root inside
# the clean Debian 12 root (not meant to run elsewhere: it installs
# packages). Prints "ok - ..." / "not ok - ..." lines; test-deb.sh numbers
# them.
#
#   test-deb-root.sh VERSION KVER KHEADERS
#
# /tmp/debs holds the four packages, /tmp/mitdb one MIT-BIH record (100).
set -euo pipefail

version=$1 kver=$2 kheaders=$3
failed=0
check() { # DESCRIPTION CMD...: one test, the output as comments
	local d=$1 out
	shift
	if out=$("$@" 2>&1); then echo "ok - $d"; else echo "not ok - $d"; failed=1; fi
	[ -z "$out" ] || printf '%s\n' "$out" | tail -n 12 | sed 's/^/# /'
}
has() { # FILE...: every file exists
	local f
	for f in "$@"; do [ -e "$f" ] || { echo "missing: $f"; return 1; }; done
}

check "dpkg -i libbnn0 libbnn-dev bnn-tools rbnn-dkms (maintainer scripts run)" \
	dpkg -i /tmp/debs/*.deb
check "the packages are installed and configured" \
	sh -c 'dpkg-query -W -f="\${Package} \${Status}\n" libbnn0 libbnn-dev bnn-tools rbnn-dkms |
		tee /dev/stderr | grep -vc "install ok installed" | grep -qx 0'
check "rbnn-dkms's postinst added rbnn/$version to DKMS" \
	sh -c "dkms status rbnn | grep -q '^rbnn/$version'"
check "DKMS source and udev rule in place" \
	has "/usr/src/rbnn-$version/dkms.conf" "/usr/src/rbnn-$version/Kbuild" \
	/usr/lib/udev/rules.d/70-rbnn.rules
mkdir -p "/lib/modules/$kver"
check "dkms build rbnn/$version for $kver (guest kernel headers)" \
	dkms build -m rbnn -v "$version" -k "$kver" --kernelsourcedir "$kheaders"
[ -e "/var/lib/dkms/rbnn/$version/$kver/x86_64/module/rbnn.ko" ] ||
	find /var/lib/dkms/rbnn -name make.log -exec tail -n 25 {} + 2>/dev/null | sed 's/^/# make.log: /'
check "dkms install rbnn/$version for $kver" \
	dkms install -m rbnn -v "$version" -k "$kver" --kernelsourcedir "$kheaders"
ko=$(find "/lib/modules/$kver" -name 'rbnn.ko*' | head -n1)
check "the installed module is for $kver (vermagic)" \
	sh -c "echo '${ko:-no rbnn.ko}'; modinfo -F vermagic '$ko' | grep -q '^$kver '"

check "libbnn.so.0 is known to the dynamic linker" \
	sh -c 'ldconfig -p | grep -q "libbnn.so.0 "'
cat >/tmp/uses-libbnn.c <<'C'
#include <stdio.h>
#include <bnn.h>
int main(void)
{
	printf("%s %s\n", bnn_backend_kind_name(BNN_BACKEND_CPU), bnn_strerror(BNN_OK));
	return 0;
}
C
check "a program builds and runs with pkg-config --cflags --libs libbnn" \
	sh -c 'gcc -Wall -Werror /tmp/uses-libbnn.c $(pkg-config --cflags --libs libbnn) -o /tmp/u &&
		/tmp/u && ldd /tmp/u | grep "libbnn.so.0 => /"'
check "a static link through pkg-config --static keeps the card backend" \
	sh -c 'gcc /tmp/uses-libbnn.c $(pkg-config --cflags libbnn) -Wl,-Bstatic -lbnn -Wl,-Bdynamic \
		$(pkg-config --static --libs-only-other --libs-only-l libbnn | sed "s/-lbnn//") -o /tmp/us &&
		/tmp/us && nm /tmp/us | grep -q bnn__backend_rbnn_ops'
check "man pages and bash completions installed" \
	has /usr/share/man/man1/bnn-run.1.gz /usr/share/man/man1/bnn-smi.1.gz \
	/usr/share/man/man3/bnn.3.gz /usr/share/bash-completion/completions/bnn-run \
	/usr/share/bash-completion/completions/bnn-smi

# The default data root of the installed bnn-run: /usr/share/rbnn/data.
mkdir -p /usr/share/rbnn/data/mitdb
cp /tmp/mitdb/* /usr/share/rbnn/data/mitdb/
cd /tmp
for b in cpu emu; do
	check "installed bnn-run -m ecg-bin-full -b $b 100 (model by name, default data root)" \
		bnn-run -q -m ecg-bin-full -b "$b" --limit 300 -p "/tmp/pred-$b.txt" 100
done
check "cpu and emu give the same classes" cmp /tmp/pred-cpu.txt /tmp/pred-emu.txt
check "bnn-run takes the shipped model by path too" \
	bnn-run -q -m /usr/share/rbnn/models/ecg-bin-full.bnn -b cpu --limit 50 100
check "bnn-smi runs (no card here: it says so)" \
	sh -c 'bnn-smi --version && { bnn-smi; true; }'

check "dpkg -r rbnn-dkms removes the module from DKMS" \
	sh -c "dpkg -r rbnn-dkms && ! dkms status rbnn | grep -q rbnn && [ ! -e /usr/src/rbnn-$version ]"
check "dpkg -r bnn-tools libbnn-dev libbnn0" dpkg -r bnn-tools libbnn-dev libbnn0
exit "$failed"
