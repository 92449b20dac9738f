# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""1-D CNNs for ECG beats and EEG windows, in the paper's three variants.

Every model is one flat nn.Sequential, so that the exporter and the memory
accounting can walk it layer by layer. Topology (width w):

  ECG (1 x L, e.g. L = 100 at 180 Hz):
    3 conv blocks: w ch k7, 2w ch k5, 2w ch k5 ("same" padding, stride 1),
    each followed by batch norm, activation and max pool 2;
    flatten; FC 4w; FC classes.
  EEG (1 x 178 at 173.61 Hz): 4 conv blocks (w k7, 2w k5, 2w k5, 2w k5),
    flatten, FC 4w, FC classes.

Variants:
  fp        float everything: InputNorm, conv -> BN -> ReLU -> maxpool,
            FC -> BN -> ReLU, FC (with bias) -> logits.         (host only)
  bin-clf   float conv features on the host (conv -> BN -> ReLU -> maxpool;
            the last block conv -> BN -> sign -> maxpool gives the bits the
            card gets), then a binary classifier on the card: binary FC ->
            BN -> sign, binary FC -> integer scores.
  bin-full  all on the card: k-bit input (InputQuant, bit-serial on the card;
            or --stem float: one float conv on the host whose BN -> sign
            output is the card's input), binary conv -> BN -> sign ->
            maxpool (max of +1/-1 = OR of bits), binary FC -> BN -> sign,
            binary FC -> integer scores.

Batch norm directly before every sign (folded into integer thresholds on
the card); conv -> BN -> sign -> maxpool order, so pooling is an OR of bits.
"""
import torch.nn as nn

from bnn_torch import (BinaryConv1d, BinaryLinear, InputNorm, InputQuant, Join,
                 ScoreScale, Sign)

VARIANTS = ("fp", "bin-clf", "bin-full")
WIDTHS = (4, 8, 16, 32)


def arch(task, width):
    """(conv blocks [(channels, kernel, pool)], hidden FC sizes)."""
    w = int(width)
    if w < 1:
        raise ValueError("width must be >= 1")
    if task == "ecg":
        return [(w, 7, 2), (2 * w, 5, 2), (2 * w, 5, 2)], [4 * w]
    if task in ("eeg2", "eeg3", "eeg5"):
        return [(w, 7, 2), (2 * w, 5, 2), (2 * w, 5, 2), (2 * w, 5, 2)], [4 * w]
    raise ValueError("unknown task %r" % task)


def out_len(length, convs):
    for _, k, pool in convs:
        length = (length + 2 * (k // 2) - k) + 1  # stride 1, pad k//2
        length = (length - pool) // pool + 1
    return length


class Net(nn.Sequential):
    """Flat sequential model with its description kept for export. A model
    with rhythm features has one bnn_torch.Join after its flatten; forward then
    takes the items' feature values too."""

    def __init__(self, layers, info):
        super().__init__(*layers)
        self.info = info

    def join(self):
        return next((m for m in self if isinstance(m, Join)), None)

    def forward(self, x, feats=None):
        for m in self:
            if isinstance(m, Join):
                if feats is None:
                    raise ValueError("this model needs the items' rhythm features")
                x = m(x, feats)
            else:
                x = m(x)
        return x


def build(task, variant, width, in_len, n_classes, in_channels=1, in_bits=4,
          stem="quant", features=None, hidden=None):
    """features: None, or (kinds, thresholds) of the rhythm features joined
    after the flatten (bnn_torch.Join). hidden: hidden FC sizes (default: arch's)."""
    if variant not in VARIANTS:
        raise ValueError("variant must be one of %s" % (VARIANTS,))
    if stem not in ("quant", "float"):
        raise ValueError("stem must be quant or float")
    convs, hidden_default = arch(task, width)
    hidden = list(hidden) if hidden else hidden_default
    L = out_len(in_len, convs)
    if L < 1:
        raise ValueError("input of %d samples too short for this network" % in_len)
    layers = []
    c_in = in_channels
    n = len(convs)
    if variant == "fp" or variant == "bin-clf" or stem == "float":
        layers.append(InputNorm())
    else:
        layers.append(InputQuant(in_bits))
    for i, (c, k, pool) in enumerate(convs):
        if variant == "fp":
            conv, act = nn.Conv1d(c_in, c, k, padding=k // 2, bias=False), nn.ReLU()
        elif variant == "bin-clf":
            conv = nn.Conv1d(c_in, c, k, padding=k // 2, bias=False)
            act = Sign() if i == n - 1 else nn.ReLU()
        else:
            if i == 0 and stem == "float":
                conv = nn.Conv1d(c_in, c, k, padding=k // 2, bias=False)
            else:
                conv = BinaryConv1d(c_in, c, k, padding=k // 2)
            act = Sign()
        layers += [conv, nn.BatchNorm1d(c), act, nn.MaxPool1d(pool)]
        c_in = c
    layers.append(nn.Flatten())
    f_in = c_in * L
    if features:
        j = Join(*features)
        layers.append(j)
        f_in += j.bits
    for h in hidden:
        if variant == "fp":
            layers += [nn.Linear(f_in, h, bias=False), nn.BatchNorm1d(h), nn.ReLU()]
        else:
            layers += [BinaryLinear(f_in, h), nn.BatchNorm1d(h), Sign()]
        f_in = h
    if variant == "fp":
        layers.append(nn.Linear(f_in, n_classes))
    else:
        layers += [BinaryLinear(f_in, n_classes), ScoreScale(f_in)]
    info = dict(task=task, variant=variant, width=int(width), in_len=int(in_len),
                in_channels=int(in_channels), n_classes=int(n_classes),
                in_bits=int(in_bits) if variant == "bin-full" and stem == "quant" else None,
                stem=stem if variant == "bin-full" else None,
                convs=convs, hidden=hidden, flat_len=L,
                features=([int(k) for k in features[0]],
                          [[float(v) for v in t] for t in features[1]]) if features else None)
    return Net(layers, info)


def memory_bits(model, threshold_bits=32):
    """Memory to hold the model for inference, in bits, split host/card.

    Rules (stated in the results; they are libbnn's footprint rules for the
    exported model, where batch norm after a float layer is folded into that
    layer's weights and bias):
      * binary weights: 1 bit each, on the card;
      * thresholds of a binary layer (its BN + sign folded): threshold_bits
        (the card's registers are 32-bit; 16 shows a compact alternative)
        per output channel, card;
      * float conv / linear: 32 bits per weight and bias, host;
      * BN after a float layer: folded into it, 32 bits (one bias) per
        channel, host;
      * InputNorm (affine offset, scale) and InputQuant (offset, scale):
        2 x 32 bits, host (an identity InputNorm, for per-item z-scored
        inputs, costs nothing: z-scoring has no parameters);
      * max pool, flatten, activations, sign: 0; ScoreScale: 0 (not
        exported: it does not change the argmax);
      * Join: its thresholds, 32 bits each, host.
    Returns dict(host=..., card=..., total=..., layers=[(name, host, card)]).
    """
    mods = list(model)
    host = card = 0
    rows = []
    for i, m in enumerate(mods):
        h = c = 0
        if isinstance(m, InputQuant) or (isinstance(m, InputNorm) and not m.is_identity()):
            h = 64
        elif isinstance(m, Join):
            h = 32 * m.bits
        elif getattr(m, "binary", False):
            c = m.weight.numel()
        elif isinstance(m, (nn.Conv1d, nn.Linear)):
            h = 32 * (m.weight.numel() + (m.bias.numel() if m.bias is not None else 0))
        elif isinstance(m, nn.BatchNorm1d):
            nxt = mods[i + 1] if i + 1 < len(mods) else None
            prev = mods[i - 1]
            if getattr(prev, "binary", False):
                if not isinstance(nxt, Sign):
                    raise ValueError("batch norm after a binary layer must precede a sign")
                c = threshold_bits * m.num_features
            else:
                h = 32 * m.num_features
        if h or c:
            rows.append((type(m).__name__ + "#%d" % i, h, c))
        host += h
        card += c
    return dict(host=host, card=card, total=host + card, layers=rows)
