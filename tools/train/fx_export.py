#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Export any PyTorch module built from the supported layer kinds to .bnn.

  fx_export.py FILE.py:NAME OUT.bnn --input-shape C,L [--weights STATE.pt]
               [--classes A,B,...] [--name NAME] [--sample-rate HZ]
               [--lead NAME,...] [--beat PRE,POST] [--class-offsets S=4,...]
      NAME in FILE.py is a module class or a function returning a module
      (called without arguments); --weights loads a state_dict into it

The module does not have to be the project's own nn.Sequential
(models.Net): torch.fx traces its forward (nested submodules, loops over
ModuleLists, functional calls), and the graph, in execution order, must
be a chain: every node takes the previous node's output (and a Join the
model's second input, the rhythm features). Each node becomes one module
of the kinds export.fold_modules folds into .bnn layers:

  modules    bnn_torch's InputNorm, InputQuant, BinaryConv1d, BinaryLinear,
             Sign, ScoreScale, Join; torch.nn's Conv1d, Linear,
             BatchNorm1d, ReLU, Hardtanh(-1, 1), MaxPool1d, Flatten(1),
             AdaptiveAvgPool1d(1), AdaptiveMaxPool1d(1), Identity, Dropout
  functions  F.relu / torch.relu / x.relu(), F.hardtanh,
             bnn_torch.sign_ste, F.max_pool1d, F.adaptive_{avg,max}_pool1d
             (output 1), x.mean(-1) / x.amax(-1) / torch.mean / torch.amax
             over the length (global pooling), torch.flatten(x, 1) / x.flatten(1),
             x.view(x.size(0), -1) / reshape, F.dropout, x.contiguous()

Anything else raises UnsupportedNode naming the first such node (its fx
name, op and target) and why.  torch.sign is refused: it gives 0 at 0,
the card's sign gives +1 (use bnn_torch.Sign or sign_ste).
"""
import argparse
import importlib.util
import operator
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)

import torch  # noqa: E402
import torch.fx as fx  # noqa: E402
import torch.nn as nn  # noqa: E402
import torch.nn.functional as F  # noqa: E402

import bnn_torch  # noqa: E402
import export  # noqa: E402
import model_desc  # noqa: E402

# modules traced as one node (not into their forward)
LEAVES = (bnn_torch.Sign, bnn_torch.InputQuant, bnn_torch.InputNorm, bnn_torch.ScoreScale,
          bnn_torch.Join, bnn_torch.BinaryLinear, bnn_torch.BinaryConv1d)
# modules export.fold_modules folds
MODULES = LEAVES + (nn.Conv1d, nn.Linear, nn.BatchNorm1d, nn.ReLU, nn.Hardtanh, nn.MaxPool1d,
                    nn.Flatten, nn.AdaptiveAvgPool1d, nn.AdaptiveMaxPool1d, nn.Identity,
                    nn.Dropout)


class UnsupportedNode(ValueError):
    """A node of the traced graph that has no .bnn layer; .node is its fx
    name, .op its op and target."""

    def __init__(self, node, why):
        self.node = node.name
        self.op = "%s %s" % (node.op, _target_name(node.target))
        super().__init__("node %r (%s): %s" % (self.node, self.op, why))


def _target_name(t):
    if isinstance(t, str):
        return t
    mod = getattr(t, "__module__", None) or ""
    return "%s.%s" % (mod, getattr(t, "__name__", repr(t))) if mod else getattr(
        t, "__name__", repr(t))


class _Tracer(fx.Tracer):
    def is_leaf_module(self, m, qualname):
        return isinstance(m, LEAVES) or super().is_leaf_module(m, qualname)


def _arg(node, i, name, default):
    if len(node.args) > i:
        return node.args[i]
    return node.kwargs.get(name, default)


def _flatten_dims(node, start_i):
    start = _arg(node, start_i, "start_dim", 0)
    end = _arg(node, start_i + 1, "end_dim", -1)
    if start != 1 or end != -1:
        raise UnsupportedNode(node, "flatten from dim %s to %s: only flatten(x, 1) (each item "
                              "to one vector) is a .bnn FLATTEN" % (start, end))
    return nn.Flatten()


def _view_flat(node, shape_nodes):
    """x.view(x.size(0), -1) / reshape(N, -1): a flatten of each item."""
    dims = list(node.args[1:])
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = list(dims[0])
    if len(dims) == 2 and dims[1] == -1 and (dims[0] in shape_nodes or
                                             isinstance(dims[0], int)):
        return nn.Flatten()
    raise UnsupportedNode(node, "reshape to %s: only (batch, -1), a flatten of each item, "
                          "is a .bnn layer" % (dims,))


def _reduce(node, ndim, mean):
    """mean / amax over the length of an (N, C, L) tensor: global pooling."""
    dim = _arg(node, 1, "dim", None)
    dim = dim[0] if isinstance(dim, (tuple, list)) and len(dim) == 1 else dim
    if ndim != 3 or dim not in (-1, 2):
        raise UnsupportedNode(node, "%s over dim %s of a %d-D tensor: only over the length "
                              "of (N, C, L) (global pooling)"
                              % ("mean" if mean else "amax", dim, ndim))
    return nn.AdaptiveAvgPool1d(1) if mean else nn.AdaptiveMaxPool1d(1)


def _function(node, shape_nodes, ndim):
    t = node.target
    if t in (torch.mean, torch.amax):
        return _reduce(node, ndim, t is torch.mean)
    if t in (F.relu, torch.relu):
        return nn.ReLU()
    if t is F.hardtanh:
        return nn.Hardtanh(_arg(node, 1, "min_val", -1.0), _arg(node, 2, "max_val", 1.0))
    if t is bnn_torch.sign_ste:
        return bnn_torch.Sign()
    if t is torch.flatten:
        return _flatten_dims(node, 1)
    if t is torch.reshape:
        return _view_flat(node, shape_nodes)
    if t is F.max_pool1d:
        k = _arg(node, 1, "kernel_size", None)
        return nn.MaxPool1d(k, _arg(node, 2, "stride", None) or k, _arg(node, 3, "padding", 0),
                            _arg(node, 4, "dilation", 1), _arg(node, 5, "ceil_mode", False),
                            _arg(node, 6, "return_indices", False))
    if t is F.adaptive_avg_pool1d:
        return nn.AdaptiveAvgPool1d(_arg(node, 1, "output_size", None))
    if t is F.adaptive_max_pool1d:
        return nn.AdaptiveMaxPool1d(_arg(node, 1, "output_size", None))
    if t is F.dropout:
        return nn.Identity()
    if t is torch.sign:
        raise UnsupportedNode(node, "torch.sign gives 0 at 0, the card's sign +1: use "
                              "bnn_torch.Sign or bnn_torch.sign_ste")
    raise UnsupportedNode(node, "no .bnn layer for this function")


def _method(node, shape_nodes, ndim):
    t = node.target
    if t in ("mean", "amax"):
        return _reduce(node, ndim, t == "mean")
    if t == "relu":
        return nn.ReLU()
    if t == "flatten":
        return _flatten_dims(node, 1)
    if t in ("view", "reshape"):
        return _view_flat(node, shape_nodes)
    if t == "contiguous":
        return nn.Identity()
    if t == "sign":
        raise UnsupportedNode(node, "Tensor.sign gives 0 at 0, the card's sign +1: use "
                              "bnn_torch.Sign or bnn_torch.sign_ste")
    raise UnsupportedNode(node, "no .bnn layer for this method")


def _is_shape_query(node, shape_nodes):
    if node.op == "call_method" and node.target == "size":
        return True
    if node.op == "call_function" and node.target is getattr and node.args[1] == "shape":
        return True
    return (node.op == "call_function" and node.target is operator.getitem and
            node.args[0] in shape_nodes)


def chain(model):
    """The modules of model's forward in execution order (torch.fx trace),
    each node mapped to a module export.fold_modules knows: a list of
    (module, the node's description for errors)."""
    graph = _Tracer().trace(model)
    mods = dict(model.named_modules())
    inputs, steps, shape_nodes = [], [], set()
    cur = None
    ndim = 3        # of the current tensor: (N, C, L), or (N, F) after a flatten
    for n in graph.nodes:
        if n.op == "placeholder":
            inputs.append(n)
            cur = cur if cur is not None else n
            continue
        if n.op == "output":
            if n.args[0] is not cur:
                raise UnsupportedNode(n, "the model's output is not the last layer's output "
                                      "(one tensor of class scores is needed)")
            break
        if _is_shape_query(n, shape_nodes):
            shape_nodes.add(n)
            continue
        if n.op == "call_module":
            m = mods[n.target]
            if not isinstance(m, MODULES) or type(m) in (nn.Sequential, nn.ModuleList):
                raise UnsupportedNode(n, "module type %s is not a supported layer kind"
                                      % type(m).__name__)
            if isinstance(m, nn.Flatten) and (m.start_dim, m.end_dim) != (1, -1):
                raise UnsupportedNode(n, "Flatten(%d, %d): only Flatten(1, -1)"
                                      % (m.start_dim, m.end_dim))
        elif n.op == "call_function":
            m = _function(n, shape_nodes, ndim)
        elif n.op == "call_method":
            m = _method(n, shape_nodes, ndim)
        else:   # get_attr: a parameter used outside its module
            raise UnsupportedNode(n, "parameters used directly in forward: put them in a "
                                  "supported module (nn.Linear, bnn_torch.BinaryLinear, ...)")
        used = []
        fx.node.map_arg((n.args, n.kwargs), lambda a: used.append(a))
        used = [a for a in used if a not in shape_nodes]
        want = [cur, inputs[1]] if isinstance(m, bnn_torch.Join) and len(inputs) > 1 else [cur]
        if used != want:
            raise UnsupportedNode(n, "takes %s, not just the previous layer's output %r: a "
                                  ".bnn model is a chain of layers (no branches)"
                                  % ([a.name for a in used], cur.name))
        what = (" %s" % type(mods[n.target]).__name__) if n.op == "call_module" else ""
        steps.append((m, "node %r (%s %s%s)" % (n.name, n.op, _target_name(n.target), what)))
        cur = n
        if isinstance(m, (nn.Flatten, nn.Linear, bnn_torch.Join)):
            ndim = 2
        elif n.target in (torch.mean, torch.amax, "mean", "amax"):
            ndim = 3 if _arg(n, 2, "keepdim", False) else 2
    return steps


def fold_module(model, in_shape, data_norm="none"):
    """The folded model as export.fold gives it, its "classes" the last
    layer's outputs."""
    model.eval()
    steps = chain(model)
    c, length = (int(v) for v in in_shape)
    folded = export.fold_modules([m for m, _ in steps], (c, length), None, data_norm,
                                 names=[d for _, d in steps])
    shapes = export.layer_shapes(folded, c, length)
    if not shapes:
        raise ValueError("the model has no layers")
    oc, ol = shapes[-1][2], shapes[-1][3]
    if ol != 1:
        raise ValueError("the last layer outputs length %d: class scores (N, classes) needed "
                         "(flatten or pool first)" % ol)
    if export._value_kind(folded["layers"]) != "float":
        raise ValueError("the model ends in %s values: the class scores must be a layer's "
                         "sums or float outputs" % export._value_kind(folded["layers"]))
    folded["classes"] = oc
    return folded


def export_module(model, path, in_shape, classes=None, name="", desc="", input_desc=None,
                  offsets=None, data_norm="none"):
    """Fold model (any nn.Module of the supported kinds, see the module
    doc) for inputs of in_shape (channels, length) and write it to path.
    classes: the class names (default "0", "1", ...); input_desc as
    export.write_bnn takes it (default: channels and length only).
    Returns the folded model."""
    folded = fold_module(model, in_shape, data_norm)
    n = folded["classes"]
    names = list(classes) if classes is not None else [str(i) for i in range(n)]
    if len(names) != n:
        raise ValueError("%d class names for a model of %d classes" % (len(names), n))
    desc_in = dict(channels=int(in_shape[0]), length=int(in_shape[1]))
    desc_in.update(input_desc or {})
    export.write_bnn(folded, path, desc_in, names, name=name, desc=desc, offsets=offsets)
    return folded


def _load(spec):
    file_, _, attr = spec.rpartition(":")
    if not file_ or not attr:
        raise SystemExit("fx_export: give the module as FILE.py:NAME, not %r" % spec)
    s = importlib.util.spec_from_file_location("user_model", file_)
    if s is None:
        raise SystemExit("fx_export: cannot load %s" % file_)
    mod = importlib.util.module_from_spec(s)
    s.loader.exec_module(mod)
    obj = getattr(mod, attr, None)
    if obj is None:
        raise SystemExit("fx_export: %s has no %s" % (file_, attr))
    m = obj()
    if not isinstance(m, nn.Module):
        raise SystemExit("fx_export: %s() is a %s, not a torch.nn.Module"
                         % (attr, type(m).__name__))
    return m


def main(argv=None):
    p = argparse.ArgumentParser(description="Export a PyTorch module of the supported layer "
                                            "kinds to a .bnn model (torch.fx).")
    p.add_argument("module", help="FILE.py:NAME, a module class or factory")
    p.add_argument("out", help="the .bnn file to write")
    p.add_argument("--input-shape", required=True, help="C,L: channels and samples per item")
    p.add_argument("--weights", help="a state_dict (torch.save) to load")
    model_desc.add_arguments(p)
    a = p.parse_args(argv)
    try:
        shape = tuple(int(v) for v in a.input_shape.split(","))
        if len(shape) != 2 or min(shape) < 1:
            raise ValueError
    except ValueError:
        p.error("--input-shape: C,L with two positive integers, not %r" % a.input_shape)
    m = _load(a.module)
    if a.weights:
        m.load_state_dict(torch.load(a.weights))
    try:
        folded = fold_module(m, shape)
        names = model_desc.class_names(a, folded["classes"])
        desc = dict(channels=shape[0], length=shape[1])
        desc.update(model_desc.input_desc(a, shape[0]))
        export.write_bnn(folded, a.out, desc, names, name=a.name,
                         offsets=model_desc.offsets(a, names))
    except ValueError as e:
        print("fx_export: %s" % e, file=sys.stderr)
        return 1
    print("wrote %s: %s" % (a.out, ", ".join(d["kind"] for d in folded["layers"])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
