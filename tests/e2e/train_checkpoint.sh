#!/bin/bash
# train --checkpoint: interrupted and resumed runs end with the weights of an
# uninterrupted one, bit for bit, at the same and at another rank count.
#   A  60 steps at 2 ranks, uninterrupted (no checkpoint)
#   B  2 ranks, stopped after step 25 (a real SIGUSR1 raised in rank 0 right
#      after its progress line of step 24, by the preloaded test shim
#      tests/shim/raise_after.c), exit 75 and a checkpoint; resumed at 2 ranks
#   C  1 rank, stopped after step 25; resumed at 4 ranks (oversubscribed)
#   D  2 ranks under mpirun, a real SIGUSR1 to the mpirun pid once the log
#      shows progress: exit 75, checkpoint; resumed at 2 ranks
#   E  2 ranks, SIGTERM to one rank only: exit 75, checkpoint; resumed at 1 rank
# The pool (2 of 6 windows, moving every 10 steps) moves across the stop.
# /weights of A, B, C, D, E must be identical (h5diff, no tolerance), and so
# must the training record (final_loss: the progress sums are checkpointed
# too). Also: a checkpoint of another --seed or another corpus is refused
# naming the field; a stale FILE.partial (a writer killed mid-write) is
# never taken for a checkpoint; a signal without --checkpoint exits 75
# saying nothing was saved; a finished run's checkpoint only rewrites the
# model.
source "$(dirname "$0")/lib.bash"
command -v h5diff > /dev/null || skip "h5diff is absent (apt-get install hdf5-tools)"
run_le 1 synth -o "$WORK/c.h5" --traces 3000 --seed 3 > /dev/null
OPTS=(--steps 60 --window 512 --pool 2 --pool-steps 10 --seed 5 --log-every 10)
train() { local np=$1; shift; run_le "$np" train "$WORK/c.h5" "${OPTS[@]}" "$@"; }
# train_stopped NP STEP ARGS...: train, with SIGUSR1 raised in rank 0 once it
# has printed step STEP-1's progress line (--log-every 1), so the signal rides
# in step STEP's allreduce and training stops at that step's end
[ -f "${LE_RAISE_SHIM:-}" ] || fail "no test shim (LE_RAISE_SHIM='${LE_RAISE_SHIM:-}'): build the tests"
shim_env=(-x LD_PRELOAD="$LE_RAISE_SHIM")
# an ASan build wants its runtime first in the library list; the shim only
# passes vfprintf through to it
ldd "$LABELEASE" | grep -q libasan && shim_env+=(-x ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0")
train_stopped() {
    local np=$1 step=$2; shift 2
    $LE_MPIEXEC -np "$np" "${shim_env[@]}" -x LE_RAISE_AFTER_TEXT="train: step $((step - 1))/60 " \
        "$LABELEASE" train "$WORK/c.h5" "${OPTS[@]}" --log-every 1 "$@"
}
same_weights() { # same_weights A B WHAT
    h5diff -q "$1" "$2" /weights /weights || fail "$3: /weights differ from the uninterrupted run ($1 vs $2)"
    h5diff "$1" "$2" > "$WORK/h5diff.txt" || fail "$3: the model files differ beyond /weights: $(cat "$WORK/h5diff.txt")"
}

train 2 -o "$WORK/A.h5" > "$WORK/A.txt"
expect steps 60 "$WORK/A.txt"

# B: 2 ranks, stop after step 25, resume at 2 ranks
rc=0; train_stopped 2 25 -o "$WORK/B.h5" --checkpoint "$WORK/B.ck" --checkpoint-every 7 \
    > /dev/null 2> "$WORK/B1.err" || rc=$?
[ "$rc" = 75 ] || fail "B: interrupted train exited $rc, expected 75: $(cat "$WORK/B1.err")"
grep -q "interrupted by SIGUSR1 after step 25/60; checkpoint $WORK/B.ck written; re-run the same command to resume" "$WORK/B1.err" \
    || fail "B: no clear interruption message: $(cat "$WORK/B1.err")"
[ -f "$WORK/B.ck" ] && [ ! -e "$WORK/B.h5" ] && [ ! -e "$WORK/B.ck.partial" ] || fail "B: expected B.ck only, got: $(ls "$WORK")"
[ "$(h5dump -a next_step "$WORK/B.ck" | grep '(0)' | tr -d ' ')" = "(0):25" ] || fail "B: the checkpoint is not at step 25"
train 2 -o "$WORK/B.h5" --checkpoint "$WORK/B.ck" --checkpoint-every 7 > "$WORK/B.txt" 2> "$WORK/B2.err"
grep -q "resuming from $WORK/B.ck at step 26/60 (25 done)" "$WORK/B2.err" || fail "B: no resume line: $(cat "$WORK/B2.err")"
expect resumed_at_step 25 "$WORK/B.txt"
same_weights "$WORK/A.h5" "$WORK/B.h5" "B (2 ranks -> 2 ranks)"

# C: 1 rank, stop after step 25, resume at 4 ranks; a stale C.ck.partial
# (as a writer killed by kill -9 leaves it) is overwritten, never read
echo "half a checkpoint" > "$WORK/C.ck.partial"
rc=0; train_stopped 1 25 -o "$WORK/C.h5" --checkpoint "$WORK/C.ck" > /dev/null 2> "$WORK/C1.err" || rc=$?
[ "$rc" = 75 ] || fail "C: interrupted train exited $rc, expected 75: $(cat "$WORK/C1.err")"
grep -q "no checkpoint at $WORK/C.ck yet" "$WORK/C1.err" || fail "C: the stale .partial was taken for a checkpoint: $(cat "$WORK/C1.err")"
[ ! -e "$WORK/C.ck.partial" ] || fail "C: C.ck.partial left behind"
train 4 -o "$WORK/C.h5" --checkpoint "$WORK/C.ck" > "$WORK/C.txt" 2> "$WORK/C2.err"
expect resumed_at_step 25 "$WORK/C.txt"
expect ranks 4 "$WORK/C.txt"
same_weights "$WORK/A.h5" "$WORK/C.h5" "C (1 rank -> 4 ranks)"

# D: a real SIGUSR1 to mpirun, which forwards it to the ranks
$LE_MPIEXEC -np 2 "$LABELEASE" train "$WORK/c.h5" "${OPTS[@]}" --log-every 1 -o "$WORK/D.h5" --checkpoint "$WORK/D.ck" \
    > /dev/null 2> "$WORK/D1.err" &
pid=$!
for _ in $(seq 2400); do grep -q "step 3/60" "$WORK/D1.err" && break; sleep 0.05; done
grep -q "step 3/60" "$WORK/D1.err" || { kill $pid; fail "D: no progress line after 120 s: $(cat "$WORK/D1.err")"; }
kill -USR1 $pid
rc=0; wait $pid || rc=$?
[ "$rc" = 75 ] || fail "D: train sent SIGUSR1 exited $rc, expected 75 (did it finish first?): $(tail -5 "$WORK/D1.err")"
grep -q "interrupted by SIGUSR1 after step [0-9]*/60; checkpoint $WORK/D.ck written" "$WORK/D1.err" || fail "D: no interruption message"
at=$(sed -n 's|.*interrupted by SIGUSR1 after step \([0-9]*\)/60.*|\1|p' "$WORK/D1.err" | head -n 1) # every rank says it
train 2 -o "$WORK/D.h5" --checkpoint "$WORK/D.ck" > "$WORK/D.txt" 2> "$WORK/D2.err"
expect resumed_at_step "$at" "$WORK/D.txt"
same_weights "$WORK/A.h5" "$WORK/D.h5" "D (SIGUSR1 at step $at, 2 ranks -> 2 ranks)"

# E: SIGTERM (preemption, scancel) to one rank only: the ranks agree through
# the step's allreduce, checkpoint, exit 75; resumed at 1 rank
$LE_MPIEXEC -np 2 "$LABELEASE" train "$WORK/c.h5" "${OPTS[@]}" --log-every 1 -o "$WORK/E.h5" --checkpoint "$WORK/E.ck" \
    > /dev/null 2> "$WORK/E1.err" &
pid=$!
for _ in $(seq 2400); do grep -q "step 3/60" "$WORK/E1.err" && break; sleep 0.05; done
rank=$(pgrep -P $pid -f "train $WORK/c.h5" | head -n1)
[ -n "$rank" ] || { kill $pid; fail "E: no rank process under mpirun $pid"; }
kill -TERM "$rank"
rc=0; wait $pid || rc=$?
[ "$rc" = 75 ] || fail "E: train with SIGTERM to one rank exited $rc, expected 75: $(tail -5 "$WORK/E1.err")"
grep -q "interrupted by SIGTERM after step [0-9]*/60; checkpoint $WORK/E.ck written" "$WORK/E1.err" || fail "E: no SIGTERM message"
train 1 -o "$WORK/E.h5" --checkpoint "$WORK/E.ck" > /dev/null 2>&1
same_weights "$WORK/A.h5" "$WORK/E.h5" "E (SIGTERM to one rank, 2 ranks -> 1 rank)"

# The finished run left its checkpoint at step 60: re-running only rewrites the model.
rm "$WORK/D.h5"
train 2 -o "$WORK/D.h5" --checkpoint "$WORK/D.ck" > "$WORK/D3.txt" 2> /dev/null
expect resumed_at_step 60 "$WORK/D3.txt"
same_weights "$WORK/A.h5" "$WORK/D.h5" "D (re-run after the end)"

# Refused: another --seed, another corpus (same size, other content)
rc=0; train 2 -o "$WORK/X.h5" --checkpoint "$WORK/B.ck" --seed 6 > /dev/null 2> "$WORK/X1.err" || rc=$?
[ "$rc" = 3 ] || fail "a checkpoint of another --seed was not refused (status $rc)"
grep -q "$WORK/B.ck: checkpoint of another run.*: seed is 5 there, 6 here" "$WORK/X1.err" || fail "refusal does not name seed: $(cat "$WORK/X1.err")"
run_le 1 synth -o "$WORK/other.h5" --traces 3000 --seed 4 > /dev/null
rc=0; run_le 2 train "$WORK/other.h5" "${OPTS[@]}" -o "$WORK/X.h5" --checkpoint "$WORK/B.ck" > /dev/null 2> "$WORK/X2.err" || rc=$?
[ "$rc" = 3 ] || fail "a checkpoint of another corpus was not refused (status $rc)"
grep -q "$WORK/B.ck: checkpoint of another run.*: corpus_[a-z_]* is" "$WORK/X2.err" || fail "refusal does not name a corpus field: $(cat "$WORK/X2.err")"
[ ! -e "$WORK/X.h5" ] || fail "a refused run wrote a model"

# Without --checkpoint: status 75, says nothing was saved, no model
rc=0; train_stopped 2 3 -o "$WORK/N.h5" > /dev/null 2> "$WORK/N.err" || rc=$?
[ "$rc" = 75 ] || fail "interrupted train without --checkpoint exited $rc"
grep -q "nothing was saved" "$WORK/N.err" || fail "no 'nothing was saved': $(cat "$WORK/N.err")"
[ ! -e "$WORK/N.h5" ] || fail "an interrupted run wrote a model"
# The test hook that did B and C is gone from labelease, and says what to do instead
rc=0; train 1 -o "$WORK/Z.h5" --interrupt-at-step 3 > /dev/null 2> "$WORK/Z.err" || rc=$?
[ "$rc" = 3 ] && grep -q "interrupt-at-step is gone: to stop training at the end of a step, send SIGUSR1" "$WORK/Z.err" \
    || fail "--interrupt-at-step: status $rc, not the message saying how to stop training: $(cat "$WORK/Z.err")"
echo "PASS: resumed runs (2->2, 1->4, SIGUSR1 at step $at, SIGTERM to one rank) give the weights of the uninterrupted run; foreign checkpoints refused"
