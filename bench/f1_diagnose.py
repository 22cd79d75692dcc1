#!/usr/bin/python3
"""Where do the labels go wrong?  Reads a labelled synthetic corpus, its trace
vectors, the representatives (reps.h5) and the propagated labels (labels.h5),
and prints, against ground truth:

  1. errors by fault type and by fault (recall, representatives that landed in
     each fault), false positives by kind (error span, slow root, neither);
  2. the Voronoi cells of the labelled representatives (what 1-NN propagation
     uses): errors in cells whose representative has the cell's majority label
     (the cell mixes normal and abnormal: representation or budget) versus cells
     whose representative is in the minority (an unlucky pick);
  3. upper bounds: F1 if every cell took its majority label; F1 of 1-NN
     propagation from K representatives chosen with ground truth (k-means
     inside each fault and inside the normal traces, K split by size, at least
     one per fault); leave-one-out 1-NN F1 on a sample (dense labels: what the
     vectors alone allow).

usage: bench/f1_diagnose.py CORPUS.h5 VECTORS.h5 REPS.h5 LABELS.h5 [--sample N]
VECTORS.h5 holds /embeddings [N x d] (labelease embed) or /vectors.
Needs h5py, numpy and scikit-learn (Debian's: /usr/bin/python3).
"""
import argparse
import sys

import h5py
import numpy as np


def f1_of(pred, truth):
    tp = int(np.sum((pred == 1) & (truth == 1)))
    fp = int(np.sum((pred == 1) & (truth == 0)))
    fn = int(np.sum((pred == 0) & (truth == 1)))
    p = tp / (tp + fp) if tp + fp else 0.0
    r = tp / (tp + fn) if tp + fn else 0.0
    return (2 * p * r / (p + r) if p + r else 0.0), p, r


def nearest(x, ref, chunk=8192):
    """Index of the nearest row of ref for each row of x (squared Euclidean)."""
    rn = np.sum(ref * ref, axis=1)
    out = np.empty(len(x), dtype=np.int64)
    for i in range(0, len(x), chunk):
        d = rn[None, :] - 2.0 * x[i:i + chunk] @ ref.T
        out[i:i + chunk] = np.argmin(d, axis=1)
    return out


def load(args):
    c = h5py.File(args.corpus, "r")
    gt = c["ground_truth"]
    truth = gt["trace_label"][:].astype(np.int8)
    fault = gt["trace_fault"][:]
    ftype = [t.decode() for t in gt["faults/type"][:]]
    fsvc = [s.decode() for s in gt["faults/service_name"][:]]
    v = h5py.File(args.vectors, "r")
    x = (v["embeddings"] if "embeddings" in v else v["vectors"])[:].astype(np.float32)
    if "embeddings" in v:  # select/propagate compare unit GAT vectors
        x /= np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
    reps = h5py.File(args.reps, "r")["reps/trace_index"][:]
    pred = h5py.File(args.labels, "r")["labels/label"][:].astype(np.int8)
    return c, truth, fault, ftype, fsvc, x, reps, pred


def root_features(c):
    """Per trace: has an error span; root latency z-score within its root operation."""
    off = c["traces/span_offset"][:]
    err = c["spans/error"][:]
    code = c["spans/status_code"][:]
    bad = ((err != 0) | (code >= 500)).astype(np.int64)
    has_err = np.add.reduceat(bad, off[:-1]) > 0
    root_op = c["spans/operation"][:][off[:-1]]
    lat = np.log1p(c["spans/duration_us"][:][off[:-1]].astype(np.float64))
    z = np.zeros_like(lat)
    for op in np.unique(root_op):
        m = root_op == op
        z[m] = (lat[m] - np.median(lat[m])) / (np.std(lat[m]) + 1e-9)
    return has_err, z, root_op


def by_fault(truth, fault, ftype, fsvc, pred, reps):
    print("\n== errors by fault type (abnormal traces: recall) ==")
    types = sorted(set(ftype))
    print(f"{'type':<15}{'faults':>7}{'traces':>8}{'missed':>8}{'recall':>8}{'reps':>6}")
    for t in types:
        ids = [i for i, ft in enumerate(ftype) if ft == t]
        m = (truth == 1) & np.isin(fault, ids)
        nrep = int(np.sum(np.isin(fault[reps], ids) & (truth[reps] == 1)))
        miss = int(np.sum(m & (pred == 0)))
        print(f"{t:<15}{len(ids):>7}{int(m.sum()):>8}{miss:>8}{1 - miss / max(1, m.sum()):>8.3f}{nrep:>6}")
    print("\n== faults with missed traces (worst first) ==")
    print(f"{'fault':>5} {'type':<14} {'service':<22}{'traces':>7}{'missed':>8}{'reps':>6}")
    rows = []
    for i in range(len(ftype)):
        m = (truth == 1) & (fault == i)
        miss = int(np.sum(m & (pred == 0)))
        nrep = int(np.sum((fault[reps] == i) & (truth[reps] == 1)))
        rows.append((miss, i, int(m.sum()), nrep))
    for miss, i, n, nrep in sorted(rows, reverse=True):
        if miss:
            print(f"{i:>5} {ftype[i]:<14} {fsvc[i]:<22}{n:>7}{miss:>8}{nrep:>6}")
    zero = [r for r in rows if r[3] == 0 and r[2] > 0]
    print(f"faults without an abnormal representative: {len(zero)} of {len(rows)}, "
          f"{sum(r[2] for r in zero)} traces, {sum(r[0] for r in zero)} of them missed")


def false_positives(truth, pred, has_err, z):
    fp = (truth == 0) & (pred == 1)
    print("\n== false positives (normal traces labelled abnormal) ==")
    slow = z > 2.0
    for name, m in (("with an error span", has_err), ("slow root (z>2), no error", slow & ~has_err),
                    ("neither", ~slow & ~has_err)):
        n = int(np.sum((truth == 0) & m))
        print(f"{name:<28} normal {n:>7}  labelled abnormal {int(np.sum(fp & m)):>6}")


def cells(truth, pred, x, reps):
    """Voronoi cells of the labelled representatives (1-NN propagation)."""
    cell = nearest(x, x[reps])
    k = len(reps)
    size = np.bincount(cell, minlength=k)
    abn = np.bincount(cell, weights=truth, minlength=k)
    maj = (2 * abn > size).astype(np.int8)
    rep_lab = truth[reps]
    err = pred != truth
    err_cell = np.bincount(cell, weights=err, minlength=k)
    mixed = np.minimum(abn, size - abn)
    print("\n== Voronoi cells of the representatives ==")
    good = rep_lab == maj
    print(f"cells {k}; pure {int(np.sum(mixed == 0))}; errors in cells whose rep has the majority label "
          f"(mixed cells: representation/budget) {int(err_cell[good].sum())}; in cells whose rep is in the "
          f"minority (unlucky pick) {int(err_cell[~good].sum())}")
    print(f"{'cell':>5}{'size':>7}{'abn':>7}{'rep':>5}{'errors':>8}")
    for j in np.argsort(-err_cell)[:12]:
        print(f"{j:>5}{size[j]:>7}{int(abn[j]):>7}{rep_lab[j]:>5}{int(err_cell[j]):>8}")
    f, p, r = f1_of(maj[cell], truth)
    print(f"upper bound, every cell its majority label: f1 {f:.4f} (precision {p:.4f}, recall {r:.4f})")


def oracle_selection(truth, fault, x, k, seed=1):
    """K representatives chosen with ground truth, then 1-NN propagation."""
    from sklearn.cluster import KMeans
    groups = [np.flatnonzero(truth == 0)] + [np.flatnonzero((truth == 1) & (fault == f))
                                             for f in np.unique(fault[truth == 1])]
    groups = [g for g in groups if len(g)]
    if k < len(groups):
        return None
    share = np.array([len(g) for g in groups], dtype=np.float64)
    quota = np.maximum(1, np.floor((k - len(groups)) * share / share.sum()).astype(int) + 1)
    while quota.sum() > k:
        quota[np.argmax(quota)] -= 1
    reps = []
    for g, q in zip(groups, quota):
        q = min(q, len(g))
        km = KMeans(n_clusters=q, n_init=1, random_state=seed).fit(x[g])
        reps.extend(g[nearest(km.cluster_centers_, x[g])])
    reps = np.array(reps)
    pred = truth[reps][nearest(x, x[reps])]
    return f1_of(pred, truth)


def loo_1nn(truth, x, n, seed=1):
    rng = np.random.default_rng(seed)
    s = rng.choice(len(x), size=min(n, len(x)), replace=False)
    xs = x[s]
    rn = np.sum(xs * xs, axis=1)
    nn = np.empty(len(s), dtype=np.int64)
    for i in range(0, len(s), 2048):
        d = rn[None, :] - 2.0 * xs[i:i + 2048] @ xs.T
        d[np.arange(d.shape[0]), np.arange(i, i + d.shape[0])] = np.inf
        nn[i:i + 2048] = np.argmin(d, axis=1)
    return f1_of(truth[s][nn], truth[s])


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("corpus"), ap.add_argument("vectors"), ap.add_argument("reps"), ap.add_argument("labels")
    ap.add_argument("--sample", type=int, default=20000, help="traces in the leave-one-out 1-NN bound")
    args = ap.parse_args()
    c, truth, fault, ftype, fsvc, x, reps, pred = load(args)
    f, p, r = f1_of(pred, truth)
    print(f"traces {len(truth)} abnormal {int(truth.sum())} representatives {len(reps)} "
          f"(abnormal {int(truth[reps].sum())}) dim {x.shape[1]}")
    print(f"propagated labels: f1 {f:.4f} precision {p:.4f} recall {r:.4f} "
          f"fp {int(np.sum((pred == 1) & (truth == 0)))} fn {int(np.sum((pred == 0) & (truth == 1)))}")
    has_err, z, _ = root_features(c)
    by_fault(truth, fault, ftype, fsvc, pred, reps)
    false_positives(truth, pred, has_err, z)
    cells(truth, pred, x, reps)
    o = oracle_selection(truth, fault, x, len(reps))
    if o:
        print(f"upper bound, {len(reps)} representatives chosen with ground truth (k-means per fault and "
              f"in the normals), 1-NN: f1 {o[0]:.4f} (precision {o[1]:.4f}, recall {o[2]:.4f})")
    f, p, r = loo_1nn(truth, x, args.sample)
    print(f"upper bound, dense labels: leave-one-out 1-NN on {min(args.sample, len(x))} traces: "
          f"f1 {f:.4f} (precision {p:.4f}, recall {r:.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
