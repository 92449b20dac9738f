# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""A plain numpy evaluation of the ONNX ops the importer tests use
(onnx.reference arrived in onnx 1.13; Debian 12 has 1.12), written from
the ONNX operator docs and QONNX's custom-op docs, independently of
tools/train/onnx_import.py: float64 throughout."""
import numpy as np
import onnx.helper
import onnx.numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv1d(x, w, b, stride, pad):
    n, c, length = x.shape
    o, _, k = w.shape
    xp = np.zeros((n, c, length + 2 * pad))
    xp[:, :, pad:pad + length] = x
    lo = (length + 2 * pad - k) // stride + 1
    y = np.zeros((n, o, lo))
    for t in range(lo):
        y[:, :, t] = np.einsum("nck,ock->no", xp[:, :, t * stride:t * stride + k], w)
    return y + (0 if b is None else b[None, :, None])


def _chan(v, x):
    """A per-channel constant against x (N, C) or (N, C, L)."""
    return v.reshape((1, -1) + (1,) * (x.ndim - 2))


def run(model, x):
    env = {t.name: onnx.numpy_helper.to_array(t).astype(np.float64)
           if onnx.numpy_helper.to_array(t).dtype.kind == "f"
           else onnx.numpy_helper.to_array(t) for t in model.graph.initializer}
    inp = [i.name for i in model.graph.input if i.name not in env][0]
    env[inp] = np.asarray(x, dtype=np.float64)
    for node in model.graph.node:
        a = _attrs(node)
        v = [env[i] if i else None for i in node.input]
        op = node.op_type
        if op == "Constant":
            y = onnx.numpy_helper.to_array(a["value"])
        elif op == "Sign":
            y = np.sign(v[0])
        elif op == "BipolarQuant":
            y = np.where(v[0] >= 0, 1.0, -1.0) * v[1]
        elif op == "Quant":
            sc, z, bw = (float(np.asarray(t).reshape(-1)[0]) for t in v[1:4])
            q = np.clip(np.round(v[0] / sc + z), 0, 2 ** int(bw) - 1)   # unsigned
            y = (q - z) * sc
        elif op == "MultiThreshold":
            t = v[1]
            xm = np.moveaxis(v[0], 1, -1)[..., None]
            y = np.moveaxis((xm >= t).sum(-1), -1, 1) * a.get("out_scale", 1.0) + \
                a.get("out_bias", 0.0)
        elif op == "MatMul":
            y = v[0] @ v[1]
        elif op == "Gemm":
            bm = v[1].T if a.get("transB", 0) else v[1]
            y = a.get("alpha", 1.0) * v[0] @ bm
            if len(v) > 2 and v[2] is not None:
                y = y + a.get("beta", 1.0) * v[2]
        elif op == "Conv":
            y = _conv1d(v[0], v[1], v[2] if len(v) > 2 else None,
                        a.get("strides", [1])[0], a.get("pads", [0, 0])[0])
        elif op == "BatchNormalization":
            sc, b, m, var = v[1:5]
            y = (v[0] - _chan(m, v[0])) / np.sqrt(_chan(var, v[0]) + a.get("epsilon", 1e-5)) \
                * _chan(sc, v[0]) + _chan(b, v[0])
        elif op == "Add":
            y = v[0] + v[1]
        elif op == "Mul":
            y = v[0] * v[1]
        elif op == "Relu":
            y = np.maximum(v[0], 0)
        elif op == "MaxPool":
            k = a["kernel_shape"][0]
            s = a.get("strides", [k])[0]
            lo = (v[0].shape[2] - k) // s + 1
            y = np.stack([v[0][:, :, t * s:t * s + k].max(2) for t in range(lo)], axis=2)
        elif op == "GlobalAveragePool":
            y = v[0].mean(axis=2, keepdims=True)
        elif op == "GlobalMaxPool":
            y = v[0].max(axis=2, keepdims=True)
        elif op in ("ReduceMean", "ReduceMax"):
            f = np.mean if op == "ReduceMean" else np.max
            y = f(v[0], axis=tuple(a["axes"]), keepdims=bool(a.get("keepdims", 1)))
        elif op == "Squeeze":
            y = np.squeeze(v[0], axis=tuple(int(d) for d in v[1]))
        elif op == "Flatten":
            y = v[0].reshape(v[0].shape[0], -1)
        elif op == "Reshape":
            s = [v[0].shape[0] if d == 0 else int(d) for d in v[1]]
            y = v[0].reshape(s)
        elif op in ("Identity", "Dropout"):
            y = v[0]
        else:
            raise NotImplementedError(op)
        env[node.output[0]] = y
    return env[model.graph.output[0].name]
