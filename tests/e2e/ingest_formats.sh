# Each format through the whole ingest command at 1, 2 and 4 ranks, on the
# fixtures written from the formats' public documentation: the same corpus at
# every rank count, a Jaeger trace split over two files joined into one, and
# broken files rejected with the file named.
source "$(dirname "$0")/lib.bash"
FX=$LE_SRC/tests/fixtures
ingest_all_ranks() { # NAME ARGS...: ingest at 1, 2, 4 ranks, h5diff, keep np1 report
    local name=$1; shift
    for np in 1 2 4; do
        run_le $np ingest -o "$WORK/$name$np.h5" "$@" > "$WORK/$name$np.txt" || fail "$name at $np ranks: $(cat "$WORK/$name$np.txt")"
    done
    for np in 2 4; do h5diff "$WORK/${name}1.h5" "$WORK/$name$np.h5" || fail "$name: $np ranks differ from 1"; done
    local rows spans drops merged virtual r=$WORK/${name}1.txt
    rows=$(value rows_read "$r") spans=$(value spans "$r") drops=$(value dropped_rows "$r")
    merged=$(value merged_fragments "$r") virtual=$(value virtual_roots "$r")
    [ $((spans + drops + merged - virtual)) = "$rows" ] || fail "$name: $spans spans + $drops drops + $merged merged - $virtual virtual roots != $rows rows"
    [ "$spans" -gt 0 ] || fail "$name: no spans"
}
ingest_all_ranks jaeger --format jaeger "$FX/jaeger/api_traces.json" "$FX/jaeger/old_array.json" \
    "$FX/jaeger/split_part1.json" "$FX/jaeger/split_part2.json"
ingest_all_ranks zipkin --format zipkin "$FX/zipkin/spans.json" "$FX/zipkin/traces.json"
ingest_all_ranks otlp --format otlp "$FX/otlp/request.json" "$FX/otlp/file_exporter.jsonl"
ingest_all_ranks aiops --format aiops2022 "$FX/csv/aiops2022.csv"
ingest_all_ranks tracevae --format tracevae "$FX/csv/tracevae_test.csv"
ingest_all_ranks labelcol --format csv --map "$FX/csv/labels_col.ini" "$FX/csv/labels_col.csv"

# the split Jaeger trace: its spans from both files form one tree
/usr/bin/python3 - "$WORK/jaeger1.h5" "$FX/jaeger/split_part1.json" "$FX/jaeger/split_part2.json" <<'PY'
import sys, json, h5py
def trace_ids(f):  # corpus schema 2: offsets + bytes (docs/corpus.md)
    off, b = f["traces/trace_id_offset"][:], f["traces/trace_id_bytes"][:].tobytes()
    return [b[off[i]:off[i + 1]].decode() for i in range(len(off) - 1)]
f = h5py.File(sys.argv[1], "r")
ids = trace_ids(f)
split = set()
for p in sys.argv[2:]:
    for t in json.load(open(p))["data"]:
        split.add(t["traceID"])
off = f["traces/span_offset"][:]
par = f["spans/parent"][:]
for tid in split:
    t = ids.index(tid)
    n = off[t + 1] - off[t]
    want = sum(len(tr["spans"]) for p in sys.argv[2:] for tr in json.load(open(p))["data"] if tr["traceID"] == tid)
    assert n == want, (tid, n, want)
    assert par[off[t]] == -1 and (par[off[t] + 1:off[t + 1]] >= 0).all(), "one tree"
PY
# tracevae test file carries labels: ground truth written
run_le 1 info "$WORK/tracevae1.h5" > "$WORK/tvi.txt"
expect ground_truth yes "$WORK/tvi.txt"

# broken inputs: an error naming the file, non-zero exit, no corpus claimed
for bad in jaeger/truncated.json:jaeger zipkin/truncated.json:zipkin otlp/truncated.jsonl:otlp jaeger/not_json.txt:jaeger; do
    f=${bad%%:*} fmt=${bad##*:}
    if run_le 2 ingest --format "$fmt" -o "$WORK/bad.h5" "$FX/$f" > /dev/null 2> "$WORK/bad.err"; then
        fail "$f was accepted"
    fi
    grep -q "$(basename "$f")" "$WORK/bad.err" || fail "$f: error does not name the file: $(cat "$WORK/bad.err")"
    [ ! -e "$WORK/bad.h5" ] || fail "$f: a corpus was written from a broken input"
done
echo "PASS ingest_formats"
