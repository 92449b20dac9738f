# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""bnn-run's classification statistics for Python: the "metrics" object of
`bnn-run --json` (accuracy, macro F1, confusion matrix, per-class Se / +P /
Sp / FPR / F1, AAMI SVEB / VEB, and AAMI EC57 gross and per-record Se / +P
/ FPR with the F-as-V rule, Cohen's kappa, j-index, S Se without the record
with the most S beats) from confusion matrices.

The numbers come from bnn-run's own C (tools/bnn-run/metrics.c, ec57.c,
compiled into bnn._ec57), not from a second implementation; undefined
rates are None (JSON null).  Rows of a matrix are the true class, columns
the predicted one, in the model's class order.

    rep = bnn.metrics.report(classes, total_cm, [("100", cm100), ...])
    rep["ec57"]["classes"]["V"]["se"], rep["ec57"]["kappa"]
"""
import math
import os

from . import _bnn, _ec57

__all__ = ["AAMI", "aami_classes", "report", "split", "json_value"]

#: AAMI EC57 beat classes, libbnn's order (bnn_aami_name)
AAMI = tuple(_bnn.aami_name(c) for c in range(_bnn.BNN_AAMI_NCLASS))
_ALIASES = {"S": ("S", "SVEB"), "V": ("V", "VEB")}
_RULE = "F beats classified as V are not V false positives (left out of V +P, FPR and Sp)"


def _names_label(name, letter):
    """bnn-run's rules (tools/bnn-run/labels.c) for an AAMI label: the
    class is named it or an alias (S = SVEB, V = VEB), lists it in
    parentheses ("abnormal (S+V)"), or has it as first word ("N (normal)")."""
    al = [a.lower() for a in _ALIASES.get(letter, (letter,))]
    n = name.lower()
    if n in al:
        return 1
    o = n.find("(")
    c = n.find(")", o + 1) if o >= 0 else -1
    if c > o >= 0:
        inner = n[o + 1:c]
        for sep in "+,/ ":
            inner = inner.replace(sep, " ")
        if any(t in al for t in inner.split()):
            return 2
    k = len(n)
    for i, ch in enumerate(n):
        if ch in " (/:-_,":
            k = i
            break
    if 0 < k < len(n) and n[:k] in al:
        return 3
    return 0


def aami_classes(classes):
    """Model class index of each AAMI label N S V F Q (-1: none), bnn-run's
    rules in order (first rule, then first class, wins)."""
    out = []
    for letter in AAMI:
        best = -1
        for rule in (1, 2, 3):
            for k, name in enumerate(classes):
                if _names_label(name, letter) == rule:
                    best = k
                    break
            if best >= 0:
                break
        out.append(best)
    return out


def _nan_none(v):
    return None if isinstance(v, float) and not math.isfinite(v) else v


def _class(d, keys):
    return {k: _nan_none(d[k]) for k in keys}


_PER_CLASS = ("support", "predicted", "tp", "fp", "fn", "tn", "se", "ppv", "sp", "fpr", "f1")
_EC57 = ("support", "predicted", "tp", "fp", "fn", "tn", "se", "ppv", "fpr", "sp")


def report(classes, confusion, records=()):
    """bnn-run --json's "metrics" object (as a dict) of a run over the
    model's classes: confusion the run's K x K matrix, records (name,
    matrix) per record in the run's order (for the per-record EC57
    averages and the S record left out)."""
    classes = list(classes)
    records = list(records)
    s = _ec57.summary(confusion)
    if len(s["classes"]) != len(classes):
        raise ValueError("confusion: %d x %d for %d classes"
                         % (len(s["classes"]), len(s["classes"]), len(classes)))
    out = {"items": s["items"], "correct": s["correct"], "accuracy": _nan_none(s["accuracy"]),
           "macro_f1": _nan_none(s["macro_f1"]), "macro_f1_classes": s["macro_f1_classes"],
           "confusion": [list(map(int, row)) for row in confusion],
           "per_class": {c: _class(d, _PER_CLASS) for c, d in zip(classes, s["classes"])}}
    amap = aami_classes(classes)
    # an AAMI label counts as a class only when no other one shares it
    # (bnn-run's rep_aami_class)
    amap = [k if k >= 0 and amap.count(k) == 1 else -1 for k in amap]
    sk, vk = amap[AAMI.index("S")], amap[AAMI.index("V")]
    out["aami"] = None if sk < 0 and vk < 0 else {
        "SVEB": out["per_class"][classes[sk]] if sk >= 0 else None,
        "VEB": out["per_class"][classes[vk]] if vk >= 0 else None}
    out["ec57"] = None
    if sk >= 0 or vk >= 0:
        e = _ec57.ec57(confusion, [m for _, m in records], amap)
        cl = {}
        for name, d in zip(AAMI, e["classes"]):
            if d is None:
                cl[name] = None
                continue
            cl[name] = _class(d, _EC57)
            cl[name]["per_record"] = {
                "se": _nan_none(d["rec_se"]), "se_records": d["rec_se_n"],
                "ppv": _nan_none(d["rec_ppv"]), "ppv_records": d["rec_ppv_n"],
                "fpr": _nan_none(d["rec_fpr"]), "fpr_records": d["rec_fpr_n"]}
        out["ec57"] = {
            "beats": e["beats"], "records": len(records), "f_as_v_rule": e["f_as_v_rule"],
            "rule": _RULE if e["f_as_v_rule"] else
            "not applied (F or V is not a class of the model)",
            "classes": cl, "kappa": _nan_none(e["kappa"]), "jk": _nan_none(e["jk"]),
            "s_se_without": None if e["s_top"] < 0 or len(records) < 2 else {
                "record": records[e["s_top"]][0], "s_beats": e["s_top_beats"],
                "se": _nan_none(e["s_se_without"])}}
    return out


def split(data=None):
    """The MIT-BIH inter-patient split as bnn-run takes it: data's
    SPLITS_AAMI.txt when data (a folder) has one, else libbnn's built-in
    split (de Chazal 2004).  {"DS1": [...], "DS2": [...], "paced": [...]},
    and "file": the split file read or None."""
    path = os.path.join(data, "SPLITS_AAMI.txt") if data else None
    if path and not os.path.exists(path):
        path = None
    r = _ec57.split(path)
    if isinstance(r, tuple):
        e = _bnn.Error(r[1])
        e.code, e.status = r[0], _bnn.strerror(r[0])
        raise e
    r["file"] = path
    return r


def json_value(v):
    """v with floats as bnn-run prints them (%.10g; NaN, inf: None), for
    json.dump."""
    if isinstance(v, float):
        return float("%.10g" % v) if math.isfinite(v) else None
    if isinstance(v, dict):
        return {k: json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    return v
