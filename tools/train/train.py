#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Train and evaluate a medical BNN (ECG beats or EEG windows).

  /usr/bin/python3 tools/train/train.py --task ecg --variant bin-full --width 8
  /usr/bin/python3 tools/train/train.py --task eeg2 --variant bin-clf --width 8

Protocols
  ecg, --split inter (default): the inter-patient split of de Chazal et al.
      2004 (SPLITS_AAMI.txt; paced records excluded). Training on DS1 only,
      with a patient-wise validation subset of DS1 records for model
      selection (best epoch by validation macro F1, early stopping); DS2 is
      evaluated once, with the selected model.
      Selection score: macro F1 over the classes with >= 20 validation items.
  ecg, --split intra: "intra-patient (random beat split)": all DS1 + DS2
      beats pooled and split at random (stratified by class): 20 % test,
      10 % of the rest validation. Beats of one patient are on both sides,
      which inflates the numbers; reported only for comparison with the
      literature that uses it.
  eeg2 / eeg3 / eeg5: k-fold (default 5) over whole Bonn segments,
      stratified by set, split before windowing; inside each training fold
      10 % of the segments are held out for model selection. The per-fold
      test metrics and the pooled confusion matrix are reported.

Data come from tools/bnn-extract (libbnn's C readers), cached under
build/train-data/. Class imbalance: cross-entropy weighted by
w_c = min((n_max / n_c) ** p, cap) (p = --class-weight-power, default 0.5;
cap = --max-class-weight, default 20), computed on the training part. Optimiser: Adam, cosine learning-rate decay over the
epochs; binary layers' latent weights clipped to [-1, 1] after each step.
Everything seeded; single-threaded by default; deterministic algorithms.
"""
import argparse
import copy
import json
import math
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # keep the source tree clean
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import bnn_torch  # noqa: E402
import data  # noqa: E402
import metrics  # noqa: E402
import models  # noqa: E402


# Range of the fully binarized model's 4-bit input quantiser: +-(this
# quantile of |x|) over the training part. EEG: 0.99 spread the 16 levels
# over the seizure set's amplitudes and left Z/O/N/F (median |x| 32-46 uV
# against a 90 uV step) on 4-5 levels; 0.9 (a 25 uV step, S clipped on
# half its samples) had the best mean validation score of 0.6..0.99 over
# the 5 folds' validation segments of eeg2 and eeg3 (issue 11 item 6).
ECG_QUANT_QUANTILE = 0.99
EEG_QUANT_QUANTILE = 0.9


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description="Train/evaluate a binarized 1-D CNN on MIT-BIH beats or Bonn EEG.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--task", required=True, choices=["ecg", "eeg2", "eeg3", "eeg5"])
    p.add_argument("--variant", required=True, choices=list(models.VARIANTS))
    p.add_argument("--width", type=int, default=8, help="base channel count w")
    p.add_argument("--epochs", type=int, default=20)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--lr", type=float, default=None,
                   help="Adam learning rate (default 1e-3 fp, 3e-3 binary)")
    p.add_argument("--patience", type=int, default=0,
                   help="stop after this many epochs without validation gain (0: never)")
    p.add_argument("--select", choices=list(SELECT), default="macro_f1",
                   help="epoch choice on the validation records: macro_f1 (default; "
                        "classes with >= 20 validation items), nsv_f1 (mean F1 of N, S, "
                        "V), sv_sum (S Se + S +P + V Se + V +P), last (no choice: the "
                        "last epoch)")
    p.add_argument("--class-weight-power", type=float, default=0.5)
    p.add_argument("--max-class-weight", type=float, default=20.0,
                   help="cap on a class weight relative to the largest class")
    p.add_argument("--no-test", action="store_true",
                   help="stop after training and validation (hyper-parameter search on "
                        "training data only; the test set is not touched)")
    p.add_argument("--in-bits", type=int, default=4,
                   help="bit-serial input bits of the fully binarized model")
    p.add_argument("--stem", choices=["quant", "float"], default="quant",
                   help="bin-full first layer: k-bit input (quant) or a float conv on the host")
    p.add_argument("--quant-quantile", type=float, default=None,
                   help="bin-full input quantiser range = +-(this quantile of |x|) over the "
                        "training part (default %g for ECG, %g for EEG: chosen on the EEG "
                        "folds' validation segments, Documentation/results.md, 'Input "
                        "scaling')" % (ECG_QUANT_QUANTILE, EEG_QUANT_QUANTILE))
    p.add_argument("--threshold-bits", type=int, default=32, choices=[16, 32],
                   help="bits counted per card threshold in the memory report")
    p.add_argument("--weight-flip", type=float, default=0.0,
                   help="error-aware training: flip each binary weight with this "
                        "probability in every training forward pass (0: off)")
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--out", default=None, help="output folder (default build/train/<name>)")
    p.add_argument("--cache", default=os.path.join(data.REPO, "build", "train-data"))
    p.add_argument("--data", default=None,
                   help="use this extracted data set (bnn-extract prefix) instead of extracting")
    p.add_argument("--quiet", action="store_true")
    g = p.add_argument_group("ECG")
    g.add_argument("--split", choices=["inter", "intra"], default="inter")
    g.add_argument("--fs", type=float, default=180.0, help="beat sampling rate (Hz)")
    g.add_argument("--pre", type=int, default=90, help="samples before the R peak")
    g.add_argument("--post", type=int, default=90, help="samples from the R peak on")
    g.add_argument("--leads", default="MLII",
                   help="ECG lead(s), comma list: several (e.g. MLII,V1) make the channels "
                        "of each beat, each lead preprocessed on its own. A record without "
                        "one of them is left out and named (MIT-BIH DS1: 114 has V5, 124 V4 "
                        "in place of V1); no lead is replaced by another")
    g.add_argument("--norm", default=None, help="ECG: zscore (default), none, mv; EEG: none (default), zscore")
    g.add_argument("--baseline", choices=["none", "median"], default="none",
                   help="ECG baseline-wander removal (median filters 200 + 600 ms)")
    g.add_argument("--lowpass", type=float, default=0.0,
                   help="ECG zero-phase low-pass cut-off in Hz (0: none)")
    g.add_argument("--amp-norm", choices=["none", "qrs"], default="none",
                   help="ECG causal per-record amplitude normalisation (median QRS "
                        "amplitude of the last 32 beats)")
    g.add_argument("--ref-beats", type=int, default=0,
                   help="ECG beat reference: each beat minus the per-sample median of "
                        "the K beats before it in the record (causal; 0: none). The "
                        "network then sees how a beat differs from the patient's own "
                        "recent beats rather than the patient's beat shape")
    g.add_argument("--features", default="none",
                   help="rhythm features joined at the classifier, comma list of "
                        "pre_rr,post_rr,local_rr,long_rr,pre_local,post_pre,pre_long,"
                        "local_long,irreg (or none)")
    g.add_argument("--feature-bits", type=int, default=12,
                   help="thermometer bits per rhythm feature (thresholds at quantiles "
                        "of the training beats)")
    g.add_argument("--feature-spacing", choices=["quantile", "value"], default="quantile",
                   help="thermometer thresholds at quantiles of the training beats, or "
                        "evenly spaced in value between the 2 %% and 98 %% quantiles")
    g.add_argument("--hidden", type=int, default=0,
                   help="hidden FC width (0: the architecture's 4w)")
    g.add_argument("--q-weight", type=float, default=None,
                   help="loss weight of class Q (default: the class-weight rule; 0 "
                        "leaves Q out of the loss)")
    g.add_argument("--cv-folds", type=int, default=0,
                   help="recipe selection: patient-wise K-fold cross-validation over "
                        "the training records (DS1) instead of the test; reports the "
                        "pooled held-out metrics (the test records are not read)")
    g.add_argument("--class-offsets", default=None, metavar="SPEC",
                   help="per-class score offsets added to the exported model's integer "
                        "scores before the argmax (.bnn version 5), e.g. S=4,V=2, for the "
                        "test predictions; export.py writes them into the model")
    g.add_argument("--class-offsets-file", default=None, metavar="FILE",
                   help="the same from a JSON file with an 'offsets' object (offsets.py "
                        "writes one from --cv-folds scores)")
    g.add_argument("--morph-drop", type=float, default=0.0, metavar="P",
                   help="training only: swap the morphology bits of a fraction P of "
                        "the items for another item's (rhythm features must carry "
                        "the answer; default 0)")
    g.add_argument("--augment", action="store_true",
                   help="augmentation: amplitude scaling, baseline offset and tilt, "
                        "noise, per-record RR scaling")
    g.add_argument("--train-records", default=None,
                   help="comma list replacing DS1 (inter split), e.g. for smoke tests")
    g.add_argument("--val-records", default=None,
                   help="comma list of validation records (default: chosen from the training records)")
    g.add_argument("--test-records", default=None, help="comma list replacing DS2")
    g = p.add_argument_group("EEG")
    g.add_argument("--folds", type=int, default=5)
    g.add_argument("--fold", type=int, default=None, help="run only this fold (0-based)")
    g.add_argument("--win", type=int, default=178)
    g.add_argument("--max-per-set", type=int, default=None,
                   help="first N segments per set (smoke tests)")
    a = p.parse_args(argv)
    if a.width < 1 or a.epochs < 1 or a.batch < 2 or a.threads < 1:
        p.error("--width, --epochs, --threads must be >= 1 and --batch >= 2")
    if not 1 <= a.in_bits <= 8:
        p.error("--in-bits must be 1..8")
    if a.task != "ecg" and a.folds < 2:
        p.error("--folds must be >= 2")
    if a.fold is not None and not 0 <= a.fold < a.folds:
        p.error("--fold must be in 0..folds-1")
    if a.quant_quantile is None:
        a.quant_quantile = ECG_QUANT_QUANTILE if a.task == "ecg" else EEG_QUANT_QUANTILE
    if not 0.5 < a.quant_quantile <= 1:
        p.error("--quant-quantile must be in (0.5, 1]")
    if a.cv_folds and (a.task != "ecg" or a.split != "inter" or a.cv_folds < 2):
        p.error("--cv-folds needs --task ecg --split inter and K >= 2")
    if a.feature_bits < 1 or a.feature_bits > 64:
        p.error("--feature-bits must be 1..64")
    if not 0 <= a.ref_beats <= 64:
        p.error("--ref-beats must be 0..64")
    if not 0 <= a.weight_flip < 0.5:
        p.error("--weight-flip must be in [0, 0.5)")
    if not 0 <= a.morph_drop <= 1:
        p.error("--morph-drop must be in [0, 1]")
    if a.morph_drop and a.features == "none":
        p.error("--morph-drop needs --features")
    if a.weight_flip and a.variant == "fp":
        p.error("--weight-flip needs binary layers (variant bin-clf or bin-full)")
    if a.lr is None:
        a.lr = 1e-3 if a.variant == "fp" else 3e-3
    if a.class_offsets and a.class_offsets_file:
        p.error("--class-offsets and --class-offsets-file exclude each other")
    if a.class_offsets_file:
        with open(a.class_offsets_file) as f:
            a.class_offsets = ",".join("%s=%d" % (k, int(v)) for k, v in
                                       json.load(f)["offsets"].items() if int(v))
    try:
        parse_offsets(a.class_offsets)
    except ValueError as e:
        p.error("--class-offsets: %s" % e)
    a.lead_list = [x for x in a.leads.split(",") if x]
    if not a.lead_list or len(set(x.upper() for x in a.lead_list)) != len(a.lead_list):
        p.error("--leads wants distinct lead names, e.g. MLII or MLII,V1")
    return a


def parse_offsets(spec):
    """'S=4,V=-2' -> {'S': 4, 'V': -2} ({} for None or '')."""
    out = {}
    for part in (spec or "").split(","):
        if not part:
            continue
        k, sep, v = part.partition("=")
        if not sep or not k or k in out:
            raise ValueError("want CLASS=INT,..., got %r" % part)
        out[k] = int(v)
        if abs(out[k]) > 1 << 20:
            raise ValueError("offset %d beyond +-2^20" % out[k])
    return out


def offset_vector(spec, classes):
    """The offsets of spec as one integer per class (0 where not named)."""
    d = parse_offsets(spec)
    bad = [k for k in d if k not in classes]
    if bad:
        raise ValueError("class offsets for unknown classes %s" % ",".join(bad))
    return [d.get(c, 0) for c in classes]


def log(a, *msg):
    if not a.quiet:
        print(*msg, flush=True)


def setup(a):
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    torch.use_deterministic_algorithms(True)


# ---------------------------------------------------------------------------
# Data
# ---------------------------------------------------------------------------

def get_ecg(a, part="train"):
    """The beats of one part of the protocol, extracted by bnn-extract.

    Inter-patient: part "train" reads only the training records (DS1, or
    --train-records plus --val-records), part "test" only the test records
    (DS2 or --test-records), so training and model selection never open a
    test record's files (tests/train-smoke-tap.sh checks this by running
    without the DS2 files); "test" is read once, after selection.
    Intra-patient (part "all"): every DS1 and DS2 record, pooled."""
    if a.data:
        return data.load(a.data)
    norm = a.norm or "zscore"
    split_recs = lambda s: [r for r in (s or "").split(",") if r]  # noqa: E731
    if part == "all":
        recs = "ALL"
    elif part == "train":
        recs = (",".join(split_recs(a.train_records) + split_recs(a.val_records))
                if a.train_records else "DS1")
    elif part == "test":
        recs = a.test_records or "DS2"
    else:
        raise ValueError("part must be train, test or all")
    args = ["mitdb", "-r", recs, "--fs", repr(a.fs), "--pre", str(a.pre),
            "--post", str(a.post), "--norm", norm]
    if a.lead_list != ["MLII"]:
        # several leads: a record that lacks one is left out (named in
        # the data set's "skipped"), never fed from another lead
        args += ["--lead", ",".join(a.lead_list), "--missing-lead", "skip"]
    if a.baseline != "none" or a.lowpass or a.amp_norm != "none":
        args += ["--baseline", a.baseline, "--lowpass", repr(a.lowpass),
                 "--amp-norm", a.amp_norm]
    if a.ref_beats:
        args += ["--ref-beats", str(a.ref_beats)]
    ds = data.load(data.extract(args, a.cache, "mitdb"))
    left = ds.meta.get("skipped") or []
    if left:
        log(a, "records left out (no %s): %s" % (
            " or ".join(a.lead_list[1:] or a.lead_list),
            "; ".join("%s: %s" % (r["name"], r["reason"]) for r in left)))
    if part == "train" and a.split == "inter" and (ds.cols["set"] == "DS2").any():
        sys.exit("train: error: the training records include DS2 records (%s): the "
                 "inter-patient protocol trains and selects on DS1 only" %
                 ",".join(sorted(set(ds.cols["record"][ds.cols["set"] == "DS2"].tolist()))))
    return ds


def feature_columns(a, ds):
    """Indices into ds.rhythm (the C library's feature order, bnn.h
    bnn_feature_kind) of the --features names; [] for none."""
    if a.features in ("", "none"):
        return []
    names = list(ds.meta.get("features") or [])
    want = [f for f in a.features.split(",") if f]
    bad = [f for f in want if f not in names]
    if bad:
        sys.exit("train: error: unknown rhythm feature(s) %s (known: %s)" %
                 (",".join(bad), ",".join(names)))
    if len(set(want)) != len(want):
        sys.exit("train: error: a rhythm feature is listed twice")
    return [names.index(f) for f in want]


def feature_thresholds(values, bits, spacing="quantile"):
    """Thermometer thresholds of one feature, as float32, strictly
    increasing (ties merged, so a feature may get fewer): "quantile",
    `bits` quantiles of the training values (2 % .. 98 %); "value", `bits`
    values evenly spaced between those two quantiles, so the tails (a
    premature beat's short RR ratio) get as many bits as the bulk of normal
    beats."""
    v = values[np.isfinite(values)]
    if not len(v):
        sys.exit("train: error: a rhythm feature has no finite training value")
    if spacing == "value":
        lo, hi = np.quantile(v.astype(np.float64), [0.02, 0.98])
        q = np.linspace(lo, hi, bits)
    else:
        q = np.quantile(v.astype(np.float64), np.linspace(0.02, 0.98, bits))
    return [float(t) for t in np.unique(q.astype(np.float32))]


def get_eeg(a):
    if a.data:
        return data.load(a.data)
    args = ["bonn", "-t", a.task, "-w", str(a.win), "--norm", a.norm or "none"]
    if a.max_per_set:
        args += ["--max-per-set", str(a.max_per_set)]
    return data.load(data.extract(args, a.cache, "bonn"))


def ecg_splits(a, ds):
    """Item indices of train / val (and test, intra-patient only) in ds."""
    rec = ds.cols["record"]
    if a.split == "intra":
        keep = np.flatnonzero(np.isin(ds.cols["set"], ["DS1", "DS2"]))
        rest, test = data.stratified_split(ds.y[keep], 0.2, a.seed)
        rest, test = keep[rest], keep[test]
        tr, va = data.stratified_split(ds.y[rest], 0.1, a.seed + 1)
        return dict(train=rest[tr], val=rest[va], test=test,
                    protocol="intra-patient (random beat split, 70/10/20 %, "
                             "DS1+DS2 pooled) - beats of one patient on both sides")
    split_recs = lambda s: [r for r in s.split(",") if r]  # noqa: E731
    train_recs = sorted(set(rec.tolist()))
    if a.val_records:
        val_recs = split_recs(a.val_records)
    else:
        val_recs = data.choose_val_records(ds, train_recs, a.seed)
    train_recs = [r for r in train_recs if r not in val_recs]
    test_recs = split_recs(a.test_records) if a.test_records else ["DS2"]
    overlap = set(train_recs + val_recs) & set(test_recs)
    if overlap:
        sys.exit("train: error: records in both training and test: %s" % sorted(overlap))
    if not train_recs or not val_recs:
        sys.exit("train: error: empty train/val record list")
    for r in val_recs:
        if not (rec == r).any():
            sys.exit("train: error: record %s not in the extracted data" % r)
    return dict(train=np.flatnonzero(np.isin(rec, train_recs)),
                val=np.flatnonzero(np.isin(rec, val_recs)),
                train_records=train_recs, val_records=val_recs, test_records=test_recs,
                protocol="inter-patient (de Chazal 2004): train %s, patient-wise "
                         "validation %s, test %s" % (
                             "DS1" if not a.train_records else ",".join(train_recs),
                             ",".join(val_recs),
                             "DS2" if not a.test_records else ",".join(test_recs)))


# ---------------------------------------------------------------------------
# Training
# ---------------------------------------------------------------------------

def class_weights(y, n_classes, power, cap):
    """w_c = min((n_max / n_c) ** power, cap), normalised so that the mean
    weight per training item is 1; 0 for classes absent from training."""
    cnt = np.bincount(y, minlength=n_classes).astype(np.float64)
    w = np.zeros(n_classes)
    present = cnt > 0
    w[present] = np.minimum((cnt[present].max() / cnt[present]) ** power, cap)
    w[present] /= (w[present] * cnt[present]).sum() / cnt[present].sum()
    return torch.tensor(w, dtype=torch.float32)


def predict(model, x, feats=None, batch=4096, offsets=None):
    """Classes of x. With offsets (one integer per class), as libbnn takes
    them: argmax of the exported model's scores plus the offsets, the
    scores being the last binary layer's integer sums (PyTorch's output
    without the training-only ScoreScale) or a float layer's output."""
    model.eval()
    scale = [m for m in model if isinstance(m, bnn_torch.ScoreScale)]
    out = []
    with torch.no_grad():
        for i in range(0, len(x), batch):
            f = None if feats is None else torch.from_numpy(feats[i:i + batch])
            s = model(torch.from_numpy(x[i:i + batch]), f)
            if offsets is not None and any(offsets):
                if scale:
                    s = torch.round(s.double() / scale[-1].log_scale.exp().double())
                s = s.double() + torch.tensor(offsets, dtype=torch.float64)[None, :]
            out.append(s.argmax(1))
    return torch.cat(out).numpy() if out else np.zeros(0, dtype=np.int64)


def init_input_layer(model, x_train, a, data_norm):
    """Input quantiser range or affine normalisation from the training data.
    Per-item z-scored data (data_norm "zscore") need no further
    normalisation: InputNorm stays the identity (libbnn's ZSCORE input
    normalisation alone reproduces the inputs)."""
    first = model[0]
    if isinstance(first, bnn_torch.InputQuant):
        r = float(np.quantile(np.abs(x_train), a.quant_quantile))
        first.set_range(r if r > 0 else 1.0)
    elif isinstance(first, bnn_torch.InputNorm) and data_norm != "zscore":
        first.set_stats(float(x_train.mean()), float(x_train.std()))


SELECT = ("macro_f1", "nsv_f1", "sv_sum", "last")


def selection_score(m, min_support=20, how="macro_f1"):
    """Model-selection score on validation data (--select). macro_f1: macro
    F1 over the classes with at least min_support validation items (a class
    with a handful of items, like Q with 0-8 beats in DS1 records, would
    only add noise). nsv_f1: the mean F1 of N, S and V among those classes.
    sv_sum: Se + +P of S and V among them (NaN counts 0), the sensitivity
    side of the j-index (metrics.jindex) without kappa. last: 0 for every
    epoch (fit keeps the last one)."""
    if how == "last":
        return 0.0
    per = {c: p for c, p in m["per_class"].items() if p["support"] >= min_support}
    if how == "sv_sum":
        z = lambda v: 0.0 if v is None or math.isnan(v) else float(v)  # noqa: E731
        return float(sum(z(per[c]["se"]) + z(per[c]["ppv"]) for c in ("S", "V") if c in per))
    if how == "nsv_f1":
        per = {c: p for c, p in per.items() if c in ("N", "S", "V")}
    if how == "nsv_f1":
        f1 = [0.0 if math.isnan(p["f1"]) else p["f1"] for p in per.values()]
    else:
        f1 = [p["f1"] for p in per.values()]
    return float(np.mean(f1)) if f1 else m["macro_f1"]


def augment_batch(a, x, f, rng, rr_scale=None):
    """Training-time augmentation (--augment) of a batch: per beat amplitude
    x U(0.85, 1.18), a baseline offset and tilt (N(0, 0.05) each, in the
    units of the beat after its normalisation) and white noise N(0, 0.02);
    per record, the absolute RR features (pre/post/local/long RR) scaled
    by that record's factor rr_scale (the ratios do not change)."""
    n, c, L = x.shape
    amp = rng.uniform(0.85, 1.18, (n, 1, 1)).astype(np.float32)
    ramp = np.linspace(-1, 1, L, dtype=np.float32)[None, None, :]
    off = rng.normal(0, 0.05, (n, c, 1)).astype(np.float32)
    tilt = rng.normal(0, 0.05, (n, c, 1)).astype(np.float32)
    noise = rng.normal(0, 0.02, x.shape).astype(np.float32)
    x = x * amp + off + tilt * ramp + noise
    if f is not None and rr_scale is not None:
        f = f.copy()
        f[:, a.abs_rr_cols] *= rr_scale[:, None]
    return x, f


def fit(a, ds, tr, va, n_classes, tag=""):
    """Train one model; select the epoch with the best validation macro F1."""
    torch.manual_seed(a.seed)
    feats = getattr(ds, "feats", None)
    spec = None
    if feats is not None:
        spec = ([int(k) for k in a.feature_kinds],
                [feature_thresholds(feats[tr, j], a.feature_bits, a.feature_spacing)
                 for j in range(feats.shape[1])])
    model = models.build(a.task, a.variant, a.width, ds.x.shape[2], n_classes,
                         in_channels=ds.x.shape[1], in_bits=a.in_bits, stem=a.stem,
                         features=spec, hidden=[a.hidden] if a.hidden else None)
    init_input_layer(model, ds.x[tr], a, ds.meta["norm"])
    if a.morph_drop:
        model.join().morph_drop = float(a.morph_drop)
    bnn_torch.set_weight_flip(model, a.weight_flip)
    opt = torch.optim.Adam(model.parameters(), lr=a.lr)
    sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=a.epochs)
    w = class_weights(ds.y[tr], n_classes, a.class_weight_power, a.max_class_weight)
    if a.q_weight is not None and "Q" in ds.classes:
        w[ds.classes.index("Q")] = float(a.q_weight)
    lossf = nn.CrossEntropyLoss(weight=w)
    yt = torch.from_numpy(ds.y[tr])
    group = ds.group[tr]
    rng = np.random.RandomState(a.seed)
    gen = torch.Generator().manual_seed(a.seed)
    best, best_state, best_epoch, stale = -1.0, None, -1, 0
    hist = []
    for ep in range(a.epochs):
        t0 = time.time()
        model.train()
        perm = torch.randperm(len(tr), generator=gen).numpy()
        rr_rec = rng.uniform(0.8, 1.25, int(ds.group.max()) + 1).astype(np.float32)
        tot, nb = 0.0, 0
        for i in range(0, len(tr), a.batch):
            b = perm[i:i + a.batch]
            if len(b) < 2:
                continue
            xb = ds.x[tr[b]]
            fb = feats[tr[b]] if feats is not None else None
            if a.augment:
                xb, fb = augment_batch(a, xb, fb, rng, rr_rec[group[b]])
            out = model(torch.from_numpy(np.ascontiguousarray(xb)),
                        None if fb is None else torch.from_numpy(fb))
            loss = lossf(out, yt[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            bnn_torch.clip_latent_weights(model)
            tot += float(loss)
            nb += 1
        sched.step()
        t_train = time.time() - t0
        pv = predict(model, ds.x[va], None if feats is None else feats[va])
        mv = metrics.compute(ds.y[va], pv, ds.classes)
        score = selection_score(mv, how=a.select)
        hist.append(dict(epoch=ep + 1, loss=tot / max(nb, 1), val_acc=mv["accuracy"],
                         val_macro_f1=mv["macro_f1"], val_select=score, train_s=t_train,
                         val_se={c: mv["per_class"][c]["se"] for c in ds.classes}))
        log(a, "%sepoch %2d  loss %.4f  val acc %.2f %%  sel. F1 %.3f  Se %s  (%.1f s)" %
            (tag, ep + 1, tot / max(nb, 1), 100 * mv["accuracy"], score,
             " ".join("%s %.0f" % (c, 100 * mv["per_class"][c]["se"]) for c in ds.classes
                      if mv["per_class"][c]["support"] >= 20), t_train))
        if score > best or best_state is None or (a.select == "last" and score >= best):
            best, best_state, best_epoch, stale = score, copy.deepcopy(model.state_dict()), ep + 1, 0
        else:
            stale += 1
            if a.patience and stale >= a.patience:
                log(a, "%searly stop (no gain in %d epochs)" % (tag, a.patience))
                break
    model.load_state_dict(best_state)
    return model, dict(best_epoch=best_epoch, best_val_macro_f1=best, history=hist)


def default_out(a):
    name = "%s-%s-w%d-s%d" % (a.task, a.variant, a.width, a.seed)
    if a.task == "ecg" and a.split == "intra":
        name += "-intra"
    if a.variant == "bin-full":
        name += "-float-stem" if a.stem == "float" else "-in%d" % a.in_bits
    if a.weight_flip:
        name += "-flip%g" % a.weight_flip
    if a.lead_list != ["MLII"]:
        name += "-" + "+".join(a.lead_list)
    return os.path.join(data.REPO, "build", "train", name)


def mem_str(m):
    return "host %d bits, card %d bits, total %d bits (%.2f kbit)" % (
        m["host"], m["card"], m["total"], m["total"] / 1000.0)


def attach_features(a, ds):
    """ds.feats: the --features columns of the data set's rhythm features
    (float32 [n][F]), or None; a.feature_kinds their bnn_feature_kind
    numbers, a.abs_rr_cols which of them are absolute RR times (scaled by
    --augment)."""
    cols = feature_columns(a, ds)
    names = list(ds.meta.get("features") or [])
    ds.feats = np.ascontiguousarray(ds.rhythm[:, cols]) if cols else None
    a.feature_kinds = cols
    a.abs_rr_cols = [i for i, c in enumerate(cols)
                     if names[c] in ("pre_rr", "post_rr", "local_rr", "long_rr")]


def run_ecg(a):
    ds = get_ecg(a, "all" if a.split == "intra" else "train")
    attach_features(a, ds)
    sp = ecg_splits(a, ds)
    n_classes = len(ds.classes)
    try:
        offset_vector(a.class_offsets, ds.classes)   # before training, not after
    except ValueError as e:
        sys.exit("train: error: --class-offsets: %s" % e)
    log(a, "data: %d beats x %d samples at %g Hz, norm %s; %s" %
        (len(ds), ds.x.shape[2], ds.meta["fs"], ds.meta["norm"], sp["protocol"]))
    log(a, "train %d / val %d beats" % (len(sp["train"]), len(sp["val"])))
    t0 = time.time()
    model, tr_info = fit(a, ds, sp["train"], sp["val"], n_classes)
    t_fit = time.time() - t0
    mem = models.memory_bits(model, a.threshold_bits)
    spe = float(np.mean([h["train_s"] for h in tr_info["history"]]))
    if a.no_test:
        log(a, "validation only (--no-test): best epoch %d, selection score %.3f" %
            (tr_info["best_epoch"], tr_info["best_val_macro_f1"]))
        log(a, "memory: " + mem_str(mem))
        return model, dict(protocol=sp["protocol"] + " [validation only]", memory=mem,
                           train=tr_info, train_seconds=t_fit, seconds_per_epoch=spe,
                           splits={k: v for k, v in sp.items() if k.endswith("records")}), ds
    if a.split == "inter":
        # The test records, read once, after model selection.
        dt = get_ecg(a, "test")
        attach_features(a, dt)
        if dt.classes != ds.classes:
            sys.exit("train: error: test and training data have different classes")
        test = np.arange(len(dt))
    else:
        dt, test = ds, sp["test"]
    off = offset_vector(a.class_offsets, dt.classes) if a.class_offsets else None
    if off:
        log(a, "class offsets %s (added to the integer scores before the argmax)" %
            a.class_offsets)
    pt = predict(model, dt.x[test], None if dt.feats is None else dt.feats[test],
                 offsets=off)
    mt = metrics.compute(dt.y[test], pt, dt.classes)
    write_test_items(a, dt, test, pt, ("record", "sample"))
    name = "DS2" if a.split == "inter" and not a.test_records else "test"
    log(a, metrics.format_report(mt, "%s (%s), model of epoch %d:" %
                                 (name, "inter-patient" if a.split == "inter" else
                                  "INTRA-patient random beat split", tr_info["best_epoch"])))
    log(a, "memory: " + mem_str(mem))
    res = dict(protocol=sp["protocol"], test=mt, memory=mem, train=tr_info,
               train_seconds=t_fit, seconds_per_epoch=spe,
               splits={k: v for k, v in sp.items() if k.endswith("records")})
    if dt is not ds and dt.meta.get("skipped"):
        # test records without one of the leads: not in the test figures
        res["test_records_left_out"] = dt.meta["skipped"]
    return model, res, ds


def record_folds(ds, k):
    """Patient-wise folds of the training records: records sorted by their
    S beats, then V beats (descending, name as tie-break) and dealt out
    round-robin, so the few records that hold most ectopic beats spread
    over the folds. Returns [[records of fold 0], ...]."""
    rec = ds.cols["record"]
    names = sorted(set(rec.tolist()))
    cnt = {r: (int(((rec == r) & (ds.y == 1)).sum()), int(((rec == r) & (ds.y == 2)).sum()))
           for r in names}
    order = sorted(names, key=lambda r: (-cnt[r][0], -cnt[r][1], r))
    return [[r for i, r in enumerate(order) if i % k == f] for f in range(k)]


def integer_scores(model, ds, idx, torch_pred, data_norm):
    """The held-out items' class scores as the exported model computes them
    (export.fold + its numpy reference of libbnn: int64 sums of the last
    binary layer, or the float outputs of a float one), checked against
    PyTorch's classes (ScoreScale does not change the argmax)."""
    import export
    folded = export.fold(model, data_norm)
    feats = None if ds.feats is None else ds.feats[idx]
    sc = np.concatenate([export.run_reference(folded, ds.x[idx[i:i + 4096]],
                                              None if feats is None else feats[i:i + 4096])[0]
                         for i in range(0, len(idx), 4096)]) if len(idx) else \
        np.zeros((0, len(ds.classes)))
    agree = float((sc.argmax(1) == torch_pred).mean()) if len(idx) else 1.0
    if agree < 0.999:
        raise RuntimeError("exported scores agree with PyTorch on only %.3f %% of the "
                           "held-out items" % (100 * agree))
    return sc


def write_cv_scores(a, ds, folds, held_idx, held_scores):
    """OUT/cv_scores.npz: the pooled held-out scores of --cv-folds (the
    exported model's integer scores, no class offsets), with labels, record,
    sample and fold of every item; tools/train/offsets.py chooses the class
    offsets from them. Training records only."""
    idx = np.concatenate(held_idx)
    fold = np.concatenate([np.full(len(t), f, dtype=np.int32) for f, t in enumerate(held_idx)])
    np.savez(os.path.join(a.out, "cv_scores.npz"), scores=np.concatenate(held_scores),
             y=ds.y[idx], record=np.asarray(ds.cols["record"])[idx].astype(str),
             sample=np.asarray(ds.cols["sample"])[idx], fold=fold,
             classes=np.array(ds.classes), folds=np.array([",".join(r) for r in folds]))


def run_ecg_cv(a):
    """--cv-folds K: for each fold, train on the other folds' records (epoch
    chosen on a patient-wise validation subset of them) and predict the
    fold's records; the pooled confusion over all training records is the
    recipe's held-out estimate. Only the training records are read."""
    ds = get_ecg(a, "train")
    attach_features(a, ds)
    folds = record_folds(ds, a.cv_folds)
    n_classes = len(ds.classes)
    rec = ds.cols["record"]
    cm = np.zeros((n_classes, n_classes), dtype=np.int64)
    per = []
    t0 = time.time()
    model = None
    held_scores, held_idx = [], []
    for f, held in enumerate(folds):
        rest = [r for r in sorted(set(rec.tolist())) if r not in held]
        val = data.choose_val_records(ds, rest, a.seed + f) or rest[-1:]
        tr = np.flatnonzero(np.isin(rec, [r for r in rest if r not in val]))
        va = np.flatnonzero(np.isin(rec, val))
        te = np.flatnonzero(np.isin(rec, held))
        model, info = fit(a, ds, tr, va, n_classes, tag="fold %d: " % f)
        pt = predict(model, ds.x[te], None if ds.feats is None else ds.feats[te])
        m = metrics.compute(ds.y[te], pt, ds.classes)
        cm += np.array(m["confusion"])
        held_scores.append(integer_scores(model, ds, te, pt, ds.meta["norm"]))
        held_idx.append(te)
        per.append(dict(fold=f, records=held, val_records=val, test=m,
                        best_epoch=info["best_epoch"]))
        log(a, "fold %d (%s): accuracy %.2f %%" % (f, ",".join(held), 100 * m["accuracy"]))
    pooled = metrics.from_confusion(cm, ds.classes)
    write_cv_scores(a, ds, folds, held_idx, held_scores)
    mem = models.memory_bits(model, a.threshold_bits)
    log(a, metrics.format_report(pooled, "DS1 patient-wise %d-fold CV, pooled held-out "
                                         "records:" % a.cv_folds))
    log(a, "memory: " + mem_str(mem))
    res = dict(protocol="patient-wise %d-fold CV over the training records (DS1); the test "
                        "records were not read" % a.cv_folds,
               test=pooled, folds=per, memory=mem, train_seconds=time.time() - t0,
               seconds_per_epoch=0.0)
    return model, res, ds


def run_eeg(a):
    ds = get_eeg(a)
    n_classes = len(ds.classes)
    fold_of = data.segment_folds(ds, a.folds, a.seed)
    item_fold = np.array([fold_of[g] for g in ds.group.tolist()])
    log(a, "data: %d windows x %d samples, %d segments, task %s, %d-fold over segments" %
        (len(ds), ds.x.shape[2], len(fold_of), a.task, a.folds))
    folds = range(a.folds) if a.fold is None else [a.fold]
    per, cm = [], np.zeros((n_classes, n_classes), dtype=np.int64)
    model = None
    t0 = time.time()
    for f in folds:
        test = np.flatnonzero(item_fold == f)
        rest = np.flatnonzero(item_fold != f)
        tr, va = data.group_val_split(ds, rest, 0.1, a.seed + 1 + f)
        model, info = fit(a, ds, tr, va, n_classes, tag="fold %d: " % f)
        if a.no_test:
            test = va  # report the validation part only
        pt = predict(model, ds.x[test])
        m = metrics.compute(ds.y[test], pt, ds.classes)
        if not a.no_test:
            write_test_items(a, ds, test, pt, ("set", "name", "start"), fold=f)
        cm += np.array(m["confusion"])
        per.append(dict(fold=f, test=m, best_epoch=info["best_epoch"],
                        best_val_select=info["best_val_macro_f1"],
                        seconds_per_epoch=float(np.mean([h["train_s"] for h in info["history"]]))))
        log(a, "fold %d: test accuracy %.2f %%, macro F1 %.3f (epoch %d)" %
            (f, 100 * m["accuracy"], m["macro_f1"], info["best_epoch"]))
    pooled = metrics.from_confusion(cm, ds.classes)
    accs = [p["test"]["accuracy"] for p in per]
    mem = models.memory_bits(model, a.threshold_bits)
    log(a, metrics.format_report(pooled, ("VALIDATION ONLY (--no-test) " if a.no_test else "") +
                                 "%s, %d fold(s) pooled (segment-wise %d-fold CV): "
                                 "accuracy per fold mean %.2f %% (std %.2f)" %
                                 (a.task, len(per), a.folds, 100 * np.mean(accs),
                                  100 * np.std(accs))))
    log(a, "memory: " + mem_str(mem))
    res = dict(protocol="segment-wise %d-fold CV (stratified by set, split before windowing, "
                        "10 %% of training segments for validation)" % a.folds +
               (" [--no-test: metrics are on the VALIDATION segments]" if a.no_test else ""),
               test=pooled, folds=per, acc_mean=float(np.mean(accs)),
               acc_std=float(np.std(accs)), memory=mem, train_seconds=time.time() - t0,
               seconds_per_epoch=float(np.mean([p["seconds_per_epoch"] for p in per])))
    return model, res, ds


def write_test_items(a, ds, idx, pred, keys, fold=None):
    """OUT/test_items.tsv: which items were the test set (so that bnn-run
    can be run on exactly them), with the label and PyTorch's prediction.
    EEG runs append one block per fold (column 'fold')."""
    path = os.path.join(a.out, "test_items.tsv")
    new = fold is None or not os.path.exists(path) or fold == (a.fold or 0)
    with open(path, "w" if new else "a") as f:
        if new:
            f.write("\t".join((["fold"] if fold is not None else []) + list(keys) +
                               ["label", "torch_pred"]) + "\n")
        for i, p in zip(idx.tolist(), pred.tolist()):
            row = ([str(fold)] if fold is not None else []) + \
                [str(ds.cols[k][i]) for k in keys] + [str(int(ds.y[i])), str(int(p))]
            f.write("\t".join(row) + "\n")


def clean_json(o):
    """NaN -> null, numpy scalars -> Python, tuples -> lists (strict JSON)."""
    if isinstance(o, dict):
        return {str(k): clean_json(v) for k, v in o.items()}
    if isinstance(o, (list, tuple)):
        return [clean_json(v) for v in o]
    if isinstance(o, (np.integer,)):
        return int(o)
    if isinstance(o, (float, np.floating)):
        return None if math.isnan(o) or math.isinf(o) else float(o)
    return o


def main(argv=None):
    a = parse_args(argv)
    setup(a)
    out = a.out = a.out or default_out(a)
    os.makedirs(out, exist_ok=True)
    if a.task == "ecg" and a.cv_folds:
        model, res, ds = run_ecg_cv(a)
    else:
        model, res, ds = (run_ecg if a.task == "ecg" else run_eeg)(a)
    res["args"] = vars(a)
    res["model"] = model.info
    res["data"] = {k: v for k, v in ds.meta.items() if k != "group_names"}
    res["torch"] = torch.__version__
    with open(os.path.join(out, "metrics.json"), "w") as f:
        json.dump(clean_json(res), f, indent=1)
    torch.save(dict(state_dict=model.state_dict(), info=model.info, data=res["data"],
                    args=vars(a)), os.path.join(out, "model.pt"))
    log(a, "time per epoch %.1f s (%d thread(s)); wrote %s/{metrics.json,model.pt}" %
        (res["seconds_per_epoch"], a.threads, out))
    return res


if __name__ == "__main__":
    main()
