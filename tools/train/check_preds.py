#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Check that bnn-run gave PyTorch's class for every beat.

    check_preds.py TEST_ITEMS.tsv PRED.csv BACKEND TAG

TEST_ITEMS.tsv is train.py's per-beat table (record, sample, torch_pred);
PRED.csv is bnn-run's --predictions file. Exits non-zero unless both list
the same beats with the same classes. Used by the smoke tests.
"""
import csv
import sys

CLASSES = ["N", "S", "V", "F", "Q"]


def main(items, preds, backend, tag):
    with open(items) as f:
        want = {(r["record"], r["sample"]): int(r["torch_pred"])
                for r in csv.DictReader(f, delimiter="\t")}
    with open(preds) as f:
        got = {(r["record"], r["sample"]): CLASSES.index(r["predicted"])
               for r in csv.DictReader(f)}
    if set(want) != set(got):
        sys.exit("%s: beats differ: %d vs %d" % (tag, len(want), len(got)))
    same = sum(got[k] == v for k, v in want.items())
    print("%s: bnn-run (%s) gives PyTorch's class for %d of %d beats"
          % (tag, backend, same, len(want)))
    return 0 if same == len(want) else 1


if __name__ == "__main__":
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    sys.exit(main(*sys.argv[1:]))
