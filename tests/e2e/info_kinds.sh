# info on each kind of file: a corpus (scanned in parallel), any other HDF5
# file (attributes and dataset shapes), and files that are not HDF5.
source "$(dirname "$0")/lib.bash"
run_le 2 synth -q -o "$WORK/c.h5" --traces 500 --seed 4 > /dev/null
[ ! -e "$WORK/c.h5.partial" ] || fail "a finished corpus left its .partial file"
run_le 2 info "$WORK/c.h5" > "$WORK/c.txt"
expect kind corpus "$WORK/c.txt"
expect traces 500 "$WORK/c.txt"
run_le 1 info --json "$WORK/c.h5" > "$WORK/c.json"
/usr/bin/python3 -c "import json,sys; d=json.load(open(sys.argv[1])); assert d['traces']==500 and d['ground_truth']=='yes', d" "$WORK/c.json"
# a chunk smaller than a shard reads the same numbers
run_le 2 info --chunk 7 "$WORK/c.h5" | grep -v '^file:' > "$WORK/c7.txt"
grep -v '^file:' "$WORK/c.txt" | diff - "$WORK/c7.txt" || fail "--chunk changes the summary"
/usr/bin/python3 - "$WORK/other.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f.attrs["schema"] = "something-else"
    f.attrs["n"] = 3
    f.create_dataset("grp/x", data=np.zeros((3, 4), dtype="f4"))
PY
run_le 2 info "$WORK/other.h5" > "$WORK/o.txt"
expect kind hdf5 "$WORK/o.txt"
expect attr.schema something-else "$WORK/o.txt"
expect attr.n 3 "$WORK/o.txt"
expect dataset./grp/x "3 x 4" "$WORK/o.txt"
echo "not hdf5" > "$WORK/bad.h5"
if run_le 2 info "$WORK/bad.h5" 2> "$WORK/e.txt"; then fail "info accepted a text file"; fi
grep -q "bad.h5: not an HDF5 file" "$WORK/e.txt" || fail "message: $(cat "$WORK/e.txt")"
if run_le 1 info "$WORK/missing.h5" 2> "$WORK/e2.txt"; then fail "info accepted a missing file"; fi
grep -q "missing.h5: cannot open" "$WORK/e2.txt" || fail "message: $(cat "$WORK/e2.txt")"
# a corpus cut short: the error names the file
head -c 20000 "$WORK/c.h5" > "$WORK/cut.h5"
if run_le 2 info "$WORK/cut.h5" 2> "$WORK/e3.txt"; then fail "info accepted a truncated corpus"; fi
grep -q "cut.h5" "$WORK/e3.txt" || fail "message: $(cat "$WORK/e3.txt")"
# an output that cannot be written: an error naming it, and no file under its name
if run_le 2 synth -q -o "$WORK/no/such/dir/c.h5" --traces 10 2> "$WORK/e4.txt"; then fail "synth wrote into a missing directory"; fi
grep -q "no/such/dir/c.h5" "$WORK/e4.txt" || fail "message: $(cat "$WORK/e4.txt")"
echo "PASS info_kinds"
