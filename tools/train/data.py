# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Data sets for training: written by tools/bnn-extract (libbnn's C readers,
the same preprocessing as inference), loaded here, and split.

extract(...) runs bnn-extract into a cache folder keyed by its arguments and
the tool binary's hash, so a data set is extracted once; load(prefix) reads
PREFIX.json, PREFIX.x.f32, PREFIX.rows.tsv and (MIT-BIH) PREFIX.rhythm.f32
(extract format version 2).
"""
import fcntl
import hashlib
import json
import os
import subprocess
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
EXTRACT = os.path.join(REPO, "build", "tools", "bnn-extract")
FORMAT_VERSION = 2


class Dataset:
    """x: float32 [n, channels, len]; y: int64 [n]; group: int64 [n] (record
    or segment index for group-wise splits); cols: all rows.tsv columns;
    rhythm: float32 [n, F], the RR-interval features named in
    meta["features"] (F = 0 for data sets without beats; NaN rows for a
    record with a single beat)."""

    def __init__(self, meta, x, y, group, cols, rhythm):
        self.meta, self.x, self.y, self.group, self.cols = meta, x, y, group, cols
        self.rhythm = rhythm

    @property
    def classes(self):
        return list(self.meta["classes"])

    def __len__(self):
        return len(self.y)


def _die(msg):
    sys.stderr.write("train: error: %s\n" % msg)
    sys.exit(1)


def ensure_tool():
    """Build build/tools/bnn-extract through the project's Makefile (a no-op
    when up to date); fall back to an existing binary if make fails."""
    r = subprocess.run(["make", "-s", "-C", REPO, "build/tools/bnn-extract"],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       universal_newlines=True)
    if r.returncode != 0:
        if os.path.exists(EXTRACT):
            sys.stderr.write("train: warning: 'make build/tools/bnn-extract' failed, "
                             "using the existing binary:\n%s" % r.stdout)
        else:
            _die("cannot build bnn-extract:\n" + r.stdout)
    return EXTRACT


def extract(args, cache_dir, name, quiet=True):
    """Run `bnn-extract ARGS -o CACHE/NAME-HASH/data` unless already cached;
    return the prefix."""
    tool = ensure_tool()
    h = hashlib.sha256()
    with open(tool, "rb") as f:
        h.update(f.read())
    h.update("\0".join(args).encode())
    h.update(os.environ.get("RBNN_DATA", "").encode())
    d = os.path.join(cache_dir, "%s-%s" % (name, h.hexdigest()[:12]))
    prefix = os.path.join(d, "data")
    os.makedirs(d, exist_ok=True)
    # Several trainings may start at once (make results): one extracts,
    # the others wait for it under the lock.
    with open(os.path.join(d, ".lock"), "w") as lk:
        fcntl.flock(lk, fcntl.LOCK_EX)
        if not os.path.exists(prefix + ".json"):
            cmd = [tool] + list(args) + ["-o", prefix] + (["-q"] if quiet else [])
            r = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               universal_newlines=True)
            if r.returncode != 0:
                _die("%s failed:\n%s" % (" ".join(cmd), r.stderr))
    return prefix


def load(prefix):
    with open(prefix + ".json") as f:
        meta = json.load(f)
    if meta.get("format") != "bnn-extract":
        _die("%s.json: not a bnn-extract data set" % prefix)
    if meta.get("version") != FORMAT_VERSION:
        _die("%s.json: bnn-extract format version %r, this code reads version %d "
             "(extract it again with build/tools/bnn-extract)"
             % (prefix, meta.get("version"), FORMAT_VERSION))
    shape = tuple(int(v) for v in meta["shape"])
    x = np.fromfile(prefix + ".x.f32", dtype="<f4")
    if x.size != shape[0] * shape[1] * shape[2]:
        _die("%s.x.f32: %d values, metadata says %s" % (prefix, x.size, shape))
    x = x.reshape(shape).astype(np.float32)
    with open(prefix + ".rows.tsv") as f:
        head = f.readline().rstrip("\n").split("\t")
        rows = [line.rstrip("\n").split("\t") for line in f]
    if len(rows) != shape[0]:
        _die("%s.rows.tsv: %d rows, metadata says %d" % (prefix, len(rows), shape[0]))
    cols = {}
    text_cols = ("class", "record", "set", "symbol", "name")
    for j, k in enumerate(head):
        v = [r[j] for r in rows]
        cols[k] = np.array(v) if k in text_cols else np.array(v, dtype=np.int64)
    y = cols["label"]
    if meta["group"] == "record":
        names = sorted(set(cols["record"].tolist()))
        idx = {n: i for i, n in enumerate(names)}
        group = np.array([idx[r] for r in cols["record"]], dtype=np.int64)
        meta["group_names"] = names
    else:
        group = cols["segment"].astype(np.int64)
    return Dataset(meta, x, y, group, cols, _load_rhythm(prefix, meta, shape[0]))


def _load_rhythm(prefix, meta, n):
    feats = meta.get("features")
    if not isinstance(feats, list):
        _die("%s.json: no \"features\" list" % prefix)
    if not feats:
        return np.zeros((n, 0), dtype=np.float32)
    want = [n, len(feats)]
    if meta.get("rhythm_shape") != want:
        _die("%s.json: rhythm_shape %r, want %r" % (prefix, meta.get("rhythm_shape"), want))
    path = os.path.join(os.path.dirname(prefix), meta.get("rhythm", ""))
    if not os.path.isfile(path):
        _die("%s: rhythm file %r missing" % (prefix, meta.get("rhythm")))
    r = np.fromfile(path, dtype="<f4")
    if r.size != n * len(feats):
        _die("%s: %d values, metadata says %r" % (path, r.size, want))
    return r.reshape(want).astype(np.float32)


def subset(ds, idx):
    idx = np.asarray(idx, dtype=np.int64)
    cols = {k: v[idx] for k, v in ds.cols.items()}
    return Dataset(ds.meta, ds.x[idx], ds.y[idx], ds.group[idx], cols, ds.rhythm[idx])


# ---------------------------------------------------------------------------
# Splits
# ---------------------------------------------------------------------------

def choose_val_records(ds, records, seed, min_frac=0.15, max_beats_frac=0.3,
                       max_frac=0.5, min_symbol=50):
    """Patient-wise validation records inside a training set (DS1).

    Records in a seeded random order are added while the validation set
    stays within max_beats_frac of the beats and within max_frac of every
    annotation symbol (so training keeps most of each beat morphology:
    DS1's left bundle branch block beats, N class, are all in records 109
    and 207, and record 208 holds 90 % of its F beats), until it holds at
    least min_frac of the S beats and of the V beats (the rare classes that
    drive model selection). Deterministic for a seed."""
    rec = ds.cols["record"]
    sym = ds.cols["symbol"]
    y = ds.y
    inset = np.isin(rec, records)
    ncls = int(y.max()) + 1
    tot = np.bincount(y[inset], minlength=ncls)
    symbols = sorted(set(sym[inset].tolist()))
    sidx = {s: i for i, s in enumerate(symbols)}
    sym_i = np.array([sidx.get(s, -1) for s in sym.tolist()])
    tot_sym = np.bincount(sym_i[inset], minlength=len(symbols))
    rng = np.random.RandomState(seed)
    order = sorted(records)
    rng.shuffle(order)
    val = []
    have = np.zeros(ncls, dtype=np.int64)
    have_sym = np.zeros(len(symbols), dtype=np.int64)
    enough = lambda h: all(h[c] >= min_frac * tot[c] for c in (1, 2) if tot[c])  # noqa: E731
    for r in order:
        if enough(have):
            break
        m = rec == r
        cnt = np.bincount(y[m], minlength=ncls)
        cnt_sym = np.bincount(sym_i[m], minlength=len(symbols))
        if not any(cnt[c] and have[c] < min_frac * tot[c] for c in (1, 2)):
            continue
        if (have + cnt).sum() > max_beats_frac * tot.sum():
            continue
        new_sym = have_sym + cnt_sym
        if any(cnt_sym[i] and tot_sym[i] >= min_symbol and
               new_sym[i] > max_frac * tot_sym[i] for i in range(len(symbols))):
            continue
        val.append(r)
        have += cnt
        have_sym = new_sym
    return sorted(val)


def stratified_split(y, frac, seed):
    """Random split of item indices, stratified by label: (rest, part) with
    about frac of every class in part."""
    rng = np.random.RandomState(seed)
    part = []
    for c in np.unique(y):
        idx = np.flatnonzero(y == c)
        rng.shuffle(idx)
        part.extend(idx[: int(round(frac * len(idx)))].tolist())
    part = np.array(sorted(part), dtype=np.int64)
    rest = np.setdiff1d(np.arange(len(y)), part)
    return rest, part


def segment_folds(ds, k, seed):
    """Fold number (0..k-1) of every group (segment), stratified by set
    (Z O N F S): the segments of each set are shuffled with the seed and dealt
    out round-robin. Returns dict group -> fold. Split before windowing: all
    windows of a segment share its fold."""
    groups = {}
    for g, s in zip(ds.group.tolist(), ds.cols["set"].tolist()):
        groups[g] = s
    rng = np.random.RandomState(seed)
    fold = {}
    for s in sorted(set(groups.values())):
        segs = sorted(g for g, t in groups.items() if t == s)
        rng.shuffle(segs)
        for i, g in enumerate(segs):
            fold[g] = i % k
    return fold


def group_val_split(ds, idx, frac, seed):
    """Split item indices idx into (train, val) by whole groups (segments),
    stratified by set: about frac of each set's segments go to val."""
    rng = np.random.RandomState(seed)
    g = ds.group[idx]
    sets = ds.cols["set"][idx]
    val_groups = set()
    for s in sorted(set(sets.tolist())):
        segs = sorted(set(g[sets == s].tolist()))
        rng.shuffle(segs)
        val_groups.update(segs[: max(1, int(round(frac * len(segs))))])
    m = np.isin(g, sorted(val_groups))
    return idx[~m], idx[m]
