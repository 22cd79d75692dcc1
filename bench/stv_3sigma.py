#!/usr/bin/python3
"""STV + structure-group 3-sigma detector, after TraceAnomaly (ISSRE 2020) §II-D.

    /usr/bin/python3 bench/stv_3sigma.py CORPUS.h5 [--reference all|normal] [--min-group N]

A trace's service trace vector (STV) has one dimension per call path and the
path's response time as value (TraceAnomaly §II-C). Traces whose STVs have the
same valid dimensions (the same set of call paths: TraceAnomaly's homogeneous
STVs, HSTV) form a group; per group and dimension the mean and standard
deviation of the response time are taken, and a trace is abnormal when any of
its dimensions lies beyond mean +- 3 std of its group, or when its group has
fewer than --min-group traces (default 2: no HSTV found, TraceAnomaly's
"invocation path anomaly").

--reference all (default): the statistics come from every trace of the corpus,
anomalies included: the labeling setting, where nothing is known yet.
--reference normal: from the traces the ground truth calls normal only (this
favours the detector, like the rule's normal p99 in bench/rule_baseline.py); a
group no normal trace has counts as unseen, i.e. abnormal.

Simplifications, stated: the call path is the chain of operations from the
root to the span (labelease's STV, docs/labeling.md), not TraceAnomaly's
sequence of call messages sorted by send time; a path repeated in a trace keeps
its largest duration; durations are the spans' own durations in ms.

Prints key: value lines: traces, groups, singleton_groups, tp, fp, fn,
precision, recall, f1, seconds. Needs Debian's python3-h5py and python3-numpy.
"""
import argparse
import sys
import time

import h5py
import numpy as np

from rule_baseline import scores  # same directory: the scripts run from bench/

M64 = np.uint64(0xFFFFFFFFFFFFFFFF)


def mix(x):
    """splitmix64 finaliser on a uint64 array (wrapping arithmetic)."""
    x = x.astype(np.uint64)
    with np.errstate(over="ignore"):
        x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
        x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def call_path_ids(parent, op, off):
    """A 64-bit id per span for the chain of operations from its trace's root."""
    n = len(off) - 1
    trace_of = np.repeat(np.arange(n), np.diff(off))
    root = parent < 0
    gparent = np.where(root, 0, off[trace_of] + parent)
    own = mix(op.astype(np.uint64) + np.uint64(1))
    h = own.copy()
    for _ in range(len(parent)):  # one pass per tree level; stops at the depth
        with np.errstate(over="ignore"):
            nh = np.where(root, own, mix(h[gparent] * np.uint64(0x9E3779B97F4A7C15) + own))
        if np.array_equal(nh, h):
            break
        h = nh
    return trace_of, h


def stv_pairs(trace_of, path, value):
    """Unique (trace, path) pairs, sorted by trace, with the largest value."""
    order = np.lexsort((path, trace_of))
    t, p, v = trace_of[order], path[order], value[order]
    start = np.flatnonzero(np.r_[True, (t[1:] != t[:-1]) | (p[1:] != p[:-1])])
    return t[start], p[start], np.maximum.reduceat(v, start)


def structure_groups(n, t, p):
    """Group id per trace: traces with the same set of call paths share it."""
    with np.errstate(over="ignore"):
        key = np.zeros(n, np.uint64)
        np.add.at(key, t, mix(p))
        key = mix(key ^ np.bincount(t, minlength=n).astype(np.uint64))
    _, group = np.unique(key, return_inverse=True)
    return group


def detect(t, p, v, group, ref, min_group):
    """Per trace: beyond 3 std of its group on some dimension, or no HSTV."""
    n = len(group)
    gsize = np.bincount(group, weights=ref.astype(np.float64))
    _, cell = np.unique(np.stack([group[t].astype(np.uint64), p]), axis=1, return_inverse=True)
    cell = cell.ravel()
    w = ref[t].astype(np.float64)
    cnt = np.bincount(cell, weights=w)
    s1 = np.bincount(cell, weights=w * v)
    s2 = np.bincount(cell, weights=w * v * v)
    mean = np.divide(s1, cnt, out=np.zeros_like(s1), where=cnt > 0)
    var = np.divide(s2, cnt, out=np.zeros_like(s2), where=cnt > 0) - mean ** 2
    std = np.sqrt(np.maximum(var, 0))
    beyond = np.abs(v - mean[cell]) > 3 * std[cell]
    out = np.zeros(n, bool)
    np.logical_or.at(out, t, beyond & (std[cell] > 0))
    return out | (gsize[group] < min_group), len(gsize), int((np.bincount(group) == 1).sum())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus")
    ap.add_argument("--reference", choices=("all", "normal"), default="all")
    ap.add_argument("--min-group", type=int, default=2)
    a = ap.parse_args()
    t0 = time.perf_counter()
    with h5py.File(a.corpus, "r") as f:
        if "ground_truth/trace_label" not in f:
            sys.exit(f"{a.corpus}: no dataset /ground_truth/trace_label (the detector is scored against it)")
        off = f["traces/span_offset"][:]
        parent = f["spans/parent"][:]
        op = f["spans/operation"][:]
        dur_ms = f["spans/duration_us"][:].astype(np.float64) / 1000.0
        label = f["ground_truth/trace_label"][:]
    known = label >= 0
    trace_of, path = call_path_ids(parent, op, off)
    t, p, v = stv_pairs(trace_of, path, dur_ms)
    group = structure_groups(len(off) - 1, t, p)
    ref = np.ones(len(label), bool) if a.reference == "all" else label == 0
    pred, groups, singletons = detect(t, p, v, group, ref, a.min_group)
    r = scores(pred[known], label[known] == 1)
    print(f"traces: {int(known.sum())}")
    print(f"reference: {a.reference}")
    print(f"groups: {groups}")
    print(f"singleton_groups: {singletons}")
    for k, x in r.items():
        print(f"{k}: {x:.6f}" if isinstance(x, float) else f"{k}: {x}")
    print(f"seconds: {time.perf_counter() - t0:.3f}")


if __name__ == "__main__":
    main()
