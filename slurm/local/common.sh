# Shared by slurm/local/start.sh and stop.sh (sourced, not run).
# Everything lives in LE_SLURM_DIR (default ${TMPDIR:-/tmp}/labelease-slurm):
#   slurm.conf  munge/{munge.key,munge.socket,munged.pid}  run/*.pid
#   state/ spool/ log/{slurmctld,slurmd,munged}.log
LE_SLURM_DIR=${LE_SLURM_DIR:-${TMPDIR:-/tmp}/labelease-slurm}
LE_SLURM_CONF=$LE_SLURM_DIR/slurm.conf
LE_SLURM_HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

# pid_alive PIDFILE NAME: the pid in PIDFILE runs a program called NAME.
pid_alive() {
    local pid
    [ -s "$1" ] || return 1
    pid=$(tr -dc 0-9 <"$1")
    [ -n "$pid" ] && [ -r "/proc/$pid/comm" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]
}
pid_of() { tr -dc 0-9 <"$1"; }

say() { echo "slurm/local: $*"; }
