#!/usr/bin/env python3
"""Run other people's QRS detectors on the MIT-BIH records, side by side with ours.

    scripts/deps.sh peers          # venv with pinned wfdb + neurokit2
    make build/tools/bnn-qrs-eval
    tools/results/qrs_peers.py [--data DIR] [--out DIR] [--only NAME,...] [RECORD...]

Every detector sees signal 0 of each record in physical units at the
record's rate. Its beats go to OUT/NAME/RECORD.txt (one sample index a
line) and are matched to the reference by our own evaluator
(bnn-qrs-eval --det-dir), so every detector is scored by exactly the same
EC57 matching (150 ms, one to one, nearest first). Writes OUT/NAME.md (the
per-record table) and prints the gross line of each, plus time per record.
A detector that fails on a record gets no beats there (all FN), and the
error is reported.
"""
import argparse
import os
import subprocess
import sys
import time
import traceback

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
CACHE = os.environ.get("RBNN_CACHE") or os.path.expanduser("~/.cache/rbnn")
VENV = os.path.join(CACHE, "venv-peers")

if os.path.realpath(sys.prefix) != os.path.realpath(VENV):
    py = os.path.join(VENV, "bin", "python")
    if not os.path.exists(py):
        sys.exit(f"qrs_peers: no venv at {VENV}: run scripts/deps.sh peers")
    os.execv(py, [py, os.path.abspath(__file__)] + sys.argv[1:])

import numpy as np  # noqa: E402
import wfdb  # noqa: E402
import wfdb.processing  # noqa: E402
import neurokit2 as nk  # noqa: E402

# NeuroKit2 peak methods and the cleaning each goes with (its own when
# ecg_clean has it, else NeuroKit's default).
NK_METHODS = {
    "neurokit": "neurokit",
    "pantompkins1985": "pantompkins1985",
    "hamilton2002": "hamilton2002",
    "elgendi2010": "elgendi2010",
    "engzeemod2012": "engzeemod2012",
    "zong2003": "neurokit",
    "christov2004": "neurokit",
    "gamboa2008": "neurokit",
    "kalidas2017": "neurokit",
    "nabian2018": "neurokit",
    "rodrigues2021": "neurokit",
}


def detect(name, sig, fs):
    if name == "wfdb-xqrs":
        return wfdb.processing.xqrs_detect(sig, fs, verbose=False)
    if name == "wfdb-gqrs":
        return wfdb.processing.gqrs_detect(sig, fs=fs)
    m = name[len("nk-"):]
    clean = nk.ecg_clean(sig, sampling_rate=fs, method=NK_METHODS[m])
    _, info = nk.ecg_peaks(clean, sampling_rate=fs, method=m, correct_artifacts=False)
    return info["ECG_R_Peaks"]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default=os.path.join(
        os.environ.get("RBNN_DATA") or os.path.join(ROOT, "..", "shared", "data"), "mitdb"))
    ap.add_argument("--out", default=os.path.join(ROOT, "build", "qrs-peers"))
    ap.add_argument("--only", default="")
    ap.add_argument("records", nargs="*")
    a = ap.parse_args()
    recs = a.records or sorted(f[:-4] for f in os.listdir(a.data) if f.endswith(".hea"))
    names = ["wfdb-xqrs", "wfdb-gqrs"] + ["nk-" + m for m in NK_METHODS]
    if a.only:
        names = [n for n in names if n in a.only.split(",")]
    ev = os.path.join(ROOT, "build", "tools", "bnn-qrs-eval")
    print(f"wfdb {wfdb.__version__}, neurokit2 {nk.__version__}, numpy {np.__version__}", flush=True)
    for name in names:
        d = os.path.join(a.out, name)
        os.makedirs(d, exist_ok=True)
        errors, t_total = [], 0.0
        for r in recs:
            rec = wfdb.rdrecord(os.path.join(a.data, r), channels=[0])
            sig = rec.p_signal[:, 0].astype(np.float64)
            t0 = time.monotonic()
            try:
                beats = np.asarray(detect(name, sig, rec.fs), dtype=np.int64)
            except Exception as e:  # a peer's failure is a result too
                beats = np.zeros(0, dtype=np.int64)
                errors.append(f"{r}: {type(e).__name__}: {e}")
                traceback.print_exc(limit=1)
            t_total += time.monotonic() - t0
            beats = np.unique(beats[(beats >= 0) & (beats < len(sig))])
            np.savetxt(os.path.join(d, r + ".txt"), beats, fmt="%d")
        table = subprocess.run([ev, "--data", a.data, "--det-dir", d] + recs,
                               capture_output=True, text=True, check=False)
        with open(os.path.join(a.out, name + ".md"), "w") as f:
            f.write(table.stdout)
        gross = table.stdout.strip().splitlines()[-1]
        print(f"{name}: {gross}  time/record {1e3 * t_total / len(recs):.0f} ms", flush=True)
        for e in errors:
            print(f"{name}: error {e}", flush=True)


if __name__ == "__main__":
    main()
