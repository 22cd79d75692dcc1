#!/usr/bin/env python3
"""Write a Nezha-layout trace CSV of a given size, for bench/ingest.sh.

    gen_nezha_csv.py --size 1G --out /tmp/nezha_1g.csv [--seed 1]

The rows look like the real Nezha TrainTicket files (configs/formats/nezha.ini):
32-hex trace ids, 16-hex span ids, ParentID "root" for the root, Deployment
pod names (<service>-<replica-set hash>-<5 chars>), TrainTicket operations,
StartTimeUnixNano/EndTimeUnixNano in ns and Duration in us. Each trace has
50-100 spans in a tree whose children start inside their parent. Standard
library only; the same seed gives the same file.
"""
import argparse
import random
import sys

SERVICES = [
    "ts-gateway-service", "ts-ui-dashboard", "ts-auth-service", "ts-user-service",
    "ts-verification-code-service", "ts-travel-service", "ts-travel2-service",
    "ts-route-service", "ts-train-service", "ts-station-service", "ts-price-service",
    "ts-basic-service", "ts-ticketinfo-service", "ts-order-service", "ts-order-other-service",
    "ts-seat-service", "ts-config-service", "ts-contacts-service", "ts-preserve-service",
    "ts-security-service", "ts-food-service", "ts-assurance-service", "ts-consign-service",
    "ts-inside-payment-service", "ts-payment-service", "ts-cancel-service", "ts-rebook-service",
    "ts-execute-service", "ts-notification-service", "ts-route-plan-service",
]
OPERATIONS = [
    "/*", "FilteringWebHandler.handle", "GET", "POST", "Mongo.find", "Mongo.insert",
    "ContactsController.getAllContacts", "TravelController.queryInfo",
    "/api/v1/travelservice/trips/left", "/api/v1/orderservice/order/refresh",
    "/api/v1/seatservice/seats/left_tickets", "/api/v1/basicservice/basic/travel",
    "/api/v1/stationservice/stations/id/{stationNameForId}", "/api/v1/priceservice/prices/{routeId}/{trainType}",
    "/api/v1/routeservice/routes/{routeId}", "/api/v1/trainservice/trains/{id}",
    "/api/v1/configservice/configs/{configName}", "/api/v1/preserveservice/preserve",
    "OrderController.getTicketListByDateAndTripId", "SeatController.getLeftTicketOfInterval",
    "/api/v1/verifycode/verify/{verifyCode}", "/api/v1/users/login", "HikariDataSource.getConnection",
    "/api/v1/assuranceservice/assurances/types", "/api/v1/foodservice/foods/{date}/{startStation}/{endStation}/{tripId}",
]
ALNUM = "bcdfghjklmnpqrstvwxz2456789"
HEADER = "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n"


def parse_size(text):
    units = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30}
    text = text.strip().upper().rstrip("B")
    suffix = text[-1] if text and text[-1] in units else ""
    return int(float(text[: len(text) - len(suffix)]) * units[suffix])


def make_pods(rng):
    """Two or three replicas per service, with Deployment-style names."""
    pods = {}
    for svc in SERVICES:
        rs = "".join(rng.choice(ALNUM) for _ in range(rng.choice((9, 10))))
        pods[svc] = [f"{svc}-{rs}-{''.join(rng.choice(ALNUM) for _ in range(5))}" for _ in range(rng.choice((2, 3)))]
    return pods


def trace_rows(rng, pods, start_ns):
    """One trace: a random tree of 50-100 spans, children inside their parent."""
    trace_id = "%032x" % rng.getrandbits(128)
    n = rng.randint(50, 100)
    root_dur = rng.randint(20_000_000, 900_000_000)  # 20-900 ms
    spans = [("%016x" % rng.getrandbits(64), "root", start_ns, root_dur, "ts-gateway-service")]
    rows = []
    for i in range(1, n):
        parent = spans[rng.randrange(max(1, i - 8), i) if i > 1 else 0]
        p_id, _, p_start, p_dur, _ = parent
        offset = rng.randrange(0, max(1, p_dur // 4))
        dur = rng.randrange(1000, max(1001, (p_dur - offset) * 9 // 10))
        svc = rng.choice(SERVICES)
        spans.append(("%016x" % rng.getrandbits(64), p_id, p_start + offset, dur, svc))
    for span_id, parent_id, s, d, svc in spans:
        rows.append(f"{trace_id},{span_id},{parent_id},{rng.choice(pods[svc])},{rng.choice(OPERATIONS)},"
                    f"{s},{s + d},{d // 1000}\n")
    return rows, root_dur


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--size", required=True, help="target size: bytes, or with K/M/G (1G = 2^30)")
    ap.add_argument("--out", required=True, help="output file ('-' for stdout)")
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    target = parse_size(args.size)
    rng = random.Random(args.seed)
    pods = make_pods(rng)
    out = sys.stdout if args.out == "-" else open(args.out, "w", buffering=1 << 22)
    out.write(HEADER)
    written, rows, traces = len(HEADER), 0, 0
    clock = 1674981768_000_000_000
    while written < target:
        chunk = []
        for _ in range(200):
            r, dur = trace_rows(rng, pods, clock)
            chunk.extend(r)
            clock += rng.randrange(1_000_000, 50_000_000)
            traces += 1
        text = "".join(chunk)
        out.write(text)
        written += len(text)
        rows += len(chunk)
    if out is not sys.stdout:
        out.close()
    print(f"bytes: {written}\nrows: {rows}\ntraces: {traces}", file=sys.stderr)


if __name__ == "__main__":
    main()
