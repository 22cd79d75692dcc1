# Issue 17, Zipkin as Zipkin builds trees and traces with several roots, on
# real files (tests/fixtures/SOURCES.md): zipkin-lens and zipkin-ui test data
# (fragments of one span, client and server halves with and without
# "shared", spans without duration, a lone server half as root, orphans), a
# Zipkin v1 trace, Jaeger's OTLP fixture with five roots and Tempo's vulture
# trace (two roots).
#  - spans, traces and merged fragments against a count made here in Python
#    from the JSON, by Zipkin's merge rules (docs/formats-json.md);
#  - every trace one tree, nothing dropped;
#  - the v1 trace gives the same spans as Zipkin's own v2 conversion of it;
#  - five roots kept under a virtual root, or one kept with --roots first;
#    the same with Tempo's vulture trace, in {"resourceSpans"} and {"batches"};
#  - the same corpus at 1, 2 and 4 ranks, and with fragments split over files;
#  - the stages after ingest take virtual roots: a made-up Jaeger corpus of
#    multi-root traces through train, embed, select, label, propagate and
#    rootcause finds its failing service.
source "$(dirname "$0")/lib.bash"
FX=$LE_SRC/tests/fixtures
Z=$FX/zipkin
ZIPKIN_FILES=(lens_smartthings_mobile_web_install lens_smartthings_oauth_authorization lens_yelp lens_messaging2
    ui_netflix v1_messaging_kafka lens_messaging_kafka)

# expect_zipkin FILE.json REPORT: the report's counts against Zipkin's merge rules in Python
expect_zipkin() {
    /usr/bin/python3 - "$1" "$2" <<'PY'
import collections, json, sys
spans = json.load(open(sys.argv[1]))
if spans and isinstance(spans[0], list):
    spans = [s for t in spans for s in t]
rep = dict(l.split(": ", 1) for l in open(sys.argv[2]).read().splitlines() if ": " in l)

def rows_of(s):
    """Rows one span object gives: v1 spans with both halves of an RPC (cs+sr) or of a message
    (ms+mr) are two, client and shared server, as Zipkin's V1SpanConverter splits them."""
    if "localEndpoint" in s or not any("endpoint" in a for a in s.get("annotations", [])):
        shared = bool(s.get("shared")) and s.get("kind") != "CLIENT"  # "shared" on a client means nothing
        return [(s["traceId"], s["id"], shared, s.get("kind"), bool(s.get("timestamp")), bool(s.get("duration")))]
    core = {a["value"]: a["timestamp"] for a in s["annotations"] if "endpoint" in a}
    halves = [("cs", "sr"), ("ms", "mr")]
    both = [h for h in halves if h[0] in core and h[1] in core]
    if both:
        c, sv = both[0]
        return [(s["traceId"], s["id"], False, "CLIENT" if c == "cs" else None, True, "cr" in core or "ws" in core or bool(s.get("duration"))),
                (s["traceId"], s["id"], True, "SERVER" if sv == "sr" else None, True, "ss" in core or "wr" in core)]
    kind = "CLIENT" if "cs" in core or "cr" in core else "SERVER" if "sr" in core or "ss" in core else None
    shared = kind == "SERVER" and "cs" not in core and not s.get("timestamp")
    ts = bool(s.get("timestamp")) or any(k in core for k in ("cs", "sr", "ms", "mr", "wr"))
    return [(s["traceId"], s["id"], shared, kind, ts, bool(s.get("duration")) or len(core) >= 2)]

rows = [r for s in spans for r in rows_of(s)]
# Zipkin backfills "shared" on a SERVER span with the id of a CLIENT one
kinds = collections.defaultdict(set)
for t, i, sh, k, _, _ in rows:
    if not sh:
        kinds[(t, i)].add(k)
rows = [(t, i, sh or (k == "SERVER" and {"CLIENT", "SERVER"} <= kinds[(t, i)]), k, ts, du) for t, i, sh, k, ts, du in rows]
groups = collections.defaultdict(list)
for t, i, sh, k, ts, du in rows:
    groups[(t, i, sh)].append((ts, du))
kept = {g: v for g, v in groups.items() if any(ts for ts, _ in v)}  # no start in any fragment: dropped
no_start_rows = sum(len(v) for g, v in groups.items() if g not in kept)
want = {
    "rows_read": len(rows),
    "spans": len(kept),
    "traces": len({g[0] for g in kept}),
    "merged_fragments": sum(len(v) - 1 for v in kept.values()),
    "dropped_rows": no_start_rows,
    "dropped.missing_fields": no_start_rows,
    "virtual_roots": 0,
}
got = {k: int(rep[k]) for k in want}
assert got == want, (sys.argv[1], "got", got, "want", want)
no_duration = sum(1 for v in kept.values() if not any(du for _, du in v))
derived = int(rep["durations_from_children"]) + int(rep["unknown_durations"])
assert derived == no_duration, (sys.argv[1], "spans without duration", no_duration, derived)
print(f"{sys.argv[1].rsplit('/', 1)[-1]}: {len(rows)} rows, {len(kept)} spans, {want['traces']} traces, "
      f"{want['merged_fragments']} merged, {no_duration} without duration, "
      f"{rep['orphan_spans_attached']} orphans attached")
PY
}

# one_tree_per_trace CORPUS: every trace's first span is its root, every other one has a parent
one_tree_per_trace() {
    /usr/bin/python3 - "$1" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
off, par = f["traces/span_offset"][:], f["spans/parent"][:]
for t in range(len(off) - 1):
    p = par[off[t]:off[t + 1]]
    assert p[0] == -1 and (p[1:] >= 0).all() and (p[1:] < range(1, len(p))).all(), (sys.argv[1], t, list(p))
PY
}

for name in "${ZIPKIN_FILES[@]}"; do
    run_le 1 ingest --format zipkin -o "$WORK/$name.h5" "$Z/$name.json" > "$WORK/$name.txt" 2> /dev/null \
        || fail "$name: $(cat "$WORK/$name.txt")"
    expect_zipkin "$Z/$name.json" "$WORK/$name.txt"
    one_tree_per_trace "$WORK/$name.h5"
done
# the lone server half of yelp's root stands for its id: all 16 spans under it
expect orphan_roots_promoted 0 "$WORK/lens_yelp.txt"
# messaging2: six spans whose parent was never reported hang under the root
expect orphan_spans_attached 6 "$WORK/lens_messaging2.txt"

# Zipkin v1: the services come from the annotation endpoints; the same spans, times, errors and
# tree as Zipkin's own v2 conversion of the trace (which lower-cases service names)
/usr/bin/python3 - "$WORK/v1_messaging_kafka.h5" "$WORK/lens_messaging_kafka.h5" <<'PY'
import sys, h5py
def spans(p):
    f = h5py.File(p, "r")
    svc = [s.decode() for s in f["tables/services"][:]]
    ops = [s.decode() for s in f["tables/operations"][:]]
    cols = [f["spans/" + k][:] for k in ("service", "operation", "start_us", "duration_us", "error", "parent")]
    return [(svc[s].lower(), ops[o], int(t), int(d), int(e), int(p)) for s, o, t, d, e, p in zip(*cols)]
v1, v2 = spans(sys.argv[1]), spans(sys.argv[2])
assert v1 == v2, [(a, b) for a, b in zip(v1, v2) if a != b][:5]
assert {s[0] for s in v1} == {"servicea", "serviceb"} and sum(s[4] for s in v1) == 3, v1
PY

# several roots: Jaeger's OTLP fixture, one trace of five root spans
MR=$FX/otlp/jaeger_example_trace.json
run_le 1 ingest --format otlp -o "$WORK/mr.h5" "$MR" > "$WORK/mr.txt" 2> /dev/null || fail "multi-root: $(cat "$WORK/mr.txt")"
run_le 1 ingest --format otlp --roots first --allow-drops -o "$WORK/mr_first.h5" "$MR" > "$WORK/mr_first.txt" 2> /dev/null \
    || fail "multi-root, --roots first: $(cat "$WORK/mr_first.txt")"
/usr/bin/python3 - "$MR" "$WORK/mr.txt" "$WORK/mr_first.txt" "$WORK/mr.h5" <<'PY'
import json, sys, h5py
d = json.load(open(sys.argv[1]))
spans = [s for r in d["resourceSpans"] for ss in r["scopeSpans"] for s in ss["spans"]]
roots = [s for s in spans if not s.get("parentSpanId")]
assert len(roots) == 5 and len({s["traceId"] for s in spans}) == 1
rep = [dict(l.split(": ", 1) for l in open(p).read().splitlines() if ": " in l) for p in sys.argv[2:4]]
# default: all five under one virtual root; the old rule: the first root only, four dropped
assert (rep[0]["traces"], rep[0]["spans"], rep[0]["virtual_roots"], rep[0]["dropped_rows"]) == ("1", str(len(spans) + 1), "1", "0"), rep[0]
assert (rep[1]["spans"], rep[1]["dropped.extra_root_spans"], rep[1]["virtual_roots"]) == ("1", str(len(roots) - 1), "0"), rep[1]
f = h5py.File(sys.argv[4], "r")
assert f["tables/services"][f["spans/service"][0]].decode() == "(virtual root)"
assert list(f["spans/parent"][:]) == [-1] + [0] * len(roots)
start = min(int(s["startTimeUnixNano"]) for s in roots) // 1000
end = max(int(s["endTimeUnixNano"]) for s in roots) // 1000
assert (f["spans/start_us"][0], f["spans/duration_us"][0]) == (start, end - start)
assert f["traces/start_us"][0] == start
PY
run_le 1 info "$WORK/mr.h5" > "$WORK/mr_info.txt" || fail "info on a virtual root: $(cat "$WORK/mr_info.txt")"

# Tempo's vulture trace (base64 ids, two root spans with a subtree each), as Tempo's API
# writes it now ({"resourceSpans"}) and as it wrote it before 2024 ({"batches"}, the same
# file with the key renamed, as Tempo renamed it): both roots under one virtual root
VU=$FX/otlp/tempo_vulture_trace.json
/usr/bin/python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(json.dumps({"batches": d["resourceSpans"]}))' "$VU" \
    > "$WORK/vulture_batches.json"
for v in vulture:"$VU" vulture_batches:"$WORK/vulture_batches.json"; do
    run_le 1 ingest --format otlp -o "$WORK/${v%%:*}.h5" "${v#*:}" > "$WORK/${v%%:*}.txt" 2> /dev/null \
        || fail "${v%%:*}: $(cat "$WORK/${v%%:*}.txt")"
done
run_le 1 ingest --format otlp --roots first -o "$WORK/vulture_first.h5" "$VU" > "$WORK/vulture_first.txt" 2> /dev/null \
    || fail "vulture, --roots first: $(cat "$WORK/vulture_first.txt")"
h5diff "$WORK/vulture.h5" "$WORK/vulture_batches.h5" || fail 'vulture: {"batches"} differs from {"resourceSpans"}'
/usr/bin/python3 - "$VU" "$WORK/vulture.txt" "$WORK/vulture_first.txt" "$WORK/vulture.h5" <<'PY'
import json, sys, h5py
d = json.load(open(sys.argv[1]))
spans = [s for r in d["resourceSpans"] for ss in r["scopeSpans"] for s in ss["spans"]]
ids = {s["spanId"] for s in spans}
roots = [s for s in spans if not s.get("parentSpanId")]
assert len(roots) > 1 and len({s["traceId"] for s in spans}) == 1
assert all(s["parentSpanId"] in ids for s in spans if s.get("parentSpanId"))  # no orphan
kids = {}
for s in spans:
    kids.setdefault(s.get("parentSpanId"), []).append(s["spanId"])
def size(i):
    return 1 + sum(size(k) for k in kids.get(i, []))
rep = [dict(l.split(": ", 1) for l in open(p).read().splitlines() if ": " in l) for p in sys.argv[2:4]]
want = {"rows_read": len(spans), "traces": 1, "spans": len(spans) + 1, "virtual_roots": 1, "dropped_rows": 0,
        "orphan_spans_attached": 0}
assert {k: int(rep[0][k]) for k in want} == want, rep[0]
# --roots first: the root with the largest subtree (then the earliest) and its subtree only
best = max(size(r["spanId"]) for r in roots)
assert int(rep[1]["spans"]) == best and int(rep[1]["dropped.extra_root_spans"]) == len(spans) - best, rep[1]
f = h5py.File(sys.argv[4], "r")
assert f["tables/services"][f["spans/service"][0]].decode() == "(virtual root)"
par = list(f["spans/parent"][:])
assert par[0] == -1 and par.count(0) == len(roots), par
start = min(int(s["startTimeUnixNano"]) for s in roots) // 1000
end = max(int(s["endTimeUnixNano"]) // 1000 for s in spans if s in roots)
assert (f["spans/start_us"][0], f["spans/duration_us"][0]) == (start, end - start)
print(f"vulture: {len(spans)} spans, {len(roots)} roots under a virtual root; --roots first keeps {best}")
PY
if run_le 1 ingest --format otlp --roots all -o "$WORK/bad.h5" "$MR" 2> "$WORK/roots.err"; then fail "--roots all accepted"; fi
grep -q "roots: 'all' is neither virtual nor first" "$WORK/roots.err" || fail "--roots all: $(cat "$WORK/roots.err")"

# ranks: every fixture in one ingest at 1, 2 and 4 ranks, and the fragments of the largest file
# split over three files (each fragment to a file by its position), which ranks must join
ALL=()
for name in "${ZIPKIN_FILES[@]}"; do ALL+=("$Z/$name.json"); done
for np in 1 2 4; do
    run_le $np ingest --format zipkin -o "$WORK/all$np.h5" "${ALL[@]}" > "$WORK/all$np.txt" 2> /dev/null \
        || fail "all at $np ranks: $(cat "$WORK/all$np.txt")"
done
for np in 2 4; do h5diff "$WORK/all1.h5" "$WORK/all$np.h5" || fail "zipkin fixtures: $np ranks differ from 1"; done
mkdir -p "$WORK/split"
/usr/bin/python3 - "$Z/lens_smartthings_mobile_web_install.json" "$WORK/split" <<'PY'
import json, sys
spans = json.load(open(sys.argv[1]))
for k in range(3):
    json.dump(spans[k::3], open(f"{sys.argv[2]}/part{k}.json", "w"))
PY
for np in 1 4; do
    run_le $np ingest --format zipkin -o "$WORK/split$np.h5" "$WORK/split" > "$WORK/split$np.txt" 2> /dev/null \
        || fail "split at $np ranks: $(cat "$WORK/split$np.txt")"
done
/usr/bin/python3 - "$WORK/lens_smartthings_mobile_web_install.h5" "$WORK/split1.h5" "$WORK/split4.h5" <<'PY'
import sys, h5py
def data(p):
    f = h5py.File(p, "r")
    return {k: f[k][:].tolist() for g in ("spans", "traces", "tables") for k in (g + "/" + n for n in f[g])}
a = data(sys.argv[1])
for p in sys.argv[2:]:
    b = data(p)
    assert a == b, (p, [k for k in a if a[k] != b.get(k)])
PY

# the tree rules on a hand-made trace in two files: the server half under its client half, a
# span in the server's service under the server half, one in the client's under the client half,
# a fragment's duration joined from the other file, a span no fragment of which has a timestamp
# dropped (missing_fields) and its child hung under the root
mkdir -p "$WORK/hand"
cat > "$WORK/hand/a.json" <<'JSON'
[{"traceId": "z1", "id": "a", "kind": "CLIENT", "name": "call", "timestamp": 100, "duration": 50, "localEndpoint": {"serviceName": "front"}},
 {"traceId": "z1", "id": "a", "kind": "SERVER", "shared": true, "name": "serve", "timestamp": 105, "duration": 40, "localEndpoint": {"serviceName": "back"}},
 {"traceId": "z1", "id": "b", "parentId": "a", "name": "query", "timestamp": 110, "localEndpoint": {"serviceName": "back"}},
 {"traceId": "z1", "id": "d", "parentId": "a", "name": "lost", "localEndpoint": {"serviceName": "front"}}]
JSON
cat > "$WORK/hand/b.json" <<'JSON'
[{"traceId": "z1", "id": "b", "parentId": "a", "duration": 7, "localEndpoint": {"serviceName": "back"}},
 {"traceId": "z1", "id": "c", "parentId": "a", "name": "log", "timestamp": 120, "duration": 3, "localEndpoint": {"serviceName": "front"}},
 {"traceId": "z1", "id": "e", "parentId": "d", "name": "late", "timestamp": 130, "duration": 2, "localEndpoint": {"serviceName": "front"}}]
JSON
for np in 1 2; do
    run_le $np ingest --format zipkin -o "$WORK/hand$np.h5" "$WORK/hand" > "$WORK/hand$np.txt" 2> /dev/null || fail "hand-made: $(cat "$WORK/hand$np.txt")"
done
h5diff "$WORK/hand1.h5" "$WORK/hand2.h5" || fail "hand-made Zipkin trace: 2 ranks differ from 1"
f=$WORK/hand1.txt
expect rows_read 7 "$f"
expect spans 5 "$f"
expect merged_fragments 1 "$f"
expect dropped.missing_fields 1 "$f"
expect orphan_spans_attached 1 "$f"
/usr/bin/python3 - "$WORK/hand1.h5" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
ops = [o.decode() for o in f["tables/operations"][:]]
got = [(ops[o], int(p), int(t), int(d)) for o, p, t, d in
       zip(f["spans/operation"][:], f["spans/parent"][:], f["spans/start_us"][:], f["spans/duration_us"][:])]
want = [("call", -1, 100, 50), ("serve", 0, 105, 40), ("query", 1, 110, 7), ("log", 0, 120, 3), ("late", 0, 130, 2)]
assert got == want, got
PY
# a Zipkin span naming itself as parent has none (zipkin-lens' span cleaner), not a cycle
echo '[{"traceId": "z2", "id": "s", "parentId": "s", "name": "self", "timestamp": 5, "duration": 1}]' > "$WORK/self.json"
run_le 1 ingest --format zipkin -o "$WORK/self.h5" "$WORK/self.json" > "$WORK/self.txt" 2> /dev/null || fail "self parent"
expect spans 1 "$WORK/self.txt"
expect dropped.cycle_spans 0 "$WORK/self.txt"

# downstream: 660 traces, every third with two or three roots, every seventh with a lost parent;
# the 60 in abnormal.json fail in db
mkdir -p "$WORK/mr"
/usr/bin/python3 - "$WORK/mr" <<'PY'
import json, sys
def trace(i, bad):
    tid, t0, spans, n = "%032x" % (i + 1), 1_700_000_000_000_000 + i * 1_000_000, [], 0
    ref = lambda s: [{"refType": "CHILD_OF", "traceID": tid, "spanID": s}]
    for r in range(1 + (i % 3 == 0) + (i % 5 == 0)):
        n += 1
        root, st = "%016x" % (i * 100 + n), t0 + r * 500
        spans.append({"traceID": tid, "spanID": root, "operationName": "GET /%d" % r, "references": [],
                      "startTime": st, "duration": 10000, "processID": "p1", "tags": []})
        for c in range(2):
            n += 1
            fails = bad and c == 1
            spans.append({"traceID": tid, "spanID": "%016x" % (i * 100 + n), "operationName": "op%d" % c,
                          "references": ref(root), "startTime": st + 100 + c * 1000, "duration": 20000 if fails else 3000,
                          "processID": "p%d" % (2 + c), "tags": [{"key": "error", "type": "bool", "value": True}] if fails else []})
    if i % 7 == 0:
        spans.append({"traceID": tid, "spanID": "%016x" % (i * 100 + 99), "operationName": "late", "references": ref("f" * 16),
                      "startTime": t0 + 700, "duration": 100, "processID": "p4", "tags": []})
    procs = {"p%d" % k: {"serviceName": s} for k, s in enumerate(["front", "cart", "db", "auth"], 1)}
    return {"traceID": tid, "spans": spans, "processes": procs}
json.dump({"data": [trace(i, False) for i in range(600)]}, open(sys.argv[1] + "/normal.json", "w"))
json.dump({"data": [trace(i, True) for i in range(600, 660)]}, open(sys.argv[1] + "/abnormal.json", "w"))
PY
M=$WORK/mr
run_le 2 ingest --format jaeger --label-by-filename 'abnormal*=abnormal,normal*=normal' -o "$M/c.h5" "$M" > "$M/i.txt" 2> /dev/null
expect traces 660 "$M/i.txt"
expect virtual_roots 308 "$M/i.txt" # i % 3 == 0 or i % 5 == 0
expect orphan_spans_attached 95 "$M/i.txt"
run_le 2 train "$M/c.h5" -o "$M/m.h5" --steps 30 > /dev/null 2>&1 || fail "train on virtual roots"
run_le 2 embed "$M/c.h5" "$M/m.h5" -o "$M/e.h5" > /dev/null 2>&1 || fail "embed on virtual roots"
run_le 2 select "$M/c.h5" "$M/e.h5" -o "$M/r.h5" --representation gat --budget 20 --rounds 1 --no-page > /dev/null 2>&1 \
    || fail "select on virtual roots"
run_le 1 label "$M/r.h5" --oracle "$M/c.h5" -o "$M/l.csv" > /dev/null 2>&1 || fail "label on virtual roots"
run_le 2 propagate "$M/c.h5" "$M/e.h5" "$M/l.csv" -o "$M/p.h5" --representation gat > /dev/null 2>&1 || fail "propagate"
run_le 2 rootcause "$M/c.h5" "$M/p.h5" -o "$M/rc.h5" > "$M/rc.txt" 2> /dev/null || fail "rootcause on virtual roots"
expect top_service_period_0 db "$M/rc.txt"
echo "PASS ingest_zipkin_trees"
