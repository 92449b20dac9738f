# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Write test recordings as EDF files with the standard library only (a
stand-in for EDFlib / pyedflib, which may be missing).

    python3 edf_write.py OUT.edf SEGMENT.txt LABEL
    python3 edf_write.py --ecg OUT.edf RAW.i16 FS GAIN CHANNEL [BEATS]

The first form: a Bonn EEG segment as an EDF+C file (for
tests/unit/test_examples.sh): one data record holding the whole segment
(4097 samples in 23.59887 s = 173.61 Hz), signal "EEG" in uV with physical
= digital, and one annotation LABEL over the segment.

The second form (--ecg): one ECG lead as a plain EDF file, for beat models:
RAW.i16 holds little-endian int16 samples at FS Hz (an integer), written as
they are as the digital values (e.g. bnn-wfdb2raw's ADC values minus the
baseline), in data records of 1 s (a last part second is left out), signal
CHANNEL in mV with physical = digital / GAIN: digital range -32768 .. 32767,
physical range -32768 / GAIN .. 32767 / GAIN, so EDFlib's linear map gives
back digital / GAIN (to within a few units in the last place of a double:
the float samples equal bnn_wfdb_to_phys's of the WFDB record).  With
BEATS, a text file of "SAMPLE SYMBOL" lines (e.g. a record's beat
annotations, WFDB symbols N V A ...), the file is EDF+C and each beat an
annotation at onset SAMPLE / FS s without duration, in the time-keeping
TAL of the data record it falls in (beats after the last record: in the
last one).
"""
import struct
import sys


def fld(v, n):
    return str(v).ljust(n)[:n].encode()


def header(version, reserved, nrec, dur, sigs):
    """sigs: (label, units, phys_min, phys_max, dig_min, dig_max, spr)."""
    h = fld(version, 8) + fld("X X X X", 80) + fld("Startdate 01-JAN-2020 X X X", 80)
    h += fld("01.01.20", 8) + fld("00.00.00", 8) + fld(256 * (len(sigs) + 1), 8)
    h += fld(reserved, 44) + fld(nrec, 8) + fld(dur, 8) + fld(len(sigs), 4)
    cols = [lambda s: fld(s[0], 16), lambda s: fld("", 80), lambda s: fld(s[1], 8),
            lambda s: fld(s[2], 8), lambda s: fld(s[3], 8), lambda s: fld(s[4], 8),
            lambda s: fld(s[5], 8), lambda s: fld("", 80), lambda s: fld(s[6], 8),
            lambda s: fld("", 32)]
    for c in cols:
        for s in sigs:
            h += c(s)
    return h


def bonn(out, seg, label):
    x = [int(v) for v in open(seg).read().split()]
    dur = round(len(x) / 173.61, 5)
    tal = b"+0\x14\x14\x00" + ("+0\x15%g\x14%s\x14\x00" % (dur, label)).encode()
    tal = tal.ljust(((len(tal) + 1) // 2) * 2, b"\x00")
    sigs = [("EEG", "uV", -32768, 32767, -32768, 32767, len(x)),
            ("EDF Annotations", "", -1, 1, -32768, 32767, len(tal) // 2)]
    with open(out, "wb") as f:
        f.write(header("0", "EDF+C", 1, dur, sigs) +
                struct.pack("<%dh" % len(x), *x) + tal)


def ecg(out, raw, fs, gain, channel, beats=None):
    fs = int(fs)
    data = open(raw, "rb").read()
    nrec = len(data) // 2 // fs
    g = float(gain)
    pmin, pmax = "%.8g" % (-32768 / g), "%.8g" % (32767 / g)
    if len(pmin) > 8 or len(pmax) > 8:
        sys.exit("edf_write.py: gain %s: the physical range does not fit EDF's 8 characters" % gain)
    sigs = [(channel, "mV", pmin, pmax, -32768, 32767, fs)]
    if beats is None:
        with open(out, "wb") as f:
            f.write(header("0", "", nrec, 1, sigs) + data[:nrec * fs * 2])
        return
    tals = [b"+%d\x14\x14\x00" % r for r in range(nrec)]
    for line in open(beats):
        t, sym = line.split()
        r = min(int(t) // fs, nrec - 1)
        tals[r] += ("+%.6f\x14%s\x14\x00" % (int(t) / fs, sym)).encode()
    spr = (max(len(t) for t in tals) + 1) // 2
    sigs.append(("EDF Annotations", "", -1, 1, -32768, 32767, spr))
    body = b"".join(data[r * fs * 2:(r + 1) * fs * 2] + tals[r].ljust(2 * spr, b"\x00")
                    for r in range(nrec))
    with open(out, "wb") as f:
        f.write(header("0", "EDF+C", nrec, 1, sigs) + body)


def main():
    if sys.argv[1:2] == ["--ecg"]:
        ecg(*sys.argv[2:8])
    else:
        bonn(*sys.argv[1:4])


if __name__ == "__main__":
    main()
