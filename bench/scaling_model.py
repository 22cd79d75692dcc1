#!/usr/bin/python3
"""bench/scaling_model.py - predicted time and memory per node of each labelease
stage for a 1e9-trace corpus on 1..1024 nodes (docs/scaling.md explains every term).

    bench/scaling_model.py [--traces N] [--nodes "1 4 16 64 256 1024"] [--terms]
                           [--chunk C] [--first 200] [--round 200] [--max-labels 2000]
                           [--no-ingest-spill] [--sample-max ROWS] [--fs-max BYTES_PER_S] [--no-kmpp]

The default labeling (tail representation, no model to train) with a budget
that does not grow with N: a first round of --first labels, then active-
learning rounds of --round labels each up to --max-labels (the worst case:
every round runs). select, propagate and rootcause hold a chunk of --chunk
traces a rank, the k-means sample and the labeled vectors, never the shard.

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
ID_BYTES_PER_TRACE = (188451966 + 624250) / 1e7  # trace_id_bytes + trace_id_offset stored, synth --traces 1e7 here (18.9 B)
RAW_BYTES_PER_SPAN = 37.0         # docs/corpus.md schema: 33 B of span columns + per-trace columns spread over ~22 spans
# the default labeling (tail representation, two rounds), 130,363 traces, 1 rank: results/bench.txt run N (2026-12-06 08:46)
TAIL_VEC_S_PER_TRACE = 0.813966 / 130363    # select_seconds_vectors.np1: the tail vectors (statistics passes included)
PROP_VEC_S_PER_TRACE = 0.632779 / 130363    # propagate_seconds_vectors.np1
SELECT_REST_S_PER_TRACE = 0.284929 / 130363 # select_seconds_select.np1 (k = 130): checks the flop terms below
SHARD_BYTES_PER_TRACE = 1181 * 2**20 / 1e6  # docs/benchmarks.md: select's peak RSS per 1e6 shard traces (spans, path ids, 64-float vectors)
DIM_TAIL = 417                    # select's report `dim` (tail) on synth --traces 20000 --seed 1 here
# ingest's peak RSS a rank per span row it holds, bench/ingest.sh 1 GiB CSV, 1 rank (results/ingest-bench.txt):
INGEST_MEM_BYTES_PER_ROW = 824.113 * 2**20 / 6119055     # in memory: csv_np1_peak_rss_mib_max / spans (141 B)
INGEST_SPILL_BYTES_PER_ROW = 224.984 * 2**20 / 764882    # spilling: csvspill_np1_peak_rss_mib_max / its batch (308 B)
INGEST_SPILL_S_PER_SPAN = (15.3596 - 9.15934) / 6119055  # csvspill_np1_seconds - csv_np1_seconds, a span (1 us)

# ---- pipeline defaults (the code's options, and issue 19's design) ---------
DIM = 64                          # GAT embedding out_dim (docs/model.md): the train/embed option
SAMPLE = 0.1                      # select --sample
SAMPLE_MAX = 131072               # select: the k-means sample's cap (LE_SAMPLE_MAX_ROWS)
VEC_FIT_SAMPLE = 2 ** 20          # the vector statistics' sample (LE_TAILVEC_SAMPLE)
ROUND_SAMPLE = 13000              # later rounds' sample (LE_ROUND_SAMPLE_TRACES)
FIRST, ROUND_K, MAX_LABELS = 200, 200, 2000   # issue 19: first round, labels per active-learning round, the cap
CHUNK = 65536                     # traces a rank holds at a time in select, propagate (--chunk default)
KMPAR_ROUNDS, KMPAR_OVERSAMPLE = 5, 2   # k-means||: 5 rounds of 2k candidates (docs/labeling.md)
STEPS, BATCH, MICRO = 400, 64, 16 # train defaults: M = BATCH/MICRO = 4 micro-batches per step
INGEST_SAMPLES_PER_RANK = 64      # mpi/ingest_order.c choose_splitters
MAX_ROWS = 2 ** 23                # ingest --max-rows: the rows a rank holds before it spills
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
TAIL_CELLS = OPERATIONS * 24 * 12 * 30   # 5-minute cells per operation over 30 days: the quantile/burst counts reduced
QUANTILE_STEPS = 40               # bisection steps of the exact quantiles (one allreduce of counts each)


def fs(n):
    return min(FS_BPS_PER_NODE * n, FS_BPS_MAX)


def set_fs_max(bps):
    global FS_BPS_MAX
    FS_BPS_MAX = bps


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


def kmeans_round(ns, k, d, n, p, no_kmpp):
    """k-means|| + weighted k-means++ + Lloyd on the sample ns rows, k clusters (docs/labeling.md)."""
    m = 1 + KMPAR_ROUNDS * KMPAR_OVERSAMPLE * k
    t = {
        "kmeans|| d2": 2 * ns * (m - 1) * d / (p * SGEMM_FLOPS) + KMPAR_ROUNDS * allreduce(8, n, p),
        "cand allgather": allgather(m * d * 4 / p, n, p),
        "cand weights": 2 * ns * m * d / (p * SGEMM_FLOPS) + allreduce(m * 8, n, p),
        "kmeans++": 0.0 if no_kmpp else 3.0 * k * m * d / (p * SCALAR_FLOPS) + k * 3 * (m / p) * SORT_STEP_S
        + k * 2 * allreduce(16, n, p),
        "lloyd": LLOYD_ITERS * (2 * ns * k * d / (p * SGEMM_FLOPS) + allreduce((k * d + k + 2) * 8, n, p)),
    }
    mem = 256 * k * 4 + (k * d + k) * 8 + m * d * 4   # Lloyd block + accumulator + candidates, per rank
    return t, mem


def add(acc, t):
    for key, v in t.items():
        acc[key] = acc.get(key, 0.0) + v


def model(traces, n, o):
    p = n * CORES
    spans = traces * SPANS_PER_TRACE
    corpus = traces * CORPUS_BYTES_PER_TRACE
    raw = spans * RAW_BYTES_PER_SPAN
    emb = traces * DIM * 4
    shard = traces / p
    chunk = min(o.chunk, shard)               # a rank never holds more than its shard
    ns = SAMPLE * traces if o.sample_max is None else min(SAMPLE * traces, o.sample_max)
    rounds = 1 + math.ceil(max(0, o.max_labels - o.first) / o.round)
    t, mem = {}, {}

    csv = spans * CSV_BYTES_PER_SPAN
    smp = INGEST_SAMPLES_PER_RANK * p
    spills = o.ingest_spill and spans / p > MAX_ROWS
    t["ingest"] = {
        "compute": csv / (p * INGEST_BPS_PER_RANK),
        "read": csv / fs(n), "write": corpus / fs(n),
        "join a2a": alltoallv(spans * JOIN_BYTES_PER_SPAN, n, p),
        "order a2a": alltoallv(raw, n, p),
        "splitters rank0": gather(INGEST_SAMPLES_PER_RANK * 16, n, p) + smp * math.log2(max(smp, 2)) * SORT_STEP_S,
        "names": gather(1024, n, p) + math.log2(max(p, 2)) * ALPHA,
        # past --max-rows a rank, the external sort (mpi/ingest_spill.c): the rows written to
        # the buckets and read back, the traces written, read, written to the steps, read back
        "spill": spills * (spans / p * INGEST_SPILL_S_PER_SPAN + (2 * spans * JOIN_BYTES_PER_SPAN + 4 * raw) / fs(n)),
    }
    mem["ingest"] = CORES * (MAX_ROWS * INGEST_SPILL_BYTES_PER_ROW if spills else spans / p * INGEST_MEM_BYTES_PER_ROW)
    t["synth"] = {"compute": traces / (p * SYNTH_TRACES_PER_S), "write": corpus / fs(n)}
    mem["synth"] = CORES * 65536 * SPANS_PER_TRACE * 40

    M = BATCH // MICRO
    rec = 3 * MICRO * (25 * SPANS_PER_TRACE + 4) * M
    t["train"] = {
        "stats pass": traces / (p * TRAIN_STATS_TRACES_PER_S) + corpus / fs(n),
        "steps": STEPS * TRAIN_STEP_S * math.ceil(M / p) / M,
        "grad allreduce": STEPS * allreduce((N_PARAMS + 2) * 8, n, p),
        "records a2a": STEPS * (alltoallv(rec, n, p) + (p - 1) * ALPHA),
    }
    t["embed"] = {"compute": traces / (p * EMBED_TRACES_PER_S), "read": corpus / fs(n), "write": emb / fs(n)}

    # select as built (mpi/tailvec_dist.h, mpi/rowsource_dist.h): round 1
    # fits the vector statistics in two passes (a census; the burst counts,
    # which make every trace's row once), then a pass for the k-means sample
    # and a pass assigning every trace (rows made again each time): four
    # reads of the corpus, three of the rows. It writes the statistics; a
    # later round reads them and takes one pass, reading the corpus and
    # making rows only for its sample (LE_ROUND_SAMPLE_TRACES) and the
    # labeled traces, then clusters the pool and picks. It keeps the sample's
    # rows in its reps file: from round 3 on a round reads them there and
    # reads only the corpus's ids (to find the labelled traces).
    d = DIM_TAIL
    sel, km_mem = {}, 0
    for r in range(rounds):
        k = o.first if r == 0 else o.round
        passes, row_passes = (4, 3) if r == 0 else (1, 0)
        made = traces * row_passes + (0 if r == 0 else o.max_labels + (ROUND_SAMPLE if r == 1 else 0))
        read = passes * corpus if r <= 1 else traces * ID_BYTES_PER_TRACE + ROUND_SAMPLE * d * 4
        add(sel, {
            "read": read / fs(n),
            "vectors": made * TAIL_VEC_S_PER_TRACE / p,
            "stats allreduce": (QUANTILE_STEPS * allreduce(OPERATIONS * 8 * 64, n, p) + allreduce(TAIL_CELLS * 8 * 4, n, p)
                                if r == 0 else 0.0),
            "assign+minloc": (2 * traces * k * d / (p * SGEMM_FLOPS) if r == 0 else 0.0) + 3 * allreduce(k * 8, n, p),
            "reps gather": gather(k * SPANS_PER_TRACE * REP_SPAN_BYTES / p, n, p),
        })
        kt, km = kmeans_round(ns if r == 0 else 20 * k, k, d, n, p, o.no_kmpp)
        add(sel, kt)
        km_mem = max(km_mem, km)
    t["select"] = sel
    sample_bytes = ns / p * d * 4
    labeled_bytes = o.max_labels * d * 4
    fit_bytes = VEC_FIT_SAMPLE / p * SHARD_BYTES_PER_TRACE   # the fit's sample, spans and scratch, while fitting
    mem["select"] = CORES * (chunk * (SHARD_BYTES_PER_TRACE + (d - 64) * 4) + max(fit_bytes, sample_bytes + km_mem)
                             + labeled_bytes)

    # propagate once, after the last round, from the statistics file: a pass
    # reading the corpus and making every row, the nearest of the labeled,
    # the labels written.
    labeled = o.max_labels
    t["propagate"] = {
        "read": corpus / fs(n),
        "vectors": traces * PROP_VEC_S_PER_TRACE / p,
        "labels bcast": LABEL_CSV_BYTES * labeled / NIC_BPS + math.log2(max(p, 2)) * ALPHA,
        "labeled allreduce": allreduce(labeled * 8, n, p) + allreduce(labeled * d * 4, n, p),
        "nearest": 2 * traces * labeled * d / (p * SGEMM_FLOPS),
        "write": traces * 9 / fs(n),
    }
    mem["propagate"] = CORES * (chunk * (SHARD_BYTES_PER_TRACE + (d - 64) * 4) + labeled_bytes)

    stride = 2 + 3 * SERVICES + 2 * OPERATIONS + SERVICES * SERVICES
    wel = PERIODS * SERVICES * 24
    t["rootcause"] = {
        "compute": traces / (p * ROOTCAUSE_TRACES_PER_S), "read": corpus / fs(n),
        "periods rank0": gather(16 * (PERIODS / p + 1), n, p) + math.log2(max(p, 2)) * (ALPHA + 16 * (PERIODS + p) / NIC_BPS),
        "counts allreduce": allreduce(PERIODS * stride * 8, n, p),
        # Chan merges in a reduction tree (mpi/exchange.c le_allreduce_welford)
        "welford allreduce": allreduce(wel, n, p) + 2 * math.log2(max(p, 2)) * PERIODS * SERVICES * MERGE_S,
    }
    # a chunk of traces, a label byte and a little more a shard trace (docs/benchmarks.md: 8.4 MiB per 1e6)
    mem["rootcause"] = CORES * (chunk * SPANS_PER_TRACE * 40 + shard * 8.8 + 2 * wel + PERIODS * stride * 8)
    return t, mem, rounds


STAGES = ["ingest", "select", "propagate", "rootcause"]   # the default pipeline (no model)
OPTION = ["train", "embed"]                                # the GAT representation's extra stages


def fmt(s):
    if s >= 86400 * 365: return "%.1fy" % (s / 86400 / 365)
    if s >= 86400: return "%.1fd" % (s / 86400)
    if s >= 3600: return "%.1fh" % (s / 3600)
    if s >= 60: return "%.1fm" % (s / 60)
    return "%.2gs" % s if s < 10 else "%.0fs" % s


def limiting_term(res, nodes, at):
    """The term farthest above its ideal share at `at` nodes: t(at) - t(first) * first / at."""
    n0 = nodes[0]
    best = None
    for st in STAGES:
        for term, v in res[at][0][st].items():
            excess = v - res[n0][0][st][term] * n0 / at
            if best is None or excess > best[0]:
                best = (excess, st, term, v)
    return best


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--traces", type=float, default=1e9)
    ap.add_argument("--nodes", default="1 4 16 64 256 1024")
    ap.add_argument("--terms", action="store_true", help="every term of every stage")
    ap.add_argument("--chunk", type=float, default=CHUNK, help="traces a rank holds at a time (default 1e6)")
    ap.add_argument("--first", type=int, default=FIRST, help="labels of the first round (default 200)")
    ap.add_argument("--round", type=int, default=ROUND_K, help="labels of each later round (default 200)")
    ap.add_argument("--max-labels", type=int, default=MAX_LABELS, help="the cap: every round up to it runs (default 2000)")
    ap.add_argument("--no-ingest-spill", dest="ingest_spill", action="store_false",
                    help="ingest holds its whole shard of rows (the join before its spill was built)")
    ap.add_argument("--sample-max", type=float, default=SAMPLE_MAX,
                    help="cap the k-means sample at this many rows (default 131072, as select does)")
    ap.add_argument("--no-kmpp", action="store_true", help="leave out the weighted k-means++ on the candidates")
    ap.add_argument("--fs-max", type=float, default=FS_BPS_MAX,
                    help="aggregate file-system bandwidth, bytes/s (default 100e9; 1e15: no cap, 10 GB/s a node)")
    a = ap.parse_args()
    set_fs_max(a.fs_max)
    nodes = [int(x) for x in a.nodes.split()]
    res = {n: model(a.traces, n, a) for n in nodes}
    rounds = res[nodes[0]][2]
    print("traces: %.3g  cores/node: %d  fs: %.3g GB/s at most  labels: %d first + %d a round, <= %d (%d rounds)"
          % (a.traces, CORES, FS_BPS_MAX / 1e9, a.first, a.round, a.max_labels, rounds))
    print("chunk: %.3g traces a rank  sample: %s%s" % (a.chunk, "10%%, <= %.3g rows" % a.sample_max,
                                                     "  ingest spills past %.3g rows a rank" % MAX_ROWS if a.ingest_spill else "  ingest holds its shard"))
    print("(times: s, m, h, d, y; ! = memory over %.0f GB/node)" % (NODE_MEM / 1e9))
    print("%-10s" % "stage" + "".join("%11s" % ("%d node%s" % (n, "s" if n > 1 else "")) for n in nodes))
    tot = {n: 0.0 for n in nodes}
    marks = []
    for st in ["synth"] + STAGES + OPTION:
        row = "%-10s" % st
        for n in nodes:
            t, mem, _ = res[n]
            s = sum(t[st].values())
            if st in STAGES: tot[n] += s
            flag = "!" if mem.get(st, 0) > NODE_MEM else ""
            if flag: marks.append((st, n))
            row += "%11s" % (fmt(s) + flag)
        print(row + ("   (GAT option, not in total)" if st in OPTION else ""))
    print("%-10s" % "total" + "".join("%11s" % fmt(tot[n]) for n in nodes) + "   (ingest..rootcause, synth not counted)")
    print("%-10s" % "node-h" + "".join("%11s" % ("%.3g" % (tot[n] * n / 3600)) for n in nodes))
    print("%-10s" % "speedup" + "".join("%11s" % ("%.3g" % (tot[nodes[0]] / tot[n])) for n in nodes))
    print("%-10s" % "effic." + "".join("%11s" % ("%.2f" % (tot[nodes[0]] * nodes[0] / (tot[n] * n))) for n in nodes))
    print("\nmemory per node, GB (%s)" % ", ".join("%s" % st for st in ["synth"] + STAGES))
    for st in ["synth"] + STAGES:
        print("%-10s" % st + "".join("%11s" % ("%.0f%s" % (res[n][1][st] / 1e9, "!" if res[n][1][st] > NODE_MEM else ""))
                                     for n in nodes))
    at = 256 if 256 in nodes else nodes[-1]
    ex, st, term, v = limiting_term(res, nodes, at)
    print("\nlimit at %d nodes: %s '%s' (%s there, %s above its share of the %d-node time)"
          % (at, st, term, fmt(v), fmt(ex), nodes[0]))
    print("memory marks: %s" % (", ".join("%s at %d node%s" % (s, n, "s" if n > 1 else "") for s, n in marks) or "none"))
    if a.terms:
        for st in ["synth"] + STAGES + OPTION:
            print("\n[%s]" % st)
            for term in res[nodes[0]][0][st]:
                print("  %-18s" % term + "".join("%11s" % fmt(res[n][0][st][term]) for n in nodes))
            if st in res[nodes[0]][1]:
                print("  %-18s" % "mem/node GB" + "".join("%11.1f" % (res[n][1][st] / 1e9) for n in nodes))


if __name__ == "__main__":
    main()
