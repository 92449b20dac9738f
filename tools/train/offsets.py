#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Choose per-class score offsets ("threshold moving") on pooled held-out
scores of patient-wise cross-validation inside the training records.

  offsets.py CV_DIR [--s-range=LO:HI] [--v-range=LO:HI] [--out FILE]

CV_DIR is a `train.py --cv-folds K` output: its cv_scores.npz holds the
integer class scores the exported model computes (before any offset) for
every training record, each predicted by the fold model that did not see
that record's patient. For every integer S offset and V offset on the
grid (the other classes 0), the classes are argmax(score + offset),
lowest index on ties, exactly as libbnn takes them
(Documentation/bnn-format.rst, "Output"). The criterion, fixed before any
result was looked at: the largest S Se + S +P + V Se + V +P (the
sensitivity side of the j-index; an undefined +P counts 0); ties go to
the smallest |S offset| + |V offset|, then the smaller S offset, then the
smaller V offset (so offsets 0, 0 win unless something is strictly
better). Writes FILE (default CV_DIR/offsets.json): the chosen offsets
as train.py / export.py take them (--class-offsets-file), the criterion
and the whole grid (the curve), and prints the curve along each axis
through the chosen point.

The test records are never read: only CV_DIR's pooled held-out scores.
"""
import argparse
import json
import math
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

import metrics  # noqa: E402

DEFAULT_RANGE = (-8, 16)     # integer offsets; the scores of a 16-wide
                             # last layer are even numbers in [-16, 16]


def parse_range(s):
    lo, hi = (int(v) for v in s.split(":"))
    if lo > hi:
        raise argparse.ArgumentTypeError("range LO:HI with LO <= HI")
    return lo, hi


def point(scores, y, classes, off):
    """Metrics of argmax(scores + off) (lowest index on ties, as libbnn)."""
    pred = (scores + np.asarray(off, dtype=scores.dtype)[None, :]).argmax(1)
    m = metrics.compute(y, pred, classes)
    z = lambda v: 0.0 if v is None or math.isnan(v) else float(v)  # noqa: E731
    pc = m["per_class"]
    crit = sum(z(pc[c]["se"]) + z(pc[c]["ppv"]) for c in ("S", "V"))
    return dict(accuracy=m["accuracy"], criterion=crit,
                **{"%s_%s" % (c, k): pc[c][k] for c in ("S", "V") for k in ("se", "ppv")})


def choose(scores, y, classes, s_range=DEFAULT_RANGE, v_range=DEFAULT_RANGE):
    """The grid and the chosen point (see the module text)."""
    si, vi = classes.index("S"), classes.index("V")
    grid = []
    for os_ in range(s_range[0], s_range[1] + 1):
        for ov in range(v_range[0], v_range[1] + 1):
            off = [0] * len(classes)
            off[si], off[vi] = os_, ov
            grid.append(dict(S=os_, V=ov, **point(scores, y, classes, off)))
    best = min(grid, key=lambda g: (-round(g["criterion"], 12), abs(g["S"]) + abs(g["V"]),
                                    g["S"], g["V"]))
    return grid, best


def load_cv(cv_dir):
    z = np.load(os.path.join(cv_dir, "cv_scores.npz"))
    return (z["scores"].astype(np.float64), z["y"].astype(np.int64),
            [str(c) for c in z["classes"]], z)


def nan_none(o):
    """NaN -> null (strict JSON)."""
    if isinstance(o, dict):
        return {k: nan_none(v) for k, v in o.items()}
    if isinstance(o, list):
        return [nan_none(v) for v in o]
    if isinstance(o, float) and math.isnan(o):
        return None
    return o


def pct(v):
    return "   -" if v is None or (isinstance(v, float) and math.isnan(v)) else "%5.1f" % (100 * v)


def row(g):
    return "%4d %4d  %6.2f  %s / %s  %s / %s  %.3f" % (
        g["S"], g["V"], 100 * g["accuracy"], pct(g["S_se"]), pct(g["S_ppv"]),
        pct(g["V_se"]), pct(g["V_ppv"]), g["criterion"])


def main(argv=None):
    p = argparse.ArgumentParser(description="Choose S and V score offsets on the pooled "
                                            "held-out scores of train.py --cv-folds.")
    p.add_argument("cv_dir")
    p.add_argument("--s-range", type=parse_range, default=DEFAULT_RANGE)
    p.add_argument("--v-range", type=parse_range, default=DEFAULT_RANGE)
    p.add_argument("--out", default=None)
    p.add_argument("--quiet", action="store_true")
    a = p.parse_args(argv)
    scores, y, classes, _ = load_cv(a.cv_dir)
    grid, best = choose(scores, y, classes, a.s_range, a.v_range)
    base = next(g for g in grid if g["S"] == 0 and g["V"] == 0) \
        if a.s_range[0] <= 0 <= a.s_range[1] and a.v_range[0] <= 0 <= a.v_range[1] else None
    offsets = {c: 0 for c in classes}
    offsets["S"], offsets["V"] = best["S"], best["V"]
    out = a.out or os.path.join(a.cv_dir, "offsets.json")
    with open(out, "w") as f:
        json.dump(nan_none(dict(offsets=offsets, classes=classes,
                       criterion="max S Se + S +P + V Se + V +P on the pooled held-out "
                                 "scores; ties: smallest |S| + |V|, then S, then V",
                       items=int(len(y)), chosen=best, no_offsets=base, grid=grid,
                       s_range=list(a.s_range), v_range=list(a.v_range))),
                  f, indent=1, allow_nan=False)
    if not a.quiet:
        hdr = "   S    V   acc %   S Se / +P %    V Se / +P %   criterion"
        print("pooled held-out scores of %s (%d items); chosen S %+d, V %+d" %
              (a.cv_dir, len(y), best["S"], best["V"]))
        if base:
            print("no offsets: " + row(base))
        print("chosen:     " + row(best))
        print("S offset swept at V %+d:\n%s" % (best["V"], hdr))
        for g in grid:
            if g["V"] == best["V"]:
                print(row(g))
        print("V offset swept at S %+d:\n%s" % (best["S"], hdr))
        for g in grid:
            if g["S"] == best["S"]:
                print(row(g))
        print("wrote %s" % out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
