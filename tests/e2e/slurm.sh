#!/usr/bin/env bash
# e2e_slurm: the real job script on a real (single-node) Slurm cluster.
#
# Starts a private cluster with slurm/local/start.sh (own dir, own munge key,
# free ports, so it never meets another cluster on this machine), submits
# slurm/labelease.sbatch with sbatch as 2 tasks launched by srun --mpi=pmix,
# waits for the job, checks it COMPLETED and that its output reports
# `traces: $TRACES`, and always stops the daemons it started.
# Skips (77) when not root or the Slurm packages are missing
# (.ci/deps.sh --slurm installs them).
set -euo pipefail

: "${LABELEASE:?set LABELEASE (ctest does)}" "${LE_SRC:?set LE_SRC}"
TRACES=${LE_SLURM_TRACES:-300}
JOB_TIMEOUT=${LE_SLURM_JOB_TIMEOUT:-420}

if [ "$(id -u)" != 0 ]; then
    echo "SKIP e2e_slurm: needs root to run slurmd"; exit 77
fi
for c in munged slurmctld slurmd sbatch scontrol; do
    command -v "$c" >/dev/null || { echo "SKIP e2e_slurm: '$c' missing (.ci/deps.sh --slurm)"; exit 77; }
done

W=$(mktemp -d /tmp/le-e2e-slurm.XXXXXX)   # short: the munge socket path must fit
chmod 755 "$W"                              # munged: socket dirs must be searchable
export LE_SLURM_DIR=$W/cluster

# two free TCP ports in a row for slurmctld and slurmd
listening() { # PORT: is something listening on it?
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p {f = 1} END {exit !f}' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}
for _ in $(seq 50); do
    port=$((20000 + (RANDOM % 4000) * 2))
    listening $port || listening $((port + 1)) || break
done
export LE_SLURM_CTLD_PORT=$port LE_SLURM_SLURMD_PORT=$((port + 1))

ok=0
cleanup() {
    if [ $ok != 1 ]; then
        for l in slurmctld slurmd munged; do
            echo "--- $LE_SLURM_DIR/log/$l.log (tail)"
            tail -n 30 "$LE_SLURM_DIR/log/$l.log" 2>/dev/null || true
        done
    fi
    bash "$LE_SRC/slurm/local/stop.sh" || true
    rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$SECONDS
echo "== start the local cluster in $LE_SLURM_DIR (ports $port, $((port + 1)))"
bash "$LE_SRC/slurm/local/start.sh"
export SLURM_CONF=$LE_SLURM_DIR/slurm.conf
echo "== cluster up in $((SECONDS - t0)) s"

extra=()
[ "$(nproc)" -lt 2 ] && extra+=(--overcommit)
mkdir -p "$W/submit"
jobid=$(cd "$W/submit" && LABELEASE=$LABELEASE OUT=$W/out TRACES=$TRACES SEED=7 \
    sbatch --parsable --job-name=le-e2e --nodes=1 --ntasks=2 --ntasks-per-node=2 \
        --cpus-per-task=1 --time=10 --output="$W/job-%j.out" "${extra[@]}" \
        "$LE_SRC/slurm/labelease.sbatch")
jobid=${jobid%%;*}
echo "== submitted job $jobid ($TRACES traces, 2 tasks)"

state=""
t1=$SECONDS
while [ $((SECONDS - t1)) -lt "$JOB_TIMEOUT" ]; do
    state=$(scontrol show job "$jobid" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1)
    case "$state" in
        PENDING|CONFIGURING|RUNNING|COMPLETING|"") sleep 1 ;;
        *) break ;;
    esac
done
echo "== job $jobid: ${state:-unknown} after $((SECONDS - t1)) s"
out=$W/job-$jobid.out
echo "--- job output ($out)"
cat "$out" 2>/dev/null || echo "(none)"
echo "---"

fail=0
if [ "$state" != COMPLETED ]; then
    echo "FAIL: job state is '${state:-unknown}', want COMPLETED (waited up to ${JOB_TIMEOUT}s)"
    scontrol show job "$jobid" 2>/dev/null || true
    scancel "$jobid" >/dev/null 2>&1 || true
    fail=1
fi
if ! grep -qx "traces: $TRACES" "$out" 2>/dev/null; then
    echo "FAIL: no 'traces: $TRACES' line in the job output"
    fail=1
fi
if [ "$(grep -cx "traces: $TRACES" "$out" 2>/dev/null)" != 2 ]; then
    echo "FAIL: want 'traces: $TRACES' from both synth and info"
    fail=1
fi
if ! grep -q '^ranks: 2$' "$out" 2>/dev/null; then
    echo "FAIL: synth did not run on 2 ranks (no 'ranks: 2')"
    fail=1
fi
if ! grep -q '^== synth: srun --mpi=pmix' "$out" 2>/dev/null; then
    echo "FAIL: the job did not launch its stages with srun --mpi=pmix"
    fail=1
fi
[ $fail = 0 ] || exit 1
ok=1
echo "PASS e2e_slurm: job $jobid COMPLETED with 'traces: $TRACES' in $((SECONDS - t0)) s"
