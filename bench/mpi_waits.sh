#!/usr/bin/env bash
# bench/mpi_waits.sh — how long each rank of one labelease command spends in
# MPI collectives (mostly waiting for the slowest rank): load imbalance made
# visible. Compiles bench/mpi_waits.c (a PMPI shim) with mpicc into a temp
# dir and runs the command with it preloaded.
#
#   bench/mpi_waits.sh NP LABELEASE-ARGS...
#   e.g. bench/mpi_waits.sh 2 select c.h5 e.h5 -o r.h5 --representation hybrid-burst --no-page
#
# Prints the command's own report, then per rank and collective
# wait_s.COLLECTIVE.rankR and calls.COLLECTIVE.rankR, and per Allreduce size
# wait_s.allreduce_COUNT.rankR (in select, k·d + k + 2 is Lloyd's allreduce:
# 40,822 doubles for k = 130, d = 313). LE_BUILD=DIR picks the build
# (default build/).
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
[ $# -ge 2 ] || { sed -n '2,16p' "$0" | sed 's/^# \{0,1\}//'; exit 2; }
NP=$1; shift
LE=${LE_BUILD:-$SRC/build}/labelease
[ -x "$LE" ] || { echo "bench/mpi_waits.sh: no $LE (build first, or set LE_BUILD)" >&2; exit 1; }
W=$(mktemp -d "${TMPDIR:-/tmp}/le-waits.XXXXXX")
trap 'rm -rf "$W"' EXIT
mpicc -O2 -shared -fPIC "$SRC/bench/mpi_waits.c" -o "$W/mpi_waits.so"
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
mpirun --oversubscribe -np "$NP" -x LD_PRELOAD="$W/mpi_waits.so" "$LE" "$@"
