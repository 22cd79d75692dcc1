#!/usr/bin/env bash
# bench/outputs.sh — every output of the labeling pipeline, for checking that a
# refactoring changed none of them (issue #15; docs/architecture.md).
#
#   bench/outputs.sh LABELEASE OUTDIR CORPUS.h5...
#   bench/outputs_compare.py OUTDIR_A OUTDIR_B
#
# For each corpus and 1, 2 and 4 ranks: select round 1 (--dump-vectors),
# oracle labels, select round 2 (--vectors), labels kept, propagate with and
# without --vectors, rootcause, eval; and on a 20,000-trace synthetic corpus
# (made here) the GAT path: train 30 steps, embed, select --representation
# gat. Run it with the old and the new binary into two directories, then
# compare them: every dataset bit for bit and every attribute except those
# naming a file (they name OUTDIR). Figures at different rank counts differ
# in float rounding only, so only the same rank count is compared.
# Example (the 130K default synthetic corpus and the DeepTraLog corpus):
#   build/labelease synth -o c.h5 --traces 130363 --seed 1
#   bench/outputs.sh old/build/labelease out-old c.h5 dtl.h5
#   bench/outputs.sh build/labelease out-new c.h5 dtl.h5
#   bench/outputs_compare.py out-old out-new
set -euo pipefail
[ $# -ge 3 ] || { sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
B=$1 O=$2; shift 2
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
le() { local np=$1; shift; mpirun --oversubscribe -np "$np" "$B" "$@"; }
mkdir -p "$O"
small=$O/synth20k.h5
[ -f "$small" ] || "$B" synth -o "$small" --traces 20000 --seed 1 > /dev/null
for np in 1 2 4; do
    for C in "$@"; do
        W=$O/$(basename "$C" .h5)$np
        mkdir -p "$W"
        le "$np" select "$C" -o "$W/r1.h5" --seed 1 --no-page --dump-vectors "$W/v.h5" > "$W/sel1.txt"
        "$B" label "$W/r1.h5" --oracle "$C" -o "$W/l1.csv" > /dev/null
        le "$np" select "$C" -o "$W/r2.h5" --seed 1 --no-page --round 2 --labels "$W/l1.csv" --vectors "$W/v.h5" > "$W/sel2.txt"
        "$B" label "$W/r2.h5" --oracle "$C" --keep "$W/l1.csv" -o "$W/l2.csv" > /dev/null
        le "$np" propagate "$C" "$W/l2.csv" -o "$W/p.h5" --vectors "$W/v.h5" > "$W/prop.txt"
        le "$np" propagate "$C" "$W/l2.csv" -o "$W/p_novec.h5" > /dev/null
        le "$np" rootcause "$C" "$W/p.h5" -o "$W/rc.h5" --no-page -q > /dev/null
        le "$np" eval "$C" "$W/p.h5" > "$W/eval.txt"
    done
    W=$O/gat$np
    mkdir -p "$W"
    le "$np" train "$small" -o "$W/m.h5" --seed 1 --steps 30 -q > /dev/null
    le "$np" embed "$small" "$W/m.h5" -o "$W/e.h5" > /dev/null
    le "$np" select "$small" "$W/e.h5" -o "$W/rg.h5" --representation gat --seed 1 --no-page > /dev/null
done
echo "outputs.sh: $O"
