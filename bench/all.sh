#!/usr/bin/env bash
# bench/all.sh — every speed and memory figure of labelease in one run, as
# key: value lines (docs/benchmarks.md explains each key).
#
#   bench/all.sh [--quick] [--np N] [--reps R] [--build DIR] [--out FILE] [--parts "stages ratios memory"]
#
# Parts, all on corpora made here with `labelease synth --seed 1`:
#   stages   the pipeline on one corpus (130,363 traces, the default synth
#            corpus; 5,000 with --quick) at 1 and N ranks: per-stage
#            throughput, compute seconds, parallel efficiency t1 / (N tN) of
#            embed, select and propagate, select + propagate compute at N
#            ranks. select and propagate are the defaults (the tail
#            representation; select: round 1 of the default budget, 100
#            picks since issue 19, before it 0.1% of the traces);
#            compute_s.best.* is round 1 writing the vectors, round 2 and
#            propagate reading them: two selects plus propagate (the default
#            budget's later rounds, until stable, are not timed). Each timed stage runs R times (--reps;
#            3, 1 with --quick), 1 and N ranks alternating, and the smallest
#            figure is kept.
#   ratios   bench/gat.sh (embed and training step against PyTorch) and
#            bench/kmeans.sh (Lloyd iteration against faiss and
#            scikit-learn), run as they are; skipped with a message when
#            python3-torch or python3-faiss / python3-sklearn are missing.
#   memory   peak RSS per rank (the commands' peak_rss_mib_max/mean) of each
#            stage at 1e5, 1e6 and 1e7 traces on N ranks and at 1e6 on one
#            rank (1e4 and 3e4 with --quick, no 1e7), and the RSS per
#            million traces of a rank's shard fitted from them.
# --parts runs some of them (the memory part is the long one).
# Full mode saves the lines to results/bench.txt (or --out FILE); it takes
# about an hour on the 2-core development machine under load (stages and
# ratios 16 minutes, memory 42, most of it the 1e7 point: synth 7 and embed
# 19), well under half that idle, and needs about 4 GB of disk and 12 GB of
# memory at the 1e7 point. --quick takes 1 to 5 minutes on that machine
# (little to heavy load) and writes nothing but stdout.
# LE_BENCH_WORK=DIR keeps the scratch files there (default: a temp dir,
# removed after).
set -euo pipefail
SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
BUILD=$SRC/build QUICK=0 NP=2 OUT= PARTS="stages ratios memory" USER_REPS=
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) QUICK=1 ;;
        --np) NP=$2; shift ;;
        --reps) USER_REPS=$2; shift ;;
        --build) BUILD=$2; shift ;;
        --out) OUT=$2; shift ;;
        --parts) PARTS=$2; shift ;;
        -h|--help) sed -n '2,32p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/all.sh: unknown option '$1'" >&2; exit 2 ;;
    esac
    shift
done
LE=$BUILD/labelease
[ -x "$LE" ] || { echo "bench/all.sh: no $LE (build first, or give --build)" >&2; exit 1; }
[ "$NP" -ge 2 ] 2> /dev/null || { echo "bench/all.sh: --np must be at least 2" >&2; exit 2; }
[ -n "$OUT" ] || { [ "$QUICK" = 1 ] || OUT=$SRC/results/bench.txt; }
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
PY=/usr/bin/python3
if [ -n "${LE_BENCH_WORK:-}" ]; then W=$LE_BENCH_WORK; mkdir -p "$W"
else W=$(mktemp -d "${TMPDIR:-/tmp}/le-bench-all.XXXXXX"); trap 'rm -rf "$W"' EXIT; fi
if [ "$QUICK" = 1 ]; then
    TRACES=5000 REPS=1 TRAIN=(--steps 20) GAT=(512 1) KMEANS=(20000 64 50 5) SIZES="1e4 3e4" NP1_SIZE=3e4
else
    TRACES=130363 REPS=3 TRAIN=() GAT=(4096 3) KMEANS=() SIZES="1e5 1e6 1e7" NP1_SIZE=1e6
fi
if [ -n "$USER_REPS" ]; then
    [ "$USER_REPS" -ge 1 ] 2> /dev/null || { echo "bench/all.sh: --reps must be at least 1" >&2; exit 2; }
    REPS=$USER_REPS
fi
RESULTS=$W/bench.txt
: > "$RESULTS"

say() { echo "$1: $2" | tee -a "$RESULTS"; }
note() { echo "bench/all.sh: $*" >&2; }
val() { sed -n "s/^$1: //p" "$2" | head -n1; }
le() { local np=$1; shift; mpirun --oversubscribe -np "$np" "$LE" "$@"; }
# calc EXPR VAR=VALUE...: awk arithmetic, printed with 4 significant digits
calc() {
    local e=$1 a v=()
    shift
    for a in "$@"; do v+=(-v "$a"); done
    awk "${v[@]}" "BEGIN { printf \"%.4g\", $e }" < /dev/null
}
# smallest KEY value over the report files given
least() { local k=$1; shift; for f in "$@"; do val "$k" "$f"; done | sort -g | head -n1; }

say machine "$(getconf _NPROCESSORS_ONLN) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1)"
say mode "$([ "$QUICK" = 1 ] && echo quick || echo full)"
say ranks "$NP"
say load_before "$(cut -d' ' -f1-3 /proc/loadavg)"

# ---------------------------------------------------------------- stages
# reports STAGE: the report files of STAGE at $np ranks, every repetition
reports() { echo "$W"/st/"$1".$np.*.txt; }
# least_sum STAGE KEY1 KEY2: the smallest KEY1 + KEY2 over those reports
least_sum() {
    local x
    for x in $(reports "$1"); do calc "a + b" a="$(val "$2" "$x")" b="$(val "$3" "$x")"; echo; done | sort -g | head -n1
}

# pipeline NP: one run of every stage on $W/c.h5 at NP ranks, reports in
# $W/st/NAME.NP.REP.txt; the corpus and model come from the NP=1 run.
stages_once() {
    local np=$1 r=$2 d=$W/st
    local p=$d/%s.$np.$r.txt
    mkdir -p "$d"
    le "$np" synth -o "$d/c$np.h5" --traces "$TRACES" --seed 1 > "$(printf "$p" synth)"
    rm -f "$d/c$np.h5"
    le "$np" train "$W/c.h5" -o "$d/m$np.h5" --seed 1 -q "${TRAIN[@]}" > "$(printf "$p" train)"
    le "$np" embed "$W/c.h5" "$W/m.h5" -o "$d/e$np.h5" > "$(printf "$p" embed)"
    le "$np" select "$W/c.h5" -o "$d/r$np.h5" --seed 1 --no-page > "$(printf "$p" select)"
    le "$np" propagate "$W/c.h5" "$W/l.csv" -o "$d/p$np.h5" > "$(printf "$p" propagate)"
    le "$np" rootcause "$W/c.h5" "$W/p.h5" -o "$d/rc$np.h5" --no-page -q > "$(printf "$p" rootcause)"
    # the whole default labeling (docs/labeling.md): both rounds (labels of
    # round 1 from stage_part) and propagate; round 1 writes the vectors,
    # round 2 and propagate read them
    le "$np" select "$W/c.h5" -o "$d/b1$np.h5" --seed 1 --no-page --dump-vectors "$d/v$np.h5" > "$(printf "$p" select_best1)"
    le "$np" select "$W/c.h5" -o "$d/b2$np.h5" --round 2 --labels "$W/lb1.csv" --seed 1 --no-page --vectors "$d/v$np.h5" \
        > "$(printf "$p" select_best2)"
    le "$np" propagate "$W/c.h5" "$W/lb.csv" -o "$d/pb$np.h5" --vectors "$d/v$np.h5" > "$(printf "$p" propagate_best)"
    rm -f "$d/v$np.h5"
}

stage_part() {
    le "$NP" synth -o "$W/c.h5" --traces "$TRACES" --seed 1 > /dev/null
    le "$NP" train "$W/c.h5" -o "$W/m.h5" --seed 1 -q "${TRAIN[@]}" > /dev/null
    le "$NP" embed "$W/c.h5" "$W/m.h5" -o "$W/e.h5" > /dev/null
    le "$NP" select "$W/c.h5" -o "$W/b1.h5" --seed 1 --no-page > "$W/b1.txt"
    le 1 label "$W/b1.h5" --oracle "$W/c.h5" -o "$W/lb1.csv" > /dev/null
    cp "$W/lb1.csv" "$W/l.csv" # propagate's stage timing: round 1's labels
    le "$NP" propagate "$W/c.h5" "$W/l.csv" -o "$W/p.h5" > /dev/null
    le "$NP" select "$W/c.h5" -o "$W/b2.h5" --round 2 --labels "$W/lb1.csv" --seed 1 --no-page > "$W/b2.txt"
    le 1 label "$W/b2.h5" --oracle "$W/c.h5" --keep "$W/lb1.csv" -o "$W/lb.csv" > /dev/null
    K1=$(val representatives "$W/b1.txt") K2=$(val representatives "$W/b2.txt")
    local r np
    for r in $(seq "$REPS"); do
        for np in 1 "$NP"; do stages_once "$np" "$r"; done
    done
    say stage_traces "$TRACES"
    say stage_repetitions "$REPS"
    for np in 1 "$NP"; do
        # throughput: traces over the command's whole time (slowest rank)
        local s
        for s in synth embed select propagate rootcause; do
            say "traces_per_s.$s.np$np" "$(calc "t / s" t="$TRACES" s="$(least seconds_max $(reports $s))")"
        done
        say "train_step_ms.np$np" "$(calc "1000 * s / n" s="$(least seconds_max $(reports train))" n="$(val steps "$W/st/train.$np.1.txt")")"
        # compute seconds: the stage's own work, reading and writing excluded
        say "compute_s.embed.np$np" "$(least seconds_encode_max $(reports embed))"
        say "compute_s.select.np$np" "$(least_sum select seconds_vectors seconds_select)"
        say "compute_s.propagate.np$np" "$(least_sum propagate seconds_vectors seconds_propagate)"
        # the same from CPU time (rank 0): what load from other jobs hardly moves at 1 rank
        say "cpu_compute_s.select.np$np" "$(least_sum select cpu_seconds_vectors cpu_seconds_select)"
        say "cpu_compute_s.propagate.np$np" "$(least_sum propagate cpu_seconds_vectors cpu_seconds_propagate)"
        for s in vectors select kmeans_init lloyd; do say "select_seconds_$s.np$np" "$(least seconds_$s $(reports select))"; done
        for s in vectors propagate; do say "propagate_seconds_$s.np$np" "$(least seconds_$s $(reports propagate))"; done
    done
    for s in embed select propagate; do
        say "efficiency_np$NP.$s" "$(calc "a / ($NP * b)" a="$(val "compute_s.$s.np1" "$RESULTS")" b="$(val "compute_s.$s.np$NP" "$RESULTS")")"
    done
    say "select_propagate_compute_s.np$NP" \
        "$(calc "a + b" a="$(val "compute_s.select.np$NP" "$RESULTS")" b="$(val "compute_s.propagate.np$NP" "$RESULTS")")"
    # the default labeling, K1 + K2 in two rounds: both selects and the propagate
    for np in 1 "$NP"; do
        say "compute_s.best.np$np" "$(calc "a + b + c" a="$(least_sum select_best1 seconds_vectors seconds_select)" \
            b="$(least_sum select_best2 seconds_vectors seconds_select)" c="$(least_sum propagate_best seconds_vectors seconds_propagate)")"
    done
    # and the same three commands whole (slowest rank): reads and writes too,
    # among them round 1's --dump-vectors, which the compute figure leaves out
    for np in 1 "$NP"; do
        say "seconds_s.best.np$np" "$(calc "a + b + c" a="$(least seconds_max $(reports select_best1))" \
            b="$(least seconds_max $(reports select_best2))" c="$(least seconds_max $(reports propagate_best))")"
        say "dump_vectors_s.best.np$np" "$(least seconds_dump_vectors $(reports select_best1))"
    done
    say "best_labels" "$K1 + $K2"
    say "efficiency_np$NP.best" "$(calc "a / ($NP * b)" a="$(val "compute_s.best.np1" "$RESULTS")" b="$(val "compute_s.best.np$NP" "$RESULTS")")"
}

# ---------------------------------------------------------------- ratios
has_py() { "$PY" -c "import $1" > /dev/null 2>&1; }

ratio_part() {
    if has_py torch; then
        bash "$SRC/bench/gat.sh" "$BUILD" "${GAT[@]}" > "$W/gat.txt"
        local k
        for k in embed_speedup_vs_torch train_step_speedup_vs_torch embed_traces_per_s torch_embed_traces_per_s \
                 train_step_ms torch_train_step_ms; do say "$k" "$(val "$k" "$W/gat.txt")"; done
    else
        note "skipping the PyTorch ratios: $PY cannot import torch (python3-torch)"
    fi
    if has_py faiss && has_py sklearn; then
        bash "$SRC/bench/kmeans.sh" "$BUILD" "${KMEANS[@]}" > "$W/kmeans.txt"
        local k
        for k in kmeans_speedup_vs_faiss kmeans_speedup_vs_sklearn labelease_seconds_per_iteration \
                 faiss_seconds_per_iteration sklearn_seconds_per_iteration points dim k; do
            case $k in kmeans_*) say "$k" "$(val "$k" "$W/kmeans.txt")" ;; *) say "kmeans_$k" "$(val "$k" "$W/kmeans.txt")" ;; esac
        done
    else
        note "skipping the k-means ratios: $PY cannot import faiss and sklearn (python3-faiss, python3-sklearn)"
    fi
}

# ---------------------------------------------------------------- memory
MEM_STAGES="synth train embed select propagate rootcause"

# memory_point N NP: the pipeline on N traces at NP ranks, peak RSS per stage.
# select and propagate use the GAT rows (64 floats a trace): hybrid-burst's
# 313 would need 12 GB a rank at 1e7 on 2 ranks, more than this machine has.
memory_point() {
    local n=$1 np=$2 d=$W/mem
    mkdir -p "$d"
    local t=$d/$n.$np
    le "$np" synth -o "$d/c.h5" --traces "$n" --seed 1 > "$t.synth"
    le "$np" train "$d/c.h5" -o "$d/m.h5" --seed 1 --steps 20 -q > "$t.train"
    le "$np" embed "$d/c.h5" "$d/m.h5" -o "$d/e.h5" > "$t.embed"
    le "$np" select "$d/c.h5" "$d/e.h5" -o "$d/r.h5" --budget 100 --rounds 1 --max-iter 10 --seed 1 --no-page > "$t.select"
    le 1 label "$d/r.h5" --oracle "$d/c.h5" -o "$d/l.csv" > /dev/null
    le "$np" propagate "$d/c.h5" "$d/e.h5" "$d/l.csv" -o "$d/p.h5" > "$t.propagate"
    le "$np" rootcause "$d/c.h5" "$d/p.h5" -o "$d/rc.h5" --no-page -q > "$t.rootcause"
    rm -f "$d"/*.h5 "$d/l.csv"
    local s
    for s in $MEM_STAGES; do
        say "peak_rss_mib.$s.$n.np$np" "$(calc "a" a="$(val peak_rss_mib_max "$t.$s")")/$(calc "a" a="$(val peak_rss_mib_mean "$t.$s")")"
    done
}

memory_part() {
    local n
    for n in $SIZES; do memory_point "$n" "$NP"; done
    memory_point "$NP1_SIZE" 1
    # Memory a rank needs per million traces of its own shard: the slope
    # between the two largest corpora at NP ranks, whose shards differ by
    # (big - small) / NP traces; rss_shard_check compares the 1-rank run
    # (its shard is the whole NP1_SIZE corpus) with what that slope predicts.
    local big small s
    big=$(echo "$SIZES" | awk '{print $NF}') small=$(echo "$SIZES" | awk '{print $(NF-1)}')
    for s in $MEM_STAGES; do
        local a b one slope
        a=$(val "peak_rss_mib.$s.$small.np$NP" "$RESULTS" | cut -d/ -f1)
        b=$(val "peak_rss_mib.$s.$big.np$NP" "$RESULTS" | cut -d/ -f1)
        one=$(val "peak_rss_mib.$s.$NP1_SIZE.np1" "$RESULTS" | cut -d/ -f1)
        slope=$(calc "(b - a) / ((g - s) / $NP / 1e6)" a="$a" b="$b" g="$big" s="$small")
        say "rss_mib_per_1e6_shard_traces.$s" "$slope"
        say "rss_mib_np1_vs_np$NP.$s.$NP1_SIZE" "$(calc "o / t" o="$one" t="$(val "peak_rss_mib.$s.$NP1_SIZE.np$NP" "$RESULTS" | cut -d/ -f1)")"
    done
}

for part in $PARTS; do
    case $part in
        stages) stage_part ;;
        ratios) ratio_part ;;
        memory) memory_part ;;
        *) echo "bench/all.sh: unknown part '$part' (stages, ratios, memory)" >&2; exit 2 ;;
    esac
done
say load_after "$(cut -d' ' -f1-3 /proc/loadavg)"
if [ -n "$OUT" ]; then
    mkdir -p "$(dirname "$OUT")"
    { echo "# bench/all.sh$([ "$QUICK" = 1 ] && echo " --quick") --np $NP --parts \"$PARTS\", $(date -u '+%Y-%m-%d %H:%M UTC'), $(git -C "$SRC" rev-parse --short HEAD 2> /dev/null || echo '?')"
      cat "$RESULTS"; } > "$OUT"
    echo "bench/all.sh: saved $OUT" >&2
fi
