#!/bin/bash
# bench/budget.sh — labels, rounds and F1 of the default pipeline (`labelease
# run`, oracle labels) under each labeling budget, on each corpus given
# (issue 19; docs/labeling.md "Budget and stopping rule").
#
#   bench/budget.sh [--np N] [--work DIR] [--budgets LIST] CORPUS...
#
#   CORPUS         synth:N (labelease synth --traces N --seed 1; the default
#                  synthetic corpus is synth:130363, 48 h and 36 faults at any N),
#                  daysD:N (synth --days D --traces N: 18 faults a day, 540 in 30),
#                  ob (Online Boutique stream), tt (TrainTicket 2023-01-29),
#                  dtl (DeepTraLog TrainTicket): the archives of
#                  ../shared/data/real (LE_SHARED=DIR for another place), ingested as
#                  bench/experiments.sh does (their truth: the visible truth of the
#                  fault list for ob and tt, the file names for dtl)
#   --budgets LIST the [select] budgets to compare, comma-separated (default
#                  "default,share=0.001"): `default` is select's default budget
#                  (rounds until the labels are stable), `share=X` budget-share = X
#                  (0.001: the paper's 0.1%, the default before issue 19, in two
#                  rounds), `budget=K` a fixed K, or any KEY=VALUE;KEY=VALUE of [select]
#   --np N         ranks (default 2)
#   --work DIR     where the run directories go (default: a temporary one,
#                  removed at the end); a corpus already made there is reused
#
# Prints one line a corpus and budget: corpus, traces, budget, labels (eval's
# labeled), rounds (selects that picked), stop (the last select's stop:),
# precision, recall, F1, seconds of the whole run; then a line a round of it
# (`  round R: picks P, disagreed D, changed_share C, stop S`: what select-R
# found about round R-1's labels). Each run's select reports are kept in
# DIR/CORPUS.BUDGET.reports/. Every run is
# `mpirun -np N labelease run CONFIG --out DIR/CORPUS` (the corpus stage is
# skipped on the second budget: the same DIR, only [select] changes).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
NP=2 WORK= BUDGETS="default,share=0.001"
while [ $# -gt 0 ]; do
    case $1 in
        --np) NP=$2; shift ;;
        --work) WORK=$2; shift ;;
        --budgets) BUDGETS=$2; shift ;;
        -h | --help) sed -n '2,28p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        -*) echo "bench/budget.sh: unknown option '$1' (--help)" >&2; exit 2 ;;
        *) break ;;
    esac
    shift
done
[ $# -gt 0 ] || { echo "bench/budget.sh: give at least one CORPUS (--help)" >&2; exit 2; }
B=${LABELEASE:-$SRC/build/labelease}
[ -x "$B" ] || { echo "bench/budget.sh: no $B (build first, or LABELEASE=...)" >&2; exit 1; }
REAL=${LE_SHARED:-$SRC/../shared}/data/real
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
if [ -z "$WORK" ]; then WORK=$(mktemp -d "${TMPDIR:-/tmp}/le-budget.XXXXXX"); trap 'rm -rf "$WORK"' EXIT; fi
mkdir -p "$WORK"
WORK=$(cd "$WORK" && pwd)
MPI=(mpirun -np "$NP")
[ "$NP" -gt "$(nproc)" ] && MPI+=(--oversubscribe)
key() { sed -n "s/^$1: //p" "$2" | head -n1; }
keyd() { local v; v=$(key "$1" "$2"); echo "${v:--}"; } # key, or - when absent

# input_section CORPUS: the [synth] or [ingest] section of the run config
input_section() {
    local d
    case $1 in
    synth:*) printf '[synth]\ntraces = %s\nseed = 1\n' "${1#synth:}" ;;
    days*:*) # daysD:N: the synthetic system over D days (18 faults a day), N traces in all
        printf '[synth]\ntraces = %s\ndays = %s\nseed = 1\n' "${1#*:}" "$(cut -d: -f1 <<< "${1#days}")" ;;
    ob | tt)
        local arch=onlineboutique-stream-2022-08-22.tar.xz
        [ "$1" = tt ] && arch=trainticket-2023-01-29.tar.xz
        d=$WORK/$1-input
        [ -d "$d" ] || { mkdir -p "$d" && tar -xJf "$REAL/$arch" -C "$d"; }
        printf '[ingest]\nformat = nezha\nfaults = %s\ninputs = %s\n' "$(echo "$d"/*/fault_list.json)" "$(echo "$d"/*/trace)" ;;
    dtl)
        d=$WORK/dtl-input
        [ -d "$d" ] || { mkdir -p "$d" && tar -xJf "$REAL/deeptralog-trainticket.tar.xz" -C "$d"; }
        printf '[ingest]\nformat = skywalking\nlabel-by-filename = ERROR_*=abnormal,SUCCESS*=normal\ninputs = %s\n' \
            "$(echo "$d"/*/)" ;;
    *) echo "bench/budget.sh: unknown corpus '$1' (synth:N, daysD:N, ob, tt, dtl)" >&2; exit 2 ;;
    esac
}

# select_section BUDGET: [select]'s keys for a --budgets item
select_section() {
    printf '[select]\nseed = 1\n'
    case $1 in
    default) ;;
    share=*) printf 'budget-share = %s\n' "${1#share=}" ;;
    budget=*) printf 'budget = %s\n' "${1#budget=}" ;;
    *) tr ';' '\n' <<< "$1" | sed 's/=/ = /' ;;
    esac
}

# rounds_of DIR: selects that picked, and the last select's stop
rounds_of() {
    local n=0 f stop=- why
    for f in "$1"/select.txt "$1"/select-[0-9]*.txt; do
        [ -f "$f" ] || continue
        [ "$(key representatives "$f")" -gt 0 ] 2> /dev/null && n=$((n + 1))
        why=$(key stop "$f")
        [ -n "$why" ] && [ "$why" != no ] && stop=$why
    done
    echo "$n $stop"
}

printf '%-16s %9s %-16s %6s %6s %-10s %9s %9s %9s %8s\n' corpus traces budget labels rounds stop precision recall f1 seconds
for c in "$@"; do
    dir=$WORK/$(tr ':' '-' <<< "$c")
    for b in ${BUDGETS//,/ }; do
        cfg=$dir.$(tr -c 'a-zA-Z0-9.\n' '_' <<< "$b").ini
        mkdir -p "$dir"
        { input_section "$c"; printf '[info]\n'; select_section "$b"; printf '[label]\nmode = oracle\n[propagate]\n[rootcause]\n[eval]\n[export]\n'; } > "$cfg"
        # rounds of an earlier budget must not count for this one
        rm -f "$dir"/select-[0-9]*.txt
        t0=$(date +%s.%N)
        "${MPI[@]}" "$B" run "$cfg" --out "$dir" > "$dir.run.txt" 2> "$dir.run.err" < /dev/null \
            || { echo "bench/budget.sh: run failed ($cfg):" >&2; tail -n 20 "$dir.run.err" >&2; exit 1; }
        t=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.0f", b - a }')
        read -r rounds stop < <(rounds_of "$dir")
        keep=$dir.$(tr -c 'a-zA-Z0-9.\n' '_' <<< "$b").reports
        rm -rf "$keep" && mkdir -p "$keep" && cp "$dir"/select*.txt "$keep"/
        e=$dir/eval.txt
        printf '%-16s %9s %-16s %6s %6s %-10s %9.4f %9.4f %9.4f %8s\n' "$c" "$(key traces "$dir/select.txt")" "$b" \
            "$(key labeled "$e")" "$rounds" "$stop" "$(key precision "$e")" "$(key recall "$e")" "$(key f1 "$e")" "$t"
        for f in "$keep"/select.txt $(ls -v "$keep"/select-[0-9]*.txt 2> /dev/null); do
            [ -f "$f" ] || continue
            printf '    round %s: picks %s, disagreed %s, changed_share %s, stop %s\n' "$(key round "$f")" \
                "$(key representatives "$f")" "$(keyd previous_disagreed "$f")" "$(keyd changed_share "$f")" \
                "$(keyd stop "$f")"
        done
    done
done
echo "# $(nproc)-core $(uname -n), $NP ranks, labelease $("$B" --version 2>/dev/null | head -n1)"
