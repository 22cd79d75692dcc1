#!/bin/bash
# export --chunk C: the dataset does not depend on the chunk or the ranks.
# Each rank reads its traces C at a time in two passes (the first counts
# traces.csv's bytes and the longest id, the second writes at the offsets
# one scan gives), so its memory follows the chunk, not the shard (issue 19:
# export at 1e8 traces held its shard and was killed). Chunks of 7 and 100
# (dataset.h5's compressed chunks written in pieces, shards not a multiple
# of the chunk, ranks with fewer steps than others) and one holding the
# whole shard, at 1, 2 and 4 ranks: every file the same, byte for byte (the
# HDF5 file by h5diff). Also: --chunk 0 is refused.
source "$(dirname "$0")/lib.bash"
command -v h5diff > /dev/null || skip "h5diff is absent (apt-get install hdf5-tools)"
cd "$WORK"
run_le 2 synth -o c.h5 --traces 1500 --seed 5 > /dev/null
run_le 2 select c.h5 -o reps.h5 --budget 30 --rounds 1 --no-page > /dev/null
run_le 1 label reps.h5 --oracle c.h5 -o labels.csv > /dev/null
run_le 2 propagate c.h5 labels.csv -o p.h5 > /dev/null
run_le 2 rootcause c.h5 p.h5 -o rc.h5 --no-page > /dev/null
run_le 1 export c.h5 p.h5 rc.h5 -o whole --chunk 1000000 > whole.txt || fail "one chunk at 1 rank failed"
[ "$(value periods whole.txt)" -gt 0 ] || fail "no periods: the test would not see the period column"
[ "$(wc -l < whole/traces.csv)" = 1501 ] || fail "traces.csv has $(wc -l < whole/traces.csv) lines, not 1 + 1500"

same() { # same DIR WHAT
    cmp -s whole/traces.csv "$1/traces.csv" || fail "$2: traces.csv differs"
    h5diff -q whole/dataset.h5 "$1/dataset.h5" || fail "$2: dataset.h5 differs"
    for f in periods.csv dataset.json; do cmp -s "whole/$f" "$1/$f" || fail "$2: $f differs"; done
}
for np in 1 2 4; do
    for chunk in 7 100; do
        run_le $np export c.h5 p.h5 rc.h5 -o "d$np-$chunk" --chunk $chunk > "d$np-$chunk.txt" \
            || fail "--chunk $chunk at $np ranks failed"
        same "d$np-$chunk" "--chunk $chunk at $np ranks"
        expect abnormal "$(value abnormal whole.txt)" "d$np-$chunk.txt"
    done
done

rc=0; run_le 1 export c.h5 p.h5 -o bad --chunk 0 > /dev/null 2> bad.err || rc=$?
[ "$rc" = 3 ] && grep -q -- "--chunk must be at least 1 trace" bad.err || fail "--chunk 0: status $rc, $(cat bad.err)"
[ ! -e bad ] && [ ! -e bad.partial ] || fail "a refused export wrote a directory"
echo "PASS: export writes the same dataset in chunks of 7 and 100 traces as in one, at 1, 2 and 4 ranks"
