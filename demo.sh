#!/usr/bin/env bash
# demo.sh — install, build and run the labelease pipeline on synthetic traces.
#
#   ./demo.sh [--traces N] [--seed S] [--np N] [--out DIR] [--no-deps]
#
#   --traces N   traces to generate (default: synth's own default)
#   --seed S     synth seed (default 1)
#   --np N       MPI ranks (default 2; more than the cores is fine)
#   --out DIR    work dir for the corpus, reports and logs (default demo-out/)
#   --no-deps    skip .ci/deps.sh (packages already installed)
#
# Installs the Debian packages (.ci/deps.sh, no Slurm), builds into build/,
# then runs each stage under `mpirun -np N build/labelease ...` in DIR:
# every stage's report goes to DIR/NAME.txt and its stderr to DIR/NAME.log.
# A stage whose command is not built yet ends the pipeline (the rest need its
# output); the summary says so. Add a stage: one line in pipeline() below.
set -euo pipefail

TRACES="" SEED=1 NP=2 OUT="" DEPS=1
usage() { sed -n '2,15p' "$0" | sed 's/^# \{0,1\}//'; }
while [ $# -gt 0 ]; do
    case "$1" in
        --traces) TRACES=$2; shift ;;
        --traces=*) TRACES=${1#*=} ;;
        --seed) SEED=$2; shift ;;
        --seed=*) SEED=${1#*=} ;;
        --np) NP=$2; shift ;;
        --np=*) NP=${1#*=} ;;
        --out) OUT=$2; shift ;;
        --out=*) OUT=${1#*=} ;;
        --no-deps) DEPS=0 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "demo.sh: unknown option '$1'" >&2; usage >&2; exit 2 ;;
    esac
    shift
done
case "$NP" in ''|*[!0-9]*|0) echo "demo.sh: --np wants a positive number" >&2; exit 2 ;; esac
case "$TRACES" in *[!0-9]*) echo "demo.sh: --traces wants a number" >&2; exit 2 ;; esac

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
OUT=${OUT:-$ROOT/demo-out}
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
# keep outputs out of git status wherever DIR is
[ -e "$OUT/.gitignore" ] || echo '*' >"$OUT/.gitignore"

t0=$(date +%s)
step() { printf '\n==> [%4ss] %s\n' "$(($(date +%s) - t0))" "$*"; }

# ---- install and build ------------------------------------------------------
cd "$ROOT"
if [ $DEPS = 1 ]; then
    step "dependencies: .ci/deps.sh"
    bash .ci/deps.sh
fi
step "build: cmake into build/"
cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >"$OUT/cmake.log" 2>&1 \
    || { cat "$OUT/cmake.log" >&2; exit 1; }
cmake --build build -j"$(nproc)" >>"$OUT/cmake.log" 2>&1 \
    || { tail -n 40 "$OUT/cmake.log" >&2; exit 1; }
LABELEASE=$ROOT/build/labelease
echo "built $LABELEASE ($("$LABELEASE" --version))"

# ---- how to launch ----------------------------------------------------------
MPIRUN=(mpirun -np "$NP")
if [ "$(id -u)" = 0 ]; then
    export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1
fi
[ "$NP" -gt "$(nproc)" ] && MPIRUN+=(--oversubscribe)
# one BLAS thread per rank unless the ranks leave cores free
export OPENBLAS_NUM_THREADS=$(( $(nproc) / NP > 0 ? $(nproc) / NP : 1 ))

# ---- stages -----------------------------------------------------------------
STATUS=()   # "name|status|seconds"
STOPPED=""
built() { "$LABELEASE" "$1" --help >/dev/null 2>&1; }

# stage NAME ARGS...: run `labelease ARGS` under mpirun in $OUT.
stage() {
    local name=$1; shift
    [ -n "$STOPPED" ] && { STATUS+=("$name|skipped (after $STOPPED)|-"); return 0; }
    if ! built "$1"; then
        step "$name: 'labelease $1' is not built yet; the pipeline stops here"
        STATUS+=("$name|not built yet|-")
        STOPPED=$name
        return 0
    fi
    step "$name: ${MPIRUN[*]} labelease $*"
    local s=$(date +%s) rc=0
    (cd "$OUT" && "${MPIRUN[@]}" "$LABELEASE" "$@" >"$name.txt" 2>"$name.log") || rc=$?
    sed 's/^/    /' "$OUT/$name.txt"
    if [ $rc != 0 ]; then
        echo "demo.sh: stage $name failed (exit $rc); $OUT/$name.log:" >&2
        tail -n 30 "$OUT/$name.log" >&2
        STATUS+=("$name|FAILED (exit $rc)|$(($(date +%s) - s))")
        summary
        exit 1
    fi
    STATUS+=("$name|ok|$(($(date +%s) - s))")
}

# ============================ the pipeline ===================================
# One line a stage, in order; each reads what the ones before wrote in $OUT.
# Stages not built yet are listed too: they run as soon as their command lands.
# The labeling is the default one (docs/labeling.md): no model, the default
# budget (100 labels, then rounds of 30 until the labels are stable: rounds()),
# labels from the corpus truth.
pipeline() {
    stage synth     synth -o corpus.h5 ${TRACES:+--traces "$TRACES"} --seed "$SEED"
    stage info      info corpus.h5
    stage select    select corpus.h5 -o reps.h5 --seed "$SEED"
    stage label     label reps.h5 --oracle corpus.h5 -o labels.csv
    rounds
    stage propagate propagate corpus.h5 "$LABELS" -o labels.h5
    stage rootcause rootcause corpus.h5 labels.h5 -o rootcause.h5
    stage eval      eval corpus.h5 labels.h5 rootcause.h5
    stage export    export corpus.h5 labels.h5 rootcause.h5 -o dataset
}
# ==============================================================================

# Later rounds, select-R then label-R, until select-R reports `stop:` (the
# labels are stable, or the cap): LABELS is then the last labelled round's file.
LABELS=labels.csv ROUNDS=1 STOP_WHY="the last round (10)"
rounds() {
    local r prev=reps.h5 stop
    for r in $(seq 2 10); do
        stage "select-$r" select corpus.h5 -o "reps-$r.h5" --seed "$SEED" --round "$r" --labels "$LABELS" \
            $([ "$r" -ge 3 ] && echo --previous "$prev")
        [ -n "$STOPPED" ] && return 0
        stop=$(sed -n 's/^stop: //p' "$OUT/select-$r.txt")
        if [ "$stop" != no ]; then
            STOP_WHY="select-$r stopped: $(sed -n 's/^stop_reason: //p' "$OUT/select-$r.txt")"
            return 0
        fi
        stage "label-$r" label "reps-$r.h5" --oracle corpus.h5 --keep "$LABELS" -o "labels-$r.csv"
        LABELS=labels-$r.csv prev=reps-$r.h5 ROUNDS=$r
    done
}

summary() {
    step "summary (work dir $OUT, $NP ranks)"
    local row name st sec
    printf '  %-10s %-28s %s\n' stage status seconds
    for row in "${STATUS[@]}"; do
        IFS='|' read -r name st sec <<<"$row"
        printf '  %-10s %-28s %s\n' "$name" "$st" "$sec"
    done
    echo "  outputs: $(cd "$OUT" && ls | tr '\n' ' ')"
}

pipeline
if [ -n "$STOPPED" ] && [ "$STOPPED" = "${STATUS[0]%%|*}" ]; then
    # nothing ran: at least show that the program starts under MPI
    step "smoke test: ${MPIRUN[*]} labelease --help"
    (cd "$OUT" && "${MPIRUN[@]}" "$LABELEASE" --help) | tee "$OUT/help.txt" | sed 's/^/    /'
fi
summary
if [ -f "$OUT/eval.txt" ]; then
    step "result"
    grep -E '^(labeled|precision|recall|f1|period_precision|period_recall|hr@1|hr@3): ' "$OUT/eval.txt" | sed 's/^/  /'
    echo "  labeling: $ROUNDS rounds, $(($(wc -l < "$OUT/$LABELS") - 1)) labels; then $STOP_WHY"
    echo "  pages to open in a browser: $OUT/reps.html, $OUT/reps-2.html, ... (labeling), $OUT/rootcause.html (root causes)"
    echo "  labeled dataset: $OUT/dataset/"
fi
echo "demo.sh: done in $(($(date +%s) - t0)) s"
