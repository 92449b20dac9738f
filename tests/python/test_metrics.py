# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""bnn.metrics: bnn-run's statistics (its metrics.c and ec57.c in
bnn._ec57) on hand-computed matrices, bnn-run's label rules for AAMI
classes, libbnn's split, and bad input."""
import json
import os

import pytest

import bnn
import bnn.metrics as bm

CLS = ["N", "S", "V", "F", "Q"]


def test_two_records_by_hand():
    # rows true N S V F Q, columns predicted
    r1 = [[90, 5, 0, 0, 0], [1, 4, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]
    r2 = [[40, 0, 2, 0, 0], [0, 0, 0, 0, 0], [1, 0, 8, 1, 0], [0, 0, 3, 2, 0], [0, 0, 0, 0, 0]]
    tot = [[a + b for a, b in zip(x, y)] for x, y in zip(r1, r2)]
    m = bm.report(CLS, tot, [("r1", r1), ("r2", r2)])
    n = 157
    assert m["items"] == n and m["correct"] == 144
    assert m["accuracy"] == pytest.approx(144 / n)
    s = m["per_class"]["S"]
    assert (s["tp"], s["fp"], s["fn"], s["tn"]) == (4, 5, 1, n - 10)
    assert s["se"] == pytest.approx(0.8) and s["ppv"] == pytest.approx(4 / 9)
    assert m["aami"]["SVEB"] == s and m["aami"]["VEB"] == m["per_class"]["V"]
    # nothing is Q: its +P and F1 are undefined (None), not 0
    assert m["per_class"]["Q"]["ppv"] is None and m["per_class"]["Q"]["f1"] is None
    e = m["ec57"]
    assert e["records"] == 2 and e["beats"] == n and e["f_as_v_rule"]
    v = e["classes"]["V"]
    # F-as-V rule: the 3 F beats called V are not V false positives
    assert (v["tp"], v["fp"]) == (8, 2) and v["ppv"] == pytest.approx(0.8)
    assert m["per_class"]["V"]["fp"] == 5
    # per record S Se: only r1 has S beats; +P: only r1 predicted S
    ps = e["classes"]["S"]["per_record"]
    assert ps["se"] == pytest.approx(0.8) and ps["se_records"] == 1
    assert ps["ppv_records"] == 1
    # kappa by hand
    rows = [sum(r) for r in tot]
    cols = [sum(r[c] for r in tot) for c in range(5)]
    pe = sum(a * b for a, b in zip(rows, cols)) / n ** 2
    kappa = (144 / n - pe) / (1 - pe)
    assert e["kappa"] == pytest.approx(kappa)
    assert e["jk"] == pytest.approx(kappa / 2 + (0.8 + 8 / 10 + 4 / 9 + 0.8) / 8)
    assert e["s_se_without"] == {"record": "r1", "s_beats": 5, "se": None}
    json.dumps(bm.json_value(m), allow_nan=False)


def test_json_value():
    assert bm.json_value({"a": [1 / 3, float("nan"), 2, None]}) == \
        {"a": [0.3333333333, None, 2, None]}


def test_aami_classes():
    assert bm.aami_classes(CLS) == [0, 1, 2, 3, 4]
    assert bm.aami_classes(["normal", "SVEB", "VEB"]) == [-1, 1, 2, -1, -1]
    assert bm.aami_classes(["N (normal)", "abnormal (S+V)", "q"]) == [0, 1, 1, -1, 2]
    # a class that takes two AAMI labels is no EC57 class of either
    m = bm.report(["N (normal)", "abnormal (S+V)"], [[5, 1], [2, 3]], [("a", [[5, 1], [2, 3]])])
    assert m["aami"] is None and m["ec57"] is None


def test_bad_matrices():
    with pytest.raises(ValueError, match="row 1"):
        bm.report(["a", "b"], [[1, 2], [3]])
    with pytest.raises(ValueError, match="non-negative"):
        bm.report(["a", "b"], [[1, -2], [3, 4]])
    with pytest.raises(TypeError):
        bm.report(["a", "b"], 7)
    with pytest.raises(ValueError, match="for 3 classes"):
        bm.report(["a", "b", "c"], [[1, 2], [3, 4]])
    with pytest.raises(ValueError, match="record matrix"):
        bm.report(CLS, [[1] * 5] * 5, [("r", [[1, 2], [3, 4]])])
    with pytest.raises(ValueError):
        bm.report([], [])
    with pytest.raises(ValueError, match="map"):
        bnn._ec57.ec57([[1]], [], [0, 1, 0, 0, 0])


def test_split(tmp_path):
    sp = bm.split(None)
    assert sp["DS2"][:3] == ["100", "103", "105"] and len(sp["DS2"]) == 22
    assert len(sp["DS1"]) == 22 and sp["paced"] == ["102", "104", "107", "217"]
    assert sp["file"] is None
    (tmp_path / "SPLITS_AAMI.txt").write_text("DS1 101\nDS2 100 103\n")
    sp = bm.split(str(tmp_path))
    assert sp["DS2"] == ["100", "103"] and sp["file"].endswith("SPLITS_AAMI.txt")
    (tmp_path / "SPLITS_AAMI.txt").write_text("DS1 101\nBOGUS 1\n")
    with pytest.raises(bnn.Error) as e:
        bm.split(str(tmp_path))
    assert e.value.code < 0 and "BOGUS" in str(e.value)
    # a folder without the file: libbnn's split
    assert len(bm.split(os.path.join(str(tmp_path), "none"))["DS2"]) == 22
