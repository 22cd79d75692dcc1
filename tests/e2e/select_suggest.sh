#!/bin/bash
# select --round 2 stores, for each pick, the label the round-1 labels
# propagate to it and its margin (/reps/suggested_label, suggested_margin):
#   - round 1's reps.h5 has neither dataset; its page shows no suggestion
#   - round 2's equal, trace by trace, what `propagate` with the round-1
#     labels writes for those traces (/labels/label, /labels/confidence),
#     select at 1 and 2 ranks against propagate at 1 and 2 ranks
#   - the same traces get the same suggestion at 1 and 2 ranks
#   - round 2's page carries them; `label --oracle` writes the oracle's
#     labels, never the suggestion (a suggestion is not a label)
source "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
$PY -c 'import h5py' 2>/dev/null || skip "python3-h5py is needed to read reps.h5"
cd "$WORK"
run_le 1 synth -o c.h5 --traces 3000 --seed 3 > /dev/null
run_le 2 select c.h5 -o r1.h5 --budget 60 --dump-vectors vec.h5 > /dev/null
run_le 1 label r1.h5 --oracle c.h5 -o l1.csv > /dev/null
grep -q '"suggested":' r1.html && fail "round 1's page shows a suggestion"
for np in 1 2; do
    run_le $np select c.h5 -o r2-$np.h5 --budget 60 --round 2 --labels l1.csv --vectors vec.h5 > /dev/null
    run_le $np propagate c.h5 l1.csv -o p-$np.h5 --vectors vec.h5 > /dev/null
    grep -q '"suggested":' r2-$np.html || fail "round 2's page (at $np ranks) has no suggestion"
done
run_le 1 label r2-1.h5 --oracle c.h5 -o l2.csv > /dev/null
$PY - <<'PY' || fail "the suggestions are not propagate's (above)"
import sys
import h5py, numpy as np
bad = []
r1 = h5py.File("r1.h5", "r")
if "reps/suggested_label" in r1 or "reps/suggested_margin" in r1:
    bad.append("round 1's reps.h5 holds suggestions")
truth = h5py.File("c.h5", "r")["ground_truth/trace_label"][:]
close = lambda a, b: (np.isinf(a) & np.isinf(b)) | (np.abs(a - b) <= 1e-4 * np.maximum(1, np.abs(b)))
sugg = {}
for np_sel in (1, 2):
    r = h5py.File("r2-%d.h5" % np_sel, "r")
    idx, sl, sm = r["reps/trace_index"][:], r["reps/suggested_label"][:], r["reps/suggested_margin"][:]
    if r["reps/suggested_label"].dtype != np.int8 or r["reps/suggested_margin"].dtype != np.float32:
        bad.append("types %s %s" % (r["reps/suggested_label"].dtype, r["reps/suggested_margin"].dtype))
    if len(idx) == 0 or (sl < 0).any():
        bad.append("select at %d ranks: %d picks, %d without a suggestion" % (np_sel, len(idx), (sl < 0).sum()))
    if len(set(sl.tolist())) < 2 and len(idx) > 5:
        print("note: one suggested label only:", set(sl.tolist()))
    sugg[np_sel] = dict(zip(idx.tolist(), zip(sl.tolist(), sm.tolist())))
    for np_prop in (1, 2):
        p = h5py.File("p-%d.h5" % np_prop, "r")
        pl, pc = p["labels/label"][:][idx], p["labels/confidence"][:][idx]
        # a label may differ only at a margin of (numerically) zero
        wrong = (pl != sl) & ~(np.abs(pc) < 1e-5)
        if wrong.any():
            bad.append("select %d / propagate %d: labels differ at traces %s: %s vs %s" %
                       (np_sel, np_prop, idx[wrong][:5], sl[wrong][:5], pl[wrong][:5]))
        if not close(sm.astype(np.float64), pc.astype(np.float64)).all():
            m = ~close(sm.astype(np.float64), pc.astype(np.float64))
            bad.append("select %d / propagate %d: margins differ at %s: %s vs %s" % (np_sel, np_prop, idx[m][:5], sm[m][:5], pc[m][:5]))
common = set(sugg[1]) & set(sugg[2])
if not common:
    bad.append("1 and 2 ranks picked no trace in common")
for t in common:
    a, b = sugg[1][t], sugg[2][t]
    if a[0] != b[0] or not close(np.float64(a[1]), np.float64(b[1])):
        bad.append("trace %d: %s at 1 rank, %s at 2" % (t, a, b))
# the oracle's labels file: the truth, whatever was suggested
r = h5py.File("r2-1.h5", "r")
ids = [x.decode() for x in r["reps/trace_id"][:]]
rows = dict(l.strip().split(",")[:2] for l in open("l2.csv").readlines()[1:])
for t, i, s in zip(ids, r["reps/trace_index"][:], r["reps/suggested_label"][:]):
    want = "abnormal" if truth[i] else "normal"
    if t in rows and rows[t] != want:
        bad.append("%s: label %s, truth %s (suggested %d)" % (t, rows[t], want, s))
print("\n".join(bad), file=sys.stderr)
sys.exit(1 if bad else 0)
PY
echo "PASS: round 2 stores propagate's label and margin for its picks, at 1 and 2 ranks; round 1 none"
