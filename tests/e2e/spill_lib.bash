# What the spill tests share (tests/e2e/ingest_spill.sh, ingest_spill_parts.sh):
# the Alibaba labels, the report compare and the in-memory against spilled
# check. Sourced after lib.bash, in $WORK.
FX=$LE_SRC/tests/fixtures
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
