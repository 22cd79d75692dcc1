#!/bin/bash
# GAT encoder: our embed and training step against the PyTorch reference of
# the same model, on the same traces and weights, one core each.
#   bench/gat.sh [BUILD_DIR] [TRACES] [REPS]   (default build/, 4096 traces, 3 repetitions)
# Makes a synthetic corpus, trains a model briefly (so the weights are
# realistic), then build/bench/gat_bench times our forward (batches of 256
# traces) and a training step (64 triplets: forward, backward, Adam), measures
# the dense layers' GFLOP/s against OpenBLAS sgemm on the same shapes, and
# dumps the featurised traces; bench/gat_torch.py times torch on that dump.
# Ours and torch alternate REPS times and each figure is the best of its
# repetitions, so a burst of load from other jobs costs both sides alike.
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
TRACES=${2:-4096}
REPS=${3:-3}
LE=$BUILD/labelease
export OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
W=$(mktemp -d "${TMPDIR:-/tmp}/le-bench-gat.XXXXXX")
trap 'rm -rf "$W"' EXIT
"$LE" synth -o "$W/c.h5" --traces 20000 --seed 1 > /dev/null
"$LE" train "$W/c.h5" -o "$W/m.h5" --steps 50 --seed 1 -q > /dev/null
echo "machine: $(getconf _NPROCESSORS_ONLN) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "load_before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$REPS"); do
    "$BUILD/bench/gat_bench" "$W/c.h5" "$W/m.h5" -o "$W/dump.h5" --traces "$TRACES" --batch 256 >> "$W/ours.txt"
    /usr/bin/python3 "$SRC/bench/gat_torch.py" "$W/dump.h5" 256 2> /dev/null >> "$W/torch.txt"
done
echo "load_after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "repetitions: $REPS (best of each figure)"
best() { sed -n "s/^$1: //p" "$2" | sort -g | if [ "$3" = max ]; then tail -1; else head -1; fi; }
for k in bench_traces bench_batch spans_per_trace train_triplets; do echo "$k: $(best $k "$W/ours.txt" max)"; done
for k in embed_traces_per_s dense_gflops sgemm_same_shape_gflops; do echo "$k: $(best $k "$W/ours.txt" max)"; done
echo "train_step_ms: $(best train_step_ms "$W/ours.txt" min)"
echo "torch_version: $(best torch_version "$W/torch.txt" max)"
echo "torch_embed_traces_per_s: $(best torch_embed_traces_per_s "$W/torch.txt" max)"
echo "torch_train_step_ms: $(best torch_train_step_ms "$W/torch.txt" min)"
awk -v a="$(best embed_traces_per_s "$W/ours.txt" max)" -v b="$(best torch_embed_traces_per_s "$W/torch.txt" max)" \
    -v c="$(best train_step_ms "$W/ours.txt" min)" -v d="$(best torch_train_step_ms "$W/torch.txt" min)" \
    -v g="$(best dense_gflops "$W/ours.txt" max)" -v s="$(best sgemm_same_shape_gflops "$W/ours.txt" max)" \
    'BEGIN { printf "dense_vs_sgemm: %.3f\nembed_speedup_vs_torch: %.2f\ntrain_step_speedup_vs_torch: %.2f\n", g / s, a / b, d / c }'
