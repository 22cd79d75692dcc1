#!/usr/bin/env bash
# Root-cause labeling end to end: synth -> labels.h5 from the ground truth
# (h5py, so no training) -> rootcause -> eval (period precision/recall, hr@k)
# -> export. Periods, counts, scores and the order are identical at 1, 2 and
# 4 ranks (latency means may differ in the last bits: Chan merges in another
# grouping); eval agrees at 1 and 2 ranks; the page is self-contained; the
# exported dataset holds every trace and every period.
source "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
$PY -c 'import h5py' 2>/dev/null || fail "python3-h5py is needed to write labels.h5"
cd "$WORK"
run_le 2 synth -o c.h5 --traces 20000 --seed 3 >/dev/null
$PY "$LE_SRC/bench/rootcause_truth_labels.py" c.h5 labels.h5 >/dev/null
for np in 1 2 4; do
    run_le $np rootcause c.h5 labels.h5 -o rc$np.h5 > rc$np.txt
done
run_le 2 rootcause c.h5 labels.h5 -o rcw.h5 --periods window --no-page > rcw.txt
expect period_rule rate rc1.txt
expect period_rule window rcw.txt
expect truth labels rc1.txt
periods=$(value periods rc1.txt)
[ "$periods" -ge 10 ] || fail "only $periods periods on a corpus with 36 faults"
for np in 2 4; do
    for d in /periods/start_us /periods/end_us /periods/n_abnormal /periods/n_normal /periods/part_start_us \
             /periods/part_end_us /periods/part_period /rank/ef /rank/ep /rank/nf \
             /rank/np /rank/votes /rank/score /rank/evidence /rank/depth /rank/order /rank_ops/ef /rank_ops/score \
             /edges/caller /edges/callee /edges/count; do
        h5diff rc1.h5 rc$np.h5 $d $d >/dev/null || fail "$d differs between 1 and $np ranks"
    done
    h5diff -p 1e-9 rc1.h5 rc$np.h5 /rank/mean_us /rank/mean_us >/dev/null || fail "period latency means differ beyond 1e-9 at $np ranks"
done
# The rate rule by hand (docs/rootcause.md, "Fault periods"): 5 s fine
# bins widened to ~30 traces a bin, the normal share = the larger of the
# 0.25-quantile of the bins' shares (at least 1e-4) and the share in the
# bins with no abnormal trace within k bins (k the largest power of 2 up to
# 10 minutes whose such bins hold 1,000 traces, else 1), hot bins by a
# Poisson tail under 0.01, runs of hot bins = parts, a cold hole the
# period's own share explains (and at most 10 minutes) keeps the next part
# in the period, parts of < 2 abnormal traces dropped, each part trimmed to
# its first and last fine bin with an abnormal trace, and periods whose
# abnormal traces normal traffic makes with chance 0.01 / bins dropped.
$PY - <<'PY'
import h5py, numpy as np
from scipy.stats import poisson
c, l, r = h5py.File("c.h5"), h5py.File("labels.h5"), h5py.File("rc1.h5")
s, lab = c["traces/start_us"][:], (l["labels/label"][:] == 1)
BASE = 5_000_000
fine = s // BASE
span = (fine.max() - fine.min() + 1) * BASE
k = max(1, int(np.ceil(30 * span / len(s) / BASE)))
width = min(k * BASE, 300_000_000 // BASE * BASE)
idx = (fine * BASE) // width
keys, inv = np.unique(idx, return_inverse=True)
n, a = np.bincount(inv), np.bincount(inv, weights=lab).astype(int)
share = np.sort(a / n)
base = max(share[int(0.25 * (len(share) - 1))], 1e-4)
def isolated(k):  # share and traffic of the bins with no abnormal trace within k bins
    near = np.array([a[(keys >= keys[i] - k) & (keys <= keys[i] + k)].sum() for i in range(len(keys))])
    q = near == a
    return a[q].sum() / max(1, n[q].sum()), n[q].sum()
k = 1
while 2 * k <= 600_000_000 // width: k *= 2
while k > 1 and isolated(k)[1] < 1000: k //= 2
base = max(base, isolated(k)[0])
hot = poisson.sf(a - 1, base * n) < 0.01
parts, group = [], []
per_n = per_a = hole_n = hole_a = 0
last = None
for i in range(len(keys)):
    if not hot[i]:
        hole_n += n[i]; hole_a += a[i]; continue
    if parts and keys[i] == last + 1:
        parts[-1][1] = (keys[i] + 1) * width - 1; parts[-1][2] += a[i]
    else:
        sh = per_a / per_n if per_n else 0
        same = bool(parts) and keys[i] - last - 1 <= 600_000_000 // width and poisson.cdf(hole_a, sh * hole_n) >= 0.01
        group.append(group[-1] + (not same) if parts else 0)
        if same: per_n += hole_n; per_a += hole_a
        else: per_n = per_a = 0
        parts.append([keys[i] * width, (keys[i] + 1) * width - 1, a[i]])
    per_n += n[i]; per_a += a[i]; hole_n = hole_a = 0; last = keys[i]
keep = [j for j in range(len(parts)) if parts[j][2] >= 2]
parts, group = [parts[j] for j in keep], [group[j] for j in keep]
abn_fine = np.unique(fine[lab]) * BASE
for p in parts:
    x = abn_fine[(abn_fine >= p[0]) & (abn_fine <= p[1])]
    p[0], p[1] = x[0], x[-1] + BASE - 1
# support (truth labels weigh 1): the tail rule at 0.01 over the bins
need = lambda mu: next(k for k in range(max(1, int(mu)), 10**9) if poisson.sf(k - 1, mu) < 0.01 / len(keys))
kept = []
for g in dict.fromkeys(group):
    mine = [p for p, gg in zip(parts, group) if gg == g]
    traffic = sum(((s >= p[0]) & (s <= p[1])).sum() for p in mine)
    abn = sum(((s >= p[0]) & (s <= p[1]) & lab).sum() for p in mine)
    if abn >= 2 and abn >= need(base * traffic): kept.append(g)
parts, group = [p for p, g in zip(parts, group) if g in kept], [g for g in group if g in kept]
ids = {g: i for i, g in enumerate(dict.fromkeys(group))}
P = len(ids)
st, en, na = np.zeros(P, np.int64), np.zeros(P, np.int64), np.zeros(P, np.int64)
for p, g in zip(parts, group):
    i = ids[g]
    if not st[i]: st[i] = p[0]
    en[i] = p[1]; na[i] += ((s >= p[0]) & (s <= p[1]) & lab).sum()
assert P == len(r["periods/start_us"]), f"{P} periods by hand, {len(r['periods/start_us'])} in rc1.h5"
assert (st == r["periods/start_us"][:]).all() and (en == r["periods/end_us"][:]).all(), "period extents differ"
assert (na == r["periods/n_abnormal"][:]).all(), "abnormal counts differ"
assert [p[0] for p in parts] == list(r["periods/part_start_us"][:]), "parts differ"
assert [p[1] for p in parts] == list(r["periods/part_end_us"][:]), "part ends differ"
assert [ids[g] for g in group] == list(r["periods/part_period"][:]), "parts' periods differ"
PY
# The paper's rule (--periods window): the same periods as merging every
# abnormal trace's window by hand.
$PY - <<'PY'
import h5py, numpy as np
c, l, r = h5py.File("c.h5"), h5py.File("labels.h5"), h5py.File("rcw.h5")
s = np.sort(c["traces/start_us"][:][l["labels/label"][:] == 1])
W = r.attrs["window_us"]
per = []
for x in s:
    if per and x <= per[-1][1]: per[-1][1] = max(per[-1][1], x + W); per[-1][2] += 1
    else: per.append([x, x + W, 1])
per = np.array(per)
assert (per[:, 0] == r["periods/start_us"][:]).all() and (per[:, 1] == r["periods/end_us"][:]).all(), "periods differ"
assert (per[:, 2] == r["periods/n_abnormal"][:]).all(), "abnormal counts differ"
ef, ep, nf, np_ = (r["rank/" + k][:].astype(float) for k in ("ef", "ep", "nf", "np"))
with np.errstate(invalid="ignore", divide="ignore"):
    och = np.where(ef > 0, ef / np.sqrt((ef + ep) * (ef + nf)), 0)
assert np.allclose(och, r["rank/score"][:]), "scores are not Ochiai of the counts"
PY
# Confidence-weighted counts (docs/rootcause.md, "Weighted counts"): the
# truth's labels with margins spread as propagate's are (a few given, a few
# +inf), at 1, 2 and 4 ranks identical, and every weighted count, the periods'
# weighted totals and the scores equal to numpy's from the corpus: the
# scale the median margin of the abnormal labels (to its float's top 16
# bits), w = 1 - exp(-margin / scale) for an abnormal label, 1 for a normal
# one, fixed point 2^-20; a trace covers a service it has a span of or that
# one of its client operations usually calls.
$PY - <<'PY'
import shutil, h5py, numpy as np
shutil.copy("labels.h5", "labelsw.h5")
with h5py.File("labelsw.h5", "r+") as f:
    lab = f["labels/label"][:]
    g = np.random.default_rng(5)
    m = np.where(lab == 1, g.exponential(12, len(lab)), g.exponential(2, len(lab))).astype(np.float32)
    m[g.choice(len(lab), 30, replace=False)] = np.inf
    given = np.zeros(len(lab), np.int8)
    given[g.choice(len(lab), 40, replace=False)] = 1
    f["labels/confidence"][:] = m
    f["labels/given"][:] = given
PY
for np in 1 2 4; do
    run_le $np rootcause c.h5 labelsw.h5 -o rcw$np.h5 --no-page > rcw$np.txt
done
expect counts confidence rcw1.txt
for np in 2 4; do
    for d in /periods/start_us /periods/part_start_us /periods/w_abnormal /periods/w_normal /rank/wef /rank/wep \
             /rank/score /rank/order /rank_ops/score; do
        h5diff rcw1.h5 rcw$np.h5 $d $d >/dev/null || fail "weighted: $d differs between 1 and $np ranks"
    done
done
$PY - <<'PY'
import h5py, numpy as np
c, l, r = h5py.File("c.h5"), h5py.File("labelsw.h5"), h5py.File("rcw1.h5")
lab, m, given = l["labels/label"][:], l["labels/confidence"][:], l["labels/given"][:]
def scale(x):  # the lower median, floored to its float's top 16 bits
    v = np.sort(x)[int(0.5 * (len(x) - 1))]
    return float((np.array([v], np.float32).view(np.uint32) >> 16 << 16).view(np.float32)[0])
sc = [scale(m[(lab == k) & (given == 0) & np.isfinite(m)]) for k in (0, 1)]
w = np.where((given == 1) | np.isinf(m) | (lab == 0), 1.0, 1 - np.exp(-m.astype(float) / sc[1]))
w = np.floor(w * 2**20 + 0.5) / 2**20
# coverage: spans of the service, and the callee of client operations
off, svc, op, par = c["traces/span_offset"][:], c["spans/service"][:], c["spans/operation"][:], c["spans/parent"][:]
S, O = len(c["tables/services"]), len(c["tables/operations"])
T = len(off) - 1
tr = np.repeat(np.arange(T), np.diff(off))
loc = np.arange(len(svc)) - off[tr]
ok = (par >= 0) & (par < loc)
gp = np.where(ok, off[tr] + np.where(ok, par, 0), 0)
child = ok & (svc != svc[gp])
cnt = np.zeros((O, S), np.int64)
np.add.at(cnt, (op[gp[child]], svc[child]), 1)
callee = np.where(cnt.max(1) > 0, cnt.argmax(1), -1)
cov = np.zeros((T, S), bool)
cov[tr, svc] = True
cal = callee[op]
x = (cal >= 0) & (cal != svc)
cov[tr[x], cal[x]] = True
s = c["traces/start_us"][:]
ps, pe, pp = r["periods/part_start_us"][:], r["periods/part_end_us"][:], r["periods/part_period"][:]
P = len(r["periods/start_us"])
per = np.full(T, -1)
for a, b, p in zip(ps, pe, pp):
    per[(s >= a) & (s <= b)] = p
ef, wef, wep = np.zeros((P, S)), np.zeros((P, S)), np.zeros((P, S))
wa, wn = np.zeros(P), np.zeros(P)
for t in np.flatnonzero(per >= 0):
    if lab[t]: wef[per[t]] += w[t] * cov[t]; ef[per[t]] += cov[t]; wa[per[t]] += w[t]
    else: wep[per[t]] += w[t] * cov[t]; wn[per[t]] += w[t]
assert (ef == r["rank/ef"][:]).all(), "coverage by hand differs from rank/ef"
assert np.allclose(wa, r["periods/w_abnormal"][:], atol=1e-5), "weighted abnormal totals differ"
assert np.allclose(wn, r["periods/w_normal"][:], atol=1e-5), "weighted normal totals differ"
assert np.allclose(wef, r["rank/wef"][:], atol=1e-5), "weighted ef differs"
assert np.allclose(wep, r["rank/wep"][:], atol=1e-5), "weighted ep differs"
with np.errstate(invalid="ignore", divide="ignore"):
    och = np.where(wef > 0, wef / np.sqrt((wef + wep) * wa[:, None]), 0)
assert np.allclose(och, r["rank/score"][:]), "scores are not Ochiai of the weighted counts"
assert not np.allclose(r["rank/wef"][:], r["rank/ef"][:]), "weights had no effect"
print(f"weighted counts: {P} periods, scales {sc[0]:.4g} {sc[1]:.4g}, equal to numpy")
PY
for np in 1 2; do
    run_le $np eval c.h5 labels.h5 rc$np.h5 > ev$np.txt
done
for k in period_precision period_recall hr@1 hr@3 hr@5 faults_found; do
    [ "$(value $k ev1.txt)" = "$(value $k ev2.txt)" ] || fail "$k differs between 1 and 2 ranks"
done
cat ev1.txt | grep -E '^(period_|hr@|faults)'
awk -F': ' '$1=="period_precision" && $2<0.8 {exit 1} $1=="period_recall" && $2<0.6 {exit 1} $1=="hr@3" && $2<0.6 {exit 1}' ev1.txt \
    || fail "root-cause figures far below the issue's (ev1.txt)"
# The page: self-contained, with the periods as data.
[ -s rc1.html ] || fail "no page"
grep -qiE '(src|href)=|https?://[^w]' rc1.html && fail "rc1.html refers to a URL"
grep -q '"schema":"labelease-rootcause-page"' rc1.html || fail "the page has no data block"
# Export: suggested root causes, then a confirmed one from a labels CSV.
start=$($PY -c 'import h5py; r=h5py.File("rc1.h5"); print(r["periods/start_us"][1], r["periods/end_us"][1])')
read -r s0 e0 <<<"$start"
printf 'period,start_us,end_us,service,fault_type,note\n1,%s,%s,cartservice,"other:disk, full","x ""y"""\n' "$s0" "$e0" > rcl.csv
run_le 2 export c.h5 labels.h5 rc1.h5 rcl.csv -o ds > ex.txt
expect traces 20000 ex.txt
expect periods "$periods" ex.txt
expect confirmed 1 ex.txt
[ "$(( $(wc -l < ds/traces.csv) - 1 ))" = 20000 ] || fail "traces.csv rows"
[ "$(( $(wc -l < ds/periods.csv) - 1 ))" = "$periods" ] || fail "periods.csv rows"
grep -q '^1,.*,cartservice,"other:disk, full","x ""y""",confirmed$' ds/periods.csv || fail "confirmed period row: $(sed -n 3p ds/periods.csv)"
# a confirmed row whose period is not one of rc1.h5's: refused, naming it (the
# message was formatted from the rows after they were freed: sanitized CI sees it)
printf 'period,start_us,end_us,service,fault_type,note\n1,%s,%s,cartservice,cpu,\n' "$((s0 + 1))" "$e0" > rcbad.csv
rc=0; run_le 2 export c.h5 labels.h5 rc1.h5 rcbad.csv -o dsbad > /dev/null 2> exbad.err || rc=$?
[ $rc -ne 0 ] && grep -q "rcbad.csv: period 1 \[$((s0 + 1)), $e0\] is not a period of rc1.h5" exbad.err \
    || fail "a period not in rc1.h5: status $rc, $(cat exbad.err)"
[ ! -e dsbad ] || fail "a refused export wrote dsbad"
$PY - <<'PY'
import csv, json, h5py, numpy as np
def trace_ids(f):  # corpus schema 2: offsets + bytes (docs/corpus.md)
    off, b = f["traces/trace_id_offset"][:], f["traces/trace_id_bytes"][:].tobytes()
    return [b[off[i]:off[i + 1]].decode() for i in range(len(off) - 1)]
d, c, l = h5py.File("ds/dataset.h5"), h5py.File("c.h5"), h5py.File("labels.h5")
cids = trace_ids(c)
assert [x.decode() for x in d["traces/trace_id"][:]] == cids, "trace ids out of corpus order"
assert (d["traces/label"][:] == l["labels/label"][:]).all()
rows = list(csv.DictReader(open("ds/traces.csv")))
assert rows[5]["trace_id"] == cids[5] and len(rows) == len(d["traces/label"])
per = d["traces/period"][:]
st = d["periods/start_us"][:]
assert ((per >= 0) == (d["traces/period"][:] >= 0)).all() and per.max() == len(st) - 1
j = json.load(open("ds/dataset.json"))
assert j["periods"][1]["source"] == "confirmed" and j["periods"][1]["fault_type"] == "other:disk, full"
assert j["periods"][0]["source"] == "suggested"
PY
echo "rootcause: all checks passed"
