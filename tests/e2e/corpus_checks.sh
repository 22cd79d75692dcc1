# Corrupt and extreme corpora (issue #16, cases 8, 9 and the time units of
# 13; docs/corpus.md "Checked on open"). Copies of a small synth corpus with
# one dataset damaged by h5py are refused on open by every stage at 2 ranks:
# a non-zero exit naming the file, dataset and index, no crash, no hang.
# Ingest drops spans outside the time window 1970..2200 and counts them,
# warns once about times that look like the wrong unit, and refuses
# calendar dates that do not exist.
source "$(dirname "$0")/lib.bash"
run_le 2 synth -q -o "$WORK/c.h5" --traces 120 --seed 1 > /dev/null
run_le 2 train -q "$WORK/c.h5" -o "$WORK/m.h5" --epochs 1 > /dev/null
run_le 2 embed -q "$WORK/c.h5" "$WORK/m.h5" -o "$WORK/e.h5" > /dev/null

# $WORK/KIND.h5 for each KIND: a copy of c.h5 with one thing broken (every
# other check on open: tests/mpi/test_corpus_check.c)
/usr/bin/python3 - "$WORK" offset parent operation services span_time <<'PY'
import sys, shutil, h5py
work, kinds = sys.argv[1], sys.argv[2:]
for kind in kinds:
    shutil.copy(work + "/c.h5", "%s/%s.h5" % (work, kind))
    with h5py.File("%s/%s.h5" % (work, kind), "r+") as f:
        def poke(name, i, v):
            a = f[name][:]; a[i] = v; f[name][...] = a
        off = f["traces/span_offset"][:]
        if kind == "offset": poke("traces/span_offset", 100, off[99] - 1)  # in rank 1's half
        elif kind == "parent": poke("spans/parent", off[-1] - 1, 1000000)   # the last span: rank 1's
        elif kind == "operation": poke("spans/operation", 40, 999)
        elif kind == "services":
            t = f["tables/services"].dtype
            del f["tables/services"]
            f.create_dataset("tables/services", (0,), dtype=t)
        elif kind == "span_time": poke("spans/start_us", off[-1] - 1, 9000000000000000000)
PY

# refused KIND WANT ARGS...: labelease ARGS at 2 ranks fails cleanly, its
# message naming WANT (a regular expression)
refused() {
    local kind=$1 want=$2 rc=0
    shift 2
    timeout 120 $LE_MPIEXEC -np 2 "$LABELEASE" "$@" < /dev/null > "$WORK/out.txt" 2> "$WORK/err.txt" || rc=$?
    [ "$rc" != 0 ] || fail "$kind: '$*' accepted a corrupt corpus"
    [ "$rc" != 124 ] || fail "$kind: '$*' hung"
    [ "$rc" -lt 64 ] || fail "$kind: '$*' died (exit $rc): $(tail -n 5 "$WORK/err.txt")"
    ! grep -qE "signal|Segmentation|Sanitizer|runtime error" "$WORK/err.txt" || fail "$kind: '$*' crashed: $(cat "$WORK/err.txt")"
    grep -qE -- "$want" "$WORK/err.txt" || fail "$kind: '$*' does not say '$want': $(grep labelease "$WORK/err.txt")"
}

# the four of the issue, through every stage that reads a corpus
while read -r kind want; do
    f=$WORK/$kind.h5
    want=${want//'$kind'/$kind} # the message names the file
    refused "$kind" "$want" info "$f"
    refused "$kind" "$want" train -q "$f" -o "$WORK/m2.h5" --epochs 1
    refused "$kind" "$want" embed -q "$f" "$WORK/m.h5" -o "$WORK/e2.h5"
    refused "$kind" "$want" select -q "$f" "$WORK/e.h5" -o "$WORK/r2.h5"
    refused "$kind" "$want" rootcause -q "$f" --from-truth -o "$WORK/rc2.h5"
    for o in m2 e2 r2 rc2; do [ ! -e "$WORK/$o.h5" ] || fail "$kind: $o.h5 written from a corrupt corpus"; done
done <<'CASES'
offset $kind.h5: /traces/span_offset\[100\] = [0-9]+ is less than \[99\] = [0-9]+
parent $kind.h5: /spans/parent\[2316\] = 1000000 is out of range
operation $kind.h5: /spans/operation\[40\] = 999 is not an index of /tables/operations
services $kind.h5: /tables/services is empty, but the corpus has 2317 spans
CASES

# a span starting in 287,000 AD: refused before select's time-binned
# representation sizes its grid by the time range (it asked for 1.8e19 bytes)
refused span_time "/spans/start_us\[2316\] = 9000000000000000000 is outside the time window 1970-01-01..2200-01-01" \
    select -q "$WORK/span_time.h5" --representation dev-burst -o "$WORK/r3.h5"

# ingest: times outside 1970..2200 are dropped and counted (the +-9e18 us
# of the issue), times that look like another unit are kept with one warning
# per unit, dates that do not exist are refused per row
mkdir -p "$WORK/in"
/usr/bin/python3 - "$WORK/in/times.json" <<'PY'
import sys, json
starts = {"ok": 1674981768697000, "far": 9000000000000000000, "before": -9000000000000000000,
          "s1": 1674981768, "s2": 1674981769, "ms": 1674981768697, "ns": 1674981768697000000}
data = [{"traceID": t, "processes": {"p1": {"serviceName": "front"}},
         "spans": [{"traceID": t, "spanID": "a", "operationName": "GET /", "references": [],
                    "startTime": v, "duration": 1000, "processID": "p1"}]} for t, v in starts.items()]
json.dump({"data": data}, open(sys.argv[1], "w"))
PY
run_le 2 ingest --format jaeger -o "$WORK/t.h5" "$WORK/in" > "$WORK/t.txt" 2> "$WORK/t.err"
expect traces 4 "$WORK/t.txt"
expect dropped.times_out_of_range 3 "$WORK/t.txt"
for unit in "2 spans.*unix seconds" "1 spans.*unix milliseconds" "2 spans.*unix nanoseconds"; do # 9e18 too
    [ "$(grep -cE "warning: $unit" "$WORK/t.err")" = 1 ] || fail "no single warning '$unit': $(cat "$WORK/t.err")"
done
H=traceIdHigh,traceIdLow,parentSpanId,spanId,startTime,duration,nanosecond,DBhash,status,operationName,serviceName,nodeLatencyLabel,graphLatencyLabel,graphStructureLabel
printf '%s\n%s\n%s\n' "$H" "1,1,0,-5,2023-02-29 18:10:09,4188,0,0,0,1413,310,0,0,1" \
    "1,2,0,-6,2024-02-29 18:10:09,4188,0,0,0,1413,310,0,0,1" > "$WORK/dates.csv"
run_le 2 ingest --format tracevae -o "$WORK/d.h5" "$WORK/dates.csv" > "$WORK/d.txt"
expect traces 1 "$WORK/d.txt"
expect dropped.unparsable_fields 1 "$WORK/d.txt"
grep -q "dropped.unparsable_fields.examples: .*dates.csv:2$" "$WORK/d.txt" || fail "$(grep unparsable "$WORK/d.txt")"

echo "PASS corpus_checks"
