#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""The ECG inter-patient part of `make results`, on its own.

  /usr/bin/python3 tools/results/ecg_inter.py [--jobs N] [--out DIR]
      [--resume] [--no-publish]

Trains, exports and evaluates the study's inter-patient ECG models
(tools/results/study.py: every variant, width and seed of the full plan,
ECG_RECIPE), runs the error-model sweeps on them, and writes
Documentation/results/ecg-rhythm.md (the DS2 tables, EC57, the published
anchors, the sweeps), the shipped ECG models in models/ with their cards
in models/README.md (the other cards stay as they are), and refreshes the
sections of Documentation/results.md that include ecg-recipe.md and
ecg-rhythm.md. The same steps as run.py (run.do_model, run.do_robust,
report.choose and report.model_cards), so a full `make results` gives
the same models and numbers; this runs in about a quarter of the time
when only the ECG recipe changed. DS2 is read once per model, for the
report, after training and selection on DS1 (train.py enforces it).
"""
import argparse
import json
import os
import shutil
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tools", "train"))

import report  # noqa: E402
import report_text  # noqa: E402
import run  # noqa: E402
import study  # noqa: E402

DOC = os.path.join(REPO, "Documentation")
SECTION = os.path.join(DOC, "results", "ecg-rhythm.md")
# The sections results.md includes, in its order (report_text.render).
INCLUDED = report_text.INCLUDED_SECTIONS

TARGETS = ("Targets of issue 11 (DS2, gross): fully binarized <= 64 kbit: accuracy >= 93 %, "
           "S Se >= 80 % with +P >= 50 %, V Se >= 92 % with +P >= 90 %; <= 16 kbit: "
           "accuracy >= 90 %, S Se >= 75 %, V Se >= 88 %.")


def section_text(summary):
    m, rob = summary["models"], summary["robustness"]
    mc = summary["machine"]
    L = [report_text.SPDX_MD, "## ECG inter-patient models (issue 11): DS2, read once", "",
         "Written by `tools/results/ecg_inter.py` (the inter-patient ECG jobs of `make results`: "
         "train on DS1 with patient-wise validation inside DS1, export, then `bnn-run` on the "
         "emulated card over DS2, ideal array and default error model). Recipe: "
         "`tools/results/study.py` `ECG_RECIPE` = `%s`. Run of %s at commit %s on %s, %s "
         "cores; %d jobs in parallel, one thread each; models %.1f min, sweeps %.1f min. "
         "Command: `%s`." % (
             " ".join(study.ECG_RECIPE), summary["started"], summary["commit"], mc["cpu"],
             mc["cores"], summary["jobs"], summary["seconds_models"] / 60,
             summary["seconds_robustness"] / 60, summary["command"]), "",
         report.ecg_table(m, "ecg-inter"), "",
         "### The same models by the EC57 protocol", "",
         report.ec57_table(m, "ecg-inter"), "",
         ] + ([
         "### Two leads (MLII + V1)", "",
         "The same recipe on MLII and V1 as two channels (`study.ECG2_LEADS`), each lead "
         "preprocessed on its own; records without V1 are left out, never fed from another "
         "lead, so these figures cover DS2's 18 records with V1 (100, 103, 117 and 123 "
         "have none), and are not comparable cell by cell with the one-lead rows above.", "",
         report.ecg_table(m, "ecg-inter-2lead"), "",
         report.ec57_table(m, "ecg-inter-2lead"), ""]
         if report.group(m, kind="ecg-inter-2lead") else []) + [
         "### Against the published inter-patient anchors", "",
         report.anchors_inter(m), "",
         TARGETS + " " + targets_verdict(m), ""]
    if rob:
        L += ["### The ECG models on an imperfect card", "",
              "The study's error-model sweeps (`study.robustness_jobs`) on the width-8 "
              "models, DS2 accuracy in %. Read bit error rate (transient sense errors, mean "
              "over error-model seeds):", "",
              report.sweep_table(rob, "ber", "model \\ BER", report.fmt_ber), "",
              "Cells, programming current and program-and-verify:", "",
              report.sweep_table(rob, "cells", "model, cells, verify \\ current (uA)",
                                 lambda x: "%g" % x), "",
              "Drift (virtual age after programming):", "",
              report.sweep_table(rob, "age", "model, cells, current \\ age", report.fmt_age),
              "", "Wear (program cycles the cells endured before this model):", "",
              report.sweep_table(rob, "wear", "model, cells \\ cycles", lambda x: "%g" % x),
              ""]
    return "\n".join(L).rstrip("\n") + "\n"


def targets_verdict(models):
    """Which targets the shipped fully binarized models reach, measured."""
    out = []
    for fname, cap, acc_t, s_t, sp_t, v_t, vp_t in (
            ("ecg-bin-full-64k.bnn", 64, 93, 80, 50, 92, 90),
            ("ecg-bin-full-16k.bnn", 16, 90, 75, None, 88, None)):
        r, _ = report.choose(models, "ecg", "ecg-inter", "bin-full", cap)
        if r is None:
            continue
        mm = r["ideal"]["metrics"]
        got = dict(acc=100 * mm["accuracy"], s=100 * report.se(mm, "S"),
                   sp=100 * (report.ppv(mm, "S") or 0), v=100 * report.se(mm, "V"),
                   vp=100 * (report.ppv(mm, "V") or 0))
        miss = [n for n, ok in (
            ("accuracy %.1f" % got["acc"], got["acc"] >= acc_t),
            ("S Se %.1f" % got["s"], got["s"] >= s_t),
            ("S +P %.1f" % got["sp"], sp_t is None or got["sp"] >= sp_t),
            ("V Se %.1f" % got["v"], got["v"] >= v_t),
            ("V +P %.1f" % got["vp"], vp_t is None or got["vp"] >= vp_t)) if not ok]
        out.append("`%s`: %s" % (fname, "all reached" if not miss else
                                 "not reached (%s)" % ", ".join(miss)))
    return "Measured: " + "; ".join(out) + "." if out else ""


def replace_cards(readme, cards):
    """models/README.md with the cards of `cards` (name -> text) replacing
    the ones of the same file; the others stay as they are."""
    with open(readme) as f:
        text = f.read()
    parts = text.split("\n## `")
    head, secs = parts[0], parts[1:]
    names = [s.split("`", 1)[0] for s in secs]
    out = []
    for n, s in zip(names, secs):
        out.append(cards.pop(n) if n in cards else "## `" + s.rstrip("\n") + "\n")
    out += list(cards.values())
    return head.rstrip("\n") + "\n\n" + "\n".join(c.rstrip("\n") + "\n" for c in out)


def refresh_included(results_md):
    """Re-include the hand-run sections at the end of results.md, as
    report_text.render puts them: from the first one's heading to the end
    of the file."""
    with open(results_md) as f:
        text = f.read()
    bodies = []
    for n in INCLUDED:
        path = os.path.join(DOC, "results", n)
        if os.path.exists(path):
            with open(path) as f:
                bodies.append(report_text.without_spdx(f.read()).rstrip("\n"))
    start = text.find("\n" + bodies[0].split("\n", 1)[0] + "\n")
    if start < 0:
        sys.exit("ecg_inter: results.md lacks its included sections; run make results")
    with open(results_md, "w") as f:
        f.write(text[:start + 1] + "\n\n".join(bodies) + "\n")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1)
    p.add_argument("--out", default=os.path.join(REPO, "build", "results-ecg"))
    p.add_argument("--resume", action="store_true")
    p.add_argument("--no-publish", action="store_true")
    a = p.parse_args(argv)
    for f in (run.BNN_RUN, run.LIBBNN, os.path.join(REPO, "build", "python", "lib", "bnn")):
        if not os.path.exists(f):
            p.error("%s missing: run 'make libbnn python build/tools/bnn-run "
                    "build/tools/bnn-extract'" % f)
    cfg = study.FULL
    if not a.resume and os.path.exists(a.out):
        shutil.rmtree(a.out)
    os.makedirs(os.path.join(a.out, "logs"), exist_ok=True)
    t0 = time.time()
    jobs = [j for j in study.train_jobs(cfg) if j["kind"] in ("ecg-inter", "ecg-inter-2lead")]
    run.say("%d ECG inter-patient models, %d at a time -> %s" % (len(jobs), a.jobs, a.out))
    done, failed = run.pool_map(lambda j: run.do_model(j, a.out, a.resume), jobs, a.jobs,
                                "model")
    t_models = time.time() - t0
    models = {jobs[i]["name"]: r for i, r in done.items()}
    rjobs = study.robustness_jobs(cfg, lambda n: n in models)
    t1 = time.time()
    rdone, rfailed = run.pool_map(lambda r: run.do_robust(r, a.out, models, a.resume), rjobs,
                                  a.jobs, "evaluation")
    summary = dict(config="ecg-inter", study=cfg, machine=run.machine(), commit=run.commit(),
                   command=" ".join(["tools/results/ecg_inter.py"] + (argv or sys.argv[1:])),
                   jobs=a.jobs, started=time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                                      time.gmtime(t0)),
                   seconds_models=t_models, seconds_robustness=time.time() - t1,
                   models=models, robustness=[rdone[i] for i in sorted(rdone)],
                   failed=[(jobs[i]["name"], e) for i, e in failed] +
                   [(rjobs[i]["model"], e) for i, e in rfailed], out=a.out)
    with open(os.path.join(a.out, "results.json"), "w") as f:
        json.dump(report.clean(summary), f, indent=1)
    text = section_text(summary)
    with open(os.path.join(a.out, "ecg-rhythm.md"), "w") as f:
        f.write(text)
    if summary["failed"]:
        run.say("failures: %s" % summary["failed"])
        return 1
    if not a.no_publish:
        with open(SECTION, "w") as f:
            f.write(text)
        shipped, cards = report.model_cards(summary, os.path.join(REPO, "models"))
        readme = os.path.join(REPO, "models", "README.md")
        new = replace_cards(readme, dict(zip(shipped, cards)))
        with open(readme, "w") as f:
            f.write(new)
        refresh_included(os.path.join(DOC, "results.md"))
        run.say("published %s, %s and results.md's included sections" % (
            os.path.relpath(SECTION, REPO), ", ".join("models/" + s for s in shipped)))
    run.say("done in %.0f s" % (time.time() - t0))
    return 0


if __name__ == "__main__":
    sys.exit(main())
