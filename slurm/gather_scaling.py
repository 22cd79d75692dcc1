#!/usr/bin/python3
"""gather_scaling.py — the JSON files of a scaling sweep (slurm/scaling.sh)
into one CSV, and a plot of speedup and efficiency when gnuplot is there.

  slurm/gather_scaling.py [DIR] [--csv FILE] [--png FILE]
    DIR    the runs' JSON files                [results/scaling]
    --csv  the table                           [results/scaling.csv]
    --png  the plot (gnuplot; skipped without) [results/scaling.png]

One row per run and stage (plus "total": the sum of the stages' max), in
the order the stages ran:
  mode, pipeline, nodes, tasks, traces, stage, min, max, mean, speedup,
  efficiency, rss_mib_max, labels, f1, note
Times are the stage's seconds over the ranks; rss_mib_max the largest peak
RSS of a rank in the stage (the total's: the largest of its stages); labels
and f1 the run's (PIPELINE=run). Speedup and efficiency use max (the slowest
rank ends the stage) against the run with the fewest tasks among those of
the same mode and pipeline (and, strong, the same traces) (base, b tasks):
  strong: speedup = T_b / T_p,                 efficiency = speedup * b / p
  weak:   speedup = (T_b / T_p) * p / b (scaled), efficiency = T_b / T_p
Runs marked oversubscribed keep their note ("correctness only").
Standard library only.
"""
import argparse
import csv
import glob
import json
import os
import shutil
import subprocess
import sys



def load(directory):
    runs = []
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        with open(path) as f:
            r = json.load(f)
        if not {"mode", "tasks", "traces", "stages"} <= r.keys():
            print(f"gather_scaling: {path}: not a scaling run, skipped", file=sys.stderr)
            continue
        runs.append(r)
    return runs


def rows_of(runs):
    rows, order = [], {}
    for r in runs:
        st = dict(r["stages"])
        for name in st:
            order.setdefault(name, len(order))
        st["total"] = {k: sum(v[k] for v in r["stages"].values()) for k in ("min", "max", "mean")}
        rss = [v["rss_mib_max"] for v in r["stages"].values() if "rss_mib_max" in v]
        st["total"]["rss_mib_max"] = max(rss) if rss else ""
        for name, t in st.items():
            rows.append({"mode": r["mode"], "pipeline": r.get("pipeline", "gat"), "nodes": r.get("nodes", 1),
                         "tasks": r["tasks"], "traces": r["traces"], "stage": name, "min": t["min"], "max": t["max"],
                         "mean": t["mean"], "rss_mib_max": t.get("rss_mib_max", ""), "labels": r.get("labels", ""),
                         "f1": r.get("f1", ""), "note": r.get("note", "")})
    order["total"] = len(order)

    def series(x):
        return (x["mode"], x["pipeline"], x["stage"], x["traces"] if x["mode"] == "strong" else 0)
    for row in rows:
        base = min((x for x in rows if series(x) == series(row)), key=lambda x: x["tasks"])
        ratio = base["max"] / row["max"] if row["max"] > 0 else float("nan")
        scale = row["tasks"] / base["tasks"]
        if row["mode"] == "weak":
            row["speedup"], row["efficiency"] = ratio * scale, ratio
        else:
            row["speedup"], row["efficiency"] = ratio, ratio / scale
    rows.sort(key=lambda x: (x["mode"], x["pipeline"], x["traces"] if x["mode"] == "strong" else 0,
                             order[x["stage"]], x["tasks"]))
    return rows


def write_table(rows, cols, path, digits=4):
    """rows (dicts) as a CSV of the columns cols, floats to `digits` digits
    (bench/run_sizes.py writes its table with it too)."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with open(path, "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=cols)
        w.writeheader()
        for r in rows:
            w.writerow({k: (f"{r[k]:.{digits}g}" if isinstance(r[k], float) else r[k]) for k in cols})


def write_csv(rows, path):
    write_table(rows, ["mode", "pipeline", "nodes", "tasks", "traces", "stage", "min", "max", "mean", "speedup",
                       "efficiency", "rss_mib_max", "labels", "f1", "note"], path)


def gnuplot(who, cmds, data, dat):
    """Runs gnuplot on cmds (a list of lines) with the data blocks written to
    dat first and removed after; False (with why on stderr) when gnuplot is
    missing or fails. who names the caller in the messages."""
    gp = shutil.which("gnuplot")
    if not gp:
        print(f"{who}: gnuplot not found, no plot (apt-get install gnuplot-nox)", file=sys.stderr)
        return False
    with open(dat, "w") as f:
        f.write(data)
    term = cmds[0] if "pngcairo" in terminals(gp) else cmds[0].replace("pngcairo", "png").replace(" font ',10'", "")
    res = subprocess.run([gp], input="\n".join([term] + cmds[1:]) + "\n", text=True, capture_output=True)
    os.remove(dat)
    if res.returncode:
        print(f"{who}: gnuplot failed:\n" + res.stderr, file=sys.stderr)
        return False
    return True


def plot(rows, path):
    stages = list(dict.fromkeys(r["stage"] for r in rows))
    blocks, plots = [], {"strong": [], "weak": []}
    for mode in ("strong", "weak"):
        sweeps = list(dict.fromkeys((r["pipeline"], r["traces"] if mode == "strong" else 0) for r in rows if r["mode"] == mode))
        for pipeline, traces in sweeps:
            for s in stages:
                pts = [r for r in rows if r["mode"] == mode and r["stage"] == s and r["pipeline"] == pipeline
                       and (mode != "strong" or r["traces"] == traces)]
                if not pts:
                    continue
                blocks.append("\n".join(f'{r["tasks"]} {r["speedup"]:.6g} {r["efficiency"]:.6g}' for r in pts))
                name = s if len(sweeps) == 1 else f"{s} ({pipeline}{f', {traces:g}' if traces else ''})"
                plots[mode].append((len(blocks) - 1, name))
    data = "\n\n\n".join(blocks) + "\n"
    dat = path + ".dat"
    max_tasks = max(r["tasks"] for r in rows)
    over = sorted({r["tasks"] for r in rows if r["note"]})
    label = f'tasks {", ".join(map(str, over))}: oversubscribed, correctness only' if over else ""
    cmds = [
        "set terminal pngcairo size 1200,450 font ',10'",
        f"set output '{path}'", "set multiplot layout 1,3", "set key top left", "set grid",
        f"set xrange [0.8:{max_tasks * 1.25}]", "set logscale x 2", "set xlabel 'tasks'",
    ]
    if label:
        cmds.append(f"set label 1 '{label}' at graph 0.02, graph 0.04 font ',8'")
    panels = [("strong", 2, "strong scaling: speedup (T_1 / T_p, max over ranks)", "speedup", True),
              ("strong", 3, "strong scaling: efficiency", "efficiency", False),
              ("weak", 3, "weak scaling: efficiency (T_1 / T_p)", "efficiency", False)]
    for mode, col, title, ylabel, ideal in panels:
        if not plots[mode]:
            continue
        cmds += [f"set title '{title}'", f"set ylabel '{ylabel}'",
                 f"set yrange [0:{max_tasks * 1.1 if ideal else 1.3}]"]
        parts = [f"'{dat}' index {i} using 1:{col} with linespoints title '{s}'" for i, s in plots[mode]]
        parts.append("x title 'ideal' dashtype 2 lc 'black'" if ideal else "1 title 'ideal' dashtype 2 lc 'black'")
        cmds.append("plot " + ", ".join(parts))
    cmds.append("unset multiplot")
    return gnuplot("gather_scaling", cmds, data, dat)


def terminals(gp):
    res = subprocess.run([gp, "-e", "set terminal"], text=True, capture_output=True)
    return res.stdout + res.stderr


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("dir", nargs="?", default="results/scaling")
    ap.add_argument("--csv", default="results/scaling.csv")
    ap.add_argument("--png", default="results/scaling.png")
    a = ap.parse_args()
    runs = load(a.dir)
    if not runs:
        sys.exit(f"gather_scaling: no scaling JSON in {a.dir}")
    rows = rows_of(runs)
    write_csv(rows, a.csv)
    print(f"gather_scaling: {len(runs)} runs, {len(rows)} rows -> {a.csv}")
    for r in rows:
        if r["stage"] == "total":
            print(f'  {r["mode"]:6} tasks {r["tasks"]:3} traces {r["traces"]:7}: total {r["max"]:.2f} s, '
                  f'speedup {r["speedup"]:.2f}, efficiency {r["efficiency"]:.2f} {r["note"]}')
    if plot(rows, a.png):
        print(f"gather_scaling: plot -> {a.png}")


if __name__ == "__main__":
    main()
