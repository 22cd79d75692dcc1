#!/bin/bash
# F1 against labels given: extra uncertainty rounds vs one k-means with a
# larger budget, on one corpus and its embeddings (oracle labels).
# usage: bench/rounds.sh CORPUS.h5 EMB.h5 [NP] [K0] [STEP] [ROUNDS]
# LE_REPRESENTATION (default gat) is given to select and propagate.
set -euo pipefail
C=$1 E=$2 NP=${3:-2} K0=${4:-130} STEP=${5:-65} ROUNDS=${6:-3}
R=(--representation "${LE_REPRESENTATION:-gat}")
B=${LABELEASE:-$(dirname "$0")/../build/labelease}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
le() { mpirun --oversubscribe -np "$NP" "$B" "$@"; }
f1() { le propagate "$C" "$E" "$1" -o "$W/p.h5" "${R[@]}" > /dev/null; le eval "$C" "$W/p.h5" | sed -n 's/^f1: //p'; }
le select "$C" "$E" -o "$W/r.h5" --budget "$K0" --rounds 1 --no-page "${R[@]}" > /dev/null
"$B" label "$W/r.h5" --oracle "$C" -o "$W/l.csv" > /dev/null
echo "labels rounds_f1 larger_k_f1"
for r in $(seq 0 "$ROUNDS"); do
    n=$((K0 + r * STEP))
    if [ "$r" -gt 0 ]; then
        le select "$C" "$E" -o "$W/r$r.h5" --round $((r + 1)) --labels "$W/l.csv" --picks "$STEP" --no-page "${R[@]}" > /dev/null
        "$B" label "$W/r$r.h5" --oracle "$C" --keep "$W/l.csv" -o "$W/n.csv" > /dev/null
        mv "$W/n.csv" "$W/l.csv"
    fi
    le select "$C" "$E" -o "$W/k.h5" --budget "$n" --rounds 1 --no-page "${R[@]}" > /dev/null
    "$B" label "$W/k.h5" --oracle "$C" -o "$W/k.csv" > /dev/null
    echo "$(($(wc -l < "$W/l.csv") - 1)) $(f1 "$W/l.csv") $(f1 "$W/k.csv")"
done
