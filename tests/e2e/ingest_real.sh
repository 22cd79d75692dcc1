# Real data from ../shared: counts the issue names, and the same corpus at
# 1, 2 and 4 ranks; the visible truth of the two fault-list corpora
# (../shared/data/README.md gives the Online Boutique count).
source "$(dirname "$0")/lib.bash"
need_shared
tar -xJf "$LE_SHARED/data/real/trainticket-2023-01-29.tar.xz" -C "$WORK"
tar -xJf "$LE_SHARED/data/real/deeptralog-trainticket.tar.xz" -C "$WORK"
tar -xJf "$LE_SHARED/data/real/onlineboutique-stream-2022-08-22.tar.xz" -C "$WORK"
TT=$WORK/trainticket-2023-01-29 DTL=$WORK/deeptralog-trainticket OB=$WORK/onlineboutique-stream-2022-08-22

for np in 1 2 4; do
    run_le $np ingest --format nezha --faults "$TT/fault_list.json" -o "$WORK/tt$np.h5" "$TT/trace" > "$WORK/tt$np.txt"
    expect traces 4483 "$WORK/tt$np.txt"
    expect spans 321068 "$WORK/tt$np.txt"
    expect rows_read 328848 "$WORK/tt$np.txt"
    expect dropped.duplicate_rows 7780 "$WORK/tt$np.txt"
    expect dropped_rows 7780 "$WORK/tt$np.txt"
    expect faults 28 "$WORK/tt$np.txt"
    expect fault_truth visible "$WORK/tt$np.txt"
    expect abnormal_traces 38 "$WORK/tt$np.txt"
    run_le $np ingest --format skywalking --label-by-filename 'ERROR_*=abnormal,SUCCESS_*=normal' \
        -o "$WORK/dtl$np.h5" "$DTL" > "$WORK/dtl$np.txt"
    expect traces 5263 "$WORK/dtl$np.txt"
    expect abnormal_traces 2763 "$WORK/dtl$np.txt"
    expect rows_read 51303 "$WORK/dtl$np.txt"
    expect label_conflicts 500 "$WORK/dtl$np.txt"
done
# the same 84 TrainTicket files gzip-compressed (issue 17): the same corpus
mkdir -p "$WORK/ttgz" && cp -r "$TT/trace" "$WORK/ttgz/" && gzip -r "$WORK/ttgz/trace"
run_le 2 ingest --format nezha --faults "$TT/fault_list.json" -o "$WORK/ttgz.h5" "$WORK/ttgz/trace" > "$WORK/ttgz.txt"
expect files 84 "$WORK/ttgz.txt"
expect bytes_read "$(value bytes_read "$WORK/tt1.txt")" "$WORK/ttgz.txt"
h5diff "$WORK/tt1.h5" "$WORK/ttgz.h5" || fail "the gzip-compressed TrainTicket files give another corpus"
# (the visible truth at 1, 2 and 4 ranks: the TrainTicket files above, and mpi_truth)
run_le 2 ingest --format nezha --faults "$OB/fault_list.json" -o "$WORK/ob1.h5" "$OB/trace" > "$WORK/ob1.txt"
expect traces 56652 "$WORK/ob1.txt"
expect spans 2456051 "$WORK/ob1.txt"
expect dropped.duplicate_rows 21069 "$WORK/ob1.txt"
expect abnormal_traces 2326 "$WORK/ob1.txt"
expect reference_traces 26921 "$WORK/ob1.txt"
for np in 2 4; do
    h5diff "$WORK/tt1.h5" "$WORK/tt$np.h5" || fail "nezha corpus at $np ranks differs from 1 rank"
    h5diff "$WORK/dtl1.h5" "$WORK/dtl$np.h5" || fail "skywalking corpus at $np ranks differs from 1 rank"
done
# info agrees with ingest, at 2 ranks
run_le 2 info "$WORK/tt1.h5" > "$WORK/info.txt"
expect traces 4483 "$WORK/info.txt"
expect spans 321068 "$WORK/info.txt"
expect faults 28 "$WORK/info.txt"
run_le 2 info "$WORK/ob1.h5" > "$WORK/info-ob.txt"
expect abnormal_traces 2326 "$WORK/info-ob.txt"
grep -q '^fault_0: frontend cpu_contention .* visible_traces=69 chance=170/26921 (0.63%)$' "$WORK/info-ob.txt" \
    || fail "info does not list fault 0's visible traces and chance rate: $(grep '^fault_0:' "$WORK/info-ob.txt")"
run_le 2 info "$WORK/dtl1.h5" > "$WORK/info2.txt"
expect abnormal_traces 2763 "$WORK/info2.txt"
# h5py reads it (Debian's python3, not a pyenv one)
/usr/bin/python3 - "$WORK/tt1.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
off = f["traces/span_offset"][:]
assert off[-1] == 321068 and len(off) == 4484, off[-1]
par = f["spans/parent"][:]
assert (par[off[:-1]] == -1).all(), "first span of every trace is its root"
assert len(f["ground_truth/faults/type"]) == 28
PY
# TrainTicket has a fault list but no per-trace labels: the oracle, eval and
# rootcause use the visible truth and say so; --truth approximate the
# window-and-service approximation, which marks far more traces
run_le 2 select "$WORK/tt1.h5" - --representation stv --budget 20 --rounds 1 --no-page -o "$WORK/reps.h5" > /dev/null
run_le 2 label "$WORK/reps.h5" --oracle "$WORK/tt1.h5" -o "$WORK/l.csv" > "$WORK/oracle.txt"
expect representatives 20 "$WORK/oracle.txt"
expect truth visible "$WORK/oracle.txt"
[ "$(value unknown "$WORK/oracle.txt")" = 0 ] || fail "oracle left labels unknown"
run_le 2 label "$WORK/reps.h5" --oracle "$WORK/tt1.h5" --truth approximate -o "$WORK/la.csv" > "$WORK/oracle-a.txt"
expect truth approximate "$WORK/oracle-a.txt"
run_le 2 rootcause "$WORK/tt1.h5" --from-truth --no-page -o "$WORK/rc.h5" > "$WORK/rc.txt"
expect truth visible "$WORK/rc.txt"
run_le 2 propagate "$WORK/tt1.h5" - "$WORK/l.csv" --representation stv -o "$WORK/p.h5" > /dev/null
run_le 2 eval "$WORK/tt1.h5" "$WORK/p.h5" > "$WORK/eval.txt"
expect truth visible "$WORK/eval.txt"
[ $(( $(value tp "$WORK/eval.txt") + $(value fn "$WORK/eval.txt") )) = 38 ] || fail "eval does not score against the 38 visible traces"
run_le 2 eval "$WORK/tt1.h5" "$WORK/p.h5" --truth approximate > "$WORK/eval-a.txt"
expect truth approximate "$WORK/eval-a.txt"
[ $(( $(value tp "$WORK/eval-a.txt") + $(value fn "$WORK/eval-a.txt") )) -gt 900 ] || fail "the approximation should mark far more traces (988)"
echo "PASS ingest_real"
