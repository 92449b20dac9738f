# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Binarized layers for the RBNN card (PyTorch 1.13).

Conventions are the card's (Documentation/rbnn-device.rst, "Sums,
thresholds and scores"):

* weights and activations are +1/-1, stored as bits 1/0;
* sign(0) = +1, so a binary neuron outputs +1 iff its sum S >= threshold;
* batch norm followed by sign folds into that integer threshold;
* the last layer's raw integer sums S are the class scores (argmax);
* a k-bit first-layer input element q in 0..2^k-1 stands for the odd
  integer v = 2q - (2^k - 1) and is applied bit-serially; zero padding
  contributes 0 (padded positions are masked out of the popcount).

Training follows Courbariaux/Hubara et al. (BinaryNet): latent real-valued
weights, sign in the forward pass, straight-through estimator (STE) in the
backward pass, latent weights clipped to [-1, 1] after every optimizer step
(see clip_latent_weights), batch norm before every sign, Adam.
"""
import math

import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F


class _SignSTE(torch.autograd.Function):
    """sign with sign(0) = +1; backward: hardtanh STE (grad * 1_{|x|<=1})."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return torch.where(x >= 0, torch.ones_like(x), -torch.ones_like(x))

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        return g * (x.abs() <= 1).to(g.dtype)


class _SignWeight(torch.autograd.Function):
    """sign of latent weights; backward: identity (the clip to [-1, 1] after
    each step keeps latent weights in the STE's linear region)."""

    @staticmethod
    def forward(ctx, w):
        return torch.where(w >= 0, torch.ones_like(w), -torch.ones_like(w))

    @staticmethod
    def backward(ctx, g):
        return g


def sign_ste(x):
    return _SignSTE.apply(x)


# torch.fx records bnn_torch.sign_ste(x) as one call (fx_export.py maps it
# to the card's SIGN) instead of tracing into the autograd function
torch.fx.wrap("sign_ste")


def binarize_weight(w):
    return _SignWeight.apply(w)


def noisy_weight(layer, wb):
    """Error-aware training: while training, flip each +1/-1 weight with
    probability layer.flip_p, drawn anew for every forward pass, the way
    an RRAM bit error flips a stored weight (uniform, independent cells;
    Hirtzlin et al. train against the same model). The gradient flows
    through the flipped sign. Evaluation always uses the clean weights."""
    if not layer.training or layer.flip_p <= 0:
        return wb
    flip = torch.rand(wb.shape) < layer.flip_p
    return torch.where(flip, -wb, wb)


def set_weight_flip(model, p):
    """Set the training-time weight-flip probability of every binary layer."""
    if not 0 <= p < 0.5:
        raise ValueError("weight flip probability must be in [0, 0.5)")
    for m in model.modules():
        if getattr(m, "binary", False):
            m.flip_p = float(p)


class Sign(nn.Module):
    """Binary activation (+1/-1) with the hardtanh straight-through estimator."""

    def forward(self, x):
        return sign_ste(x)


class BinaryLinear(nn.Linear):
    """Fully connected layer with +1/-1 weights (latent real weights), no bias
    (a bias is absorbed by the following batch norm / threshold)."""

    binary = True

    def __init__(self, in_features, out_features):
        super().__init__(in_features, out_features, bias=False)
        nn.init.uniform_(self.weight, -1.0, 1.0)

    flip_p = 0.0

    def forward(self, x):
        return F.linear(x, noisy_weight(self, binarize_weight(self.weight)))

    def binary_weight(self):
        return torch.where(self.weight >= 0, 1.0, -1.0).detach()


class BinaryConv1d(nn.Conv1d):
    """1-D convolution with +1/-1 weights, no bias. Zero padding of a +1/-1
    input contributes 0, exactly like the card's masked padded positions."""

    binary = True

    def __init__(self, in_channels, out_channels, kernel_size, stride=1,
                 padding=0):
        super().__init__(in_channels, out_channels, kernel_size, stride=stride,
                         padding=padding, bias=False)
        nn.init.uniform_(self.weight, -1.0, 1.0)

    flip_p = 0.0

    def forward(self, x):
        return F.conv1d(x, noisy_weight(self, binarize_weight(self.weight)), None, self.stride,
                        self.padding, self.dilation, self.groups)

    def binary_weight(self):
        return torch.where(self.weight >= 0, 1.0, -1.0).detach()


def roundf(t):
    """C roundf (halfway cases away from zero); torch.round rounds half to even."""
    return torch.sign(t) * torch.floor(t.abs() + 0.5)


class InputQuant(nn.Module):
    """k-bit input quantiser of the fully binarized model's first layer, as
    libbnn's QUANT layer defines it (float32 arithmetic):

      q = clamp(roundf((x - qoffset) / qscale), 0, 2^k - 1)

    and the next (binary) layer sees v = 2q - (2^k - 1), the odd integers
    -(2^k-1)..(2^k-1) that the card's bit-serial input stands for.
    set_range(r) makes the levels symmetric about x = 0 and spreads them over
    [-r, r]: qscale = r / 2^(k-1) (the step), qoffset = -(2^k - 1)/2 * qscale
    (so x = 0 falls halfway between the two middle levels). The data are
    fixed, so no gradient is needed through it.
    """

    def __init__(self, bits):
        super().__init__()
        if not 2 <= bits <= 8:
            raise ValueError("input bits must be 2..8")
        self.bits = bits
        self.register_buffer("qscale", torch.tensor(1.0))
        self.register_buffer("qoffset", torch.tensor(-(2 ** bits - 1) / 2.0))

    def set_range(self, x_abs_max):
        x_abs_max = float(x_abs_max)
        if not x_abs_max > 0:
            raise ValueError("quantiser range must be > 0")
        step = torch.tensor(x_abs_max / 2 ** (self.bits - 1), dtype=torch.float32)
        self.qscale.copy_(step)
        self.qoffset.copy_(-(2 ** self.bits - 1) / 2.0 * step)

    def levels(self, x):
        t = (x.float() - self.qoffset) / self.qscale
        return roundf(t).clamp_(0, 2 ** self.bits - 1)

    def forward(self, x):
        return 2 * self.levels(x) - (2 ** self.bits - 1)


class InputNorm(nn.Module):
    """Fixed affine input normalisation (x - mean) / std of the float models,
    from the training data (libbnn's BNN_INPUT_NORM_AFFINE with offset =
    mean, scale = std); two float32 numbers on the host."""

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(0.0))
        self.register_buffer("std", torch.tensor(1.0))

    def set_stats(self, mean, std):
        self.mean.fill_(float(mean))
        self.std.fill_(max(float(std), 1e-12))

    def is_identity(self):
        """True when it does nothing (inputs already normalised per item,
        e.g. z-scored beats): nothing to store or export."""
        return float(self.mean) == 0.0 and float(self.std) == 1.0

    def forward(self, x):
        return (x - self.mean) / self.std


class ScoreScale(nn.Module):
    """Positive learnable scalar on the last binary layer's integer scores
    (training only: it does not change the argmax, so the card's raw scores
    give the same predictions; it is not exported)."""

    def __init__(self, fan_in):
        super().__init__()
        self.log_scale = nn.Parameter(torch.tensor(-0.5 * math.log(fan_in)))

    def forward(self, s):
        return s * self.log_scale.exp()


class Join(nn.Module):
    """Rhythm features joined to the flattened morphology bits (libbnn's JOIN
    layer, Documentation/bnn-format.rst): for feature f in order and each of
    its increasing thresholds t_fk, the bit (value_f >= t_fk) as +1/-1
    (NaN -> -1), in float32 comparisons, appended after the input. The
    feature values come with each item (see Net.forward); the thresholds
    are fixed from the training data, so no gradient flows into them."""

    def __init__(self, kinds, thresholds):
        super().__init__()
        if len(kinds) != len(thresholds) or not kinds:
            raise ValueError("Join needs one threshold list per feature")
        self.kinds = [int(k) for k in kinds]
        self.nthr = [len(t) for t in thresholds]
        flat = []
        for t in thresholds:
            t = [float(v) for v in t]
            if not t or any(b <= a for a, b in zip(t, t[1:])):
                raise ValueError("thresholds must be non-empty and strictly increasing")
            flat += t
        self.register_buffer("thr", torch.tensor(flat, dtype=torch.float32))
        self.register_buffer("col", torch.tensor(
            [i for i, n in enumerate(self.nthr) for _ in range(n)], dtype=torch.int64))

    @property
    def bits(self):
        return int(sum(self.nthr))

    def encode(self, feats):
        """feats: float32 [N][len(kinds)] -> +1/-1 float [N][bits]."""
        v = feats.float()[:, self.col]
        return torch.where(v >= self.thr, 1.0, -1.0)

    # Training only (train.py --morph-drop): the fraction of items whose
    # morphology bits are swapped for another item's of the batch, so the
    # classifier must also answer from the rhythm bits (they transfer
    # between patients better than a beat shape does). 0 in inference.
    morph_drop = 0.0

    def forward(self, x, feats):
        x = x.flatten(1)
        if self.training and self.morph_drop > 0 and len(x) > 1:
            swap = torch.rand(len(x)) < self.morph_drop
            other = torch.randperm(len(x))
            x = torch.where(swap[:, None], x[other], x)
        return torch.cat([x, self.encode(feats)], 1)


def clip_latent_weights(model):
    """Clip the latent weights of every binary layer to [-1, 1] (call after
    each optimizer step)."""
    with torch.no_grad():
        for m in model.modules():
            if getattr(m, "binary", False):
                m.weight.clamp_(-1.0, 1.0)


def fold_bn_sign(bn):
    """Fold an eval-mode BatchNorm1d followed by sign into per-channel integer
    thresholds for integer sums S (card rule, rbnn-device.rst):

      gamma > 0: out = +1 iff S >= ceil(tau),   tau = mu - beta*sigma/gamma
      gamma < 0: out = +1 iff S <= floor(tau), i.e. the weight row is
                 negated (S -> -S) and the threshold is -floor(tau)
      gamma = 0: constant sign(beta): threshold INT32_MIN (+1) / INT32_MAX (-1)

    Returns (threshold int64 tensor, negate bool tensor).
    """
    gamma = bn.weight.detach().double()
    beta = bn.bias.detach().double()
    mu = bn.running_mean.detach().double()
    sigma = torch.sqrt(bn.running_var.detach().double() + bn.eps)
    thr = torch.zeros_like(gamma, dtype=torch.int64)
    neg = gamma < 0
    nz = gamma != 0
    tau = torch.where(nz, mu - beta * sigma / torch.where(nz, gamma,
                                                          torch.ones_like(gamma)),
                      torch.zeros_like(gamma))
    thr = torch.where(gamma > 0, torch.ceil(tau), thr.double())
    thr = torch.where(neg, -torch.floor(tau), thr)
    int32_min, int32_max = -2 ** 31, 2 ** 31 - 1
    thr = torch.where(~nz & (beta >= 0), torch.full_like(thr, int32_min), thr)
    thr = torch.where(~nz & (beta < 0), torch.full_like(thr, int32_max), thr)
    return thr.clamp(int32_min, int32_max).to(torch.int64), neg
