#!/usr/bin/env bash
# slurm/scaling.sh — submit a strong and a weak scaling sweep of the pipeline,
# one sbatch job (slurm/scaling.sbatch) per node count x tasks per node.
#
#   strong: the same corpus of TRACES traces at every point
#   weak:   TRACES_PER_TASK traces per task (corpus = that x tasks)
# Each job writes OUT/<mode>-n<nodes>-t<tasks>.json; then
#   python3 slurm/gather_scaling.py OUT     -> results/scaling.csv, .png
#
# Parameters (environment; empty = leave it to the site's default):
#   PARTITION, ACCOUNT        sbatch --partition / --account      []
#   TIME                      sbatch --time per job               [00:30:00]
#   NODES                     node counts, space separated        [1]
#   TASKS_PER_NODE            tasks per node, space separated     [1 2]
#   MODES                     strong and/or weak                  [strong weak]
#   TRACES                    strong scaling corpus               [20000]
#   TRACES_PER_TASK           weak scaling corpus per task        [10000]
#   OUT                       JSON directory                      [$PWD/results/scaling]
#   LABELEASE                 the binary                          [$PWD/build/labelease]
#   OVERCOMMIT=1              add --overcommit (more tasks than CPUs; such runs
#                             are marked "correctness only" in their JSON)
#   WAIT=1                    run the jobs one after another (sbatch --wait), so
#                             that they never share a node; needed on a small
#                             cluster, and for a local run
#   SBATCH_EXTRA              more sbatch options, e.g. "--exclusive --mem=0"
#   STEPS, SEED               passed to the job (train steps, seed)
set -euo pipefail
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
case "${1:-}" in -h|--help) sed -n '2,27p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;; esac

NODES=${NODES:-1} TASKS_PER_NODE=${TASKS_PER_NODE:-1 2} MODES=${MODES:-strong weak}
TRACES=${TRACES:-20000} TRACES_PER_TASK=${TRACES_PER_TASK:-10000}
OUT=${OUT:-$PWD/results/scaling} LABELEASE=${LABELEASE:-$PWD/build/labelease}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

args=(--parsable --time="${TIME:-00:30:00}" --output="$OUT/le-scaling-%j.out")
[ -n "${PARTITION:-}" ] && args+=(--partition="$PARTITION")
[ -n "${ACCOUNT:-}" ] && args+=(--account="$ACCOUNT")
[ "${OVERCOMMIT:-0}" = 1 ] && args+=(--overcommit)
[ "${WAIT:-0}" = 1 ] && args+=(--wait)
# shellcheck disable=SC2206
[ -n "${SBATCH_EXTRA:-}" ] && args+=($SBATCH_EXTRA)

for mode in $MODES; do
    for n in $NODES; do
        for t in $TASKS_PER_NODE; do
            tasks=$((n * t))
            case $mode in
                strong) traces=$TRACES ;;
                weak) traces=$((TRACES_PER_TASK * tasks)) ;;
                *) echo "scaling.sh: mode '$mode' is not strong or weak" >&2; exit 2 ;;
            esac
            echo "scaling.sh: $mode, $n node(s) x $t task(s), $traces traces"
            # --ntasks-per-node above the node's CPUs is refused even with
            # --overcommit, so overcommitted jobs give the task count only
            per_node=(--ntasks-per-node="$t")
            [ "${OVERCOMMIT:-0}" = 1 ] && per_node=()
            job=$(MODE=$mode TRACES=$traces OUT=$OUT LABELEASE=$LABELEASE \
                sbatch "${args[@]}" --job-name="le-$mode-n$n-t$t" --nodes="$n" \
                    "${per_node[@]}" --ntasks="$tasks" "$HERE/scaling.sbatch") || {
                echo "scaling.sh: job $mode n$n t$t failed; see $OUT/le-scaling-*.out" >&2; exit 1; }
            echo "  job ${job%%;*}"
        done
    done
done
echo "scaling.sh: JSON in $OUT; then: python3 $HERE/gather_scaling.py $OUT"
