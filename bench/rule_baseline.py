#!/usr/bin/python3
"""The simple rule on a labelled corpus, and how visible each fault is.

    /usr/bin/python3 bench/rule_baseline.py corpus.h5 [--json]

Rule: a trace is abnormal when any span has error = 1, or its root duration is
above the 99th percentile of the root durations of the normal traces (the
threshold uses the ground truth, which favours the rule). Prints precision,
recall and F1 against /ground_truth/trace_label.

Visibility asks whether a person looking at an affected trace could tell: a
trace is visibly abnormal when it has an error span, or a span whose own time
(duration minus its children's, i.e. time not spent waiting on a callee) is
above the 99.9th percentile of that operation's own time in normal traces, or
a call structure (multiset of parent operation -> operation edges) that no
normal trace has. Printed per fault: affected traces and the visible share.

Needs Debian's python3-h5py and python3-numpy (run with /usr/bin/python3).
"""
import json
import sys

import h5py
import numpy as np


def load(path):
    f = h5py.File(path, "r")
    d = {k: f["spans/" + k][:] for k in ("parent", "operation", "duration_us", "error")}
    d["off"] = f["traces/span_offset"][:]
    d["label"] = f["ground_truth/trace_label"][:]
    d["fault"] = f["ground_truth/trace_fault"][:]
    d["ops"] = [s.decode() for s in f["tables/operations"][:]]
    d["services"] = [s.decode() for s in f["tables/services"][:]]
    d["op_service"] = f["tables/operation_service"][:]
    g = f["ground_truth/faults"]
    d["faults"] = list(zip([s.decode() for s in g["service_name"][:]], [s.decode() for s in g["type"][:]]))
    return d


def per_trace(d):
    off = d["off"]
    n = len(off) - 1
    trace_of = np.repeat(np.arange(n), np.diff(off))
    gparent = np.where(d["parent"] >= 0, off[trace_of] + d["parent"], -1)  # global parent index
    root_dur = d["duration_us"][off[:-1]]
    err = np.zeros(n, bool)
    np.logical_or.at(err, trace_of, d["error"] != 0)
    return trace_of, gparent, root_dur, err


def scores(pred, truth):
    """Confusion counts, precision, recall and F1 (abnormal positive)."""
    tp = int((pred & truth).sum())
    fp = int((pred & ~truth).sum())
    fn = int((~pred & truth).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return dict(tp=tp, fp=fp, fn=fn, precision=precision, recall=recall, f1=f1)


def rule_scores(label, root_dur, err):
    normal = label == 0
    p99 = np.percentile(root_dur[normal], 99)
    return dict(p99_root_us=float(p99), **scores(err | (root_dur > p99), label == 1))


def self_time_outliers(d, trace_of, gparent, label):
    """Per trace: some span's own time beyond its operation's p99.9 among the
    successful spans of normal traces."""
    dur = d["duration_us"].astype(np.int64)
    child_sum = np.zeros_like(dur)
    has_parent = gparent >= 0
    np.add.at(child_sum, gparent[has_parent], dur[has_parent])
    own = np.maximum(dur - child_sum, 0)  # parallel children can overlap: clamp
    op = d["operation"]
    # The reference is what successful spans of normal traces usually take:
    # an error span (a benign timeout) is told apart by its error flag.
    normal_span = (label[trace_of] == 0) & (d["error"] == 0)
    limit = np.full(len(d["ops"]), np.inf)
    for o in range(len(d["ops"])):
        x = own[normal_span & (op == o)]
        if len(x):
            limit[o] = np.percentile(x, 99.9)
    out = np.zeros(len(d["off"]) - 1, bool)
    np.logical_or.at(out, trace_of, own > limit[op])
    return out


def unseen_structure(d, trace_of, gparent, label):
    """Per trace: its multiset of (parent op, op) edges occurs in no normal trace."""
    op = d["operation"].astype(np.int64)
    pop = np.where(gparent >= 0, op[np.maximum(gparent, 0)], -1)
    edge = (pop + 1) * 4096 + op
    off = d["off"]
    keys = []
    for t in range(len(off) - 1):
        e = np.sort(edge[off[t]:off[t + 1]])
        keys.append(hash(e.tobytes()))
    keys = np.array(keys)
    seen = set(keys[label == 0].tolist())
    return np.array([k not in seen for k in keys.tolist()])


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    if len(args) != 1:
        sys.exit(__doc__)
    d = load(args[0])
    label = d["label"]
    trace_of, gparent, root_dur, err = per_trace(d)
    rule = rule_scores(label, root_dur, err)
    slow = self_time_outliers(d, trace_of, gparent, label)
    struct = unseen_structure(d, trace_of, gparent, label)
    visible = err | slow | struct
    faults = []
    for k, (svc, typ) in enumerate(d["faults"]):
        hit = d["fault"] == k
        n = int(hit.sum())
        faults.append(dict(fault=k, service=svc, type=typ, affected=n,
                           visible=float(visible[hit].mean()) if n else None,
                           caught_by_rule=float((err | (root_dur > rule["p99_root_us"]))[hit].mean()) if n else None))
    abnormal = label == 1
    summary = dict(file=args[0], traces=int(len(label)), abnormal=int(abnormal.sum()), **rule,
                   visible_share_of_abnormal=float(visible[abnormal].mean()),
                   visible_share_of_normal=float(visible[~abnormal].mean()),
                   min_visible_per_fault=min((f["visible"] for f in faults if f["affected"]), default=None))
    if "--json" in sys.argv:
        print(json.dumps(dict(summary, faults=faults), indent=1))
        return
    for k, v in summary.items():
        print(f"{k}: {v:.4f}" if isinstance(v, float) else f"{k}: {v}")
    print("fault  type            service                 affected  visible  caught_by_rule")
    for f in faults:
        if f["affected"]:
            print(f"{f['fault']:5d}  {f['type']:<15} {f['service']:<22} {f['affected']:9d}  "
                  f"{f['visible']:7.3f}  {f['caught_by_rule']:7.3f}")
        else:
            print(f"{f['fault']:5d}  {f['type']:<15} {f['service']:<22} {0:9d}        -        -")


if __name__ == "__main__":
    main()
