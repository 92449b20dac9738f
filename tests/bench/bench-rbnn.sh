#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
# make bench's rbnn rows (bench-rbnn): boots the VM tier's guest benchmark
# tests/vm/guest/bench-rbnn.sh once through tests/vm/run.sh (which gets
# what make test-vm gets, all cached: the vm packages, the kernel, QEMU
# with the card, the module and the guest programs) and prints its numbers:
# the shipped model on the rbnn backend (one card, through the driver)
# against the emu backend in the same guest, then where rbnn's time goes,
# with the card's compute time per batch in QEMU (host thread CPU time of
# the device's slices, from the rbnn_slice trace events in qemu.out).
# Printed, never pass/fail: when the VM cannot boot or the guest test
# fails, it says why and exits 0.
#
#   tests/bench/bench-rbnn.sh [LOGDIR]     (default build/bench/vm)
#   tests/bench/bench-rbnn.sh --report LOGDIR   the table of an earlier run
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
cd "$TOP" || exit 0
boot=1
if [ "${1:-}" = --report ]; then
	boot=0
	shift
fi
logdir=${1:-build/bench/vm}
echo "== tests/vm/guest/bench-rbnn.sh: rbnn (the driver path) against emu in one TCG guest"
echo "host: $(uname -srm), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
t0=$(date +%s)
if [ "$boot" -eq 1 ]; then
	rm -rf "$logdir"
	mkdir -p "$logdir"
fi
if [ "$boot" -eq 1 ] && ! tests/vm/run.sh "$logdir" bench-rbnn >"$logdir/run.log" 2>&1; then
	echo "rbnn: the VM run failed (tests/vm/run.sh $logdir bench-rbnn; log $logdir/run.log):"
	tail -n 5 "$logdir/run.log" | sed 's/^/  /'
	[ -f "$logdir/bench-rbnn/result" ] && sed 's/^/  /' "$logdir/bench-rbnn/result"
	grep -q '^# bench-rbnn:' "$logdir/bench-rbnn/ktap.log" 2>/dev/null ||
		exit 0
	echo "  (its numbers so far follow)"
fi
ktap=$logdir/bench-rbnn/ktap.log
qout=$logdir/bench-rbnn/qemu.out
[ -f "$ktap" ] || { echo "rbnn: no $ktap"; exit 0; }
echo "guest: Linux $(sed -n 's/^# guest kernel //p' "$ktap"), 1 vCPU ($(sed -n 's/^# guest model name[[:space:]]*: //p' "$ktap")), TCG; $(($(date +%s) - t0)) s; logs $logdir/bench-rbnn/"
# The card's compute per stages window: a slice line follows the commands
# it completed (rbnn_cmd_posted); a slice that completed none worked on the
# next command. Window (c0, c1] of the card's CMDS_DONE counter.
awk -v q="$qout" '
function kv(line, key,   m) {
	if (match(line, " " key "=[^ ]*")) {
		m = substr(line, RSTART + length(key) + 2, RLENGTH - length(key) - 2)
		return m
	}
	return ""
}
BEGIN {
	posted = 0; seen = 0
	while ((getline l < q) > 0) {
		if (l ~ /rbnn_cmd_posted /) { posted++; continue }
		if (l !~ /rbnn_slice /) continue
		sub(/.*rbnn_slice /, "", l)
		split(l, f, " ")	# ID: slice of NS ns (CPU ns of CPU), ...
		idx = posted > seen ? posted : posted + 1
		seen = posted
		wall[idx] += f[4]; cpu[idx] += substr(f[6], 2) + 0; ntr++
	}
}
/^# bench-rbnn: / {
	b = kv($0, "batch"); e = kv($0, "emu"); r1 = kv($0, "rbnn_q1"); r4 = kv($0, "rbnn_q4")
	nb[++nbr] = b; E[b] = e; R1[b] = r1; R4[b] = r4
	reps = kv($0, "reps"); items = kv($0, "items")
}
/^# stages: / {
	b = kv($0, "batch"); qq = kv($0, "queue"); k = b "," qq
	S[k] = $0
	split(kv($0, "card_cmds"), c, "-")
	s = 0; sw = 0; n = 0
	for (i = c[1] + 1; i <= c[2]; i++) if (i in cpu) { s += cpu[i]; sw += wall[i]; n++ }
	ms = kv($0, "batch_ms"); nbt = kv($0, "cmds")
	# commands in the window / commands per batch = batches
	CC[k] = (c[2] > c[1] && n > 0) ? s / 1e6 / ((c[2] - c[1]) / nbt) : -1
	CW[k] = (c[2] > c[1] && n > 0) ? sw / 1e6 / ((c[2] - c[1]) / nbt) : -1
	Q[++nq] = k
}
END {
	if (!nbr) { print "rbnn: no numbers in " FILENAME; exit }
	printf "model models/ecg-bin-full.bnn, %s random items per run, best of %s; one card -device rbnn,error-model=off (timing instant);\n", items, reps
	printf "items/s in guest wall time (bnn-run --json performance.items_per_s); emu = the in-process emulated card in the guest\n"
	printf "%-24s %-8s %-10s %8s %12s %10s\n", "model", "backend", "variant", "batch", "items/s", "x emu"
	for (i = 1; i <= nbr; i++) {
		b = nb[i]
		printf "%-24s %-8s %-10s %8s %12.0f %10s\n", i == 1 ? "ecg-bin-full.bnn" : "", "emu", "guest", b, E[b], "1.00"
		printf "%-24s %-8s %-10s %8s %12.0f %10.2f\n", "", "rbnn", "queue 1", b, R1[b], (E[b] > 0 ? R1[b] / E[b] : 0)
		printf "%-24s %-8s %-10s %8s %12.0f %10.2f\n", "", "rbnn", "queue 4", b, R4[b], (E[b] > 0 ? R4[b] / E[b] : 0)
	}
	if (!nq) exit
	print ""
	print "where rbnn time goes, ms per batch of guest wall time (libbnn_rbnn_test stages: libbnn'"'"'s libdrm calls timed);"
	print "card = the card'"'"'s compute in QEMU: host thread CPU time (and wall time) of its slices, native code, rbnn_slice trace;"
	print "CPU states: the guest'"'"'s /proc/stat over the run (idle = the vCPU waits for the card); device = modeled card time"
	printf "%6s %5s %9s %8s %8s %8s %8s %8s %15s %5s %5s %5s %5s %9s\n", "batch", "queue", "items/s", "total",
		"EXEC", "JOB_INFO", "wait", "libbnn", "card (wall)", "user", "sys", "idle", "irqs", "device"
	for (i = 1; i <= nq; i++) {
		l = S[Q[i]]
		tot = kv(l, "batch_ms"); ex = kv(l, "exec_ms"); ji = kv(l, "jobinfo_ms"); w = kv(l, "wait_ms")
		ot = kv(l, "other_ms")
		printf "%6s %5s %9.0f %8.3f %8.3f %8.3f %8.3f %8.3f %15s %4.0f%% %4.0f%% %4.0f%% %5.2f %9.3f\n",
			kv(l, "batch"), kv(l, "queue"), kv(l, "items_s"), tot, ex, ji, w,
			tot - ex - ji - w - ot,
			(CC[Q[i]] < 0 ? "-" : sprintf("%.3f (%.3f)", CC[Q[i]], CW[Q[i]])),
			kv(l, "user_pct"), kv(l, "sys_pct"), kv(l, "idle_pct"), kv(l, "irqs"), kv(l, "device_ms")
	}
	if (!ntr) print "(no rbnn_slice trace in " q ": card column empty)"
}' "$ktap"
# For scale, from bench_models' JSON of the same make bench (when there):
# the emulated card natively on this host, one thread.
json=${BENCH_JSON:-build/bench/models.json}
if [ -f "$json" ]; then
	/usr/bin/python3 - "$json" "$ktap" <<'PY' || true
import json, re, sys
d = json.load(open(sys.argv[1]))
m = [m for m in d["models"] if m["path"].endswith("ecg-bin-full.bnn")]
rows = [r for r in m[0]["rows"] if r["backend"] == "emu" and r["variant"] == "ideal"
        and r.get("ok")] if m else []
best = 0.0
for line in open(sys.argv[2]):
    if line.startswith("# bench-rbnn: "):
        kv = dict(re.findall(r"(\w+)=([^ ]+)", line))
        best = max(best, float(kv["rbnn_q1"]), float(kv["rbnn_q4"]))
if rows and best > 0:
    w = rows[0]["wall_items_per_s"]
    print("for scale: emu natively on this host (bench_models above, batch %d, one thread): "
          "%.0f wall items/s; rbnn's best in the guest is %.2fx that"
          % (d["batch"], w, best / w))
PY
fi
grep -q '^not ok' "$ktap" && echo "rbnn: the guest test failed a check: see $ktap"
exit 0
