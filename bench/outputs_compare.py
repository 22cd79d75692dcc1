#!/usr/bin/python3
# bench/outputs_compare.py A B: bench/outputs.sh outputs in A and B the same: every dataset bit for bit, every attribute
# except those naming a file (they name the run directory), every CSV byte for byte
import sys, os, h5py, numpy as np, filecmp
A, B = sys.argv[1], sys.argv[2]
PATHS = {"corpus", "labels", "model", "embeddings", "reps", "vectors", "source"}
bad = n = 0
def same_attr(x, y):
    if isinstance(x, np.ndarray): return isinstance(y, np.ndarray) and x.shape == y.shape and x.tobytes() == y.tobytes()
    return x == y
def cmp_h5(a, b):
    diffs = []
    def walk(ga, gb, path):
        if set(ga.keys()) != set(gb.keys()): diffs.append(f"{path}: members {sorted(ga.keys())} vs {sorted(gb.keys())}"); return
        for k in set(ga.attrs.keys()) | set(gb.attrs.keys()):
            if k in PATHS: continue
            if k not in ga.attrs or k not in gb.attrs or not same_attr(ga.attrs[k], gb.attrs[k]): diffs.append(f"{path} attribute {k}")
        for k in ga.keys():
            x, y = ga[k], gb[k]
            if isinstance(x, h5py.Group): walk(x, y, path + k + "/"); continue
            for at in set(x.attrs.keys()) | set(y.attrs.keys()):
                if at not in PATHS and (at not in x.attrs or at not in y.attrs or not same_attr(x.attrs[at], y.attrs[at])): diffs.append(f"{path}{k} attribute {at}")
            u, v = x[()], y[()]
            if np.asarray(u).dtype != np.asarray(v).dtype or np.asarray(u).shape != np.asarray(v).shape or np.asarray(u).tobytes() != np.asarray(v).tobytes():
                diffs.append(f"{path}{k}")
    with h5py.File(a) as fa, h5py.File(b) as fb: walk(fa, fb, "/")
    return diffs
for root, _, files in sorted(os.walk(A)):
    for f in sorted(files):
        rel = os.path.relpath(os.path.join(root, f), A)
        if not f.endswith((".h5", ".csv")): continue
        n += 1
        other = os.path.join(B, rel)
        if not os.path.exists(other): print("MISSING", rel); bad += 1; continue
        d = cmp_h5(os.path.join(A, rel), other) if f.endswith(".h5") else ([] if filecmp.cmp(os.path.join(A, rel), other, shallow=False) else ["bytes"])
        if d: print("DIFF", rel, d[:5]); bad += 1
print(f"{n} files compared, {bad} differ")
sys.exit(1 if bad else 0)
