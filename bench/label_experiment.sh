#!/bin/bash
# Runs a labeling experiment from configs/experiments/*.conf and prints one
# table row per (seed, budget): select -> label --oracle -> propagate -> eval.
#   data=FILE.tar.xz + ingest=...   real traces from ../shared/data/real, or
#   synth=ARGS                      labelease synth ARGS --seed S for each seed;
#   representation=gat|stv|dev|hybrid|dev-burst|hybrid-burst (gat, hybrid and
#   hybrid-burst train and embed first,
#   with train=ARGS); budget_share=X or budgets=K1 K2 ...; seed= or seeds=;
#   select=ARGS and propagate=ARGS are passed through; ranks=NP;
#   round2=K2: of each budget K, K - K2 by k-means, then K2 more by
#   `select --round 2` from those labels (labeled counts both).
# usage: bench/label_experiment.sh CONF [BUILD]
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
CONF=$1 BUILD=${2:-$SRC/build}
get() { sed -n "s/^$1=//p" "$CONF"; }
B=$BUILD/labelease NP=$(get ranks) REPR=$(get representation)
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
W=$(mktemp -d); trap 'rm -rf "$W"' EXIT
le() { mpirun --oversubscribe -np "$NP" "$B" "$@"; }
read -r -a SEL <<< "$(get select)"
read -r -a PROP <<< "$(get propagate)"
read -r -a TRAIN <<< "$(get train)"
SEEDS=$(get seeds); SEEDS=${SEEDS:-$(get seed)}

corpus() { # $1 = seed -> $W/c.h5
    rm -rf "$W/c.h5" "$W/in"
    if [ -n "$(get synth)" ]; then
        read -r -a SYN <<< "$(get synth)"
        le synth "${SYN[@]}" --seed "$1" -o "$W/c.h5" > /dev/null
    else
        mkdir "$W/in" && tar xJf "$SRC/../shared/data/real/$(get data)" -C "$W/in"
        read -r -a ING <<< "$(get ingest)"
        le ingest "${ING[@]}" -o "$W/c.h5" "$W"/in/*/ > /dev/null
    fi
}

vectors() { # $1 = seed -> $W/e.h5 (or -)
    E=-
    case $REPR in gat | hybrid | hybrid-burst)
        le train "$W/c.h5" -o "$W/m.h5" --seed "$1" "${TRAIN[@]}" > /dev/null 2>&1
        le embed "$W/c.h5" "$W/m.h5" -o "$W/e.h5" > /dev/null
        E=$W/e.h5 ;;
    esac
}

key() { sed -n "s/^$1: //p" "$2"; }
echo "seed budget labeled precision recall f1 seconds_select seconds_propagate"
for S in $SEEDS; do
    corpus "$S"
    vectors "$S"
    N=$("$B" info "$W/c.h5" | sed -n 's/^traces: //p')
    BUDGETS=$(get budgets)
    [ -n "$BUDGETS" ] || BUDGETS=$(awk -v n="$N" -v s="$(get budget_share)" 'BEGIN { printf "%d", n * s }')
    for K in $BUDGETS; do
        K2=$(get round2); K2=${K2:-0}
        # round 1 writes the vectors; round 2 and propagate read them (the same bits)
        rm -f "$W/v.h5"
        le select "$W/c.h5" "$E" -o "$W/r.h5" --representation "$REPR" --budget "$K" --picks "$((K - K2))" --seed "$S" --no-page \
            --dump-vectors "$W/v.h5" "${SEL[@]}" > "$W/sel.txt"
        "$B" label "$W/r.h5" --oracle "$W/c.h5" -o "$W/l.csv" > /dev/null
        if [ "$K2" -gt 0 ]; then
            le select "$W/c.h5" "$E" -o "$W/r2.h5" --representation "$REPR" --budget "$K" --picks "$K2" --seed "$S" --no-page \
                --round 2 --labels "$W/l.csv" --vectors "$W/v.h5" "${SEL[@]}" > /dev/null
            "$B" label "$W/r2.h5" --oracle "$W/c.h5" --keep "$W/l.csv" -o "$W/l2.csv" > /dev/null
            mv "$W/l2.csv" "$W/l.csv"
        fi
        le propagate "$W/c.h5" "$E" "$W/l.csv" -o "$W/p.h5" --representation "$REPR" --vectors "$W/v.h5" "${PROP[@]}" \
            > "$W/prop.txt"
        le eval "$W/c.h5" "$W/p.h5" > "$W/eval.txt"
        echo "$S $K $(key labeled "$W/eval.txt") $(key precision "$W/eval.txt") $(key recall "$W/eval.txt")" \
            "$(key f1 "$W/eval.txt") $(key seconds_select "$W/sel.txt") $(key seconds_propagate "$W/prop.txt")"
    done
done
