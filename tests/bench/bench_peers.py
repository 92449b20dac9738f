# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""make bench's peers (printed, never pass/fail): each shipped model's
network on the runtimes a user would pick instead, beside libbnn's numbers
from the same make bench run (bench_models' JSON).

  * fp32 on PyTorch CPU and on ONNX Runtime (the .onnx from torch.onnx):
    the same layers with real-valued weights (random: only speed matters),
    as tools/train/models.py's "fp" variant builds them: conv / dense ->
    ReLU (batch norm folded), max pool, flatten, the rhythm features'
    thermometer bits joined as floats, a last dense layer giving scores;
  * the same binarized network on Larq Compute Engine (larq layers, its
    Keras converter, its interpreter): binary conv (one-padded "same") ->
    batch norm -> max pool, binary dense; a first layer fed the k-bit input
    has binary weights and float inputs (LCE has no bit-serial input).

The network comes from the model file's own layer list (bench_models
--json), so it is the shipped one, not a re-trained guess. One thread
everywhere, batches of the same size as bench_models', CPU time per item
(other jobs on the cores do not inflate it; the wall rate is printed too).
Ratios: libbnn cpu (its best kernels) per peer, for speed and model size.

  bench_peers.py MODELS_JSON [--json OUT] [--seconds S] [--tmp DIR]
Run with the bench venv's Python (scripts/deps.sh bench).
"""
import argparse
import json
import os
import platform
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
# larq needs Keras 2: TensorFlow >= 2.16 gives it through tf-keras.
os.environ.setdefault("TF_USE_LEGACY_KERAS", "1")

import numpy as np  # noqa: E402


def rate(fn, n_items, seconds):
    """(CPU s per item, wall items/s): best of 3 runs by CPU time."""
    fn()  # warm-up
    best = None
    for _ in range(3):
        t0, c0, items = time.perf_counter(), time.process_time(), 0
        while True:
            fn()
            items += n_items
            t = time.perf_counter() - t0
            if t >= seconds / 3:
                break
        c = (time.process_time() - c0) / items
        if best is None or c < best[0]:
            best = (c, items / t)
    return best


def aux_bits(layers):
    j = [l for l in layers if l["kind"] == "join"]
    return j[0]["out"][1] - j[0]["in"][0] * j[0]["in"][1] if j else 0


def torch_net(layers):
    import torch.nn as nn

    class Net(nn.Module):
        """fp32 twin: (signal N x C x L, features N x aux) -> scores."""

        def __init__(self):
            super().__init__()
            self.pre, self.post, self.join = nn.ModuleList(), nn.ModuleList(), False
            weighted = [i for i, l in enumerate(layers)
                        if l["kind"] in ("conv1d", "bconv1d", "dense", "bdense")]
            for i, l in enumerate(layers):
                k = l["kind"]
                dst = self.post if self.join else self.pre
                if k in ("conv1d", "bconv1d"):
                    dst.append(nn.Conv1d(l["in"][1], l["out"][1], l["kernel"],
                                         stride=l["stride"], padding=l["pad"]))
                elif k in ("dense", "bdense"):
                    dst.append(nn.Linear(l["fan_in"], l["out"][1]))
                elif k == "maxpool1d":
                    dst.append(nn.MaxPool1d(l["kernel"], l["stride"]))
                elif k == "flatten":
                    dst.append(nn.Flatten())
                elif k in ("global_avgpool", "global_maxpool"):
                    dst.append(nn.AdaptiveAvgPool1d(1) if k == "global_avgpool"
                               else nn.AdaptiveMaxPool1d(1))
                    dst.append(nn.Flatten())
                elif k == "join":
                    self.join = True
                # quant, batchnorm, sign, act: folded or replaced by ReLU
                if i in weighted and i != weighted[-1]:
                    dst.append(nn.ReLU())

        def forward(self, x, f):
            import torch
            for m in self.pre:
                x = m(x)
            if self.join:
                x = torch.cat([x, f], 1)
            for m in self.post:
                x = m(x)
            return x

    return Net().eval()


def lce_net(layers, batch):
    import larq as lq
    import tensorflow as tf

    K = tf.keras.layers
    kw = dict(kernel_quantizer="ste_sign", kernel_constraint="weight_clip",
              use_bias=False)
    first = layers[0]
    L, C = first["in"]
    x_in = tf.keras.Input((L, 1, C), batch_size=batch)
    f_in = tf.keras.Input((max(aux_bits(layers), 1),), batch_size=batch)
    x, weighted = x_in, [l for l in layers if l.get("binary") or
                         l["kind"] in ("conv1d", "dense")]
    for l in layers:
        k = l["kind"]
        last = l is weighted[-1]
        bits_in = l["in_bits"] == 1
        if k in ("bconv1d", "conv1d"):
            if k == "bconv1d":
                x = lq.layers.QuantConv2D(
                    l["out"][1], (l["kernel"], 1), strides=(l["stride"], 1),
                    padding="same" if l["pad"] else "valid",
                    pad_values=1.0 if bits_in else 0.0,
                    input_quantizer="ste_sign" if bits_in else None, **kw)(x)
            else:
                x = K.Conv2D(l["out"][1], (l["kernel"], 1), strides=(l["stride"], 1),
                             padding="same" if l["pad"] else "valid")(x)
            x = K.BatchNormalization()(x)
            if k == "conv1d":
                x = K.ReLU()(x)
        elif k in ("bdense", "dense"):
            if k == "bdense":
                x = lq.layers.QuantDense(
                    l["out"][1], input_quantizer="ste_sign" if bits_in else None, **kw)(x)
            else:
                x = K.Dense(l["out"][1])(x)
            if not last:
                x = K.BatchNormalization()(x)
        elif k == "maxpool1d":
            x = K.MaxPool2D((l["kernel"], 1), strides=(l["stride"], 1))(x)
        elif k == "flatten":
            x = K.Flatten()(x)
        elif k in ("global_avgpool", "global_maxpool"):
            x = (K.GlobalAveragePooling2D() if k == "global_avgpool"
                 else K.GlobalMaxPooling2D())(x)
        elif k == "join":
            x = K.Concatenate()([x, f_in])
    inputs = [x_in, f_in] if aux_bits(layers) else [x_in]
    return tf.keras.Model(inputs, x)


def fmt_ratio(ours, theirs):
    return "%.2fx" % (ours / theirs) if ours and theirs else "-"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("models_json")
    ap.add_argument("--json")
    ap.add_argument("--seconds", type=float, default=1.0)
    ap.add_argument("--tmp", default=None)
    a = ap.parse_args()
    ours = json.load(open(a.models_json))
    batch = ours["batch"]
    tmp = a.tmp or tempfile.mkdtemp(prefix="bench-peers.")
    os.makedirs(tmp, exist_ok=True)
    print("command: %s" % " ".join([os.path.basename(sys.executable)] + sys.argv))
    print("machine: %s, %d cores; Python %s; batch %d, 1 thread, random inputs" %
          (ours["cpu"], os.cpu_count(), platform.python_version(), batch))
    print("note: shared cores, noisy: CPU time per item (busy core) is compared; "
          "ratio = libbnn cpu (best kernels) / peer, > 1 means libbnn is faster "
          "or smaller")

    peers, missing = {}, {}
    try:
        import torch
        torch.set_num_threads(1)
        peers["pytorch"] = "%s (OPENBLAS_CORETYPE=%s)" % (
            torch.__version__, os.environ.get("OPENBLAS_CORETYPE", "unset"))
    except Exception as e:  # noqa: BLE001 - any import failure is reported
        missing["pytorch"] = repr(e)
    try:
        import onnxruntime as ort
        peers["onnxruntime"] = ort.__version__
    except Exception as e:  # noqa: BLE001
        missing["onnxruntime"] = repr(e)
    try:
        import larq_compute_engine as lce
        from larq_compute_engine.tflite.python.interpreter import Interpreter
        import tensorflow as tf
        tf.get_logger().setLevel("ERROR")
        peers["lce"] = "%s (TensorFlow %s)" % (getattr(lce, "__version__", "0.16"),
                                              tf.__version__)
    except Exception as e:  # noqa: BLE001
        log = os.path.join(os.path.dirname(sys.executable), "..", "lce-install.log")
        why = repr(e)
        if os.path.exists(log):
            why += "; pip: " + open(log).read().strip().splitlines()[-1]
        missing["lce"] = why
    for k, v in peers.items():
        print("peer %s %s" % (k, v))
    for k, v in missing.items():
        print("peer %s NOT available: %s" % (k, v))
    print()
    print("%-24s %-18s %11s %12s %10s %12s %9s %9s" % (
        "model", "runtime", "ns/item", "items/s", "file kB", "wall items/s",
        "speed", "size"))
    out = dict(tool="bench_peers", batch=batch, peers=peers, missing=missing,
               models=[])
    rng = np.random.default_rng(1)
    for m in ours["models"]:
        name = os.path.basename(m["path"])
        layers = m["layers"]
        cpu = [r for r in m["rows"] if r["backend"] == "cpu" and r["ok"]]
        best = min(cpu, key=lambda r: r["ns_per_item"]) if cpu else None
        L, C = layers[0]["in"]
        aux = aux_bits(layers)
        x = rng.standard_normal((batch, C, L)).astype(np.float32)
        f = rng.standard_normal((batch, max(aux, 1))).astype(np.float32)
        rows = []
        if best:
            rows.append(("libbnn cpu " + best["kernels"], best["ns_per_item"] * 1e-9,
                         best["wall_items_per_s"], m["file_bytes"], None))
        if "pytorch" in peers:
            try:
                net = torch_net(layers)
                tx, tf_ = torch.from_numpy(x), torch.from_numpy(f)
                with torch.no_grad():
                    c, w = rate(lambda: net(tx, tf_), batch, a.seconds)
                onnx = os.path.join(tmp, name + ".onnx")
                torch.onnx.export(net, (tx, tf_), onnx, input_names=["x", "f"],
                                  output_names=["scores"], opset_version=13)
                nparams = sum(p.numel() for p in net.parameters())
                rows.append(("pytorch fp32", c, w, nparams * 4, None))
                if "onnxruntime" in peers:
                    so = ort.SessionOptions()
                    so.intra_op_num_threads = 1
                    so.inter_op_num_threads = 1
                    s = ort.InferenceSession(onnx, so, providers=["CPUExecutionProvider"])
                    feed = {i.name: (x if i.name == "x" else f) for i in s.get_inputs()}
                    c, w = rate(lambda: s.run(None, feed), batch, a.seconds)
                    rows.append(("onnxrt fp32", c, w, os.path.getsize(onnx), None))
            except Exception as e:  # noqa: BLE001
                rows.append(("pytorch fp32", None, None, None, repr(e)))
        if "lce" in peers:
            try:
                km = lce_net(layers, batch)
                fb = lce.convert_keras_model(km)
                it = Interpreter(fb, num_threads=1)
                xl = np.ascontiguousarray(x.transpose(0, 2, 1)[:, :, None, :])
                # The wrapper's own call takes a whole batch (predict()
                # would feed items one by one); inputs in the model's order.
                data = [xl if len(sh) == 4 else f for sh in it.input_shapes]
                c, w = rate(lambda: it.interpreter.predict(data), batch, a.seconds)
                # Binary convolutions become LCE's own op; its dense layers
                # stay float (LCE has no binary fully-connected kernel).
                rows.append(("lce binary" if b"LceBconv2d" in fb else "lce (no bconv)",
                             c, w, len(fb), None))
            except Exception as e:  # noqa: BLE001
                rows.append(("lce binary", None, None, None, repr(e)[:300]))
        res = []
        for i, (rt, c, w, size, err) in enumerate(rows):
            label = name if i == 0 else ""
            if err:
                print("%-24s %-18s failed: %s" % (label, rt, err))
                res.append(dict(runtime=rt, ok=False, why=err))
                continue
            sp = fmt_ratio(c, best["ns_per_item"] * 1e-9) if best and i else "1.00x"
            sz = fmt_ratio(size, m["file_bytes"]) if i else "1.00x"
            print("%-24s %-18s %11.1f %12.0f %10.1f %12.0f %9s %9s" % (
                label, rt, c * 1e9, 1 / c, size / 1e3, w, sp, sz))
            res.append(dict(runtime=rt, ok=True, ns_per_item=c * 1e9,
                            items_per_cpu_s=1 / c, wall_items_per_s=w,
                            model_bytes=size,
                            speed_ratio=(c / (best["ns_per_item"] * 1e-9)) if best else None,
                            size_ratio=size / m["file_bytes"]))
        out["models"].append(dict(path=m["path"], rows=res))
    print("(size: libbnn = the .bnn file; pytorch = fp32 parameters x 4 bytes; "
          "onnxrt = the .onnx file; lce = the .tflite flatbuffer)")
    print("(lce binary: the flatbuffer has LCE's binary convolution; 'no bconv': a "
          "model whose only binary layers are dense ones, which LCE runs in float)")
    if a.json:
        with open(a.json, "w") as fh:
            json.dump(out, fh, indent=1)
        print("JSON: %s" % a.json)


if __name__ == "__main__":
    main()
