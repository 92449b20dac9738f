#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: libbnn's `rbnn` backend and card API on two cards
# (tests/vm/libbnn_rbnn_test.c): discovery; random models (binary 1-bit and
# bit-serial, mixed float + binary, multi-stage, multi-tile with column
# blocks, float only) bit-identical to the cpu and emu backends on one
# card, then with batches sharded over both cards and with pipelined
# submit/wait; statistics, health, processes and tiles of a card in use;
# errors (unknown device, permission denied, tiles taken, a reset under
# load, a hang that bans the context). Its KTAP passes through.
#
# vm-qemu: -device rbnn,id=rbnn0,error-model=off,seed=5 -device rbnn,id=rbnn1,error-model=off,x-debug=on,seed=6
# vm-ko: kernel/rbnn.ko
# vm-bin: build/vm/libbnn_rbnn_test
# vm-timeout: 400
set -u
T=${LIBBNN_TEST_BIN:-/bin/libbnn_rbnn_test}
if [ ! -x "$T" ]; then
	echo "KTAP version 1"
	echo "1..1"
	echo "ok 1 libbnn_rbnn_test # SKIP $T not in the initramfs (libbnn/build-guest-bins.sh)"
	exit 0
fi
# Both cards are there before the test starts (devtmpfs, no udev).
i=0
while [ ! -e /dev/accel/accel1 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
# shellcheck disable=SC2086 # options, split on purpose
"$T" ${LIBBNN_TEST_ARGS:-}
