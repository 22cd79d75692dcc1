#!/usr/bin/env bash
# e2e_slurm: the real job script on a real (single-node) Slurm cluster.
#
# Starts a private cluster with slurm/local/start.sh (tests/e2e/slurm_cluster.bash:
# own dir, own munge key, free ports), submits slurm/labelease.sbatch with
# sbatch as 2 tasks with a small config (CONFIG), waits for the job, and checks
# it COMPLETED, ran `labelease run` as one step under srun --mpi=pmix on 2
# ranks through every stage (the default's rounds up to select's stop), and printed the stages' reports (synth's and
# info's `traces: $TRACES`). Always stops the daemons it started. Skips (77)
# when not root or the Slurm packages are missing (.ci/deps.sh --slurm).
# The interrupted-and-requeued job is tests/e2e/slurm_requeue.sh.
source "$(dirname "$0")/slurm_cluster.bash"
TRACES=${LE_SLURM_TRACES:-300}

slurm_cluster_start e2e_slurm
# small: the stages' defaults on 300 traces
cat > "$W/submit/small.ini" <<EOF
[synth]
traces = $TRACES
seed = 7
[label]
mode = oracle
EOF
jobid=$(LABELEASE=$LABELEASE CONFIG=small.ini slurm_submit --job-name=le-e2e --time=10 \
    "$LE_SRC/slurm/labelease.sbatch")
echo "== submitted job $jobid ($TRACES traces, 2 tasks)"
slurm_wait "$jobid" "$JOB_TIMEOUT"
out=$W/job-$jobid.out

fail=0
if [ "$state" != COMPLETED ]; then
    echo "FAIL: job state is '${state:-unknown}', want COMPLETED (waited up to ${JOB_TIMEOUT}s)"
    fail=1
fi
if ! grep -q '^== run: srun --mpi=pmix labelease run small.ini --out ' "$out" 2>/dev/null; then
    echo "FAIL: the job did not launch labelease run with srun --mpi=pmix"
    fail=1
fi
if ! grep -q '^labelease run small.ini --out .* (2 ranks)$' "$out" 2>/dev/null; then
    echo "FAIL: labelease run did not run on 2 ranks"
    fail=1
fi
# the default labeling runs rounds until select reports the stop: every
# stage up to it ran, and the rounds after it are not in the table
ran=$(grep -oE '^  [a-z][a-z0-9-]* +ran ' "$out" 2>/dev/null | awk '{print $1}' | tr '\n' ' ')
case $ran in
"synth info select label select-2 label-2 "*"propagate rootcause eval export ") ;;
*) echo "FAIL: run's table has '$ran' ran, want synth .. label-2, the later rounds to the stop, propagate .. export"; fail=1 ;;
esac
if ! grep -qE '^  \(select-[0-9]+: the labeling stops here' "$out" 2>/dev/null; then
    echo "FAIL: no select round reported the stop of the labeling"
    fail=1
fi
if grep -E '^  [a-z][a-z0-9-]* +' "$out" | grep -vE ' ran ' | grep -qE '^  (select|label)-'; then
    echo "FAIL: a labeling round after the stop is in run's table: $(grep -E '^  (select|label)-' "$out" | grep -v ' ran ')"
    fail=1
fi
# report_line STAGE LINE: the report of STAGE printed at the end has LINE
report_line() {
    awk -v h="== $1 (" -v l="$2" 'index($0, "== ") == 1 {in_s = index($0, h) == 1; next}
        in_s && $0 == l {f = 1} END {exit !f}' "$out" 2>/dev/null
}
for s in synth info; do
    report_line $s "traces: $TRACES" || { echo "FAIL: no report of $s with 'traces: $TRACES'"; fail=1; }
done
report_line export "traces: $TRACES" || { echo "FAIL: the reports do not go up to export"; fail=1; }
[ $fail = 0 ] || exit 1
ok=1
echo "PASS e2e_slurm: job $jobid COMPLETED, the pipeline under srun on 2 ranks, in $((SECONDS - t0)) s"
