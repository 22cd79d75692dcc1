#!/bin/bash
# bench/round_sample.sh — F1 after each round of 100 + 30 oracle labels, with
# the later rounds' select options given (issue 19: why the default budget's
# later rounds sample 13,000 traces at any N, docs/labeling.md "Budget").
#
#   bench/round_sample.sh CORPUS.h5 ROUNDS [SELECT-OPTION...]
#
# Round 1: select --picks 100 (k-means); rounds 2..ROUNDS: select --round R
# --picks 30 SELECT-OPTION... (a fixed --budget 2000 keeps select's 10% sample
# unless an option says otherwise: e.g. --sample 0.01 on 1.3e6 traces is the
# 13,000 traces of the default). After each round: propagate, eval; prints
# "round R labels L f1 F". 2 ranks (NP=...), vectors built once.
set -euo pipefail
C=$1 R=$2; shift 2
B=${LABELEASE:-$(dirname "$0")/../build/labelease} NP=${NP:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
le() { mpirun --oversubscribe -np "$NP" "$B" "$@" < /dev/null; }
key() { sed -n "s/^$1: //p" "$2" | head -n1; }
f1() {
    le propagate "$C" "$W/l$1.csv" -o "$W/p.h5" --vectors "$W/vec.h5" > /dev/null
    le eval "$C" "$W/p.h5" > "$W/e.txt"
    echo "round $1 labels $(key labeled "$W/e.txt") f1 $(key f1 "$W/e.txt")"
}
le select "$C" -o "$W/r1.h5" --budget 2000 --picks 100 --seed 1 --no-page --dump-vectors "$W/vec.h5" > /dev/null
"$B" label "$W/r1.h5" --oracle "$C" -o "$W/l1.csv" > /dev/null
f1 1
for r in $(seq 2 "$R"); do
    le select "$C" -o "$W/r$r.h5" --budget 2000 --picks 30 --round "$r" --labels "$W/l$((r - 1)).csv" --seed 1 \
        --no-page --vectors "$W/vec.h5" "$@" > /dev/null
    "$B" label "$W/r$r.h5" --oracle "$C" --keep "$W/l$((r - 1)).csv" -o "$W/l$r.csv" > /dev/null
    f1 "$r"
done
