/* The data distributed training draws from (mpi/train_pool.h). */
#include "train_pool.h"

#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "rng.h"

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
static int vocab_and_stats(le_corpus *c, const le_train_opts *o, le_train_data *d)
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
        if (d->vocab_of[i] < V)
            memcpy(sums + (size_t)d->vocab_of[i] * LE_STAT_COLS, op_sums + (size_t)i * LE_STAT_COLS,
                   sizeof(int64_t) * LE_STAT_COLS);
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
static int64_t pool_window(const le_train_opts *o, const le_train_data *d, int64_t q, int64_t j)
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

static void slot_clear(le_train_slot *sl)
{
    if (sl->w >= 0) le_block_free(&sl->blk), le_tripwin_free(&sl->win);
    sl->w = -1;
}

/* Read window w into the slot, featurise and normalise it, group its triplets. */
static int slot_load(le_corpus *c, const le_train_data *d, le_train_slot *sl, int64_t w)
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

int le_train_pool_enter(le_corpus *c, const le_train_opts *o, le_train_data *d, int64_t s)
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

int le_train_data_load(le_corpus *c, const le_train_opts *o, le_feat_cfg feat, le_train_data *d)
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
    d->slots = le_calloc((size_t)mine, sizeof(le_train_slot));
    for (int64_t k = 0; k < mine; k++) d->slots[k].w = -1;
    LE_CHECK(vocab_and_stats(c, o, d));
    feat.n_vocab = d->n_vocab;
    le_opmap_build(&d->map, &feat, c->meta.n_operations, (const char *const *)c->meta.services,
                   (const char *const *)c->meta.operations, c->meta.operation_service, d->vocab_of);
    return 0;
}

void le_train_data_free(le_train_data *d)
{
    const int64_t mine = (d->pool + le_world.size - 1) / le_world.size;
    for (int64_t k = 0; d->slots && k < mine; k++) slot_clear(&d->slots[k]), le_blockfeat_free(&d->slots[k].feat);
    free(d->slots), free(d->pool_win), free(d->vocab_of), free(d->mean), free(d->std);
    le_opmap_free(&d->map);
}
