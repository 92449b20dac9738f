# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""tools/train/onnx_import.py: binarized ONNX graphs (Sign, QONNX
BipolarQuant / MultiThreshold) built here with the onnx package imported
into .bnn; libbnn's classes must equal a numpy evaluation of the graph
(onnx_ref.py) on random inputs; unsupported and malformed graphs fail
naming the node and its op type."""
import os
import subprocess
import sys

import numpy as np
import pytest

import onnx  # noqa: E402  (python3-onnx: scripts/deps.sh python)
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
TRAIN = os.path.join(HERE, "..", "..", "tools", "train")
sys.path.insert(0, TRAIN)
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
import onnx_import  # noqa: E402
import onnx_ref  # noqa: E402

import bnn  # noqa: E402

QONNX = "qonnx.custom_op.general"
L = 32


class Graph:
    """A chain of nodes on the input x (N, C, L), one at a time."""

    def __init__(self, c=1, length=L, seed=0):
        self.c, self.length = c, length
        self.nodes, self.inits = [], []
        self.cur = "x"
        self.rs = np.random.RandomState(seed)

    def const(self, name, arr):
        self.inits.append(numpy_helper.from_array(np.asarray(arr, dtype=np.float32)
                                                  if np.asarray(arr).dtype.kind == "f"
                                                  else np.asarray(arr), name))
        return name

    def node(self, op, *inputs, name=None, domain="", first=None, **attrs):
        """op on the current tensor (first input unless first= names
        another); the result becomes the current tensor."""
        name = name or "%s%d" % (op.lower(), len(self.nodes))
        ins = ([self.cur] if first is None else [first]) + list(inputs)
        self.nodes.append(helper.make_node(op, ins, [name], name=name, domain=domain, **attrs))
        self.cur = name
        return name

    def wnode(self, op, w_name, inputs, name, domain="", **attrs):
        """A node on constants only (a weight binarizer)."""
        self.nodes.append(helper.make_node(op, inputs, [w_name], name=name, domain=domain,
                                           **attrs))
        return w_name

    def model(self, in_dims=None, out=None):
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT,
                                          in_dims or ["N", self.c, self.length])
        y = helper.make_tensor_value_info(out or self.cur, TensorProto.FLOAT, None)
        g = helper.make_graph(self.nodes, "test", [x], [y], self.inits)
        return helper.make_model(g, opset_imports=[helper.make_opsetid("", 13),
                                                   helper.make_opsetid(QONNX, 1)])

    def bn(self, n, name=None):
        r = self.rs
        k = len(self.inits)
        return self.node("BatchNormalization",
                         self.const("bn%d_g" % k, r.randn(n)),
                         self.const("bn%d_b" % k, r.randn(n) * .3),
                         self.const("bn%d_m" % k, r.randn(n)),
                         self.const("bn%d_v" % k, r.rand(n) * 4 + .5),
                         name=name, epsilon=1e-5)


def binary_graph():
    """Fully binary, QONNX style: BipolarQuant input, BipolarQuant / Sign
    weights, BN, Mul and Add folded into MultiThreshold, Flatten, MatMul,
    Gemm with a bias as the class scores."""
    g = Graph(seed=1)
    r = g.rs
    g.node("BipolarQuant", g.const("s_in", 1.0), domain=QONNX, name="bin_in")
    w1 = g.wnode("BipolarQuant", "w1q", [g.const("w1", r.randn(8, 1, 3)),
                                         g.const("w1s", r.rand(8, 1, 1) + .5)], "w1_bin",
                 domain=QONNX)
    g.node("Conv", w1, name="conv1", kernel_shape=[3], pads=[1, 1])
    g.bn(8, "bn1")
    g.node("Sign", name="sign1")
    g.node("MaxPool", name="pool1", kernel_shape=[2], strides=[2])
    w2 = g.wnode("Sign", "w2s", [g.const("w2", r.randn(8, 8, 3))], "w2_sign")
    g.node("Conv", w2, name="conv2", kernel_shape=[3], pads=[1, 1])
    g.node("Mul", g.const("mul2c", r.randn(8, 1)), name="mul2")
    add = g.const("add2c", r.randn(1, 8, 1) * 2)
    prev = g.cur
    g.node("Add", prev, first=add, name="add2")          # constant first
    g.node("MultiThreshold", g.const("thr2", r.randn(8, 1)), domain=QONNX, name="mt2",
           out_scale=2.0, out_bias=-1.0, out_dtype="BIPOLAR")
    g.node("Flatten", name="flat", axis=1)
    w3 = g.wnode("BipolarQuant", "w3q", [g.const("w3", r.randn(8 * 16, 16)),
                                         g.const("w3s", 0.5)], "w3_bin", domain=QONNX)
    g.node("MatMul", w3, name="fc3")
    g.bn(16, "bn3")
    g.node("BipolarQuant", g.const("s3", 1.0), domain=QONNX, name="bin3")
    w4 = g.wnode("Sign", "w4s", [g.const("w4", r.randn(4, 16))], "w4_sign")
    g.node("Gemm", w4, g.const("c4", r.randn(4)), name="out", transB=1)
    return g.model()


def float_stem_graph():
    """Float convolutions on the host, a binary classifier on the card."""
    g = Graph(c=2, seed=2)
    r = g.rs
    g.node("Conv", g.const("w1", r.randn(6, 2, 5)), g.const("b1", r.randn(6)), name="conv1",
           kernel_shape=[5], pads=[2, 2])
    g.node("Relu", name="relu1")
    g.node("MaxPool", name="pool1", kernel_shape=[2])
    g.node("Conv", g.const("w2", r.randn(6, 6, 3)), name="conv2", kernel_shape=[3],
           pads=[1, 1])
    g.bn(6, "bn2")
    g.node("Sign", name="sign2")
    g.node("Reshape", g.const("shape", np.array([0, -1], dtype=np.int64)), name="flat")
    w3 = g.wnode("Sign", "w3s", [g.const("w3", r.randn(6 * 16, 3))], "w3_sign")
    g.node("MatMul", w3, name="fc3")
    g.node("Add", g.const("b3", r.randn(3) * 4), name="bias3")
    return g.model()


def float_graph():
    g = Graph(seed=3)
    r = g.rs
    g.node("Conv", g.const("w1", r.randn(6, 1, 5)), name="conv1", kernel_shape=[5],
           strides=[2])
    g.node("Relu", name="relu1")
    g.node("GlobalAveragePool", name="gap")
    g.node("Flatten", name="flat")
    g.node("Gemm", g.const("w2", r.randn(6, 3)), g.const("b2", r.randn(3)), name="fc")
    return g.model()


def reduce_graph(op="ReduceMean", keep=1):
    """Global pooling as a reduction over the length, then Squeeze (seed:
    one whose classes all occur on the varied inputs)."""
    g = Graph(seed=15)
    r = g.rs
    g.node("Conv", g.const("w1", r.randn(6, 1, 5)), g.const("b1", r.randn(6)), name="conv1",
           kernel_shape=[5])
    g.node("Relu", name="relu1")
    g.node(op, name="pool", axes=[2], keepdims=keep)
    if keep:
        g.node("Squeeze", g.const("sq_axes", np.array([2], dtype=np.int64)), name="squeeze")
    g.node("Gemm", g.const("w2", r.randn(3, 6) * 3), g.const("b2", r.randn(3) * .1), name="fc",
           transB=1)
    return g.model()


def reduce_max_graph():
    return reduce_graph("ReduceMax", keep=0)


def quant_graph(z=8.0, pads=0, dense=False):
    """QONNX Quant, 4 bits: the card's multi-bit first layer, then a
    binary convolution (or, dense=True, a binary fully connected layer)."""
    g = Graph(seed=6)
    r = g.rs
    g.node("Quant", g.const("qs", 0.3), g.const("qz", z), g.const("qb", 4.0), domain=QONNX,
           name="q_in", signed=0, narrow=0, rounding_mode="ROUND")
    if dense:
        g.node("Flatten", name="flat0")
        w = g.wnode("BipolarQuant", "w1q", [g.const("w1", r.randn(L, 12)),
                                            g.const("w1s", 0.25)], "w1_bin", domain=QONNX)
        g.node("MatMul", w, name="fc1")
        g.bn(12, "bn1")
        g.node("Sign", name="sign1")
        w2 = g.wnode("Sign", "w2s", [g.const("w2", r.randn(12, 3))], "w2_sign")
        g.node("MatMul", w2, name="fc2")
        return g.model()
    w = g.wnode("Sign", "w1s", [g.const("w1", r.randn(6, 1, 5))], "w1_sign")
    g.node("Conv", w, name="conv1", kernel_shape=[5], pads=[pads, pads])
    g.bn(6, "bn1")
    g.node("Sign", name="sign1")
    g.node("MaxPool", name="pool1", kernel_shape=[2], strides=[2])
    g.node("Flatten", name="flat")
    n = 6 * ((L + 2 * pads - 4) // 2)
    w2 = g.wnode("Sign", "w2s", [g.const("w2", r.randn(n, 3))], "w2_sign")
    g.node("MatMul", w2, name="fc2")
    return g.model()


def quant_padded_graph():
    return quant_graph(z=7.5, pads=2)


def quant_dense_graph():
    return quant_graph(dense=True)


def x_for(model, n=400, seed=7, varied=False):
    """Random items; varied: each with its own offset and scale (so that a
    global average differs from item to item)."""
    d = model.graph.input[0].type.tensor_type.shape.dim
    r = np.random.RandomState(seed)
    x = r.randn(n, d[1].dim_value, d[2].dim_value)
    if varied:
        x = x * r.uniform(0.2, 3, (n, 1, 1)) + r.randn(n, 1, 1) * 2
    return x.astype(np.float32)


def classes_of(path, x, backend="cpu"):
    with bnn.Model(path, backend=backend) as m:
        return m.predict(x)


@pytest.mark.parametrize("build,kinds,min_agree", [
    (binary_graph, ["SIGN", "BCONV1D", "MAXPOOL1D", "BCONV1D", "FLATTEN", "BDENSE", "BDENSE",
                    "BATCHNORM"], 1.0),
    (float_stem_graph, ["CONV1D", "ACT", "MAXPOOL1D", "CONV1D", "BATCHNORM", "SIGN",
                        "FLATTEN", "BDENSE", "BATCHNORM"], 0.995),
    (float_graph, ["CONV1D", "ACT", "GLOBAL_AVG", "FLATTEN", "DENSE"], 0.995),
    (reduce_graph, ["CONV1D", "ACT", "GLOBAL_AVG", "DENSE"], 0.995),
    (reduce_max_graph, ["CONV1D", "ACT", "GLOBAL_MAX", "DENSE"], 0.995),
    # the level of an input within float rounding of a level boundary may differ
    (quant_graph, ["QUANT", "BCONV1D", "MAXPOOL1D", "FLATTEN", "BDENSE"], 0.995),
    (quant_padded_graph, ["QUANT", "BCONV1D", "MAXPOOL1D", "FLATTEN", "BDENSE"], 0.995),
    (quant_dense_graph, ["QUANT", "FLATTEN", "BDENSE", "BDENSE"], 0.995),
])
def test_import_matches_reference(tmp_path, build, kinds, min_agree):
    model = build()
    path = str(tmp_path / "m.bnn")
    folded = onnx_import.import_onnx(model, path, name=build.__name__)
    assert [d["kind"] for d in folded["layers"]] == kinds
    x = x_for(model, varied=build in (reduce_graph, reduce_max_graph))
    ref = onnx_ref.run(model, x).argmax(1)
    assert len(set(ref)) > 1, "the test graph should not give one class for everything"
    for backend in ("cpu", "emu"):
        got = classes_of(path, x, backend)
        agree = float((got == ref).mean())
        assert agree >= min_agree, "%s on %s: %.4f agree" % (build.__name__, backend, agree)


def test_graph_from_torch_onnx_export(tmp_path):
    """A graph as torch.onnx.export writes it (BN fused into the first
    conv, Sign of the weights and a Transpose as constant nodes, Identity
    on initializers): libbnn's classes equal PyTorch's own."""
    import io
    import torch
    nn, F = torch.nn, torch.nn.functional

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.c1 = nn.Conv1d(1, 6, 5, padding=2)
            self.bn1 = nn.BatchNorm1d(6)
            self.w2 = nn.Parameter(torch.randn(8, 6, 3))
            self.bn2 = nn.BatchNorm1d(8)
            self.w3 = nn.Parameter(torch.randn(3, 8 * (L // 4)))

        def forward(self, x):
            x = F.max_pool1d(torch.sign(self.bn1(self.c1(x))), 2)
            x = torch.sign(self.bn2(F.conv1d(x, torch.sign(self.w2), padding=1)))
            return F.linear(torch.flatten(F.max_pool1d(x, 2), 1), torch.sign(self.w3))

    torch.manual_seed(8)
    m = Net()
    with torch.no_grad():
        for bn in (m.bn1, m.bn2):
            bn.running_mean.normal_()
            bn.running_var.uniform_(0.5, 3)
            bn.weight.normal_()
            bn.bias.normal_(0, 0.3)
    m.eval()
    f = io.BytesIO()
    torch.onnx.export(m, torch.randn(2, 1, L), f, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, opset_version=13)
    g = onnx.load_from_string(f.getvalue())
    path = str(tmp_path / "t.bnn")
    folded = onnx_import.import_onnx(g, path)
    assert [d["kind"] for d in folded["layers"]] == ["CONV1D", "SIGN", "MAXPOOL1D", "BCONV1D",
                                                      "MAXPOOL1D", "FLATTEN", "BDENSE"]
    x = x_for(g, 1000)
    with torch.no_grad():
        want = m(torch.from_numpy(x)).argmax(1).numpy()
    assert len(set(want)) > 1
    # the host's float conv -> sign may round differently near 0
    assert (classes_of(path, x) == want).mean() >= 0.995


def test_thresholds_negated_rows(tmp_path):
    """The binary graph has negative Mul factors and BN gammas: some of
    its rows must have been negated (else the test would not cover it)."""
    g = binary_graph()
    folded = onnx_import.import_graph(g)
    d = [d for d in folded["layers"] if d["kind"] == "BCONV1D"][1]
    raw = numpy_helper.to_array([t for t in g.graph.initializer if t.name == "w2"][0])
    bits = (raw.transpose(0, 2, 1).reshape(8, -1) > 0)
    neg = (d["bits"].astype(bool) != bits).all(axis=1)
    assert neg.any() and not neg.all()


def test_bnn_run_gives_the_same_classes(tmp_path):
    import bnn_run_items
    model = binary_graph()
    path = str(tmp_path / "r.bnn")
    onnx_import.import_onnx(model, path, classes=list("NSVF"))
    x = x_for(model, 200)
    ref = onnx_ref.run(model, x).argmax(1)
    assert (bnn_run_items.classes(path, x, "NSVF", tmp_path) == ref).all()


def test_cli(tmp_path, capsys):
    src, out = str(tmp_path / "g.onnx"), str(tmp_path / "g.bnn")
    onnx.save(binary_graph(), src)
    r = subprocess.run([sys.executable, os.path.join(TRAIN, "onnx_import.py"), src, out,
                        "--classes", "N,S,V,F", "--name", "qonnx-test", "--sample-rate", "360",
                        "--lead", "MLII", "--beat", "12,20", "--class-offsets", "S=4,V=-2"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    m = bnn.Model(out)
    assert m.classes == ("N", "S", "V", "F") and m.name == "qonnx-test"
    assert m.input_shape == (1, L)
    assert (m.sample_rate_hz, m.leads, m.beat_window, m.kind) == (360.0, ("MLII",), (12, 20),
                                                                  "beats")
    assert m.class_offsets == (0, 4, -2, 0)
    x = x_for(binary_graph(), 50)
    raw = onnx_ref.run(binary_graph(), x)
    assert np.allclose(m.scores(x), raw + [0, 4, -2, 0], atol=1e-4)
    for args, msg in [(["--lead", "MLII,V1"], "--lead: 2 names for 1 channels"),
                      (["--class-offsets", "X=1"], "unknown classes X"),
                      (["--beat", "12"], "--beat: PRE,POST"),
                      (["--beat", "10,10"], "beat_pre + beat_post must equal"),
                      (["--classes", "a,b"], "2 class names for a model of 4")]:
        assert onnx_import.main([src, out + "2"] + args) == 1
        err = capsys.readouterr().err
        assert msg in err, (args, err)
    assert not os.path.exists(out + "2")
    bad = str(tmp_path / "bad.onnx")
    onnx.save(_unsupported("tanh"), bad)
    assert onnx_import.main([bad, str(tmp_path / "bad.bnn")]) == 1     # in-process
    err = capsys.readouterr().err
    assert "onnx_import: node 'squash' (Tanh)" in err, err
    assert not os.path.exists(str(tmp_path / "bad.bnn"))


def _unsupported(kind):
    g = Graph(seed=4)
    r = g.rs
    if kind == "tanh":
        g.node("Conv", g.const("w", r.randn(2, 1, 3)), name="conv", kernel_shape=[3])
        g.node("Tanh", name="squash")
    elif kind == "quant":
        g.node("Quant", g.const("s", 1.0), g.const("z", 0.0), g.const("bw", 4.0),
               domain=QONNX, name="q4", signed=1, narrow=0, rounding_mode="ROUND")
    elif kind == "residual":
        g.node("Conv", g.const("w", r.randn(1, 1, 3)), name="conv", kernel_shape=[3],
               pads=[1, 1])
        g.node("Add", "x", name="res")
    elif kind == "group":
        g = Graph(c=2)
        g.node("Conv", g.const("w", np.ones((2, 1, 3))), name="gconv", kernel_shape=[3],
               group=2)
    elif kind == "domain":
        g.node("Foo", domain="com.example", name="foo")
    elif kind == "pads":
        g.node("MaxPool", name="mp", kernel_shape=[2], pads=[1, 1])
    elif kind == "conv2d":
        g.node("Conv", g.const("w", r.randn(2, 1, 3, 3)), name="c2d", kernel_shape=[3, 3])
    elif kind == "quant_relu":
        g.node("Quant", g.const("s", 0.5), g.const("z", 8.0), g.const("bw", 4.0),
               domain=QONNX, name="q", signed=0, narrow=0)
        g.node("Relu", name="after_q")
    elif kind == "reduce_channels":
        g.node("ReduceMean", name="rm", axes=[1], keepdims=1)
    elif kind == "sub":
        g.node("Sub", g.const("k", 1.0), name="minus")
    g.node("Flatten", name="flat_end")
    return g.model()


@pytest.mark.parametrize("kind,node,op", [
    ("tanh", "squash", "Tanh"), ("quant", "q4", "Quant"), ("residual", "res", "Add"),
    ("group", "gconv", "Conv"), ("domain", "foo", "Foo"), ("pads", "mp", "MaxPool"),
    ("conv2d", "c2d", "Conv"), ("sub", "minus", "Sub"), ("quant_relu", "after_q", "Relu"),
    ("reduce_channels", "rm", "ReduceMean"),
])
def test_unsupported_node_is_named(tmp_path, kind, node, op):
    path = str(tmp_path / "u.bnn")
    with pytest.raises(onnx_import.ImportFailed) as e:
        onnx_import.import_onnx(_unsupported(kind), path)
    assert "node %r (%s)" % (node, op) in str(e.value), str(e.value)
    assert (e.value.node, e.value.op) == (node, op)
    assert not os.path.exists(path)


def _malformed(kind):
    g = Graph(seed=5)
    r = g.rs
    if kind == "missing":
        g.node("Sign", name="s")
        g.node("Flatten", name="f")
        g.node("MatMul", "W_absent", name="fc")
    elif kind == "shape":
        g.node("Sign", name="s")
        g.node("Flatten", name="f")
        g.node("MatMul", g.const("w", np.sign(r.randn(L + 1, 3))), name="fc")
    elif kind == "nonbinary":
        g.node("Sign", name="s")
        g.node("Flatten", name="f")
        g.node("MatMul", g.const("w", r.randn(L, 3)), name="fc")
    elif kind == "zero_weight":
        w = r.randn(L, 3)
        w[3, 1] = 0.0
        g.node("Sign", name="s")
        g.node("Flatten", name="f")
        g.node("MatMul", g.wnode("Sign", "ws", [g.const("w", w)], "wsign"), name="fc")
    elif kind == "scale":
        g.node("BipolarQuant", g.const("sc", -1.0), domain=QONNX, name="bq")
        g.node("Flatten", name="f")
    elif kind == "thresholds":
        g.node("MultiThreshold", g.const("t", np.zeros((1, 2))), domain=QONNX, name="mt",
               out_scale=2.0, out_bias=-1.0)
        g.node("Flatten", name="f")
    elif kind == "unipolar":
        g.node("MultiThreshold", g.const("t", np.zeros((1, 1))), domain=QONNX, name="mt",
               out_scale=1.0, out_bias=0.0)
        g.node("Flatten", name="f")
    elif kind == "kernel":
        g.node("Conv", g.const("w", r.randn(2, 1, L + 3)), name="conv", kernel_shape=[L + 3])
    elif kind.startswith("quant_"):
        z, bw, signed = {"quant_pad": (7.0, 4.0, 0), "quant_1bit": (0.0, 1.0, 0),
                         "quant_signed": (0.0, 4.0, 1)}[kind]
        g.node("Quant", g.const("s", 0.5), g.const("z", z), g.const("bw", bw), domain=QONNX,
               name="q", signed=signed, narrow=0, rounding_mode="ROUND")
        w = g.wnode("Sign", "ws", [g.const("w", r.randn(2, 1, 3))], "wsign")
        g.node("Conv", w, name="conv", kernel_shape=[3], pads=[1, 1])
    elif kind == "broadcast":
        w = g.wnode("BipolarQuant", "wq", [g.const("w", r.randn(L, 3)),
                                           g.const("ws", np.ones(4))], "wbin", domain=QONNX)
        g.node("Flatten", name="f")
        g.node("MatMul", w, name="fc")
    elif kind == "inf_weight":
        w = g.wnode("Div", "wd", [g.const("w", r.randn(L, 3)), g.const("zero", 0.0)], "wdiv")
        g.node("Flatten", name="f")
        g.node("MatMul", w, name="fc")
    elif kind == "arity":
        g.node("Sign", name="s")
        g.node("Flatten", name="f")
        g.node("MatMul", name="fc")
    elif kind == "bn_shape":
        g.node("Conv", g.const("w", r.randn(2, 1, 3)), name="conv", kernel_shape=[3])
        g.node("BatchNormalization", g.const("g", np.ones(3)), g.const("b", np.zeros(3)),
               g.const("m", np.zeros(3)), g.const("v", np.ones(3)), name="bn")
    return g.model()


@pytest.mark.parametrize("kind,node,op,why", [
    ("missing", "fc", "MatMul", "'W_absent' is neither an initializer"),
    ("shape", "fc", "MatMul", "weights of shape (3, 33)"),
    ("nonbinary", "fc", "MatMul", "weights are not binary"),
    ("zero_weight", "fc", "MatMul", "weights are not binary"),
    ("scale", "bq", "BipolarQuant", "one finite scale > 0"),
    ("thresholds", "mt", "MultiThreshold", "thresholds of shape (1, 2)"),
    ("unipolar", "mt", "MultiThreshold", "out_bias = -out_scale / 2"),
    ("kernel", "conv", "Conv", "pad < kernel <= length + 2 pad"),
    ("bn_shape", "bn", "BatchNormalization", "scale of shape (3,)"),
    ("arity", "fc", "MatMul", "1 input(s) given, 2 needed"),
    ("broadcast", "wbin", "BipolarQuant", "on constants: operands could not be broadcast"),
    ("inf_weight", "fc", "MatMul", "weights or bias not finite"),
    ("quant_pad", "conv", "Conv", "zero point 7"),
    ("quant_1bit", "q", "Quant", "Quant's 1 bit is not +-1"),
    ("quant_signed", "q", "Quant", "signed 1"),
])
def test_malformed_graph_errors(tmp_path, kind, node, op, why):
    with pytest.raises(onnx_import.ImportFailed) as e:
        onnx_import.import_onnx(_malformed(kind), str(tmp_path / "m.bnn"))
    msg = str(e.value)
    assert "node %r (%s)" % (node, op) in msg and why in msg, msg


def test_graph_level_errors(tmp_path):
    g = Graph()
    g.node("Flatten", name="f")
    with pytest.raises(onnx_import.ImportFailed, match=r"graph input 'x' has shape \[None, 32\]"):
        onnx_import.import_graph(g.model(in_dims=["N", 32]))
    g = Graph()
    g.node("Sign", name="s")
    g.node("Flatten", name="f")
    with pytest.raises(onnx_import.ImportFailed, match="'f' is binarized"):
        onnx_import.import_graph(g.model())
    g = Graph()
    g.node("Relu", name="r")
    with pytest.raises(onnx_import.ImportFailed, match=r"\(N, 1, 32\): class scores"):
        onnx_import.import_graph(g.model())
    bad = tmp_path / "junk.onnx"
    bad.write_bytes(b"\x08\x01junk that is not protobuf \xff\xff")
    with pytest.raises(onnx_import.ImportFailed, match="not an ONNX model"):
        onnx_import.import_graph(str(bad))
    with pytest.raises(onnx_import.ImportFailed, match="3 class names for a graph of 4"):
        onnx_import.import_onnx(binary_graph(), str(tmp_path / "c.bnn"), classes="abc")
