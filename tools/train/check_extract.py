#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Cross-check bnn-extract against an independent decoding in numpy.

  check_extract.py mitdb PREFIX DATA_DIR   (PREFIX extracted at the record
                                            rate, any pre/post/norm)
  check_extract.py bonn PREFIX DATA_DIR    (any win/hop/norm)

MIT-BIH: decodes the .dat (format 212) and .atr files of every record in
the data set here, rebuilds every beat window and compares it with
PREFIX.x.f32 (and the labels with the AAMI map), and recomputes the
RR-interval features of PREFIX.rhythm.f32 from the annotations (numpy,
prefix sums rather than libbnn's telescoping spans). Bonn: rebuilds every
window from the text files. Exit status 1 and a message on mismatch.
"""
import os
import sys

import numpy as np

sys.dont_write_bytecode = True   # keep the source tree clean
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import data  # noqa: E402

AAMI = {"N": 0, "L": 0, "R": 0, "e": 0, "j": 0, "A": 1, "a": 1, "J": 1, "S": 1,
        "V": 2, "E": 2, "F": 3, "/": 4, "f": 4, "Q": 4}
CODES = {1: "N", 2: "L", 3: "R", 4: "a", 5: "V", 6: "F", 7: "J", 8: "A", 9: "S",
         10: "E", 11: "j", 12: "/", 13: "Q", 34: "e", 38: "f"}


def read_212(path, nsig=2):
    b = np.fromfile(path, dtype=np.uint8).astype(np.int32)
    b = b[: len(b) // 3 * 3].reshape(-1, 3)
    s0 = b[:, 0] | ((b[:, 1] & 0x0F) << 8)
    s1 = b[:, 2] | ((b[:, 1] & 0xF0) << 4)
    s0 = np.where(s0 > 2047, s0 - 4096, s0)
    s1 = np.where(s1 > 2047, s1 - 4096, s1)
    return np.stack([s0, s1])


def read_atr(path):
    w = np.fromfile(path, dtype="<u2")
    t, i, out = 0, 0, []
    while i < len(w):
        a, v = int(w[i]) >> 10, int(w[i]) & 0x3FF
        i += 1
        if a == 0 and v == 0:
            break
        if a == 59:
            t += (int(w[i]) << 16) | int(w[i + 1])
            i += 2
        elif a == 63:
            i += (v + 1) // 2
        elif a in (60, 61, 62):
            pass
        else:
            t += v
            out.append((t, a))
    return out


def lead_index(hea, lead):
    with open(hea, newline="") as f:
        lines = [ln.strip() for ln in f if ln.strip() and not ln.startswith("#")]
    descs = [ln.split()[-1] for ln in lines[1:]]
    return descs.index(lead)


def zscore(w):
    w = w.astype(np.float64)
    sd = w.std()
    return (w - w.mean()) / sd if sd >= 1e-9 else np.zeros_like(w)


def rhythm_ref(t, fs):
    """bnn_rhythm_features (libbnn/data/bnn_data.h) for beat times t."""
    t = np.asarray(t, dtype=np.int64)
    n = len(t)
    rr = np.zeros(n)
    rr[1:] = np.diff(t) / fs
    c = np.cumsum(rr)                       # c[k] = RR_1 + .. + RR_k
    i = np.arange(n)
    pre = rr[np.maximum(i, 1)]
    post = np.where(i + 1 < n, rr[np.minimum(i + 1, n - 1)], pre)
    a = np.maximum(i - 11, 0)               # LOCAL: RR_(a+1) .. RR_(i-1)
    cnt = i - 1 - a
    local = np.where(i >= 2, (c[np.maximum(i - 1, 0)] - c[a]) / np.maximum(cnt, 1), pre)
    lo = np.maximum(np.searchsorted(t, t - 300 * fs, side="right"), 1)
    cnt = i - lo                            # LONG: RR_lo .. RR_(i-1)
    lng = np.where(cnt > 0, (c[np.maximum(i - 1, 0)] - c[np.maximum(lo - 1, 0)])
                   / np.maximum(cnt, 1), local)
    d = np.zeros(n)
    d[2:] = np.abs(np.diff(rr[1:]))         # d[k] = |RR_k - RR_(k-1)|
    cd = np.cumsum(d)
    k0 = np.maximum(i - 9, 2)
    cnt = i - k0 + 1
    irr = np.where(cnt > 0, (cd[i] - cd[np.maximum(k0 - 1, 0)]) / np.maximum(cnt, 1), 0)

    def ratio(x, y):
        ok = np.isfinite(y) & (y > 0)
        return np.where(ok, x / np.where(ok, y, 1), 1.0)
    return np.stack([pre, post, local, lng, ratio(pre, local), ratio(post, pre),
                     ratio(pre, lng), ratio(local, lng),
                     np.where(cnt > 0, ratio(irr, local), 0)], axis=1)


def check_mitdb(prefix, root):
    ds = data.load(prefix)
    m = ds.meta
    if m["fs"] != 360:
        sys.exit("check: extract at the record rate (no --fs) for this check")
    if (m["baseline"], m["lowpass_hz"], m["amp_norm"]) != ("none", 0, "none"):
        sys.exit("check: extract without --baseline/--lowpass/--amp-norm for this check")
    pre, post, norm = m["pre"], m["post"], m["norm"]
    k = 0
    for r in m["records"]:
        name = r["name"]
        sig = read_212(os.path.join(root, name + ".dat"))
        li = lead_index(os.path.join(root, name + ".hea"), m["lead"])
        x = sig[li]
        beats = [(t, CODES[a]) for t, a in read_atr(os.path.join(root, name + ".atr"))
                 if a in CODES and CODES[a] in AAMI]
        feat = rhythm_ref([t for t, _ in beats], 360.0) if len(beats) >= 2 else None
        for bi, (t, sym) in enumerate(beats):
            if t - pre < 0 or t + post > len(x):
                continue
            want = feat[bi] if feat is not None else np.full(9, np.nan)
            if not np.allclose(ds.rhythm[k], want, rtol=2e-6, atol=1e-6, equal_nan=True):
                sys.exit("check: beat %d (%s@%d): rhythm %s, want %s" %
                         (k, name, t, ds.rhythm[k], want))
            w = x[t - pre: t + post]
            if norm == "zscore":
                w = zscore(w)
            elif norm == "mv":
                w = (w - 1024) / 200.0
            got = ds.x[k, 0]
            if ds.cols["record"][k] != name or ds.cols["sample"][k] != t:
                sys.exit("check: beat %d: got %s@%d, want %s@%d" %
                         (k, ds.cols["record"][k], ds.cols["sample"][k], name, t))
            if ds.y[k] != AAMI[sym] or ds.cols["symbol"][k] != sym:
                sys.exit("check: beat %d (%s@%d): label %d/%s, want %d/%s" %
                         (k, name, t, ds.y[k], ds.cols["symbol"][k], AAMI[sym], sym))
            if not np.allclose(got, w, atol=1e-5, rtol=1e-5):
                sys.exit("check: beat %d (%s@%d): samples differ (max %.3g)" %
                         (k, name, t, np.abs(got - w).max()))
            k += 1
    if k != len(ds):
        sys.exit("check: %d beats rebuilt, data set has %d" % (k, len(ds)))
    print("check: %d beats of %d record(s) (samples and rhythm features) match an "
          "independent decoding" %
          (k, len(m["records"])))


def check_bonn(prefix, root):
    ds = data.load(prefix)
    m = ds.meta
    win, hop = m["win"], m["hop"]
    k = 0
    for seg in sorted(set(ds.group.tolist())):
        idx = np.flatnonzero(ds.group == seg)
        name, st = ds.cols["name"][idx[0]], ds.cols["set"][idx[0]]
        v = np.array([int(s) for s in open(os.path.join(root, st, name)).read().split()],
                     dtype=np.float64)
        for j, i in enumerate(idx):
            w = v[j * hop: j * hop + win]
            if m["norm"] == "zscore":
                w = zscore(w)
            if ds.cols["start"][i] != j * hop or not np.allclose(ds.x[i, 0], w, atol=1e-5):
                sys.exit("check: window %d of %s differs" % (j, name))
            k += 1
    if k != len(ds):
        sys.exit("check: %d windows rebuilt, data set has %d" % (k, len(ds)))
    print("check: %d windows of %d segment(s) match the text files" %
          (k, len(set(ds.group.tolist()))))


if __name__ == "__main__":
    if len(sys.argv) != 4 or sys.argv[1] not in ("mitdb", "bonn"):
        sys.exit(__doc__)
    (check_mitdb if sys.argv[1] == "mitdb" else check_bonn)(sys.argv[2], sys.argv[3])
