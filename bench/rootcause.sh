#!/usr/bin/env bash
# Root-cause figures for docs/rootcause.md: for each configs/experiments/rootcause-*.conf,
# the corpus (default synth, or TrainTicket 2023-01-29 ingested with its fault list),
# labels.h5 from the ground truth (bench/rootcause_truth_labels.py: exact for synth,
# the visible truth for TrainTicket, docs/rootcause.md), rootcause, eval. Results in results/rootcause.txt.
#   bench/rootcause.sh [BUILD_DIR]      (default build-rc)
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
B=${1:-$SRC/build-rc}/labelease
PY=/usr/bin/python3
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
W=$(mktemp -d /tmp/le-rootcause.XXXXXX)
trap 'rm -rf "$W"' EXIT
OUT=$SRC/results/rootcause.txt
mkdir -p "$SRC/results"
: > "$OUT"
conf() { sed -n "s/^$1=//p" "$2"; }
for c in "$SRC"/configs/experiments/rootcause-*.conf; do
    name=$(conf name "$c"); np=$(conf ranks "$c")
    case $(conf corpus "$c") in
    synth)
        [ -f "$W/synth.h5" ] || mpirun --oversubscribe -np "$np" "$B" synth -o "$W/synth.h5" $(conf synth_args "$c") > /dev/null
        corpus=$W/synth.h5 ;;
    trainticket)
        if [ ! -f "$W/tt.h5" ]; then
            tar -xJf "$SRC/../shared/data/real/trainticket-2023-01-29.tar.xz" -C "$W"
            mpirun --oversubscribe -np "$np" "$B" ingest --format nezha --faults "$W/trainticket-2023-01-29/fault_list.json" \
                -o "$W/tt.h5" "$W/trainticket-2023-01-29/trace" > /dev/null 2>&1
        fi
        corpus=$W/tt.h5 ;;
    esac
    $PY "$SRC/bench/rootcause_truth_labels.py" "$corpus" "$W/$name-labels.h5" > /dev/null
    mpirun --oversubscribe -np "$np" "$B" rootcause "$corpus" "$W/$name-labels.h5" -o "$W/$name.h5" --no-page -q \
        --periods "$(conf periods "$c")" --window "$(conf window "$c")" --gap "$(conf gap "$c")" --min-traces "$(conf min_traces "$c")" \
        --score "$(conf score "$c")" --tie "$(conf tie "$c")" > "$W/$name-rc.txt"
    mpirun --oversubscribe -np "$np" "$B" eval "$corpus" "$W/$name-labels.h5" "$W/$name.h5" > "$W/$name-eval.txt"
    {
        echo "== $name ($(basename "$c"))"
        grep -E '^(traces|truth|periods|periods_matched|faults|faults_found|period_precision|period_recall|hr@1|hr@3|hr@5):' "$W/$name-eval.txt"
        grep -E '^seconds:' "$W/$name-rc.txt" | sed 's/^/rootcause_/'
    } | tee -a "$OUT"
done
