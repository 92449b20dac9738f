#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""make results: train every model of the study, export it to .bnn, run it
with bnn-run on the emulated card, sweep the card's imperfections, then
write the tables, plots and shipped models (report.py).

  /usr/bin/python3 tools/results/run.py [--quick] [--jobs N] [--out DIR]
      [--resume] [--no-publish]

Every number in the report comes from bnn-run's output on the emu backend
(its JSON report or its per-item predictions); PyTorch's own test
predictions are kept only to check that the exported model agrees with
them item by item. Logs of every step are under OUT/logs/.
"""
import argparse
import hashlib
import concurrent.futures as cf
import json
import os
import platform
import shutil
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", ".."))
sys.dont_write_bytecode = True
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(REPO, "tools", "train"))

import study  # noqa: E402

PY = "/usr/bin/python3"
TRAIN = os.path.join(REPO, "tools", "train", "train.py")
EXPORT = os.path.join(REPO, "tools", "train", "export.py")
OFFSETS = os.path.join(REPO, "tools", "train", "offsets.py")
BNN_RUN = os.path.join(REPO, "build", "tools", "bnn-run")
LIBBNN = os.path.join(REPO, "build", "libbnn.so")

_print_lock = threading.Lock()


def say(msg):
    with _print_lock:
        print("[%s] %s" % (time.strftime("%H:%M:%S"), msg), flush=True)


def data_root():
    return os.environ.get("RBNN_DATA") or os.path.join(REPO, "..", "shared", "data")


class StepError(Exception):
    pass


def run_logged(cmd, log, stdout=None, ok=(0,)):
    """Run cmd, its stderr (and stdout unless captured) appended to log;
    an exit status not in `ok` is a failed step."""
    with open(log, "a") as lf:
        lf.write("$ %s\n" % " ".join(cmd))
        lf.flush()
        r = subprocess.run(cmd, stdout=stdout or lf, stderr=lf, cwd=REPO)
    if r.returncode not in ok:
        raise StepError("%s exited with %d (log: %s)" % (os.path.basename(cmd[1] if cmd[0] == PY
                                                                          else cmd[0]),
                                                          r.returncode, log))


def read_tsv(path):
    with open(path) as f:
        head = f.readline().rstrip("\n").split("\t")
        return [dict(zip(head, line.rstrip("\n").split("\t"))) for line in f]


def read_preds(path):
    import csv
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


# bnn-run's exit status when it classified some inputs and skipped others
# (a two-lead model on the records without V1)
EX_SKIPPED = 11


def bnn_run(model, inputs, log, json_out, preds=None, opts=(), skips_ok=False):
    cmd = [BNN_RUN, "-m", model, "-b", "emu", "--resample", "-q", "--json"] + list(opts)
    if preds:
        cmd += ["-p", preds]
    cmd += list(inputs)
    with open(json_out, "w") as jf:
        run_logged(cmd, log, stdout=jf, ok=(0, EX_SKIPPED) if skips_ok else (0,))
    with open(json_out) as f:
        return json.load(f)


# ---------------------------------------------------------------------------
# One model: train, export, evaluate
# ---------------------------------------------------------------------------

def eval_inputs(job, tdir):
    """bnn-run inputs for the job's test set, and the test items (for the
    item-by-item comparison with PyTorch)."""
    items = read_tsv(os.path.join(tdir, "test_items.tsv"))
    if job["kind"] in ("ecg-inter", "ecg-inter-2lead"):
        return ["DS2"], items
    if job["kind"] in ("ecg-intra", "ecg-flip"):
        return (["ALL"] if job["kind"] == "ecg-intra" else ["DS2"]), items
    bonn = os.path.join(data_root(), "bonn_eeg")
    segs = sorted({(r["set"], r["name"]) for r in items})
    return [os.path.join(bonn, s, n) for s, n in segs], items


def item_key(job, row, from_preds):
    if job["task"] == "ecg":
        return (row["record"], int(row["sample"]))
    if from_preds:  # bnn-run: record "S/S001.txt", sample = window start
        return (row["record"].split("/")[-1], int(row["sample"]))
    return (row["name"], int(row["start"]))


def evaluate(job, tdir, log, classes):
    """bnn-run (emu, ideal array and default error model) on the job's test
    set; metrics from bnn-run's predictions restricted to the test items;
    item-by-item agreement with PyTorch's predictions."""
    import numpy as np
    import metrics
    model = os.path.join(tdir, "model.bnn")
    inputs, items = eval_inputs(job, tdir)
    want = {item_key(job, r, False): r for r in items}
    out = {}
    for tag, opts in (("ideal", []), ("card", ["--error-model"])):
        pj = os.path.join(tdir, "bnn-run-%s.json" % tag)
        pp = os.path.join(tdir, "bnn-run-%s.csv" % tag)
        rep = bnn_run(model, inputs, log, pj, pp, opts,
                      skips_ok=job["kind"] == "ecg-inter-2lead")
        preds = read_preds(pp)
        ci = {c: i for i, c in enumerate(classes)}
        y, p, rec, agree, seen = [], [], [], 0, 0
        for r in preds:
            k = item_key(job, r, True)
            t = want.get(k)
            if t is None:
                continue
            seen += 1
            pi = ci[r["predicted"]]
            y.append(int(t["label"]))
            p.append(pi)
            rec.append(r["record"])
            agree += pi == int(t["torch_pred"])
        if seen != len(want):
            raise StepError("bnn-run gave %d of the %d test items (%s)" % (seen, len(want), log))
        m = metrics.compute(np.array(y), np.array(p), classes)
        out[tag] = dict(metrics=m, agree_torch=agree / max(seen, 1), items=seen,
                        device=rep["performance"].get("device"),
                        items_per_s=rep["performance"].get("items_per_s"))
        if job["task"] == "ecg":
            # EC57 over the test beats, grouped by record (the same
            # definitions as bnn-run's own `ec57` object)
            out[tag]["ec57"] = metrics.ec57_items(y, p, rec, classes)
        if tag == "ideal":
            out["bnn_run_model"] = {k: rep["model"].get(k) for k in
                                    ("memory_bits", "binary_macs", "float_macs", "tiles",
                                     "placement", "programming", "name")}
    return out


def do_model(job, out_dir, resume, reevaluate=False):
    tdir = os.path.join(out_dir, "models", job["name"])
    log = os.path.join(out_dir, "logs", job["name"] + ".log")
    res_path = os.path.join(tdir, "result.json")
    if resume and os.path.exists(res_path):
        with open(res_path) as f:
            return json.load(f)
    trained = all(os.path.exists(os.path.join(tdir, f)) for f in ("model.pt", "metrics.json"))
    if reevaluate and trained:
        # keep the trained model (training is deterministic), redo the rest
        with open(os.path.join(tdir, "metrics.json")) as f:
            t_train = json.load(f)["train_seconds"]
        if os.path.exists(res_path):
            with open(res_path) as f:
                t_train = json.load(f).get("train_seconds", t_train)
    else:
        if os.path.exists(tdir):
            shutil.rmtree(tdir)
        os.makedirs(tdir)
        if os.path.exists(log):
            os.remove(log)
        t0 = time.time()
        extra = []
        if job.get("cv_offsets"):
            # class offsets chosen on DS1 patient-wise CV, then the final
            # model on all of DS1 with them (study.ECG_OFFSETS_VARIANTS)
            cvdir = os.path.join(tdir, "cv")
            run_logged([PY, TRAIN] + job["args"] + ["--cv-folds", str(job["cv_offsets"]),
                                                    "--quiet", "--out", cvdir], log)
            run_logged([PY, OFFSETS, cvdir, "--quiet"], log)
            extra = ["--class-offsets-file", os.path.join(cvdir, "offsets.json")]
        run_logged([PY, TRAIN] + job["args"] + extra + ["--quiet", "--out", tdir], log)
        t_train = time.time() - t0
    with open(os.path.join(tdir, "metrics.json")) as f:
        tm = json.load(f)
    elog = os.path.join(tdir, "export.txt")
    with open(elog, "w") as ef:
        r = subprocess.run([PY, EXPORT, tdir, "--bnn", os.path.join(tdir, "model.bnn"),
                            "--libbnn", LIBBNN, "--items", "2000", "--name", job["name"]],
                           stdout=ef, stderr=subprocess.STDOUT, cwd=REPO)
    with open(elog) as f:
        etext = f.read()
    if r.returncode != 0 or not os.path.exists(os.path.join(tdir, "model.bnn")):
        raise StepError("export failed: %s" % elog)
    classes = tm["data"]["classes"]
    offsets = None
    if job.get("cv_offsets"):
        with open(os.path.join(tdir, "cv", "offsets.json")) as f:
            oj = json.load(f)
        offsets = dict(offsets=oj["offsets"], chosen=oj["chosen"], no_offsets=oj["no_offsets"])
    ev = evaluate(job, tdir, log, classes)
    res = dict(job={k: v for k, v in job.items() if k != "cost"},
               train_seconds=t_train, torch_test=tm["test"], memory=tm["memory"],
               best_epoch=tm["train"]["best_epoch"] if "train" in tm else
               [f["best_epoch"] for f in tm["folds"]],
               val_select=(tm["train"]["best_val_macro_f1"] if "train" in tm else None),
               classes=classes, protocol=tm["protocol"],
               export_check="check: PASS" in etext, export_log=etext.strip().splitlines(),
               class_offsets=offsets, **ev)
    if "folds" in tm:
        v = [f["best_val_select"] for f in tm["folds"] if f.get("best_val_select") is not None]
        res["val_select"] = sum(v) / len(v) if v else None
    with open(res_path, "w") as f:
        json.dump(res, f, indent=1)
    return res


def do_robust(rj, out_dir, models, resume):
    m = models[rj["model"]]
    tdir = os.path.join(out_dir, "models", rj["model"])
    tag = "%s-%s" % (rj["sweep"], hashlib.sha1(" ".join(rj["opts"]).encode()).hexdigest()[:12])
    jpath = os.path.join(out_dir, "robust", rj["model"], tag + ".json")
    os.makedirs(os.path.dirname(jpath), exist_ok=True)
    log = os.path.join(out_dir, "logs", "robust-" + rj["model"] + ".log")
    if not (resume and os.path.exists(jpath)):
        inputs, _ = eval_inputs(m["job"], tdir)
        bnn_run(os.path.join(tdir, "model.bnn"), inputs, log, jpath, None, rj["opts"])
    with open(jpath) as f:
        rep = json.load(f)
    import metrics
    mt = metrics.from_confusion(rep["metrics"]["confusion"], m["classes"])
    # intra-patient models: only ECG inter (DS2) and EEG folds are swept
    return dict(rj, metrics=mt, device=rep["performance"].get("device"))


# ---------------------------------------------------------------------------

def pool_map(fn, items, jobs, what):
    """Run fn over items on `jobs` threads (each runs a child process);
    returns {index: result}; failures are reported and collected."""
    done, failed = {}, []
    t0 = time.time()
    with cf.ThreadPoolExecutor(max_workers=jobs) as ex:
        futs = {ex.submit(fn, it): i for i, it in enumerate(items)}
        for n, fut in enumerate(cf.as_completed(futs), 1):
            i = futs[fut]
            try:
                done[i] = fut.result()
                say("%s %d/%d done (%.0f s)" % (what, n, len(items), time.time() - t0))
            except Exception as e:  # noqa: BLE001 - report every failure, go on
                failed.append((i, str(e)))
                say("%s %d/%d FAILED: %s" % (what, n, len(items), e))
    return done, failed


def commit():
    """The checkout's commit, '+dirty' when it has changes."""
    try:
        h = subprocess.run(["git", "-C", REPO, "rev-parse", "--short=12", "HEAD"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           universal_newlines=True).stdout.strip()
        d = subprocess.run(["git", "-C", REPO, "status", "--porcelain", "--untracked-files=no"],
                           stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                           universal_newlines=True).stdout.strip()
        return (h + ("+dirty" if d else "")) or None
    except OSError:
        return None


def machine():
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return dict(cpu=cpu, cores=os.cpu_count(), system=" ".join(platform.uname()[0:3:2]),
                python=platform.python_version())


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true",
                   help="one epoch, smallest widths: checks the pipeline (numbers meaningless; "
                        "never published)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 1,
                   help="jobs in parallel (each uses one thread)")
    p.add_argument("--out", default=None, help="work folder (default build/results[-quick])")
    p.add_argument("--resume", action="store_true",
                   help="keep finished models and evaluations of an earlier run")
    p.add_argument("--reevaluate", action="store_true",
                   help="keep the trained models of an earlier run, redo export, evaluation "
                        "and error-model sweeps (after a change in libbnn or the device model)")
    p.add_argument("--no-publish", action="store_true",
                   help="do not write Documentation/ and models/")
    a = p.parse_args(argv)
    if a.jobs < 1:
        p.error("--jobs must be >= 1")
    for f in (BNN_RUN, LIBBNN):
        if not os.path.exists(f):
            p.error("%s missing: run 'make results' (it builds it)" % f)
    cfg = study.QUICK if a.quick else study.FULL
    out = a.out or os.path.join(REPO, "build", "results-quick" if a.quick else "results")
    previous = None
    if a.reevaluate:
        try:
            with open(os.path.join(out, "results.json")) as f:
                old = json.load(f)
            previous = old.get("previous") or {k: old.get(k) for k in (
                "started", "commit", "seconds_total", "seconds_models", "seconds_robustness",
                "jobs", "machine")}
        except (OSError, ValueError):
            p.error("--reevaluate needs an earlier run in %s" % out)
        if os.path.exists(os.path.join(out, "robust")):
            shutil.rmtree(os.path.join(out, "robust"))
    elif not a.resume and os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(os.path.join(out, "logs"), exist_ok=True)
    t0 = time.time()
    jobs = study.train_jobs(cfg)
    say("%d models to train, %d at a time -> %s" % (len(jobs), a.jobs, out))
    done, failed = pool_map(lambda j: do_model(j, out, a.resume, a.reevaluate), jobs, a.jobs,
                            "model")
    t_models = time.time() - t0
    models = {jobs[i]["name"]: r for i, r in done.items()}
    rjobs = study.robustness_jobs(cfg, lambda n: n in models)
    say("%d error-model evaluations" % len(rjobs))
    t1 = time.time()
    rdone, rfailed = pool_map(lambda r: do_robust(r, out, models, a.resume), rjobs, a.jobs,
                              "evaluation")
    t_robust = time.time() - t1
    summary = dict(config="quick" if a.quick else "full", study=cfg, machine=machine(),
                   commit=commit(), previous=previous,
                   command=" ".join(["tools/results/run.py"] + (argv or sys.argv[1:])),
                   jobs=a.jobs, started=time.strftime("%Y-%m-%d %H:%M:%S UTC",
                                                      time.gmtime(t0)),
                   seconds_models=t_models, seconds_robustness=t_robust,
                   models=models, robustness=[rdone[i] for i in sorted(rdone)],
                   failed=[(jobs[i]["name"], e) for i, e in failed] +
                   [(rjobs[i]["model"] + " " + " ".join(rjobs[i]["opts"]), e)
                    for i, e in rfailed])
    import report
    summary["seconds_total"] = time.time() - t0
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(report.clean(summary), f, indent=1)
    report.write_all(summary, out, publish=not a.no_publish and not a.quick)
    say("done in %.0f s (models %.0f s, robustness %.0f s); %d failure(s)" % (
        time.time() - t0, t_models, t_robust, len(summary["failed"])))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
