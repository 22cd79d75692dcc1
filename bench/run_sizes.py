#!/usr/bin/python3
"""run_sizes.py — the whole default pipeline at several corpus sizes: each
`labelease run` directory's stages, seconds, peak RSS a rank, labels and F1,
into one CSV and a plot (issue 19's "measured here": docs/scaling-runs.md).

  bench/run_sizes.py [--csv FILE] [--png FILE] NAME=DIR ...
    NAME=DIR  a run directory (labelease run --out DIR) and the name of its row
    --csv     the table                           [results/run-sizes.csv]
    --png     the plot (gnuplot; skipped without) [results/run-sizes.png]

One row per run and stage, in the order the run ran them (its manifest):
  run, traces, days, ranks, stage, seconds, rss_mib_max, labels, f1
seconds: the stage's wall time as the run recorded it (manifest.json);
rss_mib_max: the largest peak RSS of a rank, from the stage's report
(DIR/STAGE.txt; empty for stages that report none: info, label, eval,
export); labels and f1: the run's eval.txt. Rows "select-R" sums every later
round (select-2 ...), "total" every stage but synth (the corpus is an input).
The plot: seconds and peak RSS a rank of each stage group against traces.
Standard library only.
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "slurm"))
from gather_scaling import gnuplot, write_table  # noqa: E402 (the CSV and gnuplot helpers)

GROUPS = ["synth", "select", "select-R", "propagate", "rootcause", "total"]


def report(directory, name):
    """A stage's key: value report (empty when it wrote none)."""
    d = {}
    path = os.path.join(directory, name + ".txt")
    if os.path.exists(path):
        with open(path) as f:
            for line in f:
                k, _, v = line.partition(": ")
                d[k.strip()] = v.strip()
    return d


def synth_days(stages):
    for s in stages:
        if s["name"] == "synth" and "--days" in s.get("argv", []):
            return float(s["argv"][s["argv"].index("--days") + 1])
    return 2.0  # synth's default: 48 hours


def rows_of(name, directory):
    with open(os.path.join(directory, "manifest.json")) as f:
        m = json.load(f)
    stages = [s for s in m["stages"] if s["status"] == "completed"]
    ev = report(directory, "eval")
    if "f1" not in ev:
        sys.exit(f"run_sizes: {directory}: no eval.txt with f1 (has the run finished?)")
    traces = int(report(directory, "info").get("traces") or report(directory, "select").get("traces"))
    base = {"run": name, "traces": traces, "days": synth_days(stages), "ranks": m.get("ranks", ""),
            "labels": int(ev["labeled"]), "f1": float(ev["f1"])}
    rows, later = [], {"seconds": 0.0, "rss_mib_max": 0.0}
    for s in stages:
        rss = report(directory, s["name"]).get("peak_rss_mib_max", "")
        rows.append(dict(base, stage=s["name"], seconds=float(s["seconds"]), rss_mib_max=float(rss) if rss else ""))
        if s["name"].startswith("select-"):
            later["seconds"] += float(s["seconds"])
            later["rss_mib_max"] = max(later["rss_mib_max"], float(rss) if rss else 0.0)
    rows.append(dict(base, stage="select-R", **later))
    rss_all = [r["rss_mib_max"] for r in rows if r["rss_mib_max"] != "" and r["stage"] != "synth"]
    rows.append(dict(base, stage="total", seconds=sum(float(s["seconds"]) for s in stages if s["name"] != "synth"),
                     rss_mib_max=max(rss_all) if rss_all else ""))
    return rows


def plot(rows, path):
    blocks, names = [], []
    for g in GROUPS:
        pts = sorted((r for r in rows if r["stage"] == g), key=lambda r: r["traces"])
        if pts:
            blocks.append("\n".join(f'{r["traces"]} {r["seconds"]:.6g} {r["rss_mib_max"] or "NaN"}' for r in pts))
            names.append(g)
    dat = path + ".dat"
    runs = ", ".join(dict.fromkeys(f'{r["run"]}: {r["labels"]} labels, F1 {r["f1"]:.4f}' for r in rows))
    cmds = ["set terminal pngcairo size 1200,480 font ',10'", f"set output '{path}'",
            f"set multiplot layout 1,2 title '{runs}' font ',9'",
            "set key top left", "set grid", "set logscale x 10", "set xlabel 'traces'", "set format x '10^{%L}'",
            "set title 'seconds a stage (2 ranks)'", "set logscale y 10", "set ylabel 'seconds'",
            "plot " + ", ".join(f"'{dat}' index {i} using 1:2 with linespoints lt {i + 1} title '{n}'"
                                for i, n in enumerate(names)),
            "set title 'peak RSS a rank'", "unset logscale y", "set yrange [0:*]", "set ylabel 'MiB'",
            "plot " + ", ".join(f"'{dat}' index {i} using 1:3 with linespoints lt {i + 1} title '{n}'"
                                for i, n in enumerate(names) if n != "synth"),
            "unset multiplot"]
    return gnuplot("run_sizes", cmds, "\n\n\n".join(blocks) + "\n", dat)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("runs", nargs="+", metavar="NAME=DIR")
    ap.add_argument("--csv", default="results/run-sizes.csv")
    ap.add_argument("--png", default="results/run-sizes.png")
    a = ap.parse_args()
    rows = []
    for item in a.runs:
        name, sep, directory = item.partition("=")
        if not sep or not os.path.isdir(directory):
            sys.exit(f"run_sizes: '{item}' is not NAME=DIR of a run directory")
        rows += rows_of(name, directory)
    write_table(rows, ["run", "traces", "days", "ranks", "stage", "seconds", "rss_mib_max", "labels", "f1"], a.csv, 6)
    print(f"run_sizes: wrote {a.csv}" + (f" and {a.png}" if plot(rows, a.png) else ""))


if __name__ == "__main__":
    main()
