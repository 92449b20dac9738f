#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Fold a trained model into libbnn's layer semantics and check it.

  export.py MODEL_DIR [--items N] [--bnn OUT.bnn] [--libbnn LIB.so]
      fold the model, run the folded model with a numpy reference and
      compare with PyTorch; write OUT.bnn (Documentation/bnn-format.rst);
      with --libbnn, also load OUT.bnn with libbnn (through the bnn Python
      package, `make python`, on that library) and run it on the cpu
      backend: same predictions as PyTorch required

fold(model) turns the PyTorch model into the layer list libbnn runs
(libbnn/src/model.h, Documentation/bnn-format.rst):

  InputNorm (non-identity)     -> input normalisation AFFINE (offset, scale)
  InputQuant                   -> QUANT (qbits, qoffset, qscale)
  Conv1d + BN                  -> CONV1D, BN folded into weights and bias
  Linear (+ BN)                -> DENSE, BN folded
  BinaryConv1d + BN + Sign     -> BCONV1D, bits + int32 thresholds (S >= T;
                                  negative-gamma rows negated, T = -floor(tau))
  BinaryLinear + BN + Sign     -> BDENSE with thresholds
  BinaryLinear + ScoreScale    -> BDENSE scores (raw sums; the scale is
                                  dropped, it does not change the argmax)
  ReLU -> ACT relu; Sign -> SIGN; MaxPool1d -> MAXPOOL1D; Flatten -> FLATTEN
  (the dense layer after it gets its columns permuted from PyTorch's
  channel-major flatten, c * L + p, to libbnn's position-major p * C + c)

Float weights are [out][kernel][in] (fan-in j = k * in_c + c), tensors
[length][channels], as libbnn and the card use them.

run_reference(folded, x) executes that list in numpy (int64 sums for the
binary layers, float32 for the float ones) and check(...) compares every
binary activation and the predictions with PyTorch. write_bnn() serialises
the folded model in the canonical .bnn layout: version 1, 2 with a signal
section (preprocessing, rhythm features), 3 with a leads section (a model
of several leads, e.g. MLII and V1, names each channel's lead), 4 when the
signal section has a beat reference (each beat minus the median of the
beats before it), 5 with an offsets section (--class-offsets: one integer
per class added to the integer class scores before the argmax; by default
the offsets the model was trained with, train.py --class-offsets[-file]).
"""
import argparse
import ctypes
import os
import struct
import sys
import zlib

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True   # keep the source tree clean
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.nn as nn  # noqa: E402

import bnn_torch  # noqa: E402


def _f32(t):
    return np.ascontiguousarray(t.detach().cpu().numpy().astype(np.float32))


def _bn_affine(bn):
    """(a, c) with BN(x) = a * x + c, in float64."""
    a = bn.weight.detach().double() / torch.sqrt(bn.running_var.detach().double() + bn.eps)
    c = bn.bias.detach().double() - bn.running_mean.detach().double() * a
    return a, c


def fold(model, data_norm="none"):
    """The project's models (models.Net): their layers in order."""
    return fold_modules(list(model), (model.info["in_channels"], model.info["in_len"]),
                        model.info["n_classes"], data_norm)


def _check_window(m, name):
    """Conv1d / MaxPool1d options the .bnn windows cannot express."""
    if isinstance(m, nn.Conv1d):
        if isinstance(m.padding, str):
            raise ValueError("%s: padding %r: give the padding as a number" % (name, m.padding))
        if m.dilation[0] != 1 or m.groups != 1 or m.padding_mode != "zeros":
            raise ValueError("%s: dilation %d, groups %d, padding_mode %s: the .bnn format has "
                             "dilation 1, groups 1 and zero padding only"
                             % (name, m.dilation[0], m.groups, m.padding_mode))
    elif isinstance(m, nn.MaxPool1d):
        one = (lambda v: v if isinstance(v, int) else v[0])
        if one(m.padding) != 0 or one(m.dilation) != 1 or m.ceil_mode or m.return_indices:
            raise ValueError("%s: padding, dilation, ceil_mode and return_indices are not in "
                             "the .bnn format's MAXPOOL1D" % name)


def _value_kind(layers):
    """What the layers so far output: float, bits or quant (the model
    input is float)."""
    for d in reversed(layers):
        k = d["kind"]
        if k in ("MAXPOOL1D", "FLATTEN", "JOIN"):
            continue
        if k in ("BCONV1D", "BDENSE"):
            return "float" if d["scores"] else "bits"
        return {"SIGN": "bits", "QUANT": "quant"}.get(k, "float")
    return "float"


def fold_modules(mods, in_shape, n_classes, data_norm="none", names=None):
    """Fold a chain of modules (bnn_torch's and torch.nn's kinds, in
    execution order) on inputs of in_shape (channels, length); names: what
    errors call each module (default "layer I (TYPE)")."""
    def lname(i):
        return names[i] if names else "layer %d (%s)" % (i, type(mods[i]).__name__)
    layers = []
    inp = dict(norm="zscore" if data_norm == "zscore" else "none", offset=0.0, scale=1.0)
    flat_shape = None       # (C, L) at the flatten, for the next dense layer
    shape = tuple(int(v) for v in in_shape)   # (C, L)
    i = 0

    def permute_cols(w):
        """PyTorch's channel-major flatten (c * L + p) -> libbnn's
        position-major (p * C + c); joined feature columns stay last."""
        if flat_shape is None:
            return w
        c, L = flat_shape
        head = w[:, :c * L].reshape(w.shape[0], c, L).transpose(0, 2, 1)
        return np.concatenate([head.reshape(w.shape[0], c * L), w[:, c * L:]], axis=1)

    while i < len(mods):
        m = mods[i]
        vk = _value_kind(layers)
        n_before = len(layers)
        if vk != "float" and isinstance(m, (nn.ReLU, nn.Hardtanh, nn.BatchNorm1d,
                                            nn.AdaptiveAvgPool1d, nn.AdaptiveMaxPool1d,
                                            bnn_torch.InputQuant, bnn_torch.InputNorm)) or \
                (vk != "float" and isinstance(m, (nn.Conv1d, nn.Linear)) and
                 not getattr(m, "binary", False)):
            raise ValueError("%s: on %s values; the .bnn format's layer of this kind takes "
                             "floats" % (lname(i), "binary (+-1)" if vk == "bits"
                                         else "quantised"))
        nxt = mods[i + 1] if i + 1 < len(mods) else None
        nxt2 = mods[i + 2] if i + 2 < len(mods) else None
        if isinstance(m, bnn_torch.InputNorm):
            if not m.is_identity():
                if inp["norm"] != "none":
                    raise ValueError("affine InputNorm on per-item normalised data")
                inp.update(norm="affine", offset=float(m.mean), scale=float(m.std))
            i += 1
        elif isinstance(m, bnn_torch.InputQuant):
            layers.append(dict(kind="QUANT", qbits=m.bits, qoffset=float(m.qoffset),
                               qscale=float(m.qscale)))
            i += 1
        elif getattr(m, "binary", False) and vk != "float":
            conv = isinstance(m, nn.Conv1d)
            _check_window(m, lname(i))
            w = m.binary_weight().double()
            if conv:
                w = w.permute(0, 2, 1).reshape(w.shape[0], -1)   # [out][k*in + c]
            bits = (w.numpy() >= 0)
            if not conv:
                bits = permute_cols(bits)
            d = dict(kind="BCONV1D" if conv else "BDENSE", out_c=int(w.shape[0]))
            if conv:
                d.update(kernel=m.kernel_size[0], stride=m.stride[0], pad=m.padding[0])
            if isinstance(nxt, nn.BatchNorm1d) and isinstance(nxt2, bnn_torch.Sign):
                thr, neg = bnn_torch.fold_bn_sign(nxt)
                neg = neg.numpy()
                bits = np.where(neg[:, None], ~bits, bits)
                d.update(bits=bits.astype(np.uint8), thr=thr.numpy().astype(np.int32), scores=False)
                i += 3
            elif isinstance(nxt, bnn_torch.Sign):
                # sign(S) with S >= 0 -> +1: threshold 0
                d.update(bits=bits.astype(np.uint8), thr=np.zeros(d["out_c"], np.int32),
                         scores=False)
                i += 2
            elif isinstance(nxt, bnn_torch.ScoreScale) or nxt is None:
                d.update(bits=bits.astype(np.uint8), thr=None, scores=True)
                i += 2 if nxt is not None else 1
            else:
                raise ValueError("%s: a binary layer must be followed by BN + sign, sign, "
                                 "ScoreScale or nothing (the class scores)" % lname(i))
            layers.append(d)
        elif isinstance(m, (nn.Conv1d, nn.Linear)):
            # a binary layer on float values is a float layer of +-1 weights
            conv = isinstance(m, nn.Conv1d)
            _check_window(m, lname(i))
            w = (m.binary_weight() if getattr(m, "binary", False) else m.weight).detach().double()
            b = m.bias.detach().double() if m.bias is not None else torch.zeros(w.shape[0], dtype=torch.float64)
            i += 1
            if isinstance(nxt, nn.BatchNorm1d):
                a, c = _bn_affine(nxt)
                w = w * a.view(-1, *([1] * (w.dim() - 1)))
                b = b * a + c
                i += 1
            if conv:
                d = dict(kind="CONV1D", out_c=int(w.shape[0]), kernel=m.kernel_size[0],
                         stride=m.stride[0], pad=m.padding[0],
                         w=_f32(w.permute(0, 2, 1)), b=_f32(b))
            else:
                d = dict(kind="DENSE", out_c=int(w.shape[0]),
                         w=np.ascontiguousarray(permute_cols(_f32(w))), b=_f32(b))
            layers.append(d)
        elif isinstance(m, nn.BatchNorm1d):
            a, c = _bn_affine(m)
            layers.append(dict(kind="BATCHNORM", scale=_f32(a), shift=_f32(c)))
            i += 1
        elif isinstance(m, bnn_torch.Sign):
            if vk == "quant":
                raise ValueError("%s: sign of quantised values" % lname(i))
            if vk == "float":       # sign of +-1 is itself
                layers.append(dict(kind="SIGN"))
            i += 1
        elif isinstance(m, nn.ReLU):
            layers.append(dict(kind="ACT", act="relu"))
            i += 1
        elif isinstance(m, nn.Hardtanh):
            if (m.min_val, m.max_val) != (-1.0, 1.0):
                raise ValueError("%s: bounds %g, %g; the .bnn format's hardtanh is "
                                 "-1, 1" % (lname(i), m.min_val, m.max_val))
            layers.append(dict(kind="ACT", act="hardtanh"))
            i += 1
        elif isinstance(m, (nn.AdaptiveAvgPool1d, nn.AdaptiveMaxPool1d)):
            if m.output_size not in (1, (1,)):
                raise ValueError("%s: output size %s; the .bnn format pools globally "
                                 "only (output size 1)" % (lname(i), m.output_size))
            layers.append(dict(kind="GLOBAL_AVG" if isinstance(m, nn.AdaptiveAvgPool1d)
                               else "GLOBAL_MAX"))
            i += 1
        elif isinstance(m, (nn.Identity, nn.Dropout)):
            i += 1      # nothing at inference
        elif isinstance(m, nn.MaxPool1d):
            _check_window(m, lname(i))
            k = m.kernel_size if isinstance(m.kernel_size, int) else m.kernel_size[0]
            s = m.stride if isinstance(m.stride, int) else m.stride[0]
            layers.append(dict(kind="MAXPOOL1D", kernel=k, stride=s, pad=0))
            i += 1
        elif isinstance(m, nn.Flatten):
            layers.append(dict(kind="FLATTEN"))
            i += 1
        elif isinstance(m, bnn_torch.Join):
            layers.append(dict(kind="JOIN", kinds=list(m.kinds),
                               thr=[np.array(t, dtype=np.float32) for t in
                                    np.split(m.thr.numpy(), np.cumsum(m.nthr)[:-1])]))
            i += 1
        else:
            raise ValueError("cannot fold %s" % lname(i))
        # track (C, L) for the flatten permutation of the next dense layer
        if len(layers) == n_before:     # nothing added (Identity, a sign of bits)
            continue
        last = layers[-1]
        if last["kind"] in ("CONV1D", "BCONV1D"):
            shape = (last["out_c"],
                     (shape[1] + 2 * last["pad"] - last["kernel"]) // last["stride"] + 1)
        elif last["kind"] == "MAXPOOL1D":
            shape = (shape[0], (shape[1] - last["kernel"]) // last["stride"] + 1)
        elif last["kind"] == "FLATTEN":
            flat_shape = shape
            shape = (shape[0] * shape[1], 1)
        elif last["kind"] in ("GLOBAL_AVG", "GLOBAL_MAX"):
            shape = (shape[0], 1)
        elif last["kind"] == "JOIN":
            if flat_shape is None:
                flat_shape = shape
            shape = (shape[0] * shape[1] + sum(len(t) for t in last["thr"]), 1)
        elif last["kind"] in ("DENSE", "BDENSE"):
            flat_shape = None
            shape = (last["out_c"], 1)
    return dict(input=inp, layers=layers, classes=n_classes)


# ---------------------------------------------------------------------------
# numpy reference of libbnn's semantics
# ---------------------------------------------------------------------------

def _windows(x, kernel, stride, pad):
    """x [N][L][C] -> [N][L'][K][C], zero padded (zeros contribute 0)."""
    n, L, c = x.shape
    xp = np.zeros((n, L + 2 * pad, c), dtype=x.dtype)
    xp[:, pad:pad + L] = x
    lo = (L + 2 * pad - kernel) // stride + 1
    idx = np.arange(lo)[:, None] * stride + np.arange(kernel)[None, :]
    return xp[:, idx, :]


def join_bits(d, feats):
    """JOIN's thermometer code: +1/-1 int8 [N][bits] (float32 compares,
    NaN -> -1)."""
    f = np.asarray(feats, dtype=np.float32)
    cols = [np.where(f[:, j:j + 1] >= t[None, :], 1, -1)
            for j, t in enumerate(d["thr"])]
    return np.concatenate(cols, axis=1).astype(np.int8)


def run_reference(folded, x, feats=None):
    """x: float32 [N][C][L] as the model gets it (after the data's own
    normalisation), feats float32 [N][F] its rhythm features (models with a
    JOIN). Returns (scores float [N][classes], list of
    (layer index, kind, output [N][L][C])) with binary outputs as +1/-1
    int8 and integer sums as int64."""
    inp = folded["input"]
    t = np.ascontiguousarray(np.transpose(x, (0, 2, 1))).astype(np.float32)   # [N][L][C]
    if inp["norm"] == "affine":
        t = (t - np.float32(inp["offset"])) / np.float32(inp["scale"])
    outs = []
    for li, d in enumerate(folded["layers"]):
        k = d["kind"]
        if k == "QUANT":
            q = (t - np.float32(d["qoffset"])) / np.float32(d["qscale"])
            q = np.sign(q) * np.floor(np.abs(q) + np.float32(0.5))
            q = np.clip(np.nan_to_num(q, nan=0.0), 0, 2 ** d["qbits"] - 1)
            t = (2 * q.astype(np.int64) - (2 ** d["qbits"] - 1))
        elif k in ("BCONV1D", "BDENSE"):
            wpm = d["bits"].astype(np.int64) * 2 - 1          # +1/-1 [out][n]
            if k == "BCONV1D":
                win = _windows(t.astype(np.int64), d["kernel"], d["stride"], d["pad"])
                s = np.einsum("nlkc,okc->nlo", win,
                              wpm.reshape(d["out_c"], d["kernel"], -1))
            else:
                s = np.einsum("nlc,oc->nlo", t.astype(np.int64), wpm)
            if d["scores"]:
                t = s.astype(np.float64)
            else:
                t = np.where(s >= d["thr"][None, None, :], 1, -1).astype(np.int8)
        elif k in ("CONV1D", "DENSE"):
            tf = t.astype(np.float32)
            if k == "CONV1D":
                win = _windows(tf, d["kernel"], d["stride"], d["pad"])
                t = np.einsum("nlkc,okc->nlo", win, d["w"], dtype=np.float32) + d["b"]
            else:
                t = np.einsum("nlc,oc->nlo", tf, d["w"], dtype=np.float32) + d["b"]
        elif k == "BATCHNORM":
            t = t.astype(np.float32) * d["scale"] + d["shift"]
        elif k == "SIGN":
            t = np.where(t >= 0, 1, -1).astype(np.int8)
        elif k == "ACT":
            t = np.maximum(t, 0) if d["act"] == "relu" else np.clip(t, -1, 1)
        elif k == "GLOBAL_AVG":
            t = t.astype(np.float64).mean(axis=1, keepdims=True).astype(np.float32)
        elif k == "GLOBAL_MAX":
            t = t.max(axis=1, keepdims=True)
        elif k == "MAXPOOL1D":
            t = _windows(t, d["kernel"], d["stride"], 0).max(axis=2)
        elif k == "FLATTEN":
            t = t.reshape(t.shape[0], 1, -1)
        elif k == "JOIN":
            jb = join_bits(d, feats)
            if t.dtype == np.int8:
                t = np.concatenate([t.reshape(t.shape[0], -1), jb], axis=1)[:, None, :]
            else:
                t = np.concatenate([t.reshape(t.shape[0], -1).astype(np.float32),
                                    jb.astype(np.float32)], axis=1)[:, None, :]
        else:
            raise ValueError("unknown layer kind %s" % k)
        outs.append((li, k, t))
    return t.reshape(t.shape[0], -1), outs


def _torch_bits(model, x, feats=None):
    """PyTorch eval-mode outputs of every Sign (as [N][L][C] int8) and the
    logits."""
    caps = []
    hooks = [m.register_forward_hook(lambda mod, i, o: caps.append(o.detach()))
             for m in model if isinstance(m, bnn_torch.Sign)]
    model.eval()
    with torch.no_grad():
        logits = model(torch.from_numpy(x), None if feats is None else torch.from_numpy(feats))
    for h in hooks:
        h.remove()
    bits = []
    for o in caps:
        o = o.numpy()
        if o.ndim == 3:
            o = np.transpose(o, (0, 2, 1))
        else:
            o = o[:, None, :]
        bits.append(o.astype(np.int8))
    return bits, logits.numpy()


def check(model, x, data_norm="none", batch=2048, feats=None):
    """Compare the folded model (numpy reference) with PyTorch on x.

    For every binary activation layer: bits differing in total, and bits
    differing in items whose earlier binary activations all matched (the
    layer's own disagreement; later layers inherit a flip upstream).
    Returns dict(items, pred_agree, layers=[(kind, own, total_diff, size)])."""
    folded = fold(model, data_norm)
    agree, n = 0, 0
    stats = None
    for i in range(0, len(x), batch):
        xb = x[i:i + batch]
        fb = None if feats is None else feats[i:i + batch]
        tb, logits = _torch_bits(model, xb, fb)
        scores, outs = run_reference(folded, xb, fb)
        # binary activations: the outputs of SIGN / thresholded binary layers
        rb = [(k, o) for _, k, o in outs
              if k == "SIGN" or (k in ("BCONV1D", "BDENSE") and o.dtype == np.int8)]
        if len(rb) != len(tb):
            raise AssertionError("%d binary layers in the reference, %d signs in PyTorch"
                                 % (len(rb), len(tb)))
        if stats is None:
            stats = [[k, 0, 0, 0] for k, _ in rb]
        clean = np.ones(len(xb), dtype=bool)      # all earlier layers matched
        for st, (k, o), t in zip(stats, rb, tb):
            if o.shape != t.shape:
                raise AssertionError("shape %s vs %s at a %s layer" % (o.shape, t.shape, k))
            diff = (o != t).reshape(len(xb), -1)
            st[1] += int(diff[clean].sum())
            st[2] += int(diff.sum())
            st[3] += o.size
            clean &= ~diff.any(axis=1)
        agree += int((scores.argmax(1) == logits.argmax(1)).sum())
        n += len(xb)
    return dict(items=n, pred_agree=agree / max(n, 1), layers=[tuple(s) for s in stats or []],
                folded=folded)


HOST_SIGN_TOL = 1e-5   # fraction of host sign bits allowed to differ (float rounding)


def check_ok(r):
    """Card layers (integer thresholds) must agree exactly on items whose
    inputs agree; host float -> sign layers may differ on at most
    HOST_SIGN_TOL of their bits (BN folded into the float layer rounds
    differently near 0); predictions must agree on >= 99.9 % of items."""
    for k, own, _, size in r["layers"]:
        if k in ("BCONV1D", "BDENSE") and own:
            return False
        if k == "SIGN" and own > HOST_SIGN_TOL * size:
            return False
    return r["pred_agree"] >= 0.999


# ---------------------------------------------------------------------------
# .bnn v1 writer (Documentation/bnn-format.rst)
# ---------------------------------------------------------------------------

KIND = dict(CONV1D=1, DENSE=2, BATCHNORM=3, SIGN=4, QUANT=5, BCONV1D=6, BDENSE=7,
            MAXPOOL1D=8, FLATTEN=9, GLOBAL_AVG=10, GLOBAL_MAX=11, ACT=12, JOIN=13)
BASELINE = dict(none=0, median=1)
AMP_NORM = dict(none=0, qrs=1)
ACT = dict(relu=0, hardtanh=1)
NORM = dict(none=0, zscore=1, affine=2)


def _align(x, a):
    return (x + a - 1) // a * a


def _pack_rows(bits):
    """[O][n] of 0/1 -> bytes: row o at o * ceil(n/8), bit j at bit j%8 of
    byte j/8 (LSB first), padding bits 0; block padded to 4 bytes."""
    o, n = bits.shape
    rb = (n + 7) // 8
    padded = np.zeros((o, rb * 8), dtype=np.uint8)
    padded[:, :n] = bits
    packed = np.packbits(padded, axis=1, bitorder="little")
    blob = packed.tobytes()
    return blob + b"\0" * (_align(len(blob), 4) - len(blob))


def layer_shapes(folded, channels, length):
    """(in_c, in_l, out_c, out_l, in_kind) per layer; kinds float/bits/quant."""
    c, L, vk, qb = channels, length, "float", 0
    out = []
    for d in folded["layers"]:
        k = d["kind"]
        ic, il, ik, iqb = c, L, vk, qb
        if k in ("CONV1D", "BCONV1D"):
            c, L = d["out_c"], (L + 2 * d["pad"] - d["kernel"]) // d["stride"] + 1
        elif k in ("DENSE", "BDENSE"):
            if L != 1:
                raise ValueError("dense layer on a tensor of length %d (flatten first)" % L)
            c = d["out_c"]
        elif k == "MAXPOOL1D":
            L = (L - d["kernel"]) // d["stride"] + 1
        elif k == "FLATTEN":
            c, L = c * L, 1
        elif k in ("GLOBAL_AVG", "GLOBAL_MAX"):
            L = 1
        elif k == "JOIN":
            c, L = c * L + sum(len(t) for t in d["thr"]), 1
        if k in ("BCONV1D", "BDENSE"):
            vk = "float" if d["scores"] else "bits"
        elif k == "SIGN":
            vk = "bits"
        elif k == "QUANT":
            vk, qb = "quant", d["qbits"]
        elif k in ("CONV1D", "DENSE"):
            vk = "float"
        out.append((ic, il, c, L, ik, iqb))
    return out


def offsets_section(offsets):
    """The offsets section (type 7, version 5): u32 count, count i32; None
    when there are no offsets (all zero)."""
    if not offsets or not any(offsets):
        return None
    return struct.pack("<I%di" % len(offsets), len(offsets), *[int(v) for v in offsets])


def signal_section(input_desc, folded, long_header=False):
    """The signal section (type 5; version 4 with a beat reference) for the preprocessing in input_desc
    (baseline, lowpass_hz, amp_norm) and the JOIN's features; None when
    there is nothing to describe (the file is then v1)."""
    joins = [d for d in folded["layers"] if d["kind"] == "JOIN"]
    if len(joins) > 1:
        raise ValueError("more than one JOIN layer")
    base = BASELINE[input_desc.get("baseline", "none")]
    lp = float(input_desc.get("lowpass_hz", 0.0))
    amp = AMP_NORM[input_desc.get("amp_norm", "none")]
    ref = int(input_desc.get("ref_beats", 0))
    if not 0 <= ref <= 64:
        raise ValueError("ref_beats %d not in 0..64" % ref)
    feats = joins[0] if joins else None
    if not (base or lp or amp or feats or ref):
        return None
    body = struct.pack("<IfII", base, lp, amp, len(feats["kinds"]) if feats else 0)
    if ref or long_header:
        # version 4: the beat reference and a reserved word
        body += struct.pack("<II", ref, 0)
    if feats:
        for k, t in zip(feats["kinds"], feats["thr"]):
            body += struct.pack("<HH", int(k), len(t)) + np.asarray(t, dtype="<f4").tobytes()
    return body


def leads_section(input_desc):
    """The v3 leads section (type 6) of a model of several channels whose
    input_desc["leads"] names one lead per channel; None otherwise (a
    one-lead model names its lead in the input section)."""
    leads = list(input_desc.get("leads") or [])
    ch = int(input_desc["channels"])
    if ch < 2 or not leads:
        return None
    if len(leads) != ch:
        raise ValueError("%d lead names for %d channels" % (len(leads), ch))
    body = struct.pack("<I", ch)
    seen = set()
    for n in leads:
        b = n.encode()
        if not 1 <= len(b) <= 31:
            raise ValueError("lead name %r: 1..31 bytes" % n)
        if n.upper() in seen:
            raise ValueError("lead %r named twice" % n)
        seen.add(n.upper())
        body += struct.pack("<H", len(b)) + b
    return body


def write_bnn(folded, path, input_desc, class_names, name="", desc="", offsets=None):
    """Write the folded model as a .bnn file: v3 with a leads section when
    input_desc names the lead of each of several channels, else v2 with a
    signal section when the model has preprocessing or rhythm features,
    else v1. input_desc: dict(channels, length, sample_rate_hz, beat_pre,
    beat_post, lead, and optionally leads (one per channel), baseline,
    lowpass_hz, amp_norm)."""
    inp = folded["input"]
    ch, length = int(input_desc["channels"]), int(input_desc["length"])
    leads = leads_section(input_desc)
    # the input section's lead is channel 0's
    lead = (input_desc["leads"][0] if leads else input_desc.get("lead") or "").encode()
    if len(lead) > 31:
        raise ValueError("lead name too long")
    pre, post = int(input_desc.get("beat_pre", 0)), int(input_desc.get("beat_post", 0))
    if (pre or post) and pre + post != length:
        raise ValueError("beat_pre + beat_post must equal the input length")
    sections = []
    off = np.float32(inp["offset"]) if inp["norm"] == "affine" else np.float32(0)
    sc = np.float32(inp["scale"]) if inp["norm"] == "affine" else np.float32(1)
    sections.append((1, 0, struct.pack("<IIdIffIII32s", ch, length,
                                       float(input_desc.get("sample_rate_hz", 0.0)),
                                       NORM[inp["norm"]], off, sc, pre, post, len(lead),
                                       lead)))
    cl = struct.pack("<I", len(class_names))
    for n in class_names:
        b = n.encode()
        cl += struct.pack("<H", len(b)) + b
    sections.append((2, 0, cl))
    offs = offsets_section(offsets)
    if offs is not None and len(offsets) != len(class_names):
        raise ValueError("%d offsets for %d classes" % (len(offsets), len(class_names)))
    # version 5 keeps version 4's 24-byte signal header, reference or not
    sig = signal_section(input_desc, folded, long_header=offs is not None)
    if sig is not None:
        sections.append((5, 0, sig))
    if leads is not None:
        sections.append((6, 0, leads))
    if offs is not None:
        sections.append((7, 0, offs))
    if name or desc:
        nb, db = name.encode(), desc.encode()
        sections.append((3, 1, struct.pack("<H", len(nb)) + nb + struct.pack("<H", len(db)) + db))
    shapes = layer_shapes(folded, ch, length)
    for d, (ic, il, oc, ol, ik, iqb) in zip(folded["layers"], shapes):
        k = d["kind"]
        flags = param = fan_in = 0
        kern = stride = pad = 0
        aux0 = aux1 = np.float32(0)
        body = b""
        if k in ("CONV1D", "BCONV1D", "MAXPOOL1D"):
            kern, stride, pad = d["kernel"], d["stride"], d["pad"]
        if k in ("CONV1D", "DENSE"):
            w = np.ascontiguousarray(d["w"], dtype="<f4").reshape(d["out_c"], -1)
            fan_in = w.shape[1]
            body = w.tobytes() + np.ascontiguousarray(d["b"], dtype="<f4").tobytes()
        elif k in ("BCONV1D", "BDENSE"):
            fan_in = d["bits"].shape[1]
            param = iqb if ik == "quant" else 1
            flags = 1 if d["scores"] else 0
            body = _pack_rows(d["bits"])
            if not d["scores"]:
                body += np.ascontiguousarray(d["thr"], dtype="<i4").tobytes()
        elif k == "BATCHNORM":
            body = (np.ascontiguousarray(d["scale"], dtype="<f4").tobytes() +
                    np.ascontiguousarray(d["shift"], dtype="<f4").tobytes())
        elif k == "QUANT":
            param = d["qbits"]
            aux0, aux1 = np.float32(d["qoffset"]), np.float32(d["qscale"])
        elif k == "ACT":
            param = ACT[d["act"]]
        hdr = struct.pack("<HHIIIIIIIIIff16s", KIND[k], flags, ic, il, oc, ol, kern, stride,
                          pad, param, fan_in, aux0, aux1, b"")
        sections.append((4, 0, hdr + body))
    last = shapes[-1]
    if (last[2], last[3]) != (len(class_names), 1):
        raise ValueError("last layer outputs (%d, %d), want (%d classes, 1)" %
                         (last[2], last[3], len(class_names)))
    nsec = len(sections)
    pos = _align(64 + 24 * nsec, 8)
    table, payload_parts = b"", []
    for typ, fl, data_ in sections:
        table += struct.pack("<IIQII", typ, fl, pos, len(data_), zlib.crc32(data_) & 0xFFFFFFFF)
        payload_parts.append(data_ + b"\0" * (_align(len(data_), 8) - len(data_)))
        pos += _align(len(data_), 8)
    table += b"\0" * (_align(64 + len(table), 8) - 64 - len(table))
    payload = table + b"".join(payload_parts)
    total = 64 + len(payload)
    version = (5 if offs is not None else
               4 if int(input_desc.get("ref_beats", 0)) else
               3 if leads is not None else 2 if sig is not None else 1)
    hdr = struct.pack("<4sHHIIQI32s", b"BNN1", version, 64, 0, nsec, total,
                      zlib.crc32(payload) & 0xFFFFFFFF, b"")
    hdr += struct.pack("<I", zlib.crc32(hdr) & 0xFFFFFFFF)
    assert len(hdr) == 64
    tmp = path + ".tmp"
    with open(tmp, "wb") as f:
        f.write(hdr + payload)
    os.replace(tmp, path)
    return total


# ---------------------------------------------------------------------------
# libbnn through the bnn Python package (optional cross-check)
# ---------------------------------------------------------------------------

def libbnn_package(lib_path):
    """The bnn Python package (python/, `make python`) running on the libbnn
    at lib_path: the tree's build (build/python/lib beside build/libbnn.so)
    when there is one, else an installed package.  lib_path is loaded first,
    so the package's extension takes exactly that library (its SONAME
    libbnn.so.0 is then already satisfied; no LD_LIBRARY_PATH needed)."""
    lib_path = os.path.abspath(lib_path)
    tree = os.path.join(os.path.dirname(lib_path), "python", "lib")
    if os.path.isdir(tree) and tree not in sys.path:
        sys.path.insert(0, tree)
    ctypes.CDLL(lib_path, mode=ctypes.RTLD_GLOBAL)
    try:
        import bnn as pkg
    except ImportError as e:
        raise RuntimeError("the bnn Python package is not built (make python): %s" % e)
    return pkg


def libbnn_footprint(lib_path, model_path, channels=1):
    """(host_bits, card_bits, leads) as libbnn reports them
    (bnn_model_info_get, bnn_model_lead of each channel)."""
    m = libbnn_package(lib_path).Model(model_path)
    return m.bits["host"], m.bits["card"], list(m.leads[:channels])


def libbnn_run(lib_path, model_path, x, backend=1, feats=None):
    """Load model_path with libbnn and run x (float32 [N][C][L], in the units
    the model's input normalisation expects) on a backend (1 cpu, 2 emu with
    the error model off). Returns the predicted classes."""
    pkg = libbnn_package(lib_path)
    with pkg.Model(model_path, backend={1: "cpu", 2: "emu"}[backend]) as m:
        return m.predict(np.asarray(x, dtype=np.float32), feats)


def raw_items(ds, sel):
    """The same items without the per-item normalisation: rerun the data
    set's bnn-extract command with --norm none into a temporary folder."""
    import subprocess
    import tempfile
    import data
    cmd = list(ds.meta["command"])
    cmd[0] = data.ensure_tool()
    for i, v in enumerate(cmd[:-1]):
        if v in ("-n", "--norm"):
            cmd[i + 1] = "none"
        if v in ("-o", "--output"):
            out_i = i + 1
    with tempfile.TemporaryDirectory() as d:
        cmd[out_i] = os.path.join(d, "raw")
        subprocess.run(cmd + ["-q"], check=True)
        raw = data.load(cmd[out_i])
    if len(raw) != len(ds) or not (raw.cols["sample"] == ds.cols["sample"]).all():
        raise RuntimeError("raw re-extraction does not line up with the data set")
    return raw.x[sel]


def input_desc_from_meta(meta, info):
    d = dict(channels=info["in_channels"], length=info["in_len"],
             sample_rate_hz=float(meta.get("fs", 0.0)), lead="", beat_pre=0, beat_post=0)
    if meta.get("kind") == "mitdb":
        # bnn-extract names every lead ("leads"); older data sets one
        leads = list(meta.get("leads") or [meta["lead"]])
        d.update(beat_pre=int(meta["pre"]), beat_post=int(meta["post"]), lead=leads[0],
                 leads=leads if len(leads) > 1 else [])
        d.update(baseline=meta.get("baseline") or "none",
                 lowpass_hz=float(meta.get("lowpass_hz") or 0.0),
                 amp_norm=meta.get("amp_norm") or "none",
                 ref_beats=int(meta.get("ref_beats") or 0))
    return d


def main(argv=None):
    p = argparse.ArgumentParser(description="Fold a trained model (model.pt) into libbnn's "
                                            "layers and check it against PyTorch.")
    p.add_argument("model_dir")
    p.add_argument("--items", type=int, default=5000, help="test items to check (0: all)")
    p.add_argument("--bnn", default=None, help="write the model to this .bnn file")
    p.add_argument("--libbnn", default=None,
                   help="libbnn shared library: load the written .bnn and run it (cpu backend)")
    p.add_argument("--backend", choices=["cpu", "emu"], default="cpu",
                   help="libbnn backend for --libbnn (emu: error model off)")
    p.add_argument("--name", default=None, help="model name stored in the file")
    p.add_argument("--class-offsets", default=None, metavar="SPEC",
                   help="class score offsets to write, e.g. S=4,V=2 ('' for none); default: "
                        "the model's training offsets (train.py --class-offsets[-file])")
    p.add_argument("--class-offsets-file", default=None, metavar="FILE",
                   help="the same from a JSON file with an 'offsets' object (offsets.py)")
    a = p.parse_args(argv)
    if a.libbnn and not a.bnn:
        p.error("--libbnn needs --bnn")
    torch.set_num_threads(1)
    import models
    import train
    ck = torch.load(os.path.join(a.model_dir, "model.pt"))
    info = ck["info"]
    model = models.build(info["task"], info["variant"], info["width"], info["in_len"],
                         info["n_classes"], in_channels=info["in_channels"],
                         in_bits=info["in_bits"] or 4, stem=info["stem"] or "quant",
                         features=info.get("features"), hidden=info.get("hidden"))
    model.load_state_dict(ck["state_dict"])
    model.eval()
    args = train.parse_args(["--task", info["task"], "--variant", info["variant"]])
    for k, v in ck["args"].items():
        setattr(args, k, v)
    spec = ck["args"].get("class_offsets")
    if a.class_offsets is not None:
        spec = a.class_offsets
    if a.class_offsets_file:
        import json
        with open(a.class_offsets_file) as fh:
            spec = ",".join("%s=%d" % (k, int(v)) for k, v in json.load(fh)["offsets"].items())
    ds = train.get_ecg(args) if info["task"] == "ecg" else train.get_eeg(args)
    offsets = train.offset_vector(spec, ds.classes) if spec else None
    if offsets and not any(offsets):
        offsets = None
    ds.feats = None
    if info["task"] == "ecg":
        train.attach_features(args, ds)
    sel = (np.arange(len(ds)) if not a.items
           else np.sort(np.random.RandomState(0).permutation(len(ds))[:a.items]))
    x = ds.x[sel]
    f = None if ds.feats is None else ds.feats[sel]
    r = check(model, x, ds.meta["norm"], feats=f)
    print("folded layers: " + ", ".join(d["kind"] for d in r["folded"]["layers"]) +
          "; input norm %s" % r["folded"]["input"]["norm"])
    for k, own, tot, size in r["layers"]:
        print("  %-8s binary activations differing: %d of %d (%d with identical inputs)%s"
              % (k, tot, size, own, "  [host float -> sign]" if k == "SIGN" else ""))
    print("reference predictions agree with PyTorch on %.3f %% of %d items" %
          (100 * r["pred_agree"], r["items"]))
    ok = check_ok(r)
    if a.bnn:
        name = a.name or os.path.basename(os.path.normpath(a.model_dir))
        desc = "%s %s width %d; trained by tools/train/train.py" % (
            info["task"], info["variant"], info["width"])
        nbytes = write_bnn(r["folded"], a.bnn, input_desc_from_meta(ds.meta, info),
                           ds.classes, name=name, desc=desc, offsets=offsets)
        print("wrote %s (%d bytes)%s" % (a.bnn, nbytes, "; class offsets " + ",".join(
            "%s=%d" % (c, v) for c, v in zip(ds.classes, offsets) if v) if offsets else ""))
        if a.libbnn:
            # PyTorch's classes, with the offsets as libbnn applies them
            ref = train.predict(model, x, f, offsets=offsets)
            # libbnn applies the model's own input normalisation: give it the
            # raw items (the same beats extracted with --norm none)
            xr = raw_items(ds, sel) if ds.meta["norm"] == "zscore" else x
            pred = libbnn_run(os.path.abspath(a.libbnn), a.bnn, xr,
                              1 if a.backend == "cpu" else 2, feats=f)
            agree = float((pred == ref).mean())
            print("libbnn (%s backend) predictions agree with PyTorch on %.3f %% of %d items"
                  % (a.backend, 100 * agree, len(x)))
            ok = ok and agree >= 0.999
            idesc = input_desc_from_meta(ds.meta, info)
            host, card, leads = libbnn_footprint(os.path.abspath(a.libbnn), a.bnn,
                                                 info["in_channels"])
            mine = models.memory_bits(model, 32)
            print("footprint: libbnn host %d card %d bits; memory_bits host %d card %d bits%s"
                  % (host, card, mine["host"], mine["card"],
                     "" if (host, card) == (mine["host"], mine["card"]) else "  MISMATCH"))
            ok = ok and (host, card) == (mine["host"], mine["card"])
            want = idesc["leads"] or [idesc["lead"]]
            print("leads: libbnn %s; data set %s%s" % (",".join(leads), ",".join(want),
                                                      "" if leads == want else "  MISMATCH"))
            ok = ok and leads == want
    print("check: %s" % ("PASS" if ok else "FAIL"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
