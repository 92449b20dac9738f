# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""bnn.dask: classify many WFDB recordings across a Dask.distributed
cluster, one task per recording, and merge the results into one report
with bnn-run's metrics (bnn.metrics: the same C as bnn-run).

Dask does the scheduling (Client.map, as_completed), the retries (a task
that raises is run again, up to `retries` times) and the recovery from a
dead worker (its tasks go to the others; after the scheduler's
allowed-failures a task fails with KilledWorker).  Each worker runs the
model on its own host: by default its RBNN cards when it has any, else
its CPU (backend "rbnn,cpu": the first that opens), and keeps the model
prepared between recordings.

    from distributed import Client
    import bnn.dask
    with Client("tcp://head:8786") as c:
        rep = bnn.dask.classify(c, "/srv/rbnn/ecg-bin-full.bnn",
                                ["DS2"], data="/srv/mitdb")
    rep["metrics"]["ec57"]["kappa"], rep["skipped"]

The model file and the recordings are read by the workers: the paths
given must be valid on every worker's host (a shared or copied folder).
The report is a dict with the layout of `bnn-run --json`: its "data"
and "metrics" objects are bnn-run's key for key (data.sources[] add host,
worker and backend); "model" is a shorter description (no layer table),
"backend" lists the workers, "performance" the wall time and the work of
each host (no latency percentiles: batches run on many hosts).  A
recording that cannot be read or classified is listed in rep["skipped"]
with the reason and bnn-run's status for it (3 unreadable, 5 malformed,
6 does not fit the model, 1 the task failed), the others are classified.

CLI: python3 -m bnn.dask --help.
"""
import argparse
import json
import os
import socket
import sys
import threading
import time

import bnn
from bnn import metrics

__all__ = ["classify", "classify_record", "expand_records", "main", "ModelError"]

#: tried in order on each worker until one opens
DEFAULT_BACKEND = "rbnn,cpu"
#: bnn-run's exit statuses the CLI shares
EX_OK, EX_RUN, EX_USAGE, EX_MISSING, EX_SKIPPED = 0, 1, 2, 3, 11


class ModelError(RuntimeError):
    """The model cannot be loaded or its backend opened on a worker."""


# ---------------------------------------------------------------------------
# worker side
_models = {}
_models_lock = threading.Lock()


def _host():
    return socket.gethostname()


def _worker():
    """This worker's address (None outside a Dask worker)."""
    try:
        from distributed import get_worker
        return get_worker().address
    except (ImportError, ValueError):
        return None


def _open_model(path, backend, opts):
    """The model on the first backend of backend ("rbnn,cpu") that opens
    here, prepared; kept per process (a card is programmed once)."""
    key = (path, backend, tuple(sorted(opts.items())))
    with _models_lock:
        m = _models.get(key)
        if m is not None:
            return m
        names = [b.strip() for b in backend.split(",") if b.strip()]
        if not names:
            raise ValueError("backend: a name or a list such as rbnn,cpu is needed")
        errors = []
        for i, b in enumerate(names):
            try:
                m = bnn.Model(path, backend=b, **opts)
            except bnn.Error as e:
                raise ModelError("host %s: model: %s" % (_host(), e)) from None
            try:
                m.backend  # opens it and prepares the model
                break
            except bnn.Error as e:
                errors.append("%s: %s" % (b, e))
                # only "no such backend here" moves on to the next one
                if e.code != -12 or i == len(names) - 1:
                    raise ModelError("model %s on backend %s, host %s: %s" % (
                        path, backend, _host(), "; ".join(errors))) from None
        _models[key] = m
        return m


def check_model(path, backend=DEFAULT_BACKEND, opts=None):
    """Run on every worker before the tasks (Client.run): the model's
    description and the backend opened, or {"error": message}."""
    try:
        m = _open_model(path, backend, dict(opts or {}))
    except (ModelError, bnn.Error, OSError, TypeError, ValueError) as e:
        return {"error": str(e), "host": _host()}
    info = m.backend_info()
    return {"host": _host(), "backend": info["name"], "detail": info.get("detail", ""),
            "model": {"path": path, "name": m.name, "classes": list(m.classes),
                      "class_offsets": list(m.class_offsets), "kind": m.kind,
                      "input": {"channels": m.channels, "length": m.length,
                                "sample_rate_hz": m.sample_rate_hz, "norm": m.input_norm,
                                "beat_pre": m.beat_window[0], "beat_post": m.beat_window[1],
                                "lead": m.leads[0] if m.leads else None,
                                "leads": list(m.leads)}}}


def _status(e, read):
    """bnn-run's exit status for a recording's error: 3 missing or
    unreadable, 5 malformed, 6 does not fit the model (read: the record
    was read, its beats were not made)."""
    if read and not (isinstance(e, bnn.Error) and e.code == -2):
        return 6
    if isinstance(e, bnn.Error):
        return 3 if e.code in (-3, -11, -13) else 5
    return 3 if isinstance(e, OSError) else 6


def classify_record(path, model, backend=DEFAULT_BACKEND, opts=None):
    """One recording (WFDB DIR/NAME) on this worker: its per-record
    result, or {"error": reason} when the recording cannot be read or does
    not fit the model.  A model or backend failure raises (ModelError,
    bnn.Error), so that Dask retries the task, maybe on another worker."""
    m = _open_model(model, backend, dict(opts or {}))
    t0 = time.perf_counter()
    rec = None
    try:
        if m.kind != "beats":
            raise ValueError("model %s classifies windows; bnn.dask runs beat models on "
                             "WFDB records" % model)
        rec = bnn.read_record(path)
        beats = m.beats(rec)
    except (bnn.Error, OSError, ValueError) as e:
        return {"error": str(e), "status": _status(e, rec is not None), "host": _host(),
                "worker": _worker()}
    t1 = time.perf_counter()
    k = len(m.classes)
    pred = m.predict(beats.x, beats.features(m) if m.features else None) if len(beats) else []
    t2 = time.perf_counter()
    amap = metrics.aami_classes(m.classes)
    cm = [[0] * k for _ in range(k)]
    labels = [0] * len(metrics.AAMI)
    excluded = 0
    for a, p in zip(beats.cls.tolist(), list(pred)):
        labels[a] += 1
        t = amap[a]
        if t < 0:
            excluded += 1
        else:
            cm[t][int(p)] += 1
    return {"name": rec.name, "path": path, "items": len(beats),
            "dropped": int(sum(beats.dropped.values())), "fs": rec.fs,
            "resampled": bool(m.sample_rate_hz and m.sample_rate_hz != rec.fs),
            "lead": ",".join(m.leads), "confusion": cm, "labels": labels,
            "excluded": excluded, "warnings": list(rec.warnings), "host": _host(),
            "worker": _worker(),
            "backend": m.backend, "load_s": t1 - t0, "run_s": t2 - t1}


# ---------------------------------------------------------------------------
# client side
def expand_records(inputs, data=None):
    """(name, path, set) per recording: DS1, DS2, ALL (the split of data's
    SPLITS_AAMI.txt, else libbnn's built-in one), a record name under
    data (100), or a path DIR/NAME (.hea taken off)."""
    sp = metrics.split(data)
    sets = {"DS1": sp["DS1"], "DS2": sp["DS2"], "ALL": sp["DS1"] + sp["DS2"]}

    def set_of(name):
        for s in ("DS1", "DS2", "paced"):
            if name in sp[s]:
                return s
        return None

    out = []
    for x in inputs:
        x = os.fspath(x)
        if x.upper() in sets:
            names = sets[x.upper()]
        elif os.sep in x or x.endswith(".hea"):
            p = x[:-4] if x.endswith(".hea") else x
            out.append((os.path.basename(p), p, set_of(os.path.basename(p))))
            continue
        else:
            names = [x]
        if not data:
            raise ValueError("%s: a record name needs data= (--data, the MIT-BIH folder)" % x)
        out.extend((n, os.path.join(data, n), set_of(n)) for n in names)
    return out


def _worker_failure(fut):
    e = fut.exception()
    return "%s: %s" % (type(e).__name__, e)


def classify(client, model, inputs, data=None, backend=DEFAULT_BACKEND, retries=2,
             progress=None, **opts):
    """Classify the recordings of inputs (expand_records) on client's
    cluster with the model at path model (valid on the workers), each
    worker on its first backend of backend that opens; opts: bnn.Model's
    backend options.  Returns bnn-run --json's layout as a dict, tool
    "bnn.dask"; backend.workers and performance.hosts say who ran what,
    data.sources[].host where each record ran.  progress(i, n, result) is called as
    results come in.  Raises ModelError when a worker cannot load the
    model or open a backend (naming the workers)."""
    t0 = time.perf_counter()
    recs = expand_records(inputs, data)
    if not recs:
        raise ValueError("no recordings given")
    workers = client.scheduler_info()["workers"]
    if not workers:
        raise ModelError("the cluster has no workers")
    checks = client.run(check_model, model, backend, opts)
    bad = {w: c for w, c in checks.items() if "error" in c}
    if bad:
        raise ModelError("; ".join("worker %s: %s" % (w, c["error"]) for w, c in sorted(bad.items())))
    first = checks[sorted(checks)[0]]
    desc = first["model"]
    for w, c in checks.items():
        if c["model"]["classes"] != desc["classes"] or c["model"]["name"] != desc["name"]:
            raise ModelError("worker %s has another model at %s (%s, classes %s) than worker %s "
                             "(%s, classes %s)" % (w, model, c["model"]["name"],
                                                   c["model"]["classes"], sorted(checks)[0],
                                                   desc["name"], desc["classes"]))
    futs = client.map(classify_record, [p for _, p, _ in recs], model=model, backend=backend,
                      opts=opts, retries=retries, pure=False,
                      key=["bnn-dask-%s-%d" % (n, i) for i, (n, _, _) in enumerate(recs)])
    where = {f.key: i for i, f in enumerate(futs)}
    results = [None] * len(recs)
    from distributed import as_completed
    done = 0
    for fut in as_completed(futs):
        i = where[fut.key]
        if fut.status == "error":
            results[i] = {"error": _worker_failure(fut), "status": EX_RUN}
        else:
            results[i] = fut.result()
        fut.release()
        done += 1
        if progress:
            progress(done, len(recs), dict(results[i], name=recs[i][0]))
    return _merge(model, backend, desc, checks, recs, results, time.perf_counter() - t0)


def _merge(model, backend, desc, checks, recs, results, seconds):
    classes = desc["classes"]
    k = len(classes)
    total = [[0] * k for _ in range(k)]
    labels = [0] * len(metrics.AAMI)
    sources, per_rec, skipped, warnings, byhost = [], [], [], [], {}
    items = excluded = 0
    for (name, path, sset), r in zip(recs, results):
        if "error" in r:
            skipped.append({"input": path, "reason": r["error"],
                            "status": r.get("status"), "host": r.get("host"),
                            "worker": r.get("worker")})
            continue
        items += r["items"]
        excluded += r["excluded"]
        labels = [a + b for a, b in zip(labels, r["labels"])]
        for t in range(k):
            for p in range(k):
                total[t][p] += r["confusion"][t][p]
        n = sum(map(sum, r["confusion"]))
        correct = sum(r["confusion"][c][c] for c in range(k))
        sources.append({"name": r["name"], "path": path, "reader": "wfdb", "set": sset,
                        "items": r["items"], "dropped": r["dropped"], "fs": r["fs"],
                        "resampled": r["resampled"], "lead": r["lead"],
                        "accuracy": correct / n if n else None, "confusion": r["confusion"],
                        "host": r["host"], "worker": r["worker"], "backend": r["backend"]})
        per_rec.append((r["name"], r["confusion"]))
        warnings.extend("%s: %s" % (r["name"], w) for w in r["warnings"])
        h = byhost.setdefault(r["host"], {"host": r["host"], "backend": r["backend"],
                                          "records": 0, "items": 0, "run_s": 0.0})
        h["records"] += 1
        h["items"] += r["items"]
        h["run_s"] += r["run_s"]
    amap = metrics.aami_classes(classes)
    labelled = items - excluded
    status = EX_SKIPPED if skipped else EX_OK
    return {
        "tool": "bnn.dask", "version": bnn.__version__, "libbnn": bnn.version(),
        "command": list(sys.argv), "exit_status": status,
        "model": desc,
        "backend": {"requested": backend, "workers": [
            {"address": w, "host": c["host"], "name": c["backend"], "detail": c["detail"]}
            for w, c in sorted(checks.items())]},
        "data": {"unit": "beats", "items": items, "labelled": labelled, "unlabelled": 0,
                 "excluded": excluded, "limited": False,
                 "labels": [{"label": a, "items": labels[i],
                             "class": classes[amap[i]] if amap[i] >= 0 else None}
                            for i, a in enumerate(metrics.AAMI)],
                 "sources": sources},
        "metrics": metrics.report(classes, total, per_rec) if labelled else None,
        "performance": {"items": items, "records": len(sources), "seconds": seconds,
                        "items_per_s": items / seconds if seconds > 0 else None,
                        "hosts": sorted(byhost.values(), key=lambda h: h["host"])},
        "detection": None, "skipped": skipped, "warnings": warnings}


# ---------------------------------------------------------------------------
# CLI
def _pct(v):
    return "-" if v is None else "%.2f" % (100 * v)


def text_report(rep, f):
    """The report as text: summary, EC57, confusion matrix, per record."""
    m, d = rep["metrics"], rep["data"]
    hosts = rep["performance"]["hosts"]
    f.write("bnn.dask: %d records, %d beats, %d workers (%s), %.1f s\n" % (
        len(d["sources"]), d["items"], len(rep["backend"]["workers"]),
        ", ".join("%s: %s" % (w["host"], w["name"]) for w in rep["backend"]["workers"]),
        rep["performance"]["seconds"]))
    for h in hosts:
        f.write("  host %s (%s): %d records, %d beats\n" % (h["host"], h["backend"],
                                                          h["records"], h["items"]))
    if m:
        e = m["ec57"]
        f.write("\n  accuracy %s %%, macro F1 %s" % (_pct(m["accuracy"]),
                                                  "-" if m["macro_f1"] is None
                                                  else "%.4f" % m["macro_f1"]))
        if e:
            f.write(", kappa %s, j-index %s" % tuple(
                "-" if v is None else "%.4f" % v for v in (e["kappa"], e["jk"])))
        f.write("\n")
        if e:
            f.write("\n  EC57      gross: Se %   +P %   FPR % | per record: Se %   +P %   FPR %\n")
            for c, x in e["classes"].items():
                if x is None:
                    continue
                r = x["per_record"]
                f.write("    %-5s %12s %6s %7s | %17s %6s %7s\n" % (
                    c, _pct(x["se"]), _pct(x["ppv"]), _pct(x["fpr"]),
                    _pct(r["se"]), _pct(r["ppv"]), _pct(r["fpr"])))
        cls = rep["model"]["classes"]
        f.write("\n  confusion (rows: true, columns: predicted)\n    %6s" % "")
        f.write("".join("%8s" % c for c in cls) + "\n")
        for c, row in zip(cls, m["confusion"]):
            f.write("    %6s" % c + "".join("%8d" % v for v in row) + "\n")
    f.write("\n  record  host             beats  accuracy %\n")
    for s in d["sources"]:
        f.write("  %-7s %-15s %6d %10s\n" % (s["name"], s["host"][:15], s["items"],
                                           _pct(s["accuracy"])))
    for s in rep["skipped"]:
        f.write("  %s: FAILED: %s\n" % (s["input"], s["reason"]))


def _parser():
    p = argparse.ArgumentParser(
        prog="python3 -m bnn.dask",
        description="Classify WFDB recordings across a Dask.distributed cluster with a .bnn "
        "beat model; one report with bnn-run's metrics (AAMI EC57).  The model and the "
        "recordings are read by the workers: their paths must be valid on every worker.",
        epilog="Exit status: 0 success, 1 run failed, 2 bad option, 3 the model cannot be "
        "loaded on a worker (or its backend opened), 11 done but some recordings failed "
        "(each in the report with its reason).")
    w = p.add_mutually_exclusive_group(required=True)
    w.add_argument("--scheduler", metavar="ADDR",
                   help="a running cluster's scheduler, e.g. tcp://head:8786")
    w.add_argument("--local", type=int, metavar="N",
                   help="start a LocalCluster of N worker processes on this host")
    p.add_argument("-m", "--model", required=True, help="the .bnn model (path on the workers)")
    p.add_argument("records", nargs="+", metavar="RECORD",
                   help="DS1, DS2, ALL, a record name under --data, or DIR/NAME")
    p.add_argument("--data", help="MIT-BIH folder on the workers (default $RBNN_DATA/mitdb)")
    p.add_argument("-b", "--backend", default=DEFAULT_BACKEND,
                   help="backend on each worker, or a list tried in order "
                   "(default rbnn,cpu: the host's cards, else its CPU; cpu, emu, rbnn)")
    p.add_argument("--retries", type=int, default=2,
                   help="times Dask reruns a task that raised (default 2)")
    p.add_argument("--threads-per-worker", type=int, default=1,
                   help="with --local: threads per worker process (default 1)")
    p.add_argument("-J", "--json", action="store_true",
                   help="the report as JSON on stdout (bnn-run --json's layout)")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress on stderr")
    return p


def main(argv=None):
    a = _parser().parse_args(argv)
    if a.local is not None and a.local < 1:
        _parser().error("--local: at least 1 worker")
    if a.retries < 0:
        _parser().error("--retries: 0 or more")
    data = a.data
    if data is None and os.environ.get("RBNN_DATA"):
        data = os.path.join(os.environ["RBNN_DATA"], "mitdb")
    try:
        from distributed import Client, LocalCluster
    except ImportError as e:
        sys.stderr.write("bnn.dask: Dask.distributed is not installed (Debian: "
                         "python3-distributed; scripts/deps.sh python): %s\n" % e)
        return EX_RUN
    cluster = None

    def progress(i, n, r):
        if not a.quiet:
            sys.stderr.write("bnn.dask: %d/%d %s %s\n" % (
                i, n, r["name"], "FAILED: " + r["error"] if "error" in r else
                "%d beats on %s (%s)" % (r["items"], r["host"], r["backend"])))

    try:
        if a.local is not None:
            cluster = LocalCluster(n_workers=a.local, threads_per_worker=a.threads_per_worker,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
        else:
            client = Client(a.scheduler, timeout="30s")
        with client:
            rep = classify(client, a.model, a.records, data=data, backend=a.backend,
                           retries=a.retries, progress=progress)
    except ModelError as e:
        sys.stderr.write("bnn.dask: %s\n" % e)
        return EX_MISSING
    except (ValueError, bnn.Error) as e:
        sys.stderr.write("bnn.dask: %s\n" % e)
        return EX_USAGE
    except OSError as e:
        sys.stderr.write("bnn.dask: cannot reach the cluster: %s\n" % e)
        return EX_RUN
    finally:
        if cluster is not None:
            cluster.close()
    if a.json:
        json.dump(metrics.json_value(rep), sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        text_report(rep, sys.stdout)
    for s in rep["skipped"]:
        sys.stderr.write("bnn.dask: %s: %s\n" % (s["input"], s["reason"]))
    return rep["exit_status"]


if __name__ == "__main__":
    # the tasks must be bnn.dask's functions (importable on the workers),
    # not this __main__ copy's
    from bnn.dask import main as _main
    sys.exit(_main())
