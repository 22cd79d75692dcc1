#!/usr/bin/env bash
# Peak RSS per rank of select and propagate as the corpus grows (issue #19,
# docs/labeling.md "Memory"): for each size N, a synthetic corpus of N
# traces, select (one round of 200 labels, its vectors dumped), oracle labels,
# then propagate twice: building the vectors (the default) and reading
# select's with --vectors, a chunk of C traces at a time. One line per size
# with each stage's peak_rss_mib over ranks (max), and how the last size's
# compares with the first's. Streamed propagate should stay flat; the stages
# that hold the rank's whole shard grow with N.
#   bench/memory.sh [--quick] [SIZES...]        (default 1e6 2e6; --quick: 3000 6000)
# env: LE_RANKS (2), LE_CHUNK (65536), LE_BENCH_WORK (corpora and outputs,
# reused when present; default a new temp dir), LE_BUILD (build/).
# The figures in results/memory.txt: bench/memory.sh 1e6 2e6 | tee results/memory.txt
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
rss() { sed -n 's/^peak_rss_mib_max: //p' "$1" | head -n1; }
mkdir -p "$W"
echo "# bench/memory.sh $*: peak RSS per rank (MiB, max over $NP ranks), $(nproc)-core $(uname -m) host, chunk $CHUNK"
printf '%-10s %9s %9s %14s %18s\n' traces synth select propagate propagate_vectors
first=() last=()
for n in "$@"; do
    d=$W/n$n
    mkdir -p "$d"
    [ -f "$d/synth.txt" ] || run synth -o "$d/c.h5" --traces "$n" > "$d/synth.txt"
    run select "$d/c.h5" -o "$d/r.h5" --budget 200 --rounds 1 --no-page --dump-vectors "$d/v.h5" > "$d/select.txt"
    "$B" label "$d/r.h5" --oracle "$d/c.h5" -o "$d/l.csv" > /dev/null
    run propagate "$d/c.h5" "$d/l.csv" -o "$d/p.h5" --chunk "$CHUNK" > "$d/propagate.txt"
    run propagate "$d/c.h5" "$d/l.csv" -o "$d/pv.h5" --chunk "$CHUNK" --vectors "$d/v.h5" > "$d/propagate_vectors.txt"
    h5diff -q "$d/p.h5" "$d/pv.h5" \
        || echo "warning: N=$n: the streamed labels differ from the built ones" >&2
    row=("$(rss "$d/synth.txt")" "$(rss "$d/select.txt")" "$(rss "$d/propagate.txt")" "$(rss "$d/propagate_vectors.txt")")
    printf '%-10s %9.0f %9.0f %14.0f %18.0f\n' "$n" "${row[@]}"
    [ ${#first[@]} -gt 0 ] || first=("${row[@]}")
    last=("${row[@]}")
    rm -f "$d/v.h5" # N x dim floats: the largest file here
done
if [ $# -gt 1 ]; then
    printf '%-10s' "last/first"
    for i in 0 1 2 3; do printf ' %*.2f' $([ $i = 2 ] && echo 14 || { [ $i = 3 ] && echo 18 || echo 9; }) \
        "$(echo "${last[$i]} / ${first[$i]}" | bc -l)"; done
    echo
fi
echo "# larger sizes for a machine with the memory and disk (about 2 KB a trace of vectors):"
echo "#   LE_BENCH_WORK=/big/dir bench/memory.sh 1e7 1e8"
