# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Classification metrics (numpy only).

confusion[i, j] = number of items of true class i predicted as class j.
Per class c: sensitivity Se = TP / (TP + FN) (recall), positive
predictivity +P = TP / (TP + FP) (precision), F1 = 2 Se +P / (Se + +P).
These are the AAMI EC57 beat-by-beat statistics when computed on the
N/S/V/F/Q confusion matrix (reported for S and V). Undefined ratios
(0/0) are NaN and printed as "-". Macro F1 averages F1 over the classes
that occur in the ground truth.

ec57() gives the AAMI EC57 statistics as de Chazal et al. 2004 use them,
with the definitions of bnn-run's `ec57` JSON object (tools/bnn-run/ec57.h):
per AAMI class gross and per-record Se, +P, FPR = FP / (FP + TN), Sp; an F
beat classified as V is not a V false positive (left out of V's FP and
TN); Cohen's kappa; the j-index jk = kappa / 2 + (Se_S + Se_V + +P_S +
+P_V) / 8 (Mar et al. 2011); the S Se without the record holding the most
S beats.
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


AAMI = ("N", "S", "V", "F", "Q")


def kappa(cm):
    """Cohen's kappa of a confusion matrix: (po - pe) / (1 - pe); NaN when
    it is empty or pe == 1 (every item in one class, predicted as it)."""
    cm = np.asarray(cm, dtype=np.int64)
    n = int(cm.sum())
    if not n:
        return float("nan")
    po = float(np.trace(cm)) / n
    pe = float((cm.sum(axis=1).astype(float) * cm.sum(axis=0)).sum()) / n / n
    return (po - pe) / (1 - pe) if pe < 1 else float("nan")


def jindex(k, se_s, se_v, ppv_s, ppv_v):
    """Mar et al. 2011: kappa / 2 + (Se_S + Se_V + +P_S + +P_V) / 8 (NaN
    propagates)."""
    return k / 2 + (se_s + se_v + ppv_s + ppv_v) / 8


def _ec57_class(cm, ix, c, rule):
    k = ix[c]
    tp = int(cm[k, k])
    sup = int(cm[k, :].sum())
    fp = int(cm[:, k].sum()) - tp
    tn = int(cm.sum()) - sup - fp
    if rule and c == "V":
        fp -= int(cm[ix["F"], k])
    return dict(support=sup, predicted=tp + fp, tp=tp, fp=fp, fn=sup - tp, tn=tn,
                se=_div(tp, sup), ppv=_div(tp, tp + fp), fpr=_div(fp, fp + tn),
                sp=_div(tn, fp + tn))


def _mean_def(xs):
    xs = [x for x in xs if not math.isnan(x)]
    return (sum(xs) / len(xs) if xs else float("nan")), len(xs)


def ec57(records, class_names):
    """records: [(record name, confusion over class_names), ...] (one
    entry per record; a single entry gives no meaningful per-record
    figures). AAMI classes that are not among class_names are None."""
    ix = {c: class_names.index(c) for c in AAMI if c in class_names}
    cms = [(r, np.asarray(m, dtype=np.int64)) for r, m in records]
    tot = sum((m for _, m in cms), np.zeros((len(class_names),) * 2, dtype=np.int64))
    rule = "F" in ix and "V" in ix
    out = dict(beats=int(tot.sum()), records=len(cms), f_as_v_rule=rule, classes={})
    for c in AAMI:
        if c not in ix:
            out["classes"][c] = None
            continue
        g = _ec57_class(tot, ix, c, rule)
        per = [_ec57_class(m, ix, c, rule) for _, m in cms]
        pr = {}
        for key in ("se", "ppv", "fpr"):
            pr[key], pr[key + "_records"] = _mean_def([x[key] for x in per])
        g["per_record"] = pr
        out["classes"][c] = g
    out["kappa"] = kappa(tot)
    s, v = out["classes"].get("S"), out["classes"].get("V")
    out["jk"] = (jindex(out["kappa"], s["se"], v["se"], s["ppv"], v["ppv"])
                 if s and v else float("nan"))
    out["s_se_without"] = None
    if s and len(cms) > 1:
        k = ix["S"]
        best, top = 0, None
        for r, m in cms:
            if int(m[k, :].sum()) > best:
                best, top = int(m[k, :].sum()), (r, m)
        if top:
            m = top[1]
            out["s_se_without"] = dict(record=top[0], s_beats=best,
                                       se=_div(int(tot[k, k] - m[k, k]), s["support"] - best))
    return out


def ec57_items(y_true, y_pred, records, class_names):
    """ec57() from per-item true / predicted class indices and the record
    of each item."""
    by = {}
    for t, p, r in zip(y_true, y_pred, records):
        by.setdefault(r, []).append((int(t), int(p)))
    n = len(class_names)
    recs = []
    for r in sorted(by, key=str):
        m = np.zeros((n, n), dtype=np.int64)
        for t, p in by[r]:
            m[t, p] += 1
        recs.append((r, m))
    return ec57(recs, class_names)


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
    ec57_self_test()


def ec57_self_test():
    """The hand-computed cases of tests/unit/test_metrics.c (EC57)."""
    near = lambda a, b: abs(a - b) < 1e-12  # noqa: E731
    cm = [[50, 2, 3, 0, 0], [4, 6, 0, 0, 0], [1, 0, 18, 1, 0], [2, 0, 5, 3, 0],
          [0, 0, 0, 0, 0]]
    e = ec57([("all", cm)], list(AAMI))
    v = e["classes"]["V"]
    assert e["f_as_v_rule"] and (v["tp"], v["fn"], v["fp"], v["tn"]) == (18, 2, 3, 67), v
    assert near(v["ppv"], 18 / 21) and near(v["fpr"], 3 / 70) and near(v["sp"], 67 / 70)
    k = 3540 / 5250
    assert near(e["kappa"], k) and near(kappa(cm), k)
    assert near(e["jk"], k / 2 + (0.6 + 0.9 + 0.75 + 18 / 21) / 8)
    assert math.isnan(e["classes"]["Q"]["se"]) and e["s_se_without"] is None
    e4 = ec57([("all", np.asarray(cm)[:3, :3])], ["N", "S", "V"])   # no F: no rule
    assert not e4["f_as_v_rule"] and e4["classes"]["F"] is None
    assert near(kappa([[40, 10], [40, 10]]), 0.0) and near(kappa([[3, 0], [0, 2]]), 1.0)
    assert math.isnan(kappa([[7, 0], [0, 0]])) and math.isnan(kappa([[0]]))
    r0 = [[10, 0, 0, 0, 0], [1, 1, 0, 0, 0], [0, 0, 2, 0, 0], [0, 0, 1, 0, 0], [0] * 5]
    r1 = [[20, 2, 1, 0, 0], [6, 4, 0, 0, 0]] + [[0] * 5] * 3
    r2 = [[5, 0, 0, 0, 0]] + [[0] * 5] * 4
    e = ec57([("r0", r0), ("r1", r1), ("r2", r2)], list(AAMI))
    s, v = e["classes"]["S"], e["classes"]["V"]
    assert near(s["se"], 5 / 12) and near(s["per_record"]["se"], 0.45)
    assert s["per_record"]["se_records"] == 2 and near(s["per_record"]["ppv"], 5 / 6)
    assert near(s["per_record"]["fpr"], 2 / 23 / 3) and s["per_record"]["fpr_records"] == 3
    assert near(v["ppv"], 2 / 3) and near(v["per_record"]["ppv"], 0.5)
    assert v["per_record"]["se_records"] == 1 and v["per_record"]["ppv_records"] == 2
    assert e["s_se_without"] == dict(record="r1", s_beats=10, se=0.5), e["s_se_without"]
    # per-item grouping gives the same (compared as text: NaN != NaN)
    y, p, rec = [], [], []
    for name, m in (("r0", r0), ("r1", r1), ("r2", r2)):
        for t in range(5):
            for q in range(5):
                y += [t] * m[t][q]
                p += [q] * m[t][q]
                rec += [name] * m[t][q]
    assert repr(ec57_items(y, p, rec, list(AAMI))) == repr(e)


if __name__ == "__main__":
    self_test()
    print("metrics self-test ok")
