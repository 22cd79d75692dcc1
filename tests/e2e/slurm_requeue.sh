#!/usr/bin/env bash
# e2e_slurm_requeue: slurm/labelease.sbatch interrupted mid-training on a real
# (single-node, private) Slurm cluster requeues itself, resumes from the
# checkpoint and ends with the labels of an uninterrupted run.
#
#  1. submits the job script (2 tasks, srun --mpi=pmix) with a small config
#     whose training lasts a while (LE_REQUEUE_STEPS steps, a progress line
#     every 5);
#  2. once train has logged step >= LE_REQUEUE_AT, sends what the time limit
#     sends with --signal=USR1@120: `scancel --signal=USR1 JOBID` (to the
#     step's tasks, not the batch shell);
#  3. checks the step exited 75 after "interrupted by SIGUSR1 after step S",
#     the script requeued the job, and the job ran again (Restarts=1, the
#     same job id and output directory), skipping synth and info and resuming
#     train "at step S+1" (S > 0), and ended COMPLETED;
#  4. compares its labels.h5 (label, confidence, given) and model.h5 /weights
#     with those of an uninterrupted `mpirun -np 2 labelease run` of the same
#     config (run while the requeued job waits in the queue): identical.
# The local cluster holds a requeued job for cred_expire (30 s,
# slurm/local/slurm.conf.in). Skips (77) like e2e_slurm when not root or
# Slurm is missing.
source "$(dirname "$0")/slurm_cluster.bash"
command -v h5diff >/dev/null || { echo "SKIP: h5diff (hdf5-tools) is needed"; exit 77; }
STEPS=${LE_REQUEUE_STEPS:-300}
AT=${LE_REQUEUE_AT:-20}

slurm_cluster_start e2e_slurm_requeue
cat > "$W/submit/requeue.ini" <<EOF
# e2e_slurm_requeue: 3000 traces, $STEPS training steps (~15 s at 2 ranks)
[synth]
traces = 3000
seed = 3
[train]
seed = 1
steps = $STEPS
log_every = 5
checkpoint_every = 10
[select]
representation = hybrid-burst
seed = 1
[label]
mode = oracle
[propagate]
representation = hybrid-burst
EOF
OUT=$W/out
jobid=$(LABELEASE=$LABELEASE CONFIG=requeue.ini OUT=$OUT slurm_submit --job-name=le-requeue \
    --time=10 "$LE_SRC/slurm/labelease.sbatch")
out=$W/job-$jobid.out
echo "== submitted job $jobid (2 tasks, $STEPS steps); interrupt at step >= $AT"

# the last step train logged in the job output (0 before any)
last_step() {
    sed -n "s|^labelease: train: step \([0-9]*\)/$STEPS .*|\1|p" "$out" 2>/dev/null | tail -n 1 | grep . || echo 0
}
t1=$SECONDS
while [ "$(last_step)" -lt "$AT" ]; do
    state=$(slurm_state "$jobid")
    case "$state" in PENDING|CONFIGURING|RUNNING|"") ;; *) break ;; esac
    [ $((SECONDS - t1)) -lt "$JOB_TIMEOUT" ] || break
    sleep 0.2
done
seen=$(last_step)
if [ "$seen" -lt "$AT" ]; then
    slurm_wait "$jobid" 0
    echo "FAIL: train never logged step $AT/$STEPS (job ${state:-unknown}, last step $seen)"
    exit 1
fi
echo "== train logged step $seen/$STEPS after $((SECONDS - t1)) s: scancel --signal=USR1 $jobid"
scancel --signal=USR1 "$jobid"
tsig=$SECONDS

# wait for the requeue (Restarts=1), then run the reference while it is held
t2=$SECONDS
restarts=0
while [ $((SECONDS - t2)) -lt 120 ]; do
    restarts=$(scontrol show job "$jobid" 2>/dev/null | sed -n 's/.*Restarts=\([0-9]*\).*/\1/p' | head -n 1)
    [ "${restarts:-0}" -ge 1 ] && break
    case "$(slurm_state "$jobid")" in PENDING|CONFIGURING|RUNNING|COMPLETING|REQUEUED|"") ;; *) break ;; esac
    sleep 0.5
done
echo "== job $jobid: Restarts=${restarts:-?}, state $(slurm_state "$jobid") $((SECONDS - tsig)) s after the signal"
echo "== reference: $LE_MPIEXEC -np 2 labelease run requeue.ini (no Slurm, no interruption)"
tr=$SECONDS
(cd "$W/submit" && $LE_MPIEXEC -np 2 "$LABELEASE" run requeue.ini --out "$W/ref" > "$W/ref.out" 2> "$W/ref.err") \
    || { cat "$W/ref.out" "$W/ref.err"; echo "FAIL: the reference run failed"; exit 1; }
echo "== reference done in $((SECONDS - tr)) s"

slurm_wait "$jobid" "$JOB_TIMEOUT"
echo "== job finished $((SECONDS - tsig)) s after the signal"

fail=0
bad() { echo "FAIL: $*"; fail=1; }
[ "$state" = COMPLETED ] || bad "job state is '${state:-unknown}', want COMPLETED"
info=$(scontrol show job "$jobid" 2>/dev/null || true)
grep -q 'Restarts=1 ' <<<"$info" || bad "want Restarts=1: $(grep -o 'Restarts=[0-9]*' <<<"$info")"
# first run: train stopped after step S by SIGUSR1, the step exited 75, requeued
S=$(sed -n "s|.*train: interrupted by SIGUSR1 after step \([0-9]*\)/$STEPS; checkpoint .* written.*|\1|p" "$out" | head -n 1)
[ -n "$S" ] || bad "no 'train: interrupted by SIGUSR1 after step S/$STEPS; checkpoint ... written'"
S=${S:-0}
if [ "$S" -lt "$seen" ] || [ "$S" -ge "$STEPS" ]; then bad "interrupted after step $S: want $seen <= S < $STEPS"; fi
grep -q '^== run: exit 75 ' "$out" || bad "the first run did not exit 75"
grep -q "^== interrupted with a checkpoint: requeueing job $jobid," "$out" || bad "the job script did not requeue"
# second run: same job, restart 1, stages before train skipped, train resumed at S+1
grep -q "^job $jobid (restart 1) " "$out" || bad "no second run (restart 1) in the output"
for s in synth info; do
    grep -qE "^  $s +skipped" "$out" || bad "the requeued run did not skip $s"
done
grep -q "train: resuming from $OUT/train.ckpt.h5 at step $((S + 1))/$STEPS ($S done)" "$out" \
    || bad "train did not resume at step $((S + 1)) from the checkpoint"
[ "$(sed -n 's/^resumed_at_step: //p' "$OUT/train.txt" 2>/dev/null)" = "$S" ] \
    || bad "train.txt: resumed_at_step is not $S"
[ "$(grep -c '^== run: exit ' "$out")" = 2 ] || bad "want exactly two runs of the step"
grep -q '^== run: exit 0 ' "$out" || bad "the second run did not exit 0"
# the result: as if never interrupted
for d in label confidence given; do
    h5diff -q "$W/ref/labels.h5" "$OUT/labels.h5" /labels/$d /labels/$d \
        || bad "labels.h5 /labels/$d differs from the uninterrupted run"
done
h5diff -q "$W/ref/model.h5" "$OUT/model.h5" /weights /weights || bad "model.h5 /weights differ from the uninterrupted run"
[ $fail = 0 ] || exit 1
ok=1
echo "PASS e2e_slurm_requeue: job $jobid interrupted after step $S/$STEPS, requeued, resumed at step $((S + 1)), COMPLETED; labels.h5 and weights identical to the uninterrupted run; $((SECONDS - t0)) s in all"
