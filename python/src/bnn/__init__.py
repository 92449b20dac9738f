# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""bnn: binarized neural networks on the RBNN card from NumPy.

A thin layer over libbnn's public C API (bnn.h, bnn_data.h) through the C
extension bnn._bnn::

    import bnn
    m = bnn.Model("models/ecg-bin-full.bnn", backend="emu")
    m.input_shape                       # (channels, length)
    rec = bnn.read_record("../shared/data/mitdb/100")
    beats = m.beats(rec, rec.annotations())   # the model's own beat windows
    classes = m.predict(beats.x, beats.features(m))
    [m.classes[c] for c in classes[:5]]

Errors from libbnn raise bnn.Error (str: libbnn's message, .code the
BNN_E_* status, .status its name); bad arguments raise TypeError or
ValueError before libbnn is called.  Inference, loading, reading and
beat extraction release the GIL.
"""
import os
import threading

import numpy as np

from . import _bnn
from ._bnn import Error

__all__ = ["Error", "Model", "Record", "Annotations", "Beats", "EdfFile",
           "read_record", "detect_beats", "qrs_detect", "match_beats",
           "version", "BACKENDS"]
__version__ = "0.1.0"

#: Backend names libbnn knows ("card" is accepted for "rbnn").
BACKENDS = ("auto", "cpu", "emu", "rbnn")
_ALIASES = {"card": "rbnn"}
_LAYER_VALUES = ("float", "bits", "quant")
_BASELINE = {"none": 0, "median": 1}
_AMP = {"none": 0, "qrs": 1}
_NORM = {"none": _bnn.BNN_NORM_NONE, "zscore": _bnn.BNN_NORM_ZSCORE, "mv": _bnn.BNN_NORM_MV}
_RESAMPLE = {"sinc": _bnn.BNN_RESAMPLE_SINC, "linear": _bnn.BNN_RESAMPLE_LINEAR}
_ISA = {"auto": _bnn.BNN_ISA_AUTO, "portable": _bnn.BNN_ISA_PORTABLE,
        "avx2": _bnn.BNN_ISA_AVX2, "avx512": _bnn.BNN_ISA_AVX512}
_CELL = {"2t2r": _bnn.BNN_CELL_2T2R, "1t1r": _bnn.BNN_CELL_1T1R}
AAMI_CLASSES = tuple(_bnn.aami_name(c) for c in range(_bnn.BNN_AAMI_NCLASS))


def version():
    """The version of the libbnn linked (bnn_version)."""
    return _bnn.version()


def _backend_kind(name):
    if not isinstance(name, str):
        raise TypeError("backend: a name (%s) is needed" % ", ".join(BACKENDS))
    return _bnn.backend_kind(_ALIASES.get(name.lower(), name.lower()))


def _float_array(x, what):
    """x as a float32 ndarray; floating dtypes only (float64 is cast)."""
    a = np.asarray(x)
    if a.dtype.kind != "f":
        raise TypeError("%s: a floating-point array is needed (float32; float64 is "
                        "converted), not dtype %s" % (what, a.dtype))
    return a.astype(np.float32, copy=False)


class Model:
    """A .bnn model (bnn_model_load) and the backend it runs on.

    backend: "auto" (a card, else the emulated card, else the CPU), "emu",
    "cpu", or "rbnn" / "card"; the keyword options are bnn_backend_opts'
    (error_model, cell_mode "2t2r"/"1t1r", prog_current_ua, verify,
    read_ber, seed, age_s, tiles, cpu_isa, threads (a count, or "auto":
    the cpu backend's one per online CPU where a batch is large enough),
    wear_cycles, device).
    The backend is opened and the model prepared (compiled, weights
    programmed) on the first predict; later calls reuse it.  One Model may
    be used from several threads: runs on its backend take turns.
    """

    def __init__(self, path, backend="auto", **opts):
        self.path = os.fspath(path)
        self._m = _bnn.Model(self.path)
        self._kind = _backend_kind(backend)
        self._opts = self._backend_opts(opts)
        self._be = None
        self._lock = threading.Lock()
        info = self._m.info()
        sig = self._m.signal()
        self.name = info["name"]
        self.channels = info["channels"]
        self.length = info["length"]
        self.sample_rate_hz = info["sample_rate_hz"]
        self.nclasses = info["nclasses"]
        self.classes = tuple(self._m.class_name(i) for i in range(self.nclasses))
        self.leads = tuple(self._m.lead(c) for c in range(self.channels))
        #: per-class integers libbnn adds to the scores before the argmax
        #: (.bnn version 5; all 0 without): scores() includes them
        self.class_offsets = tuple(self._m.class_offset(i) for i in range(self.nclasses))
        self.beat_window = (info["beat_pre"], info["beat_post"])
        #: "beats" (ECG heartbeat windows around an annotation) or
        #: "windows" (fixed windows of a signal, e.g. EEG)
        self.kind = "beats" if info["beat_pre"] or info["beat_post"] else "windows"
        self.input_norm = ("none", "zscore", "affine")[info["norm"]]
        self.signal = {
            "baseline": [k for k, v in _BASELINE.items() if v == sig["baseline"]][0],
            "lowpass_hz": sig["lowpass_hz"],
            "amp_norm": [k for k, v in _AMP.items() if v == sig["amp_norm"]][0],
            "ref_beats": sig["ref_beats"],
        }
        feats = [self._m.feature(i) for i in range(sig["nfeatures"])]
        #: rhythm features the model takes after the signal, in order
        self.features = tuple(f[1] for f in feats)
        self._feature_kinds = tuple(f[0] for f in feats)
        self.feature_thresholds = tuple(f[2] for f in feats)
        #: memory footprint in bits (the paper's metric)
        self.bits = {"card": info["card_bits"], "card_weights": info["card_weight_bits"],
                     "card_thresholds": info["card_threshold_bits"],
                     "host": info["host_bits"]}
        self.macs = {"binary": info["binary_macs"], "float": info["float_macs"]}
        self.layers = tuple(self._layer(i) for i in range(info["nlayers"]))

    def _layer(self, i):
        d = self._m.layer(i)
        d["in_values"] = _LAYER_VALUES[d["in_values"]]
        d["out_values"] = _LAYER_VALUES[d["out_values"]]
        return d

    @staticmethod
    def _backend_opts(opts):
        o = dict(opts)
        bad = set(o) - {"device", "error_model", "cell_mode", "verify", "prog_current_ua",
                        "read_ber", "seed", "age_s", "tiles", "cpu_isa", "threads",
                        "wear_cycles"}
        if bad:
            raise TypeError("unknown backend option(s): %s" % ", ".join(sorted(bad)))
        if isinstance(o.get("cell_mode"), str):
            try:
                o["cell_mode"] = _CELL[o["cell_mode"].lower()]
            except KeyError:
                raise ValueError("cell_mode: 2t2r or 1t1r, not %r" % o["cell_mode"]) from None
        if isinstance(o.get("threads"), str):
            if o["threads"] != "auto":
                raise ValueError("threads: a count or 'auto', not %r" % o["threads"])
            o["threads"] = -1   # BNN_THREADS_AUTO
        elif o.get("threads") is not None and not (isinstance(o["threads"], int)
                                                   and o["threads"] >= 0):
            raise ValueError("threads: a count >= 0 or 'auto', not %r" % (o["threads"],))
        if isinstance(o.get("cpu_isa"), str):
            try:
                o["cpu_isa"] = _ISA[o["cpu_isa"].lower()]
            except KeyError:
                raise ValueError("cpu_isa: one of %s, not %r"
                                 % (", ".join(_ISA), o["cpu_isa"])) from None
        return o

    @property
    def input_shape(self):
        """(channels, length) of one item, as predict takes them."""
        return (self.channels, self.length)

    def __repr__(self):
        return "bnn.Model(%r: %s, %d x %d, classes %s)" % (
            self.path, self.kind, self.channels, self.length, "/".join(self.classes))

    # ---- running -----------------------------------------------------
    def _backend(self):
        with self._lock:
            if self._be is None:
                be = _bnn.Backend(self._kind, **self._opts)
                be.prepare(self._m)
                self._be = be
            return self._be

    @property
    def backend(self):
        """Name of the backend in use ("cpu", "emu", "rbnn"); opens it."""
        return self._backend().info()["name"]

    def backend_info(self):
        """bnn_backend_info_get and bnn_prepare_info_get, as a dict."""
        be = self._backend()
        d = be.info()
        d["prepare"] = be.prepare_info()
        return d

    def stats(self):
        """Totals over every run of this model's backend (bnn_backend_stats)."""
        return self._backend().stats()

    def close(self):
        """Release the backend (a card's tiles); the next run reopens it."""
        with self._lock:
            be, self._be = self._be, None
        if be is not None:
            be.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def items(self, x, features=None):
        """The (N, item_floats) float32 items libbnn runs: x (N, C, L) laid
        out position-major, then the model's rhythm features (N, F)."""
        a = _float_array(x, "x")
        if a.ndim != 3 or a.shape[1:] != self.input_shape:
            raise ValueError("x: shape (N, %d, %d) needed (N items of %d channel(s) x %d "
                             "samples), not %s" % (self.channels, self.length, self.channels,
                                                   self.length, a.shape))
        n = a.shape[0]
        sig = np.ascontiguousarray(a.transpose(0, 2, 1)).reshape(n, self.channels * self.length)
        if not self.features:
            if features is not None:
                raise ValueError("features: this model takes no rhythm features")
            return sig
        if features is None:
            raise ValueError("features: this model takes %d rhythm feature(s) per item (%s): "
                             "give them, e.g. Beats.features(model)"
                             % (len(self.features), ", ".join(self.features)))
        f = _float_array(features, "features")
        if f.shape != (n, len(self.features)):
            raise ValueError("features: shape (%d, %d) needed, not %s"
                             % (n, len(self.features), f.shape))
        return np.ascontiguousarray(np.concatenate([sig, f], axis=1))

    def run(self, x, features=None):
        """(classes int32 (N,), scores float32 (N, nclasses), stats dict)."""
        return self._backend().run(self.items(x, features))

    def predict(self, x, features=None):
        """One class index per item (np.ndarray of int32): the argmax of the
        scores, as bnn_run gives it.  x: (N, C, L) in the units the model
        expects (ECG: millivolts); features: (N, F) for a model with
        rhythm features (Model.features)."""
        return self.run(x, features)[0]

    def scores(self, x, features=None):
        """Class scores (N, nclasses) float32, the model's class offsets
        (class_offsets) included, as libbnn returns them."""
        return self.run(x, features)[1]

    # ---- inputs through libbnn's own readers --------------------------
    def beats(self, record, annotations=None, leads=None, units="mv", resample="sinc"):
        """The beat windows of a WFDB record as this model wants them (its
        window, rate, leads and signal preprocessing), through libbnn's
        bnn_beats_extract, as bnn-run makes them.  annotations: a
        record's Annotations (default: record.annotations()); leads: the
        record's signals to take (default: the model's leads)."""
        if self.kind != "beats":
            raise ValueError("model %s classifies windows, not beats" % self.path)
        if units not in ("mv", "adc"):
            raise ValueError("units: mv (physical units, as the shipped models) or adc, "
                             "not %r" % (units,))
        if annotations is None:
            annotations = record.annotations()
        if leads is None:
            names = [ld for ld in self.leads]
            if not all(names):
                raise ValueError("the model does not name its leads: give leads=")
            leads = names
        fs = self.sample_rate_hz if self.sample_rate_hz and self.sample_rate_hz != record.fs else 0
        return record.beats(annotations, leads=leads, fs=fs, pre=self.beat_window[0],
                            post=self.beat_window[1], norm="none" if units == "adc" else "mv",
                            resample=resample, **self.signal)

    def detect_beats(self, x, fs, resample="sinc"):
        """Beats of one ECG lead without annotations (x in mV at fs Hz):
        libbnn's detector and this model's windows (bnn_beats_detect)."""
        if self.kind != "beats" or self.channels != 1:
            raise ValueError("beat detection makes items of one-lead beat models only")
        out = self.sample_rate_hz if self.sample_rate_hz and self.sample_rate_hz != fs else 0
        return detect_beats(x, fs, fs_out=out, pre=self.beat_window[0],
                            post=self.beat_window[1], norm="mv", resample=resample,
                            **self.signal)


def _beat_kw(fs, pre, post, norm, resample, baseline, lowpass_hz, amp_norm, ref_beats):
    try:
        return dict(fs=float(fs), pre=int(pre), post=int(post), norm=_NORM[norm],
                    resample=_RESAMPLE[resample], baseline=_BASELINE[baseline],
                    lowpass_hz=float(lowpass_hz), amp_norm=_AMP[amp_norm],
                    ref_beats=int(ref_beats))
    except KeyError as e:
        raise ValueError("unknown option value %s (norm: none/zscore/mv, resample: "
                         "sinc/linear, baseline: none/median, amp_norm: none/qrs)" % e) from None


class Beats:
    """Beat windows (bnn_beats): x (N, C, L) float32, cls (AAMI class
    index, uint8), code (annotation code), sample (int64, input samples),
    rhythm (N, 9) all rhythm features (bnn_feature_kind order), count and
    dropped per AAMI class, fs."""

    def __init__(self, d):
        # libbnn's items are position-major (N, L, C); numpy's (N, C, L)
        self.x = np.ascontiguousarray(d["x"].transpose(0, 2, 1))
        self.cls = d["cls"]
        self.code = d["code"]
        self.sample = d["sample"]
        self.rhythm = d["rhythm"]
        self.count = dict(zip(AAMI_CLASSES, d["count"]))
        self.dropped = dict(zip(AAMI_CLASSES, d["dropped"]))
        self.fs = d["fs"]

    def __len__(self):
        return len(self.cls)

    def features(self, model):
        """The rhythm features model takes, (N, F) in its order."""
        return np.ascontiguousarray(self.rhythm[:, list(model._feature_kinds)])

    @property
    def labels(self):
        """AAMI class names of the beats."""
        return [AAMI_CLASSES[c] for c in self.cls]


class Annotations:
    """WFDB annotations (bnn_wfdb_read_annotations): sample, code,
    subtype, chan, num (arrays), aux (list), symbols, warnings."""

    def __init__(self, a):
        self._a = a
        d = a.arrays()
        self.sample = d["sample"]
        self.code = d["code"]
        self.subtype = d["subtype"]
        self.chan = d["chan"]
        self.num = d["num"]
        self.aux = d["aux"]
        self.warnings = d["warnings"]

    def __len__(self):
        return len(self.sample)

    @property
    def symbols(self):
        return [_bnn.ann_symbol(int(c)) for c in self.code]


class Record:
    """A WFDB record (bnn_wfdb_read_record): name, fs, nsamples, signals
    (header fields per signal), leads (descriptions), warnings."""

    def __init__(self, rec, directory):
        self._r = rec
        self.directory = directory
        h = rec.header()
        self.name = h["name"]
        self.fs = h["fs"]
        self.nsamples = h["nsamples"]
        self.signals = h["signals"]
        self.leads = tuple(s["desc"] for s in self.signals)
        self.warnings = h["warnings"]

    def __repr__(self):
        return "bnn.Record(%r, %g Hz, %d samples, %s)" % (
            self.name, self.fs, self.nsamples, ", ".join(self.leads))

    def adc(self, sig):
        """Signal sig (index or lead) in ADC units, int32."""
        return self._r.adc(self._sig(sig))

    def physical(self, sig):
        """Signal sig in physical units (its header's, usually mV), float64;
        NaN where the record has a gap."""
        return self._r.physical(self._sig(sig))

    def _sig(self, sig):
        return self.find_leads([sig])[0] if isinstance(sig, str) else sig

    def find_leads(self, names):
        """Signal indices of the leads named (bnn_wfdb_find_leads: the
        description, then the lead by its aliases)."""
        return self._r.find_leads(list(names))[0]

    def annotations(self, annotator="atr"):
        """The record's <annotator> annotation file."""
        return Annotations(_bnn.read_annotations(self.directory, self.name, annotator))

    def beats(self, annotations=None, leads=("MLII",), fs=0.0, pre=128, post=128, norm="mv",
              resample="sinc", baseline="none", lowpass_hz=0.0, amp_norm="none", ref_beats=0):
        """Beat windows (bnn_beats_extract) of the leads named (or signal
        indices), at fs Hz (0: the record's rate), [-pre, +post) samples,
        with the preprocessing given."""
        if annotations is None:
            annotations = self.annotations()
        sigs = [self._sig(s) for s in leads]
        kw = _beat_kw(fs, pre, post, norm, resample, baseline, lowpass_hz, amp_norm, ref_beats)
        return Beats(_bnn.extract_beats(self._r, annotations._a, sigs, **kw))


def read_record(path, verify=True, strict=False):
    """Read the WFDB record at path (DIR/NAME, without .hea)."""
    path = os.fspath(path)
    d, name = os.path.split(path)
    flags = (0 if verify else _bnn.BNN_WFDB_NO_VERIFY) | (_bnn.BNN_WFDB_STRICT if strict else 0)
    return Record(_bnn.read_record(d or ".", name, flags), d or ".")


def _signal_1d(x, what="x"):
    a = _float_array(x, what)
    if a.ndim != 1:
        raise ValueError("%s: one lead (1-D) is needed, not shape %s" % (what, a.shape))
    return np.ascontiguousarray(a)


def detect_beats(x, fs, fs_out=0.0, pre=128, post=128, norm="mv", resample="sinc",
                 baseline="none", lowpass_hz=0.0, amp_norm="none", ref_beats=0):
    """Beats of one lead without annotations (bnn_beats_detect): libbnn's
    QRS detector, then the windows as bnn_beats_extract cuts them."""
    kw = _beat_kw(fs_out, pre, post, norm, resample, baseline, lowpass_hz, amp_norm, ref_beats)
    return Beats(_bnn.detect_beats(_signal_1d(x), float(fs), **kw))


def qrs_detect(x, fs):
    """R-peak sample indices (int64) of one ECG lead (bnn_qrs_detect)."""
    return _bnn.qrs_detect(_signal_1d(x), float(fs))


def match_beats(ref, det, fs, window_s=0.150):
    """EC57 beat-by-beat matching (bnn_beat_match): tp, fp, fn, se, ppv,
    mean_abs_err_s."""
    r = np.ascontiguousarray(np.asarray(ref, dtype=np.int64))
    d = np.ascontiguousarray(np.asarray(det, dtype=np.int64))
    return _bnn.beat_match(r, d, float(fs), float(window_s))


_EDF_UNITS = {"physical": _bnn.BNN_EDF_PHYSICAL, "digital": _bnn.BNN_EDF_DIGITAL,
              "mv": _bnn.BNN_EDF_MV, "uv": _bnn.BNN_EDF_UV}


class EdfFile:
    """An EDF, EDF+ or BDF(+) file (bnn_edf_open): signals, annotations
    (onset s, duration s, text), read(signal, units).  EDFlib is not
    thread-safe: use EDF files from one thread."""

    def __init__(self, path):
        self.path = os.fspath(path)
        self._f = _bnn.EdfFile(self.path)
        d = self._f.info()
        self.type = ("EDF", "EDF+", "BDF", "BDF+")[d["type"]]
        self.record_s = d["record_s"]
        self.duration_s = d["duration_s"]
        self.signals = d["signals"]
        self.labels = tuple(s["label"] for s in self.signals)
        self.annotations = d["annotations"]

    def find_lead(self, want):
        """Index of the signal recording ECG lead want (bnn_edf_find_lead)."""
        return self._f.find_lead(want)[0]

    def read(self, sig, units="physical"):
        """Samples of signal sig (index, label or lead) as float32;
        units: physical, digital, mv, uv."""
        if isinstance(sig, str):
            try:
                sig = self._f.find_signal(sig)
            except Error:
                sig = self.find_lead(sig)
        try:
            u = _EDF_UNITS[units.lower()]
        except (KeyError, AttributeError):
            raise ValueError("units: one of %s, not %r" % (", ".join(_EDF_UNITS), units)) from None
        return self._f.read_signal(int(sig), u)

    def close(self):
        self._f.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
