# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""tools/train/fx_export.py: PyTorch modules written in other ways than the
project's nn.Sequential, exported to .bnn; libbnn's classes (bnn.Model
.predict, cpu and emu backends) must equal the module's own on random
inputs; unsupported nodes are named in the error."""
import os
import sys

import numpy as np
import pytest

import torch  # noqa: E402  (scripts/deps.sh train; make test-python installs it)
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools", "train"))
sys.dont_write_bytecode = True
import bnn_torch  # noqa: E402
import fx_export  # noqa: E402

import bnn  # noqa: E402

L = 32


def randomize_bn(model, seed=0):
    """Batch-norm statistics and affine parameters away from the identity
    (negative gammas too), so the folded thresholds matter."""
    g = torch.Generator().manual_seed(seed)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm1d):
            n = m.num_features
            with torch.no_grad():
                m.running_mean.copy_(torch.randn(n, generator=g))
                m.running_var.copy_(torch.rand(n, generator=g) * 4 + 0.5)
                m.weight.copy_(torch.randn(n, generator=g))
                m.bias.copy_(torch.randn(n, generator=g) * 0.2)
    return model


def inputs(n=300, c=1, seed=1):
    return np.random.RandomState(seed).randn(n, c, L).astype(np.float32)


def torch_classes(model, x):
    model.eval()
    with torch.no_grad():
        return model(torch.from_numpy(x)).argmax(1).numpy()


def libbnn_classes(path, x, backend="cpu"):
    with bnn.Model(path, backend=backend) as m:
        assert m.input_shape == x.shape[1:]
        return m.predict(x)


class Block(nn.Module):
    def __init__(self, cin, cout):
        super().__init__()
        self.conv = bnn_torch.BinaryConv1d(cin, cout, 5, padding=2)
        self.bn = nn.BatchNorm1d(cout)
        self.act = bnn_torch.Sign()
        self.pool = nn.MaxPool1d(2)

    def forward(self, x):
        return self.pool(self.act(self.bn(self.conv(x))))


class Nested(nn.Module):
    """Nested submodules: a quantised stem, two blocks in a Sequential, a
    head in its own module."""

    def __init__(self):
        super().__init__()
        self.stem = bnn_torch.InputQuant(4)
        self.stem.set_range(2.5)
        self.features = nn.Sequential(Block(1, 8), Block(8, 8))
        self.head = nn.Sequential(nn.Flatten(), bnn_torch.BinaryLinear(8 * (L // 4), 16),
                                  nn.BatchNorm1d(16), bnn_torch.Sign(),
                                  bnn_torch.BinaryLinear(16, 5))

    def forward(self, x):
        return self.head(self.features(self.stem(x)))


class Functional(nn.Module):
    """Functional calls in forward: sign_ste, F.max_pool1d, view."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(2, 6, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm1d(6)
        self.conv2 = bnn_torch.BinaryConv1d(6, 8, 3, padding=1)
        self.bn2 = nn.BatchNorm1d(8)
        self.fc = bnn_torch.BinaryLinear(8 * (L // 4), 3)

    def forward(self, x):
        x = F.max_pool1d(bnn_torch.sign_ste(self.bn1(self.conv1(x))), 2)
        x = F.max_pool1d(bnn_torch.sign_ste(self.bn2(self.conv2(x))), kernel_size=2)
        return self.fc(x.view(x.size(0), -1))


class Looped(nn.Module):
    """A ModuleList loop, F.dropout (nothing at inference), torch.flatten
    and a last BN-free binary layer."""

    def __init__(self):
        super().__init__()
        self.q = bnn_torch.InputQuant(3)
        self.q.set_range(2.0)
        self.convs = nn.ModuleList([bnn_torch.BinaryConv1d(c, 8, 3, padding=1)
                                    for c in (1, 8, 8)])
        self.bns = nn.ModuleList([nn.BatchNorm1d(8) for _ in range(3)])
        self.out = bnn_torch.BinaryLinear(8 * (L // 2), 4)
        self.scale = bnn_torch.ScoreScale(8 * (L // 2))

    def forward(self, x):
        x = self.q(x)
        for conv, bn in zip(self.convs, self.bns):
            x = self._sign(bn(conv(x)))
        x = F.dropout(F.max_pool1d(x, 2), 0.1, self.training)
        return self.scale(self.out(torch.flatten(x, 1)))

    @staticmethod
    def _sign(x):
        return bnn_torch.sign_ste(x)


class RawBinary(nn.Module):
    """A binary convolution on the raw float input: a float CONV1D of +-1
    weights on the host, as PyTorch computes it; a Sign of bits (a no-op)."""

    def __init__(self):
        super().__init__()
        self.conv = bnn_torch.BinaryConv1d(1, 6, 5, padding=2)
        self.bn = nn.BatchNorm1d(6)
        self.fc = bnn_torch.BinaryLinear(6 * L, 3)

    def forward(self, x):
        x = bnn_torch.sign_ste(bnn_torch.sign_ste(self.bn(self.conv(x))))
        return self.fc(x.flatten(1))


def test_binary_layer_on_float_input(tmp_path):
    torch.manual_seed(6)
    model = randomize_bn(RawBinary()).eval()
    path = str(tmp_path / "r.bnn")
    folded = fx_export.export_module(model, path, (1, L))
    assert [d["kind"] for d in folded["layers"]] == ["CONV1D", "SIGN", "FLATTEN", "BDENSE"]
    x = inputs(1000)
    agree = (libbnn_classes(path, x) == torch_classes(model, x)).mean()
    assert agree >= 0.995       # host float -> sign: rounding near 0 may differ


class FloatNet(nn.Module):
    """Float layers: conv + BN + relu, global average, linear with bias."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 6, 5, padding=2)
        self.bn = nn.BatchNorm1d(6)
        self.gap = nn.AdaptiveAvgPool1d(1)
        self.fc = nn.Linear(6, 3)

    def forward(self, x):
        x = self.gap(F.relu(self.bn(self.conv(x))))
        return self.fc(x.flatten(1))


class FloatMean(FloatNet):
    """Global pooling as a reduction: x.mean(-1), torch.amax(x, dim=2)."""

    def __init__(self, reduce):
        super().__init__()
        self.reduce = reduce

    def forward(self, x):
        x = F.relu(self.bn(self.conv(x)))
        return self.fc(x.mean(-1) if self.reduce == "mean" else torch.amax(x, dim=2))


@pytest.mark.parametrize("cls,channels", [(Nested, 1), (Functional, 2), (Looped, 1)])
def test_binary_modules_match_pytorch(tmp_path, cls, channels):
    torch.manual_seed(3)
    model = randomize_bn(cls()).eval()
    path = str(tmp_path / "m.bnn")
    folded = fx_export.export_module(model, path, (channels, L), name=cls.__name__)
    x = inputs(c=channels)
    want = torch_classes(model, x)
    assert len(set(want)) > 1, "the test model should not give one class for everything"
    for backend in ("cpu", "emu"):
        got = libbnn_classes(path, x, backend)
        assert (got == want).all(), "%s on %s: %d of %d differ" % (
            cls.__name__, backend, int((got != want).sum()), len(x))
    assert any(d["kind"] in ("BCONV1D", "BDENSE") for d in folded["layers"])


def test_bnn_run_gives_the_same_classes(tmp_path):
    sys.path.insert(0, os.path.dirname(__file__))
    import bnn_run_items
    torch.manual_seed(3)
    model = randomize_bn(Nested()).eval()
    path = str(tmp_path / "n.bnn")
    fx_export.export_module(model, path, (1, L), classes=list("NSVFQ"))
    x = inputs(200)
    assert (bnn_run_items.classes(path, x, "NSVFQ", tmp_path) == torch_classes(model, x)).all()


def test_float_module_matches_pytorch(tmp_path):
    torch.manual_seed(4)
    model = randomize_bn(FloatNet()).eval()
    path = str(tmp_path / "f.bnn")
    folded = fx_export.export_module(model, path, (1, L), classes=["a", "b", "c"])
    assert [d["kind"] for d in folded["layers"]] == ["CONV1D", "ACT", "GLOBAL_AVG",
                                                      "FLATTEN", "DENSE"]
    x = inputs(1000)
    want = torch_classes(model, x)
    got = libbnn_classes(path, x)
    # float rounding (BN folded into the conv) may flip a near tie
    assert (got == want).mean() >= 0.995
    assert bnn.Model(path).classes == ("a", "b", "c")


@pytest.mark.parametrize("reduce,kind", [("mean", "GLOBAL_AVG"), ("amax", "GLOBAL_MAX")])
def test_reductions_are_global_pools(tmp_path, reduce, kind):
    torch.manual_seed(4)
    model = randomize_bn(FloatMean(reduce)).eval()
    path = str(tmp_path / "g.bnn")
    folded = fx_export.export_module(model, path, (1, L))
    assert [d["kind"] for d in folded["layers"]] == ["CONV1D", "ACT", kind, "DENSE"]
    x = inputs(1000)
    assert (libbnn_classes(path, x) == torch_classes(model, x)).mean() >= 0.995


@pytest.mark.parametrize("variant", ["bin-full", "bin-clf", "fp"])
def test_project_sequential_still_exports(tmp_path, variant):
    """The project's own models through the tracer: the same layers as
    export.fold gives them, and libbnn's classes."""
    import export
    import models
    torch.manual_seed(5)
    model = randomize_bn(models.build("ecg", variant, 4, 100, 5)).eval()
    if variant == "bin-full":
        model[0].set_range(2.0)
    path = str(tmp_path / "p.bnn")
    folded = fx_export.export_module(model, path, (1, 100))
    assert [d["kind"] for d in folded["layers"]] == \
        [d["kind"] for d in export.fold(model)["layers"]]
    x = np.random.RandomState(2).randn(500, 1, 100).astype(np.float32)
    agree = (libbnn_classes(path, x) == torch_classes(model, x)).mean()
    assert agree == 1.0 if variant == "bin-full" else agree >= 0.99


def test_rhythm_features_join(tmp_path):
    """A model with a Join (forward(x, feats)): the second input goes to
    the JOIN, the .bnn gets the signal section's features."""
    import models
    torch.manual_seed(0)
    model = randomize_bn(models.build("ecg", "bin-full", 4, 100, 5,
                                      features=([0, 5], [[0.5, 0.8], [1.0]]))).eval()
    model[0].set_range(2.0)
    path = str(tmp_path / "j.bnn")
    folded = fx_export.export_module(model, path, (1, 100))
    assert "JOIN" in [d["kind"] for d in folded["layers"]]
    x = np.random.RandomState(1).randn(300, 1, 100).astype(np.float32)
    feats = np.random.RandomState(2).uniform(0.3, 1.5, (300, 2)).astype(np.float32)
    with torch.no_grad():
        want = model(torch.from_numpy(x), torch.from_numpy(feats)).argmax(1).numpy()
    with bnn.Model(path, backend="cpu") as m:
        assert m.features == ("pre_rr", "post_pre")
        assert (m.predict(x, feats) == want).all()


class Residual(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 1, 3, padding=1)
        self.fc = nn.Linear(L, 2)

    def forward(self, x):
        return self.fc((x + self.conv(x)).flatten(1))


class TorchSign(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(L, 2)

    def forward(self, x):
        return self.fc(torch.sign(x).flatten(1))


class WithTanh(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Flatten(), nn.Linear(L, 4), nn.Tanh(), nn.Linear(4, 2))

    def forward(self, x):
        return self.body(x)


class Dilated(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 2, 3, dilation=2)
        self.fc = nn.Linear(2 * (L - 4), 2)

    def forward(self, x):
        return self.fc(torch.flatten(self.conv(x), 1))


class PoolBeforeBN(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = bnn_torch.BinaryConv1d(1, 2, 3)
        self.pool = nn.MaxPool1d(2)
        self.bn = nn.BatchNorm1d(2)
        self.fc = bnn_torch.BinaryLinear(2 * ((L - 2) // 2), 2)

    def forward(self, x):
        x = self.conv(bnn_torch.sign_ste(x))
        return self.fc(bnn_torch.sign_ste(self.bn(self.pool(x))).flatten(1))


class ReluOnBits(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(L, 2)

    def forward(self, x):
        return self.fc(F.relu(bnn_torch.sign_ste(x)).flatten(1))


class MeanOverChannels(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = nn.Linear(L, 2)

    def forward(self, x):
        return self.fc(x.mean(1))


@pytest.mark.parametrize("cls,node,op", [
    (ReluOnBits, "relu", "call_function torch.nn.functional.relu"),
    (MeanOverChannels, "mean", "call_method mean"),
    (Residual, "add", "call_function _operator.add"),
    (TorchSign, "sign", "call_function torch.sign"),
    (WithTanh, "body_2", "call_module body.2"),
    (Dilated, "conv", "call_module conv"),
    (PoolBeforeBN, "conv", "call_module conv"),
])
def test_unsupported_node_is_named(tmp_path, cls, node, op):
    path = str(tmp_path / "u.bnn")
    with pytest.raises(ValueError) as e:
        fx_export.export_module(cls().eval(), path, (1, L))
    msg = str(e.value)
    assert "node %r (%s" % (node, op) in msg, msg
    assert not os.path.exists(path)


def test_output_not_a_chain(tmp_path):
    class TwoOut(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = nn.Linear(L, 2)

        def forward(self, x):
            y = x.flatten(1)
            return self.fc(y), y

    with pytest.raises(ValueError, match="output"):
        fx_export.export_module(TwoOut(), str(tmp_path / "o.bnn"), (1, L))


def test_binary_output_refused(tmp_path):
    model = nn.Sequential(nn.Flatten(), nn.Linear(L, 3), bnn_torch.Sign())
    with pytest.raises(ValueError, match="ends in bits values"):
        fx_export.export_module(model, str(tmp_path / "b.bnn"), (1, L))


def test_wrong_class_names(tmp_path):
    with pytest.raises(ValueError, match="3 class names for a model of 2 classes"):
        fx_export.export_module(nn.Sequential(nn.Flatten(), nn.Linear(L, 2)),
                                str(tmp_path / "c.bnn"), (1, L), classes=["a", "b", "c"])


MODULE_FILE = '''
import sys
sys.path.insert(0, %r)
import torch.nn as nn
import torch.nn.functional as F
import bnn_torch


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = bnn_torch.BinaryConv1d(1, 4, 3, padding=1)
        self.bn = nn.BatchNorm1d(4)
        self.fc = bnn_torch.BinaryLinear(4 * 16, 3)

    def forward(self, x):
        x = bnn_torch.sign_ste(self.bn(self.conv(bnn_torch.sign_ste(x))))
        return self.fc(F.max_pool1d(x, 2).flatten(1))


class Scaled(Net):
    def forward(self, x):
        return super().forward(x) * 2


def not_a_module():
    return 3
'''


def test_cli(tmp_path, capsys):
    import subprocess
    train = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", "..", "tools",
                                         "train"))
    src = tmp_path / "mynet.py"
    src.write_text(MODULE_FILE % train)
    torch.manual_seed(9)
    sys.path.insert(0, str(tmp_path))
    try:
        import mynet
    finally:
        sys.path.remove(str(tmp_path))
    model = randomize_bn(mynet.Net()).eval()
    torch.save(model.state_dict(), str(tmp_path / "w.pt"))
    tool = [sys.executable, os.path.join(train, "fx_export.py")]
    out = str(tmp_path / "cli.bnn")
    r = subprocess.run(tool + ["%s:Net" % src, out, "--input-shape", "1,32", "--weights",
                               str(tmp_path / "w.pt"), "--classes", "a,b,c", "--name", "cli",
                               "--sample-rate", "173.61", "--class-offsets", "b=3"],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    x = inputs()
    with torch.no_grad():
        want = (model(torch.from_numpy(x)) + torch.tensor([0.0, 3.0, 0.0])).argmax(1).numpy()
    assert (libbnn_classes(out, x) == want).all()
    m = bnn.Model(out)
    assert (m.name, m.sample_rate_hz, m.class_offsets, m.kind) == ("cli", 173.61, (0, 3, 0),
                                                                   "windows")
    for args, msg in [
        (["%s:Scaled" % src, out + "2", "--input-shape", "1,32"],
         "node 'mul' (call_function _operator.mul): no .bnn layer"),
        (["%s:not_a_module" % src, out + "2", "--input-shape", "1,32"],
         "not_a_module() is a int, not a torch.nn.Module"),
        (["%s:Missing" % src, out + "2", "--input-shape", "1,32"], "has no Missing"),
        (["%s:Net" % src, out + "2", "--input-shape", "1"], "--input-shape: C,L"),
        ([str(src), out + "2", "--input-shape", "1,32"], "give the module as FILE.py:NAME"),
    ]:
        # in-process (main), sparing a PyTorch start-up per case
        try:
            rc = fx_export.main(args)
        except SystemExit as e:
            rc = e.code
        err = capsys.readouterr().err + (rc if isinstance(rc, str) else "")
        assert rc not in (0, None) and msg in err, (args, err)
    assert not os.path.exists(out + "2")
