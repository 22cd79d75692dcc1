/* labelease train CORPUS -o MODEL: the GAT trace encoder, triplet loss, Adam,
 * data-parallel over ranks.
 *
 * Rank-count independence. The corpus is cut into fixed windows of W traces
 * (not into rank shards): triplets are drawn inside one window, and rank r
 * holds a contiguous run of windows. Step s of the global batch B is M = B/K
 * micro-batches of K triplets; micro-batch m draws its window and its
 * triplets from a counter-based stream keyed by (seed, s·M + m), so the
 * global batch is the same at any rank count, and the owner of the window
 * computes it. Each micro-batch's gradient goes into an int64 fixed-point
 * accumulator (scale 2^32) and one MPI_Allreduce of that flat buffer sums
 * them exactly — integer sums do not depend on order — so every rank applies
 * the identical Adam update, and 1, 2 or 64 ranks give bit-identical weights. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "corpus.h"
#include "driver.h"
#include "encoder.h"
#include "gat_data.h"
#include "gat_debug.h"
#include "model.h"
#include "rng.h"
#include "triplet.h"

static const char usage[] =
    "usage: labelease train CORPUS.h5 -o MODEL.h5 [options]\n"
    "\n"
    "Train the GAT trace encoder (3 GAT layers x 3 heads, tanh + LayerNorm, mean pool,\n"
    "MLP to 64) with the cosine triplet loss. Data-parallel: each rank holds a run of\n"
    "fixed windows of traces, computes the gradient of its part of every global batch,\n"
    "and one allreduce per step gives every rank the same Adam update. The result does\n"
    "not depend on the number of ranks.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE  model file to write (required)\n"
    "  --seed N           weights, triplets (default 1)\n"
    "  --steps N          optimiser steps (default 400)\n"
    "  --epochs X         instead of --steps: X passes of anchors over the corpus\n"
    "  --batch N          global batch in triplets (default 64)\n"
    "  --micro N          triplets per micro-batch, the unit of work (default 16; divides --batch)\n"
    "  --window N         traces per triplet window (default 4096)\n"
    "  --lr X             Adam learning rate (default 1e-3)\n"
    "  --margin X         triplet margin on cosine distance (default 1.0)\n"
    "  --far X            hard negative: same structure, |log1p root latency gap| >= X (default 0.7)\n"
    "  --hard X           share of negatives drawn hard when one exists (default 0.5)\n"
    "  --hidden N         channels per head (default 32)\n"
    "  --heads N          attention heads (default 3)\n"
    "  --layers N         GAT layers (default 3)\n"
    "  --embed-dims N     width of the operation and token embeddings (default 16)\n"
    "  --buckets N        token hash buckets (default 1024)\n"
    "  --log-every N      progress line every N steps (default 50)\n" LE_COMMON_HELP
    "\n"
    "example:\n"
    "  mpirun -np 4 labelease train corpus.h5 -o model.h5 --steps 1000 --seed 7\n";

typedef struct train_opts {
    int64_t seed, steps, batch, micro, window, log_every, hidden, heads, layers, dims, buckets;
    double epochs, lr, margin, far, hard;
    const char *corpus, *out, *dump;
} train_opts;

/* This rank's windows [w0, w1) and what was computed from them. */
typedef struct train_data {
    int64_t n_windows, w0, w1, window, t0;
    le_corpus_block blk;
    le_blockfeat feat;
    le_tripwin *wins;
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
        {"window", required_argument, 0, 'w'}, {"lr", required_argument, 0, 'l'}, {"margin", required_argument, 0, 'g'},
        {"far", required_argument, 0, 'f'}, {"hard", required_argument, 0, 'H'}, {"hidden", required_argument, 0, 'c'},
        {"heads", required_argument, 0, 'a'}, {"layers", required_argument, 0, 'L'}, {"embed-dims", required_argument, 0, 'd'},
        {"buckets", required_argument, 0, 'k'}, {"log-every", required_argument, 0, 'p'},
        {"dump-reference", required_argument, 0, 'D'}, /* hidden: fixed batch + gradients for tests/torch */
        LE_COMMON_LONGOPTS, {0}};
    *o = (train_opts){.seed = 1, .steps = 400, .batch = 64, .micro = 16, .window = 4096, .log_every = 50, .hidden = 32,
                      .heads = 3, .layers = 3, .dims = 16, .buckets = 1024, .lr = 1e-3, .margin = 1.0, .far = 0.7, .hard = 0.5};
    int c;
    optind = 0; /* 0, not 1: glibc then resets all its state (tests call commands in-process) */
    while ((c = getopt_long(argc, argv, "o:vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        switch (c) {
        case 'h': *help = 1; return 0;
        case 'o': o->out = optarg; break;
        case 'D': o->dump = optarg; break;
        case 's': LE_CHECK(le_parse_count("--seed", optarg, &o->seed)); break;
        case 'n': LE_CHECK(le_parse_count("--steps", optarg, &o->steps)); break;
        case 'b': LE_CHECK(le_parse_count("--batch", optarg, &o->batch)); break;
        case 'm': LE_CHECK(le_parse_count("--micro", optarg, &o->micro)); break;
        case 'w': LE_CHECK(le_parse_count("--window", optarg, &o->window)); break;
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
    if (o->window < 2 || o->lr <= 0 || o->log_every < 1 || o->hard < 0 || o->hard > 1) return le_fail(LE_ERR_USAGE, "--window >= 2, --lr > 0, --log-every >= 1, 0 <= --hard <= 1");
    return 0;
}

static le_enc_cfg encoder_cfg(const train_opts *o, int32_t n_vocab)
{
    le_enc_cfg c = {.feat = {.n_vocab = n_vocab, .d_op = (int32_t)o->dims, .d_tok = (int32_t)o->dims,
                             .n_buckets = (int32_t)o->buckets, .salt = 0x6c6162656c656173ULL /* "labeleas" */},
                    .layers = (int32_t)o->layers, .heads = (int32_t)o->heads, .hc = (int32_t)o->hidden, .out_dim = 64};
    return c;
}

/* Windows [w0, w1) of this rank and their traces, read in one block. */
static int read_windows(le_corpus *c, train_data *d, int64_t window)
{
    const int64_t N = c->meta.n_traces, p = le_world.size, r = le_world.rank;
    d->window = window;
    d->n_windows = (N + window - 1) / window;
    d->w0 = d->n_windows * r / p, d->w1 = d->n_windows * (r + 1) / p;
    d->t0 = d->w0 * window;
    int64_t t1 = d->w1 * window < N ? d->w1 * window : N;
    LE_CHECK(le_corpus_read_block(c, d->t0 < t1 ? d->t0 : t1, t1, &d->blk));
    return 0;
}

/* Vocabulary = the corpus operations that occur in it, in the corpus table
 * order (sorted by service, operation name), so ids never depend on ranks. */
static int build_vocab(const le_corpus_meta *meta, train_data *d)
{
    int64_t *count = le_calloc((size_t)meta->n_operations + 1, sizeof(int64_t));
    for (int64_t i = 0; i < d->blk.n_spans; i++) count[d->blk.operation[i]]++;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, count, meta->n_operations, MPI_INT64_T, MPI_SUM, le_world.comm));
    d->vocab_of = le_malloc(sizeof(int32_t) * ((size_t)meta->n_operations + 1));
    d->n_vocab = 0;
    for (int32_t i = 0; i < meta->n_operations; i++) d->vocab_of[i] = count[i] ? d->n_vocab++ : -1;
    for (int32_t i = 0; i < meta->n_operations; i++)
        if (d->vocab_of[i] < 0) d->vocab_of[i] = d->n_vocab; /* unused ops → the unknown row */
    free(count);
    return 0;
}

/* Per-operation time statistics, summed exactly over ranks, then applied. */
static int normalise_times(train_data *d)
{
    const int32_t V = d->n_vocab;
    int64_t *sums = le_calloc((size_t)(V + 1) * LE_STAT_COLS, sizeof(int64_t));
    le_blockfeat_stats(&d->feat, &d->blk, &d->map, V, sums);
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, sums, (V + 1) * LE_STAT_COLS, MPI_INT64_T, MPI_SUM, le_world.comm));
    d->mean = le_malloc(sizeof(float) * LE_NTIME * (size_t)(V + 1));
    d->std = le_malloc(sizeof(float) * LE_NTIME * (size_t)(V + 1));
    le_timestats_finish(sums, V, d->mean, d->std);
    le_blockfeat_normalise(&d->feat, &d->blk, &d->map, d->mean, d->std);
    free(sums);
    return 0;
}

static void build_windows(train_data *d)
{
    int64_t nw = d->w1 - d->w0;
    d->wins = le_calloc((size_t)(nw ? nw : 1), sizeof(le_tripwin));
    for (int64_t w = 0; w < nw; w++) {
        int64_t lo = w * d->window, hi = lo + d->window < d->blk.n_traces ? lo + d->window : d->blk.n_traces;
        le_tripwin_build(&d->wins[w], (int32_t)(hi - lo), d->feat.shash + lo, d->feat.root_lat + lo);
    }
}

static int prepare(le_corpus *c, const train_opts *o, train_data *d)
{
    LE_CHECK(read_windows(c, d, o->window));
    LE_CHECK(build_vocab(&c->meta, d));
    le_feat_cfg fc = encoder_cfg(o, d->n_vocab).feat;
    le_opmap_build(&d->map, &fc, c->meta.n_operations, (const char *const *)c->meta.services,
                   (const char *const *)c->meta.operations, c->meta.operation_service, d->vocab_of);
    le_blockfeat_compute(&d->feat, &d->blk);
    LE_CHECK(normalise_times(d));
    build_windows(d);
    return 0;
}

static void free_data(train_data *d)
{
    for (int64_t w = 0; d->wins && w < d->w1 - d->w0; w++) le_tripwin_free(&d->wins[w]);
    free(d->wins), free(d->vocab_of), free(d->mean), free(d->std);
    le_opmap_free(&d->map);
    le_blockfeat_free(&d->feat);
    le_block_free(&d->blk);
}

#define FIX_SCALE 4294967296.0 /* 2^32: gradient fixed point */

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
    int64_t *acc; /* [P + 2]: gradient, loss, correct triplets */
    int32_t *trip;
    le_adam adam;
    le_graphbatch gb;
    le_enc_ws ws;
} trainer;

/* One micro-batch: K triplets from window w (global), gradient into t->acc. */
static void micro_batch(trainer *t, train_data *d, const train_opts *o, le_rng *r, int64_t w)
{
    const le_tripwin *win = &d->wins[w - d->w0];
    const int64_t base = (w - d->w0) * d->window, K = o->micro;
    const int out = t->enc.cfg.out_dim;
    le_gb_reset(&t->gb);
    for (int64_t k = 0; k < K; k++) {
        int32_t tr[3];
        le_triplet_sample(win, r, (float)o->far, (float)o->hard, tr);
        for (int q = 0; q < 3; q++) {
            le_gb_add_block_trace(&t->gb, &d->blk, &d->feat, base + tr[q]);
            t->trip[3 * k + q] = (int32_t)(3 * k + q);
        }
    }
    le_enc_forward(&t->enc, t->params, &d->map, &t->gb, &t->ws);
    memset(t->dO, 0, sizeof(float) * (size_t)(3 * K * out));
    int ok = 0;
    double loss = le_triplet_loss(out, t->ws.O, (int)K, t->trip, (float)o->margin, (float)(1.0 / (double)o->batch), t->dO, &ok);
    memset(t->grad, 0, sizeof(float) * (size_t)t->enc.n_params);
    le_enc_backward(&t->enc, t->params, &d->map, &t->gb, &t->ws, t->dO, t->grad);
    accumulate_fixed(t->acc, t->grad, t->enc.n_params);
    t->acc[t->enc.n_params] += llrint(loss * FIX_SCALE);
    t->acc[t->enc.n_params + 1] += ok;
}

/* One optimiser step; returns the global mean loss and accuracy. */
static int train_step(trainer *t, train_data *d, const train_opts *o, int64_t step, double *loss, double *acc)
{
    const int64_t P = t->enc.n_params, M = o->batch / o->micro;
    memset(t->acc, 0, sizeof(int64_t) * (size_t)(P + 2));
    for (int64_t m = 0; m < M; m++) {
        le_rng r;
        le_rng_init(&r, (uint64_t)o->seed, (uint64_t)(step * M + m), 0x54524950u /* "TRIP" */);
        int64_t w = (int64_t)le_rng_below(&r, (uint32_t)d->n_windows);
        if (w >= d->w0 && w < d->w1) micro_batch(t, d, o, &r, w);
    }
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, t->acc, (int)(P + 2), MPI_INT64_T, MPI_SUM, le_world.comm));
    for (int64_t i = 0; i < P; i++) t->grad[i] = (float)((double)t->acc[i] / FIX_SCALE);
    le_adam_step(&t->adam, t->params, t->grad);
    *loss = (double)t->acc[P] / FIX_SCALE;
    *acc = (double)t->acc[P + 1] / (double)o->batch;
    return 0;
}

static void trainer_init(trainer *t, const train_opts *o)
{
    const int64_t P = t->enc.n_params;
    t->params = le_malloc(sizeof(float) * (size_t)P);
    t->grad = le_malloc(sizeof(float) * (size_t)P);
    t->acc = le_malloc(sizeof(int64_t) * (size_t)(P + 2));
    t->dO = le_malloc(sizeof(float) * (size_t)(3 * o->micro * t->enc.cfg.out_dim));
    t->trip = le_malloc(sizeof(int32_t) * (size_t)(3 * o->micro));
    le_enc_init_params(&t->enc, t->params, (uint64_t)o->seed);
    le_adam_init(&t->adam, P, (float)o->lr);
    le_gb_init(&t->gb);
    le_enc_ws_init(&t->ws);
}

static void trainer_free(trainer *t)
{
    free(t->params), free(t->grad), free(t->acc), free(t->dO), free(t->trip);
    le_adam_free(&t->adam);
    le_gb_free(&t->gb);
    le_enc_ws_free(&t->ws);
}

typedef struct progress {
    double t_start, loss_sum, acc_sum;
    int64_t n;
    double last_loss, last_acc; /* means over the last logging interval */
} progress;

static void log_progress(progress *p, const train_opts *o, int64_t step, int64_t steps)
{
    p->last_loss = p->loss_sum / (double)p->n, p->last_acc = p->acc_sum / (double)p->n;
    double el = le_now() - p->t_start, rate = 3.0 * (double)o->batch * (double)(step + 1) / el;
    double eta = el / (double)(step + 1) * (double)(steps - step - 1);
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

static int run_training(const train_opts *o, train_data *d, trainer *t, progress *p)
{
    int64_t steps = o->steps;
    p->t_start = le_now();
    for (int64_t s = 0; s < steps; s++) {
        double loss = 0, acc = 0;
        LE_CHECK(train_step(t, d, o, s, &loss, &acc));
        p->loss_sum += loss, p->acc_sum += acc, p->n++;
        if ((s + 1) % o->log_every == 0 || s + 1 == steps) log_progress(p, o, s, steps);
    }
    return 0;
}

static void report(const train_opts *o, const train_data *d, const trainer *t, const progress *p, double secs)
{
    le_report_begin();
    le_report_str("model", o->out);
    le_report_int("steps", o->steps);
    le_report_int("batch", o->batch);
    le_report_int("ranks", le_world.size);
    le_report_int("windows", d->n_windows);
    le_report_int("vocabulary", d->n_vocab);
    le_report_int("parameters", t->enc.n_params);
    le_report_dbl("final_loss", p->last_loss);
    le_report_dbl("triplet_accuracy", p->last_acc);
    le_report_dbl("seconds", secs);
    le_report_dbl("traces_per_s", secs > 0 ? 3.0 * (double)o->batch * (double)o->steps / secs : 0);
    le_report_end();
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
        le_info("train: %lld traces, %lld windows, vocabulary %d, %lld parameters, %lld steps of %lld triplets on %d ranks",
                (long long)c->meta.n_traces, (long long)d.n_windows, d.n_vocab, (long long)t.enc.n_params,
                (long long)o->steps, (long long)o->batch, le_world.size);
        double t0 = le_now();
        rc = le_agree(run_training(o, &d, &t, &p));
        double secs = le_now() - t0;
        if (!rc) rc = le_agree(write_model(o, &c->meta, &d, &t, &p));
        if (!rc) report(o, &d, &t, &p, secs);
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
    le_corpus *corpus = NULL;
    int rc = le_agree(le_corpus_open(le_world.comm, o.corpus, &corpus));
    if (rc) return rc;
    rc = train_corpus(corpus, &o);
    le_corpus_close(corpus);
    return rc;
}
