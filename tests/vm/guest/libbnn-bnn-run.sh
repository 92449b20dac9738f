#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# shellcheck shell=dash # busybox ash
# Guest test: bnn-run through /dev/accel on a real MIT-BIH record gives the
# cpu backend's predictions, item for item and score for score: on one card,
# with the batch sharded over two cards and batches pipelined, and with the
# default backend (auto: the cards). The model is a small ECG beat network
# (BATCHNORM, SIGN, BCONV1D, MAXPOOL1D, FLATTEN, BDENSE, BDENSE scores)
# written in the guest by bnn-mkmodel, then the shipped fully binarized ECG
# model (models/ecg-bin-full.bnn, 180 Hz, resampled); the record comes in through the
# "# vm-data:" lines (files of $RBNN_DATA, default ../shared/data, copied
# to /data/ in the guest); without them the checks are skipped.
#
# vm-qemu: -device rbnn,error-model=off -device rbnn,error-model=off
# vm-ko: kernel/rbnn.ko
# vm-bin: build/tools/bnn-run
# vm-bin: build/tests/bnn-mkmodel
# vm-data: mitdb/100.hea
# vm-data: mitdb/100.dat
# vm-data: mitdb/100.atr
# vm-file: models/ecg-bin-full.bnn
# vm-timeout: 200
# vm-file: tests/vm/guest-lib/ktap.sh
set -u

# shellcheck source-path=SCRIPTDIR source=../guest-lib/ktap.sh
. /tests/vm/guest-lib/ktap.sh

echo "KTAP version 1"
echo "1..5"
REC=/data/mitdb/100
if [ ! -r "$REC.dat" ] || [ ! -x /bin/bnn-run ] || [ ! -x /bin/bnn-mkmodel ]; then
	for d in "cpu reference" "one card" "two cards, sharded and pipelined" "auto" \
		"shipped model"; do
		result 4 "$d (no $REC in the guest: run-vm.sh needs '# vm-data:' support and \$RBNN_DATA)"
	done
	exit 0
fi
wait_node /dev/accel/accel1

/bin/bnn-mkmodel --arch conv --length 256 --beat 90,166 --lead MLII \
	--rate 360 --norm zscore --seed 3 /tmp/ecg.bnn
/bin/bnn-run -m /tmp/ecg.bnn -b cpu -q -p /tmp/cpu.csv "$REC"
rc=$?
n=$(($(wc -l </tmp/cpu.csv) - 1))
[ "$rc" -eq 0 ] && [ "$n" -gt 2000 ]
result $? "cpu reference: $n beats of record 100"

/bin/bnn-run -m /tmp/ecg.bnn -b rbnn -d /dev/accel/accel0 -p /tmp/one.csv "$REC" >/tmp/one.txt 2>&1
rc=$?
grep -E "Backend|accuracy|device" /tmp/one.txt | sed 's/^/# /'
[ "$rc" -eq 0 ] && cmp /tmp/cpu.csv /tmp/one.csv
result $? "rbnn on accel0: the same predictions and scores as cpu"

/bin/bnn-run -m /tmp/ecg.bnn -b rbnn -B 512 --queue 4 -p /tmp/two.csv "$REC" >/tmp/two.txt 2>&1
rc=$?
grep -E "Backend|throughput|device" /tmp/two.txt | sed 's/^/# /'
[ "$rc" -eq 0 ] && grep -q "2 cards" /tmp/two.txt && cmp /tmp/cpu.csv /tmp/two.csv
result $? "rbnn on both cards (batches of 512 sharded, 4 in flight): the same as cpu"

/bin/bnn-run -m /tmp/ecg.bnn -p /tmp/auto.csv "$REC" >/tmp/auto.txt 2>&1
rc=$?
grep -E "Backend" /tmp/auto.txt | sed 's/^/# /'
[ "$rc" -eq 0 ] && grep -q "Backend *rbnn" /tmp/auto.txt && cmp /tmp/cpu.csv /tmp/auto.csv
result $? "the default backend picks the cards: the same as cpu"

# The shipped model, as users run it: on both cards against cpu.
M=/models/ecg-bin-full.bnn
if [ -r "$M" ]; then
	/bin/bnn-run -m "$M" --resample -b cpu -q -p /tmp/scpu.csv "$REC" &&
		/bin/bnn-run -m "$M" --resample -b rbnn -p /tmp/srbnn.csv "$REC" >/tmp/s.txt 2>&1
	rc=$?
	grep -E "Backend|accuracy" /tmp/s.txt | sed 's/^/# /'
	[ "$rc" -eq 0 ] && grep -q "2 cards" /tmp/s.txt && cmp /tmp/scpu.csv /tmp/srbnn.csv
	result $? "shipped model $M on both cards: the same predictions and scores as cpu"
else
	result 4 "shipped model (no $M in the guest)"
fi

echo "# Totals: pass:$((t - nfail - nskip)) fail:$nfail xfail:0 xpass:0 skip:$nskip error:0"
[ "$nfail" -eq 0 ]
