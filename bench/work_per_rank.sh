#!/usr/bin/env bash
# bench/work_per_rank.sh — instructions per rank of select and propagate
# (hybrid-burst, the demo's pipeline) at 1 and NP ranks, from callgrind:
# deterministic, so unlike the seconds of bench/all.sh they do not move
# with load from other jobs on the machine.
#
#   bench/work_per_rank.sh CORPUS.h5 EMBEDDINGS.h5 LABELS.csv [NP] [--functions]
#   (NP default 2; LABELS.csv: labels of the corpus' representatives, e.g.
#   from `labelease label REPS.h5 --oracle CORPUS.h5`)
#
# Prints key: value lines (bench/cg_work.py): per stage and rank count the
# compute's instructions per rank (the functions timed by seconds_vectors
# plus seconds_select / seconds_propagate), the part inside MPI calls (for
# the most part polling while waiting for another rank) and the embeddings
# read, then work = compute - MPI - read, its max over ranks and sum, and
# efficiency_ir.STAGE = work at 1 rank / (NP x the largest rank's work at
# NP), the figure issue #7's efficiency would reach with no MPI cost and
# no load. --functions adds each function's inclusive instructions (sum
# over ranks and the largest rank) to find work that every rank repeats
# (sum at NP above the 1-rank figure) or that is unevenly split (max above
# sum / NP). Under valgrind each run takes 50-100 times as long as without
# (about 10 minutes for select at 1 rank on the 130K corpus).
# LE_BUILD=DIR picks the build (default build/).
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
C=$1 E=$2 L=$3 NP=${4:-2} FN=${5:-}
LE=${LE_BUILD:-$SRC/build}/labelease
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
W=$(mktemp -d "${TMPDIR:-/tmp}/le-work.XXXXXX")
trap 'rm -rf "$W"' EXIT
val() { sed -n "s/^$1: //p" "$2" | head -n1; }
for np in 1 "$NP"; do
    for stage in select propagate; do
        if [ "$stage" = select ]; then
            args=(select "$C" "$E" -o "$W/r.h5" --representation hybrid-burst --seed 1 --no-page)
        else
            args=(propagate "$C" "$E" "$L" -o "$W/p.h5" --representation hybrid-burst)
        fi
        mpirun --oversubscribe -np "$np" valgrind --tool=callgrind --callgrind-out-file="$W/cg.$stage.$np.%p" \
            "$LE" "${args[@]}" > /dev/null 2> "$W/err.txt" || { cat "$W/err.txt" >&2; exit 1; }
        /usr/bin/python3 "$SRC/bench/cg_work.py" "$stage" $FN "$W"/cg."$stage.$np".* | sed "s/^ir\.$stage\./ir.$stage.np$np./" \
            | tee "$W/$stage.$np.txt"
        rm -f "$W"/cg."$stage.$np".*
    done
done
for stage in select propagate; do
    a=$(val "ir.$stage.np1.work_max" "$W/$stage.1.txt") b=$(val "ir.$stage.np$NP.work_max" "$W/$stage.$NP.txt")
    echo "efficiency_ir.$stage: $(awk -v a="$a" -v b="$b" -v p="$NP" 'BEGIN { printf "%.4f", a / (p * b) }')"
done
