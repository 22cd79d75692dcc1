#!/usr/bin/env bash
# bench/synth.sh — how fast `labelease synth` generates and writes, per rank.
#
#   bench/synth.sh [--traces N] [--days D] [--ranks "1 2 4"] [--out DIR]
#
# Runs `labelease synth --seed 1` (with --days D when given: N traces over D
# days, 18 faults a day) at each rank count into DIR (default a temp
# dir, removed after) and prints one line per run: ranks, traces, spans,
# seconds, generate/write seconds (slowest rank), traces/s per rank.
# LABELEASE picks the binary (default build/labelease); ranks beyond the
# cores are oversubscribed, which divides the per-rank rate accordingly.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
LABELEASE=${LABELEASE:-$ROOT/build/labelease}
TRACES=1000000 RANKS="1 2 4" OUT="" DAYS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --traces) TRACES=$2; shift ;;
        --ranks) RANKS=$2; shift ;;
        --days) DAYS=(--days "$2"); shift ;;
        --out) OUT=$2; shift ;;
        -h|--help) sed -n '2,12p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/synth.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$LABELEASE" ] || { echo "bench/synth.sh: no $LABELEASE (build first, or set LABELEASE)" >&2; exit 1; }
if [ -z "$OUT" ]; then OUT=$(mktemp -d); trap 'rm -rf "$OUT"' EXIT; fi
[ "$(id -u)" = 0 ] && export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
value() { sed -n "s/^$1: //p" "$2"; }

echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)"
echo "days: ${DAYS[1]:-2 (the default 48 hours)}"
printf '%-6s %-10s %-11s %-8s %-9s %-8s %s\n' ranks traces spans seconds generate write traces_per_s_per_rank
for np in $RANKS; do
    mpirun --oversubscribe -np "$np" "$LABELEASE" synth -o "$OUT/bench$np.h5" --traces "$TRACES" ${DAYS[@]+"${DAYS[@]}"} --seed 1 > "$OUT/bench$np.txt"
    r=$OUT/bench$np.txt
    printf '%-6s %-10s %-11s %-8s %-9s %-8s %s\n' "$np" "$(value traces "$r")" "$(value spans "$r")" \
        "$(value seconds "$r")" "$(value generate_seconds "$r")" "$(value write_seconds "$r")" \
        "$(value traces_per_s_per_rank "$r")"
    rm -f "$OUT/bench$np.h5"
done
