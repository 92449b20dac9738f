#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: libbnn-rbnn.sh's checks (tests/vm/libbnn_rbnn_test.c) with
# libbnn and the test built with ASan + UBSan (any report fails the run,
# leaks included): the rbnn backend's buffers, mappings, job tables and
# error paths on real cards. Its KTAP passes through.
#
# vm-qemu: -device rbnn,id=rbnn0,error-model=off,seed=7 -device rbnn,id=rbnn1,error-model=off,x-debug=on,seed=8
# vm-ko: kernel/rbnn.ko
# vm-bin: build/vm/libbnn_rbnn_test-san
# vm-env: ASAN_OPTIONS=abort_on_error=0:exitcode=99:detect_leaks=1
# vm-env: UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:exitcode=98
# vm-timeout: 400
set -u
T=/bin/libbnn_rbnn_test-san
if [ ! -x "$T" ]; then
	echo "KTAP version 1"
	echo "1..1"
	echo "ok 1 libbnn_rbnn_test-san # SKIP $T not in the initramfs (libbnn/build-guest-bins.sh)"
	exit 0
fi
i=0
while [ ! -e /dev/accel/accel1 ] && [ $i -lt 50 ]; do
	sleep 0.1
	i=$((i + 1))
done
"$T" -s 2
