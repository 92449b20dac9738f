#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""Self-test of the results report (tools/results/report*.py) on a made-up
summary: tables, model choice, anchors, plots. Runs in a second; part of
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
    assert "memory-accuracy.png" in made and "ber.png" in made
    ok += 1
    print("results selftest: %d checks passed" % ok)


if __name__ == "__main__":
    main()
