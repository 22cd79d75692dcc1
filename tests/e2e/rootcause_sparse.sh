# rootcause's memory does not grow with services² (issue #16, case 12): a
# corpus of 600 services and 200 fault periods, where the old dense call
# matrix per period (periods x services² counts, 576 MB a rank) made the
# job's size. With the calls kept sparse (only those that occur, summed
# across ranks by le_allreduce_pairs), peak RSS stays far below that at 1
# and 2 ranks, the calls and depths in rootcause.h5 are those built into
# the corpus, and both rank counts write the same counts.
source "$(dirname "$0")/lib.bash"
cd "$WORK"
S=600 P=200
# Period i: an abnormal trace at i*400 s through svc(3i) -> svc(3i+1) ->
# svc(3i+2) (--periods window, 300 s: one period each; the rate rule wants
# more than one abnormal trace), and a normal one beside it.
python3 - "$S" "$P" > t.csv <<'PY'
import sys
S, P = int(sys.argv[1]), int(sys.argv[2])
print("timestamp,cmdb_id,span_id,trace_id,duration,type,status_code,operation_name,parent_span")
for i in range(P):
    t0 = 1_600_000_000_000 + i * 400_000
    for kind in ("a", "n"):
        tid = f"{kind}{i}"
        svc = [(3 * i + d) % S for d in range(3)]
        parent = ""
        for d, s in enumerate(svc):
            sid = f"{tid}s{d}"
            print(f"{t0 + d},svc{s}-1,{sid},{tid},{1000 - 10 * d},rpc,0,op{s},{parent}")
            parent = sid
PY
{ echo "trace_id,label"; for i in $(seq 0 $((P - 1))); do echo "a$i,abnormal"; echo "n$i,normal"; done; } > labels.csv
run_le 1 ingest --format aiops2022 --labels labels.csv -o c.h5 t.csv > ingest.txt
expect traces $((2 * P)) ingest.txt
for np in 1 2; do
    run_le "$np" rootcause c.h5 --from-truth -o "rc$np.h5" --no-page --periods window > "rc$np.txt"
    expect periods "$P" "rc$np.txt"
    rss=$(value peak_rss_mib_max "rc$np.txt")
    awk -v r="$rss" 'BEGIN { exit !(r < 200) }' || fail "rootcause at $np ranks peaked at $rss MiB: memory grows with services²"
done
h5diff rc1.h5 rc2.h5 /edges || fail "the calls differ between 1 and 2 ranks"
/usr/bin/python3 - "$S" "$P" rc2.h5 <<'PY' || fail "rootcause.h5 has wrong calls or depths"
import sys, h5py
S, P = int(sys.argv[1]), int(sys.argv[2])
f = h5py.File(sys.argv[3], "r")
svc = [n.decode() if isinstance(n, bytes) else n for n in f["/services/name"][()]]
got = set(zip(*(f["/edges/" + k][()].tolist() for k in ("period", "caller", "callee", "count"))))
want = set()
for i in range(P):
    a, b, c = (svc.index(f"svc{(3 * i + d) % S}") for d in range(3))
    want |= {(i, a, b, 2), (i, b, c, 2)}  # the abnormal and the normal trace
assert got == want, f"{len(got)} calls, {len(want)} wanted; e.g. {sorted(got ^ want)[:4]}"
depth = f["/rank/depth"][()]
for i in range(P):
    for d in range(3):
        assert depth[i, svc.index(f"svc{(3 * i + d) % S}")] == d, (i, d)
    assert (depth[i] >= 0).sum() == 3, i
PY
echo "ok: $S services, $P periods: peak $(value peak_rss_mib_max rc2.txt) MiB a rank at 2 ranks"
