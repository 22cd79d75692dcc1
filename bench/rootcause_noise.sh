#!/usr/bin/env bash
# Root cause under random false positives (issue #20, done-when point 2): a
# synthetic corpus's truth labels, then the same labels with random normal
# traces turned abnormal: 5% of the traces, and 5% of the positives (the
# labels' precision falls to 0.95). Per period rule (rate, the default, and
# window, the paper's): periods, faults found, and for the faults found with
# both labels whether the top 3 suspects stayed the same and whether the
# injected service stayed in them. "above noise" counts the faults whose
# abnormal traces under the truth stand out of the added noise over the
# fault's whole window (Poisson tail < 0.01): the most any rule can find.
#   bench/rootcause_noise.sh [TRACES] [SEED] [WORK_DIR] [BUILD_DIR]
# Defaults: 20000 traces, seed 3, a new temp dir, build/. 2 ranks (LE_RANKS).
set -euo pipefail
SRC=$(cd "$(dirname "$0")/.." && pwd)
N=${1:-20000} SEED=${2:-3}
W=${3:-$(mktemp -d /tmp/le-noise.XXXXXX)}
B=${4:-$SRC/build}/labelease
PY=/usr/bin/python3 NP=${LE_RANKS:-2}
export OMPI_ALLOW_RUN_AS_ROOT=1 OMPI_ALLOW_RUN_AS_ROOT_CONFIRM=1 OPENBLAS_NUM_THREADS=1
run() { mpirun --oversubscribe -np "$NP" "$B" "$@" < /dev/null; }
mkdir -p "$W" && cd "$W"
[ -f c.h5 ] || run synth -o c.h5 --traces "$N" --seed "$SEED" > /dev/null
[ -f truth.h5 ] || $PY "$SRC/bench/rootcause_truth_labels.py" c.h5 truth.h5 > /dev/null
$PY - <<'PY'
import shutil, h5py, numpy as np
lab0 = h5py.File("truth.h5")["labels/label"][:]
for name, k in (("fp-traces", len(lab0) // 20), ("fp-positives", int(round((lab0 == 1).sum() / 19)))):
    shutil.copy("truth.h5", name + ".h5")
    with h5py.File(name + ".h5", "r+") as f:
        lab = f["labels/label"][:]
        lab[np.random.default_rng(7).choice(np.flatnonzero(lab == 0), size=k, replace=False)] = 1
        f["labels/label"][:] = lab
PY
for rule in rate window; do
    for src in truth fp-traces fp-positives; do
        run rootcause c.h5 $src.h5 -o rc-$rule-$src.h5 --no-page -q --periods $rule > /dev/null
    done
done
$PY - <<'PY'
import h5py, numpy as np
from scipy.stats import poisson
c = h5py.File("c.h5")
fs, fe = c["ground_truth/faults/start_us"][:], c["ground_truth/faults/end_us"][:]
svc = [x.decode() for x in c["ground_truth/faults/service_name"][:]]
start = c["traces/start_us"][:]
def top3(path):
    r = h5py.File(path)
    st, en = r["periods/start_us"][:], r["periods/end_us"][:]
    names = [x.decode() for x in r["services/name"][:]]
    order = r["rank/order"][:]
    out = {}
    for f in range(len(fs)):
        ov = np.minimum(en, fe[f]) - np.maximum(st, fs[f])
        if len(ov) and ov.max() > 0:
            out[f] = [names[s] for s in order[int(ov.argmax())][:3]]
    return out, len(st)
truth = h5py.File("truth.h5")["labels/label"][:] == 1
print(f"corpus: {len(start)} traces, {len(fs)} faults, {truth.mean():.3f} abnormal under the truth")
print("rule    noise          added  above-noise  periods  found  top3-same  true-in-top3")
for rule in ("rate", "window"):
    good, n_good = top3(f"rc-{rule}-truth.h5")
    print(f"{rule:7s} {'none':14s} {0:5d}  {len(fs):11d}  {n_good:7d}  {len(good):5d}  {'-':>9s}  {sum(svc[f] in good[f] for f in good):12d}")
    for src in ("fp-traces", "fp-positives"):
        noisy_lab = h5py.File(f"{src}.h5")["labels/label"][:] == 1
        added = int((noisy_lab & ~truth).sum())
        q = added / max(1, int((~truth).sum()))  # chance a normal trace was turned
        above = 0
        for f in range(len(fs)):
            w = (start >= fs[f]) & (start <= fe[f])
            a, lam = int(truth[w].sum()), q * int((~truth[w]).sum())
            above += a > 0 and poisson.sf(a + lam - 1, lam) < 0.01
        noisy, n_noisy = top3(f"rc-{rule}-{src}.h5")
        both = [f for f in good if f in noisy]
        same = sum(good[f] == noisy[f] for f in both)
        print(f"{rule:7s} {src:14s} {added:5d}  {above:11d}  {n_noisy:7d}  {len(noisy):5d}  {same:4d}/{len(both):<4d}  {sum(svc[f] in noisy[f] for f in noisy):12d}")
PY
