# The ingest benchmark runs (quick mode) and prints its figures; the real
# 1 GiB run is documented in docs/ingest.md.
source "$(dirname "$0")/lib.bash"
LABELEASE=$LABELEASE bash "$LE_SRC/bench/ingest.sh" --quick --np "1 2" --dir "$WORK" > "$WORK/out.txt"
cat "$WORK/out.txt"
for tag in csv csvgz json; do
    for np in 1 2; do
        v=$(value "${tag}_np${np}_parse_mb_per_s_per_rank" "$WORK/out.txt")
        awk -v v="$v" 'BEGIN{exit !(v > 0)}' || fail "${tag} np$np: no throughput figure"
    done
    [ "$(value "${tag}_np1_spans" "$WORK/out.txt")" = "$(value "${tag}_np2_spans" "$WORK/out.txt")" ] \
        || fail "$tag: span count differs between 1 and 2 ranks"
done
[ "$(value csvgz_np1_spans "$WORK/out.txt")" = "$(value csv_np1_spans "$WORK/out.txt")" ] \
    || fail "the gzip CSV gives other spans than the plain CSV"
[ "$(value csvgz_np1_bytes "$WORK/out.txt")" = "$(value csv_np1_bytes "$WORK/out.txt")" ] \
    || fail "bytes_read of the gzip CSV is not the uncompressed size"
for np in 1 2; do
    [ "$(value csvspill_np${np}_same_corpus "$WORK/out.txt")" = yes ] || fail "np$np: the spill gives another corpus"
    [ -n "$(value csvspill_np${np}_peak_rss_mib_max "$WORK/out.txt")" ] || fail "np$np: no spill RSS figure"
    [ "$(value csvone_np${np}_spilled "$WORK/out.txt")" = 1 ] || fail "np$np: one file over --max-rows did not spill"
    [ "$(value csvone_np${np}_same_corpus "$WORK/out.txt")" = yes ] || fail "np$np: one file read in parts gives another corpus"
done
echo "PASS bench_ingest_quick"
