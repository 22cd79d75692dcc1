#!/usr/bin/env bash
# Fault-period rules side by side (docs/rootcause.md, issue #20): for one
# corpus, labels from the default pipeline (select, oracle labels, a second
# round, propagate: what a person gets), the ground truth
# (bench/rootcause_truth_labels.py) and the truth with 5% of the traces
# turned abnormal at random (seed 1), every trace keeping the confidence
# propagate gave it (a false positive is as sure as propagate was of its
# label); then rootcause under --periods window, --periods rate and the rate
# rule as it was before confidence weights and the support rule
# (rate-plain: --counts plain --support-z 0), and eval. One line per (rule,
# labels). LE_RULES="window rate rate-plain" chooses the rules.
#   bench/rootcause_rules.sh CORPUS.h5 [WORK_DIR] [BUILD_DIR]
# WORK_DIR keeps the labels (reused when present; default a new temp dir).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
C=${1:?usage: bench/rootcause_rules.sh CORPUS.h5 [WORK_DIR] [BUILD_DIR]}
W=${2:-$(mktemp -d /tmp/le-rules.XXXXXX)}
B=${3:-$SRC/build}/labelease
PY=/usr/bin/python3
NP=${LE_RANKS:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
run() { mpirun --oversubscribe -np "$NP" "$B" "$@"; }
mkdir -p "$W"
if [ ! -f "$W/p.h5" ]; then
    run select "$C" -o "$W/r.h5" --no-page --dump-vectors "$W/v.h5" > "$W/sel.txt"
    "$B" label "$W/r.h5" --oracle "$C" -o "$W/l.csv" > /dev/null
    run select "$C" -o "$W/r2.h5" --no-page --round 2 --labels "$W/l.csv" --vectors "$W/v.h5" > "$W/sel2.txt"
    "$B" label "$W/r2.h5" --oracle "$C" --keep "$W/l.csv" -o "$W/l2.csv" > /dev/null
    run propagate "$C" "$W/l2.csv" -o "$W/p.h5" --vectors "$W/v.h5" > /dev/null
fi
[ -f "$W/truth.h5" ] || $PY "$SRC/bench/rootcause_truth_labels.py" "$C" "$W/truth.h5" > /dev/null
if [ ! -f "$W/fp5c.h5" ]; then
    $PY - "$W/truth.h5" "$W/fp5c.h5" "$W/p.h5" <<'PY'
import shutil, sys, h5py, numpy as np
shutil.copy(sys.argv[1], sys.argv[2])
with h5py.File(sys.argv[2], "r+") as f, h5py.File(sys.argv[3], "r") as p:
    lab = f["labels/label"][:]
    normal = np.flatnonzero(lab == 0)
    pick = np.random.default_rng(1).choice(normal, size=min(len(normal), int(0.05 * len(lab))), replace=False)
    lab[pick] = 1
    f["labels/label"][:] = lab
    f["labels/confidence"][:] = p["labels/confidence"][:]
    f["labels/given"][:] = p["labels/given"][:]
PY
fi
printf '%-14s %-10s %-6s %8s %6s %8s %8s %6s %6s %6s\n' corpus rule labels periods found prec recall hr@1 hr@3 hr@3all
for rule in ${LE_RULES:-window rate rate-plain}; do
    case $rule in
    rate-plain) args=(--periods rate --counts plain --support-z 0) ;;
    *) args=(--periods "$rule") ;;
    esac
    for src in p truth fp5c; do
        run rootcause "$C" "$W/$src.h5" -o "$W/rc-$rule-$src.h5" --no-page -q "${args[@]}" > /dev/null
        run eval "$C" "$W/$src.h5" "$W/rc-$rule-$src.h5" > "$W/ev-$rule-$src.txt"
        v() { sed -n "s/^$1: //p" "$W/ev-$rule-$src.txt"; }
        printf '%-14s %-10s %-6s %8s %6s %8.3f %8.3f %6.3f %6.3f %6.3f\n' "$(basename "$C" .h5)" "$rule" \
            "$(case $src in p) echo prop ;; fp5c) echo fp5 ;; *) echo $src ;; esac)" "$(v periods)" "$(v faults_found)" "$(v period_precision)" \
            "$(v period_recall)" "$(v hr@1)" "$(v hr@3)" "$(v hr@3_all_faults)"
    done
done
