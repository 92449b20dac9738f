#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Write a WFDB conformance corpus and the reference reading of it.

    wfdb_corpus.py OUTDIR
    wfdb_corpus.py --read DIR REC EXT


Records are written with the WFDB Python package (wfdb from PyPI) in every
signal format it writes (80, 212, 16, 24, 32), and built by the format
descriptions (signal(5), header(5)) for what it only reads: formats 8, 61,
160, 310, 311, skew, multi-segment master and layout headers.  Every
record and annotation file is then read back with wfdb.rdrecord (digital
samples, frames not smoothed) and wfdb.rdann, and that reading is stored
as plain text beside it:

    <rec>.ref         frames N / nsig K / per signal "sig i spf n" and a
                      line of n integers
    <rec>.<ann>.ref   n N / per annotation "sample code subtype chan num
                      aux" (aux as hex, "-" when empty) / for a file
                      with a time resolution note, "fs F"
    MANIFEST          "record <rec>" and "ann <rec> <ext>" lines

tests/conformance/check_wfdb.c reads the same files with libbnn and
compares.  Deterministic (fixed seed).  --read: only the reading of
DIR/REC.EXT (an annotation file written by libbnn) and a MANIFEST.
"""
import os
import sys

import numpy as np
import wfdb

RNG = np.random.default_rng(20240611)
INVALID = {80: -128, 212: -2048, 16: -32768, 24: -(2**23), 32: -(2**31),
           61: -32768, 160: -32768, 310: -512, 311: -512}
BITS = {80: 8, 212: 12, 16: 16, 24: 24, 32: 32, 61: 16, 160: 16, 310: 10,
        311: 10, 8: 8}


def rand_sig(fmt, n, invalid=True):
    lo, hi = -(2 ** (BITS[fmt] - 1)), 2 ** (BITS[fmt] - 1) - 1
    x = RNG.integers(lo + 1, hi + 1, size=n, endpoint=False, dtype=np.int64)
    x[0], x[-1] = lo + 1, hi
    if invalid and n > 10:
        x[5] = lo  # a missing sample, kept as stored
    return x


class Corpus:
    def __init__(self, out):
        self.out = out
        self.manifest = []

    def ref_record(self, name):
        path = os.path.join(self.out, name)
        try:
            rec = wfdb.rdrecord(path, physical=False, smooth_frames=False)
            sigs = rec.e_d_signal
        except ValueError:
            # wfdb 4.3.1 cannot hand out big-endian (format 61) digital
            # samples; its physical reading, converted back, is exact.
            rec = wfdb.rdrecord(path, physical=True, smooth_frames=False)
            sigs = []
            for ch, p in enumerate(rec.e_p_signal):
                d = np.round(p * rec.adc_gain[ch] + rec.baseline[ch])
                d[np.isnan(p)] = INVALID[int(rec.fmt[ch])]
                sigs.append(d.astype(np.int64))
        with open(os.path.join(self.out, name + ".ref"), "w") as f:
            f.write(f"frames {rec.sig_len}\nnsig {len(sigs)}\n")
            for i, s in enumerate(sigs):
                f.write(f"sig {i} {rec.samps_per_frame[i]} {len(s)}\n")
                f.write(" ".join(str(int(v)) for v in s) + "\n")
        self.manifest.append(f"record {name}")

    def ref_ann(self, name, ext, with_fs=False):
        a = wfdb.rdann(os.path.join(self.out, name), ext,
                       return_label_elements=["label_store"])
        with open(os.path.join(self.out, f"{name}.{ext}.ref"), "w") as f:
            f.write(f"n {len(a.sample)}\n")
            for k in range(len(a.sample)):
                aux = a.aux_note[k] if a.aux_note else ""
                auxhex = aux.encode("latin-1").hex() if aux else "-"
                f.write(f"{int(a.sample[k])} {int(a.label_store[k])} "
                        f"{int(a.subtype[k])} {int(a.chan[k])} "
                        f"{int(a.num[k])} {auxhex}\n")
            if with_fs:  # the file's "## time resolution" as wfdb reads it
                f.write(f"fs {float(a.fs)!r}\n")
        self.manifest.append(f"ann {name} {ext}")

    def write_text(self, fname, text):
        with open(os.path.join(self.out, fname), "w") as f:
            f.write(text)

    def write_bytes(self, fname, data):
        with open(os.path.join(self.out, fname), "wb") as f:
            f.write(bytes(data))

    # ---- written by wfdb ----
    def wfdb_formats(self):
        n = 1001
        for fmt in (80, 212, 16, 24, 32):
            d = np.stack([rand_sig(fmt, n) for _ in range(3)], axis=1)
            name = f"w{fmt}"
            rec = wfdb.Record(
                record_name=name, n_sig=3, fs=360, sig_len=n,
                file_name=[name + ".dat"] * 3, fmt=[str(fmt)] * 3,
                adc_gain=[200.0, 1000.5, 12.0], baseline=[0, 7, -3],
                units=["mV", "mV", "uV"], adc_res=[BITS[fmt]] * 3,
                adc_zero=[0, 7, -3], sig_name=["MLII", "V5", "ECG1"],
                d_signal=d.astype(np.int64))
            rec.set_d_features()
            rec.init_value = [int(v) for v in d[0]]
            rec.checksum = rec.calc_checksum()
            rec.block_size = [0] * 3
            rec.wrsamp(write_dir=self.out)
            self.ref_record(name)

    def wfdb_mixed(self):
        """Several files and formats, samples per frame, a byte offset."""
        n = 301
        spf = [1, 2, 4, 1]
        fmts = ["212", "212", "16", "80"]
        e = [rand_sig(int(f), n * k) for f, k in zip(fmts, spf)]
        rec = wfdb.Record(
            record_name="wmix", n_sig=4, fs=250, sig_len=n,
            file_name=["wmix_a.dat", "wmix_a.dat", "wmix_b.dat", "wmix_c.dat"],
            fmt=fmts, samps_per_frame=spf, byte_offset=[None, None, 24, None],
            adc_gain=[200.0, 100.0, 50.0, 10.0], baseline=[1024, 0, 5, 0],
            units=["mV"] * 4, adc_res=[11, 12, 16, 8], adc_zero=[1024, 0, 5, 0],
            sig_name=["ECG", "II", "ABP", "RESP"],
            e_d_signal=[x.astype(np.int64) for x in e])
        rec.init_value = [int(x[0]) for x in e]
        rec.checksum = rec.calc_checksum(expanded=True)
        rec.block_size = [0] * 4
        rec.wrsamp(expanded=True, write_dir=self.out)
        self.ref_record("wmix")

    def wfdb_gain0(self):
        """Gain 0 (uncalibrated) and missing optional fields."""
        n = 50
        d = rand_sig(16, n, invalid=False).reshape(-1, 1)
        wfdb.wrsamp("wgain0", fs=100, units=["mV"], sig_name=["ECG"],
                    d_signal=d, fmt=["16"], adc_gain=[200.0], baseline=[0],
                    write_dir=self.out)
        hea = os.path.join(self.out, "wgain0.hea")
        lines = open(hea).read().splitlines()
        f = lines[1].split()
        lines[1] = f"{f[0]} {f[1]} 0/mV " + " ".join(f[3:])
        lines.append("wgain0.dat 16")
        lines[0] = lines[0].replace("wgain0 1", "wgain0 2")
        # The second signal line shares the file: rewrite the data as 2
        # interleaved signals.
        d2 = np.stack([d[:, 0], d[::-1, 0]], axis=1).astype("<i2")
        self.write_bytes("wgain0.dat", d2.tobytes())
        lines[1] = " ".join(lines[1].split()[:5])  # no init value/checksum
        self.write_text("wgain0.hea", "\n".join(lines) + "\n")
        self.ref_record("wgain0")

    # ---- built by the specification, read by wfdb ----
    def spec_packed(self):
        n = 1000
        for fmt in (61, 160, 310, 311):
            for nsig in (1, 2, 3):
                frames = n + nsig % 3  # a partial last block
                x = np.stack([rand_sig(fmt, frames) for _ in range(nsig)],
                             axis=1)
                flat = x.reshape(-1)
                data = pack(fmt, flat)
                name = f"s{fmt}_{nsig}"
                self.write_bytes(name + ".dat", data)
                lines = [f"{name} {nsig} 500 {frames}"]
                for s in range(nsig):
                    lines.append(f"{name}.dat {fmt} 400(-2)/mV {BITS[fmt]} 0 "
                                 f"{x[0, s]} {csum(x[:, s])} 0 lead {s}")
                self.write_text(name + ".hea", "\n".join(lines) + "\n")
                self.ref_record(name)

    def spec_fmt8(self):
        n = 400
        spf = [1, 3]
        x = [np.cumsum(RNG.integers(-100, 101, size=n * k)) + 17 * k
             for k in spf]
        init = [int(v[0]) for v in x]
        frames = []
        prev = list(init)
        for f in range(n):
            for s, k in enumerate(spf):
                for j in range(k):
                    v = int(x[s][f * k + j])
                    frames.append(v - prev[s])
                    prev[s] = v
        self.write_bytes("s8.dat", np.array(frames, dtype=np.int8).tobytes())
        lines = ["s8 2 250 %d" % n]
        for s, k in enumerate(spf):
            lines.append(f"s8.dat 8x{k} 200 12 0 {init[s]} {csum(x[s])} 0 "
                         f"sig {s}")
        self.write_text("s8.hea", "\n".join(lines) + "\n")
        self.ref_record("s8")

    def spec_skew(self):
        """Skewed signals.  wfdb 4.3.1 reads skew right only when every
        skewed signal has the largest skew and the file holds just the
        record's frames (it ignores frames past the record's length, which
        libbnn uses); the other cases are in tests/unit/test_wfdb.c."""
        n = 200
        x = np.stack([rand_sig(16, n, invalid=False) for _ in range(3)],
                     axis=1)
        self.write_bytes("skew.dat", x.astype("<i2").tobytes())
        # Checksums and initial values of the stored columns, as WFDB
        # writes them (libbnn checks them so, also for skewed signals).
        lines = [f"skew 3 128 {n}"]
        for s, (k, d) in enumerate(zip((0, 5, 5), "abc")):
            lines.append(f"skew.dat 16{':%d' % k if k else ''} 200 16 0 "
                         f"{x[0, s]} {csum(x[:, s])} 0 {d}")
        self.write_text("skew.hea", "\n".join(lines) + "\n")
        self.ref_record("skew")

    def spec_offset(self):
        """Byte offsets on a packed format."""
        n = 99
        x = rand_sig(212, 2 * n).reshape(-1)
        self.write_bytes("off.dat", b"\x55" * 37 + pack(212, x))
        x2 = x.reshape(-1, 2)
        self.write_text("off.hea", "off 2 360 %d\n"
                        "off.dat 212+37 200 12 0 %d %d 0 MLII\n"
                        "off.dat 212+37 200 12 0 %d %d 0 V1\n"
                        % (n, x2[0, 0], csum(x2[:, 0]), x2[0, 1],
                           csum(x2[:, 1])))
        self.ref_record("off")

    def multi_fixed(self):
        lens = [120, 75, 200]
        names = []
        for i, n in enumerate(lens):
            d = np.stack([rand_sig(212, n) for _ in range(2)], axis=1)
            nm = f"mf_{i + 1}"
            wfdb.wrsamp(nm, fs=360, units=["mV", "mV"], sig_name=["MLII", "V1"],
                        d_signal=d, fmt=["212", "212"], adc_gain=[200.0, 200.0],
                        baseline=[0, 0], write_dir=self.out)
            names.append(nm)
        self.write_text("mf.hea", f"mf/{len(lens)} 2 360 {sum(lens)}\n" +
                        "".join(f"{a} {b}\n" for a, b in zip(names, lens)))
        self.ref_record("mf")

    def multi_variable(self):
        # Layout: 3 signals; segments carry subsets, a null segment.
        self.write_text("mv_layout.hea",
                        "mv_layout 3 250 0\n"
                        "~ 0 200/mV 12 0 0 0 0 II\n"
                        "~ 0 100/mmHg 16 0 0 0 0 ABP\n"
                        "~ 0 50/mV 16 0 0 0 0 V\n")
        segs = [("mv_layout", 0)]
        plan = [(["II", "ABP"], 100), (None, 30), (["ABP", "V"], 80),
                (["II"], 64), (["II", "ABP", "V"], 11)]
        fmt = {"II": "212", "ABP": "16", "V": "16"}
        gain = {"II": 200.0, "ABP": 100.0, "V": 50.0}
        for k, (sig, n) in enumerate(plan):
            if sig is None:
                segs.append(("~", n))
                continue
            nm = f"mv_{k:04d}"
            d = np.stack([rand_sig(int(fmt[s]), n) for s in sig], axis=1)
            wfdb.wrsamp(nm, fs=250, units=["mV"] * len(sig), sig_name=sig,
                        d_signal=d, fmt=[fmt[s] for s in sig],
                        adc_gain=[gain[s] for s in sig], baseline=[0] * len(sig),
                        write_dir=self.out)
            segs.append((nm, n))
        total = sum(n for _, n in segs)
        self.write_text("mv.hea", f"mv/{len(segs)} 3 250 {total}\n" +
                        "".join(f"{a} {b}\n" for a, b in segs))
        self.ref_record("mv")

    def annotations(self):
        n = 300
        t = np.sort(RNG.choice(np.arange(1, 2_000_000), size=n, replace=False))
        t[10] = t[9]  # two annotations at one time
        syms = ["N", "V", "A", "+", "~", "|", "Q", "/", "f", "x", "!", '"']
        sym = [syms[i % len(syms)] for i in range(n)]
        sub = [int(v) for v in RNG.integers(-128, 128, size=n)]
        chan = [int(v) for v in RNG.integers(0, 256, size=n)]
        num = [int(v) for v in RNG.integers(0, 128, size=n)]  # wrann: 0..127
        for i in range(0, n, 3):  # runs of equal chan/num: carried over
            chan[i] = chan[i - 1] if i else 0
            num[i] = num[i - 1] if i else 0
        aux = ["" for _ in range(n)]
        for i in range(0, n, 7):
            aux[i] = "(AFIB" if i % 2 else "x" * (i % 40 + 1)
        wfdb.wrann("ann", "atr", np.array(t), symbol=sym,
                   subtype=np.array(sub), chan=np.array(chan),
                   num=np.array(num), aux_note=aux, write_dir=self.out)
        self.ref_ann("ann", "atr")

    def annotations_fs(self):
        """A time resolution: wfdb writes the note "## time resolution: F"
        at time 0, a SKIP of -1 and a NOTQRS (code 0) of interval 1 before
        the annotations, as WFDB's own tools do; both are file metadata."""
        n = 50
        t = np.sort(RNG.choice(np.arange(1, 900_000), size=n, replace=False))
        sym = ["N" if i % 5 else "V" for i in range(n)]
        wfdb.wrann("annfs", "atr", np.array(t), symbol=sym, fs=500,
                   write_dir=self.out)
        self.ref_ann("annfs", "atr", with_fs=True)

    def finish(self):
        self.write_text("MANIFEST", "\n".join(self.manifest) + "\n")


def csum(x):
    s = int(np.sum(np.asarray(x, dtype=np.int64))) & 0xFFFF
    return s - 65536 if s >= 32768 else s


def pack(fmt, flat):
    """Bytes of a flat sample stream in format fmt (signal(5))."""
    flat = [int(v) for v in flat]
    out = bytearray()
    if fmt == 61:
        for v in flat:
            out += (v & 0xFFFF).to_bytes(2, "big")
    elif fmt == 160:
        for v in flat:
            out += (v + 32768).to_bytes(2, "little")
    elif fmt == 212:
        for i in range(0, len(flat), 2):
            a = flat[i] & 0xFFF
            b = flat[i + 1] & 0xFFF if i + 1 < len(flat) else 0
            out += bytes([a & 0xFF, (a >> 8) | ((b >> 8) << 4), b & 0xFF])
        if len(flat) % 2:
            out = out[:-1]
    elif fmt in (310, 311):
        for i in range(0, len(flat), 3):
            g = [v & 0x3FF for v in flat[i:i + 3]] + [0, 0]
            if fmt == 310:
                w0 = (g[0] << 1) | ((g[2] & 0x1F) << 11)
                w1 = (g[1] << 1) | ((g[2] >> 5) << 11)
                out += w0.to_bytes(2, "little") + w1.to_bytes(2, "little")
            else:
                w = g[0] | (g[1] << 10) | (g[2] << 20)
                out += w.to_bytes(4, "little")
        r = len(flat) % 3
        if r == 1:
            out = out[:-2]
    return bytes(out)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--read":
        # files written by libbnn (check_wfdb --write): wfdb's reading
        c = Corpus(sys.argv[2])
        c.ref_ann(sys.argv[3], sys.argv[4])
        c.finish()
        print(f"wfdb {wfdb.__version__}: read {sys.argv[3]}.{sys.argv[4]}")
        return
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    c = Corpus(out)
    for step in (c.wfdb_formats, c.wfdb_mixed, c.wfdb_gain0, c.spec_packed,
                 c.spec_fmt8, c.spec_skew, c.spec_offset, c.multi_fixed,
                 c.multi_variable, c.annotations, c.annotations_fs):
        step()
    c.finish()
    print(f"wfdb {wfdb.__version__}: {len(c.manifest)} files in {out}")


if __name__ == "__main__":
    main()
