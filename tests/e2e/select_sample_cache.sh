#!/bin/bash
# A later round's sampled rows travel in its reps file (/sample) and the
# next round reads them through --previous instead of making them again
# (the sample is drawn from the seed and the trace, the same every round):
# at 1e7 traces select-3 took 7 s instead of 30-40 (docs/scaling-runs.md).
# The picks must not change: select-3 from a reps-2 with /sample, and from
# the same file without it (made again), give the same /reps, at 1, 2 and
# 4 ranks. Another seed or other vector statistics do not use it.
source "$(dirname "$0")/lib.bash"
command -v h5diff > /dev/null || skip "h5diff is absent (apt-get install hdf5-tools)"
PY=/usr/bin/python3
$PY -c 'import h5py' 2> /dev/null || skip "python3-h5py is absent"
cd "$WORK"
S=(--first-round 20 --round-picks 8 --no-page)
run_le 2 synth -o c.h5 --traces 3000 --seed 4 > /dev/null
run_le 2 select c.h5 -o r1.h5 "${S[@]}" --save-vector-stats vs.bin > /dev/null
run_le 1 label r1.h5 --oracle c.h5 -o l1.csv > /dev/null
run_le 2 select c.h5 -o r2.h5 "${S[@]}" --round 2 --labels l1.csv --vector-stats vs.bin > r2.txt
expect sample_rows_from_previous 0 r2.txt
$PY -c 'import h5py, sys; f = h5py.File("r2.h5"); sys.exit(0 if f["sample/rows"].shape[0] > 100 else 1)' \
    || fail "r2.h5 keeps no sample"
run_le 1 label r2.h5 --oracle c.h5 --keep l1.csv -o l2.csv > /dev/null
cp r2.h5 bare.h5
$PY -c 'import h5py; f = h5py.File("bare.h5", "a"); del f["sample"]'
R3=(select c.h5 "${S[@]}" --round 3 --labels l2.csv --vector-stats vs.bin)
run_le 2 "${R3[@]}" --previous bare.h5 -o made.h5 > made.txt
expect sample_rows_from_previous 0 made.txt
for np in 1 2 4; do
    run_le $np "${R3[@]}" --previous r2.h5 -o read$np.h5 > read$np.txt
    expect sample_rows_from_previous 1 read$np.txt
    h5diff -q made.h5 read$np.h5 /reps /reps || fail "$np ranks: the picks from /sample differ from the rows made again"
    for k in changed_traces abnormal_sampled previous_disagreed uncertain_pool; do expect $k "$(value $k made.txt)" read$np.txt; done
done
h5diff -q made.h5 read2.h5 /sample /sample || fail "round 3's own /sample differs when read from round 2's"
# another seed draws another sample; other statistics make other rows
run_le 2 "${R3[@]}" --previous r2.h5 -o seed.h5 --seed 7 > seed.txt
expect sample_rows_from_previous 0 seed.txt
cp vs.bin vs2.bin && printf 'x' >> vs2.bin
rc=0; run_le 2 select c.h5 "${S[@]}" --round 3 --labels l2.csv --vector-stats vs2.bin --previous r2.h5 -o other.h5 > other.txt 2>&1 || rc=$?
[ $rc -ne 0 ] || expect sample_rows_from_previous 0 other.txt
echo "PASS: select-3 reads round 2's sampled rows from its reps file, with the picks it makes without them"
