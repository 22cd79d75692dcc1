#!/usr/bin/env bash
# bench/spectral.sh — how long spectral (U-SPEC) selection takes per step.
#
#   bench/spectral.sh [--points N] [--dim D] [--k K] [--anchors P] [--ranks "2"]
#
# Runs bench/spectral_bench (built with the project into LE_BUILD, default
# build/), which generates N points in D dimensions from K
# Gaussian blobs (split evenly over the ranks) and runs le_spectral_select
# with K clusters, P anchors and 5 neighbours. Prints key: value lines per
# rank count: seconds (total) and per step (slowest rank), Lloyd
# iterations, and purity against the generating blobs.
# Defaults: 130000 x 64, K 130 (0.1%), P 1000, 2 ranks.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LE_BUILD=${LE_BUILD:-$ROOT/build}
POINTS=130000 DIM=64 K=130 P=1000 RANKS="2"
while [ $# -gt 0 ]; do
    case "$1" in
        --points) POINTS=$2; shift ;;
        --dim) DIM=$2; shift ;;
        --k) K=$2; shift ;;
        --anchors) P=$2; shift ;;
        --ranks) RANKS=$2; shift ;;
        -h|--help) sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/spectral.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$LE_BUILD/bench/spectral_bench" ] || { echo "bench/spectral.sh: no $LE_BUILD/bench/spectral_bench (build first, or set LE_BUILD)" >&2; exit 1; }
BIN=$LE_BUILD/bench
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
export OPENBLAS_NUM_THREADS=1
echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)"
for np in $RANKS; do
    mpirun --oversubscribe -np "$np" "$BIN/spectral_bench" "$POINTS" "$DIM" "$K" "$P" 5
done
