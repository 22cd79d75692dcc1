#!/usr/bin/env python3
"""labels.h5 (io/labelsfile.h layout) from a corpus's ground truth, so the
root-cause figures do not depend on training: the per-trace labels where the
corpus has them (for a fault-list corpus ingested with --faults, its visible
truth), else the approximation of docs/rootcause.md (a trace is abnormal when
it starts inside a fault's window and has a span of the faulty service; a
corpus ingested before the visible truth), as io/rcfile.c le_trace_truth
computes it.

    rootcause_truth_labels.py CORPUS.h5 LABELS.h5
"""
import sys

import h5py
import numpy as np

c = h5py.File(sys.argv[1], "r")
n = len(c["traces/start_us"])
lab = c["ground_truth/trace_label"][:] if "ground_truth/trace_label" in c else np.full(n, -1, np.int8)
out = (lab == 1).astype(np.int8)
unknown = lab == -1
if unknown.any() and "ground_truth/faults" in c:
    F = c["ground_truth/faults"]
    start = c["traces/start_us"][:]
    off = c["traces/span_offset"][:]
    svc = c["spans/service"][:]
    trace_of_span = np.repeat(np.arange(n), np.diff(off))
    for s0, e0, fs in zip(F["start_us"][:], F["end_us"][:], F["service"][:]):
        if fs < 0:
            continue
        through = np.zeros(n, bool)
        through[np.unique(trace_of_span[svc == fs])] = True
        out[unknown & through & (start >= s0) & (start <= e0)] = 1
with h5py.File(sys.argv[2], "w") as f:
    f.attrs["schema"] = "labelease-labels"
    f.attrs["schema_version"] = np.int64(1)
    f.attrs["corpus"] = sys.argv[1]
    visible = c.attrs.get("fault_truth", b"") in (b"visible", "visible")
    f.attrs["method"] = "truth-approximate" if unknown.any() else "truth-visible" if visible else "truth"
    f.attrs["n_traces"] = np.int64(n)
    f.attrs["n_given"] = np.int64(n)
    g = f.create_group("labels")
    g["label"] = out
    # Known labels, as propagate writes a person's (docs/labeling.md): +inf,
    # given, so rootcause's confidence weights are all 1 (docs/rootcause.md).
    g["confidence"] = np.full(n, np.inf, np.float32)
    g["given"] = np.ones(n, np.int8)
print(f"{sys.argv[2]}: {n} traces, {int(out.sum())} abnormal ({'approximate' if unknown.any() else 'exact'})")
