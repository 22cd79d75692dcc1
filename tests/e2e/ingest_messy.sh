# Messy input through the whole ingest at 1, 2 and 4 ranks: a trace split over
# two files, duplicates, a conflict, an orphan, a cycle, a second root, a
# rootless trace, bad values, a short row. Exact counts, the accounting
# identity, the same corpus at every rank count, and --strict. The old tree
# rules (--roots first) drop the orphan and the second root; the default
# (--roots virtual) keeps both under a virtual root. Under the old rules more
# than half of the rows are dropped: exit status 11 with a warning.
source "$(dirname "$0")/lib.bash"
H=TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration
mkdir -p "$WORK/in"
cat > "$WORK/in/a.csv" <<CSV
$H
t1,a,root,front-7d9f8b6c5d-abcde,GET /,1000000000,1000500000,500
t1,b,a,cart-5c7b9d8f6-x1y2z,GetCart,1000100000,1000200000,100
t1,b,a,cart-5c7b9d8f6-x1y2z,GetCart,1000100000,1000200000,100
t2,r,root,front-7d9f8b6c5d-abcde,GET /,2000000000,2000900000,900
t2,s,r,redis-0,HGET,2000100000,2000200000,100
t2,s,r,redis-0,HGET,2000100000,2000300000,200
t2,o,zz,redis-0,HGET,2000100000,2000200000,100
t2,c1,c2,redis-0,HGET,2000100000,2000200000,100
t2,c2,c1,redis-0,HGET,2000100000,2000200000,100
t2,x,root,front-7d9f8b6c5d-abcde,GET /x,2000000000,2000100000,100
t3,n,root,front-7d9f8b6c5d-abcde,GET /,3000000000,2999000000,-1000
t3,q,root,front-7d9f8b6c5d-abcde,GET /,3000000000,3000001000,abc
t3,w,root,front-7d9f8b6c5d-abcde
CSV
cat > "$WORK/in/b.csv" <<CSV
$H
t1,c,b,redis-0,HGET,1000120000,1000150000,30
t1,a,root,front-7d9f8b6c5d-abcde,GET /,1000000000,1000500000,500
t4,m,gone,cart-5c7b9d8f6-x1y2z,GetCart,4000000000,4000100000,100
t4,k,m,redis-0,HGET,4000010000,4000020000,10
CSV
for np in 1 2 4; do
    # 10 of 17 rows dropped: the corpus is written, with exit status 11
    # (docs/ingest.md, "Exit status")
    rc=0
    run_le $np ingest --roots first --format nezha -o "$WORK/m$np.h5" "$WORK/in" > "$WORK/m$np.txt" 2> "$WORK/m$np.err" || rc=$?
    [ $rc = 11 ] || fail "messy input at $np ranks: exit status $rc, not 11: $(cat "$WORK/m$np.err")"
    grep -q "warning: 10 of 17 rows (58.8%) were dropped, most as duplicate_rows (2)" "$WORK/m$np.err" \
        || fail "no warning about the dropped rows: $(cat "$WORK/m$np.err")"
    f=$WORK/m$np.txt
    expect rows_read 17 "$f"
    expect traces 3 "$f"                 # t3 has no valid span left
    expect spans 7 "$f"                  # t1: a b c; t2: r s; t4: m k
    expect dropped.duplicate_rows 2 "$f" # t1/b, t1/a (in b.csv)
    expect dropped.conflicting_span_ids 1 "$f"
    expect dropped.orphan_spans 1 "$f"   # t2/o
    expect dropped.cycle_spans 2 "$f"
    expect dropped.extra_root_spans 1 "$f" # t2/x: smaller subtree than r
    expect dropped.negative_durations 1 "$f"
    expect dropped.unparsable_fields 1 "$f"
    expect dropped.malformed_rows 1 "$f"
    expect dropped_rows 10 "$f"
    expect orphan_roots_promoted 1 "$f"  # t4 starts at a missing parent
    expect services 3 "$f"               # cart, front, redis from pod names
done
grep -q '^dropped.duplicate_rows.examples: .*/in/a.csv:4, .*/in/b.csv:3$' "$WORK/m1.txt" \
    || fail "duplicate examples should name a.csv:4 and b.csv:3: $(grep duplicate_rows.examples "$WORK/m1.txt")"
for np in 2 4; do h5diff "$WORK/m1.h5" "$WORK/m$np.h5" || fail "corpus at $np ranks differs"; done
# t1 in preorder: a (root), b, c with c's parent b
/usr/bin/python3 - "$WORK/m1.h5" <<'PY'
import sys, h5py
def trace_ids(f):  # corpus schema 2: offsets + bytes (docs/corpus.md)
    off, b = f["traces/trace_id_offset"][:], f["traces/trace_id_bytes"][:].tobytes()
    return [b[off[i]:off[i + 1]].decode() for i in range(len(off) - 1)]
f = h5py.File(sys.argv[1], "r")
ids = trace_ids(f)
assert ids == ["t1", "t2", "t4"], ids
off = f["traces/span_offset"][:]
assert list(f["spans/parent"][off[0]:off[1]]) == [-1, 0, 1]
svc = [s.decode() for s in f["tables/services"][:]]
assert svc == ["cart", "front", "redis"], svc
assert list(f["spans/duration_us"][off[0]:off[1]]) == [500, 100, 30]
assert f["traces/start_us"][0] == 1000000
PY
# the default: t2 whole under a virtual root (r and x), its orphan o under it too
for np in 1 2; do
    run_le $np ingest --format nezha -o "$WORK/v$np.h5" "$WORK/in" > "$WORK/v$np.txt"
    f=$WORK/v$np.txt
    expect rows_read 17 "$f"
    expect spans 10 "$f" # t1: a b c; t2: (virtual root) r s o x; t4: m k
    expect dropped_rows 8 "$f"
    expect dropped.orphan_spans 0 "$f"
    expect dropped.extra_root_spans 0 "$f"
    expect orphan_spans_attached 1 "$f"
    expect virtual_roots 1 "$f"
    expect orphan_roots_promoted 1 "$f"
done
h5diff "$WORK/v1.h5" "$WORK/v2.h5" || fail "default tree rules: corpus at 2 ranks differs"
/usr/bin/python3 - "$WORK/v1.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
off = f["traces/span_offset"][:]
svc = [s.decode() for s in f["tables/services"][:]]
t2 = slice(off[1], off[2])  # virtual root; its children by start: r (with s), x, then o, whose parent is missing
assert svc[f["spans/service"][off[1]]] == "(virtual root)", svc
assert list(f["spans/parent"][t2]) == [-1, 0, 1, 0, 0], list(f["spans/parent"][t2])
assert f["spans/start_us"][off[1]] == 2000000 and f["spans/duration_us"][off[1]] == 900
PY
# --strict: the first drop stops the job with its file and line
if run_le 2 ingest --strict --format nezha -o "$WORK/s.h5" "$WORK/in" > "$WORK/s.txt" 2> "$WORK/s.err"; then
    fail "--strict accepted messy input"
fi
grep -q 'a.csv:[0-9]*: ' "$WORK/s.err" || fail "--strict error names no file:line: $(cat "$WORK/s.err")"
# a missing input and an unknown format are clear errors
if run_le 1 ingest --format nezha -o "$WORK/x.h5" "$WORK/nope.csv" 2> "$WORK/e1"; then fail "missing input accepted"; fi
grep -q 'nope.csv: no such file' "$WORK/e1" || fail "missing input message: $(cat "$WORK/e1")"
if run_le 1 ingest --format bogus -o "$WORK/x.h5" "$WORK/in" 2> "$WORK/e2"; then fail "unknown format accepted"; fi
grep -qi 'bogus' "$WORK/e2" || fail "unknown format message: $(cat "$WORK/e2")"
echo "PASS ingest_messy"
