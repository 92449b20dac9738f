#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Synthetic models for the width sweep of bench_scaling (make bench-scaling).

  width_models.py OUTDIR WIDTH...

writes OUTDIR/ecg-w{WIDTH}.bnn: the shipped ECG bin-full topology
(tools/train/models.py: 4-bit input of 117 samples, 3 binary conv blocks
w/2w/2w, a join of 5 rhythm features x 24 bits, FC 4w, FC 5 scores) with
random weights (seed 1), folded and written by tools/train/export.py.
Nothing is trained: these files measure cost, never accuracy, and the
kernels' speed does not depend on the weights' values.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # keep the source tree clean
sys.path.insert(0, os.path.join(HERE, "..", "..", "tools", "train"))

import torch  # noqa: E402

import export  # noqa: E402
import models  # noqa: E402

IN_LEN, CLASSES = 117, ["N", "S", "V", "F", "Q"]
# Like the shipped model's join: 5 features x 24 thresholds = 120 bits.
FEATURES = ([0, 1, 2, 3, 4], [[0.1 * (k + 1) for k in range(24)] for _ in range(5)])


def main(argv):
    if len(argv) < 2:
        sys.stderr.write("usage: width_models.py OUTDIR WIDTH...\n")
        return 2
    out = argv[0]
    os.makedirs(out, exist_ok=True)
    torch.set_num_threads(1)
    for w in argv[1:]:
        torch.manual_seed(1)
        net = models.build("ecg", "bin-full", int(w), IN_LEN, len(CLASSES),
                           features=FEATURES)
        net.eval()
        folded = export.fold(net)
        path = os.path.join(out, "ecg-w%d.bnn" % int(w))
        desc = dict(channels=1, length=IN_LEN, sample_rate_hz=180.0, lead="MLII",
                    beat_pre=45, beat_post=72)
        export.write_bnn(folded, path, desc, CLASSES, name="ecg-bin-full-w%d-random" % int(w),
                         desc="ecg bin-full width %s, random weights (bench_scaling)" % w)
        print(path)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
