#!/usr/bin/python3
"""A labels.h5 with random false positives added: random normal traces of
LABELS.h5 turned abnormal, as many as SHARE of the normal traces (`normal`:
a false-positive rate of SHARE) or SHARE / (1 - SHARE) of the positives
(`positives`: the labels' precision falls to 1 - SHARE). The margins are
left as they are (a labels file from the truth has +inf: the wrong labels
count as given ones).

    false_positives.py LABELS.h5 OUT.h5 normal|positives SHARE [SEED]

Prints the number of traces turned. SEED (default 7) picks them.
"""
import shutil
import sys

import h5py
import numpy as np

src, out, of, share = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4])
seed = int(sys.argv[5]) if len(sys.argv) > 5 else 7
if of not in ("normal", "positives") or not 0 < share < 1:
    sys.exit("false_positives.py: say normal or positives and a SHARE in (0, 1)")
if out == src:
    sys.exit("false_positives.py: OUT must not be LABELS (no output overwrites an input)")
shutil.copy(src, out)
with h5py.File(out, "r+") as f:
    lab = f["labels/label"][:]
    normal = np.flatnonzero(lab == 0)
    k = int(len(normal) * share) if of == "normal" else int(round((lab == 1).sum() * share / (1 - share)))
    lab[np.random.default_rng(seed).choice(normal, size=k, replace=False)] = 1
    f["labels/label"][:] = lab
print(k)
