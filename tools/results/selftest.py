#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Self-test of the results report (tools/results/report*.py) on a made-up
summary: tables, model choice, EC57 statistics, anchors, plots. Runs in a second; part of
`make test` (the full study is `make results`)."""
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "train"))

import report as R  # noqa: E402
import report_text  # noqa: E402
import study  # noqa: E402

CLS = ["N", "S", "V", "F", "Q"]


def cm5(correct, wrong):
    m = [[0] * 5 for _ in range(5)]
    for i in range(5):
        m[i][i] = correct[i]
        m[i][(i + 1) % 5] = wrong[i]
    return m


def fake(name, kind, task, variant, width, seed, acc_n, val, total_bits, fold=None):
    import metrics
    m = metrics.from_confusion(cm5([acc_n, 10, 20, 5, 1], [100 - acc_n, 10, 0, 5, 1]), CLS)
    return dict(job=dict(name=name, kind=kind, task=task, variant=variant, width=width,
                         seed=seed, fold=fold, flip=0.0, args=["--task", task]),
                classes=CLS, val_select=val, export_check=True,
                ideal=dict(metrics=m, agree_torch=1.0, items=m["n"]),
                card=dict(metrics=m, agree_torch=1.0, items=m["n"]),
                bnn_run_model=dict(memory_bits=dict(total=total_bits, host=64,
                                                    card=total_bits - 64,
                                                    card_weights=total_bits - 200,
                                                    card_thresholds=136)))


def main():
    ok = 0
    models = {}
    for w, val, bits in ((4, 0.50, 5000), (8, 0.595, 16000), (16, 0.60, 58000)):
        for s in (1, 2):
            n = "ecg-bin-full-w%d-s%d" % (w, s)
            models[n] = fake(n, "ecg-inter", "ecg", "bin-full", w, s, 60 + w + s, val, bits)
    n = "ecg-intra-bin-full-w8-s1"
    models[n] = fake(n, "ecg-intra", "ecg", "bin-full", 8, 1, 99, 0.9, 16000)

    # smallest width within 0.01 of the best validation score: w8, seed 1
    r, rs = R.choose(models, "ecg", "ecg-inter", "bin-full")
    assert r["job"]["name"] == "ecg-bin-full-w8-s1", r["job"]["name"]
    assert len(rs) == 2
    ok += 1
    # pooled confusion sums, spread shows mean [min-max]
    p = R.pooled([models["ecg-bin-full-w4-s1"]["ideal"]["metrics"]] * 2, CLS)
    assert p["n"] == 2 * models["ecg-bin-full-w4-s1"]["ideal"]["metrics"]["n"]
    assert R.spread([0.5, 0.7]) == "60.00 [50.00-70.00]", R.spread([0.5, 0.7])
    assert R.spread([float("nan")]) == "-"
    ok += 1
    tab = R.ecg_table(models, "ecg-inter")
    assert tab.count("\n") == 1 + 3, tab          # header, rule, one row per width
    assert "| fully binarized | 8 | 16.0 |" in tab, tab
    ok += 1
    # anchors: the intra model is 2 KB, below Pu's 3.76 KB, accuracy below 96.9 %
    a = R.anchors(models)
    assert len(a) == 2 and "does not beat it" in a[0] and "ecg-intra-bin-full-w8-s1" in a[0], a
    ok += 1
    # EC57 (tools/train/metrics.py's hand-computed cases, then the tables)
    import metrics
    metrics.ec57_self_test()
    ok += 1
    e = R.ec57_of(models["ecg-bin-full-w4-s1"])      # no per-record data: gross only
    cm = models["ecg-bin-full-w4-s1"]["ideal"]["metrics"]["confusion"]
    assert e["records"] is None and e["classes"]["S"]["per_record"] is None
    assert abs(e["kappa"] - metrics.kappa(cm)) < 1e-12
    assert e["f_as_v_rule"] and e["s_se_without"] is None
    # w8 seed 1 with per-record data: 100 and 232 split the matrix, 232
    # holds 8 + 6 of the 20 S beats (S row: 10 right, 10 called V)
    n8 = "ecg-bin-full-w8-s1"
    cm = models[n8]["ideal"]["metrics"]["confusion"]
    b = [[0] * 5 for _ in range(5)]
    b[0][0], b[1][1], b[1][2] = 40, 8, 6
    a = [[x - y for x, y in zip(r1, r2)] for r1, r2 in zip(cm, b)]
    models[n8]["ideal"]["ec57"] = metrics.ec57([("100", a), ("232", b)], CLS)
    e = R.ec57_of(models[n8])
    assert e["s_se_without"] == dict(record="232", s_beats=14, se=2 / 6), e["s_se_without"]
    assert abs(e["classes"]["S"]["per_record"]["se"] - (2 / 6 + 8 / 14) / 2) < 1e-12
    tab = R.ec57_table(models, "ecg-inter")
    assert tab.count("\n") == 1 + 3, tab
    assert "S Se without 232" in tab.splitlines()[0], tab
    head = tab.splitlines()[0].strip("| ").split(" | ")
    w4 = [r for r in tab.splitlines() if r.startswith("| fully binarized | 4 |")][0]
    w8 = [r for r in tab.splitlines() if r.startswith("| fully binarized | 8 |")][0]
    c4 = dict(zip(head, w4.strip("| ").split(" | ")))
    c8 = dict(zip(head, w8.strip("| ").split(" | ")))
    assert c4["S Se rec."] == "-" and c4["S Se without 232"] == "-", c4
    assert c8["S Se without 232"] == "33.3", c8      # one seed has it
    # S: 10 of 20 found; V: 20 of 20, column V 10 S + 20 V (two seeds, same matrix)
    assert c4["S Se"] == "50.0 [50.0-50.0]" and c4["V +P"] == "66.7 [66.7-66.7]", c4
    ok += 1
    # anchors: the inter-patient table has the published figures and our
    # shipped model, nothing of another protocol; those are in their own table
    inter, other = R.anchors_inter(models), R.anchors_other()
    for row in ("| de Chazal et al. 2004 | linear discriminants | ~10^2 coefficients | 86.2 | "
                "75.9 | 38.5 | 77.7 | 81.9 |",
                "| Llamedo & Martinez 2011 | linear discriminant | - | 93 | 77 | 39 | 81 | 87 |",
                "| Zhang et al. 2014 | SVMs | - | 86.7 | 79.1 | 36.0 | 85.5 | 92.7 |",
                "| Niu et al. 2020 | CNN | - | 96.4 | 76.5 | 76.6 | 85.7 | 94.1 |",
                "| Mondejar-Guerra et al. 2019 | SVM ensemble | - | 94.5 | - | - | - | - |",
                "| ours: `ecg-bin-full.bnn` (`ecg-bin-full-w8-s1`) | BNN, fully binarized | "
                "16.0 kbit |"):
        assert row in inter, (row, inter)
    assert "Pu" not in inter and "Mousavi" not in inter, inter
    assert "| Pu et al. 2023 |" in other and "| Mousavi & Afghah 2019 |" in other, other
    assert "10-s segments split at random" in other and "leak" in other, other
    ok += 1
    rob = [dict(sweep="ber", series="m", x=x, metrics=dict(accuracy=acc), model="m",
                opts=[]) for x, acc in ((0, 0.9), (1e-3, 0.8), (1e-3, 0.6))]
    t = R.sweep_table(rob, "ber", "model", R.fmt_ber)
    assert "| m | 90.00 | 70.00 |" in t, t
    ok += 1
    # the study plans: quick is a subset, robustness jobs only for trained models
    full, quick = study.train_jobs(study.FULL), study.train_jobs(study.QUICK)
    assert len({j["name"] for j in full}) == len(full)
    assert {j["name"] for j in quick} <= {j["name"] for j in full} | {
        j["name"] for j in quick if "w4" in j["name"]}
    assert study.robustness_jobs(study.FULL, lambda n: False) == []
    assert all("--error-model" in j["opts"]
               for j in study.robustness_jobs(study.QUICK, lambda n: True))
    # threshold moving: exactly the fully binarized inter-patient ECG jobs
    # choose class offsets by DS1 CV, and their model card says so
    for j in full:
        want = j["kind"] == "ecg-inter" and j["variant"] in study.ECG_OFFSETS_VARIANTS
        assert j["cv_offsets"] == (study.ECG_OFFSETS_CV_FOLDS if want else 0), j
    m8 = dict(models["ecg-bin-full-w8-s1"])
    m8["job"] = dict(m8["job"], cv_offsets=4)
    m8["class_offsets"] = dict(offsets=dict(N=0, S=1, V=0, F=0, Q=0), no_offsets=None,
                               chosen=dict(S_se=0.779, S_ppv=0.339, V_se=0.818, V_ppv=0.798))
    _, cards = R.model_cards(dict(models=dict(models, **{"ecg-bin-full-w8-s1": m8}),
                                  out="/nonexistent", study=study.QUICK), None)
    card = [c for c in cards if c.startswith("## `ecg-bin-full.bnn`")][0]
    assert "| class offsets | S +1 added to the integer class scores" in card, card
    assert "S 77.9 / 33.9 %, V 81.8 / 79.8 %" in card, card
    assert "--cv-folds 4 --out DIR/cv" in card and "offsets.py DIR/cv" in card, card
    assert "--class-offsets-file DIR/cv/offsets.json --out DIR" in card, card
    ok += 1
    # the whole report renders and the plots are PNG files
    summary = dict(config="full", study=study.QUICK, machine=dict(cpu="x", cores=2,
                                                                  system="Linux"),
                   command="selftest", jobs=2, started="now", seconds_total=60,
                   seconds_models=50, seconds_robustness=10, models=models,
                   robustness=rob, failed=[])
    with tempfile.TemporaryDirectory() as d:
        summary["out"] = d
        made = R.plots(summary, os.path.join(d, "plots"))
        for f in made:
            with open(os.path.join(d, "plots", f), "rb") as fh:
                assert fh.read(8) == b"\x89PNG\r\n\x1a\n", f
        text = report_text.render(summary, made, ["ecg-bin-full.bnn"])
    assert "## ECG beats, inter-patient" in text and "Worst model: **100.000 %**" in text
    assert "### The same models by the EC57 protocol" in text and inter in text
    assert text.index(inter) < text.index("### Other protocols") < text.index(other)
    assert "memory-accuracy.png" in made and "ber.png" in made
    # one licence line, the first: the included sections' own are left out
    assert text.startswith(report_text.SPDX_MD + "\n# Results"), text[:200]
    assert text.count("SPDX-License-Identifier") == 1, text.count("SPDX-License-Identifier")
    assert report_text.models_readme(summary, []).startswith(report_text.SPDX_MD + "\n")
    ok += 1
    # ecg_inter.py: its cards replace those of the same files, the others
    # stay; its section text renders from the same summary
    import ecg_inter
    with tempfile.TemporaryDirectory() as d:
        rd = os.path.join(d, "README.md")
        with open(rd, "w") as f:
            f.write("# Shipped models\n\nhead\n\n## `ecg-a.bnn`\n\nold a\n\n"
                    "## `eeg-b.bnn`\n\nkeep b\n")
        new = ecg_inter.replace_cards(rd, {"ecg-a.bnn": "## `ecg-a.bnn`\n\nnew a\n",
                                           "ecg-c.bnn": "## `ecg-c.bnn`\n\nnew c\n"})
        assert new.startswith("# Shipped models\n\nhead\n\n## `ecg-a.bnn`\n\nnew a\n"), new
        assert "old a" not in new and "keep b" in new, new
        assert new.index("keep b") < new.index("new c"), new
    summary["commit"] = "0123abcd"
    sec = ecg_inter.section_text(summary)
    assert sec.startswith(report_text.SPDX_MD + "\n## ECG inter-patient models"), sec
    assert "EC57" in sec, sec
    with tempfile.TemporaryDirectory() as d:
        rm = os.path.join(d, "results.md")
        with open(rm, "w") as f:
            f.write(report_text.SPDX_MD + "\n# R\n\n## How the ECG recipe was chosen "
                    "(DS1 only)\nold\n")
        ecg_inter.refresh_included(rm)
        with open(rm) as f:
            new = f.read()
        assert new.count("SPDX-License-Identifier") == 1 and "\nold\n" not in new, new
    assert "Measured: " in sec and "| m | 90.00 | 70.00 |" in sec, sec
    ok += 1

    # lifetime.py: the lifetime is the last wear within 1 point of the new
    # card at 100 uA; the table and its sections from made-up results.
    import lifetime as LT
    res, energy = {}, {}
    wear = (0, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9)
    for m in LT.MODELS:
        res[("ideal", m)] = 90.0
        for cur, drop_at in ((5, 0), (10, 1e7), (20, 1e8), (40, 1e9), (100, 1e6)):
            for w in wear:
                res[("wear", m, (cur, w))] = 89.5 if (not drop_at or w < drop_at) and cur > 5 else 70.0
            energy[("wear", m, (cur, 0))] = 1000.0 * cur
    m0 = list(LT.MODELS)[0]
    assert LT.lifetime(res, m0, 5, wear) is None
    assert LT.lifetime(res, m0, 10, wear) == 1e6
    assert LT.lifetime(res, m0, 40, wear) == 1e8
    assert LT.lifetime(res, m0, 100, wear) == 1e5
    md = LT.report(res, energy, False, 60.0)
    assert md.startswith(report_text.SPDX_MD + "\n## The shipped models"), md[:200]
    assert "| %s | 10 | 89.50 | 10.0 | 1e+06 |" % m0 in md, md
    assert "| %s | 5 | 70.00 | 5.0 | below 1e4 or none |" % m0 in md, md
    assert "* %s: ideal 90.00 %%; 10 uA, 10.0 nJ" % m0 in md, md
    assert "lifetime.md" in report_text.INCLUDED_SECTIONS
    ok += 1

    # scaling.py: bench_scaling's JSON into the text (numbers, fit, speedup)
    import scaling as SC

    def pt(ns, wall, **k):
        return dict(k, ok=True, kernels="avx512" if k["isa"] == "auto" else "portable",
                    cpu_ns_per_item=ns, items_per_cpu_s=1e9 / ns, wall_items_per_s=wall,
                    wall_ns_per_item=1e9 / wall)
    d = {"tool": "bench_scaling", "date": "D", "command": "C", "cpu": "X", "cpu_flags": "f",
         "cores": 2, "kernel": "K", "seconds": 0.5, "reps": 7,
         "loadavg_start": [6.0, 6, 6], "loadavg_end": [6.0, 6, 6],
         "roofline": {"isa": "R", "bitops_per_s": 1e12, "portable_isa": "P",
                      "portable_bitops_per_s": 1e11},
         "model": {"path": "m.bnn", "name": "m", "binary_macs": 1000},
         "batch": [pt(2000.0, 4e5, isa="auto", batch=1), pt(1000.0, 8e5, isa="auto", batch=256)],
         "threads": [pt(1000.0, 5e5, isa="auto", batch=256, threads=1),
                     pt(1000.0, 7.5e5, isa="auto", batch=256, threads=2)],
         "width": [pt(1000.0 + 2 * m, 1e5, isa="auto", path="w%d.bnn" % m, name="w",
                      binary_macs=m, batch=256, threads=1) for m in (1000, 100000)],
         "width_fit": [{"isa": "auto", "fixed_ns_per_item": 1000.0,
                        "ns_per_binary_mac": 2e-3, "slope_bitops_per_s": 5e11}]}
    md = SC.text(d)
    assert md.startswith(report_text.SPDX_MD + "\n## How the cpu backend's cost grows"), md[:200]
    assert "| 1 | 2000 | 400000 |" in md and "at batch 1 an item costs 2000 ns, at best 1000" in md, md
    assert "| auto | 256 | 2 | 1000 | 750000 | 1.50x |" in md and "bought 1.50x to 1.50x" in md, md
    assert "1000 ns fixed per item + 2.00 ps per binary MAC" in md and "50 % of the R" in md, md
    assert "| w100000.bnn | 100000 | 201000 | 0.5 |" in md, md
    assert "scaling.md" in report_text.INCLUDED_SECTIONS
    ok += 1
    print("results selftest: %d checks passed" % ok)


if __name__ == "__main__":
    main()
