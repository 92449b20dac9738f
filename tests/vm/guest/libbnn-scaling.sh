#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: the rbnn backend's throughput scales with cards. On two cards
# with modeled timing (each command takes the device time the card models,
# here 1 us per row activation, so the card, not the emulator, is the
# bottleneck), a batch sharded over both cards must run at least 1.5x as
# fast as on one, and give the cpu backend's results bit for bit
# (tests/vm/libbnn_rbnn_test.c, "scaling"). The measured table is printed.
# Then a forced reset while jobs are on a card: the jobs it aborted are run
# again by libbnn and the results stay bit-identical.
#
# vm-qemu: -device rbnn,error-model=off,timing=modeled,t-read-ns=1000 -device rbnn,error-model=off,timing=modeled,t-read-ns=1000
# vm-ko: kernel/rbnn.ko
# vm-bin: build/vm/libbnn_rbnn_test
# vm-timeout: 180
set -u
T=/bin/libbnn_rbnn_test
if [ ! -x "$T" ]; then
	echo "KTAP version 1"
	echo "1..1"
	echo "ok 1 libbnn_rbnn_test # SKIP $T not in the initramfs (libbnn/build-guest-bins.sh)"
	exit 0
fi
i=0
while [ ! -e /dev/accel/accel1 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
"$T" scaling "${LIBBNN_SCALING_ITEMS:-1024}" "${LIBBNN_SCALING_MIN:-1.5}"
