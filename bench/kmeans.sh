#!/bin/bash
# Lloyd iteration per core: labelease k-means vs Debian's faiss and
# scikit-learn on the same data and initial centroids, in one run.
# usage: bench/kmeans.sh [BUILD_DIR] [N D K ITERS]   (default 130000 64 130 20,
# the shape of a 0.1% budget on the default synthetic corpus)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${1:-$SRC/build}
shift || true
N=${1:-130000} D=${2:-64} K=${3:-130} ITERS=${4:-20}
cmake --build "$BUILD" --target kmeans_bench > /dev/null
WORK=$(mktemp -d); trap 'rm -rf "$WORK"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
echo "machine: $(uname -n) $(lscpu | sed -n 's/^Model name: *//p')"
/usr/bin/python3 "$SRC/bench/kmeans_bench.py" "$BUILD/bench/kmeans_bench" "$WORK" "$N" "$D" "$K" "$ITERS"
