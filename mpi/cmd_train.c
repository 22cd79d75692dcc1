/* labelease train CORPUS -o MODEL: the GAT trace encoder, triplet loss, Adam,
 * data-parallel over ranks.
 *
 * Rank-count independence. The corpus is cut into fixed windows of W traces;
 * triplets are drawn inside one window. A pool of `pool` windows is resident
 * at a time (slot j on rank j mod p), and the pool moves through the corpus
 * every pool_steps steps, so memory per rank depends on the window, the pool
 * and the batch, never on the shard. Step s of the global batch B is M = B/K
 * micro-batches of K triplets; micro-batch m draws its slot and its triplets
 * from a counter-based stream keyed by (seed, s·M + m), so the global batch is
 * the same at any rank count. The slot's owner samples the triplets and ships
 * their featurised traces (one MPI_Alltoallv per step) to rank m mod p, which
 * computes the micro-batch: every rank computes an equal share. Each
 * micro-batch's gradient goes into an int64 fixed-point accumulator (scale
 * 2^32) and one MPI_Allreduce of that flat buffer sums them exactly — integer
 * sums do not depend on order — so every rank applies the identical Adam
 * update, and 1, 2 or 64 ranks give bit-identical weights. */
#include <errno.h>
#include <getopt.h>
#include <libgen.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "adam.h"
#include "checkpoint.h"
#include "corpus.h"
#include "driver.h"
#include "encoder.h"
#include "gat_data.h"
#include "gat_debug.h"
#include "hash.h"
#include "interrupt.h"
#include "model.h"
#include "rng.h"
#include "triplet.h"

static const char usage[] =
    "usage: labelease train CORPUS.h5 -o MODEL.h5 [options]\n"
    "\n"
    "Train the GAT trace encoder (3 GAT layers x 3 heads, tanh + LayerNorm, mean pool,\n"
    "MLP to 64) with the cosine triplet loss. Triplets come from windows of consecutive\n"
    "traces; a pool of windows is resident at a time, spread over the ranks, and moves\n"
    "through the corpus, so memory per rank does not grow with the corpus. Every rank\n"
    "computes an equal share of each global batch (the traces a micro-batch needs are\n"
    "sent to the rank computing it), and one allreduce per step gives every rank the\n"
    "same Adam update. The result does not depend on the number of ranks.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE  model file to write (required)\n"
    "  --seed N           weights, triplets (default 1)\n"
    "  --steps N          optimiser steps (default 400)\n"
    "  --epochs X         instead of --steps: X passes of anchors over the corpus\n"
    "  --batch N          global batch in triplets (default 64)\n"
    "  --micro N          triplets per micro-batch, the unit of work (default 16; divides --batch);\n"
    "                     rank r computes micro-batches r, r+p, ...: keep batch/micro >= ranks\n"
    "  --window N         traces per triplet window (default 4096)\n"
    "  --pool N           windows resident at a time over all ranks (default 8; all of\n"
    "                     them when the corpus has fewer); use >= ranks to spread the reads\n"
    "  --pool-steps N     steps before the pool moves on (default or 0: pool*window/batch,\n"
    "                     about one anchor per trace of the pool)\n"
    "  --chunk N          traces read at a time for the vocabulary and time statistics\n"
    "                     (default 16384)\n"
    "  --lr X             Adam learning rate (default 1e-3)\n"
    "  --margin X         triplet margin on cosine distance (default 1.0)\n"
    "  --far X            hard negative: same structure, |log1p root latency gap| >= X (default 0.7)\n"
    "  --hard X           share of negatives drawn hard when one exists (default 0.5)\n"
    "  --hidden N         channels per head (default 32)\n"
    "  --heads N          attention heads (default 3)\n"
    "  --layers N         GAT layers (default 3)\n"
    "  --embed-dims N     width of the operation and token embeddings (default 16)\n"
    "  --buckets N        token hash buckets (default 1024)\n"
    "  --log-every N      progress line every N steps (default 50)\n"
    "  --checkpoint FILE  save the training state to FILE every --checkpoint-every steps, on\n"
    "                     SIGUSR1/SIGTERM and at the end (atomically: FILE.partial, then\n"
    "                     renamed); when FILE exists, resume from it. FILE is refused when\n"
    "                     another corpus or other training options wrote it (the error\n"
    "                     names the field). It is left in place after the model is written.\n"
    "  --checkpoint-every N  steps between checkpoints (default 100; 0: only on a signal\n"
    "                     and at the end)\n" LE_COMMON_HELP
    "\n"
    "Signals: SIGUSR1 or SIGTERM (Slurm's --signal=USR1@SECONDS, preemption, scancel;\n"
    "mpirun forwards SIGUSR1 to the ranks) stop training at the end of the step in\n"
    "progress: the checkpoint is written and the exit status is 75 (EX_TEMPFAIL); re-run\n"
    "the same command to resume. Without --checkpoint nothing is saved, the status is 75\n"
    "too. Resuming gives the weights of an uninterrupted run, at any rank count.\n"
    "\n"
    "examples:\n"
    "  mpirun -np 4 labelease train corpus.h5 -o model.h5 --steps 1000 --seed 7\n"
    "  srun labelease train corpus.h5 -o model.h5 --checkpoint train.ckpt.h5  # again after status 75\n";

typedef struct train_opts {
    int64_t seed, steps, batch, micro, window, pool, pool_steps, chunk, log_every, hidden, heads, layers, dims, buckets;
    int64_t ckpt_every, interrupt_at; /* interrupt_at: hidden test option, 0 = off */
    double epochs, lr, margin, far, hard;
    const char *corpus, *out, *dump, *ckpt;
} train_opts;

/* One resident window: its traces, their features, its triplet groups. */
typedef struct window_slot {
    int64_t w; /* window id, -1 when empty */
    le_corpus_block blk;
    le_blockfeat feat;
    le_tripwin win;
} window_slot;

typedef struct train_data {
    int64_t n_traces, n_windows, window, pool, pool_steps, phase;
    int64_t *pool_win;  /* [pool] window of each slot in the current phase */
    window_slot *slots; /* [ceil(pool / p)]: slot j lives on rank j mod p as slots[j / p] */
    le_opmap map;
    int32_t n_vocab;
    int32_t *vocab_of; /* [corpus ops] */
    float *mean, *std;
} train_data;

static int parse_opts(int argc, char **argv, train_opts *o, int *help)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"seed", required_argument, 0, 's'}, {"steps", required_argument, 0, 'n'},
        {"epochs", required_argument, 0, 'e'}, {"batch", required_argument, 0, 'b'}, {"micro", required_argument, 0, 'm'},
        {"window", required_argument, 0, 'w'}, {"pool", required_argument, 0, 'P'},
        {"pool-steps", required_argument, 0, 'S'}, {"chunk", required_argument, 0, 'C'}, {"lr", required_argument, 0, 'l'}, {"margin", required_argument, 0, 'g'},
        {"far", required_argument, 0, 'f'}, {"hard", required_argument, 0, 'H'}, {"hidden", required_argument, 0, 'c'},
        {"heads", required_argument, 0, 'a'}, {"layers", required_argument, 0, 'L'}, {"embed-dims", required_argument, 0, 'd'},
        {"buckets", required_argument, 0, 'k'}, {"log-every", required_argument, 0, 'p'},
        {"checkpoint", required_argument, 0, 'K'}, {"checkpoint-every", required_argument, 0, 'E'},
        {"dump-reference", required_argument, 0, 'D'}, /* hidden: fixed batch + gradients for tests/torch */
        {"interrupt-at-step", required_argument, 0, 'I'}, /* hidden: as if SIGUSR1 reached the last rank during step S */
        LE_COMMON_LONGOPTS, {0}};
    *o = (train_opts){.seed = 1, .steps = 400, .batch = 64, .micro = 16, .window = 4096, .pool = 8, .chunk = 16384, .log_every = 50, .hidden = 32,
                      .heads = 3, .layers = 3, .dims = 16, .buckets = 1024, .ckpt_every = -1, .lr = 1e-3, .margin = 1.0, .far = 0.7, .hard = 0.5};
    int c;
    optind = 0; /* 0, not 1: glibc then resets all its state (tests call commands in-process) */
    while ((c = getopt_long(argc, argv, "o:vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        switch (c) {
        case 'h': *help = 1; return 0;
        case 'o': o->out = optarg; break;
        case 'D': o->dump = optarg; break;
        case 'K': o->ckpt = optarg; break;
        case 'E': LE_CHECK(le_parse_count("--checkpoint-every", optarg, &o->ckpt_every)); break;
        case 'I': LE_CHECK(le_parse_count("--interrupt-at-step", optarg, &o->interrupt_at)); break;
        case 's': LE_CHECK(le_parse_count("--seed", optarg, &o->seed)); break;
        case 'n': LE_CHECK(le_parse_count("--steps", optarg, &o->steps)); break;
        case 'b': LE_CHECK(le_parse_count("--batch", optarg, &o->batch)); break;
        case 'm': LE_CHECK(le_parse_count("--micro", optarg, &o->micro)); break;
        case 'w': LE_CHECK(le_parse_count("--window", optarg, &o->window)); break;
        case 'P': LE_CHECK(le_parse_count("--pool", optarg, &o->pool)); break;
        case 'S': LE_CHECK(le_parse_count("--pool-steps", optarg, &o->pool_steps)); break;
        case 'C': LE_CHECK(le_parse_count("--chunk", optarg, &o->chunk)); break;
        case 'c': LE_CHECK(le_parse_count("--hidden", optarg, &o->hidden)); break;
        case 'a': LE_CHECK(le_parse_count("--heads", optarg, &o->heads)); break;
        case 'L': LE_CHECK(le_parse_count("--layers", optarg, &o->layers)); break;
        case 'd': LE_CHECK(le_parse_count("--embed-dims", optarg, &o->dims)); break;
        case 'k': LE_CHECK(le_parse_count("--buckets", optarg, &o->buckets)); break;
        case 'p': LE_CHECK(le_parse_count("--log-every", optarg, &o->log_every)); break;
        case 'e': o->epochs = atof(optarg); break;
        case 'l': o->lr = atof(optarg); break;
        case 'g': o->margin = atof(optarg); break;
        case 'f': o->far = atof(optarg); break;
        case 'H': o->hard = atof(optarg); break;
        default: return le_usage(usage, 1);
        }
    }
    if (o->dump) return 0;
    if (optind + 1 != argc || !o->out) return le_usage(usage, 1);
    o->corpus = argv[optind];
    if (o->batch < 1 || o->micro < 1 || o->batch % o->micro) return le_fail(LE_ERR_USAGE, "--micro must divide --batch (got %lld, %lld)", (long long)o->micro, (long long)o->batch);
    if (o->pool < 1 || o->chunk < 1) return le_fail(LE_ERR_USAGE, "--pool and --chunk must be at least 1");
    if (o->window < 2 || o->lr <= 0 || o->log_every < 1 || o->hard < 0 || o->hard > 1) return le_fail(LE_ERR_USAGE, "--window >= 2, --lr > 0, --log-every >= 1, 0 <= --hard <= 1");
    if (o->ckpt_every >= 0 && !o->ckpt) return le_fail(LE_ERR_USAGE, "--checkpoint-every needs --checkpoint FILE");
    if (o->ckpt_every < 0) o->ckpt_every = 100; /* 0: only on a signal and at the end */
    if (o->ckpt && (!*o->ckpt || !strcmp(o->ckpt, o->out))) return le_fail(LE_ERR_USAGE, "--checkpoint must name a file other than the model (-o)");
    return 0;
}

static le_enc_cfg encoder_cfg(const train_opts *o, int32_t n_vocab)
{
    le_enc_cfg c = {.feat = {.n_vocab = n_vocab, .d_op = (int32_t)o->dims, .d_tok = (int32_t)o->dims,
                             .n_buckets = (int32_t)o->buckets, .salt = 0x6c6162656c656173ULL /* "labeleas" */},
                    .layers = (int32_t)o->layers, .heads = (int32_t)o->heads, .hc = (int32_t)o->hidden, .out_dim = 64};
    return c;
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }

/* Operation counts and raw time sums per corpus operation (row n_ops: all
 * spans) of traces [a, z), read as one block. */
static int scan_chunk(le_corpus *c, int64_t a, int64_t z, le_blockfeat *f, int64_t *count, int64_t *sums)
{
    le_corpus_block b;
    LE_CHECK(le_corpus_read_block(c, a, z, &b));
    le_blockfeat_compute(f, &b);
    const int32_t n_ops = c->meta.n_operations;
    for (int64_t i = 0; i < b.n_spans; i++) {
        count[b.operation[i]]++;
        le_timestats_add(sums, n_ops, b.operation[i], f->time + i * LE_NTIME);
    }
    le_block_free(&b);
    return 0;
}

/* One streamed pass over this rank's span-balanced shard, --chunk traces at a
 * time, then one allreduce: integer sums, so exact at any rank count. */
static int scan_corpus(le_corpus *c, int64_t chunk, int64_t *count, int64_t *sums)
{
    int64_t t0, t1;
    LE_CHECK(le_corpus_shard(c, le_world.comm, &t0, &t1));
    le_blockfeat f = {0};
    int rc = 0;
    for (int64_t a = t0; a < t1 && !rc; a += chunk) rc = scan_chunk(c, a, min64(a + chunk, t1), &f, count, sums);
    le_blockfeat_free(&f);
    LE_CHECK(le_agree(rc));
    const int n = c->meta.n_operations;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, count, n, MPI_INT64_T, MPI_SUM, le_world.comm));
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, sums, (n + 1) * LE_STAT_COLS, MPI_INT64_T, MPI_SUM, le_world.comm));
    return 0;
}

/* Vocabulary = the corpus operations that occur in it, in the corpus table
 * order (sorted by service, operation name), so ids never depend on ranks.
 * Time statistics: vocabulary row v takes the sums of its operation, row V
 * those of all spans (what le_timestats_add gives when fed vocabulary rows). */
static int vocab_and_stats(le_corpus *c, const train_opts *o, train_data *d)
{
    const int32_t n = c->meta.n_operations;
    int64_t *count = le_calloc((size_t)n + 1, sizeof(int64_t));
    int64_t *op_sums = le_calloc((size_t)(n + 1) * LE_STAT_COLS, sizeof(int64_t));
    int rc = scan_corpus(c, o->chunk, count, op_sums);
    d->vocab_of = le_malloc(sizeof(int32_t) * ((size_t)n + 1));
    d->n_vocab = 0;
    for (int32_t i = 0; i < n; i++) d->vocab_of[i] = count[i] ? d->n_vocab++ : -1;
    for (int32_t i = 0; i < n; i++)
        if (d->vocab_of[i] < 0) d->vocab_of[i] = d->n_vocab; /* unused ops → the unknown row */
    const int32_t V = d->n_vocab;
    int64_t *sums = le_calloc((size_t)(V + 1) * LE_STAT_COLS, sizeof(int64_t));
    for (int32_t i = 0; i < n; i++)
        if (d->vocab_of[i] < V) memcpy(sums + (size_t)d->vocab_of[i] * LE_STAT_COLS, op_sums + (size_t)i * LE_STAT_COLS, sizeof(int64_t) * LE_STAT_COLS);
    memcpy(sums + (size_t)V * LE_STAT_COLS, op_sums + (size_t)n * LE_STAT_COLS, sizeof(int64_t) * LE_STAT_COLS);
    d->mean = le_malloc(sizeof(float) * LE_NTIME * (size_t)(V + 1));
    d->std = le_malloc(sizeof(float) * LE_NTIME * (size_t)(V + 1));
    le_timestats_finish(sums, V, d->mean, d->std);
    free(count), free(op_sums), free(sums);
    return rc;
}

static uint64_t gcd64(uint64_t u, uint64_t v)
{
    while (v) {
        uint64_t t = u % v;
        u = v, v = t;
    }
    return u;
}

/* Window of pool slot j in phase q. When the whole corpus fits in the pool,
 * slot j is window j for good. Otherwise the pool walks through the epochs
 * e = 0, 1, ...: epoch e visits window (a_e·x + b_e) mod W_n at position x, an
 * affine permutation (a_e coprime to W_n) keyed by the seed: constant memory
 * however many windows there are. */
static int64_t pool_window(const train_opts *o, const train_data *d, int64_t q, int64_t j)
{
    const int64_t nw = d->n_windows;
    if (d->pool == nw) return j;
    const int64_t i = q * d->pool + j, e = i / nw, x = i % nw;
    le_rng r;
    le_rng_init(&r, (uint64_t)o->seed, (uint64_t)e, 0x504f4f4cu /* "POOL" */);
    uint64_t a = 1 + le_rng_below(&r, (uint32_t)(nw - 1)), b = le_rng_below(&r, (uint32_t)nw);
    while (gcd64(a, (uint64_t)nw) != 1) a = a % (uint64_t)(nw - 1) + 1; /* 1 is coprime: this ends */
    return (int64_t)((a * (uint64_t)x + b) % (uint64_t)nw);
}

static void slot_clear(window_slot *sl)
{
    if (sl->w >= 0) le_block_free(&sl->blk), le_tripwin_free(&sl->win);
    sl->w = -1;
}

/* Read window w into the slot, featurise and normalise it, group its triplets. */
static int slot_load(le_corpus *c, const train_data *d, window_slot *sl, int64_t w)
{
    if (sl->w == w) return 0;
    slot_clear(sl);
    const int64_t t0 = w * d->window, t1 = min64(t0 + d->window, d->n_traces);
    LE_CHECK(le_corpus_read_block(c, t0, t1, &sl->blk));
    le_blockfeat_compute(&sl->feat, &sl->blk);
    le_blockfeat_normalise(&sl->feat, &sl->blk, &d->map, d->mean, d->std);
    le_tripwin_build(&sl->win, (int32_t)(t1 - t0), sl->feat.shash, sl->feat.root_lat);
    sl->w = w;
    return 0;
}

/* Make the pool that of step s's phase: this rank (re)loads the slots it owns. Collective. */
static int pool_enter(le_corpus *c, const train_opts *o, train_data *d, int64_t s)
{
    const int64_t q = s / d->pool_steps, p = le_world.size;
    if (q == d->phase) return 0;
    int rc = 0;
    for (int64_t j = 0; j < d->pool; j++) {
        d->pool_win[j] = pool_window(o, d, q, j);
        if (j % p == le_world.rank && !rc) rc = slot_load(c, d, &d->slots[j / p], d->pool_win[j]);
    }
    d->phase = q;
    return le_agree(rc);
}

static int prepare(le_corpus *c, const train_opts *o, train_data *d)
{
    d->n_traces = c->meta.n_traces;
    d->window = o->window;
    d->n_windows = (d->n_traces + o->window - 1) / o->window;
    d->pool = min64(o->pool, d->n_windows);
    d->pool_steps = o->pool_steps ? o->pool_steps : (d->pool * o->window + o->batch - 1) / o->batch;
    if (d->pool_steps < 1) d->pool_steps = 1;
    d->phase = -1;
    const int64_t mine = (d->pool + le_world.size - 1) / le_world.size;
    d->pool_win = le_calloc((size_t)d->pool, sizeof(int64_t));
    d->slots = le_calloc((size_t)mine, sizeof(window_slot));
    for (int64_t k = 0; k < mine; k++) d->slots[k].w = -1;
    LE_CHECK(vocab_and_stats(c, o, d));
    le_feat_cfg fc = encoder_cfg(o, d->n_vocab).feat;
    le_opmap_build(&d->map, &fc, c->meta.n_operations, (const char *const *)c->meta.services,
                   (const char *const *)c->meta.operations, c->meta.operation_service, d->vocab_of);
    return 0;
}

static void free_data(train_data *d)
{
    const int64_t mine = (d->pool + le_world.size - 1) / le_world.size;
    for (int64_t k = 0; d->slots && k < mine; k++) slot_clear(&d->slots[k]), le_blockfeat_free(&d->slots[k].feat);
    free(d->slots), free(d->pool_win), free(d->vocab_of), free(d->mean), free(d->std);
    le_opmap_free(&d->map);
}

#define FIX_SCALE 4294967296.0 /* 2^32: gradient fixed point */
#define ACC_EXTRA (2 + LE_INTERRUPT_NSIG) /* after the gradient: loss, correct triplets, ranks interrupted by each signal */

static void accumulate_fixed(int64_t *acc, const float *g, int64_t n)
{
    for (int64_t i = 0; i < n; i++) {
        double x = (double)g[i] * FIX_SCALE;
        acc[i] += isfinite(x) && fabs(x) < 4e18 ? llrint(x) : 0;
    }
}

typedef struct trainer {
    le_encoder enc;
    float *params, *grad, *dO;
    int64_t *acc; /* [P + ACC_EXTRA]: gradient, loss, correct triplets, interrupt slots */
    int32_t *trip;
    le_adam adam;
    le_graphbatch gb;
    le_enc_ws ws;
    char *send, *recv;       /* this step's micro-batch records, by destination / by source */
    size_t send_cap, recv_cap;
    int *scount, *sdispl, *rcount, *rdispl; /* [p] */
} trainer;

/* Micro-batch record: int32 m, int32 traces (3K), then the trace records
 * (anchor, positive, negative of each triplet; gat_data.h). */
static void pack_micro(trainer *t, size_t *len, const window_slot *sl, const train_opts *o, le_rng *r, int32_t m)
{
    const int32_t head[2] = {m, (int32_t)(3 * o->micro)};
    if (*len + sizeof head > t->send_cap) t->send_cap = 2 * (*len + sizeof head), t->send = le_realloc(t->send, t->send_cap);
    memcpy(t->send + *len, head, sizeof head), *len += sizeof head;
    for (int64_t k = 0; k < o->micro; k++) {
        int32_t tr[3];
        le_triplet_sample(&sl->win, r, (float)o->far, (float)o->hard, tr);
        for (int q = 0; q < 3; q++) le_trace_record_pack(&t->send, len, &t->send_cap, &sl->blk, &sl->feat, tr[q]);
    }
}

/* Step s: draw every micro-batch's slot; for the slots this rank owns, sample
 * the triplets and pack them for rank m mod p, grouped by destination. */
static int pack_step(trainer *t, const train_data *d, const train_opts *o, int64_t s)
{
    const int64_t M = o->batch / o->micro, p = le_world.size;
    size_t len = 0;
    for (int64_t dest = 0; dest < p; dest++) {
        size_t start = len;
        for (int64_t m = dest; m < M; m += p) {
            le_rng r;
            le_rng_init(&r, (uint64_t)o->seed, (uint64_t)(s * M + m), 0x54524950u /* "TRIP" */);
            int64_t j = (int64_t)le_rng_below(&r, (uint32_t)d->pool);
            if (j % p == le_world.rank) pack_micro(t, &len, &d->slots[j / p], o, &r, (int32_t)m);
        }
        if (len - start > INT32_MAX || len > INT32_MAX) return le_fail(LE_ERR_USAGE, "train: micro-batch records past 2 GiB; lower --micro");
        t->scount[dest] = (int)(len - start), t->sdispl[dest] = (int)start;
    }
    return 0;
}

/* Records to the ranks that compute them: counts, then the bytes. */
static int exchange(trainer *t)
{
    const int p = le_world.size;
    LE_MPI(MPI_Alltoall(t->scount, 1, MPI_INT, t->rcount, 1, MPI_INT, le_world.comm));
    size_t total = 0;
    for (int r = 0; r < p; r++) t->rdispl[r] = (int)total, total += (size_t)t->rcount[r];
    if (total > INT32_MAX) return le_fail(LE_ERR_USAGE, "train: micro-batch records past 2 GiB; lower --micro");
    if (total > t->recv_cap) t->recv_cap = 2 * total, t->recv = le_realloc(t->recv, t->recv_cap);
    LE_MPI(MPI_Alltoallv(t->send, t->scount, t->sdispl, MPI_BYTE, t->recv, t->rcount, t->rdispl, MPI_BYTE, le_world.comm));
    return 0;
}

/* One micro-batch record at rec: forward, loss (scaled 1/B), backward, gradient into t->acc. Returns its size. */
static size_t micro_batch(trainer *t, const train_data *d, const train_opts *o, const char *rec)
{
    int32_t head[2];
    memcpy(head, rec, sizeof head);
    size_t used = sizeof head;
    const int K = head[1] / 3, out = t->enc.cfg.out_dim;
    le_gb_reset(&t->gb);
    for (int32_t k = 0; k < head[1]; k++) used += le_gb_add_record(&t->gb, rec + used), t->trip[k] = k;
    le_enc_forward(&t->enc, t->params, &d->map, &t->gb, &t->ws);
    memset(t->dO, 0, sizeof(float) * (size_t)(3 * K * out));
    int ok = 0;
    double loss = le_triplet_loss(out, t->ws.O, K, t->trip, (float)o->margin, (float)(1.0 / (double)o->batch), t->dO, &ok);
    memset(t->grad, 0, sizeof(float) * (size_t)t->enc.n_params);
    le_enc_backward(&t->enc, t->params, &d->map, &t->gb, &t->ws, t->dO, t->grad);
    accumulate_fixed(t->acc, t->grad, t->enc.n_params);
    t->acc[t->enc.n_params] += llrint(loss * FIX_SCALE);
    t->acc[t->enc.n_params + 1] += ok;
    return used;
}

/* One optimiser step; returns the global mean loss and accuracy, and in *sig
 * the signal some rank had received before the allreduce (0: none; the flag
 * rides in the step's allreduce, so every rank gets the same answer). */
static int train_step(trainer *t, const train_data *d, const train_opts *o, int64_t step, double *loss, double *acc, int *sig)
{
    const int64_t P = t->enc.n_params;
    memset(t->acc, 0, sizeof(int64_t) * (size_t)(P + ACC_EXTRA));
    LE_CHECK(le_agree(pack_step(t, d, o, step)));
    LE_CHECK(exchange(t));
    size_t total = (size_t)t->rdispl[le_world.size - 1] + (size_t)t->rcount[le_world.size - 1];
    for (size_t at = 0; at < total;) at += micro_batch(t, d, o, t->recv + at);
    le_interrupt_fold(t->acc + P + 2);
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, t->acc, (int)(P + ACC_EXTRA), MPI_INT64_T, MPI_SUM, le_world.comm));
    *sig = le_interrupt_unfold(t->acc + P + 2);
    for (int64_t i = 0; i < P; i++) t->grad[i] = (float)((double)t->acc[i] / FIX_SCALE);
    le_adam_step(&t->adam, t->params, t->grad);
    *loss = (double)t->acc[P] / FIX_SCALE;
    *acc = (double)t->acc[P + 1] / (double)o->batch;
    return 0;
}

static void trainer_init(trainer *t, const train_opts *o)
{
    const int64_t P = t->enc.n_params;
    const size_t p = (size_t)le_world.size;
    t->params = le_malloc(sizeof(float) * (size_t)P);
    t->grad = le_malloc(sizeof(float) * (size_t)P);
    t->acc = le_malloc(sizeof(int64_t) * (size_t)(P + ACC_EXTRA));
    t->dO = le_malloc(sizeof(float) * (size_t)(3 * o->micro * t->enc.cfg.out_dim));
    t->trip = le_malloc(sizeof(int32_t) * (size_t)(3 * o->micro));
    t->scount = le_malloc(sizeof(int) * p), t->sdispl = le_malloc(sizeof(int) * p);
    t->rcount = le_malloc(sizeof(int) * p), t->rdispl = le_malloc(sizeof(int) * p);
    le_enc_init_params(&t->enc, t->params, (uint64_t)o->seed);
    le_adam_init(&t->adam, P, (float)o->lr);
    le_gb_init(&t->gb);
    le_enc_ws_init(&t->ws);
}

static void trainer_free(trainer *t)
{
    free(t->params), free(t->grad), free(t->acc), free(t->dO), free(t->trip), free(t->send), free(t->recv);
    free(t->scount), free(t->sdispl), free(t->rcount), free(t->rdispl);
    le_adam_free(&t->adam);
    le_gb_free(&t->gb);
    le_enc_ws_free(&t->ws);
}

typedef struct progress {
    double t_start, loss_sum, acc_sum;
    int64_t n, start; /* start: the step this process began at (> 0 when resumed) */
    double last_loss, last_acc; /* means over the last logging interval */
} progress;

static void log_progress(progress *p, const train_opts *o, int64_t step, int64_t steps)
{
    p->last_loss = p->loss_sum / (double)p->n, p->last_acc = p->acc_sum / (double)p->n;
    double el = le_now() - p->t_start, rate = 3.0 * (double)o->batch * (double)(step + 1 - p->start) / el;
    double eta = el / (double)(step + 1 - p->start) * (double)(steps - step - 1);
    le_info("train: step %lld/%lld loss %.4f triplet_acc %.3f traces/s %.0f eta %.0fs", (long long)(step + 1),
            (long long)steps, p->last_loss, p->last_acc, rate, eta);
    p->loss_sum = p->acc_sum = 0, p->n = 0;
}

static int write_model(const train_opts *o, const le_corpus_meta *meta, const train_data *d, const trainer *t,
                       const progress *p)
{
    if (le_world.rank != 0) return 0;
    le_model m = {.enc = t->enc, .params = t->params, .mean = d->mean, .std = d->std, .seed = o->seed,
                  .steps = o->steps, .batch = o->batch, .lr = o->lr, .margin = o->margin,
                  .final_loss = p->last_loss, .final_accuracy = p->last_acc};
    snprintf(m.corpus, sizeof m.corpus, "%s", o->corpus);
    m.vocab_services = le_malloc(sizeof(char *) * (size_t)(d->n_vocab + 1));
    m.vocab_operations = le_malloc(sizeof(char *) * (size_t)(d->n_vocab + 1));
    for (int32_t i = 0; i < meta->n_operations; i++)
        if (d->vocab_of[i] < d->n_vocab) {
            m.vocab_services[d->vocab_of[i]] = meta->services[meta->operation_service[i]];
            m.vocab_operations[d->vocab_of[i]] = meta->operations[i];
        }
    int rc = le_model_write(o->out, &m);
    free(m.vocab_services), free(m.vocab_operations);
    return rc;
}

/* ---- checkpoints (io/checkpoint.h) ---- */

static uint64_t mix_str(uint64_t h, const char *s) { return le_mix64(h ^ le_hash64(s, strlen(s))); }

/* Everything that fixes the trajectory from a given state: the options as
 * resolved for this corpus, and a fingerprint of the corpus — its sizes, a
 * hash of its name tables, and a hash of the time statistics (exact integer
 * sums, so the same at any rank count). Not --chunk or --log-every, which
 * change nothing. A checkpoint is resumed only when all of them are equal. */
static void ckpt_keys(le_ckpt *k, const train_opts *o, const le_corpus_meta *m, const train_data *d, const trainer *t)
{
    const le_enc_cfg *e = &t->enc.cfg;
    le_ckpt_key_int(k, "corpus_traces", m->n_traces);
    le_ckpt_key_int(k, "corpus_spans", m->n_spans);
    le_ckpt_key_int(k, "corpus_services", m->n_services);
    le_ckpt_key_int(k, "corpus_operations", m->n_operations);
    le_ckpt_key_int(k, "corpus_vocabulary", d->n_vocab);
    uint64_t h = 0x6e616d6573ULL; /* "names" */
    for (int32_t i = 0; i < m->n_services; i++) h = mix_str(h, m->services[i]);
    for (int32_t i = 0; i < m->n_operations; i++) h = le_mix64(mix_str(h, m->operations[i]) ^ (uint64_t)m->operation_service[i]);
    le_ckpt_key_int(k, "corpus_names_hash", (int64_t)h);
    const size_t rows = LE_NTIME * (size_t)(d->n_vocab + 1) * sizeof(float);
    le_ckpt_key_int(k, "corpus_time_stats_hash", (int64_t)le_mix64(le_hash64(d->mean, rows) ^ le_mix64(le_hash64(d->std, rows))));
    le_ckpt_key_int(k, "seed", o->seed);
    le_ckpt_key_int(k, "steps", o->steps);
    le_ckpt_key_int(k, "batch", o->batch);
    le_ckpt_key_int(k, "micro", o->micro);
    le_ckpt_key_int(k, "window", o->window);
    le_ckpt_key_int(k, "pool", d->pool);
    le_ckpt_key_int(k, "pool_steps", d->pool_steps);
    le_ckpt_key_real(k, "lr", o->lr);
    le_ckpt_key_real(k, "margin", o->margin);
    le_ckpt_key_real(k, "far", o->far);
    le_ckpt_key_real(k, "hard", o->hard);
    le_ckpt_key_int(k, "layers", e->layers);
    le_ckpt_key_int(k, "heads", e->heads);
    le_ckpt_key_int(k, "hidden", e->hc);
    le_ckpt_key_int(k, "embed_dims", e->feat.d_op);
    le_ckpt_key_int(k, "buckets", e->feat.n_buckets);
    le_ckpt_key_int(k, "out_dim", e->out_dim);
    le_ckpt_key_int(k, "token_salt", (int64_t)e->feat.salt);
    k->n_params = t->enc.n_params;
}

/* Rank 0 writes the state after `next` steps; collective (the ranks agree on the outcome). */
static int save_checkpoint(const train_opts *o, const le_corpus_meta *m, const train_data *d, const trainer *t, const progress *p,
                           int64_t next)
{
    int rc = 0;
    if (le_world.rank == 0) {
        le_ckpt c = {0};
        ckpt_keys(&c, o, m, d, t);
        c.next_step = next, c.adam_t = t->adam.t;
        c.params = t->params, c.adam_m = t->adam.m, c.adam_v = t->adam.v;
        c.log_loss_sum = p->loss_sum, c.log_acc_sum = p->acc_sum, c.log_n = p->n;
        c.last_loss = p->last_loss, c.last_acc = p->last_acc;
        snprintf(c.corpus, sizeof c.corpus, "%s", o->corpus);
        double t0 = le_now();
        rc = le_ckpt_write(o->ckpt, &c);
        if (!rc) le_debug("train: checkpoint %s at step %lld (%.3f s)", o->ckpt, (long long)next, le_now() - t0);
    }
    return le_agree(rc);
}

/* When --checkpoint names an existing file, rank 0 reads and checks it and
 * every rank takes its state; *start = the step to go on from (0 without
 * one). Collective. */
static int resume(const train_opts *o, const le_corpus_meta *m, const train_data *d, trainer *t, progress *p, int64_t *start)
{
    *start = 0;
    if (!o->ckpt) return 0;
    int exists = 0, rc = 0;
    le_ckpt got = {0};
    if (le_world.rank == 0 && access(o->ckpt, F_OK) == 0) {
        le_ckpt want = {0};
        ckpt_keys(&want, o, m, d, t);
        exists = 1;
        rc = le_ckpt_read(o->ckpt, &want, &got);
    } else if (le_world.rank == 0) { /* fail now, not at the first checkpoint */
        char dir[4096];
        snprintf(dir, sizeof dir, "%s", o->ckpt);
        if (access(dirname(dir), W_OK | X_OK))
            rc = le_fail(LE_ERR_IO, "--checkpoint %s: cannot write in %s: %s", o->ckpt, dir, strerror(errno));
    }
    LE_CHECK(le_agree(rc));
    if ((rc = LE_MPI_RC(MPI_Bcast(&exists, 1, MPI_INT, 0, le_world.comm)))) {
        if (le_world.rank == 0 && exists) le_ckpt_free(&got);
        return rc;
    }
    if (!exists) {
        le_info("train: no checkpoint at %s yet: starting at step 0", o->ckpt);
        return 0;
    }
    int64_t head[3] = {got.next_step, got.adam_t, got.log_n};
    double prog[4] = {got.log_loss_sum, got.log_acc_sum, got.last_loss, got.last_acc};
    const int P = (int)t->enc.n_params;
    if (le_world.rank == 0) {
        memcpy(t->params, got.params, sizeof(float) * (size_t)P);
        memcpy(t->adam.m, got.adam_m, sizeof(float) * (size_t)P);
        memcpy(t->adam.v, got.adam_v, sizeof(float) * (size_t)P);
        le_ckpt_free(&got);
    }
    LE_MPI(MPI_Bcast(head, 3, MPI_INT64_T, 0, le_world.comm));
    LE_MPI(MPI_Bcast(prog, 4, MPI_DOUBLE, 0, le_world.comm));
    LE_MPI(MPI_Bcast(t->params, P, MPI_FLOAT, 0, le_world.comm));
    LE_MPI(MPI_Bcast(t->adam.m, P, MPI_FLOAT, 0, le_world.comm));
    LE_MPI(MPI_Bcast(t->adam.v, P, MPI_FLOAT, 0, le_world.comm));
    *start = head[0], t->adam.t = head[1], p->n = head[2];
    p->loss_sum = prog[0], p->acc_sum = prog[1], p->last_loss = prog[2], p->last_acc = prog[3];
    le_info("train: resuming from %s at step %lld/%lld (%lld done)", o->ckpt, (long long)*start + 1, (long long)o->steps, (long long)*start);
    return 0;
}

/* Stopped by a signal after `done` steps. Only rank 0 records the message
 * and returns LE_EXIT_INTERRUPTED; the others return 0 and get the status
 * from the caller's le_agree, so the message is printed once. */
static int interrupted(const train_opts *o, int sig, int64_t done)
{
    if (le_world.rank != 0) return 0;
    if (o->ckpt)
        return le_fail(LE_EXIT_INTERRUPTED, "train: interrupted by %s after step %lld/%lld; checkpoint %s written; "
                       "re-run the same command to resume", le_interrupt_name(sig), (long long)done, (long long)o->steps, o->ckpt);
    return le_fail(LE_EXIT_INTERRUPTED, "train: interrupted by %s after step %lld/%lld; nothing was saved (no --checkpoint FILE) "
                   "and %s was not written", le_interrupt_name(sig), (long long)done, (long long)o->steps, o->out);
}

/* Steps start..steps-1. A signal seen by any rank (it rides in the step's
 * allreduce) ends the loop at that step's end: checkpoint, then
 * LE_EXIT_INTERRUPTED; on the last step it changes nothing. */
static int run_training(le_corpus *c, const train_opts *o, train_data *d, trainer *t, progress *p, int64_t start)
{
    int64_t steps = o->steps;
    p->t_start = le_now(), p->start = start;
    for (int64_t s = start; s < steps; s++) {
        double loss = 0, acc = 0;
        int sig = 0;
        if (s + 1 == o->interrupt_at && le_world.rank == le_world.size - 1) raise(SIGUSR1);
        LE_CHECK(pool_enter(c, o, d, s));
        LE_CHECK(train_step(t, d, o, s, &loss, &acc, &sig));
        p->loss_sum += loss, p->acc_sum += acc, p->n++;
        if ((s + 1) % o->log_every == 0 || s + 1 == steps) log_progress(p, o, s, steps);
        const int stop = sig && s + 1 < steps;
        if (sig && !stop) le_info("train: %s during the last step: finishing", le_interrupt_name(sig));
        if (o->ckpt && (stop || s + 1 == steps || (o->ckpt_every && (s + 1) % o->ckpt_every == 0)))
            LE_CHECK(save_checkpoint(o, &c->meta, d, t, p, s + 1));
        if (stop) return interrupted(o, sig, s + 1);
    }
    return 0;
}

static int report(const train_opts *o, const train_data *d, const trainer *t, const progress *p, double secs)
{
    le_report_begin();
    le_report_str("model", o->out);
    le_report_int("steps", o->steps);
    if (o->ckpt) le_report_str("checkpoint", o->ckpt), le_report_int("resumed_at_step", p->start);
    le_report_int("batch", o->batch);
    le_report_int("ranks", le_world.size);
    le_report_int("windows", d->n_windows);
    le_report_int("pool", d->pool);
    le_report_int("pool_steps", d->pool_steps);
    le_report_int("vocabulary", d->n_vocab);
    le_report_int("parameters", t->enc.n_params);
    le_report_dbl("final_loss", p->last_loss);
    le_report_dbl("triplet_accuracy", p->last_acc);
    le_report_dbl("seconds", secs);
    int rc = le_report_rank_seconds("seconds", secs);
    le_report_dbl("traces_per_s", secs > 0 ? 3.0 * (double)o->batch * (double)(o->steps - p->start) / secs : 0);
    le_report_end();
    return rc;
}

static int train_corpus(le_corpus *c, train_opts *o)
{
    train_data d = {0};
    trainer t = {0};
    progress p = {0};
    int rc = le_agree(prepare(c, o, &d));
    if (!rc && o->epochs > 0) o->steps = (int64_t)ceil(o->epochs * (double)c->meta.n_traces / (double)o->batch);
    le_enc_cfg cfg = encoder_cfg(o, d.n_vocab);
    if (!rc) rc = le_agree(le_enc_layout(&t.enc, &cfg));
    if (!rc && c->meta.n_traces == 0) rc = le_agree(le_fail(LE_ERR_USAGE, "%s has no traces to train on", o->corpus));
    if (!rc) {
        trainer_init(&t, o);
        le_info("train: %lld traces, %lld windows (pool %lld, %lld steps each), vocabulary %d, %lld parameters, %lld steps of %lld triplets on %d ranks",
                (long long)c->meta.n_traces, (long long)d.n_windows, (long long)d.pool, (long long)d.pool_steps, d.n_vocab, (long long)t.enc.n_params,
                (long long)o->steps, (long long)o->batch, le_world.size);
        int64_t start = 0;
        rc = le_agree(resume(o, &c->meta, &d, &t, &p, &start));
        double t0 = le_now();
        if (!rc) rc = le_agree(run_training(c, o, &d, &t, &p, start));
        double secs = le_now() - t0;
        if (!rc) rc = le_agree(write_model(o, &c->meta, &d, &t, &p));
        if (!rc) rc = report(o, &d, &t, &p, secs);
        trainer_free(&t);
    }
    free_data(&d);
    return rc;
}

int le_cmd_train(int argc, char **argv)
{
    train_opts o;
    int help = 0;
    LE_CHECK(parse_opts(argc, argv, &o, &help));
    if (help) return le_usage(usage, 0);
    if (o.dump) return le_agree(le_world.rank ? 0 : le_gat_dump_reference(o.dump, (uint64_t)o.seed));
    le_interrupt_install(); /* from here on a signal stops training at the end of a step */
    le_corpus *corpus = NULL;
    int rc = le_agree(le_corpus_open(le_world.comm, o.corpus, &corpus));
    if (!rc) rc = train_corpus(corpus, &o);
    le_corpus_close(corpus); /* also when opened here but not elsewhere */
    le_interrupt_restore();
    return rc;
}
