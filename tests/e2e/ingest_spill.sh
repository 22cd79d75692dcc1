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
#  - under --keep-going a truncated gzip file that fails after parts of it
#    were spilled leaves none of its rows in the corpus and no count in the
#    report (more on files read in parts: ingest_spill_parts.sh);
#  - no spill directory left, --spill-dir honoured, --faults refused clearly;
#  - gzip input gets as many buckets as plain; under ulimit -n 90 the
#    buckets and steps shrink to fit, with a warning.
source "$(dirname "$0")/lib.bash"
command -v h5diff > /dev/null || skip "h5diff is absent (apt-get install hdf5-tools)"
cd "$WORK"
source "$(dirname "$0")/spill_lib.bash"
mkdir ali
awk -F, 'NR == 1 { for (i = 0; i < 5; i++) print > ("ali/part" i ".csv"); next } { print >> ("ali/part" (NR % 5) ".csv") }' \
    "$FX/csv/alibaba2021_callgraph.csv"
check ali 40 --format alibaba2021 --labels labels.csv ali
[ "$(value parents_from_ancestors ali-mem.txt)" -gt 0 ] || fail "the Alibaba sample lost its path ids: $(cat ali-mem.txt)"
[ "$(value labels_unmatched ali-mem.txt)" = 2 ] || fail "labels_unmatched: $(cat ali-mem.txt)"
[ "$(value labels_applied ali-mem.txt)" -gt 0 ] || fail "no label applied: $(cat ali-mem.txt)"
# a split file that fails late: skipped whole, its spilled rows too
mkdir bad ok && cp ali/*.csv bad/ && cp ali/*.csv ok/
gzip -c "$FX/csv/alibaba2021_callgraph.csv" > full.gz
head -c $(($(stat -c %s full.gz) * 7 / 10)) full.gz > bad/zz-truncated.csv.gz
head -n 1 "$FX/csv/alibaba2021_callgraph.csv" > ok/zz-header-only.csv # 6 files too (the corpus's source says how many)
run_le 1 ingest --format alibaba2021 --labels labels.csv -o ok.h5 ok > ok.txt 2> ok.err || fail "ok: $(cat ok.err)"
run_le 2 ingest --format alibaba2021 --labels labels.csv --keep-going -o bad-2.h5 --max-rows 40 bad > bad-2.txt 2> bad-2.err \
    || fail "--keep-going, a split file truncated: $(cat bad-2.err)"
grep -q 'zz-truncated.csv.gz.*truncated' bad-2.err || fail "the truncated file was not named: $(cat bad-2.err)"
expect files_skipped 1 bad-2.txt
h5diff -q ok.h5 bad-2.h5 || fail "rows of a skipped file that had been spilled are in the corpus"
for k in rows_read spans traces labels_applied; do
    [ "$(value $k bad-2.txt)" = "$(value $k ok.txt)" ] || fail "$k counts the skipped file: $(cat bad-2.txt)"
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
