# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Write a Bonn EEG segment as an EDF+C file with the standard library only
(a stand-in recording for tests/unit/test_examples.sh, where pyedflib may be
missing).

    python3 edf_write.py OUT.edf SEGMENT.txt LABEL

One data record holding the whole segment (4097 samples in 23.59887 s =
173.61 Hz), signal "EEG" in uV with physical = digital, and one annotation
LABEL over the segment.
"""
import struct
import sys


def fld(v, n):
    return str(v).ljust(n)[:n].encode()


def main():
    out, seg, label = sys.argv[1:4]
    x = [int(v) for v in open(seg).read().split()]
    dur = round(len(x) / 173.61, 5)
    tal = b"+0\x14\x14\x00" + ("+0\x15%g\x14%s\x14\x00" % (dur, label)).encode()
    tal = tal.ljust(((len(tal) + 1) // 2) * 2, b"\x00")
    sigs = [("EEG", "uV", -32768, 32767, len(x)),
            ("EDF Annotations", "", -1, 1, len(tal) // 2)]
    h = fld("0", 8) + fld("X X X X", 80) + fld("Startdate 01-JAN-2020 X X X", 80)
    h += fld("01.01.20", 8) + fld("00.00.00", 8) + fld(256 * 3, 8)
    h += fld("EDF+C", 44) + fld(1, 8) + fld(dur, 8) + fld(2, 4)
    cols = [lambda s: fld(s[0], 16), lambda s: fld("", 80), lambda s: fld(s[1], 8),
            lambda s: fld(s[2], 8), lambda s: fld(s[3], 8), lambda s: fld(-32768, 8),
            lambda s: fld(32767, 8), lambda s: fld("", 80), lambda s: fld(s[4], 8),
            lambda s: fld("", 32)]
    for c in cols:
        for s in sigs:
            h += c(s)
    with open(out, "wb") as f:
        f.write(h + struct.pack("<%dh" % len(x), *x) + tal)


if __name__ == "__main__":
    main()
