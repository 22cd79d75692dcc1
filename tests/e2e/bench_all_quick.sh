# bench/all.sh --quick runs every part and prints each expected key with a
# numeric value (peak RSS as max/mean); the ratio keys are required only
# when their Python libraries import. The full run is in docs/benchmarks.md.
source "$(dirname "$0")/lib.bash"
LE_BENCH_WORK=$WORK/scratch bash "$LE_SRC/bench/all.sh" --quick --np 2 --build "$LE_BUILD" > "$WORK/out.txt"
cat "$WORK/out.txt"
keys=(stage_traces select_propagate_compute_s.np2)
for np in 1 2; do
    for s in synth embed select propagate rootcause; do keys+=("traces_per_s.$s.np$np"); done
    for s in embed select propagate; do keys+=("compute_s.$s.np$np"); done
    keys+=("train_step_ms.np$np" "select_seconds_lloyd.np$np" "propagate_seconds_vectors.np$np")
done
for s in embed select propagate best; do keys+=("efficiency_np2.$s"); done
keys+=(compute_s.best.np1 compute_s.best.np2 seconds_s.best.np1 seconds_s.best.np2 dump_vectors_s.best.np2)
py() { /usr/bin/python3 -c "import $1" > /dev/null 2>&1; }
if py torch; then keys+=(embed_speedup_vs_torch train_step_speedup_vs_torch); fi
if py faiss && py sklearn; then keys+=(kmeans_speedup_vs_faiss kmeans_speedup_vs_sklearn); fi
for s in synth train embed select propagate rootcause; do
    keys+=("rss_mib_per_1e6_shard_traces.$s" "rss_mib_np1_vs_np2.$s.3e4")
    for p in 1e4.np2 3e4.np2 3e4.np1; do keys+=("peak_rss_mib.$s.$p"); done
done
num='[0-9]+(\.[0-9]*)?([eE][-+]?[0-9]+)?'
for k in "${keys[@]}"; do
    v=$(value "$k" "$WORK/out.txt")
    [ -n "$v" ] || fail "bench/all.sh --quick printed no '$k'"
    case $k in
    peak_rss_mib.*) [[ $v =~ ^$num/$num$ ]] || fail "$k: '$v' is not MAX/MEAN" ;;
    rss_mib_per_1e6*) [[ $v =~ ^-?$num$ ]] || fail "$k: '$v' is not a number" ;;
    *) [[ $v =~ ^$num$ ]] || fail "$k: '$v' is not a number" ;;
    esac
done
# a rank's peak RSS is a real figure: at least the 20 MiB the binary and MPI take
awk -v v="$(value peak_rss_mib.select.3e4.np2 "$WORK/out.txt" | cut -d/ -f1)" 'BEGIN { exit !(v > 20) }' \
    || fail "peak RSS of select is implausible"
echo "PASS bench_all_quick (${#keys[@]} keys)"
