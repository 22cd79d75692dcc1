#!/usr/bin/python3
"""bench/scaling_model.py - predicted time of each labelease stage for a
1e9-trace corpus on 1..1024 nodes (docs/scaling.md explains every term).

    bench/scaling_model.py [--traces N] [--nodes "1 4 16 64 256 1024"] [--terms]

Stdlib only. MEASURED constants come from this repository's result files
(2-core AMD EPYC VM, one core per rank); ASSUMED constants describe a typical
HPC node and are guesses: change them and re-run.
"""
import argparse
import math

# ---- MEASURED here (2-core AMD EPYC VM, per core / rank) --------------------
CSV_BYTES_PER_SPAN = 1088060915 / 6119055   # results/ingest-bench.txt (csv_np1_bytes / spans) = 178 B
INGEST_BPS_PER_RANK = 149.5e6     # results/ingest-bench.txt csv_np1_end_to_end_mb_per_s (parse+join+order+write, 1 rank)
SYNTH_TRACES_PER_S = 118e3        # docs/synth.md, bench/synth.sh --traces 1000000, 1 rank (generate + write)
EMBED_TRACES_PER_S = 41.2e3       # results/gat-bench.txt embed_traces_per_s (batch 256, one core)
TRAIN_STEP_S = 9.178e-3           # results/gat-bench.txt train_step_ms (64 triplets, one core)
TRAIN_STATS_TRACES_PER_S = 37e3   # results/gat-bench.txt: (train_seconds_np1 4.206 - 400 steps x 9.178 ms) / 20000 traces, an upper bound on the statistics pass
N_PARAMS = 56208                  # docs/model.md: parameters with the defaults
SGEMM_FLOPS = 54e9                # docs/labeling.md, bench/kmeans.sh: Lloyd distances 54 GFLOP/s on one core
ROOTCAUSE_TRACES_PER_S = 20000 / 0.1386  # results/scaling.csv strong,1,1,rootcause (read + both passes)
SPANS_PER_TRACE = 21.9            # results/gat-bench.txt spans_per_trace (synthetic corpus)
CORPUS_BYTES_PER_TRACE = 11158438 / 100000  # synth --traces 100000 --seed 1 here: 11.2 MB file (shuffle+deflate)
RAW_BYTES_PER_SPAN = 37.0         # docs/corpus.md schema: 33 B of span columns + per-trace columns spread over ~22 spans

# ---- pipeline defaults (the code's options) ---------------------------------
DIM = 64                          # embedding out_dim (docs/model.md)
SAMPLE = 0.1                      # select --sample
BUDGET = 0.001                    # select --budget: k = 0.1% of traces
KMPAR_ROUNDS, KMPAR_OVERSAMPLE = 5, 2   # k-means||: 5 rounds of 2k candidates (docs/labeling.md)
STEPS, BATCH, MICRO = 400, 64, 16 # train defaults: M = BATCH/MICRO = 4 micro-batches per step
INGEST_SAMPLES_PER_RANK = 64      # mpi/ingest_order.c choose_splitters
SERVICES, OPERATIONS = 12, 42     # synthetic corpus tables

# ---- ASSUMED: a typical HPC node and workload (not measured here) ----------
CORES = 64                        # ranks per node, one per core
NIC_BPS = 12.5e9                  # 100 Gb/s per node
ALPHA = 2e-6                      # s per message
MEM_BPS = 20e9                    # intra-node copy/reduce bandwidth for one node's collective traffic
NODE_MEM = 256e9                  # bytes per node
FS_BPS_PER_NODE, FS_BPS_MAX = 10e9, 100e9   # parallel file system: 10 GB/s from one node, 100 GB/s aggregate cap
JOIN_BYTES_PER_SPAN = 64          # a span row in the ingest all-to-all (numeric columns + interned ids)
LLOYD_ITERS = 30                  # with --tol 0.001 (59 at --tol 0 on 130K traces, half that with the tolerance)
SCALAR_FLOPS = 8e9                # le_km_pp_weighted's sqdist loop, one core (not sgemm)
SORT_STEP_S = 1e-9                # one compare/move (rank 0's qsort of the splitter samples; k-means++'s draw)
REP_SPAN_BYTES = 33               # a representative's span on its way to rank 0 (cmd/cmd_select.c collect_rep_traces)
PERIODS = 10000                   # fault periods in a 1e9-trace corpus (synth default: 41 per 130K traces)
MERGE_S = 10e-9                   # one Welford (Chan) merge
LABEL_CSV_BYTES = 40              # per labeled trace id


def fs(n):
    return min(FS_BPS_PER_NODE * n, FS_BPS_MAX)


def allreduce(m, n, p):
    """Ring/Rabenseifner between nodes, shared memory inside a node."""
    return 2 * m * (n - 1) / n / NIC_BPS + 2 * m / MEM_BPS + 2 * math.log2(max(p, 2)) * ALPHA


def alltoallv(total, n, p):
    """Personalised exchange of `total` bytes spread evenly: p-1 messages a rank."""
    per_node = total / n
    return per_node * (n - 1) / n / NIC_BPS + per_node / n / MEM_BPS + (p - 1) * ALPHA


def allgather(m, n, p):
    """Every rank receives every rank's m bytes (flat, each rank its own copy)."""
    return CORES * (p - CORES) * m / NIC_BPS + CORES * p * m / MEM_BPS + math.log2(max(p, 2)) * ALPHA


def gather(m, n, p):
    """p messages into rank 0's node."""
    return p * m / NIC_BPS + (p - 1) * ALPHA


def model(traces, n):
    p = n * CORES
    spans = traces * SPANS_PER_TRACE
    corpus = traces * CORPUS_BYTES_PER_TRACE
    raw = spans * RAW_BYTES_PER_SPAN
    emb = traces * DIM * 4
    k = max(10, int(BUDGET * traces))
    ns = SAMPLE * traces
    m = 1 + KMPAR_ROUNDS * KMPAR_OVERSAMPLE * k          # k-means|| candidates
    t, mem = {}, {}

    csv = spans * CSV_BYTES_PER_SPAN
    smp = INGEST_SAMPLES_PER_RANK * p
    t["ingest"] = {
        "compute": csv / (p * INGEST_BPS_PER_RANK),
        "read": csv / fs(n), "write": corpus / fs(n),
        "join a2a": alltoallv(spans * JOIN_BYTES_PER_SPAN, n, p),
        "order a2a": alltoallv(raw, n, p),
        "splitters rank0": gather(INGEST_SAMPLES_PER_RANK * 16, n, p) + smp * math.log2(max(smp, 2)) * SORT_STEP_S,
        "names": gather(1024, n, p) + math.log2(max(p, 2)) * ALPHA,
    }
    t["synth"] = {"compute": traces / (p * SYNTH_TRACES_PER_S), "write": corpus / fs(n)}

    M = BATCH // MICRO
    rec = 3 * MICRO * (25 * SPANS_PER_TRACE + 4) * M
    t["train"] = {
        "stats pass": traces / (p * TRAIN_STATS_TRACES_PER_S) + corpus / fs(n),
        "steps": STEPS * TRAIN_STEP_S * math.ceil(M / p) / M,
        "grad allreduce": STEPS * allreduce((N_PARAMS + 2) * 8, n, p),
        "records a2a": STEPS * (alltoallv(rec, n, p) + (p - 1) * ALPHA),
    }
    t["embed"] = {"compute": traces / (p * EMBED_TRACES_PER_S), "read": corpus / fs(n), "write": emb / fs(n)}

    t["select"] = {
        "read": (emb + corpus) / fs(n),
        "kmeans|| d2": 2 * ns * (m - 1) * DIM / (p * SGEMM_FLOPS) + KMPAR_ROUNDS * allreduce(8, n, p),
        "cand allgather": allgather(m * DIM * 4 / p, n, p),
        "cand weights": 2 * ns * m * DIM / (p * SGEMM_FLOPS) + allreduce(m * 8, n, p),
        # each pick: distances of the rank's slice of the m candidates, its
        # integer weights, bound and search (three passes over the slice), and
        # two collective latencies: Exscan with the total overlapped, then the
        # index with the next scale bound (mpi/kmeans_dist.c pp_split;
        # identical picks at any rank count)
        "kmeans++ distances": 3.0 * k * m * DIM / (p * SCALAR_FLOPS),
        "kmeans++ draw": k * 3 * (m / p) * SORT_STEP_S,
        "kmeans++ collectives": k * 2 * allreduce(16, n, p),
        "lloyd": LLOYD_ITERS * (2 * ns * k * DIM / (p * SGEMM_FLOPS) + allreduce((k * DIM + k + 2) * 8, n, p)),
        "assign+minloc": 2 * traces * k * DIM / (p * SGEMM_FLOPS) + 3 * allreduce(k * 8, n, p),
        "reps gather": gather(k * SPANS_PER_TRACE * REP_SPAN_BYTES / p, n, p),
    }
    mem["select"] = CORES * (256 * k * 4 + (k * DIM + k) * 8 + m * DIM * 4)   # Lloyd work + acc + candidates, per node

    t["propagate"] = {
        "read": emb / fs(n),
        "labels bcast": LABEL_CSV_BYTES * k / NIC_BPS + math.log2(max(p, 2)) * ALPHA,
        "labeled allreduce": allreduce(k * 8, n, p) + allreduce(k * DIM * 4, n, p),
        "nearest": 2 * traces * k * DIM / (p * SGEMM_FLOPS),
        "write": traces * 9 / fs(n),
    }

    stride = 2 + 3 * SERVICES + 2 * OPERATIONS + SERVICES * SERVICES
    wel = PERIODS * SERVICES * 24
    t["rootcause"] = {
        "compute": traces / (p * ROOTCAUSE_TRACES_PER_S), "read": corpus / fs(n),
        "periods rank0": gather(16 * (PERIODS / p + 1), n, p) + math.log2(max(p, 2)) * (ALPHA + 16 * (PERIODS + p) / NIC_BPS),
        "counts allreduce": allreduce(PERIODS * stride * 8, n, p),
        # Chan merges in a reduction tree (mpi/exchange.c le_allreduce_welford)
        "welford allreduce": allreduce(wel, n, p) + 2 * math.log2(max(p, 2)) * PERIODS * SERVICES * MERGE_S,
    }
    mem["rootcause"] = CORES * 2 * wel
    return t, mem


STAGES = ["ingest", "train", "embed", "select", "propagate", "rootcause"]


def fmt(s):
    if s >= 86400 * 365: return "%.1fy" % (s / 86400 / 365)
    if s >= 86400: return "%.1fd" % (s / 86400)
    if s >= 3600: return "%.1fh" % (s / 3600)
    if s >= 60: return "%.1fm" % (s / 60)
    return "%.2gs" % s if s < 10 else "%.0fs" % s


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--traces", type=float, default=1e9)
    ap.add_argument("--nodes", default="1 4 16 64 256 1024")
    ap.add_argument("--terms", action="store_true", help="every term of every stage")
    ap.add_argument("--no-kmpp", action="store_true",
                    help="leave out the weighted k-means++ on the candidates (as if the init were replaced, docs/scaling.md)")
    a = ap.parse_args()
    nodes = [int(x) for x in a.nodes.split()]
    print("traces: %.3g  cores/node: %d  (times: s, m, h, d, y; mem! = over %.0f GB/node)" % (a.traces, CORES, NODE_MEM / 1e9))
    hdr = "%-10s" % "stage" + "".join("%11s" % ("%d node%s" % (n, "s" if n > 1 else "")) for n in nodes)
    print(hdr)
    res = {n: model(a.traces, n) for n in nodes}
    for n in nodes:
        for term in ("distances", "draw", "collectives"):
            if a.no_kmpp: res[n][0]["select"]["kmeans++ " + term] = 0.0
    tot = {n: 0.0 for n in nodes}
    for st in ["synth"] + STAGES:
        row = "%-10s" % st
        for n in nodes:
            t, mem = res[n]
            s = sum(t[st].values())
            if st != "synth": tot[n] += s
            flag = "!" if mem.get(st, 0) > NODE_MEM else ""
            row += "%11s" % (fmt(s) + flag)
        print(row)
    print("%-10s" % "total" + "".join("%11s" % fmt(tot[n]) for n in nodes) + "   (ingest..rootcause, synth not counted)")
    print("%-10s" % "node-h" + "".join("%11s" % ("%.3g" % (tot[n] * n / 3600)) for n in nodes))
    print("%-10s" % "speedup" + "".join("%11s" % ("%.3g" % (tot[nodes[0]] / tot[n])) for n in nodes))
    if a.terms:
        for st in ["synth"] + STAGES:
            print("\n[%s]" % st)
            for term in res[nodes[0]][0][st]:
                print("  %-18s" % term + "".join("%11s" % fmt(res[n][0][st][term]) for n in nodes))
            if st in res[nodes[0]][1]:
                print("  %-18s" % "mem/node GB" + "".join("%11.0f" % (res[n][1][st] / 1e9) for n in nodes))


if __name__ == "__main__":
    main()
