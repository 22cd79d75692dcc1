#!/usr/bin/python3
"""Whether two rootcause.h5 files of one corpus give the same periods and
top 3 suspects: B's periods match A's one for one (overlap / union >= 0.8,
each of B's used once) and each matched period's top 3 (in order) is A's.

    rootcause_compare.py A.h5 B.h5 [--quiet]

Prints what differs (or one line saying nothing does) and a summary line
    periods A B matched M top3 T
(M: A's periods with a match, T: those whose top 3 is A's); exit 0 when
everything is the same, 1 otherwise. Used by tests/e2e/rootcause_noise.sh and
bench/rootcause_noise.sh.
"""
import sys

import h5py
import numpy as np


def load(path):
    r = h5py.File(path, "r")
    names = [x.decode() for x in r["services/name"][:]]
    top = [[names[s] for s in row[:3]] for row in r["rank/order"][:]]
    return r["periods/start_us"][:], r["periods/end_us"][:], top


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    quiet = "--quiet" in sys.argv
    (a0, a1, at), (b0, b1, bt) = load(args[0]), load(args[1])
    bad = [] if len(a0) == len(b0) else [f"{len(a0)} periods against {len(b0)}"]
    used, matched, same = set(), 0, 0
    for k in range(len(a0)):
        ov = np.minimum(b1, a1[k]) - np.maximum(b0, a0[k])
        j = int(ov.argmax()) if len(ov) else -1
        iou = ov[j] / (max(b1[j], a1[k]) - min(b0[j], a0[k])) if j >= 0 and ov[j] > 0 else 0
        if iou < 0.8 or j in used:
            bad.append(f"period {k} [{a0[k]}, {a1[k]}]: best match {j}, overlap/union {iou:.2f}")
            continue
        used.add(j)
        matched += 1
        if at[k] != bt[j]:
            bad.append(f"period {k}: top 3 {at[k]} against {bt[j]}")
        else:
            same += 1
    if not quiet:
        print("\n".join(bad) if bad else f"{len(a0)} periods, each with its top 3, the same")
    print(f"periods {len(a0)} {len(b0)} matched {matched} top3 {same}")
    sys.exit(1 if bad else 0)


main()
