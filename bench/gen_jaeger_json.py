#!/usr/bin/env python3
"""Write a realistic Jaeger JSON export ({"data":[trace, ...]}, as the UI's
"Download JSON" and /api/traces give it) of about --size bytes, for timing
the JSON readers (bench/ingest.sh).

Traces look like TrainTicket requests: a gateway root, a fan-out of
service calls 2-4 levels deep, tags with HTTP/gRPC status codes, a few
errors, FOLLOWS_FROM async spans; about half the traces list "processes"
after "spans" (so the reader must hold their spans). Deterministic for a
given --seed. Streams to the output: memory stays small at any size.

    python3 bench/gen_jaeger_json.py --size 1G --out /tmp/jaeger-1g.json
"""
import argparse
import json
import random
import sys

SERVICES = ["ts-gateway-service", "ts-ui-dashboard", "ts-preserve-service", "ts-contacts-service",
            "ts-travel-service", "ts-travel2-service", "ts-route-service", "ts-price-service",
            "ts-basic-service", "ts-station-service", "ts-train-service", "ts-order-service",
            "ts-food-service", "ts-verification-code-service", "ts-auth-service", "ts-user-service"]
OPS = ["GET /api/v1/{svc}/query", "POST /api/v1/{svc}/update", "{svc}.Service/Find", "SELECT {svc}",
       "redis GET", "GET /api/v1/{svc}/{id}"]


def parse_size(s):
    mult = {"k": 1 << 10, "m": 1 << 20, "g": 1 << 30}
    s = s.strip().lower()
    return int(float(s[:-1]) * mult[s[-1]]) if s[-1] in mult else int(s)


def hexid(rng, bits):
    return "%0*x" % (bits // 4, rng.getrandbits(bits))


def make_trace(rng, t0):
    trace_id = hexid(rng, 128)
    n = rng.randint(5, 60)
    procs, pid_of = {}, {}
    spans = []
    start = t0
    for i in range(n):
        svc = SERVICES[0] if i == 0 else rng.choice(SERVICES[1:])
        if svc not in pid_of:
            pid_of[svc] = "p%d" % (len(pid_of) + 1)
            procs[pid_of[svc]] = {"serviceName": svc, "tags": [
                {"key": "hostname", "type": "string", "value": "%s-%s-%s" % (svc, hexid(rng, 36)[:9], hexid(rng, 20))},
                {"key": "jaeger.version", "type": "string", "value": "Java-1.8.0"}]}
        refs = []
        if i > 0:
            parent = spans[rng.randrange(max(1, i // 2) if i > 2 else i)]
            kind = "FOLLOWS_FROM" if rng.random() < 0.05 else "CHILD_OF"
            refs.append({"refType": kind, "traceID": trace_id, "spanID": parent["spanID"]})
            start = parent["startTime"] + rng.randint(10, 2000)
        err = rng.random() < 0.02
        code = 500 if err else 200
        tags = [{"key": "span.kind", "type": "string", "value": "server" if i == 0 or rng.random() < .5 else "client"},
                {"key": "http.method", "type": "string", "value": rng.choice(["GET", "POST"])},
                {"key": "http.status_code", "type": "int64", "value": code},
                {"key": "component", "type": "string", "value": "spring-webmvc"}]
        if err:
            tags.append({"key": "error", "type": "bool", "value": True})
        spans.append({"traceID": trace_id, "spanID": hexid(rng, 64), "flags": 1,
                      "operationName": rng.choice(OPS).format(svc=svc[3:-8], id="{id}"),
                      "references": refs, "startTime": start, "duration": rng.randint(50, 400000),
                      "tags": tags, "logs": [], "processID": pid_of[svc], "warnings": None})
    if rng.random() < 0.5:
        return {"traceID": trace_id, "spans": spans, "processes": procs, "warnings": None}
    return {"traceID": trace_id, "processes": procs, "spans": spans, "warnings": None}


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--size", default="200M", help="approximate output size, e.g. 200M, 1G")
    ap.add_argument("--out", required=True, help="output file ('-' for stdout)")
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    target = parse_size(a.size)
    rng = random.Random(a.seed)
    out = sys.stdout if a.out == "-" else open(a.out, "w", buffering=1 << 22)
    written = out.write('{"data": [')
    t0, traces, spans = 1674981784000000, 0, 0
    while written < target:
        tr = make_trace(rng, t0)
        t0 += rng.randint(1000, 200000)
        written += out.write((",\n" if traces else "\n") + json.dumps(tr, separators=(", ", ": ")))
        traces += 1
        spans += len(tr["spans"])
    written += out.write('\n], "total": 0, "limit": 0, "offset": 0, "errors": null}\n')
    if out is not sys.stdout:
        out.close()
    print("bytes: %d\ntraces: %d\nspans: %d" % (written, traces, spans), file=sys.stderr)


if __name__ == "__main__":
    main()
