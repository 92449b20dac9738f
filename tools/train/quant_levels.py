#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Level occupancy of the fully binarized model's k-bit input quantiser on
Bonn EEG, per set: how many of the 2^k levels each set really uses.

  /usr/bin/python3 tools/train/quant_levels.py --task eeg3 --quant-quantile 0.99 0.9

The range is the one train.py sets for fold 0 (--fold): +-(quantile of |x|)
over that fold's training part (validation and test segments left out).
Per set: levels holding >= 1 % of the samples, the entropy of the level
histogram (bits; k at most), the median number of distinct levels in a
window, the share of samples clipped to the end levels, the histogram (%).
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

import torch  # noqa: E402

import bnn_torch  # noqa: E402
import data  # noqa: E402


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--task", default="eeg3", choices=["eeg2", "eeg3", "eeg5"])
    p.add_argument("--quant-quantile", type=float, nargs="+", default=[0.99])
    p.add_argument("--in-bits", type=int, default=4)
    p.add_argument("--norm", default="none", choices=["none", "zscore"])
    p.add_argument("--folds", type=int, default=5)
    p.add_argument("--fold", type=int, default=0)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--cache", default=os.path.join(data.REPO, "build", "train-data"))
    a = p.parse_args(argv)
    ds = data.load(data.extract(["bonn", "-t", a.task, "-w", "178", "--norm", a.norm],
                                a.cache, "bonn"))
    fold_of = data.segment_folds(ds, a.folds, a.seed)
    item_fold = np.array([fold_of[g] for g in ds.group.tolist()])
    tr, _ = data.group_val_split(ds, np.flatnonzero(item_fold != a.fold), 0.1,
                                 a.seed + 1 + a.fold)
    sets = ds.cols["set"]
    nlev = 2 ** a.in_bits
    print("%d windows; median |x| per set: %s" % (len(ds), ", ".join(
        "%s %.0f" % (s, np.median(np.abs(ds.x[sets == s]))) for s in "ZONFS")))
    for q in a.quant_quantile:
        r = float(np.quantile(np.abs(ds.x[tr]), q))
        quant = bnn_torch.InputQuant(a.in_bits)
        quant.set_range(r)
        lv = quant.levels(torch.from_numpy(ds.x)).numpy().astype(np.int64)
        print("quantile %g: range +-%.1f, step %.1f" % (q, r, r / 2 ** (a.in_bits - 1)))
        for s in "ZONFS":
            ls = lv[sets == s]
            h = np.bincount(ls.ravel(), minlength=nlev) / ls.size
            nz = h[h > 0]
            per_win = np.median([len(np.unique(w)) for w in ls[:, 0, :]])
            print("  %s: %2d levels >= 1 %%, entropy %.2f bits, %2d per window, clipped "
                  "%4.1f %%  | %s" % (s, int((h >= 0.01).sum()), float(-(nz * np.log2(nz)).sum()),
                                      per_win, 100 * (h[0] + h[-1]),
                                      " ".join("%2.0f" % (100 * v) for v in h)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
