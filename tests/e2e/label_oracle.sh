#!/usr/bin/env bash
# labelease label --oracle: every representative gets its ground-truth label
# (checked against the corpus with h5py), at 1 and 2 ranks alike; a corpus
# without ground truth and a reps file from another corpus are errors.
source "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
$PY -c 'import h5py' 2>/dev/null || fail "python3-h5py is needed to write the representatives file"
cd "$WORK"
run_le 1 synth -o c.h5 --traces 3000 --seed 1 >/dev/null
$PY "$LE_SRC/tests/browser/make_reps.py" c.h5 reps.h5 --k 20
for np in 1 2; do
    run_le $np label reps.h5 --oracle c.h5 -o labels$np.csv > o$np.out
    expect labeled 20 o$np.out
    expect unknown 0 o$np.out
done
cmp labels1.csv labels2.csv || fail "labels differ between 1 and 2 ranks"
$PY - <<'PY' || fail "oracle labels differ from the ground truth"
import csv, h5py
def trace_ids(f):  # corpus schema 2: offsets + bytes (docs/corpus.md)
    off, b = f["traces/trace_id_offset"][:], f["traces/trace_id_bytes"][:].tobytes()
    return [b[off[i]:off[i + 1]].decode() for i in range(len(off) - 1)]
c, r = h5py.File("c.h5"), h5py.File("reps.h5")
ids = trace_ids(c)
truth = {ids[i]: ("abnormal" if c["ground_truth/trace_label"][i] == 1 else "normal")
         for i in r["reps/trace_index"][:]}
got = {row["trace_id"]: row["label"] for row in csv.DictReader(open("labels1.csv"))}
assert got == truth, (got, truth)
assert "abnormal" in got.values() and "normal" in got.values()
PY
[ "$(value abnormal o1.out)" -gt 0 ] || fail "no abnormal representative"

# Another corpus (other seed): the trace ids do not match.
run_le 1 synth -o other.h5 --traces 3000 --seed 2 >/dev/null
run_le 2 label reps.h5 --oracle other.h5 -o bad.csv > /dev/null 2> err.txt && fail "a reps file from another corpus was accepted"
grep -q "another corpus" err.txt || fail "unexpected message: $(cat err.txt)"
# No ground truth: strip it from a copy.
cp c.h5 nogt.h5
$PY -c 'import h5py; f = h5py.File("nogt.h5", "a"); del f["ground_truth"]; f.attrs["has_ground_truth"] = 0'
run_le 1 label reps.h5 --oracle nogt.h5 -o bad.csv > /dev/null 2> err.txt && fail "a corpus without ground truth was accepted"
grep -q "no ground truth" err.txt || fail "unexpected message: $(cat err.txt)"
echo "label --oracle: all checks passed"
