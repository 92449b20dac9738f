# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Classify (N, C, L) items with the bnn-run under test ($BNN_RUN): the
items as a float32 file (position-major), the classes from its
--predictions CSV as indices into the model's class names."""
import csv
import os
import subprocess

import numpy as np


def classes(model_path, x, class_names, tmp_path, backend="emu"):
    items = os.path.join(str(tmp_path), "items.f32")
    out = os.path.join(str(tmp_path), "pred.csv")
    np.ascontiguousarray(np.asarray(x, dtype="<f4").transpose(0, 2, 1)).tofile(items)
    subprocess.run([os.environ.get("BNN_RUN", "build/tools/bnn-run"), "-q", "-m", model_path,
                    "-b", backend, "-p", out, items], check=True)
    with open(out) as f:
        rows = list(csv.DictReader(f))
    assert [int(r["index"]) for r in rows] == list(range(len(x)))
    return np.array([list(class_names).index(r["predicted"]) for r in rows])
