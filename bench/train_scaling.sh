#!/bin/bash
# Data-parallel training scaling: the same training (seed, steps, global
# batch) at 1 and 2 ranks on a synthetic corpus, wall time of the training
# loop as `labelease train` reports it, and a check that both models hold
# bit-identical weights (the result must not depend on the rank count).
#   bench/train_scaling.sh [BUILD_DIR] [TRACES] [STEPS] [REPS]   (default build/, 20000, 400, 3)
# 1 and 2 ranks alternate REPS times; each time is the best of its repetitions
# (a burst of load from other jobs hurts 2 ranks most: a rank that loses its
# core makes the other wait at every step).
# Prints train_seconds_np1, train_seconds_np2, train_speedup_np2 and
# weights_identical. Needs as many free cores as ranks to mean anything.
# Then memory: the peak RSS of a short 1-rank training on TRACES and on
# 20 x TRACES traces (train_maxrss_kb_TRACES): with the window pool it must
# not grow with the corpus.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
TRACES=${2:-20000}
STEPS=${3:-400}
REPS=${4:-3}
LE=$BUILD/labelease
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
MPIRUN=(mpirun --oversubscribe)
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
W=$(mktemp -d "${TMPDIR:-/tmp}/le-bench-scaling.XXXXXX")
trap 'rm -rf "$W"' EXIT
"$LE" synth -o "$W/c.h5" --traces "$TRACES" --seed 1 > /dev/null
echo "machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load_before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "traces: $TRACES"
echo "steps: $STEPS"
for r in $(seq "$REPS"); do
    for np in 1 2; do
        "${MPIRUN[@]}" -np $np "$LE" train "$W/c.h5" -o "$W/m$np.h5" --steps "$STEPS" --seed 1 -q > "$W/t$np.txt"
        sed -n 's/^seconds: //p' "$W/t$np.txt" >> "$W/s$np.txt"
    done
done
echo "load_after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "repetitions: $REPS (best of each)"
for np in 1 2; do echo "train_seconds_np$np: $(sort -g "$W/s$np.txt" | head -1)"; done
awk -v a="$(sort -g "$W/s1.txt" | head -1)" -v b="$(sort -g "$W/s2.txt" | head -1)" \
    'BEGIN { printf "train_speedup_np2: %.2f\n", a / b }'
/usr/bin/python3 - "$W/m1.h5" "$W/m2.h5" <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p, "r")["weights"][:] for p in sys.argv[1:3])
print("weights_identical:", "yes" if a.shape == b.shape and np.array_equal(a, b) else "NO")
PY
for n in "$TRACES" $((20 * TRACES)); do
    [ "$n" = "$TRACES" ] || "$LE" synth -o "$W/c.h5" --traces "$n" --seed 2 > /dev/null
    /usr/bin/time -f "train_maxrss_kb_$n: %M" "$LE" train "$W/c.h5" -o "$W/mm.h5" --steps 20 --seed 1 -q 2>&1 > /dev/null | tail -1
done
