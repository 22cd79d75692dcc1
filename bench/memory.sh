#!/usr/bin/env bash
# Peak RSS per rank of the labeling stages as the corpus grows (issue #19,
# docs/labeling.md "Memory"): for each size N, a synthetic corpus of N
# traces (the same 48 hours and 36 faults), then what `labelease run` does
# with the default representation and budget, by hand for two rounds:
#   select    round 1 (the vector statistics fitted streaming, written with
#             --save-vector-stats), oracle labels,
#   select-2  round 2 reading them (--vector-stats), oracle labels (--keep),
#   propagate reading them, a chunk of C traces at a time,
#   rootcause over the propagated labels.
# One line per size: each stage's peak_rss_mib over ranks (max) and seconds;
# then the last size's peak over the first's. Every stage should stay flat:
# a rank holds a chunk, the fit's sample and the k-means sample, all of
# bounded size, never its shard.
#   bench/memory.sh [--quick] [SIZES...]        (default 1e6 2e6; --quick: 3000 6000)
# env: LE_RANKS (2), LE_CHUNK (65536), LE_BENCH_WORK (corpora and outputs,
# reused when present; default a new temp dir), LE_BUILD (build/).
# The figures in results/memory.txt: bench/memory.sh 1e6 1e7 1e8 | tee results/memory.txt
# (1e8: a 11.5 GB corpus, about 2.5 hours on 2 cores).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${LE_BUILD:-$SRC/build}/labelease
NP=${LE_RANKS:-2}
CHUNK=${LE_CHUNK:-65536}
W=${LE_BENCH_WORK:-$(mktemp -d /tmp/le-memory.XXXXXX)}
if [ "${1:-}" = --quick ]; then shift; set -- 3000 6000; fi
[ $# -gt 0 ] || set -- 1e6 2e6
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
run() { mpirun --oversubscribe -np "$NP" "$B" "$@"; }
key() { sed -n "s/^$1: //p" "$2" | head -n1; }
mkdir -p "$W"
STAGES=(synth select select-2 propagate rootcause)
echo "# bench/memory.sh $*: peak RSS per rank (MiB, max over $NP ranks) and seconds of each stage,"
echo "# $(nproc)-core $(uname -m) host, chunk $CHUNK, $(date -u +%F)"
printf '%-10s' traces
for s in "${STAGES[@]}"; do printf ' %9s %7s' "$s" s; done
printf ' %7s\n' labels
first=() last=()
for n in "$@"; do
    d=$W/n$n
    mkdir -p "$d"
    [ -f "$d/synth.txt" ] || run synth -o "$d/c.h5" --traces "$n" > "$d/synth.txt"
    run select "$d/c.h5" -o "$d/r.h5" --no-page --chunk "$CHUNK" --save-vector-stats "$d/stats.bin" > "$d/select.txt"
    "$B" label "$d/r.h5" --oracle "$d/c.h5" -o "$d/l.csv" > /dev/null
    run select "$d/c.h5" -o "$d/r2.h5" --no-page --chunk "$CHUNK" --round 2 --labels "$d/l.csv" \
        --vector-stats "$d/stats.bin" > "$d/select-2.txt"
    "$B" label "$d/r2.h5" --oracle "$d/c.h5" --keep "$d/l.csv" -o "$d/l2.csv" > /dev/null
    run propagate "$d/c.h5" "$d/l2.csv" -o "$d/p.h5" --chunk "$CHUNK" --vector-stats "$d/stats.bin" > "$d/propagate.txt"
    run rootcause "$d/c.h5" "$d/p.h5" -o "$d/rc.h5" --no-page > "$d/rootcause.txt"
    row=()
    printf '%-10s' "$n"
    for s in "${STAGES[@]}"; do
        m=$(key peak_rss_mib_max "$d/$s.txt") sec=$(key seconds "$d/$s.txt")
        row+=("$m")
        printf ' %9.0f %7.1f' "$m" "${sec:-0}"
    done
    printf ' %7s\n' "$(($(wc -l < "$d/l2.csv") - 1))"
    [ ${#first[@]} -gt 0 ] || first=("${row[@]}")
    last=("${row[@]}")
done
if [ $# -gt 1 ]; then
    printf '%-10s' "last/first"
    for i in "${!STAGES[@]}"; do printf ' %9.2f %7s' "$(echo "${last[$i]} / ${first[$i]}" | bc -l)" ""; done
    echo
fi
