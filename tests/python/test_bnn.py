# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Tests of the Python package bnn (python/): models, backends, readers,
errors; the shipped ECG model gives bnn-run's classes beat for beat."""
import csv
import os
import shutil
import struct
import subprocess
import threading
import time

import numpy as np
import pytest

import bnn

MODEL = "models/ecg-bin-full.bnn"
RECORDS = ("100", "233")


@pytest.fixture(scope="module")
def model_path(repo):
    return os.path.join(repo, MODEL)


@pytest.fixture(scope="module")
def emu(model_path):
    return bnn.Model(model_path, backend="emu")


@pytest.fixture(scope="module")
def cpu(model_path):
    return bnn.Model(model_path, backend="cpu")


def test_version():
    assert bnn.version() == "0.1.0" == bnn.__version__


def test_inspect(emu):
    assert emu.input_shape == (1, 117)
    assert emu.classes == ("N", "S", "V", "F", "Q")
    assert emu.kind == "beats" and emu.leads == ("MLII",)
    # the shipped model's DS1-CV-chosen offset (.bnn version 5)
    assert emu.class_offsets == (0, 1, 0, 0, 0)
    assert emu.sample_rate_hz == 180.0
    assert emu.features and all(isinstance(f, str) for f in emu.features)
    assert emu.bits["card"] == emu.bits["card_weights"] + emu.bits["card_thresholds"] > 0
    assert sum(ly["card_bits"] + ly["host_bits"] for ly in emu.layers) \
        == emu.bits["card"] + emu.bits["host"]
    kinds = [ly["kind"] for ly in emu.layers]
    assert "bconv1d" in kinds or "bdense" in kinds
    assert emu.layers[0]["in_shape"] == (1, 117)
    assert emu.signal["baseline"] in ("none", "median")


def test_backends(emu, cpu):
    assert emu.backend == "emu" and cpu.backend == "cpu"
    info = emu.backend_info()
    assert info["prepare"]["cards"] == 1 and info["prepare"]["tiles_used"] > 0
    assert cpu.backend_info()["prepare"]["cards"] == 0


def _bnn_run(model_path, mitdb, backend, records, tmp_path):
    out = tmp_path / ("pred-%s.csv" % backend)
    subprocess.run([os.environ.get("BNN_RUN", "build/tools/bnn-run"), "-q", "-m", model_path,
                    "-b", backend, "-p", str(out)] + [os.path.join(mitdb, r) for r in records],
                   check=True)
    with open(out) as f:
        return list(csv.DictReader(f))


@pytest.mark.parametrize("backend", ["emu", "cpu"])
@pytest.mark.parametrize("name,records", [("ecg-bin-full", RECORDS), ("ecg2-bin-full", ("105",))])
def test_same_classes_as_bnn_run(repo, mitdb, backend, name, records, tmp_path):
    """The shipped model on the beats libbnn extracts (Model.beats) gives
    bnn-run's beats, classes and scores, beat for beat (ecg2: MLII + V1)."""
    model_path = os.path.join(repo, "models", name + ".bnn")
    m = bnn.Model(model_path, backend=backend)
    rows = _bnn_run(model_path, mitdb, backend, records, tmp_path)
    got = []
    for r in records:
        rec = bnn.read_record(os.path.join(mitdb, r))
        b = m.beats(rec)
        pred, scores, _ = m.run(b.x, b.features(m))
        assert pred.dtype == np.int32 and pred.shape == (len(b),)
        assert (np.argmax(scores, axis=1) == pred).all()
        got += [(r, int(s), m.classes[p], bnn.AAMI_CLASSES[c], sc)
                for s, p, c, sc in zip(b.sample, pred, b.cls, scores)]
    assert len(got) == len(rows) > 2000
    for (r, s, p, c, sc), row in zip(got, rows):
        assert (r, s, p, c) == (row["record"], int(row["sample"]), row["predicted"], row["true"])
        assert list(sc) == [float(row["score_" + k]) for k in m.classes]


def test_emu_equals_cpu(emu, cpu, mitdb):
    b = emu.beats(bnn.read_record(os.path.join(mitdb, "233")))
    f = b.features(emu)
    assert (emu.scores(b.x, f) == cpu.scores(b.x, f)).all()
    assert len(set(emu.predict(b.x, f))) >= 2


def test_float64_and_empty(cpu):
    rng = np.random.default_rng(1)
    x = rng.normal(size=(7, 1, 117))
    f = rng.uniform(0.5, 1.5, size=(7, len(cpu.features)))
    assert (cpu.predict(x, f) == cpu.predict(x.astype(np.float32), f.astype(np.float32))).all()
    assert cpu.predict(np.zeros((0, 1, 117), np.float32), np.zeros((0, 5))).shape == (0,)


@pytest.mark.parametrize("shape", [(117,), (1, 117), (3, 2, 117), (3, 1, 116), (3, 117, 1)])
def test_wrong_shape(cpu, shape):
    with pytest.raises(ValueError, match=r"shape \(N, 1, 117\)"):
        cpu.predict(np.zeros(shape, np.float32), np.zeros((3, 5)))


@pytest.mark.parametrize("dtype", [np.int16, np.int64, np.complex64, bool, object])
def test_wrong_dtype(cpu, dtype):
    with pytest.raises(TypeError, match="floating-point"):
        cpu.predict(np.zeros((2, 1, 117), dtype=dtype), np.zeros((2, 5)))


def test_features_required(cpu):
    x = np.zeros((2, 1, 117), np.float32)
    with pytest.raises(ValueError, match="rhythm feature"):
        cpu.predict(x)
    with pytest.raises(ValueError, match=r"shape \(2, 5\)"):
        cpu.predict(x, np.zeros((2, 4)))
    with pytest.raises(TypeError):
        cpu.predict(x, np.zeros((2, 5), np.int32))


def test_missing_model(tmp_path):
    with pytest.raises(bnn.Error) as e:
        bnn.Model(tmp_path / "nope.bnn")
    assert e.value.code == -3 and e.value.status == bnn._bnn.strerror(-3)
    assert "nope.bnn" in str(e.value)


def test_bad_model_files(model_path, tmp_path):
    data = open(model_path, "rb").read()
    cases = {"truncated": data[: len(data) // 2], "empty": b"",
             "garbage": bytes(range(256)) * 4,
             "flipped": data[:100] + bytes([data[100] ^ 0xFF]) + data[101:]}
    for name, blob in cases.items():
        p = tmp_path / (name + ".bnn")
        p.write_bytes(blob)
        with pytest.raises(bnn.Error) as e:
            bnn.Model(p)
        assert e.value.code < 0 and str(e.value), name
    with pytest.raises(bnn.Error):
        bnn.Model(tmp_path)                        # a folder


def test_backend_errors(model_path):
    with pytest.raises(ValueError, match="unknown backend"):
        bnn.Model(model_path, backend="gpu")
    with pytest.raises(TypeError, match="unknown backend option"):
        bnn.Model(model_path, backend="emu", colour="red")
    m = bnn.Model(model_path, backend="emu", read_ber=2.0)
    with pytest.raises(bnn.Error) as e:
        m.backend
    assert e.value.code == -1 and "read_ber" in str(e.value)
    with pytest.raises(ValueError):
        bnn.Model(model_path, backend="emu", tiles=-1).backend
    # the card: present in a VM with the driver, else a clear NODEV
    try:
        assert bnn.Model(model_path, backend="card").backend == "rbnn"
    except bnn.Error as e:
        assert e.code == -12 and "card" in str(e)


def test_error_model_changes_outputs(model_path, mitdb):
    b = bnn.Model(model_path, backend="cpu")
    noisy = bnn.Model(model_path, backend="emu", error_model=True, cell_mode="1t1r",
                      prog_current_ua=10, age_s=3e8, seed=3)
    rec = bnn.read_record(os.path.join(mitdb, "100"))
    bt = b.beats(rec)
    assert (b.scores(bt.x, bt.features(b)) != noisy.scores(bt.x, bt.features(b))).any()


def test_gil_released(emu, mitdb):
    """Another thread runs while bnn_run works: its longest pause during a
    long predict stays far below the predict's duration (with the GIL held
    through bnn_run it would pause for all of it)."""
    b = emu.beats(bnn.read_record(os.path.join(mitdb, "233")))
    reps = 10
    x, f = np.tile(b.x, (reps, 1, 1)), np.tile(b.features(emu), (reps, 1))
    items = emu.items(x, f)
    be = emu._backend()
    gap, last, stop = [0.0], [time.perf_counter()], threading.Event()

    def spin():
        while not stop.is_set():
            now = time.perf_counter()
            gap[0] = max(gap[0], now - last[0])
            last[0] = now
    t = threading.Thread(target=spin)
    t.start()
    try:
        time.sleep(0.05)
        gap[0] = 0.0
        t0 = time.perf_counter()
        be.run(items)
        took = time.perf_counter() - t0
    finally:
        stop.set()
        t.join()
    assert took > 0.1, "predict too short to tell (%.3f s)" % took
    assert gap[0] < 0.5 * took, (gap[0], took)


def test_threads_share_a_model(cpu, mitdb):
    b = cpu.beats(bnn.read_record(os.path.join(mitdb, "100")))
    f = b.features(cpu)
    want = cpu.predict(b.x, f)
    out = [None] * 4

    def work(i):
        out[i] = cpu.predict(b.x, f)
    ts = [threading.Thread(target=work, args=(i,)) for i in range(4)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    assert all((o == want).all() for o in out)


def test_threads_auto(model_path, cpu, mitdb):
    b = cpu.beats(bnn.read_record(os.path.join(mitdb, "100")))
    f = b.features(cpu)
    want = cpu.predict(b.x, f)
    for t in ("auto", 2, 0):
        m = bnn.Model(model_path, "cpu", threads=t)
        assert (m.predict(b.x, f) == want).all(), t
    for bad in ("many", -1, 1.5):
        with pytest.raises(ValueError, match="threads"):
            bnn.Model(model_path, "cpu", threads=bad)


def test_record_and_annotations(mitdb):
    rec = bnn.read_record(os.path.join(mitdb, "100"))
    assert (rec.name, rec.fs, rec.nsamples, rec.leads) == ("100", 360.0, 650000, ("MLII", "V5"))
    adc, mv = rec.adc(0), rec.physical("MLII")
    g = rec.signals[0]
    assert adc.dtype == np.int32 and mv.shape == (650000,)
    assert np.allclose(mv, (adc - g["baseline"]) / g["gain"])
    assert rec.find_leads(["V5", "MLII"]) == [1, 0]
    with pytest.raises(bnn.Error, match="V1"):
        rec.find_leads(["V1"])
    a = rec.annotations()
    assert len(a) > 2000 and a.symbols[1] == "N" and a.sample.dtype == np.int64
    b = rec.beats(a, leads=["MLII"], pre=28, post=6)       # the README's full counts
    assert b.count == {"N": 2239, "S": 33, "V": 1, "F": 0, "Q": 0}
    assert b.x.shape == (2273, 1, 34) and b.labels[0] == "N"
    with pytest.raises(bnn.Error) as e:
        rec.beats(a, pre=0, post=0)
    assert e.value.code == -1


def test_missing_record(tmp_path, mitdb):
    with pytest.raises(bnn.Error) as e:
        bnn.read_record(tmp_path / "nothing")
    assert e.value.code == -3 and "nothing" in str(e.value)
    d = tmp_path / "rec"
    d.mkdir()
    shutil.copy(os.path.join(mitdb, "100.hea"), d)
    with pytest.raises(bnn.Error, match="100.dat"):        # the signal file is missing
        bnn.read_record(d / "100")
    shutil.copy(os.path.join(mitdb, "100.dat"), d)
    with pytest.raises(bnn.Error) as e:
        bnn.read_record(d / "100").annotations()
    assert e.value.code == -3


def test_detect_beats_against_reference(emu, mitdb):
    rec = bnn.read_record(os.path.join(mitdb, "100"))
    x = rec.physical(0).astype(np.float32)
    r = bnn.qrs_detect(x, rec.fs)
    ref = rec.annotations()
    beat = np.isin(np.array(ref.symbols, dtype=object), ["N", "A", "V"])
    m = bnn.match_beats(ref.sample[beat], r, rec.fs)
    assert m["se"] > 0.99 and m["ppv"] > 0.99
    b = emu.detect_beats(x, rec.fs)
    assert abs(len(b) - len(r)) <= 2 and b.x.shape[1:] == emu.input_shape
    assert len(emu.predict(b.x, b.features(emu))) == len(b)
    with pytest.raises(bnn.Error, match="Hz"):
        bnn.detect_beats(x, 50.0)
    with pytest.raises(ValueError):
        bnn.qrs_detect(np.zeros((2, 100), np.float32), 360)
    with pytest.raises(TypeError):
        bnn.qrs_detect(np.zeros(1000, np.int32), 360)


def _write_edf(path, samples, fs=200, label="ECG MLII"):
    """A one-signal EDF file (16-bit, 1 s records, -3276.8 .. 3276.7 uV)."""
    n = len(samples) // fs
    h = b"0".ljust(8) + b"X X X X".ljust(80) + b"Startdate X X X X".ljust(80)
    h += b"01.01.01" + b"00.00.00" + b"512".ljust(8) + b"".ljust(44)
    h += str(n).encode().ljust(8) + b"1".ljust(8) + b"1".ljust(4)
    h += label.encode().ljust(16) + b"".ljust(80) + b"uV".ljust(8)
    h += b"-3276.8".ljust(8) + b"3276.7".ljust(8) + b"-32768".ljust(8) + b"32767".ljust(8)
    h += b"".ljust(80) + str(fs).encode().ljust(8) + b"".ljust(32)
    assert len(h) == 512
    path.write_bytes(h + struct.pack("<%dh" % (n * fs), *samples[: n * fs]))


def test_edf(tmp_path):
    s = [int(1000 * np.sin(i / 10)) for i in range(2000)]
    p = tmp_path / "a.edf"
    _write_edf(p, s)
    with bnn.EdfFile(p) as f:
        assert f.type == "EDF" and f.labels == ("ECG MLII",) and f.duration_s == 10
        uv = f.read("ECG MLII")
        assert uv.dtype == np.float32 and len(uv) == 2000
        assert np.allclose(uv, np.array(s) / 10.0, atol=1e-3)
        assert np.allclose(f.read("MLII", units="mv"), uv / 1000, atol=1e-6)
        assert (f.read(0, units="digital") == s).all()
        with pytest.raises(bnn.Error, match="V1"):
            f.read("V1")
        with pytest.raises(ValueError):
            f.read(0, units="furlongs")
    with pytest.raises(bnn.Error):
        bnn.EdfFile(tmp_path / "none.edf")
    (tmp_path / "bad.edf").write_bytes(b"not an edf file at all" * 30)
    with pytest.raises(bnn.Error) as e:
        bnn.EdfFile(tmp_path / "bad.edf")
    assert e.value.code == -4


def test_window_model(repo):
    m = bnn.Model(os.path.join(repo, "models", "eeg-seizure-bin-full.bnn"), backend="cpu")
    assert m.kind == "windows" and not m.features and m.input_shape[0] == 1
    x = np.random.default_rng(2).normal(scale=50, size=(9,) + m.input_shape)
    p = m.predict(x)
    assert p.shape == (9,) and set(p) <= set(range(m.nclasses))
    with pytest.raises(ValueError, match="no rhythm features"):
        m.predict(x, np.zeros((9, 1)))
    with pytest.raises(ValueError, match="windows, not beats"):
        m.beats(None)
