#!/bin/bash
# Runs a labeling experiment from configs/experiments/*.conf: ingest (real
# data from ../shared/data/real) -> select -> label --oracle -> propagate ->
# eval, printing eval's report.  usage: bench/label_experiment.sh CONF [BUILD]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
CONF=$1 BUILD=${2:-$SRC/build}
get() { sed -n "s/^$1=//p" "$CONF"; }
B=$BUILD/labelease NP=$(get ranks) REPR=$(get representation)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
le() { mpirun --oversubscribe -np "$NP" "$B" "$@"; }
tar xJf "$SRC/../shared/data/real/$(get data)" -C "$W"
read -r -a ING <<< "$(get ingest)"
le ingest "${ING[@]}" -o "$W/c.h5" "$W"/*/ > /dev/null
N=$("$B" info "$W/c.h5" | sed -n 's/^traces: //p')
K=$(awk -v n="$N" -v s="$(get budget_share)" 'BEGIN { printf "%d", n * s }')
le select "$W/c.h5" - -o "$W/r.h5" --representation "$REPR" --budget "$K" --seed "$(get seed)" --no-page > /dev/null
"$B" label "$W/r.h5" --oracle "$W/c.h5" -o "$W/l.csv" > /dev/null
le propagate "$W/c.h5" - "$W/l.csv" -o "$W/p.h5" --representation "$REPR" > /dev/null
le eval "$W/c.h5" "$W/p.h5"
