#!/bin/bash
# select --chunk C (issue 19): each rank reads and represents its traces C
# at a time (the default representation's statistics fitted streaming,
# --vectors read a chunk at a time), so its memory follows C and the
# sample, not its shard (docs/labeling.md, Memory). The picks do not depend
# on C: chunks of 1000 and 7 traces (1024 and 256: whole distance blocks;
# many chunks, shards not a multiple of them) against one chunk holding the
# whole shard, at 1 and 2 ranks, round 1 and round 2, built vectors and
# --vectors: the same /reps (the call paths' latency statistics up to float
# rounding) and the same --dump-vectors. Then the memory: select --vectors
# at 40,000 and 160,000 traces, --chunk 2000, peaks within 20% (the whole
# shard's vectors made it grow with the traces).
source "$(dirname "$0")/lib.bash"
command -v h5diff > /dev/null || skip "h5diff is absent (apt-get install hdf5-tools)"
cd "$WORK"
run_le 2 synth -o c.h5 --traces 5000 --seed 3 > /dev/null
# same_reps A B WHAT: the files equal, the per-path latency statistics to
# 1e-9 (their merge over ranks rounds differently at another rank count)
same_reps() {
    h5diff -q --exclude-path /reps/spans/path_mean_us --exclude-path /reps/spans/path_std_us "$1" "$2" \
        || fail "$3: $1 and $2 differ"
    for d in path_mean_us path_std_us; do
        h5diff -q -p 1e-9 "$1" "$2" /reps/spans/$d /reps/spans/$d || fail "$3: /reps/spans/$d of $1 and $2 differ"
    done
}
sel() { run_le "$@" --no-page > /dev/null || fail "select $* failed"; }

sel 1 select c.h5 -o whole.h5 --chunk 1000000 --dump-vectors whole-vec.h5
run_le 1 label whole.h5 --oracle c.h5 -o l1.csv > /dev/null
sel 1 select c.h5 -o whole2.h5 --chunk 1000000 --round 2 --labels l1.csv
for np in 1 2; do
    for ch in 1000 7; do
        run_le $np select c.h5 -o r$np-$ch.h5 --chunk $ch --dump-vectors vec$np-$ch.h5 --no-page > r$np-$ch.txt \
            || fail "--chunk $ch at $np ranks failed"
        expect streamed 1 r$np-$ch.txt
        same_reps whole.h5 r$np-$ch.h5 "round 1, --chunk $ch at $np ranks"
        h5diff -q whole-vec.h5 vec$np-$ch.h5 || fail "--dump-vectors, --chunk $ch at $np ranks differs"
        sel $np select c.h5 -o v$np-$ch.h5 --chunk $ch --vectors whole-vec.h5
        same_reps whole.h5 v$np-$ch.h5 "round 1, --vectors --chunk $ch at $np ranks"
        sel $np select c.h5 -o s$np-$ch.h5 --chunk $ch --round 2 --labels l1.csv
        same_reps whole2.h5 s$np-$ch.h5 "round 2, --chunk $ch at $np ranks"
        sel $np select c.h5 -o sv$np-$ch.h5 --chunk $ch --round 2 --labels l1.csv --vectors whole-vec.h5
        same_reps whole2.h5 sv$np-$ch.h5 "round 2, --vectors --chunk $ch at $np ranks"
    done
done
expect chunk 256 r2-7.txt

# An ablation holds the shard (streamed 0) and picks the same at any chunk.
run_le 2 select c.h5 -o dev-a.h5 --representation dev --chunk 7 --no-page > dev.txt || fail "dev, --chunk 7 failed"
expect streamed 0 dev.txt
sel 2 select c.h5 -o dev-b.h5 --representation dev
same_reps dev-a.h5 dev-b.h5 "--representation dev, --chunk 7"

rc=0; run_le 1 select c.h5 -o bad.h5 --chunk 0 > /dev/null 2> bad.err || rc=$?
[ "$rc" = 3 ] && grep -q -- "--chunk must be at least 1 trace" bad.err || fail "--chunk 0: status $rc, $(cat bad.err)"

# Memory: RSS means nothing under ASan (its shadow memory and quarantine).
if ldd "$LABELEASE" | grep -q libasan; then
    echo "PASS: select's picks are the same at --chunk 1000, 7 and one chunk, 1 and 2 ranks (memory not measured under ASan)"
    exit 0
fi
for n in 40000 160000; do
    run_le 2 synth -o m$n.h5 --traces $n --seed 5 > /dev/null
    sel 2 select m$n.h5 -o m$n-reps.h5 --chunk 2000 --dump-vectors m$n-vec.h5
    run_le 2 select m$n.h5 -o m$n-v.h5 --vectors m$n-vec.h5 --chunk 2000 --sample 0.01 --no-page > m$n.txt \
        || fail "--vectors at $n traces failed"
done
small=$(value peak_rss_mib_max m40000.txt) big=$(value peak_rss_mib_max m160000.txt)
awk -v s="$small" -v b="$big" 'BEGIN { exit !(b <= 1.2 * s) }' \
    || fail "select --vectors --chunk 2000: peak RSS $small MiB at 40,000 traces, $big MiB at 160,000 (over 20% more)"
echo "PASS: select's picks are the same at --chunk 1000, 7 and one chunk, 1 and 2 ranks; peak RSS $small MiB at 40,000 traces, $big MiB at 160,000"
