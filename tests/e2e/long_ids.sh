# Issue 16 case 11: one long trace id must not cost memory for every trace
# (ids are stored as offsets + bytes, capped at 1024 bytes), the 1 MiB CSV
# field cap holds for a field on one line, and a version 1 corpus (fixed-length
# ids, no fingerprint) is still read, with the fingerprint a version 2 file has.
source "$(dirname "$0")/lib.bash"
PY=/usr/bin/python3
cd "$WORK"
$PY - <<'PY'
H = "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n"
def rows(tid, t, op="GET /"):
    s = 1000000000 + t * 1000000
    return (f"{tid},a,root,front-7d9f8b6c5d-abcde,{op},{s},{s + 500000},500\n"
            f"{tid},b,a,cart-5c7b9d8f6-x1y2z,GetCart,{s + 100000},{s + 200000},100\n")
with open("long.csv", "w") as f:  # 2000 traces and one whose id is 200 KB
    f.write(H + "".join(rows("t%05d" % t, t) for t in range(2000)) + rows("L" * 200000, 2000))
with open("cap.csv", "w") as f:  # ids at the cap (kept) and one byte over (dropped)
    f.write(H + "".join(rows("t%05d" % t, t) for t in range(300)))
    f.write(rows("C" * 1024, 300) + rows("D" * 1025, 301))
with open("field.csv", "w") as f:  # a 3 MiB quoted field, on one line
    f.write(H + rows("t1", 1) + rows("t2", 2, '"' + "x" * (3 << 20) + '"'))
PY

# The 200 KB id: its rows dropped and counted; memory and time stay small
# (fixed-width ids cost 2001 x 200 KB a rank and a minute before).
run_le 2 ingest --format nezha -o long.h5 long.csv > long.txt
expect traces 2000 long.txt
expect dropped.long_trace_ids 2 long.txt
grep -q '^dropped.long_trace_ids.examples: long.csv:4002, long.csv:4003$' long.txt || fail "examples: $(grep examples long.txt)"
awk -v m="$(value peak_rss_mib_max long.txt)" -v s="$(value seconds long.txt)" 'BEGIN { exit !(m < 300 && s < 20) }' \
    || fail "peak_rss_mib_max $(value peak_rss_mib_max long.txt), seconds $(value seconds long.txt)"

# Ids up to the cap are kept whole, the same corpus at 1 and 2 ranks.
run_le 1 ingest --format nezha -o cap1.h5 cap.csv > cap1.txt
run_le 2 ingest --format nezha -o cap2.h5 cap.csv > cap2.txt
expect traces 301 cap2.txt
expect dropped.long_trace_ids 2 cap2.txt
h5diff cap1.h5 cap2.h5 || fail "the corpus differs between 1 and 2 ranks"
$PY - <<'PY' || fail "the ids in cap2.h5"
import h5py
f = h5py.File("cap2.h5")
off, b = f["traces/trace_id_offset"][:], f["traces/trace_id_bytes"][:].tobytes()
ids = [b[off[i]:off[i + 1]].decode() for i in range(len(off) - 1)]
assert ids[:3] == ["t00000", "t00001", "t00002"] and ids[-1] == "C" * 1024, ids[-1][:20]
assert f.attrs["schema_version"] == 2 and len(f.attrs["fingerprint"]) == 16
PY

# A field longer than 1 MiB is a malformed row even when it ends on its line.
run_le 1 ingest --format nezha -o field.h5 field.csv > field.txt
expect dropped.malformed_rows 1 field.txt
expect spans 3 field.txt

# A version 1 corpus (made from cap2.h5 as the previous labelease wrote it)
# still reads; its fingerprint, computed on open, is the stored one.
$PY - <<'PY'
import h5py, numpy as np
with h5py.File("cap2.h5") as src, h5py.File("v1.h5", "w") as dst:
    for k in src: src.copy(k, dst)
    for k, v in src.attrs.items(): dst.attrs[k] = v
    off, b = src["traces/trace_id_offset"][:], src["traces/trace_id_bytes"][:].tobytes()
    ids = [b[off[i]:off[i + 1]] for i in range(len(off) - 1)]
    del dst["traces/trace_id_offset"], dst["traces/trace_id_bytes"]
    dst["traces/trace_id"] = np.array(ids, dtype="S%d" % (max(map(len, ids)) + 1))
    dst.attrs["schema_version"] = np.int64(1)
    del dst.attrs["fingerprint"]
PY
run_le 2 info cap2.h5 > i2.txt
run_le 2 info v1.h5 > i1.txt
expect schema_version 1 i1.txt
expect traces 301 i1.txt
expect fingerprint "$(value fingerprint i2.txt)" i1.txt
echo "long ids OK"
