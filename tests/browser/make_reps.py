#!/usr/bin/env python3
"""Write a small reps.h5 (layout: io/reps.h) from a corpus with h5py, for the
labeling tests while `labelease select` is not there to make one.

    make_reps.py corpus.h5 reps.h5 [--k 12] [--evil] [--wide N] [--suggest]

Representatives: half abnormal, half normal by ground truth (evenly spaced),
so a page or a terminal has both kinds to show. Call-path statistics are
over the whole corpus, as select computes them. --evil renames two services
and an operation to markup (<script>, <img onerror>) for injection tests.
--wide N adds one representative made from the largest one: its root's
calls repeated N times (id + "-wide"), for the pages' many-span layout.
--suggest makes it a round-2 file with the optional suggestions select
stores then (/reps/suggested_label, suggested_margin): the truth with
margin 0.05 (i + 1) for representative i, except #1 (the other label),
#2 (none: -1) and #3 (margin +inf: every label so far one kind).
"""
import argparse

import h5py
import numpy as np

EVIL = ["</script><script>alert('svc')</script>", "<img src=x onerror=alert('img')>"]
EVIL_OP = "GET /<b>bold</b>?q=\"x\"&y='z'\u2028"


def path_ids(off, parent, op):
    """An id per span for its call path (the operations from the root)."""
    ids, table = np.empty(len(parent), np.int64), {}
    for t in range(len(off) - 1):
        lo = off[t]
        for i in range(lo, off[t + 1]):
            p = parent[i]
            key = (ids[lo + p] if p >= 0 else -1, int(op[i]))
            ids[i] = table.setdefault(key, len(table))
    return ids


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("reps")
    ap.add_argument("--k", type=int, default=12)
    ap.add_argument("--evil", action="store_true")
    ap.add_argument("--wide", type=int, default=0)
    ap.add_argument("--suggest", action="store_true")
    a = ap.parse_args()
    c = h5py.File(a.corpus, "r")
    off = c["traces/span_offset"][:]
    parent, op = c["spans/parent"][:], c["spans/operation"][:]
    dur = c["spans/duration_us"][:].astype(np.float64)
    pid = path_ids(off, parent, op)
    n_paths = int(pid.max()) + 1
    cnt = np.bincount(pid, minlength=n_paths)
    mean = np.bincount(pid, dur, n_paths) / np.maximum(cnt, 1)
    var = np.bincount(pid, dur * dur, n_paths) / np.maximum(cnt, 1) - mean * mean
    std = np.sqrt(np.maximum(var, 0))

    lab = c["ground_truth/trace_label"][:]
    abn, nor = np.flatnonzero(lab == 1), np.flatnonzero(lab == 0)
    half = a.k // 2
    pick = np.concatenate([abn[np.linspace(0, len(abn) - 1, min(half, len(abn))).astype(int)],
                           nor[np.linspace(0, len(nor) - 1, a.k - min(half, len(abn))).astype(int)]])
    pick = np.unique(pick)
    spans = np.concatenate([np.arange(off[t], off[t + 1]) for t in pick])
    counts = np.array([off[t + 1] - off[t] for t in pick])

    services = list(c["tables/services"][:])
    operations = list(c["tables/operations"][:])
    if a.evil:
        used = np.unique(c["spans/service"][spans])
        for j, s in enumerate(used[1:3]):  # keep the root's service readable
            services[s] = EVIL[j].encode()
        operations[int(c["spans/operation"][spans[1]])] = EVIL_OP.encode()

    with h5py.File(a.reps, "w") as f:
        for k, v in dict(schema="labelease-reps", corpus=a.corpus, embeddings="", method="kmeans",
                         representation="gat").items():
            # one byte past the text, NUL-terminated, as the C writers make them
            f.attrs.create(k, v.encode(), dtype=h5py.string_dtype("ascii", len(v) + 1))
        for k, v in dict(schema_version=1, round=2 if a.suggest else 1, n_corpus_traces=len(off) - 1).items():
            f.attrs[k] = np.int64(v)
        f["reps/trace_index"] = pick.astype(np.int64)
        f["reps/cluster_size"] = (np.arange(len(pick), dtype=np.int64) * 37 + 5)
        off_id, id_bytes = c["traces/trace_id_offset"][:], c["traces/trace_id_bytes"][:].tobytes()
        ids = [id_bytes[off_id[i]:off_id[i + 1]] for i in pick]  # corpus schema 2 (docs/corpus.md)
        cols = {name: c["spans/" + name][:][spans] for name in
                ("parent", "service", "operation", "start_us", "duration_us", "status_code", "error")}
        cols["path_count"] = cnt[pid[spans]].astype(np.int64)
        cols["path_mean_us"], cols["path_std_us"] = mean[pid[spans]], std[pid[spans]]
        index, sizes = list(pick), list(f["reps/cluster_size"][:])
        if a.wide > 1:
            big = int(np.argmax(counts))
            lo, n = int(np.sum(counts[:big])), int(counts[big])
            one = {k: v[lo:lo + n] for k, v in cols.items()}
            for k, v in one.items():  # the root, then its calls N times
                parts = [v[:1]] + [v[1:]] * a.wide
                if k == "parent":
                    parts = [v[:1]] + [np.where(v[1:] > 0, v[1:] + r * (n - 1), v[1:]) for r in range(a.wide)]
                cols[k] = np.concatenate([cols[k]] + parts)
            counts = np.append(counts, 1 + (n - 1) * a.wide)
            ids.append(ids[big] + b"-wide")
            index.append(pick[big])
            sizes.append(1)
            del f["reps/trace_index"], f["reps/cluster_size"]
            f["reps/trace_index"] = np.array(index, dtype=np.int64)
            f["reps/cluster_size"] = np.array(sizes, dtype=np.int64)
        f["reps/trace_id"] = np.array(ids, dtype="S%d" % (max(map(len, ids)) + 1))
        f["reps/span_offset"] = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        f["reps/trace_start_us"] = c["traces/start_us"][:][np.array(index)]
        for name, v in cols.items():
            f["reps/spans/" + name] = v
        width = max(len(s) for s in services + operations) + 1
        f["tables/services"] = np.array(services, dtype="S%d" % width)
        f["tables/operations"] = np.array(operations, dtype="S%d" % width)
        f["tables/operation_service"] = c["tables/operation_service"][:]
        if a.suggest:
            n = len(index)
            sl = lab[np.array(index)].astype(np.int8)
            sl[1] = 1 - sl[1]
            sl[2] = -1
            sm = (0.05 * (np.arange(n) + 1)).astype(np.float32)
            sm[3] = np.inf
            f["reps/suggested_label"], f["reps/suggested_margin"] = sl, sm


if __name__ == "__main__":
    main()
