#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Import a binarized ONNX graph (QONNX / Brevitas style) into .bnn.

  onnx_import.py IN.onnx OUT.bnn [--classes A,B,...] [--name NAME]
                 [--sample-rate HZ] [--lead NAME,...] [--beat PRE,POST]
                 [--class-offsets S=4,...]

The graph has one input (N, C, L) with fixed C and L and one output
(N, classes); its nodes, in graph order, must form a chain (each takes the
previous node's output plus constants: initializers, Constant nodes, or
nodes on constants only, such as a weight's binarizer). Supported:

  Sign, BipolarQuant (domain qonnx.custom_op.general / finn...: x >= 0 ->
    +scale, else -scale)     binarize activations or, on constants, weights
  MultiThreshold             one threshold per channel (or one for all),
                             out_scale s > 0 and out_bias -s/2: (x >= t) ->
                             +s/2, else -s/2
  MatMul, Gemm (transA 0), Conv (1-D, group 1, dilation 1, symmetric pads)
                             binary weights (+-w_o per output row) on binary
                             activations -> BDENSE / BCONV1D; any weights on
                             float activations -> DENSE / CONV1D
  BatchNormalization, Add and Mul of per-channel constants
                             folded: after a binary layer into its integer
                             thresholds (or a BATCHNORM after its scores),
                             after a float layer into its bias or a
                             BATCHNORM
  MaxPool (1-D, no pads), GlobalAveragePool, GlobalMaxPool, ReduceMean and
  ReduceMax over the length, Relu, Flatten (axis 1), Reshape to (N, -1),
  Squeeze of a length of 1, Identity, Dropout

A binary layer's output is tracked as alpha * S + beta for its integer
sums S (weight scales, Mul, Add, BN); a following Sign / BipolarQuant /
MultiThreshold becomes the card's rule S >= T (negated weight row when
alpha < 0), else the sums are the layer's scores and a BATCHNORM applies
alpha and beta. ONNX's Sign gives 0 at 0, the card +1: only a value of
exactly 0 can differ.

  Quant (QONNX; unsigned, not narrow, 2..8 bits, ROUND, per-tensor scale
  s and zero point z), feeding a binary layer directly
                             the card's multi-bit first layer: QUANT with
                             scale s, offset -z s; the layer's sums are
                             rescaled (v = 2q - (2^k - 1) on the card,
                             q - z in ONNX). Padding needs z = (2^k - 1) / 2
                             (padded positions are 0 in both). QONNX
                             rounds halves to even, the card away from 0:
                             inputs exactly halfway between levels can differ.

Errors (ImportFailed, a ValueError) name the node ('name' (OpType)) and
say why: the first unsupported node, a missing initializer, a wrong shape,
non-binary weights on binary activations.
"""
import argparse
import os
import sys

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

import export  # noqa: E402
import model_desc  # noqa: E402

# inputs each op needs (optional ones after them)
ARITY = dict(MatMul=2, Gemm=2, Conv=2, BatchNormalization=5, Add=2, Mul=2, BipolarQuant=2,
             MultiThreshold=2, Quant=4, Reshape=2)
QONNX_DOMAINS = ("qonnx.custom_op.general", "finn.custom_op.general", "finn", "onnx.brevitas")
INT32_MIN, INT32_MAX = -2 ** 31, 2 ** 31 - 1


class ImportFailed(ValueError):
    """The graph cannot be imported; .node and .op name the node (None
    for the graph's own inputs and outputs)."""

    def __init__(self, why, node=None):
        self.node = node.name if node is not None else None
        self.op = node.op_type if node is not None else None
        super().__init__("%s: %s" % (_nname(node), why) if node is not None else why)


def _nname(node):
    return "node %r (%s)" % (node.name or "->" + ",".join(node.output), node.op_type)


def _attrs(node):
    import onnx.helper
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


class _Act:
    """The chain's current tensor: kind float / bits / quant / sum, shape (C, L)
    for 3-D and (F,) for 2-D tensors."""

    def __init__(self, kind, shape, scale=1.0):
        self.kind, self.shape, self.scale = kind, tuple(shape), scale
        self.layer = self.alpha = self.beta = None
        self.quant = None           # (bits, scale, zero point) of a Quant's output


class _Importer:
    def __init__(self):
        self.layers = []
        self.flat = None            # (C, L) at the last flatten
        self.fresh = False          # last layer is a float layer nothing folded after
        self.consts = {}

    # ---- helpers ---------------------------------------------------------
    def fail(self, node, why):
        raise ImportFailed(why, node)

    def const(self, node, name, what):
        if name not in self.consts:
            self.fail(node, "%s %r is not a constant (an initializer or Constant node)"
                      % (what, name))
        return self.consts[name]

    def per_channel(self, node, v, what):
        """A constant that broadcasts along channels only -> (C,) float64."""
        shape = self.act.shape
        c = shape[0]
        v = np.asarray(v, dtype=np.float64)
        ok = {(), (1,), (c,)} | ({(1, c), (1, 1)} if len(shape) == 1 else
                                 {(c, 1), (1, c, 1), (1, 1), (1, 1, 1)})
        if v.shape not in ok:
            self.fail(node, "%s of shape %s on a tensor (N, %s): only per-channel "
                      "constants (%d values or a scalar) can be folded"
                      % (what, v.shape, ", ".join(map(str, shape)), c))
        v = np.broadcast_to(v.reshape(-1), (c,)) if v.size in (1, c) else v
        if not np.isfinite(v).all():
            self.fail(node, "%s is not finite" % what)
        return np.array(v, dtype=np.float64)

    def materialize(self, node=None):
        """A binary layer's pending sums -> its scores (float), alpha and
        beta as a BATCHNORM when they are not 1 and 0."""
        a = self.act
        if a.kind != "sum":
            return
        d = a.layer
        d.update(thr=None, scores=True)
        self.layers.append(d)
        if not (np.all(a.alpha == 1) and np.all(a.beta == 0)):
            self.layers.append(dict(kind="BATCHNORM", scale=a.alpha.astype(np.float32),
                                    shift=a.beta.astype(np.float32)))
        a.kind, a.layer = "float", None
        self.fresh = False

    def threshold(self, node, t, scale):
        """alpha * S + beta >= t per channel -> bits (the card's S >= T)."""
        a = self.act
        d = a.layer
        t = np.broadcast_to(np.asarray(t, dtype=np.float64), a.alpha.shape)
        bits = d["bits"].astype(bool)
        thr = np.zeros(len(t), dtype=np.int64)
        for o, (al, be, tt) in enumerate(zip(a.alpha, a.beta, t)):
            if al > 0:
                thr[o] = np.ceil((tt - be) / al)
            elif al < 0:
                bits[o] = ~bits[o]
                thr[o] = -np.floor((tt - be) / al)
            else:
                thr[o] = INT32_MIN if be >= tt else INT32_MAX
        d.update(bits=bits.astype(np.uint8), scores=False,
                 thr=np.clip(thr, INT32_MIN, INT32_MAX).astype(np.int32))
        self.layers.append(d)
        a.kind, a.layer, a.scale = "bits", None, scale
        self.fresh = False

    def float_affine(self, scale, shift):
        """y = x * scale + shift on a float tensor: into the last float
        layer's bias (shift only) or a BATCHNORM."""
        last = self.layers[-1] if self.layers else None
        if self.fresh and np.all(scale == 1):
            last["b"] = (last["b"].astype(np.float64) + shift).astype(np.float32)
            return
        if last is not None and last["kind"] == "BATCHNORM":
            last["scale"] = (last["scale"] * scale).astype(np.float32)
            last["shift"] = (last["shift"] * scale + shift).astype(np.float32)
            return
        self.layers.append(dict(kind="BATCHNORM", scale=scale.astype(np.float32),
                                shift=shift.astype(np.float32)))
        self.fresh = False

    def affine(self, node, scale, shift):
        a = self.act
        if a.kind == "sum":
            a.alpha = a.alpha * scale
            a.beta = a.beta * scale + shift
        elif a.kind == "float":
            self.float_affine(scale, shift)
        elif np.all(shift == 0) and np.all(scale == scale[0]) and scale[0] > 0:
            a.scale *= float(scale[0])
        else:
            self.fail(node, "%s on binary activations: only a positive scalar Mul keeps "
                      "them binary" % node.op_type)

    def push(self, d, kind):
        self.layers.append(d)
        self.act.kind = kind
        self.fresh = d["kind"] in ("CONV1D", "DENSE")

    # ---- layers with weights --------------------------------------------
    def weighted(self, node, w, b, conv, attrs=None):
        """w: (O, C, K) for Conv, (O, F) for dense; b: (O,) or None."""
        a = self.act
        if a.kind == "sum":
            self.materialize(node)
        if conv:
            o, c, k = w.shape
            if c != a.shape[0]:
                self.fail(node, "weights of shape %s for an input of %d channels"
                          % (w.shape, a.shape[0]))
            stride, pad = attrs
            length = a.shape[1]
            if pad >= k or length + 2 * pad < k:
                self.fail(node, "kernel %d, pads %d on %d samples: the .bnn window needs "
                          "pad < kernel <= length + 2 pad" % (k, pad, length))
            wf = w.transpose(0, 2, 1).reshape(o, -1)            # [O][k * C + c]
            out_shape = (o, (length + 2 * pad - k) // stride + 1)
            d = dict(kind="CONV1D" if a.kind == "float" else "BCONV1D", out_c=o, kernel=k,
                     stride=stride, pad=pad)
        else:
            o, f = w.shape
            if f != a.shape[0]:
                self.fail(node, "weights of shape %s (as (out, in)) for an input of %d "
                          "features" % (w.shape, a.shape[0]))
            wf = w
            if self.flat is not None:
                c, L = self.flat
                wf = wf.reshape(o, c, L).transpose(0, 2, 1).reshape(o, f)
            out_shape = (o,)
            d = dict(kind="DENSE" if a.kind == "float" else "BDENSE", out_c=o)
            self.flat = None
        bias = np.zeros(o) if b is None else np.asarray(b, dtype=np.float64).reshape(-1)
        if bias.shape != (o,):
            self.fail(node, "bias of %d values for %d outputs" % (bias.size, o))
        if not (np.isfinite(wf).all() and np.isfinite(bias).all()):
            self.fail(node, "weights or bias not finite")
        if a.kind in ("bits", "quant"):
            mag = np.abs(wf)
            if not (mag > 0).all() or not (mag == mag[:, :1]).all():
                self.fail(node, "weights are not binary (each output's weights must be "
                          "+w or -w, w > 0: binarize them with Sign or BipolarQuant): a "
                          "layer on %s activations runs on the card"
                          % ("binary" if a.kind == "bits" else "Quant's k-bit"))
            d["bits"] = (wf > 0).astype(np.uint8)
            m = mag[:, 0]
            act = _Act("sum", out_shape)
            if a.kind == "bits":
                act.alpha, act.beta = m * a.scale, bias
            else:
                # ONNX: sum w (q - z) s; the card: S = sum w v, v = 2q - (2^k - 1), so
                # (q - z) = v / 2 + c0 with c0 = (2^k - 1) / 2 - z, a constant per row
                # unless padded positions (v = 0 on the card, q = z in ONNX) differ
                k_bits, qs, z = a.quant
                c0 = (2 ** k_bits - 1) / 2.0 - z
                if conv and d["pad"] and c0 != 0:
                    self.fail(node, "pads %d after Quant with zero point %g: the card's "
                              "padding stands for the level midpoint %g (zero point "
                              "(2^k - 1) / 2 or no padding needed)"
                              % (d["pad"], z, (2 ** k_bits - 1) / 2.0))
                signs = np.where(wf > 0, 1.0, -1.0).sum(axis=1)
                act.alpha = m * qs / 2
                act.beta = bias + m * qs * c0 * signs
            act.layer = d
            self.act = act
            self.fresh = False
            return
        d.update(w=np.ascontiguousarray(wf, dtype=np.float32), b=bias.astype(np.float32))
        if conv:
            d["w"] = np.ascontiguousarray(d["w"].reshape(o, d["kernel"], -1))
        self.act = _Act("float", out_shape)
        self.push(d, "float")

    # ---- the nodes ---------------------------------------------------------
    def fold_const(self, node, ins, at):
        op = node.op_type
        v = [self.consts[i] if i else None for i in ins]
        if op == "Sign":
            return np.sign(v[0])
        if op == "BipolarQuant":
            return np.where(v[0] >= 0, 1.0, -1.0) * v[1]
        if op in ("Identity",):
            return v[0]
        if op == "Transpose":
            return np.transpose(v[0], at.get("perm"))
        if op == "Neg":
            return -v[0]
        arith = {"Add": np.add, "Sub": np.subtract, "Mul": np.multiply, "Div": np.divide}
        if op in arith and len(v) == 2:
            return arith[op](v[0], v[1])
        return None

    def run(self, model):
        import onnx.numpy_helper as nh
        g = model.graph
        for t in g.initializer:
            self.consts[t.name] = nh.to_array(t).astype(np.float64) \
                if nh.to_array(t).dtype.kind == "f" else nh.to_array(t)
        inputs = [i for i in g.input if i.name not in self.consts]
        if len(inputs) != 1:
            raise ImportFailed("the graph has %d inputs besides its initializers (%s): one "
                               "(N, C, L) input is needed"
                               % (len(inputs), ", ".join(i.name for i in inputs)))
        dims = inputs[0].type.tensor_type.shape.dim
        shape = [d.dim_value if d.HasField("dim_value") else None for d in dims]
        if len(shape) != 3 or not all(shape[1:]) or min(shape[1:]) < 1:
            raise ImportFailed("graph input %r has shape %s: (N, C, L) with fixed C and L "
                               "is needed (1-D signals)" % (inputs[0].name, shape))
        self.in_shape = (shape[1], shape[2])
        cur = inputs[0].name
        self.act = _Act("float", self.in_shape)
        self.fresh = False
        known = set(self.consts) | {cur}
        for node in g.node:
            at = _attrs(node)
            if node.op_type == "Constant":
                if "value" not in at:
                    self.fail(node, "only Constant nodes with a tensor 'value' are supported")
                self.consts[node.output[0]] = nh.to_array(at["value"]).astype(np.float64) \
                    if nh.to_array(at["value"]).dtype.kind == "f" else nh.to_array(at["value"])
                known.add(node.output[0])
                continue
            ins = list(node.input)
            need = ARITY.get(node.op_type, 1)
            if len(ins) < need or not all(ins[:need]):
                self.fail(node, "%d input(s) given, %d needed" % (len([i for i in ins if i]),
                                                                 need))
            for i in ins:
                if i and i not in known:
                    self.fail(node, "input %r is neither an initializer nor the output of an "
                              "earlier node (missing initializer?)" % i)
            if node.domain not in ("", "ai.onnx") + QONNX_DOMAINS:
                self.fail(node, "domain %r is not supported" % node.domain)
            if node.domain in QONNX_DOMAINS and node.op_type not in ("BipolarQuant",
                                                                      "MultiThreshold",
                                                                      "Quant"):
                self.fail(node, "QONNX op %s is not supported" % node.op_type)
            if node.domain not in QONNX_DOMAINS and node.op_type in ("BipolarQuant",
                                                                      "MultiThreshold",
                                                                      "Quant"):
                self.fail(node, "domain %r: %s is a QONNX op (domain %s)"
                          % (node.domain, node.op_type, QONNX_DOMAINS[0]))
            dyn = [i for i in ins if i and i not in self.consts]
            if not dyn:
                try:
                    with np.errstate(all="ignore"):
                        v = self.fold_const(node, ins, at)
                except ValueError as e:        # shapes that do not broadcast
                    self.fail(node, "on constants: %s" % e)
                if v is None:
                    self.fail(node, "this op on constants is not supported")
                self.consts[node.output[0]] = v
                known.add(node.output[0])
                continue
            if dyn != [cur]:
                self.fail(node, "takes %s: a .bnn model is a chain, each node takes the "
                          "previous node's output %r (and constants)" % (dyn, cur))
            if node.op_type not in ("Add", "Mul") and ins[0] != cur:
                self.fail(node, "the activation %r must be its first input" % cur)
            self.node(node, ins, at)
            cur = node.output[0]
            known.add(cur)
        if len(g.output) != 1 or g.output[0].name != cur:
            raise ImportFailed("the graph's output must be the last node's output %r (one "
                               "tensor of class scores), not %s"
                               % (cur, [o.name for o in g.output]))
        a = self.act
        if len(a.shape) != 1:
            raise ImportFailed("the output %r is (N, %s): class scores (N, classes) are "
                               "needed (Flatten first)" % (cur, ", ".join(map(str, a.shape))))
        if a.kind in ("bits", "quant"):
            raise ImportFailed("the output %r is %s: the class scores must be a layer's "
                               "sums or float outputs"
                               % (cur, "binarized" if a.kind == "bits" else "quantised"))
        self.materialize()
        return dict(input=dict(norm="none", offset=0.0, scale=1.0), layers=self.layers,
                    classes=a.shape[0])

    def quant(self, node, ins, at):
        """QONNX Quant, unsigned k-bit (2..8), not narrow, ROUND: q =
        clamp(round(x / s + z), 0, 2^k - 1), output (q - z) s; the .bnn
        QUANT with scale s and offset -z s (the card's multi-bit input)."""
        a = self.act
        if a.kind != "float":
            self.fail(node, "Quant of %s values" % a.kind)
        vals = []
        for i, what in ((1, "scale"), (2, "zero point"), (3, "bit width")):
            v = np.asarray(self.const(node, ins[i] if len(ins) > i else "", what),
                           dtype=np.float64)
            if v.size != 1 or not np.isfinite(v).all():
                self.fail(node, "%s of shape %s: one finite value (per-tensor quantisation) "
                          "is needed" % (what, v.shape))
            vals.append(float(v.reshape(-1)[0]))
        qs, z, bw = vals
        if not qs > 0:
            self.fail(node, "scale %g: > 0 needed" % qs)
        if bw != int(bw) or not 2 <= bw <= 8:
            self.fail(node, "bit width %g: the card's multi-bit input has 2 to 8 bits%s" % (
                bw, " (binary values: BipolarQuant; Quant's 1 bit is not +-1)"
                if bw == 1 else ""))
        rm = at.get("rounding_mode", b"ROUND")
        rm = rm.decode() if isinstance(rm, bytes) else rm
        if at.get("signed", 1) or at.get("narrow", 0) or rm != "ROUND":
            self.fail(node, "signed %d, narrow %d, rounding_mode %s: unsigned, not narrow, "
                      "ROUND only (levels 0 .. 2^k - 1)"
                      % (at.get("signed", 1), at.get("narrow", 0), rm))
        self.layers.append(dict(kind="QUANT", qbits=int(bw), qoffset=-z * qs, qscale=qs))
        a.kind, a.quant = "quant", (int(bw), qs, z)
        self.fresh = False

    def node(self, node, ins, at):
        op = node.op_type
        a = self.act
        if op in ("Identity", "Dropout"):
            return
        if a.kind == "quant" and op not in ("Conv", "MatMul", "Gemm", "Flatten", "Reshape"):
            self.fail(node, "the k-bit values of a Quant must go straight to a binary layer "
                      "(Conv / MatMul / Gemm with binary weights)")
        if op == "Quant":
            self.quant(node, ins, at)
            return
        if op in ("Sign", "BipolarQuant"):
            scale = 1.0
            if op == "BipolarQuant":
                s = np.asarray(self.const(node, ins[1], "scale"), dtype=np.float64)
                if s.size != 1 or not np.isfinite(s).all() or float(s.reshape(-1)[0]) <= 0:
                    self.fail(node, "scale %s: one finite scale > 0 for binary activations"
                              % (s.tolist(),))
                scale = float(s.reshape(-1)[0])
            if a.kind == "sum":
                self.threshold(node, 0.0, scale)
            elif a.kind == "float":
                self.push(dict(kind="SIGN"), "bits")
                a.scale = scale
            else:
                a.scale = scale
            return
        if op == "MultiThreshold":
            t = np.asarray(self.const(node, ins[1], "thresholds"), dtype=np.float64)
            c = a.shape[0]
            if t.ndim != 2 or t.shape[1] != 1 or t.shape[0] not in (1, c):
                self.fail(node, "thresholds of shape %s: one threshold per channel ((%d, 1) "
                          "or (1, 1)) for binary outputs" % (t.shape, c))
            if at.get("data_layout", b"NCHW") not in (b"NCHW", "NCHW"):
                self.fail(node, "data_layout %s: channels on axis 1 (NCHW) only"
                          % at.get("data_layout"))
            s, bias = float(at.get("out_scale", 1.0)), float(at.get("out_bias", 0.0))
            if not s > 0 or bias != -s / 2:
                self.fail(node, "out_scale %g, out_bias %g give %g / %g: binary (+-v) "
                          "outputs need out_bias = -out_scale / 2" % (s, bias, bias, s + bias))
            t = np.broadcast_to(t[:, 0], (c,))
            if not np.isfinite(t).all():
                self.fail(node, "thresholds are not finite")
            if a.kind == "sum":
                self.threshold(node, t, s / 2)
            elif a.kind == "float":
                self.float_affine(np.ones(c), -t)
                self.push(dict(kind="SIGN"), "bits")
                a.scale = s / 2
            else:
                self.fail(node, "MultiThreshold on binary activations")
            return
        if op in ("Add", "Mul"):
            other = ins[1] if ins[0] not in self.consts else ins[0]
            v = self.per_channel(node, self.const(node, other, "the other operand"),
                                 "the constant")
            c = len(v)
            if op == "Add":
                self.affine(node, np.ones(c), v)
            else:
                self.affine(node, v, np.zeros(c))
            return
        if op == "BatchNormalization":
            if at.get("training_mode", 0):
                self.fail(node, "training_mode 1: export the graph in inference mode")
            if len(node.output) > 1 and any(node.output[1:]):
                self.fail(node, "running statistics outputs: export in inference mode")
            sc, b, mean, var = (self.per_channel(node, self.const(node, ins[i], n), n)
                                for i, n in ((1, "scale"), (2, "bias"), (3, "mean"),
                                             (4, "var")))
            if (var < 0).any():
                self.fail(node, "negative variance")
            k = sc / np.sqrt(var + float(at.get("epsilon", 1e-5)))
            self.affine(node, k, b - mean * k)
            return
        if op in ("MatMul", "Gemm"):
            if len(a.shape) != 1:
                self.fail(node, "input is (N, %d, %d): flatten it first (Flatten axis 1)"
                          % a.shape)
            w = np.asarray(self.const(node, ins[1], "weights"), dtype=np.float64)
            if w.ndim != 2:
                self.fail(node, "weights of shape %s: a 2-D matrix is needed" % (w.shape,))
            b = None
            if op == "Gemm":
                if at.get("transA", 0):
                    self.fail(node, "transA 1 is not supported")
                if at.get("transB", 0):
                    w = w.T
                w = w * float(at.get("alpha", 1.0))
                if len(ins) > 2 and ins[2]:
                    b = np.asarray(self.const(node, ins[2], "bias"), dtype=np.float64)
                    b = b * float(at.get("beta", 1.0))
                    if b.size == 1:
                        b = np.full(w.shape[1], float(b.reshape(-1)[0]))
            self.weighted(node, w.T, b, conv=False)
            return
        if op == "Conv":
            if len(a.shape) != 2:
                self.fail(node, "input of shape (N, %d): Conv needs (N, C, L)" % a.shape)
            w = np.asarray(self.const(node, ins[1], "weights"), dtype=np.float64)
            if w.ndim != 3:
                self.fail(node, "weights of shape %s: 1-D convolution weights (O, C, K) "
                          "are needed" % (w.shape,))
            k = w.shape[2]
            if at.get("auto_pad", b"NOTSET") not in (b"NOTSET", "NOTSET"):
                self.fail(node, "auto_pad is not supported: give pads")
            if at.get("group", 1) != 1 or list(at.get("dilations", [1])) != [1]:
                self.fail(node, "group %s, dilations %s: the .bnn format has group 1 and "
                          "dilation 1" % (at.get("group", 1), list(at.get("dilations", [1]))))
            if list(at.get("kernel_shape", [k])) != [k]:
                self.fail(node, "kernel_shape %s does not match the weights" %
                          list(at["kernel_shape"]))
            pads = list(at.get("pads", [0, 0]))
            if len(pads) != 2 or pads[0] != pads[1]:
                self.fail(node, "pads %s: symmetric 1-D padding [p, p] only" % pads)
            strides = list(at.get("strides", [1]))
            if len(strides) != 1 or strides[0] < 1:
                self.fail(node, "strides %s: one stride >= 1" % strides)
            b = self.const(node, ins[2], "bias") if len(ins) > 2 and ins[2] else None
            self.weighted(node, w, b, conv=True, attrs=(strides[0], pads[0]))
            return
        if op == "Relu":
            self.materialize(node)
            if a.kind == "bits":
                self.fail(node, "Relu on binary activations")
            self.push(dict(kind="ACT", act="relu"), "float")
            return
        if op == "MaxPool":
            if len(a.shape) != 2:
                self.fail(node, "MaxPool needs (N, C, L)")
            ks = list(at.get("kernel_shape", []))
            st = list(at.get("strides", ks))
            if (len(ks) != 1 or any(at.get("pads", [0, 0])) or at.get("ceil_mode", 0) or
                    list(at.get("dilations", [1])) != [1] or len(st) != 1):
                self.fail(node, "kernel_shape %s, pads %s, ceil_mode, dilations: 1-D "
                          "pooling without padding only" % (ks, list(at.get("pads", []))))
            if len(node.output) > 1 and any(node.output[1:]):
                self.fail(node, "the Indices output is not supported")
            if ks[0] > a.shape[1]:
                self.fail(node, "kernel %d longer than the %d samples" % (ks[0], a.shape[1]))
            self.materialize(node)
            kind = a.kind
            self.push(dict(kind="MAXPOOL1D", kernel=ks[0], stride=st[0], pad=0), kind)
            a.shape = (a.shape[0], (a.shape[1] - ks[0]) // st[0] + 1)
            return
        if op in ("GlobalAveragePool", "GlobalMaxPool"):
            if len(a.shape) != 2:
                self.fail(node, "%s needs (N, C, L)" % op)
            self.materialize(node)
            if a.kind == "bits":
                self.fail(node, "global pooling of binary activations (the .bnn format "
                          "pools floats globally)")
            self.push(dict(kind="GLOBAL_AVG" if op == "GlobalAveragePool" else "GLOBAL_MAX"),
                      "float")
            a.shape = (a.shape[0], 1)
            return
        if op in ("ReduceMean", "ReduceMax", "Squeeze"):
            axes = at.get("axes")
            if axes is None and len(ins) > 1 and ins[1]:
                axes = np.asarray(self.const(node, ins[1], "axes")).reshape(-1).tolist()
            if len(a.shape) != 2 or list(axes or []) not in ([2], [-1]):
                self.fail(node, "axes %s of a tensor (N, %s): only the length axis (2) of "
                          "(N, C, L)" % (axes, ", ".join(map(str, a.shape))))
            if op == "Squeeze":
                if a.shape[1] != 1:
                    self.fail(node, "squeezing a length of %d" % a.shape[1])
                a.shape = (a.shape[0],)         # (C, 1) is already what a dense layer reads
                return
            self.materialize(node)
            if a.kind != "float":
                self.fail(node, "%s of %s values (the .bnn format pools floats globally)"
                          % (op, a.kind))
            self.push(dict(kind="GLOBAL_AVG" if op == "ReduceMean" else "GLOBAL_MAX"),
                      "float")
            a.shape = (a.shape[0], 1) if at.get("keepdims", 1) else (a.shape[0],)
            return
        if op in ("Flatten", "Reshape"):
            if op == "Flatten" and at.get("axis", 1) != 1:
                self.fail(node, "axis %d: Flatten(axis=1) only" % at.get("axis", 1))
            if op == "Reshape":
                s = [int(v) for v in np.asarray(self.const(node, ins[1], "shape")).reshape(-1)]
                n = int(np.prod(a.shape))
                if len(s) != 2 or s[0] not in (0, -1, 1) or s[1] not in (-1, n) or s == [-1, -1]:
                    self.fail(node, "shape %s: only a flatten of each item, (N, -1) or "
                              "(0, %d), is supported" % (s, n))
            if len(a.shape) == 1:
                return
            self.materialize(node)
            self.flat = a.shape
            self.push(dict(kind="FLATTEN"), a.kind)
            a.shape = (a.shape[0] * a.shape[1],)
            return
        self.fail(node, "no .bnn layer for this op")


def load(src):
    import onnx
    if isinstance(src, (str, bytes, os.PathLike)):
        try:
            return onnx.load(os.fspath(src))
        except Exception as e:  # protobuf's DecodeError and I/O errors alike
            raise ImportFailed("%s: not an ONNX model (%s)" % (os.fspath(src), e)) from None
    return src


def import_graph(src):
    """Fold an ONNX model (path or onnx.ModelProto) into the layer list of
    export.fold: dict(input, layers, classes, in_shape, model (the
    onnx.ModelProto))."""
    model = load(src)
    imp = _Importer()
    folded = imp.run(model)
    folded.update(in_shape=imp.in_shape, model=model)
    return folded


def import_onnx(src, path, classes=None, name="", desc="", input_desc=None, offsets=None):
    """Import src (path or onnx.ModelProto) and write path (.bnn); class
    names default to "0", "1", ...; input_desc and offsets (one integer
    per class) as export.write_bnn takes them.  Returns the folded model."""
    folded = import_graph(src)
    n = folded["classes"]
    names = list(classes) if classes is not None else [str(i) for i in range(n)]
    if len(names) != n:
        raise ImportFailed("%d class names for a graph of %d classes" % (len(names), n))
    d = dict(channels=folded["in_shape"][0], length=folded["in_shape"][1])
    d.update(input_desc or {})
    export.write_bnn(folded, path, d, names, name=name, desc=desc, offsets=offsets)
    return folded


def main(argv=None):
    p = argparse.ArgumentParser(description="Import a binarized ONNX graph (Sign, QONNX "
                                            "BipolarQuant / MultiThreshold / Quant) into "
                                            ".bnn.")
    p.add_argument("onnx")
    p.add_argument("out")
    model_desc.add_arguments(p)
    a = p.parse_args(argv)
    try:
        folded = import_graph(a.onnx)
        names = model_desc.class_names(a, folded["classes"])
        import_onnx(folded["model"], a.out, names, name=a.name,
                    input_desc=model_desc.input_desc(a, folded["in_shape"][0]),
                    offsets=model_desc.offsets(a, names))
    except ValueError as e:
        print("onnx_import: %s" % e, file=sys.stderr)
        return 1
    print("wrote %s: %s" % (a.out, ", ".join(d["kind"] for d in folded["layers"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
