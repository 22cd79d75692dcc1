# Helpers for the Slurm e2e tests (sourced by slurm.sh and slurm_requeue.sh).
#
# slurm_cluster_start NAME: skips (77) when not root or the Slurm packages are
# missing (.ci/deps.sh --slurm installs them); else starts a private cluster
# with slurm/local/start.sh in a fresh temp dir $W (own munge key, free ports,
# so it never meets another cluster on this machine), exports SLURM_CONF, and
# traps EXIT to stop the daemons it started (and print their logs when the
# test did not set ok=1).
# slurm_submit ARGS...: sbatch --parsable ARGS (2 tasks, 1 node, output
# $W/job-%j.out, --overcommit on a 1-CPU machine) from $W/submit; prints the id.
# slurm_state JOBID: the job's JobState (empty when unknown).
# slurm_wait JOBID TIMEOUT: waits until the job is in a final state; sets
# $state and prints the job output.
set -euo pipefail

: "${LABELEASE:?set LABELEASE (ctest does)}" "${LE_SRC:?set LE_SRC}"
JOB_TIMEOUT=${LE_SLURM_JOB_TIMEOUT:-420}   # seconds a job may take
t0=$SECONDS

ok=0
slurm_cluster_start() {
    local name=$1 c port
    if [ "$(id -u)" != 0 ]; then
        echo "SKIP $name: needs root to run slurmd"; exit 77
    fi
    for c in munged slurmctld slurmd sbatch scontrol scancel; do
        command -v "$c" >/dev/null || { echo "SKIP $name: '$c' missing (.ci/deps.sh --slurm)"; exit 77; }
    done
    W=$(mktemp -d /tmp/le-e2e-slurm.XXXXXX)   # short: the munge socket path must fit
    chmod 755 "$W"                              # munged: socket dirs must be searchable
    export LE_SLURM_DIR=$W/cluster
    # two free TCP ports in a row for slurmctld and slurmd
    for _ in $(seq 50); do
        port=$((20000 + (RANDOM % 4000) * 2))
        _listening $port || _listening $((port + 1)) || break
    done
    export LE_SLURM_CTLD_PORT=$port LE_SLURM_SLURMD_PORT=$((port + 1))
    trap _slurm_cleanup EXIT
    trap 'exit 130' INT TERM
    echo "== start the local cluster in $LE_SLURM_DIR (ports $port, $((port + 1)))"
    local t=$SECONDS
    bash "$LE_SRC/slurm/local/start.sh"
    export SLURM_CONF=$LE_SLURM_DIR/slurm.conf
    echo "== cluster up in $((SECONDS - t)) s"
    mkdir -p "$W/submit"
}

_listening() { # PORT: is something listening on it?
    local hex
    hex=$(printf '%04X' "$1")
    awk -v p=":$hex" '$4 == "0A" && substr($2, length($2) - 4) == p {f = 1} END {exit !f}' \
        /proc/net/tcp /proc/net/tcp6 2>/dev/null
}

_slurm_cleanup() {
    if [ $ok != 1 ]; then
        for l in slurmctld slurmd munged; do
            echo "--- $LE_SLURM_DIR/log/$l.log (tail)"
            tail -n 30 "$LE_SLURM_DIR/log/$l.log" 2>/dev/null || true
        done
    fi
    bash "$LE_SRC/slurm/local/stop.sh" || true
    rm -rf "$W"
}

slurm_submit() {
    local extra=() id
    [ "$(nproc)" -lt 2 ] && extra+=(--overcommit)
    id=$(cd "$W/submit" && sbatch --parsable --nodes=1 --ntasks=2 --ntasks-per-node=2 \
        --cpus-per-task=1 --output="$W/job-%j.out" "${extra[@]}" "$@")
    echo "${id%%;*}"
}

slurm_state() {
    scontrol show job "$1" 2>/dev/null | sed -n 's/.*JobState=\([A-Z_]*\).*/\1/p' | head -n 1
}

slurm_wait() {
    local t=$SECONDS
    state=""
    while [ $((SECONDS - t)) -lt "$2" ]; do
        state=$(slurm_state "$1")
        case "$state" in
            PENDING|CONFIGURING|RUNNING|COMPLETING|REQUEUED|"") sleep 1 ;;
            *) break ;;
        esac
    done
    echo "== job $1: ${state:-unknown} after $((SECONDS - t)) s"
    echo "--- job output ($W/job-$1.out)"
    cat "$W/job-$1.out" 2>/dev/null || echo "(none)"
    echo "---"
    if [ "$state" != COMPLETED ]; then
        scontrol show job "$1" 2>/dev/null || true
        scancel "$1" >/dev/null 2>&1 || true
    fi
}
