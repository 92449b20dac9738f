# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Write Bonn EEG segments as EDF+ files with pyedflib (a writer independent
of EDFlib's C API that libbnn reads with), for tests/unit/test_bnn_run.sh.

    python edf_pyedflib.py OUT.edf SEGMENT.txt LABEL [RECORD_S]

One signal "EEG" in uV (physical = digital, so the integers of the segment
come back exactly) at 173.61 Hz, and one EDF+ annotation LABEL over the
whole segment.  RECORD_S (default: the segment's 23.59887 s, one record)
sets the data-record duration; a shorter one pads the last record.
Run with the venv of `scripts/deps.sh edf-check`.
"""
import sys
import warnings

import numpy as np
import pyedflib

BONN_FS = 173.61


def main():
    out, seg, label = sys.argv[1:4]
    x = np.loadtxt(seg)
    rec = float(sys.argv[4]) if len(sys.argv) > 4 else round(len(x) / BONN_FS, 5)
    w = pyedflib.EdfWriter(out, 1, file_type=pyedflib.FILETYPE_EDFPLUS)
    w.setSignalHeaders([{
        "label": "EEG", "dimension": "uV", "sample_frequency": BONN_FS,
        "physical_min": -32768, "physical_max": 32767,
        "digital_min": -32768, "digital_max": 32767,
        "transducer": "", "prefilter": "",
    }])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "forcing a record duration"
        w.setDatarecordDuration(rec)
    w.writeAnnotation(0.0, len(x) / BONN_FS, label)
    w.writeSamples([x])
    w.close()


if __name__ == "__main__":
    main()
