# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Tables, plots and shipped models from a `make results` run.

write_all(summary, out, publish) writes OUT/results.md and OUT/plots/*.png;
with publish it also copies them to Documentation/results.md and
Documentation/results/, and writes the shipped models (models/*.bnn) with
their model cards (models/README.md). Every accuracy here comes from
bnn-run's predictions on the emu backend (run.py).

  /usr/bin/python3 tools/results/report.py build/results   # re-render only
"""
import json
import math
import os
import shutil
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

VARIANT_NAME = {"fp": "full precision", "bin-clf": "binarized classifier",
                "bin-full": "fully binarized"}
TASK_NAME = {"eeg2": "EEG seizure detection (S vs Z+O+N+F)",
             "eeg3": "EEG three classes (Z+O / N+F / S)"}
PU = dict(acc=96.90, bytes=3.76 * 1000, what="Pu et al. 2023: 96.90 % at 3.76 KB, MIT-BIH "
          "5 classes, 10-s segments split at random (intra-patient)")
MOMMEN = dict(acc=94.28, what="Mommen et al.: 94.28 %, MIT-BIH inter-patient, 4 classes")
# Published inter-patient beat classification on the same protocol (de
# Chazal 2004's DS1 -> DS2, paced records out, AAMI classes; S and V as
# Se / +P in %, as the papers print them). size: the classifier's
# parameters where the paper makes them clear, else None ("-").
INTER_ANCHORS = (
    dict(work="de Chazal et al. 2004", model="linear discriminants",
         size="~10^2 coefficients", acc="86.2", s=("75.9", "38.5"), v=("77.7", "81.9")),
    dict(work="Llamedo & Martinez 2011", model="linear discriminant", size=None,
         acc="93", s=("77", "39"), v=("81", "87")),
    dict(work="Zhang et al. 2014", model="SVMs", size=None, acc="86.7",
         s=("79.1", "36.0"), v=("85.5", "92.7")),
    dict(work="Niu et al. 2020", model="CNN", size=None, acc="96.4",
         s=("76.5", "76.6"), v=("85.7", "94.1")),
    dict(work="Mondejar-Guerra et al. 2019", model="SVM ensemble", size=None,
         acc="94.5", s=None, v=None),
    dict(work="Mommen et al.", model=None, size=None, acc="94.28", s=None, v=None,
         note="4 classes: N S V F"),
)
# Figures that are not inter-patient beat classification: not comparable
# with the table above.
OTHER_PROTOCOLS = (
    dict(work="Pu et al. 2023", reported="96.90 % accuracy at 3.76 KB, 5 classes",
         protocol="10-s segments split at random: beats of one patient on both sides"),
    dict(work="Mousavi & Afghah 2019", reported="their \"inter-patient\" figures",
         protocol="labels of DS2 leak into training, so DS2 is not unseen"),
)


def clean(o):
    if isinstance(o, dict):
        return {str(k): clean(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [clean(v) for v in o]
    if isinstance(o, float) and (math.isnan(o) or math.isinf(o)):
        return None
    return o


def pct(v, nd=2):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else \
        "%.*f" % (nd, 100 * v)


def kbit(bits):
    return "%.1f" % (bits / 1000.0)


def mean(xs):
    xs = [x for x in xs if x is not None and not (isinstance(x, float) and math.isnan(x))]
    return sum(xs) / len(xs) if xs else float("nan")


def spread(xs, nd=2):
    """mean, and [min-max] when there are several values."""
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    if not xs:
        return "-"
    if len(xs) == 1:
        return pct(xs[0], nd)
    return "%s [%s-%s]" % (pct(mean(xs), nd), pct(min(xs), nd), pct(max(xs), nd))


def se(m, c):
    return m["per_class"][c]["se"]


def ppv(m, c):
    return m["per_class"][c]["ppv"]


def pooled(ms, classes):
    import metrics
    cm = None
    for m in ms:
        c = m["confusion"]
        cm = [row[:] for row in c] if cm is None else \
            [[a + b for a, b in zip(r1, r2)] for r1, r2 in zip(cm, c)]
    return metrics.from_confusion(cm, classes)


def group(models, kind=None, task=None, flip=0.0):
    """{(variant, width): [result, ...]} of the matching runs."""
    g = {}
    for r in models.values():
        j = r["job"]
        if kind and j["kind"] != kind:
            continue
        if task and j["task"] != task:
            continue
        if (j.get("flip") or 0.0) != flip:
            continue
        g.setdefault((j["variant"], j["width"]), []).append(r)
    order = {"fp": 0, "bin-clf": 1, "bin-full": 2}
    return dict(sorted(g.items(), key=lambda kv: (order[kv[0][0]], kv[0][1])))


def mem_cell(r):
    m = r["bnn_run_model"]["memory_bits"]
    return kbit(m["total"]), kbit(m["host"]), kbit(m["card"])


# ---------------------------------------------------------------------------
# Tables
# ---------------------------------------------------------------------------

def table(head, rows):
    out = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    out += ["| " + " | ".join(str(c) for c in r) + " |" for r in rows]
    return "\n".join(out)


def ecg_table(models, kind):
    rows = []
    for (v, w), rs in group(models, kind=kind).items():
        t, h, c = mem_cell(rs[0])
        acc = [r["ideal"]["metrics"]["accuracy"] for r in rs]
        card = [r["card"]["metrics"]["accuracy"] for r in rs]
        f1 = [r["ideal"]["metrics"]["macro_f1"] for r in rs]
        mi = [r["ideal"]["metrics"] for r in rs]
        rows.append([VARIANT_NAME[v], w, t, h, c, spread(acc), spread(card), spread(f1),
                     spread([se(m, "N") for m in mi], 1),
                     spread([se(m, "S") for m in mi], 1), spread([ppv(m, "S") for m in mi], 1),
                     spread([se(m, "V") for m in mi], 1), spread([ppv(m, "V") for m in mi], 1),
                     len(rs)])
    return table(["variant", "width", "memory kbit", "host kbit", "card kbit",
                  "accuracy %", "on card with errors %", "macro F1 x100", "N Se", "S Se",
                  "S +P", "V Se", "V +P", "seeds"], rows)


def ec57_of(r, tag="ideal"):
    """The EC57 statistics of a run: run.py's (from the per-item
    predictions, grouped by record) or, for results made before it kept
    them, the gross ones from the confusion matrix (no per-record
    figures)."""
    e = r[tag].get("ec57")
    if e:
        return e
    import metrics
    e = metrics.ec57([("all", r[tag]["metrics"]["confusion"])], r["classes"])
    for c in e["classes"].values():
        if c:
            c["per_record"] = None
    e["records"] = None
    return e


def _ec(e, c, key, rec=False):
    x = e["classes"].get(c)
    if not x:
        return None
    if rec:
        return x["per_record"][key] if x.get("per_record") else None
    return x[key]


def num(v, nd=3):
    return "-" if v is None or (isinstance(v, float) and math.isnan(v)) else "%.*f" % (nd, v)


def spread_num(xs, nd=3):
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    if not xs:
        return "-"
    if len(xs) == 1:
        return num(xs[0], nd)
    return "%s [%s-%s]" % (num(mean(xs), nd), num(min(xs), nd), num(max(xs), nd))


def s_left_out(es):
    """The record the 'S Se without' column leaves out (232 on DS2), if
    the runs agree on it."""
    recs = {e["s_se_without"]["record"] for e in es if e.get("s_se_without")}
    return recs.pop() if len(recs) == 1 else None


def ec57_table(models, kind="ecg-inter"):
    """EC57 statistics per (variant, width), mean [min-max] over seeds."""
    rows = []
    allv = []
    for (v, w), rs in group(models, kind=kind).items():
        es = [ec57_of(r) for r in rs]
        allv += es
        rows.append((v, w, rs, es))
    rec = s_left_out(allv)
    out = []
    for v, w, rs, es in rows:
        t = mem_cell(rs[0])[0]

        def col(c, key, rec=False):
            return spread([_ec(e, c, key, rec) for e in es], 1)
        out.append([VARIANT_NAME[v], w, t, col("S", "se"), col("S", "ppv"), col("S", "fpr"),
                    col("V", "se"), col("V", "ppv"), col("V", "fpr"), col("F", "se"),
                    col("S", "se", True), col("S", "ppv", True), col("V", "se", True),
                    col("V", "ppv", True),
                    spread_num([e["kappa"] for e in es]), spread_num([e["jk"] for e in es]),
                    spread([(e.get("s_se_without") or {}).get("se") for e in es], 1)])
    return table(["variant", "width", "memory kbit", "S Se", "S +P", "S FPR", "V Se", "V +P",
                  "V FPR", "F Se", "S Se rec.", "S +P rec.", "V Se rec.", "V +P rec.", "kappa",
                  "jk", "S Se without %s" % (rec or "the top S record")], out)


def eeg_table(models, task):
    rows = []
    for (v, w), rs in group(models, kind="eeg", task=task).items():
        classes = rs[0]["classes"]
        t, h, c = mem_cell(rs[0])
        pi = pooled([r["ideal"]["metrics"] for r in rs], classes)
        pc = pooled([r["card"]["metrics"] for r in rs], classes)
        folds = [r["ideal"]["metrics"]["accuracy"] for r in rs]
        sd = math.sqrt(mean([(x - mean(folds)) ** 2 for x in folds])) if folds else 0
        extra = ([pct(se(pi, classes[-1]), 1), pct(ppv(pi, classes[-1]), 1)]
                 if task == "eeg2" else [pct(se(pi, k), 1) for k in classes])
        rows.append([VARIANT_NAME[v], w, t, h, c, pct(pi["accuracy"]),
                     "%s +- %s" % (pct(mean(folds)), pct(sd)), pct(pc["accuracy"]),
                     pct(pi["macro_f1"])] + extra + [len(rs)])
    cls = (["seizure Se", "seizure +P"] if task == "eeg2" else
           ["Se " + k.split(" ")[0] for k in ("healthy", "interictal", "ictal")])
    return table(["variant", "width", "memory kbit", "host kbit", "card kbit",
                  "accuracy % (pooled)", "per fold mean +- sd", "on card with errors %",
                  "macro F1 x100"] + cls + ["folds"], rows)


def agreement_table(models):
    rows = []
    worst = 1.0
    for name in sorted(models):
        r = models[name]
        a = r["ideal"]["agree_torch"]
        worst = min(worst, a)
        rows.append([name, r["ideal"]["items"], pct(a, 3), "PASS" if r["export_check"] else
                     "FAIL"])
    return worst, table(["model", "test items", "bnn-run (emu) = PyTorch class %",
                         "export check"], rows)


# ---------------------------------------------------------------------------
# Robustness
# ---------------------------------------------------------------------------

def series(rob, sweep):
    """{series: {x: [accuracy, ...]}} of one sweep."""
    s = {}
    for r in rob:
        if r["sweep"] != sweep:
            continue
        s.setdefault(r["series"], {}).setdefault(r["x"], []).append(r["metrics"]["accuracy"])
    return s


def sweep_table(rob, sweep, xname, xfmt):
    s = series(rob, sweep)
    xs = sorted({x for d in s.values() for x in d})
    rows = [[k] + [pct(mean(d[x])) if x in d else "-" for x in xs] for k, d in s.items()]
    return table([xname] + [xfmt(x) for x in xs], rows)


def fmt_ber(x):
    return "0" if x == 0 else "%g" % x


def fmt_age(x):
    if x == 0:
        return "0"
    for unit, sec in (("years", 3.156e7), ("days", 86400), ("hours", 3600)):
        if x >= sec:
            return "%g %s" % (round(x / sec, 1), unit)
    return "%g s" % x


# ---------------------------------------------------------------------------
# Plots
# ---------------------------------------------------------------------------

def plots(summary, pdir):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(pdir, exist_ok=True)
    models, rob = summary["models"], summary["robustness"]
    made = []
    marks = {"fp": "s", "bin-clf": "^", "bin-full": "o"}

    panels = [("ecg-inter", None, "ECG, inter-patient (DS2)"),
              ("ecg-intra", None, "ECG, intra-patient (random beats)"),
              ("eeg", "eeg2", "EEG seizure detection"), ("eeg", "eeg3", "EEG three classes")]
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    for ax, (kind, task, title) in zip(axes.flat, panels):
        for v in ("fp", "bin-clf", "bin-full"):
            pts = []
            for (vv, w), rs in group(models, kind=kind, task=task).items():
                if vv != v:
                    continue
                if kind == "eeg":
                    acc = pooled([r["ideal"]["metrics"] for r in rs], rs[0]["classes"])["accuracy"]
                else:
                    acc = mean([r["ideal"]["metrics"]["accuracy"] for r in rs])
                pts.append((rs[0]["bnn_run_model"]["memory_bits"]["total"] / 1000.0, 100 * acc, w))
            if pts:
                pts.sort()
                ax.plot([p[0] for p in pts], [p[1] for p in pts], marker=marks[v],
                        label=VARIANT_NAME[v])
                for x, y, w in pts:
                    ax.annotate("w%d" % w, (x, y), textcoords="offset points", xytext=(4, -10),
                                fontsize=7)
        if kind == "ecg-intra":
            ax.plot([PU["bytes"] * 8 / 1000], [PU["acc"]], "k*", label="Pu et al. 2023")
        ax.set_xscale("log")
        ax.set_xlabel("memory (kbit, log scale)")
        ax.set_ylabel("accuracy (%)")
        ax.set_title(title)
        ax.grid(True, which="both", alpha=0.3)
        if ax.get_legend_handles_labels()[0]:
            ax.legend(fontsize=8)
    fig.suptitle("Memory against accuracy (bnn-run, emulated card, ideal array)")
    fig.tight_layout()
    fig.savefig(os.path.join(pdir, "memory-accuracy.png"), dpi=110)
    plt.close(fig)
    made.append("memory-accuracy.png")

    s = series(rob, "ber")
    if s:
        fig, ax = plt.subplots(figsize=(8, 5))
        floor = 3e-7
        for k, d in s.items():
            xs = sorted(d)
            ax.plot([x if x > 0 else floor for x in xs], [100 * mean(d[x]) for x in xs],
                    marker="o", label=k)
        ax.set_xscale("log")
        ax.set_xlabel("read bit error rate per cell read (leftmost point: 0)")
        ax.set_ylabel("accuracy (%)")
        ax.set_title("Accuracy against the card's bit error rate")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(pdir, "ber.png"), dpi=110)
        plt.close(fig)
        made.append("ber.png")

    for sweep, xl, fn, logx in (("cells", "programming current (uA)", "cells.png", True),
                                ("age", "time since programming (s, leftmost: 0)", "age.png",
                                 True),
                                ("wear", "program cycles already endured (leftmost: 0)",
                                 "wear.png", True)):
        s = series(rob, sweep)
        if not s:
            continue
        fig, ax = plt.subplots(figsize=(8, 5))
        for k, d in s.items():
            xs = sorted(d)
            lo = min([x for x in xs if x > 0] or [1]) / 10
            ax.plot([x if x > 0 else lo for x in xs], [100 * mean(d[x]) for x in xs],
                    marker="o", label=k)
        if logx:
            ax.set_xscale("log")
        ax.set_xlabel(xl)
        ax.set_ylabel("accuracy (%)")
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
        fig.tight_layout()
        fig.savefig(os.path.join(pdir, fn), dpi=110)
        plt.close(fig)
        made.append(fn)
    return made


# ---------------------------------------------------------------------------
# Shipped models
# ---------------------------------------------------------------------------

# (task, kind, variant, file, size class in card kbit or None: the width
# chosen on validation data)
SHIP = (("ecg", "ecg-inter", "bin-full", "ecg-bin-full.bnn", None),
        ("ecg", "ecg-inter", "bin-full", "ecg-bin-full-16k.bnn", 16),
        ("ecg", "ecg-inter", "bin-full", "ecg-bin-full-64k.bnn", 64),
        ("ecg", "ecg-inter", "bin-clf", "ecg-bin-clf.bnn", None),
        ("ecg", "ecg-inter-2lead", "bin-full", "ecg2-bin-full.bnn", None),
        ("ecg", "ecg-inter-2lead", "bin-clf", "ecg2-bin-clf.bnn", None),
        ("eeg2", "eeg", "bin-full", "eeg-seizure-bin-full.bnn", None),
        ("eeg2", "eeg", "bin-clf", "eeg-seizure-bin-clf.bnn", None),
        ("eeg3", "eeg", "bin-full", "eeg-3class-bin-full.bnn", None),
        ("eeg3", "eeg", "bin-clf", "eeg-3class-bin-clf.bnn", None))


def val_score(rs):
    """Validation score of a (variant, width): the mean over seeds (ECG,
    DS1 patient-wise validation) or folds (EEG, the held-out training
    segments) of the selection score (macro F1). Test data never enter."""
    v = []
    for r in rs:
        if r.get("val_select") is not None:
            v.append(r["val_select"])
    return mean(v)


def choose(models, task, kind, variant, cap_kbit=None):
    """The smallest width whose validation score is within 0.01 of the
    best; among its runs, seed 1 / fold 0. cap_kbit: the size class
    "about cap_kbit": the largest width whose card memory is at most that
    many kbit."""
    cands = [(w, rs) for (v, w), rs in group(models, kind=kind, task=task).items()
             if v == variant]
    if cap_kbit is not None:
        cands = [(w, rs) for w, rs in cands
                 if rs[0]["bnn_run_model"]["memory_bits"]["card"] <= cap_kbit * 1000]
        if not cands:
            return None, None
        w, rs = max(cands, key=lambda c: c[0])
        rs = sorted(rs, key=lambda r: (r["job"]["seed"], r["job"].get("fold") or 0))
        return rs[0], rs
    if not cands:
        return None, None
    best = max(val_score(rs) for _, rs in cands)
    for w, rs in sorted(cands):
        if val_score(rs) >= best - 0.01:
            rs = sorted(rs, key=lambda r: (r["job"]["seed"], r["job"].get("fold") or 0))
            return rs[0], rs
    return None, None


def confusion_lines(m, classes):
    """The confusion matrix as one table row (rows: true class, columns:
    predicted), kept inside the model card's table."""
    rows = ["%s: %s" % (c, " ".join(str(v) for v in r)) for c, r in zip(classes, m["confusion"])]
    return ["| confusion (rows true, columns predicted %s) | %s |" % (
        " ".join(classes), "<br>".join(rows))]


# The terms of the data each model was trained on (../shared/data/*/README.md).
DATA_LICENCE = {
    "ecg": "MIT-BIH Arrhythmia Database (PhysioNet), Open Data Commons Attribution License "
           "v1.0; cite Moody & Mark 2001 and Goldberger et al. 2000",
    "eeg": "Bonn University epilepsy EEG data (Andrzejak et al. 2001, Phys. Rev. E 64:061907), "
           "freely downloadable for research since 2001, now from R. G. Andrzejak (Universitat "
           "Pompeu Fabra); no formal licence and no redistribution terms are stated: research "
           "use, cite the paper",
}


def model_cards(summary, out_models):
    models = summary["models"]
    cards = []
    shipped = []
    for task, kind, variant, fname, cap in SHIP:
        r, rs = choose(models, task, kind, variant, cap)
        if r is None:
            continue
        j = r["job"]
        src = os.path.join(summary["out"], "models", j["name"], "model.bnn")
        if out_models:
            shutil.copyfile(src, os.path.join(out_models, fname))
        shipped.append(fname)
        mb = r["bnn_run_model"]["memory_bits"]
        classes = r["classes"]
        if kind == "eeg":
            pi = pooled([x["ideal"]["metrics"] for x in rs], classes)
            pc = pooled([x["card"]["metrics"] for x in rs], classes)
            proto = ("segment-wise %d-fold cross-validation over whole Bonn segments "
                     "(stratified by set, split before windowing); this file is the fold-%d "
                     "model; metrics pooled over the %d folds" %
                     (summary["study"]["eeg_folds"], j["fold"], len(rs)))
            ev = ("tail -n +2 DIR/test_items.tsv | cut -f2,3 | sort -u | tr '\\t' / | "
                  "sed 's|^|../shared/data/bonn_eeg/|' | xargs build/tools/bnn-run -m models/%s"
                  % fname)
        else:
            pi = pooled([r["ideal"]["metrics"]], classes)
            pc = pooled([r["card"]["metrics"]], classes)
            proto = ("inter-patient (de Chazal et al. 2004): trained on DS1 with patient-wise "
                     "validation inside DS1, evaluated once on DS2; paced records excluded")
            ev = "build/tools/bnn-run -m models/%s --resample DS2" % fname
            if kind == "ecg-inter-2lead":
                proto += ("; records without V1 left out, not fed from another lead (DS1 114, "
                          "124; DS2 100, 103, 117, 123: the figures cover DS2's other 18 "
                          "records)")
                ev += "    # 18 records; skips the 4 without V1, exit status 11"
        task_name = TASK_NAME.get(task, "ECG beats, AAMI classes N S V F Q, MIT-BIH lead MLII")
        if kind == "ecg-inter-2lead":
            task_name = ("ECG beats, AAMI classes N S V F Q, MIT-BIH leads MLII and V1 (two "
                         "channels, each preprocessed on its own)")
        lines = ["## `%s`" % fname, "",
                 "| | |", "|---|---|",
                 "| task | %s |" % task_name,
                 "| network | %s, width %d (`tools/train/models.py`) |" % (
                     VARIANT_NAME[variant], j["width"]),
                 "| classes | %s |" % ", ".join(classes),
                 "| protocol | %s |" % proto,
                 "| accuracy (bnn-run, emu, ideal array) | %s %% |" % pct(pi["accuracy"]),
                 "| accuracy on the emulated card with its error model (2T2R, 100 uA, "
                 "verify) | %s %% |" % pct(pc["accuracy"]),
                 "| macro F1 | %s |" % ("%.3f" % pi["macro_f1"])]
        for c in classes:
            lines.append("| %s | Se %s %%, +P %s %% |" % (c, pct(se(pi, c), 1),
                                                           pct(ppv(pi, c), 1)))
        lines += confusion_lines(pi, classes)
        lines += ["| memory | %s kbit: card %d bits (binary weights %d, thresholds %d), host %d "
                  "bits |" % (kbit(mb["total"]), mb["card"], mb["card_weights"],
                              mb["card_thresholds"], mb["host"]),
                  "| selection | width chosen on validation data only (smallest width within "
                  "0.01 macro F1 of the best) |"]
        co = r.get("class_offsets")
        if co:
            ch = co["chosen"]
            lines.append("| class offsets | %s added to the integer class scores before the "
                         "argmax (`.bnn` version 5); chosen on the pooled held-out scores of "
                         "DS1 patient-wise %d-fold CV (max S Se + S +P + V Se + V +P: there "
                         "S %s / %s %%, V %s / %s %%; DS2 not read) |" % (
                             ", ".join("%s %+d" % (c, v) for c, v in co["offsets"].items() if v)
                             or "none (0 chosen)", j["cv_offsets"],
                             pct(ch["S_se"], 1), pct(ch["S_ppv"], 1),
                             pct(ch["V_se"], 1), pct(ch["V_ppv"], 1)))
        lines += [
                  "| exported model = PyTorch | %s %% of the test items get the same class |"
                  % pct(r["ideal"]["agree_torch"], 3),
                  "| intended use | research and engineering of in-memory BNN inference on "
                  "medical signals (this card, its driver and library); a reference for "
                  "what a model of this size reaches on a public benchmark |",
                  "| limitations | **not a medical device and not for diagnosis**. %s Not "
                  "validated on other databases, leads, sampling rates, devices, paediatric "
                  "or paced patients, or prospectively; the numbers above are one public "
                  "benchmark's |" % (
                      "Validated only on MIT-BIH (48 half-hour two-lead Holter records of 47 "
                      "patients from 1975-79), inter-patient; beats from the reference "
                      "annotations (with `--beats detect` the classification applies to "
                      "the matched beats)." if task == "ecg" else
                      "Validated only on the Bonn set (single-channel 23.6-s segments, "
                      "5 patients' surface and 5 patients' intracranial EEG), segment-wise "
                      "cross-validation, which does not separate patients."),
                  "| data licence | %s |" % DATA_LICENCE["ecg" if task == "ecg" else "eeg"],
                  "", "Reproduce:", "", "```sh",
                  "scripts/deps.sh train && make build/tools/bnn-extract build/tools/bnn-run "
                  "libbnn",
                  ] + ([
                  "/usr/bin/python3 tools/train/train.py %s --cv-folds %d --out DIR/cv" % (
                      " ".join(j["args"]), j["cv_offsets"]),
                  "/usr/bin/python3 tools/train/offsets.py DIR/cv",
                  "/usr/bin/python3 tools/train/train.py %s --class-offsets-file "
                  "DIR/cv/offsets.json --out DIR" % " ".join(j["args"])] if co else [
                  "/usr/bin/python3 tools/train/train.py %s --out DIR" % " ".join(j["args"])]) + [
                  "/usr/bin/python3 tools/train/export.py DIR --bnn models/%s --libbnn "
                  "build/libbnn.so --name %s" % (fname, j["name"]),
                  ev, "```", ""]
        cards.append("\n".join(lines))
    return shipped, cards


# ---------------------------------------------------------------------------

def _pair(p):
    return p if p else ("-", "-")


def anchors_inter(models):
    """Published inter-patient anchors and our shipped ECG models on the
    same protocol, side by side (one table)."""
    rows = []
    for a in INTER_ANCHORS:
        s, v = _pair(a["s"]), _pair(a["v"])
        rows.append([a["work"] + (" (%s)" % a["note"] if a.get("note") else ""),
                     a["model"] or "-", a["size"] or "-", a["acc"], s[0], s[1], v[0],
                     v[1], "-", "-", "-"])
    rec = None
    for task, kind, variant, fname, cap in SHIP:
        if kind not in ("ecg-inter", "ecg-inter-2lead"):
            continue
        r, _ = choose(models, task, kind, variant, cap)
        if r is None:
            continue
        e = ec57_of(r)
        rec = rec or (e.get("s_se_without") or {}).get("record")
        rows.append(["ours: `%s` (`%s`)" % (fname, r["job"]["name"]),
                     "BNN, %s%s" % (VARIANT_NAME[variant],
                                    ", MLII + V1, 18 records" if kind == "ecg-inter-2lead"
                                    else ""),
                     "%s kbit" % kbit(r["bnn_run_model"]["memory_bits"]["total"]),
                     pct(r["ideal"]["metrics"]["accuracy"], 1),
                     pct(_ec(e, "S", "se"), 1), pct(_ec(e, "S", "ppv"), 1),
                     pct(_ec(e, "V", "se"), 1), pct(_ec(e, "V", "ppv"), 1),
                     num(e["kappa"]), num(e["jk"]),
                     pct((e.get("s_se_without") or {}).get("se"), 1)])
    return table(["work", "classifier", "size", "accuracy %", "S Se", "S +P", "V Se", "V +P",
                  "kappa", "jk", "S Se without %s" % (rec or "232")], rows)


def anchors_other():
    return table(["work", "reported", "protocol: why it is not comparable"],
                 [[a["work"], a["reported"], a["protocol"]] for a in OTHER_PROTOCOLS])


def anchors(models):
    """Sentences on our models against the anchors: Pu et al. (another
    protocol, against our intra-patient models) and Mommen et al."""
    out = []
    intra = [r for r in models.values() if r["job"]["kind"] == "ecg-intra"]
    if intra:
        fits = [r for r in intra
                if r["bnn_run_model"]["memory_bits"]["total"] <= PU["bytes"] * 8]
        best = max(fits or intra, key=lambda r: r["ideal"]["metrics"]["accuracy"])
        acc = 100 * best["ideal"]["metrics"]["accuracy"]
        mem = best["bnn_run_model"]["memory_bits"]["total"]
        verdict = ("beats it" if acc > PU["acc"] and mem <= PU["bytes"] * 8 else
                   "does not beat it")
        out.append("* %s. Ours, intra-patient as well (a random split of beats, not of "
                   "segments, so not the same split either): `%s`, %.2f %% at %.2f KB "
                   "(%d bits): %s%s." % (
                       PU["what"], best["job"]["name"], acc, mem / 8000.0, mem, verdict,
                       "" if fits else " (no model of ours fits in 3.76 KB; this is the best "
                       "of any size)"))
    inter = [r for r in models.values() if r["job"]["kind"] == "ecg-inter"]
    if inter:
        def acc4(r):
            cm = r["ideal"]["metrics"]["confusion"]
            keep = [0, 1, 2, 3]  # N S V F; Q beats left out
            tot = sum(cm[i][j] for i in keep for j in range(len(cm)))
            return sum(cm[i][i] for i in keep) / tot
        best = max(inter, key=acc4)
        a4 = 100 * acc4(best)
        mem = best["bnn_run_model"]["memory_bits"]["total"]
        out.append("* %s. Ours, inter-patient DS2 with our 5-class models, accuracy over the "
                   "N, S, V, F beats (Q beats left out): best `%s`, %.2f %% at %s kbit: %s." % (
                       MOMMEN["what"], best["job"]["name"], a4, kbit(mem),
                       "beats it" if a4 > MOMMEN["acc"] else "does not reach it"))
    return out


def write_all(summary, out, publish):
    import report_text
    summary["out"] = out
    pdir = os.path.join(out, "plots")
    made = plots(summary, pdir)
    shipped, cards = model_cards(summary, None)
    text = report_text.render(summary, made, shipped)
    with open(os.path.join(out, "results.md"), "w") as f:
        f.write(text)
    if not publish:
        return
    doc = os.path.join(REPO, "Documentation")
    ddir = os.path.join(doc, "results")
    # the plots are replaced; the sections beside them (ecg-recipe.md,
    # ecg-rhythm.md, ...: hand-written or from their own runs) stay
    os.makedirs(ddir, exist_ok=True)
    for fn in os.listdir(ddir):
        if fn.endswith(".png"):
            os.remove(os.path.join(ddir, fn))
    for fn in os.listdir(pdir):
        shutil.copyfile(os.path.join(pdir, fn), os.path.join(ddir, fn))
    with open(os.path.join(doc, "results.md"), "w") as f:
        f.write(text)
    mdir = os.path.join(REPO, "models")
    for fn in os.listdir(mdir):
        if fn.endswith(".bnn"):
            os.remove(os.path.join(mdir, fn))
    shipped, cards = model_cards(summary, mdir)
    with open(os.path.join(mdir, "README.md"), "w") as f:
        f.write(report_text.models_readme(summary, cards))


if __name__ == "__main__":
    args = [x for x in sys.argv[1:] if x != "--publish"]
    if len(args) != 1:
        sys.exit("usage: report.py RESULTS-DIR [--publish]\n"
                 "  re-renders RESULTS-DIR/results.md and plots from its results.json;\n"
                 "  --publish also writes Documentation/results* and models/ (a full run only)")
    with open(os.path.join(args[0], "results.json")) as f:
        s = json.load(f)
    sys.path.insert(0, os.path.join(REPO, "tools", "train"))
    pub = "--publish" in sys.argv[1:]
    if pub and s["config"] != "full":
        sys.exit("report.py: refusing to publish a %s run" % s["config"])
    write_all(s, args[0], publish=pub)
    print("wrote %s/results.md%s" % (args[0], " and published it" if pub else ""))
