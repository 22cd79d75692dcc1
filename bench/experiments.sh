#!/bin/bash
# bench/experiments.sh — re-runs the LabelEase paper's evaluation (§V, RQ1-RQ5)
# and regenerates results/: per RQ a CSV (rqN-*.csv) and a PNG plot, and
# results/README.md with the paper's numbers beside ours.
#
#   bench/experiments.sh [--quick] [--only rq1,rq3,...] [--out DIR] [--build DIR]
#
#   --quick        a 5,000-trace synthetic corpus, a few training steps, one seed:
#                  every RQ end to end in a few minutes (what CI runs); writes to
#                  a new temporary directory unless --out is given, never to results/
#   --only LIST    the RQs to run (default rq1,rq2,rq3,rq4,rq5,rq6)
#   --out DIR      where the CSVs, plots and README.md go (default results/)
#   --build DIR    the build directory holding labelease (default build/)
#
# Settings: configs/experiments/experiments.conf and rqN.conf (a key in rqN.conf
# wins; with --quick, quick_KEY wins over KEY). Real-data parts (DeepTraLog,
# TrainTicket, the published TraceAnomaly scores) read ../shared/data/real and
# are skipped with a line when it is absent. Ranks: `ranks=` (2).
# Plots: gnuplot; report: bench/experiments_report.py (Debian's python3).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
QUICK=0 ONLY=rq1,rq2,rq3,rq4,rq5,rq6 OUT= BUILD=$SRC/build
while [ $# -gt 0 ]; do
    case $1 in
        --quick) QUICK=1 ;;
        --only) ONLY=$2; shift ;;
        --out) OUT=$2; shift ;;
        --build) BUILD=$2; shift ;;
        -h | --help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "bench/experiments.sh: unknown option '$1' (--help)" >&2; exit 2 ;;
    esac
    shift
done
B=$BUILD/labelease PY=/usr/bin/python3 CONF=$SRC/configs/experiments
REAL=${LE_SHARED:-$SRC/../shared}/data/real
[ -x "$B" ] || { echo "bench/experiments.sh: no $B (build first, or --build DIR)" >&2; exit 1; }
command -v gnuplot > /dev/null || { echo "bench/experiments.sh: gnuplot is missing (.ci/deps.sh --tests installs gnuplot-nox)" >&2; exit 1; }
for rq in ${ONLY//,/ }; do
    [ -f "$CONF/$rq.conf" ] || { echo "bench/experiments.sh: --only: no $CONF/$rq.conf" >&2; exit 2; }
done
if [ -z "$OUT" ]; then
    if [ $QUICK = 1 ]; then OUT=$(mktemp -d "${TMPDIR:-/tmp}/le-experiments.XXXXXX"); else OUT=$SRC/results; fi
fi
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)
W=$(mktemp -d "${TMPDIR:-/tmp}/le-exp-work.XXXXXX")
trap 'rm -rf "$W"' EXIT
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
T0=$(date +%s)
log() { echo "[$(date +%H:%M:%S) +$(($(date +%s) - T0))s] $*" >&2; }

# get KEY [RQ]: quick_KEY (in --quick) or KEY, from rqN.conf then experiments.conf
get() {
    local f k
    for f in ${2:+"$CONF/$2.conf"} "$CONF/experiments.conf"; do
        for k in $([ $QUICK = 1 ] && echo "quick_$1") "$1"; do
            if grep -q "^$k=" "$f"; then sed -n "s/^$k=//p" "$f" | head -n1; return; fi
        done
    done
}
NP=$(get ranks) REPR=$(get representation) SEEDS=$(get seeds)
SEED1=${SEEDS%% *}
le() { mpirun --oversubscribe -np "$NP" "$B" "$@" < /dev/null; }
key() { sed -n "s/^$1: //p" "$2" | head -n1; }
have_real() { [ -f "$REAL/$1" ]; }
SYNTH_NAME="synth($(get synth | sed 's/--traces //'))"

# --- corpora and embeddings, made once per run -------------------------------
real_input() { # real_input KEY DIR: the archive of experiments.conf KEY unpacked once into $W/DIR
    [ -d "$W/$2" ] || { mkdir -p "$W/$2" && tar -xJf "$REAL/$(get "$1")" -C "$W/$2"; }
}
corpus() { # corpus NAME SEED -> path of the corpus (synth, deeptralog, trainticket, onlineboutique)
    local c=$W/$1-$2.h5
    if [ ! -f "$c" ]; then
        case $1 in
        synth) read -r -a a <<< "$(get synth)"; log "synth ${a[*]} --seed $2"
            le synth "${a[@]}" --seed "$2" -o "$c" > /dev/null ;;
        deeptralog) log "ingest DeepTraLog"
            mkdir -p "$W/dtl" && tar -xJf "$REAL/$(get deeptralog)" -C "$W/dtl"
            read -r -a a <<< "$(get deeptralog_ingest)"
            le ingest "${a[@]}" -o "$c" "$W"/dtl/*/ > /dev/null 2> "$W/dtl-ingest.err" ;;
        trainticket) log "ingest TrainTicket"
            real_input trainticket tt
            le ingest --format nezha --faults "$W"/tt/*/fault_list.json -o "$c" "$W"/tt/*/trace > /dev/null 2> "$W/tt-ingest.err" ;;
        onlineboutique) log "ingest Online Boutique stream"
            real_input onlineboutique ob
            le ingest --format nezha --faults "$W"/ob/*/fault_list.json -o "$c" "$W"/ob/*/trace > /dev/null 2> "$W/ob-ingest.err" ;;
        esac
    fi
    echo "$c"
}
embeddings() { # embeddings NAME SEED -> embeddings path; model seconds in $W/NAME-SEED.model
    local c e=$W/$1-$2-e.h5
    c=$(corpus "$1" "$2")
    if [ ! -f "$e" ]; then
        read -r -a a <<< "$(get train)"
        log "train + embed $1 seed $2"
        le train "$c" -o "$W/$1-$2-m.h5" --seed "$2" ${a[@]+"${a[@]}"} > "$W/train.txt" 2> /dev/null
        le embed "$c" "$W/$1-$2-m.h5" -o "$e" > "$W/embed.txt"
        awk -v a="$(key seconds "$W/train.txt")" -v b="$(key seconds "$W/embed.txt")" 'BEGIN { printf "%.2f\n", a + b }' > "$W/$1-$2.model"
    fi
    echo "$e"
}
needs_model() { case $1 in gat | hybrid | hybrid-burst | hybrid-burst-count) return 0 ;; esac; return 1; }
# later_rounds K: what the default two rounds leave to round 2 of a budget of
# K (algos/propagate.h le_round_budget: round 1 takes K - round(0.4 K))
later_rounds() { awk -v k="$1" 'BEGIN { printf "%d", int(0.4 * k + 0.5) }'; }

# label_run NAME SEED REPR METHOD K [K2]: sets LR to a file holding
# "labeled precision recall f1 s_select s_propagate s_model";
# propagated labels kept as $W/runs/NAME-SEED-REPR-METHOD-K[-K2].h5.
# With K2, the K labels are spent in two rounds: K - K2 by METHOD, then K2 by
# `select --round 2` where the first labels are least certain.
label_run() {
    local id=$1-$2-$3-$4-$5${6:+-$6} c e=- m=0 k1=$(($5 - ${6:-0}))
    local r=$W/runs/$id
    mkdir -p "$W/runs"
    if [ ! -f "$r.txt" ]; then
        c=$(corpus "$1" "$2")
        if needs_model "$3"; then e=$(embeddings "$1" "$2"); m=$(cat "$W/$1-$2.model"); fi
        log "label $id"
        le select "$c" "$e" -o "$W/reps.h5" --representation "$3" --method "$4" --budget "$5" --picks "$k1" --seed "$2" --no-page > "$W/sel.txt"
        "$B" label "$W/reps.h5" --oracle "$c" -o "$W/l.csv" > /dev/null < /dev/null
        if [ -n "${6:-}" ]; then
            le select "$c" "$e" -o "$W/reps2.h5" --representation "$3" --round 2 --labels "$W/l.csv" --budget "$5" --picks "$6" \
                --seed "$2" --no-page > "$W/sel2.txt"
            "$B" label "$W/reps2.h5" --oracle "$c" --keep "$W/l.csv" -o "$W/l2.csv" > /dev/null < /dev/null
            mv "$W/l2.csv" "$W/l.csv"
            awk -v a="$(key seconds_select "$W/sel.txt")" -v b="$(key seconds_select "$W/sel2.txt")" \
                'BEGIN { printf "seconds_select: %.3f\n", a + b }' > "$W/sel.txt"
        fi
        le propagate "$c" "$e" "$W/l.csv" -o "$r.h5" --representation "$3" > "$W/prop.txt"
        le eval "$c" "$r.h5" > "$W/eval.txt"
        echo "$(key labeled "$W/eval.txt") $(key precision "$W/eval.txt") $(key recall "$W/eval.txt") $(key f1 "$W/eval.txt")" \
            "$(key seconds_select "$W/sel.txt") $(key seconds_propagate "$W/prop.txt") $m" > "$r.txt"
    fi
    LR=$r.txt
}
pipeline_cmd() { # the commands behind a label_run row: REPR METHOD K SEED [K2]
    if [ -n "${5:-}" ]; then
        echo "select --representation $1 --method $2 --budget $3 --picks $(($3 - $5)) --seed $4; label --oracle;" \
            "select --round 2 --labels L --budget $3 --picks $5; label --oracle; propagate --representation $1; eval"
    else
        echo "select --representation $1 --method $2 --budget $3 --picks $3 --seed $4; label --oracle; propagate --representation $1; eval"
    fi
}
# Corpora of the labeling RQs: the synthetic one per seed, DeepTraLog once.
label_corpora() {
    local s
    for s in $SEEDS; do echo "synth $s"; done
    if have_real "$(get deeptralog)"; then echo "deeptralog 1"; else
        echo "skip: DeepTraLog rows of $1 ($REAL/$(get deeptralog) is absent)" >&2; fi
}
corpus_label() { if [ "$1" = synth ]; then echo "$SYNTH_NAME"; else echo "$1(5263)"; fi; }
budgets() { get "$1_budgets" "$2"; }
csv_row() { local IFS=,; echo "$*"; }

# --- RQ1: LabelEase against baselines ----------------------------------------
rq1() {
    local f=$OUT/rq1-baselines.csv name seed k k2 c t r
    echo "corpus,seed,ranks,approach,labels,precision,recall,f1,seconds,command" > "$f"
    while read -r name seed; do
        for k in $(budgets "$name" rq1); do
            # the default labeling: the tail representation, two rounds
            k2=$(later_rounds "$k")
            label_run "$name" "$seed" "$REPR" kmeans "$k" "$k2"
            read -r lab p r f1 ss sp _ < "$LR"
            csv_row "$(corpus_label "$name")" "$seed" "$NP" "LabelEase (default: $REPR; $((k - k2)) + $k2 in 2 rounds)" "$lab" "$p" "$r" "$f1" \
                "$(awk -v a="$ss" -v b="$sp" 'BEGIN { printf "%.3f", a + b }')" "$(pipeline_cmd "$REPR" kmeans "$k" "$seed" "$k2")" >> "$f"
        done
        c=$(corpus "$name" "$seed")
        t=$(date +%s.%N)
        $PY "$SRC/bench/rule_baseline.py" "$c" > "$W/rule.txt"
        t=$(awk -v a="$t" -v b="$(date +%s.%N)" 'BEGIN { printf "%.3f", b - a }')
        csv_row "$(corpus_label "$name")" "$seed" 1 "rule (error or root > normal p99)" 0 "$(key precision "$W/rule.txt")" \
            "$(key recall "$W/rule.txt")" "$(key f1 "$W/rule.txt")" "$t" "bench/rule_baseline.py CORPUS" >> "$f"
        for r in all normal; do
            $PY "$SRC/bench/stv_3sigma.py" "$c" --reference "$r" > "$W/3s.txt"
            csv_row "$(corpus_label "$name")" "$seed" 1 "STV 3-sigma (stats: $r traces)" 0 "$(key precision "$W/3s.txt")" \
                "$(key recall "$W/3s.txt")" "$(key f1 "$W/3s.txt")" "$(key seconds "$W/3s.txt")" \
                "bench/stv_3sigma.py CORPUS --reference $r" >> "$f"
        done
    done < <(label_corpora rq1)
    if have_real "$(get traceanomaly_scores)"; then
        for t in best-f1 normal-tail; do
            $PY "$SRC/bench/traceanomaly_scores.py" "$REAL/$(get traceanomaly_scores)" --threshold "$t" > "$W/ta.txt"
            csv_row "deeptralog(3345 scored)" - - "TraceAnomaly published scores ($t threshold)" 0 "$(key precision "$W/ta.txt")" \
                "$(key recall "$W/ta.txt")" "$(key f1 "$W/ta.txt")" - \
                "bench/traceanomaly_scores.py ../shared/data/real/$(get traceanomaly_scores) --threshold $t" >> "$f"
        done
    else echo "skip: RQ1 TraceAnomaly scores ($REAL/$(get traceanomaly_scores) is absent)" >&2; fi
}

# --- RQ2 / RQ3: one label_run per representation or selection method ---------
# sweep RQ FILE COLUMN VALUES...: rows of label_run over the values, as the
# representation (RQ2, k-means) or the method (RQ3, default representation)
sweep() {
    local rq=$1 f=$2 col=$3 name seed k v rep met; shift 3
    echo "corpus,seed,ranks,$col,labels,precision,recall,f1,seconds_select,seconds_propagate,seconds_model,command" > "$f"
    while read -r name seed; do
        for k in $(budgets "$name" "$rq"); do
            for v in "$@"; do
                if [ "$col" = representation ]; then rep=$v met=kmeans; else rep=$REPR met=$v; fi
                label_run "$name" "$seed" "$rep" "$met" "$k"
                read -r lab p r f1 ss sp sm < "$LR"
                csv_row "$(corpus_label "$name")" "$seed" "$NP" "$v" "$lab" "$p" "$r" "$f1" "$ss" "$sp" "$sm" \
                    "$(pipeline_cmd "$rep" "$met" "$k" "$seed")" >> "$f"
            done
        done
    done < <(label_corpora "$rq")
}
rq2() { sweep rq2 "$OUT/rq2-representation.csv" representation $(get representations rq2); }
rq3() { sweep rq3 "$OUT/rq3-selection.csv" method $(get methods rq3); }

# --- RQ4: F1 against labels, and against extra rounds -------------------------
rq4() {
    local f=$OUT/rq4-labels.csv g=$OUT/rq4-rounds.csv name seed k c e
    echo "corpus,seed,ranks,labels,precision,recall,f1,seconds_select,command" > "$f"
    while read -r name seed; do
        for k in $(budgets "$name" rq4); do
            label_run "$name" "$seed" "$REPR" kmeans "$k" "$(later_rounds "$k")"
            read -r lab p r f1 ss _ < "$LR"
            csv_row "$(corpus_label "$name")" "$seed" "$NP" "$lab" "$p" "$r" "$f1" "$ss" \
                "$(pipeline_cmd "$REPR" kmeans "$k" "$seed" "$(later_rounds "$k")")" >> "$f"
        done
    done < <(label_corpora rq4)
    echo "corpus,seed,ranks,representation,labels,rounds_f1,larger_k_f1,command" > "$g"
    c=$(corpus synth "$SEED1"); e=$(embeddings synth "$SEED1")
    local k0 step n
    k0=$(get rounds_k0 rq4) step=$(get rounds_step rq4) n=$(get rounds rq4)
    log "rounds synth seed $SEED1"
    LABELEASE=$B LE_REPRESENTATION=$REPR bash "$SRC/bench/rounds.sh" "$c" "$e" "$NP" "$k0" "$step" "$n" | tail -n +2 |
        while read -r lab rf kf; do
            csv_row "$SYNTH_NAME" "$SEED1" "$NP" "$REPR" "$lab" "$rf" "$kf" \
                "LE_REPRESENTATION=$REPR bench/rounds.sh CORPUS EMB $NP $k0 $step $n" >> "$g"
        done
}

# --- RQ5: fault periods and root-cause hit rates ------------------------------
# Per corpus of rq5.conf `corpora` (synth:N is the synthetic corpus of N traces,
# seed 1, same 48 h and faults at every N; a real corpus is a key of
# experiments.conf), the default pipeline (`labelease run`, oracle labels, no
# option but the input) propagates the labels, and every rule of `rules` ranks
# from them and from the truth labels (bench/rootcause_truth_labels.py: exact
# for synth, the visible truth for the fault-list corpora).
# rq5_run CORPUS -> a `labelease run` directory with the defaults
rq5_run() {
    local d=$W/rq5-${1/:/-} dir
    if [ ! -f "$d/eval.txt" ]; then
        mkdir -p "$d"
        case $1 in
        synth:*) printf '[synth]\ntraces = %s\nseed = %s\n' "${1#synth:}" "$SEED1" > "$d/run.ini" ;;
        *) case $1 in onlineboutique) dir=ob ;; trainticket) dir=tt ;; esac
            real_input "$1" "$dir"
            printf '[ingest]\nformat = nezha\nfaults = %s\ninputs = %s\n' \
                "$(echo "$W/$dir"/*/fault_list.json)" "$(echo "$W/$dir"/*/trace)" > "$d/run.ini" ;;
        esac
        printf '[label]\nmode = oracle\n' >> "$d/run.ini"
        log "labelease run $1 (defaults, oracle labels)"
        le run "$d/run.ini" --out "$d" -q > /dev/null
    fi
    echo "$d"
}
# rc_row NAME CORPUS LABELS.h5 LABELS_FROM LABELS F1 RULE
rc_row() {
    local args
    read -r -a args <<< "$(get "rule_$7" rq5)"
    log "rootcause $1 $7 ($4)"
    le rootcause "$2" "$3" -o "$W/rc.h5" --no-page -q ${args[@]+"${args[@]}"} > "$W/rc.txt"
    le eval "$2" "$3" "$W/rc.h5" > "$W/rce.txt"
    csv_row "$1" "$NP" "$4" "$5" "$6" "$7" "$(key periods "$W/rce.txt")" "$(key faults "$W/rce.txt")" \
        "$(key faults_found "$W/rce.txt")" "$(key period_precision "$W/rce.txt")" "$(key period_recall "$W/rce.txt")" \
        "$(key hr@1 "$W/rce.txt")" "$(key hr@3 "$W/rce.txt")" "$(key hr@5 "$W/rce.txt")" "$(key seconds "$W/rc.txt")" \
        "labelease run (defaults); rootcause ${args[*]:-(defaults)}; eval" >> "$OUT/rq5-rootcause.csv"
}
rq5() {
    local name d n rule
    echo "corpus,ranks,abnormal_from,labels,label_f1,rule,periods,faults,faults_found,period_precision,period_recall,hr@1,hr@3,hr@5,seconds,command" > "$OUT/rq5-rootcause.csv"
    for name in $(get corpora rq5); do
        case $name in synth:*) ;; *)
            if ! have_real "$(get "$name")"; then echo "skip: RQ5 $name ($REAL/$(get "$name") is absent)" >&2; continue; fi ;;
        esac
        d=$(rq5_run "$name")
        n=$("$B" info "$d/corpus.h5" | sed -n 's/^traces: //p')
        $PY "$SRC/bench/rootcause_truth_labels.py" "$d/corpus.h5" "$W/rq5truth.h5" > /dev/null
        for rule in $(get rules rq5); do
            rc_row "${name%%:*}($n)" "$d/corpus.h5" "$W/rq5truth.h5" truth 0 1 "$rule"
            rc_row "${name%%:*}($n)" "$d/corpus.h5" "$d/labels.h5" "default pipeline" "$(key labeled "$d/eval.txt")" \
                "$(key f1 "$d/eval.txt")" "$rule"
        done
    done
}

# --- RQ6: real fault-injection streams under the visible truth ----------------
# Per corpus (the Online Boutique stream, the development set; TrainTicket
# 2023-01-29, root cause only: its 38 visible traces are about the chance
# rate) and budget share: every representation (one seed), and the default
# pipeline -- `labelease run` with a config that sets only the inputs, the
# fault list, the budget and oracle labels -- over the seeds. Each row adds
# root cause from its propagated labels; the truth's own hr@k is per corpus.
rc_eval() { # rc_eval CORPUS LABELS.h5 -> "hr@1 hr@3" of rootcause with the defaults
    le rootcause "$1" "$2" -o "$W/rq6rc.h5" --no-page -q > /dev/null
    le eval "$1" "$2" "$W/rq6rc.h5" > "$W/rq6rce.txt"
    echo "$(key hr@1 "$W/rq6rce.txt") $(key hr@3 "$W/rq6rce.txt")"
}
default_run() { # default_run NAME SEED K -> $W/def-NAME-SEED-K (a labelease run directory)
    local d=$W/def-$1-$2-$3 arch dir
    case $1 in onlineboutique) dir=ob ;; trainticket) dir=tt ;; esac
    if [ ! -f "$d/eval.txt" ]; then
        corpus "$1" 1 > /dev/null # unpacks the input
        mkdir -p "$d"
        printf '[ingest]\nformat = nezha\nfaults = %s\ninputs = %s\n[select]\nbudget = %s\nseed = %s\n[label]\nmode = oracle\n' \
            "$(echo "$W/$dir"/*/fault_list.json)" "$(echo "$W/$dir"/*/trace)" "$3" "$2" > "$d/run.ini"
        log "labelease run $1 seed $2 budget $3"
        le run "$d/run.ini" --out "$d" -q > /dev/null
    fi
    echo "$d"
}
rq6() {
    local f=$OUT/rq6-real.csv name n c t share k rep s d hr ht tt sd
    echo "corpus,truth,seed,ranks,approach,budget_share,labels,precision,recall,f1,hr@1,hr@3,hr@1_truth,hr@3_truth,seconds,command" > "$f"
    for name in $(get corpora rq6); do
        if ! have_real "$(get "$name")"; then echo "skip: RQ6 $name ($REAL/$(get "$name") is absent)" >&2; continue; fi
        c=$(corpus "$name" 1)
        n=$("$B" info "$c" | sed -n 's/^traces: //p')
        $PY "$SRC/bench/rootcause_truth_labels.py" "$c" "$W/rq6truth-$name.h5" > /dev/null
        ht=$(rc_eval "$c" "$W/rq6truth-$name.h5")
        for share in $(get budget_shares rq6); do
            k=$(awk -v n="$n" -v s="$share" 'BEGIN { k = int(n * s + 0.5); print (k < 10 ? 10 : k) }')
            for rep in $(get representations rq6); do
                label_run "$name" 1 "$rep" kmeans "$k"
                read -r lab p r f1 ss sp _ < "$LR"
                hr=$(rc_eval "$c" "${LR%.txt}.h5")
                csv_row "$name($n)" visible 1 "$NP" "$rep" "$share" "$lab" "$p" "$r" "$f1" $hr $ht \
                    "$(awk -v a="$ss" -v b="$sp" 'BEGIN { printf "%.3f", a + b }')" "$(pipeline_cmd "$rep" kmeans "$k" 1)" >> "$f"
            done
            for s in $(get default_seeds rq6); do
                d=$(default_run "$name" "$s" "$k")
                sd=$(awk -v a="$(key seconds_select "$d/select.txt")" -v b="$(key seconds_propagate "$d/propagate.txt")" \
                    'BEGIN { printf "%.3f", a + b }')
                csv_row "$name($n)" visible "$s" "$NP" "default (labelease run)" "$share" "$(key labeled "$d/eval.txt")" \
                    "$(key precision "$d/eval.txt")" "$(key recall "$d/eval.txt")" "$(key f1 "$d/eval.txt")" \
                    "$(key hr@1 "$d/eval.txt")" "$(key hr@3 "$d/eval.txt")" $ht "$sd" \
                    "labelease run (config: [ingest] format nezha + faults + inputs; [select] budget $k seed $s; [label] mode oracle)" >> "$f"
            done
        done
    done
}

for rq in ${ONLY//,/ }; do
    log "== $rq"
    "$rq"
done
T1=$(date +%s)
if [ "$ONLY" != rq1,rq2,rq3,rq4,rq5,rq6 ] && [ -f "$OUT/rq-run.txt" ]; then
    # a partial re-run keeps the record of the whole run and adds a line
    echo "rerun: $ONLY started $(date -u -d "@$T0" '+%Y-%m-%d %H:%M UTC') at commit" \
        "$(git -C "$SRC" rev-parse --short HEAD 2> /dev/null || echo unknown), $((T1 - T0)) s," \
        "load average at the end $(cut -d' ' -f1-3 /proc/loadavg)" >> "$OUT/rq-run.txt"
else {
    echo "mode: $([ $QUICK = 1 ] && echo quick || echo full)"
    echo "only: $ONLY"
    echo "ranks: $NP"
    echo "seconds: $((T1 - T0))"
    echo "started: $(date -u -d "@$T0" '+%Y-%m-%d %H:%M UTC')"
    echo "machine: $(nproc) cores, $(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n1), $(. /etc/os-release && echo "$PRETTY_NAME")"
    echo "load_average_at_end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "commit: $(git -C "$SRC" rev-parse --short HEAD 2> /dev/null || echo unknown)"
} > "$OUT/rq-run.txt"
fi
$PY "$SRC/bench/experiments_report.py" "$OUT" "$CONF/paper-numbers.csv"
log "done: $OUT ($((T1 - T0)) s)"
