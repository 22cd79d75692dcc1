#!/usr/bin/env bash
# slurm/local/stop.sh — stop the cluster slurm/local/start.sh started.
#
# Cancels the jobs still in it, then stops slurmd, slurmctld and munged — only
# the processes named in its pid files under LE_SLURM_DIR, never a system
# Slurm or munge. Safe to run twice, or when nothing runs.
#   --clean   also delete LE_SLURM_DIR (state, logs, key)
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
D=$LE_SLURM_DIR

clean=0
for a in "$@"; do
    case "$a" in
        --clean) clean=1 ;;
        -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
        *) echo "stop.sh: unknown option '$a'" >&2; exit 2 ;;
    esac
done

stop_one() { # PIDFILE NAME
    local pid
    if ! pid_alive "$1" "$2"; then rm -f "$1"; return 0; fi
    pid=$(pid_of "$1")
    say "stopping $2 (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "$2 (pid $pid) still running after 10 s: SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$1"
}

if [ -f "$LE_SLURM_CONF" ] && pid_alive "$D/run/slurmctld.pid" slurmctld; then
    jobs=$(SLURM_CONF=$LE_SLURM_CONF squeue -h -o %i 2>/dev/null | tr '\n' ' ')
    if [ -n "${jobs// /}" ]; then
        say "cancelling jobs $jobs"
        # shellcheck disable=SC2086
        SLURM_CONF=$LE_SLURM_CONF scancel $jobs 2>/dev/null || true
        sleep 1
    fi
fi
stop_one "$D/run/slurmd.pid" slurmd
stop_one "$D/run/slurmctld.pid" slurmctld
stop_one "$D/munge/munged.pid" munged

if [ $clean = 1 ]; then
    say "removing $D"
    rm -rf "$D"
fi
exit 0
