#!/usr/bin/python3
# SPDX-License-Identifier: GPL-2.0-or-later OR MIT
"""How the cpu backend's cost grows (issue 14 item 6), from bench_scaling's
JSON (make bench-scaling):

  /usr/bin/python3 tools/results/scaling.py SCALING.json OUTDIR [--no-publish]

writes OUTDIR/scaling-batch.png, scaling-threads.png, scaling-width.png and
OUTDIR/scaling.md (the measured numbers, the machine, the command, and
what they say); with OUTDIR = Documentation/results and without
--no-publish, also re-includes the hand-run sections at the end of
Documentation/results.md (report_text.INCLUDED_SECTIONS).
"""
import argparse
import json
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.normpath(os.path.join(HERE, "..", ".."))
sys.dont_write_bytecode = True   # keep the source tree clean
SPDX_MD = "<!-- SPDX-License-Identifier: GPL-2.0-or-later OR MIT -->"


def pts(rows, **want):
    return [r for r in rows if r.get("ok") and all(r.get(k) == v for k, v in want.items())]


def isas(d):
    return sorted({r["isa"] for r in d["batch"]}, key=lambda i: i != "auto")


def label(d, isa):
    k = next((r["kernels"] for r in d["batch"] if r["isa"] == isa and r.get("ok")), isa)
    return "%s (%s kernels)" % (isa, k) if k != isa else isa


def plot_batch(d, path, plt):
    fig, ax = plt.subplots(figsize=(6, 4))
    for isa in isas(d):
        p = pts(d["batch"], isa=isa)
        line = ax.plot([r["batch"] for r in p], [r["cpu_ns_per_item"] for r in p], "o-",
                       label=label(d, isa) + ", CPU time")[0]
        ax.plot([r["batch"] for r in p], [r["wall_ns_per_item"] for r in p], "x--",
                color=line.get_color(), alpha=0.6, label=label(d, isa) + ", wall")
    bs = sorted({r["batch"] for r in d["batch"]})
    ax.set_xscale("log", base=2)
    ax.set_xticks(bs)
    ax.set_xticklabels([str(b) for b in bs])
    ax.set_yscale("log")
    ax.set_xlabel("batch (items per bnn_run call)")
    ax.set_ylabel("ns per item")
    ax.set_title("%s, 1 thread" % d["model"]["name"], fontsize=10)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_threads(d, path, plt):
    fig, ax = plt.subplots(figsize=(6, 4))
    groups = [(isa, b) for isa in isas(d) for b in sorted({r["batch"] for r in d["threads"]})]
    for t, col in ((1, "tab:blue"), (2, "tab:orange")):
        xs, ys = [], []
        for gi, (isa, b) in enumerate(groups):
            p = pts(d["threads"], isa=isa, batch=b, threads=t)
            if p:
                xs.append(gi + (t - 1.5) * 0.38)
                ys.append(p[0]["wall_items_per_s"])
        ax.bar(xs, ys, width=0.36, color=col, label="%d thread%s (wall)" % (t, "s" * (t > 1)))
    for gi, (isa, b) in enumerate(groups):
        p = pts(d["threads"], isa=isa, batch=b, threads=1)
        if p:   # one thread's CPU-time rate: what a core does when it is ours
            ax.plot([gi - 0.4, gi + 0.4], [p[0]["items_per_cpu_s"]] * 2, "k:", lw=1)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(["%s\nbatch %d" % (i, b) for i, b in groups], fontsize=8)
    ax.set_ylabel("items/s")
    ax.set_title("%s; load average %.1f on %d cores (dotted: 1 thread per CPU-second)"
                 % (d["model"]["name"], d["loadavg_start"][0], d["cores"]), fontsize=9)
    ax.grid(alpha=0.3, axis="y")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_width(d, path, plt):
    fig, ax = plt.subplots(figsize=(6, 4))
    fits = {f["isa"]: f for f in d["width_fit"]}
    for isa in isas(d):
        p = pts(d["width"], isa=isa)
        xs = [r["binary_macs"] for r in p]
        line = ax.plot(xs, [r["cpu_ns_per_item"] for r in p], "o", label=label(d, isa))[0]
        f = fits.get(isa)
        if f and xs:
            lo, hi = min(xs), max(xs)
            gx = [lo * (hi / lo) ** (i / 50) for i in range(51)]
            ax.plot(gx, [f["fixed_ns_per_item"] + f["ns_per_binary_mac"] * x for x in gx], "-",
                    color=line.get_color(), alpha=0.6,
                    label="%.0f ns + %.2f ps/MAC" % (f["fixed_ns_per_item"],
                                                     f["ns_per_binary_mac"] * 1e3))
    if d["width"]:
        xs = [r["binary_macs"] for r in d["width"]]
        ax.plot(xs, [x * 1e9 / d["roofline"]["bitops_per_s"] for x in sorted(xs)], "k--",
                lw=1, label="roofline %s alone" % d["roofline"]["isa"])
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("binary MACs per item (ECG bin-full topology, widths 4..128)")
    ax.set_ylabel("CPU ns per item (batch 256, 1 thread)")
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def text(d):
    rf = d["roofline"]
    fits = {f["isa"]: f for f in d["width_fit"]}
    L = [SPDX_MD, "## How the cpu backend's cost grows (issue 14 item 6)", "",
         "Generated by `make bench-scaling` (`tests/bench/bench_scaling.c`, plotted by "
         "`tools/results/scaling.py`); do not edit by hand. Run of %s on %s, %d cores "
         "(CPU flags the kernels choose by: %s), %s; load average %s at the start and %s at "
         "the end: the cores were shared with other jobs. Command: `%s`. Each point is the "
         "best of %d runs of >= %g/%d s on random inputs. **CPU time** is the process's CPU "
         "time (all its threads) per item, which waiting for a core does not inflate; "
         "**wall** is elapsed time, which they do. Even the CPU time moves between runs "
         "on a shared virtual machine (caches and memory bandwidth are shared, and time "
         "the host takes from the virtual CPU may be charged to the process): read single "
         "points to some ten per cent. The XNOR-popcount roofline of the same "
         "run (`tests/bench/roofline.c`, one core, L1 data) is %.0f Gbit-op/s (%s), %.1f "
         "Gbit-op/s for %s, the portable kernels' instruction."
         % (d["date"], d["cpu"], d["cores"], d["cpu_flags"], d["kernel"],
            " ".join("%.2f" % v for v in d["loadavg_start"]),
            " ".join("%.2f" % v for v in d["loadavg_end"]), d["command"], d.get("reps", 3),
            d["seconds"], d.get("reps", 3),
            rf["bitops_per_s"] / 1e9, rf["isa"], rf["portable_bitops_per_s"] / 1e9,
            rf.get("portable_isa", "portable")), ""]
    # batch
    L += ["### Batch", "",
          "`%s` (`%s`, %d binary MACs per item), one thread: ns per item (CPU time), and "
          "wall items/s." % (d["model"]["path"], d["model"]["name"], d["model"]["binary_macs"]),
          "", "| batch | " + " | ".join("%s ns/item | %s wall items/s" % (i, i)
                                        for i in isas(d)) + " |",
          "|---:|" + "---:|---:|" * len(isas(d))]
    for b in sorted({r["batch"] for r in d["batch"]}):
        cells = []
        for isa in isas(d):
            p = pts(d["batch"], isa=isa, batch=b)
            cells += ["%.0f" % p[0]["cpu_ns_per_item"], "%.0f" % p[0]["wall_items_per_s"]] \
                if p else ["-", "-"]
        L.append("| %d | %s |" % (b, " | ".join(cells)))
    best = pts(d["batch"], isa="auto")
    if best:
        b1 = next((r for r in best if r["batch"] == 1), best[0])
        lo = min(r["cpu_ns_per_item"] for r in best)
        L += ["", "![ns per item against batch](scaling-batch.png)", "",
              "Batching buys little: at batch 1 an item costs %.0f ns, at best %.0f ns "
              "(%.0f %% less). The per-call cost is small beside the per-item cost, which "
              "is fixed by the model: at %d binary MACs per item, the roofline alone would "
              "take %.0f ns, so about %.0f %% of an item's time goes to other work than the "
              "XNOR-popcount the roofline measures (input quantisation, packing, thresholds, "
              "pooling, the join of the rhythm features, per-layer dispatch: not profiled "
              "here)."
              % (b1["cpu_ns_per_item"], lo, 100 * (1 - lo / b1["cpu_ns_per_item"]),
                 d["model"]["binary_macs"], d["model"]["binary_macs"] * 1e9 / rf["bitops_per_s"],
                 100 * (1 - d["model"]["binary_macs"] * 1e9 / rf["bitops_per_s"] / lo))]
    # threads
    L += ["", "### Threads", "",
          "| kernels | batch | threads | CPU ns/item | wall items/s | wall speedup |",
          "|---|---:|---:|---:|---:|---:|"]
    sp = []
    for isa in isas(d):
        for b in sorted({r["batch"] for r in d["threads"]}):
            one = pts(d["threads"], isa=isa, batch=b, threads=1)
            for t in (1, 2):
                p = pts(d["threads"], isa=isa, batch=b, threads=t)
                if not p:
                    continue
                s = p[0]["wall_items_per_s"] / one[0]["wall_items_per_s"] if one and t > 1 else None
                if s:
                    sp.append(s)
                L.append("| %s | %d | %d | %.0f | %.0f | %s |" % (
                    isa, b, t, p[0]["cpu_ns_per_item"], p[0]["wall_items_per_s"],
                    "%.2fx" % s if s else ""))
    L += ["", "![items/s on 1 and 2 threads](scaling-threads.png)", ""]
    if sp:
        cr = []
        for isa in isas(d):
            for b in sorted({r["batch"] for r in d["threads"]}):
                p1 = pts(d["threads"], isa=isa, batch=b, threads=1)
                p2 = pts(d["threads"], isa=isa, batch=b, threads=2)
                if p1 and p2:
                    cr.append(p2[0]["cpu_ns_per_item"] / p1[0]["cpu_ns_per_item"])
        L.append("A second thread bought %.2fx to %.2fx in wall time in this run, while the "
                 "CPU time per item on two threads was %.2fx to %.2fx that on one (libbnn "
                 "splits each batch over the threads and starts them per call; the work does "
                 "not grow much). On two idle cores the wall rate could then approach twice "
                 "one thread's; with a load average of %.1f on %d cores the second thread "
                 "mostly waits for a core that other jobs hold, so what it buys cannot be "
                 "measured here: repeat on an idle machine before quoting a speedup."
                 % (min(sp), max(sp), min(cr), max(cr), d["loadavg_start"][0], d["cores"]))
    # width
    L += ["", "### Width", "",
          "The ECG bin-full topology (`tools/train/models.py`) at widths 4..128 with random "
          "weights (`tests/bench/width_models.py`; width 4 is the shipped model's size), batch "
          "256, one thread, CPU ns per item:", "",
          "| model | binary MACs | " + " | ".join("%s ns/item | %s Gbit-op/s" % (i, i)
                                                  for i in isas(d)) + " |",
          "|---|---:|" + "---:|---:|" * len(isas(d))]
    for path in sorted({r["path"] for r in d["width"]},
                       key=lambda p: next(r["binary_macs"] for r in d["width"] if r["path"] == p)):
        rows = [r for r in d["width"] if r["path"] == path]
        cells = []
        for isa in isas(d):
            p = [r for r in rows if r["isa"] == isa and r.get("ok")]
            cells += ["%.0f" % p[0]["cpu_ns_per_item"],
                      "%.1f" % (p[0]["binary_macs"] / p[0]["cpu_ns_per_item"])] if p else ["-", "-"]
        L.append("| %s | %d | %s |" % (os.path.basename(path), rows[0]["binary_macs"],
                                       " | ".join(cells)))
    L += ["", "![ns per item against binary MACs per item](scaling-width.png)", ""]
    fa, fp = fits.get("auto"), fits.get("portable")
    if fa:
        s = "Fitted (least squares on the relative error) over the widths: with the best " \
            "kernels, %.0f ns fixed per item + %.2f ps per binary MAC, i.e. a marginal %.0f " \
            "Gbit-op/s, %.0f %% of the %s roofline (%.2f ps per bit-op)" % (
                fa["fixed_ns_per_item"], fa["ns_per_binary_mac"] * 1e3,
                fa["slope_bitops_per_s"] / 1e9,
                100 * fa["slope_bitops_per_s"] / rf["bitops_per_s"], rf["isa"],
                1e12 / rf["bitops_per_s"])
        if fp:
            s += "; the portable kernels: %.0f ns + %.2f ps per binary MAC (%.1f Gbit-op/s, " \
                 "%.0f %% of %s's %.1f)" % (
                     fp["fixed_ns_per_item"], fp["ns_per_binary_mac"] * 1e3,
                     fp["slope_bitops_per_s"] / 1e9,
                     100 * fp["slope_bitops_per_s"] / rf["portable_bitops_per_s"],
                     rf.get("portable_isa", "portable"), rf["portable_bitops_per_s"] / 1e9)
        w = sorted(pts(d["width"], isa="auto"), key=lambda r: r["binary_macs"])
        if len(w) >= 2:
            m = (w[-1]["cpu_ns_per_item"] - w[-2]["cpu_ns_per_item"]) / \
                (w[-1]["binary_macs"] - w[-2]["binary_macs"])
            s += ". Between the two widest models alone the best kernels' slope is %.2f ps " \
                 "per binary MAC (%.0f Gbit-op/s, %.0f %% of the roofline)" % (
                     m * 1e3, 1 / m, 100 / m * 1e9 / rf["bitops_per_s"])
        cross = fa["fixed_ns_per_item"] / fa["ns_per_binary_mac"]
        s += ". The cost does grow with the bit operations, but the fixed part equals %.0f " \
             "binary MACs at the marginal rate: below about that size (the shipped model has " \
             "%d) the per-item overhead dominates and a wider model costs little more; above " \
             "it the time follows the MACs. The line is a summary, not a law: the points bend " \
             "(see the plot), as the layers' shapes change with the width." % (
                 cross, d["model"]["binary_macs"])
        L.append(s)
    return "\n".join(L) + "\n"


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("json")
    p.add_argument("outdir")
    p.add_argument("--no-publish", action="store_true")
    a = p.parse_args(argv)
    with open(a.json) as f:
        d = json.load(f)
    if d.get("tool") != "bench_scaling":
        p.error("%s is not bench_scaling's JSON" % a.json)
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    os.makedirs(a.outdir, exist_ok=True)
    plot_batch(d, os.path.join(a.outdir, "scaling-batch.png"), plt)
    plot_threads(d, os.path.join(a.outdir, "scaling-threads.png"), plt)
    plot_width(d, os.path.join(a.outdir, "scaling-width.png"), plt)
    with open(os.path.join(a.outdir, "scaling.md"), "w") as f:
        f.write(text(d))
    doc = os.path.join(REPO, "Documentation", "results")
    if not a.no_publish and os.path.realpath(a.outdir) == os.path.realpath(doc):
        sys.path.insert(0, HERE)
        import ecg_inter
        ecg_inter.refresh_included(os.path.join(REPO, "Documentation", "results.md"))
    print("wrote %s" % os.path.join(a.outdir, "scaling.md"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
