#!/usr/bin/env bash
# bench/selprop_ab.sh — select + propagate compute of two builds, alternated
# on the same corpus, so a burst of load from other jobs costs both alike.
#
#   bench/selprop_ab.sh OLD_LABELEASE NEW_LABELEASE [REPS] [NP] [TRACES]
#   (default 5 repetitions, 2 ranks, the 130,363-trace default synth corpus)
#
# The corpus, model, embeddings and oracle labels are made with NEW; each
# repetition runs `select --representation hybrid-burst` then `propagate`
# with OLD, then with NEW. Compute is select's seconds_vectors +
# seconds_select plus propagate's seconds_vectors + seconds_propagate (rank
# 0's clock; reading the shard and writing the outputs excluded), and the
# same from the cpu_seconds_* keys (rank 0's CPU time: at 1 rank the
# figure that load from other jobs hardly moves; OLD must report them);
# the embeddings read, which newer builds report apart from the vectors
# ([cpu_]seconds_read_embeddings), is added back so both sides count it;
# each figure is the smallest over the repetitions. Also checks that both
# pick the same representatives and propagate the same labels.
set -euo pipefail
OLD=$1 NEW=$2 REPS=${3:-5} NP=${4:-2} TRACES=${5:-130363}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1
W=$(mktemp -d "${TMPDIR:-/tmp}/le-selprop.XXXXXX")
trap 'rm -rf "$W"' EXIT
le() { local b=$1 np=$2; shift 2; mpirun --oversubscribe -np "$np" "$b" "$@"; }
val() { sed -n "s/^$1: //p" "$2" | head -n1; }
le "$NEW" "$NP" synth -o "$W/c.h5" --traces "$TRACES" --seed 1 > /dev/null
le "$NEW" "$NP" train "$W/c.h5" -o "$W/m.h5" --seed 1 -q > /dev/null
le "$NEW" "$NP" embed "$W/c.h5" "$W/m.h5" -o "$W/e.h5" > /dev/null
le "$NEW" "$NP" select "$W/c.h5" "$W/e.h5" -o "$W/r.h5" --representation hybrid-burst --seed 1 --no-page > /dev/null
le "$NEW" 1 label "$W/r.h5" --oracle "$W/c.h5" -o "$W/l.csv" > /dev/null
echo "load_before: $(cut -d' ' -f1-3 /proc/loadavg)"
for r in $(seq "$REPS"); do
    for side in old new; do
        b=$OLD; [ $side = new ] && b=$NEW
        le "$b" "$NP" select "$W/c.h5" "$W/e.h5" -o "$W/r_$side.h5" --representation hybrid-burst --seed 1 --no-page > "$W/s.txt"
        le "$b" "$NP" propagate "$W/c.h5" "$W/e.h5" "$W/l.csv" -o "$W/p_$side.h5" --representation hybrid-burst > "$W/p.txt"
        for pre in "" cpu_; do
            awk -v a="$(val ${pre}seconds_vectors "$W/s.txt")" -v b="$(val ${pre}seconds_select "$W/s.txt")" \
                -v c="$(val ${pre}seconds_vectors "$W/p.txt")" -v d="$(val ${pre}seconds_propagate "$W/p.txt")" \
                -v e="$(val ${pre}seconds_read_embeddings "$W/s.txt")" -v f="$(val ${pre}seconds_read_embeddings "$W/p.txt")" \
                'BEGIN { printf "%.4f %.4f %.4f\n", a + b + e, c + d + f, a + b + c + d + e + f }' >> "$W/$side$pre.txt"
        done
    done
done
echo "load_after: $(cut -d' ' -f1-3 /proc/loadavg)"
h5diff "$W/r_old.h5" "$W/r_new.h5" /reps/trace_index > /dev/null && same_reps=yes || same_reps=no
h5diff "$W/p_old.h5" "$W/p_new.h5" /labels/label > /dev/null && same_labels=yes || same_labels=no
echo "ranks: $NP"
echo "traces: $TRACES"
echo "repetitions: $REPS"
for side in old new; do
    for pre in "" cpu_; do
        echo "${side}_${pre}select_compute_s: $(cut -d' ' -f1 "$W/$side$pre.txt" | sort -g | head -n1)"
        echo "${side}_${pre}propagate_compute_s: $(cut -d' ' -f2 "$W/$side$pre.txt" | sort -g | head -n1)"
        echo "${side}_${pre}select_propagate_compute_s: $(cut -d' ' -f3 "$W/$side$pre.txt" | sort -g | head -n1)"
    done
done
echo "same_representatives: $same_reps"
echo "same_labels: $same_labels"
