#!/bin/bash
# ingest reads a CSV file larger than --max-rows in parts (issue 19,
# docs/ingest.md "Memory"): a batch ends at the row that reaches
# --max-rows and the next goes on from the next line.
#  - one CSV file of 419 rows (Alibaba's real call graph) with --max-rows
#    40 at 1, 2 and 4 ranks: the corpus and report of one read in memory;
#  - a truncated gzip file that fails after parts of it were spilled, its
#    traces its own and alone labelled, skipped by --keep-going (spilled at
#    1 and 2 ranks, and in memory): no trace of it, not even a dropped
#    one, no ground truth, no count;
#  - input of exactly --max-rows rows stays in memory (one file or two);
#  - one large file gets the buckets its rows per byte call for, plain
#    or gzip (the part parsed, not the block read ahead).
# Sanitized runs skip this test (check.sh): the same code runs sanitized in
# ingest_spill.sh (files cut at 40 rows, a truncated split file) and unit_csv.
source "$(dirname "$0")/lib.bash"
command -v h5diff > /dev/null || skip "h5diff is absent (apt-get install hdf5-tools)"
cd "$WORK"
source "$(dirname "$0")/spill_lib.bash"

check one 40 --format alibaba2021 --labels labels.csv "$FX/csv/alibaba2021_callgraph.csv"

# ... when its traces are its own and it alone carries labels: no trace of it
# (not even as a dropped one) and no ground truth from it, spilled or not
mkdir tv-ok tv-bad
tv_rows() { # tv_rows FIRST-TRACE TRACES [LABELLED]: TraceVAE rows, 5 spans a trace
    awk -v t0="$1" -v n="$2" -v lab="${3:-}" 'BEGIN {
        print "traceIdHigh,traceIdLow,parentSpanId,spanId,startTime,duration,nanosecond,DBhash,status,operationName,serviceName" \
            (lab ? ",nodeLatencyLabel,graphLatencyLabel,graphStructureLabel" : "")
        for (t = t0; t < t0 + n; t++) for (s = 0; s < 5; s++)
            print t "," 7 "," (s ? t * 10 + s : 0) "," t * 10 + s + 1 ",2022-05-02 18:32:16," 10 - s "," s * 1000000 ",0,0," s "," s \
                (lab ? ",0,0," t % 2 : "")
    }'
}
tv_rows 1 60 > tv-ok/a.csv && cp tv-ok/a.csv tv-bad/
tv_rows 1000 0 1 > tv-ok/zz.csv
tv_rows 1000 100 1 | gzip -c > tv.gz && head -c $(($(stat -c %s tv.gz) * 7 / 10)) tv.gz > tv-bad/zz.csv.gz
run_le 1 ingest --format tracevae -o tv-ok.h5 tv-ok > tv-ok.txt 2> tv-ok.err || fail "tv-ok: $(cat tv-ok.err)"
for run in "1 --max-rows 40" "2 --max-rows 40" "1"; do
    set -- $run
    np=$1; shift
    run_le $np ingest --format tracevae --keep-going -o tv-bad.h5 "$@" tv-bad > tv-bad.txt 2> tv-bad.err \
        || fail "a labelled file skipped ($np ranks $*): $(cat tv-bad.err)"
    expect files_skipped 1 tv-bad.txt
    h5diff -q tv-ok.h5 tv-bad.h5 || fail "$np ranks $*: the skipped labelled file left a trace or the ground truth"
    for k in rows_read traces spans traces_dropped; do
        [ "$(value $k tv-bad.txt)" = "$(value $k tv-ok.txt)" ] || fail "$np ranks $*: $k counts the skipped file: $(cat tv-bad.txt)"
    done
done
# input that ends at exactly --max-rows rows stays in memory (one file, or two)
mkdir tv-two && tv_rows 1 30 > tv-two/a.csv && tv_rows 31 30 > tv-two/b.csv
for in in tv-ok/a.csv tv-two; do
    run_le 1 ingest --format tracevae -o exact.h5 --max-rows 300 $in > exact.txt 2> exact.err || fail "exact: $(cat exact.err)"
    expect spilled 0 exact.txt
done
# the buckets of one large file (120,000 rows, about 2 x rows / --max-rows + 1 = 13), plain and gzip:
# the rows per byte come from the part parsed, not from the block read ahead
tv_rows 1 24000 > big.csv && gzip -c big.csv > big.csv.gz
for in in big.csv big.csv.gz; do
    run_le 1 ingest --format tracevae -o big.h5 --max-rows 20000 $in > big.txt 2> big.err || fail "$in: $(cat big.err)"
    b=$(value spill_buckets big.txt)
    [ "$b" -ge 11 ] && [ "$b" -le 15 ] || fail "$in: $b buckets for 120,000 rows at --max-rows 20000 (13 wanted)"
done
