#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
#
# bench_stream.sh - latency of bnn-run --stream (printed, never pass/fail):
# MIT-BIH record 100 (MLII, int16) fed through a pipe at SPEED x real time
# in 10 ms pieces of signal time, into the rhythm-feature test model
# (9 features, median baseline, 35 Hz low-pass, QRS amplitude), on the
# emulated card; the JSON lines give per beat the signal-time delay
# (delay_s: R peak -> last sample the item needed) and the compute time
# (compute_ms: arrival of that sample -> line written).
#
#   tests/bench/bench_stream.sh [BNN_RUN [BNN_MKMODEL [BNN_WFDB2RAW]]]
#   SPEED (default 10), BENCH_SECONDS of the record (default all: 1805 s)
set -u
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../.." && pwd)
# Absolute paths: the pipeline runs in a temporary directory (make bench
# passes build/... relative to the top of the checkout).
abs() { case $1 in /*) echo "$1" ;; *) echo "$PWD/$1" ;; esac; }
RUN=$(abs "${1:-$repo/build/tools/bnn-run}")
MK=$(abs "${2:-$repo/build/tests/bnn-mkmodel}")
W2R=$(abs "${3:-$repo/build/tests/bnn-wfdb2raw}")
DATA=${RBNN_DATA:-$repo/../shared/data}
SPEED=${SPEED:-10}
SECONDS_=${BENCH_SECONDS:-0}
PY=${PYTHON:-python3}
if [ ! -f "$DATA/mitdb/100.hea" ]; then
	echo "bench_stream: no MIT-BIH record 100 under $DATA/mitdb: skipped"
	exit 0
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-stream.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
"$MK" --arch conv --length 100 --rate 360 --beat 40,60 --lead MLII \
	--norm zscore --features 9 --baseline median --lowpass 35 --amp-norm qrs \
	"$tmp/feat.bnn" >/dev/null || exit 1
"$W2R" "$DATA/mitdb" 100 MLII int16 >"$tmp/r100.i16" 2>/dev/null || exit 1
cmd="$RUN -m feat.bnn --backend emu --stream - --fs 360 --units adc --gain 200"
echo "== bench_stream: $(uname -srm), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(nproc) CPUs"
echo "== record 100 at ${SPEED}x real time, 10 ms pieces: feeder | $cmd"
cd "$tmp" || exit 1
"$PY" - "$SPEED" "$SECONDS_" <<'EOF' | $cmd >lines.jsonl 2>summary.txt
import sys, time
speed, secs = float(sys.argv[1]), float(sys.argv[2])
d = open("r100.i16", "rb").read()
if secs > 0:
    d = d[:int(secs * 360) * 2]
piece = 36 * 2          # 10 ms of signal
t0 = time.monotonic()
for k, i in enumerate(range(0, len(d), piece)):
    due = t0 + k * 0.01 / speed
    now = time.monotonic()
    if due > now:
        time.sleep(due - now)
    sys.stdout.buffer.write(d[i:i + piece])
    sys.stdout.buffer.flush()
EOF
cat summary.txt
"$PY" - <<'EOF'
import json
rows = [json.loads(l) for l in open("lines.jsonl")]
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))]
for key, unit in (("delay_s", "s"), ("compute_ms", "ms"), ("latency_ms", "ms")):
    v = [r[key] for r in rows]
    print("%-11s n %d  p50 %.3f  p90 %.3f  p99 %.3f  max %.3f %s" %
          (key, len(v), pct(v, 50), pct(v, 90), pct(v, 99), max(v), unit))
EOF
