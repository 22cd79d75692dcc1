#!/bin/bash
# ingest's spill (issue 19, docs/ingest.md "Memory"): with more than
# --max-rows rows on a rank, ingest joins and orders through files (an
# external sort: rows routed and appended to trace-hash buckets, bucket by
# bucket assembled, traces spread into steps of key ranges, each step sorted
# and written) instead of in memory. The corpus must be the one the
# in-memory join writes, byte for byte (h5diff, the fingerprint too), with
# the same report: every count, drop and label.
#  - Alibaba's real call graph (tests/fixtures/csv), its rows dealt over 5
#    files so that traces span files and ranks: path ids whose missing
#    parents go to an ancestor, both sides of a call, names not recorded;
#    with --labels (some ids not in the corpus);
#  - Zipkin's real files: fragments of one span merged;
#  - at 1, 2 and 4 ranks, with --max-rows 40 or 4 (many batches, buckets, steps);
#  - one CSV file of 419 rows with --max-rows 40: read in parts, a batch
#    each, the parts joined as if read at once; under --keep-going a
#    truncated gzip file that fails after parts of it were spilled leaves
#    none of its rows in the corpus and no count in the report (nor a
#    dropped trace, nor ground truth when only it had labels); input of
#    exactly --max-rows rows stays in memory; one large file gets the
#    buckets its rows per byte call for, plain or gzip;
#  - no spill directory left, --spill-dir honoured, --faults refused clearly;
#  - gzip input gets as many buckets as plain; under ulimit -n 90 the
#    buckets and steps shrink to fit, with a warning.
source "$(dirname "$0")/lib.bash"
command -v h5diff > /dev/null || skip "h5diff is absent (apt-get install hdf5-tools)"
FX=$LE_SRC/tests/fixtures
cd "$WORK"
mkdir ali
awk -F, 'NR == 1 { for (i = 0; i < 5; i++) print > ("ali/part" i ".csv"); next } { print >> ("ali/part" (NR % 5) ".csv") }' \
    "$FX/csv/alibaba2021_callgraph.csv"
# labels for every 3rd trace, and two ids the corpus lacks
awk -F, 'NR > 1 && !($2 in seen) { seen[$2] = 1; if (++n % 3 == 0) print $2 "," (n % 2 ? "abnormal" : "normal") }' \
    "$FX/csv/alibaba2021_callgraph.csv" | { echo trace_id,label; cat; echo nosuchtrace1,abnormal; echo nosuchtrace2,normal; } > labels.csv

# counts: the report without what depends on ranks, time or the spill
counts() { grep -vE '^(output|seconds|parse_mb_per_s_per_rank|peak_rss_mib_[a-z]+|ranks|max_rows|spilled|spill_[a-z]+):' "$1"; }
# same NAME MEM SPILLED: corpora and counts equal
same() {
    h5diff -q "$2.h5" "$3.h5" || fail "$1: the spilled corpus differs from the in-memory one"
    diff <(counts "$2.txt") <(counts "$3.txt") > /dev/null || fail "$1: reports differ: $(diff <(counts "$2.txt") <(counts "$3.txt"))"
}
check() { # check NAME ROWS INGEST-ARGS...: in memory at 1 rank, spilled (--max-rows ROWS) at 1, 2 and 4
    local name=$1 rows=$2; shift 2
    run_le 1 ingest "$@" -o "$name-mem.h5" > "$name-mem.txt" 2> "$name-mem.err" || fail "$name in memory: $(cat "$name-mem.err")"
    expect spilled 0 "$name-mem.txt"
    for np in 1 2 4; do
        run_le $np ingest "$@" -o "$name-$np.h5" --max-rows "$rows" > "$name-$np.txt" 2> "$name-$np.err" \
            || fail "$name spilled at $np ranks: $(cat "$name-$np.err")"
        expect spilled 1 "$name-$np.txt"
        [ "$(value spill_steps "$name-$np.txt")" -gt 1 ] || fail "$name at $np ranks: one step: $(cat "$name-$np.txt")"
        same "$name at $np ranks" "$name-mem" "$name-$np"
    done
}
check ali 40 --format alibaba2021 --labels labels.csv ali
[ "$(value parents_from_ancestors ali-mem.txt)" -gt 0 ] || fail "the Alibaba sample lost its path ids: $(cat ali-mem.txt)"
[ "$(value labels_unmatched ali-mem.txt)" = 2 ] || fail "labels_unmatched: $(cat ali-mem.txt)"
[ "$(value labels_applied ali-mem.txt)" -gt 0 ] || fail "no label applied: $(cat ali-mem.txt)"
# one file larger than --max-rows: a rank's batches end inside it
check one 40 --format alibaba2021 --labels labels.csv "$FX/csv/alibaba2021_callgraph.csv"
h5diff -q ali-mem.h5 one-mem.h5 /traces/start_us /traces/start_us || fail "one file and five give other traces"
# a split file that fails late: skipped whole, its spilled rows too
mkdir bad ok && cp ali/*.csv bad/ && cp ali/*.csv ok/
gzip -c "$FX/csv/alibaba2021_callgraph.csv" > full.gz
head -c $(($(stat -c %s full.gz) * 7 / 10)) full.gz > bad/zz-truncated.csv.gz
head -n 1 "$FX/csv/alibaba2021_callgraph.csv" > ok/zz-header-only.csv # 6 files too (the corpus's source says how many)
run_le 1 ingest --format alibaba2021 --labels labels.csv -o ok.h5 ok > ok.txt 2> ok.err || fail "ok: $(cat ok.err)"
for np in 1 2; do
    run_le $np ingest --format alibaba2021 --labels labels.csv --keep-going -o bad-$np.h5 --max-rows 40 bad \
        > bad-$np.txt 2> bad-$np.err || fail "--keep-going, a split file truncated, $np ranks: $(cat bad-$np.err)"
    grep -q 'zz-truncated.csv.gz.*truncated' bad-$np.err || fail "the truncated file was not named: $(cat bad-$np.err)"
    expect files_skipped 1 bad-$np.txt
    h5diff -q ok.h5 bad-$np.h5 || fail "$np ranks: rows of a skipped file that had been spilled are in the corpus"
    for k in rows_read spans traces labels_applied; do
        [ "$(value $k bad-$np.txt)" = "$(value $k ok.txt)" ] || fail "$np ranks: $k counts the skipped file: $(cat bad-$np.txt)"
    done
done
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
rc=0; run_le 2 ingest --format alibaba2021 -o bad.h5 --max-rows 40 bad > /dev/null 2> bad.err || rc=$?
[ $rc -ne 0 ] && grep -q -- "--keep-going skips such a file" bad.err || fail "a truncated split file: status $rc, $(cat bad.err)"
Z=$FX/zipkin
ZIP=(--format zipkin "$Z"/lens_*.json "$Z/spans.json" "$Z/traces.json" "$Z/ui_netflix.json" "$Z/v1_rpc.json")
check zip 4 "${ZIP[@]}"
[ "$(value merged_fragments zip-mem.txt)" -gt 0 ] || fail "the Zipkin files merged no fragment: $(cat zip-mem.txt)"
ls -d ./*.spill-* 2> /dev/null && fail "a spill directory was left behind"

# compressed input: the buckets come from the rows per byte on disk (per
# uncompressed byte they came out as many times too few as gzip shrinks)
mkdir aligz && for f in ali/*.csv; do gzip -c "$f" > "aligz/$(basename "$f").gz"; done
run_le 1 ingest --format alibaba2021 --labels labels.csv -o gz.h5 --max-rows 40 aligz > gz.txt 2> gz.err || fail "gzip: $(cat gz.err)"
h5diff -q ali-mem.h5 gz.h5 || fail "the gzip input spilled gives another corpus"
[ $((2 * $(value spill_buckets gz.txt))) -ge "$(value spill_buckets ali-1.txt)" ] \
    || fail "gzip input: $(value spill_buckets gz.txt) buckets against $(value spill_buckets ali-1.txt) for the plain files"

# a low open-file limit: fewer, larger buckets and steps, with a warning, the same corpus
(ulimit -n 90 && run_le 2 ingest "${ZIP[@]}" -o lim.h5 --max-rows 4 > lim.txt 2> lim.err) || fail "ulimit -n 90: $(cat lim.err)"
grep -q "would pass the open-file limit" lim.err || fail "no warning under ulimit -n 90: $(cat lim.err)"
h5diff -q zip-mem.h5 lim.h5 || fail "under ulimit -n 90 the corpus differs"

# --spill-dir: the files go there (a directory of its own inside), and go
mkdir sd
run_le 2 ingest --format alibaba2021 -o sd.h5 --max-rows 40 --spill-dir sd ali > sd.txt 2> sd.err || fail "--spill-dir: $(cat sd.err)"
grep -q "joining through sd/labelease-spill-" sd.err || fail "--spill-dir not used: $(cat sd.err)"
[ -z "$(ls -A sd)" ] || fail "--spill-dir left $(ls -A sd)"
h5diff -q ali-2.h5 sd.h5 /traces/start_us /traces/start_us || fail "--spill-dir gives another corpus"

# --faults needs the whole corpus in memory: refused with the way out
printf 'service,type,start,end\nx,cpu,0,1\n' > faults.csv
rc=0; run_le 2 ingest --format alibaba2021 --faults faults.csv -o f.h5 --max-rows 40 ali > /dev/null 2> f.err || rc=$?
[ $rc -ne 0 ] && grep -q -- "--faults needs every trace in memory at once" f.err || fail "--faults spilled: status $rc, $(cat f.err)"
[ ! -e f.h5 ] || fail "a refused ingest wrote f.h5"
ls -d ./*.spill-* 2> /dev/null && fail "a refused ingest left a spill directory"
echo "PASS: ingest through its spill files writes the in-memory corpus and report at 1, 2 and 4 ranks"
