# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Classification metrics (numpy only).

confusion[i, j] = number of items of true class i predicted as class j.
Per class c: sensitivity Se = TP / (TP + FN) (recall), positive
predictivity +P = TP / (TP + FP) (precision), F1 = 2 Se +P / (Se + +P).
These are the AAMI EC57 beat-by-beat statistics when computed on the
N/S/V/F/Q confusion matrix (reported for S and V). Undefined ratios
(0/0) are NaN and printed as "-". Macro F1 averages F1 over the classes
that occur in the ground truth.
"""
import math

import numpy as np


def confusion(y_true, y_pred, n_classes):
    y_true = np.asarray(y_true, dtype=np.int64)
    y_pred = np.asarray(y_pred, dtype=np.int64)
    if y_true.shape != y_pred.shape:
        raise ValueError("y_true and y_pred differ in shape")
    if y_true.size and (y_true.min() < 0 or y_true.max() >= n_classes or
                        y_pred.min() < 0 or y_pred.max() >= n_classes):
        raise ValueError("labels out of range")
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def _div(a, b):
    return float(a) / float(b) if b else float("nan")


def from_confusion(cm, class_names):
    cm = np.asarray(cm, dtype=np.int64)
    n = cm.shape[0]
    total = int(cm.sum())
    per = {}
    f1s = []
    for c in range(n):
        tp = int(cm[c, c])
        fn = int(cm[c, :].sum()) - tp
        fp = int(cm[:, c].sum()) - tp
        se = _div(tp, tp + fn)
        ppv = _div(tp, tp + fp)
        if math.isnan(se) or math.isnan(ppv) or se + ppv == 0:
            f1 = 0.0 if tp + fn > 0 else float("nan")
        else:
            f1 = 2 * se * ppv / (se + ppv)
        spec = _div(total - tp - fn - fp, total - tp - fn)
        per[class_names[c]] = dict(support=tp + fn, se=se, ppv=ppv, f1=f1,
                                   spec=spec)
        if tp + fn > 0:
            f1s.append(f1)
    return dict(n=total, accuracy=_div(np.trace(cm), total),
                macro_f1=float(np.mean(f1s)) if f1s else float("nan"),
                per_class=per, confusion=cm.tolist(), classes=list(class_names))


def compute(y_true, y_pred, class_names):
    return from_confusion(confusion(y_true, y_pred, len(class_names)), class_names)


def _pct(v):
    return "    -" if v is None or (isinstance(v, float) and math.isnan(v)) else "%5.1f" % (100 * v)


def format_report(m, title=""):
    """Human-readable report: accuracy, macro F1, per-class table, confusion."""
    names = m["classes"]
    out = []
    if title:
        out.append(title)
    out.append("  items %d  accuracy %.2f %%  macro F1 %.3f" %
               (m["n"], 100 * m["accuracy"], m["macro_f1"]))
    out.append("  class  support    Se %   +P %    F1")
    for c in names:
        p = m["per_class"][c]
        f1 = "    -" if math.isnan(p["f1"]) else "%.3f" % p["f1"]
        out.append("  %-5s %8d  %s  %s  %s" % (c[:5], p["support"], _pct(p["se"]),
                                               _pct(p["ppv"]), f1))
    w = max(6, max(len(str(v)) for row in m["confusion"] for v in row) + 1)
    out.append("  confusion (rows true, columns predicted):")
    out.append("        " + "".join("%*s" % (w, c[:w - 1]) for c in names))
    for c, row in zip(names, m["confusion"]):
        out.append("  %-5s " % c[:5] + "".join("%*d" % (w, v) for v in row))
    return "\n".join(out)


def self_test():
    cm = confusion([0, 0, 1, 1, 2], [0, 1, 1, 1, 0], 3)
    assert cm.tolist() == [[1, 1, 0], [0, 2, 0], [1, 0, 0]]
    m = from_confusion(cm, ["a", "b", "c"])
    assert abs(m["accuracy"] - 0.6) < 1e-12
    assert abs(m["per_class"]["b"]["se"] - 1.0) < 1e-12
    assert abs(m["per_class"]["b"]["ppv"] - 2 / 3) < 1e-12
    assert m["per_class"]["c"]["f1"] == 0.0
    assert abs(m["macro_f1"] - (2 * 0.5 * 0.5 / 1.0 + 0.8 + 0.0) / 3) < 1e-12


if __name__ == "__main__":
    self_test()
    print("metrics self-test ok")
