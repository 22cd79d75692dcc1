#!/bin/bash
# propagate --chunk C: the labels do not depend on the chunk. Each rank
# labels and writes its traces C at a time, and with --vectors (select
# --dump-vectors) it reads their vectors C at a time too (docs/labeling.md,
# Memory). A chunk of 100 traces (256: whole distance blocks; several
# chunks, shards not a multiple of it, ranks with fewer chunks than others) against one chunk holding the whole
# shard (what propagate did before --chunk), at 1, 2 and 4 ranks, built
# vectors (tail) and read ones: the same labels, margins and given flags,
# bit for bit. Also: --chunk 0 is refused, and the report says whether the
# vectors were streamed.
source "$(dirname "$0")/lib.bash"
command -v h5diff > /dev/null || skip "h5diff is absent (apt-get install hdf5-tools)"
cd "$WORK"
run_le 2 synth -o c.h5 --traces 1500 --seed 3 > /dev/null
run_le 2 select c.h5 -o reps.h5 --budget 30 --rounds 1 --no-page --dump-vectors vec.h5 > /dev/null
run_le 1 label reps.h5 --oracle c.h5 -o labels.csv > /dev/null
same_labels() { h5diff -q "$1" "$2" || fail "$3: $1 and $2 differ"; }

for np in 1 2 4; do
    run_le $np propagate c.h5 labels.csv -o whole$np.h5 --chunk 1000000 > whole$np.txt || fail "one chunk at $np ranks failed"
    expect streamed 1 whole$np.txt # the default representation streams (issue 19)
    run_le $np propagate c.h5 labels.csv -o built$np.h5 --chunk 100 > /dev/null || fail "built, --chunk 100 at $np ranks failed"
    same_labels whole$np.h5 built$np.h5 "built vectors, --chunk 100 at $np ranks"
    run_le $np propagate c.h5 labels.csv -o read$np.h5 --chunk 100 --vectors vec.h5 > read$np.txt \
        || fail "--vectors, --chunk 100 at $np ranks failed"
    expect streamed 1 read$np.txt
    expect chunk 256 read$np.txt
    same_labels whole$np.h5 read$np.h5 "--vectors, --chunk 100 at $np ranks"
done

rc=0; run_le 1 propagate c.h5 labels.csv -o bad.h5 --chunk 0 > /dev/null 2> bad.err || rc=$?
[ "$rc" = 3 ] && grep -q -- "--chunk must be at least 1 trace" bad.err || fail "--chunk 0: status $rc, $(cat bad.err)"
[ ! -e bad.h5 ] || fail "a refused propagate wrote labels"
echo "PASS: propagate's labels are the same in chunks of 100 traces as in one, at 1, 2 and 4 ranks"
