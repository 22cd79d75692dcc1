#!/usr/bin/env bash
# slurm/local/start.sh — start a single-node Slurm cluster on this machine.
#
# Starts, each only if the copy it started before is not running (by pid file):
#   munged    with its own generated key and socket (not the system's),
#   slurmctld and slurmd with slurm/local/slurm.conf.in filled in for this
#             machine (hostname, CPUs and memory from `slurmd -C`),
# then waits until `sinfo` shows the node idle and prints the environment to
# use. Safe to run twice. Stop with slurm/local/stop.sh.
#
# Needs root (slurmd runs jobs as their users) and the Debian packages from
# `.ci/deps.sh --slurm`. Settings (environment):
#   LE_SLURM_DIR        state, spool, logs, keys   [${TMPDIR:-/tmp}/labelease-slurm]
#   LE_SLURM_CTLD_PORT  slurmctld port             [16817]
#   LE_SLURM_SLURMD_PORT slurmd port               [16818]
#   LE_SLURM_WAIT       seconds to wait for idle   [90]
# Exit status: 0 ready, 1 failed (logs are printed), 2 cannot run here.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

if [ "$(id -u)" != 0 ]; then
    echo "slurm/local/start.sh: needs root (slurmd must be able to run jobs); try: sudo $0" >&2
    exit 2
fi
for c in munged munge slurmctld slurmd sinfo scontrol; do
    if ! command -v "$c" >/dev/null; then
        echo "slurm/local/start.sh: '$c' not found; install the Slurm extras: .ci/deps.sh --slurm" >&2
        exit 2
    fi
done

D=$LE_SLURM_DIR
mkdir -p "$D"/{munge,run,state,spool,log} "$D/spool/slurmd-$(hostname -s)"
chmod 711 "$D/munge"   # socket must be reachable by all, the key is 0400

# ---- munge ------------------------------------------------------------------
SOCK=$D/munge/munge.socket
if pid_alive "$D/munge/munged.pid" munged; then
    say "munged already running (pid $(pid_of "$D/munge/munged.pid"))"
else
    if [ ! -s "$D/munge/munge.key" ]; then
        say "generating munge key $D/munge/munge.key"
        (umask 077; dd if=/dev/urandom of="$D/munge/munge.key" bs=1024 count=1 status=none)
    fi
    chmod 400 "$D/munge/munge.key"
    rm -f "$SOCK" "$SOCK.lock"
    say "starting munged (socket $SOCK)"
    munged --force --key-file="$D/munge/munge.key" --socket="$SOCK" \
        --pid-file="$D/munge/munged.pid" --log-file="$D/log/munged.log" \
        --seed-file="$D/munge/munged.seed"
fi
for _ in $(seq 50); do
    munge -S "$SOCK" -n </dev/null 2>/dev/null | unmunge -S "$SOCK" >/dev/null 2>&1 && break
    sleep 0.2
done
if ! munge -S "$SOCK" -n </dev/null 2>/dev/null | unmunge -S "$SOCK" >/dev/null 2>&1; then
    echo "slurm/local/start.sh: munged does not answer on $SOCK" >&2
    tail -n 20 "$D/log/munged.log" >&2 || true
    exit 1
fi

# ---- slurm.conf -------------------------------------------------------------
HOST=$(hostname -s)
# slurmd -C prints this machine's real layout, e.g.
# NodeName=vm CPUs=2 Boards=1 SocketsPerBoard=1 CoresPerSocket=2 ThreadsPerCore=1 RealMemory=24105
HW=$(slurmd -C 2>/dev/null | head -n 1)
hw() { sed -n "s/.*\b$1=\([0-9]*\).*/\1/p" <<<"$HW"; }
CPUS=$(hw CPUs); CPUS=${CPUS:-$(nproc)}
BOARDS=$(hw Boards); BOARDS=${BOARDS:-1}
SOCKETS=$(hw SocketsPerBoard); SOCKETS=${SOCKETS:-1}
CORES=$(hw CoresPerSocket); CORES=${CORES:-$CPUS}
THREADS=$(hw ThreadsPerCore); THREADS=${THREADS:-1}
MEM=$(hw RealMemory); MEM=${MEM:-$(awk '/MemTotal/ {print int($2/1024)}' /proc/meminfo)}
# A little below the real size: slurmd drains a node whose memory is less
# than configured, and the figure it measures can move by a few MB.
MEM=$((MEM * 98 / 100))
sed -e "s|@HOST@|$HOST|g" -e "s|@DIR@|$D|g" -e "s|@SLURM_USER@|$(id -un)|g" \
    -e "s|@CTLD_PORT@|${LE_SLURM_CTLD_PORT:-16817}|g" \
    -e "s|@SLURMD_PORT@|${LE_SLURM_SLURMD_PORT:-16818}|g" \
    -e "s|@CPUS@|$CPUS|g" -e "s|@BOARDS@|$BOARDS|g" -e "s|@SOCKETS@|$SOCKETS|g" \
    -e "s|@CORES@|$CORES|g" -e "s|@THREADS@|$THREADS|g" -e "s|@MEM@|$MEM|g" \
    "$LE_SLURM_HERE/slurm.conf.in" >"$LE_SLURM_CONF.new"
if [ -f "$LE_SLURM_CONF" ] && cmp -s "$LE_SLURM_CONF" "$LE_SLURM_CONF.new"; then
    rm -f "$LE_SLURM_CONF.new"
else
    mv "$LE_SLURM_CONF.new" "$LE_SLURM_CONF"
    say "wrote $LE_SLURM_CONF (node $HOST: $CPUS CPUs, ${MEM} MB)"
fi
export SLURM_CONF=$LE_SLURM_CONF

# ---- daemons ----------------------------------------------------------------
if pid_alive "$D/run/slurmctld.pid" slurmctld; then
    say "slurmctld already running (pid $(pid_of "$D/run/slurmctld.pid"))"
else
    say "starting slurmctld"
    slurmctld -f "$LE_SLURM_CONF"
fi
if pid_alive "$D/run/slurmd.pid" slurmd; then
    say "slurmd already running (pid $(pid_of "$D/run/slurmd.pid"))"
else
    say "starting slurmd"
    slurmd -f "$LE_SLURM_CONF" -N "$HOST"
fi

# ---- wait for the node ------------------------------------------------------
wait_s=${LE_SLURM_WAIT:-90}
state=""
resumed=0
for ((i = 0; i < wait_s * 2; i++)); do
    state=$(sinfo -h -N -n "$HOST" -o %T 2>/dev/null | head -n 1 || true)
    case "$state" in
        idle|mixed|allocated|completing) break ;;
        drained*|draining|down*|fail*)
            # left over from an earlier run of this cluster: bring it back once
            if [ $resumed = 0 ]; then
                scontrol update NodeName="$HOST" State=RESUME >/dev/null 2>&1 || true
                resumed=1
            fi ;;
    esac
    # a daemon that died at start (bad config, port taken) will not come back
    if [ $i -ge 10 ] && ! { pid_alive "$D/run/slurmctld.pid" slurmctld && pid_alive "$D/run/slurmd.pid" slurmd; }; then
        state="daemon exited"
        break
    fi
    sleep 0.5
done
case "$state" in
    idle|mixed|allocated|completing) ;;
    *)
        echo "slurm/local/start.sh: node $HOST not ready after ${wait_s}s (state '${state:-none}')" >&2
        sinfo -N -l >&2 2>&1 || true
        for l in slurmctld slurmd; do
            echo "--- $D/log/$l.log (tail)" >&2
            tail -n 25 "$D/log/$l.log" >&2 2>/dev/null || true
        done
        exit 1 ;;
esac
say "node $HOST is $state"
sinfo
echo "# use this cluster with:"
echo "export SLURM_CONF=$LE_SLURM_CONF"
