# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Command-line options the model importers (fx_export.py, onnx_import.py)
share: what a .bnn says about its input and classes besides the layers
(Documentation/bnn-format.rst: input section, leads, offsets)."""


def add_arguments(p):
    p.add_argument("--classes", help="class names, comma-separated (default 0, 1, ...)")
    p.add_argument("--name", default="", help="model name stored in the file")
    p.add_argument("--sample-rate", type=float, default=0.0, metavar="HZ",
                   help="the input's sampling rate")
    p.add_argument("--lead", default="", metavar="NAME[,NAME...]",
                   help="the input's lead (e.g. MLII), one per channel")
    p.add_argument("--beat", metavar="PRE,POST",
                   help="an ECG beat model: the window [-PRE, +POST) samples around the R "
                        "peak (PRE + POST = the input length)")
    p.add_argument("--class-offsets", metavar="SPEC",
                   help="integers added to the class scores, e.g. S=4,V=2")


def input_desc(a, channels):
    """The input description write_bnn takes, from the options."""
    d = dict(sample_rate_hz=a.sample_rate)
    leads = [v for v in a.lead.split(",")] if a.lead else []
    if leads and len(leads) != channels:
        raise ValueError("--lead: %d names for %d channels" % (len(leads), channels))
    if channels > 1 and leads:
        d["leads"] = leads
    elif leads:
        d["lead"] = leads[0]
    if a.beat:
        try:
            pre, post = (int(v) for v in a.beat.split(","))
        except ValueError:
            raise ValueError("--beat: PRE,POST with two integers, not %r" % a.beat) from None
        d.update(beat_pre=pre, beat_post=post)
    return d


def class_names(a, n):
    names = a.classes.split(",") if a.classes else [str(i) for i in range(n)]
    if len(names) != n:
        raise ValueError("%d class names for a model of %d classes" % (len(names), n))
    return names


def offsets(a, names):
    """One integer per class from --class-offsets (None without)."""
    if not a.class_offsets:
        return None
    import train
    return train.offset_vector(a.class_offsets, names)
