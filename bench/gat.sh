#!/bin/bash
# GAT encoder: our embed and training step against the PyTorch reference of
# the same model, on the same traces and weights, one core each.
#   bench/gat.sh [BUILD_DIR] [TRACES]     (default build/, 4096 traces)
# Makes a synthetic corpus, trains a model briefly (so the weights are
# realistic), then `labelease embed --bench` times our forward (batches of 256
# traces) and a training step (64 triplets: forward, backward, Adam), measures
# the dense layers' GFLOP/s against OpenBLAS sgemm on the same shapes, and
# dumps the featurised traces; bench/gat_torch.py times torch on that dump.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
TRACES=${2:-4096}
LE=$BUILD/labelease
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
W=$(mktemp -d "${TMPDIR:-/tmp}/le-bench-gat.XXXXXX")
trap 'rm -rf "$W"' EXIT
"$LE" synth -o "$W/c.h5" --traces 20000 --seed 1 > /dev/null
"$LE" train "$W/c.h5" -o "$W/m.h5" --steps 50 --seed 1 -q > /dev/null
echo "machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
"$LE" embed "$W/c.h5" "$W/m.h5" --bench "$W/dump.h5" --bench-traces "$TRACES" --batch 256 | tee "$W/ours.txt"
/usr/bin/python3 "$SRC/bench/gat_torch.py" "$W/dump.h5" 256 | tee "$W/torch.txt"
v() { sed -n "s/^$1: //p" "$2"; }
awk -v a="$(v embed_traces_per_s "$W/ours.txt")" -v b="$(v torch_embed_traces_per_s "$W/torch.txt")" \
    -v c="$(v train_step_ms "$W/ours.txt")" -v d="$(v torch_train_step_ms "$W/torch.txt")" \
    'BEGIN { printf "embed_speedup_vs_torch: %.2f\ntrain_step_speedup_vs_torch: %.2f\n", a / b, d / c }'
