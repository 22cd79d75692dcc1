#include "tailvec_dist.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomicfile.h"
#include "burst.h"
#include "h5util.h"
#include "hash.h"
#include "callpath.h"
#include "comm.h"
#include "exchange.h"
#include "kmeans.h"
#include "norms_dist.h"
#include "quantile.h"
#include "stv.h"
#include "tail.h"
#include "tail_dist.h"
#include "truth.h"

/* The sample's draw, keyed by global trace index (not select's seed: select
 * and propagate must build the same rows). */
#define SAMPLE_SEED UINT64_C(0x7461696c76656331)
#define SAMPLE_DRAW 0x74760001u

/* Where a row's blocks start (the tail vector of algos/tail.h): the
 * operations' [tail | error | rare | their burst], then the call paths'
 * [dev | dev burst | count burst]; the failure block lives in the count
 * burst's columns until the dev burst has read it. */
typedef struct row_layout {
    int64_t dev, burst, count;
} row_layout;

static row_layout layout_of(const le_tailvec *m)
{
    int64_t at = LE_TAIL_COLS(m->O);
    return (row_layout){at, at + m->P, at + 2 * m->P};
}

/* ---- growing sorted sets of ids (with counts) over the chunks ---- */

typedef struct id_counts {
    int64_t n;
    int counted; /* with how often each id occurs (cnt) */
    uint64_t *id;
    int64_t *cnt;
} id_counts;

/* Sorts x [n] (scratch [n]) and merges its distinct values into s, with
 * how often each occurs when s counts (s->counted). */
static void id_counts_merge(id_counts *s, uint64_t *x, int64_t n, uint64_t *scratch)
{
    le_sort_u64(x, n, scratch);
    size_t cap = (size_t)(s->n + n > 0 ? s->n + n : 1);
    uint64_t *id = le_malloc(sizeof(uint64_t) * cap);
    int64_t *cnt = s->counted ? le_malloc(sizeof(int64_t) * cap) : NULL;
    int64_t i = 0, j = 0, w = 0;
    while (i < s->n || j < n) {
        uint64_t v = j >= n || (i < s->n && s->id[i] <= x[j]) ? s->id[i] : x[j];
        int64_t c = 0;
        if (i < s->n && s->id[i] == v) c += s->cnt ? s->cnt[i] : 0, i++;
        while (j < n && x[j] == v) c++, j++;
        id[w] = v;
        if (cnt) cnt[w] = c;
        w++;
    }
    free(s->id), free(s->cnt);
    s->id = id, s->cnt = cnt, s->n = w;
}

static void id_counts_free(id_counts *s) { free(s->id), free(s->cnt), memset(s, 0, sizeof *s); }

/* ---- the sample: sampled traces appended to a shard ---- */

typedef struct sample_buf {
    le_shard s;
    int64_t cap_t, cap_s;
} sample_buf;

#define GROW(p, n) ((p) = le_realloc((p), sizeof(*(p)) * (size_t)(n)))

static void sample_reserve(sample_buf *sb, int64_t traces, int64_t spans)
{
    le_corpus_block *b = &sb->s.b;
    if (traces > sb->cap_t) {
        sb->cap_t = traces > sb->cap_t + sb->cap_t / 4 ? traces : sb->cap_t + sb->cap_t / 4;
        GROW(b->span_offset, sb->cap_t + 1), GROW(b->trace_start_us, sb->cap_t);
    }
    if (spans > sb->cap_s) {
        sb->cap_s = spans > sb->cap_s + sb->cap_s / 4 ? spans : sb->cap_s + sb->cap_s / 4;
        GROW(b->parent, sb->cap_s), GROW(b->operation, sb->cap_s), GROW(b->start_us, sb->cap_s);
        GROW(b->duration_us, sb->cap_s), GROW(b->status_code, sb->cap_s), GROW(b->error, sb->cap_s);
    }
}

/* Appends trace t of block x (the columns the norms and thresholds read). */
static void sample_add(sample_buf *sb, const le_corpus_block *x, int64_t t)
{
    le_corpus_block *b = &sb->s.b;
    int64_t lo = x->span_offset[t], m = x->span_offset[t + 1] - lo, n = sb->s.n, o = b->n_spans;
    sample_reserve(sb, n + 1, o + m);
    if (n == 0) b->span_offset[0] = 0;
    b->span_offset[n + 1] = o + m, b->trace_start_us[n] = x->trace_start_us[t];
#define COPY(f) memcpy(b->f + o, x->f + lo, sizeof(*b->f) * (size_t)m)
    COPY(parent), COPY(operation), COPY(start_us), COPY(duration_us), COPY(status_code), COPY(error);
#undef COPY
    sb->s.n = b->n_traces = n + 1, b->n_spans = o + m;
}

/* ---- pass 1: what every trace counts, and the sample ---- */

typedef struct census {
    id_counts paths, roots, structs;
    int64_t *op_cnt;
    int64_t lo, hi; /* first and last trace start */
    sample_buf sample;
} census;

/* The chunk's spans' path ids (ids) and structures (h), each trace's root
 * path id into roots [n_traces]. */
static void chunk_ids(const le_corpus_block *b, uint64_t *ids, uint64_t *h, uint64_t *roots)
{
    for (int64_t t = 0; t < b->n_traces; t++) {
        int64_t lo = b->span_offset[t], m = b->span_offset[t + 1] - lo;
        le_callpath_ids(b->parent + lo, b->operation + lo, m, ids + lo);
        le_vis_structure(b->parent + lo, b->operation + lo, m, h + lo);
        roots[t] = m > 0 ? ids[lo] : 0; /* not counted: census_chunk skips traces without spans */
    }
}

static void census_chunk(census *cs, const le_corpus_block *b, int32_t O, double share)
{
    size_t ns = (size_t)(b->n_spans ? b->n_spans : 1), nt = (size_t)(b->n_traces ? b->n_traces : 1);
    uint64_t *ids = le_malloc(sizeof(uint64_t) * ns), *h = le_malloc(sizeof(uint64_t) * ns);
    uint64_t *roots = le_malloc(sizeof(uint64_t) * nt), *scratch = le_malloc(sizeof(uint64_t) * ns);
    chunk_ids(b, ids, h, roots);
    int64_t n_roots = 0;
    for (int64_t t = 0; t < b->n_traces; t++)
        if (b->span_offset[t + 1] > b->span_offset[t]) roots[n_roots++] = roots[t];
    id_counts_merge(&cs->paths, ids, b->n_spans, scratch);
    id_counts_merge(&cs->roots, roots, n_roots, scratch);
    id_counts_merge(&cs->structs, h, b->n_spans, scratch);
    for (int64_t i = 0; i < b->n_spans; i++)
        if (b->operation[i] >= 0 && b->operation[i] < O) cs->op_cnt[b->operation[i]]++;
    for (int64_t t = 0; t < b->n_traces; t++) {
        int64_t st = b->trace_start_us[t];
        cs->lo = st < cs->lo ? st : cs->lo, cs->hi = st > cs->hi ? st : cs->hi;
        uint64_t g = (uint64_t)(b->trace_begin + t);
        if (share >= 1 || le_km_uniform(SAMPLE_SEED, g, SAMPLE_DRAW, 0) < share) sample_add(&cs->sample, b, t);
    }
    free(ids), free(h), free(roots), free(scratch);
}

/* Collective: pass 1 over this rank's traces [t0, t1). */
static int census_pass(MPI_Comm comm, le_corpus *c, int64_t t0, int64_t t1, int64_t chunk, double share, census *cs,
                       double *seconds_read)
{
    int32_t O = c->meta.n_operations;
    cs->op_cnt = le_calloc((size_t)(O ? O : 1), sizeof(int64_t));
    cs->structs.counted = 1;
    cs->lo = INT64_MAX, cs->hi = INT64_MIN;
    /* room for the expected sample and a little more, so it seldom grows: a
     * grown copy is held twice for a moment (the peak a doubling gave was
     * 1.6 times the sample's spans) */
    int64_t n = t1 - t0, N = c->meta.n_traces > 0 ? c->meta.n_traces : 1;
    double spans = (double)c->meta.n_spans / (double)N;
    int64_t want = (int64_t)(share * (double)n * 1.02) + 64;
    sample_reserve(&cs->sample, want < n ? want : n, (int64_t)((double)want * spans * 1.05) + 1024);
    int rc = 0;
    for (int64_t a = t0; !rc && a < t1; a += chunk) {
        le_corpus_block b;
        double w = MPI_Wtime();
        rc = le_corpus_read_block(c, a, a + chunk < t1 ? a + chunk : t1, &b);
        *seconds_read += MPI_Wtime() - w;
        if (!rc) census_chunk(cs, &b, O, share), le_block_free(&b);
        le_heap_trim(); /* the chunk's arrays, before the next one's (le_base.h) */
    }
    rc = le_agree_on(comm, rc);
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &cs->lo, 1, MPI_INT64_T, MPI_MIN, comm));
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &cs->hi, 1, MPI_INT64_T, MPI_MAX, comm));
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, cs->op_cnt, O, MPI_INT64_T, MPI_SUM, comm));
    return rc;
}

static void census_free(census *cs)
{
    id_counts_free(&cs->paths), id_counts_free(&cs->roots), id_counts_free(&cs->structs);
    free(cs->op_cnt);
    le_block_free(&cs->sample.s.b), free(cs->sample.s.pidx); /* the sample shard's own columns */
}

/* Collective: the vocabularies over every rank: call paths, root slots,
 * structures with their counts. */
static int vocabularies(MPI_Comm comm, const census *cs, le_tailvec *m)
{
    LE_CHECK(le_allgather_unique_u64(comm, cs->paths.id, cs->paths.n, &m->cp.id, &m->cp.n, "call paths"));
    m->P = m->cp.n;
    uint64_t *roots = NULL;
    int64_t nr = 0;
    int rc = le_allgather_unique_u64(comm, cs->roots.id, cs->roots.n, &roots, &nr, "root call paths");
    if (rc) return free(roots), rc;
    m->root_slot = le_malloc(sizeof(int32_t) * (size_t)(m->P ? m->P : 1));
    for (int64_t j = 0; j < m->P; j++)
        m->root_slot[j] = le_callpath_find(roots, nr, m->cp.id[j]) >= 0 ? (int32_t)m->n_roots++ : -1;
    free(roots);
    LE_CHECK(le_allgather_unique_u64(comm, cs->structs.id, cs->structs.n, &m->struct_id, &m->n_struct, "call structures"));
    m->struct_cnt = le_calloc((size_t)(m->n_struct ? m->n_struct : 1), sizeof(int64_t));
    for (int64_t i = 0; i < cs->structs.n; i++)
        m->struct_cnt[le_callpath_find(m->struct_id, m->n_struct, cs->structs.id[i])] = cs->structs.cnt[i];
    return le_allreduce_big(comm, m->struct_cnt, m->n_struct, MPI_INT64_T, MPI_SUM);
}

static void burst_alloc(le_tailvec_burst *bt, int64_t lo, int64_t hi, int64_t d)
{
    le_burst_bins_range(lo, hi, d, &bt->g);
    bt->d = d;
    bt->cnt = le_calloc((size_t)(bt->g.nb * d > 0 ? bt->g.nb * d : 1), sizeof(int64_t));
    bt->tot = le_calloc((size_t)bt->g.nb, sizeof(int64_t));
    bt->base = le_calloc((size_t)(d ? d : 1), sizeof(double));
}

static void burst_free(le_tailvec_burst *bt) { free(bt->cnt), free(bt->tot), free(bt->base); }

/* ---- the norms and thresholds, over the sample ---- */

/* Collective: call paths and root paths the sample missed (a corpus over
 * LE_TAILVEC_SAMPLE traces; a rare path is in a few dozen traces of 1e8)
 * have no norm: their self times are then never a deviation (std +inf)
 * and their traces have no call-count components (root slot -1), rather
 * than every span of them deviating from a norm of zeros. */
static int unsampled_paths(MPI_Comm comm, const le_shard *s, le_tailvec *m)
{
    int64_t P = m->P;
    int64_t *seen = le_calloc((size_t)(2 * P + 1), sizeof(int64_t)); /* [spans of j | traces starting with j] */
    for (int64_t t = 0; t < s->n; t++) {
        int64_t lo = s->b.span_offset[t], hi = s->b.span_offset[t + 1];
        for (int64_t i = lo; i < hi; i++) seen[s->pidx[i]]++;
        if (hi > lo) seen[P + s->pidx[lo]]++;
    }
    int rc = le_allreduce_big(comm, seen, 2 * P, MPI_INT64_T, MPI_SUM);
    for (int64_t j = 0; !rc && j < P; j++) {
        if (!seen[j]) m->dev_std[j] = INFINITY;
        if (!seen[P + j]) m->root_slot[j] = -1;
    }
    free(seen);
    return rc;
}

/* Collective: the sample's spans indexed, its traces' roots, then the
 * deviation norms, call-count norms and tail thresholds over every rank's
 * sample. */
static int fit_sample(MPI_Comm comm, le_shard *s, le_tailvec *m)
{
    int64_t P = m->P, ns = s->b.n_spans;
    uint64_t *ids = le_malloc(sizeof(uint64_t) * (size_t)(ns ? ns : 1));
    s->pidx = le_malloc(sizeof(int32_t) * (size_t)(ns ? ns : 1));
    for (int64_t t = 0; t < s->n; t++) {
        int64_t lo = s->b.span_offset[t];
        le_callpath_ids(s->b.parent + lo, s->b.operation + lo, s->b.span_offset[t + 1] - lo, ids + lo);
    }
    le_callpath_index(ids, ns, m->cp.id, P, s->pidx);
    free(ids);
    int64_t *root = le_malloc(sizeof(int64_t) * (size_t)(s->n ? s->n : 1));
    for (int64_t t = 0; t < s->n; t++)
        root[t] = s->b.span_offset[t + 1] > s->b.span_offset[t] ? m->root_slot[s->pidx[s->b.span_offset[t]]] : -1;
    size_t cells = (size_t)(m->n_roots * P > 0 ? m->n_roots * P : 1);
    m->dev_mean = le_malloc(sizeof(float) * (size_t)(P ? P : 1)),
    m->dev_std = le_malloc(sizeof(float) * (size_t)(P ? P : 1));
    m->cnt_mean = le_malloc(sizeof(double) * cells), m->cnt_std = le_malloc(sizeof(double) * cells);
    m->thr = le_malloc(sizeof(double) * (size_t)(m->O ? m->O : 1));
    int rc = le_dev_norms(comm, P, s, 1, m->dev_mean, m->dev_std);
    if (!rc) rc = le_count_norms(comm, P, s, root, m->n_roots, m->cnt_mean, m->cnt_std);
    if (!rc) rc = le_tail_thresholds(comm, s, (int32_t)m->O, &m->tail.g, m->thr);
    if (!rc) rc = unsampled_paths(comm, s, m);
    free(root);
    return rc;
}

/* ---- rows ---- */

/* Per-chunk scratch of the row builder. */
typedef struct row_work {
    uint64_t *ids;
    int32_t *pidx, *cnt, *sat; /* sat: each span's structure index */
    int64_t *self, *wait;
    float *x, *comp;
    int8_t *failed;
    uint8_t *rare;
} row_work;

static void work_alloc(row_work *w, const le_tailvec *m, const le_corpus_block *b)
{
    size_t ns = (size_t)(b->n_spans ? b->n_spans : 1), P = (size_t)(m->P ? m->P : 1);
    int64_t longest = 0;
    for (int64_t t = 0; t < b->n_traces; t++)
        if (b->span_offset[t + 1] - b->span_offset[t] > longest) longest = b->span_offset[t + 1] - b->span_offset[t];
    w->ids = le_malloc(sizeof(uint64_t) * ns);
    w->pidx = le_malloc(sizeof(int32_t) * ns), w->sat = le_malloc(sizeof(int32_t) * ns);
    w->cnt = le_malloc(sizeof(int32_t) * P), w->comp = le_malloc(sizeof(float) * (2 * P + 1));
    w->self = le_malloc(sizeof(int64_t) * ns), w->wait = le_malloc(sizeof(int64_t) * (size_t)(2 * longest + 1));
    w->x = le_malloc(sizeof(float) * ns), w->failed = le_malloc(ns), w->rare = le_malloc(ns);
}

static void work_free(row_work *w)
{
    free(w->ids), free(w->pidx), free(w->sat), free(w->cnt), free(w->comp), free(w->self), free(w->wait), free(w->x);
    free(w->failed), free(w->rare);
}

/* The chunk's spans: path and structure indices, self times, failures and
 * rare structures. */
static void chunk_spans(const le_tailvec *m, const le_corpus_block *b, row_work *w)
{
    uint64_t *h = le_malloc(sizeof(uint64_t) * (size_t)(b->n_spans ? b->n_spans : 1));
    for (int64_t t = 0; t < b->n_traces; t++) {
        int64_t lo = b->span_offset[t], n = b->span_offset[t + 1] - lo;
        le_callpath_ids(b->parent + lo, b->operation + lo, n, w->ids + lo);
        le_vis_structure(b->parent + lo, b->operation + lo, n, h + lo);
        le_vis_selftime(b->parent + lo, b->duration_us + lo, n, w->self + lo);
        le_dev_selftime(b->parent + lo, b->start_us + lo, b->duration_us + lo, n, w->wait, w->x + lo);
    }
    le_callpath_index(w->ids, b->n_spans, m->cp.id, m->P, w->pidx);
    le_callpath_index(h, b->n_spans, m->struct_id, m->n_struct, w->sat);
    for (int64_t i = 0; i < b->n_spans; i++) {
        int32_t o = b->operation[i];
        if (w->self[i] < 0) w->self[i] = 0;
        w->failed[i] = b->error[i] || b->status_code[i] >= 500;
        w->rare[i] =
            (uint8_t)le_tail_rare(w->sat[i] >= 0 ? m->struct_cnt[w->sat[i]] : 0, o >= 0 && o < m->O ? m->op_cnt[o] : 0);
    }
    free(h);
}

/* Trace t's row without its burst parts (the failure block where the count
 * burst goes), and its call-count components w->comp [2P]. */
static void row_base(const le_tailvec *m, const le_corpus_block *b, int64_t t, row_work *w, float *row)
{
    const row_layout L = layout_of(m);
    const le_dev_cfg cfg = {LE_DEV_THRESHOLD, LE_DEV_WEIGHT * LE_TAIL_DEV_WEIGHT, LE_ERR_WEIGHT};
    int64_t lo = b->span_offset[t], n = b->span_offset[t + 1] - lo, P = m->P;
    memset(row, 0, sizeof(float) * (size_t)m->dim);
    le_tail_row(b->operation + lo, w->self + lo, w->failed + lo, w->rare + lo, n, m->thr, (int32_t)m->O, row);
    le_dev_row(w->pidx + lo, w->x + lo, w->failed + lo, n, P, m->dev_mean, m->dev_std, &cfg, row + L.dev, row + L.count);
    int32_t r = n > 0 && w->pidx[lo] >= 0 ? m->root_slot[w->pidx[lo]] : -1;
    if (r < 0) {
        memset(w->comp, 0, sizeof(float) * (size_t)(2 * P));
        return;
    }
    le_count_paths(w->pidx + lo, n, P, w->cnt);
    le_count_sides(w->cnt, P, m->cnt_mean + r * P, m->cnt_std + r * P, w->comp);
}

/* Counts the row's three burst components into the tables. */
static void row_count(le_tailvec *m, int64_t start_us, const float *row, const float *comp)
{
    const row_layout L = layout_of(m);
    le_tailvec_burst *tb = &m->tail, *db = &m->dev, *cb = &m->count;
    le_burst_count(row, m->O, LE_TAIL_BLOCKS, m->O, le_burst_bin_of(&tb->g, start_us), tb->cnt, tb->tot);
    le_burst_count(row + L.dev, m->P, 2, L.count - L.dev, le_burst_bin_of(&db->g, start_us), db->cnt, db->tot);
    le_burst_count(comp, 2 * m->P, 1, 2 * m->P, le_burst_bin_of(&cb->g, start_us), cb->cnt, cb->tot);
}

/* The row's burst parts from the tables (the tail's, the deviation's, which
 * reads the failure block, then the call count's over it). */
static void row_bursts(const le_tailvec *m, int64_t start_us, const float *comp, float *row)
{
    const row_layout L = layout_of(m);
    const le_tailvec_burst *tb = &m->tail, *db = &m->dev, *cb = &m->count;
    int64_t P = m->P, O = m->O, bt = le_burst_bin_of(&tb->g, start_us), bd = le_burst_bin_of(&db->g, start_us);
    le_burst_row(row, O, LE_TAIL_BLOCKS, O, tb->cnt + bt * O, tb->tot[bt], tb->base, LE_BURST_WEIGHT,
                 row + LE_TAIL_BLOCKS * O);
    le_burst_row(row + L.dev, P, 2, L.count - L.dev, db->cnt + bd * P, db->tot[bd], db->base, LE_BURST_WEIGHT,
                 row + L.burst);
    int64_t bc = le_burst_bin_of(&cb->g, start_us), d2 = 2 * P;
    float *side = row + L.count;
    for (int64_t j = 0; j < P; j++) {
        int64_t k = comp[j] > 0 ? j : comp[P + j] > 0 ? P + j : -1;
        side[j] = k < 0 ? 0.0f : le_burst_value(cb->cnt[bc * d2 + k], cb->tot[bc], cb->base[k], LE_BURST_WEIGHT);
    }
}

void le_tailvec_rows_of(const le_tailvec *m, const le_corpus_block *b, const int64_t *which, int64_t n, float *x)
{
    row_work w;
    work_alloc(&w, m, b);
    chunk_spans(m, b, &w);
    for (int64_t i = 0; i < n; i++) {
        int64_t t = which ? which[i] : i;
        float *row = x + i * m->dim;
        row_base(m, b, t, &w, row);
        row_bursts(m, b->trace_start_us[t], w.comp, row);
    }
    work_free(&w);
}

void le_tailvec_rows(const le_tailvec *m, const le_corpus_block *b, float *x)
{
    le_tailvec_rows_of(m, b, NULL, b->n_traces, x);
}

/* ---- pass 2: the burst tables and the path statistics, over every trace ---- */

static void count_chunk(le_tailvec *m, const le_corpus_block *b, float *row)
{
    row_work w;
    work_alloc(&w, m, b);
    chunk_spans(m, b, &w);
    for (int64_t t = 0; t < b->n_traces; t++) {
        row_base(m, b, t, &w, row);
        row_count(m, b->trace_start_us[t], row, w.comp);
    }
    for (int64_t i = 0; i < b->n_spans; i++) le_welford_add(&m->cp.stat[w.pidx[i]], (double)b->duration_us[i]);
    work_free(&w);
}

static int burst_pass(MPI_Comm comm, le_corpus *c, int64_t t0, int64_t t1, int64_t chunk, le_tailvec *m)
{
    float *row = le_malloc(sizeof(float) * (size_t)m->dim);
    m->cp.stat = le_calloc((size_t)(m->P ? m->P : 1), sizeof(le_welford));
    int rc = 0;
    for (int64_t a = t0; !rc && a < t1; a += chunk) {
        le_corpus_block b;
        double w = MPI_Wtime();
        rc = le_corpus_read_block(c, a, a + chunk < t1 ? a + chunk : t1, &b);
        m->seconds_read += MPI_Wtime() - w;
        if (!rc) count_chunk(m, &b, row), le_block_free(&b);
        le_heap_trim(); /* the chunk's arrays, before the next one's (le_base.h) */
    }
    free(row);
    rc = le_agree_on(comm, rc);
    le_tailvec_burst *all[3] = {&m->tail, &m->dev, &m->count};
    for (int i = 0; i < 3 && !rc; i++)
        rc = le_burst_reduce(comm, all[i]->cnt, all[i]->tot, all[i]->g.nb, all[i]->d, all[i]->base);
    if (!rc) rc = le_allreduce_welford(comm, m->cp.stat, m->P);
    return rc;
}

static int64_t sample_max(void)
{
    const char *e = getenv("LE_TAILVEC_SAMPLE"); /* tests: the sampled fit on a small corpus */
    long long v = e ? atoll(e) : 0;
    return v > 0 ? (int64_t)v : LE_TAILVEC_SAMPLE;
}

int le_tailvec_fit(MPI_Comm comm, le_corpus *c, int64_t t0, int64_t t1, int64_t chunk, le_tailvec *m)
{
    memset(m, 0, sizeof *m);
    int64_t N = c->meta.n_traces, S = sample_max(), P = 0;
    m->O = c->meta.n_operations;
    double share = N <= S ? 1.0 : (double)S / (double)N;
    census cs = {0};
    int rc = census_pass(comm, c, t0, t1, chunk, share, &cs, &m->seconds_read);
    if (!rc) rc = vocabularies(comm, &cs, m);
    P = m->P;
    if (!rc && LE_TAIL_COLS(m->O) + 3 * P > (1 << 21))
        rc = le_fail(LE_ERR_USAGE, "tail vector: %lld operations and %lld call paths are too many", (long long)m->O,
                     (long long)P);
    if (!rc) {
        m->dim = (int)(LE_TAIL_COLS(m->O) + 3 * P);
        m->op_cnt = cs.op_cnt, cs.op_cnt = NULL;
        burst_alloc(&m->tail, cs.lo, cs.hi, m->O), burst_alloc(&m->dev, cs.lo, cs.hi, P);
        burst_alloc(&m->count, cs.lo, cs.hi, 2 * P);
        m->sample_traces = cs.sample.s.n;
        rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &m->sample_traces, 1, MPI_INT64_T, MPI_SUM, comm));
    }
    id_counts_free(&cs.paths), id_counts_free(&cs.roots), id_counts_free(&cs.structs);
    if (!rc) rc = fit_sample(comm, &cs.sample.s, m);
    census_free(&cs);
    if (!rc) rc = burst_pass(comm, c, t0, t1, chunk, m);
    if (rc) le_tailvec_free(m);
    return rc;
}

void le_tailvec_free(le_tailvec *m)
{
    free(m->cp.id), free(m->cp.stat);
    free(m->dev_mean), free(m->dev_std), free(m->root_slot), free(m->cnt_mean), free(m->cnt_std), free(m->thr);
    free(m->struct_id), free(m->struct_cnt), free(m->op_cnt);
    burst_free(&m->dev), burst_free(&m->count), burst_free(&m->tail);
    memset(m, 0, sizeof *m);
}

/* ---- the statistics file: what select's later rounds and propagate load
 * instead of fitting again (docs/labeling.md, "Memory") ---- */

#define FILE_MAGIC "labelease-tailvec-1\n" /* 20 bytes and its NUL */

/* One array after another: pack (out != NULL) or measure, then unpack. */
typedef struct packer {
    char *p;
    size_t len;
} packer;

static void put(packer *k, const void *x, size_t n)
{
    if (k->p) memcpy(k->p + k->len, x, n);
    k->len += n;
}

static void get(packer *k, void *x, size_t n, size_t cap, int *bad)
{
    if (*bad || k->len + n > cap) {
        *bad = 1;
        memset(x, 0, n);
        return;
    }
    memcpy(x, k->p + k->len, n);
    k->len += n;
}

/* The arrays of m in file order, with their element sizes and lengths
 * (the sizes in m: set before, as the file's head gives them). */
typedef struct field {
    void **p;
    size_t size;
    int64_t n;
} field;

static int fields_of(le_tailvec *m, field *f)
{
    int64_t P = m->P, O = m->O, cells = m->n_roots * m->P, V = m->n_struct;
    int k = 0;
    f[k++] = (field){(void **)&m->cp.id, sizeof *m->cp.id, P};
    f[k++] = (field){(void **)&m->cp.stat, sizeof *m->cp.stat, P};
    f[k++] = (field){(void **)&m->dev_mean, sizeof *m->dev_mean, P};
    f[k++] = (field){(void **)&m->dev_std, sizeof *m->dev_std, P};
    f[k++] = (field){(void **)&m->root_slot, sizeof *m->root_slot, P};
    f[k++] = (field){(void **)&m->cnt_mean, sizeof *m->cnt_mean, cells};
    f[k++] = (field){(void **)&m->cnt_std, sizeof *m->cnt_std, cells};
    f[k++] = (field){(void **)&m->thr, sizeof *m->thr, O};
    f[k++] = (field){(void **)&m->op_cnt, sizeof *m->op_cnt, O};
    f[k++] = (field){(void **)&m->struct_id, sizeof *m->struct_id, V};
    f[k++] = (field){(void **)&m->struct_cnt, sizeof *m->struct_cnt, V};
    le_tailvec_burst *all[3] = {&m->tail, &m->dev, &m->count};
    for (int i = 0; i < 3; i++) {
        f[k++] = (field){(void **)&all[i]->cnt, sizeof *all[i]->cnt, all[i]->g.nb * all[i]->d};
        f[k++] = (field){(void **)&all[i]->tot, sizeof *all[i]->tot, all[i]->g.nb};
        f[k++] = (field){(void **)&all[i]->base, sizeof *all[i]->base, all[i]->d};
    }
    return k;
}
#define MAX_FIELDS 20

/* The head: the corpus it was fitted on, the sizes, the burst grids. */
typedef struct file_head {
    char magic[sizeof FILE_MAGIC], fp[LE_FP_LEN];
    int64_t n_traces, P, O, dim, n_roots, n_struct, sample_traces;
    le_burst_grid g[3];
    int64_t d[3];
} file_head;

static void pack(const le_tailvec *m, const le_corpus *c, packer *k)
{
    file_head h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, FILE_MAGIC, sizeof FILE_MAGIC), memcpy(h.fp, c->meta.fingerprint, LE_FP_LEN);
    h.n_traces = c->meta.n_traces, h.P = m->P, h.O = m->O, h.dim = m->dim, h.n_roots = m->n_roots;
    h.n_struct = m->n_struct, h.sample_traces = m->sample_traces;
    const le_tailvec_burst *all[3] = {&m->tail, &m->dev, &m->count};
    for (int i = 0; i < 3; i++) h.g[i] = all[i]->g, h.d[i] = all[i]->d;
    put(k, &h, sizeof h);
    field f[MAX_FIELDS];
    int n = fields_of((le_tailvec *)m, f); /* read only */
    for (int i = 0; i < n; i++) put(k, *f[i].p, f[i].size * (size_t)f[i].n);
}

int le_tailvec_save(MPI_Comm comm, const le_tailvec *m, const le_corpus *c, const char *path)
{
    int rank, rc = 0;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    if (rank == 0) {
        packer k = {0};
        pack(m, c, &k);
        k.p = le_malloc(k.len), k.len = 0;
        pack(m, c, &k);
        le_atomic a;
        rc = le_atomic_open(&a, path, 0);
        if (!rc && fwrite(k.p, 1, k.len, a.f) != k.len) {
            rc = le_h5_write_error(path, "the vector statistics", errno);
            le_atomic_abort(&a);
        } else if (!rc)
            rc = le_atomic_commit(&a);
        free(k.p);
    }
    return le_agree_on(comm, rc);
}

/* The head of a statistics file checked against the corpus c and against
 * itself (every size the rows index by), so that a file of another corpus,
 * cut short or damaged is an error, never an access out of bounds; *len:
 * the file's whole length that the head gives. */
static int check_head(const file_head *h, const le_corpus *c, const char *path, size_t *len)
{
    if (memcmp(h->magic, FILE_MAGIC, sizeof FILE_MAGIC))
        return le_fail(LE_ERR_FORMAT, "%s is not a vector statistics file of select --save-vector-stats", path);
    char fp[LE_FP_LEN];
    memcpy(fp, h->fp, LE_FP_LEN), fp[LE_FP_LEN - 1] = 0;
    if (strcmp(fp, c->meta.fingerprint) || h->n_traces != c->meta.n_traces)
        return le_fail(LE_ERR_USAGE, "%s was made from another corpus than %s (fingerprint %s, not %s)", path, c->path, fp,
                       c->meta.fingerprint);
    int64_t P = h->P, O = h->O, want_d[3] = {O, P, 2 * P};
    int ok = O == c->meta.n_operations && P >= 0 && P <= (1 << 21) && h->dim == LE_TAIL_COLS(O) + 3 * P && h->n_roots >= 0 &&
             h->n_roots <= P && h->n_struct >= 0 && h->n_struct <= (INT64_C(1) << 40);
    for (int i = 0; ok && i < 3; i++)
        ok = h->d[i] == want_d[i] && h->g[i].width >= 1 && h->g[i].nb >= 1 &&
             h->g[i].nb <= LE_BURST_MAX_CELLS / (want_d[i] > 0 ? want_d[i] : 1);
    if (!ok) return le_fail(LE_ERR_FORMAT, "%s: the vector statistics are corrupt (sizes that do not fit together)", path);
    le_tailvec m = {.P = P, .O = O, .n_roots = h->n_roots, .n_struct = h->n_struct};
    le_tailvec_burst *all[3] = {&m.tail, &m.dev, &m.count};
    for (int i = 0; i < 3; i++) all[i]->g = h->g[i], all[i]->d = h->d[i];
    field f[MAX_FIELDS];
    int n = fields_of(&m, f);
    *len = sizeof *h;
    for (int i = 0; i < n; i++) *len += f[i].size * (size_t)f[i].n;
    return 0;
}

/* The arrays' own invariants: sorted vocabularies, root slots in range. */
static int check_arrays(const le_tailvec *m, const char *path)
{
    int ok = 1;
    for (int64_t j = 1; ok && j < m->P; j++) ok = m->cp.id[j - 1] < m->cp.id[j];
    for (int64_t j = 1; ok && j < m->n_struct; j++) ok = m->struct_id[j - 1] < m->struct_id[j];
    for (int64_t j = 0; ok && j < m->P; j++) ok = m->root_slot[j] >= -1 && m->root_slot[j] < m->n_roots;
    return ok ? 0 : le_fail(LE_ERR_FORMAT, "%s: the vector statistics are corrupt (vocabularies)", path);
}

static int unpack(le_tailvec *m, const le_corpus *c, const char *path, char *buf, size_t len)
{
    file_head h;
    size_t want = 0;
    if (len < sizeof h) return le_fail(LE_ERR_FORMAT, "%s: the vector statistics are truncated", path);
    memcpy(&h, buf, sizeof h);
    LE_CHECK(check_head(&h, c, path, &want));
    if (want != len) return le_fail(LE_ERR_FORMAT, "%s: the vector statistics are truncated or corrupt", path);
    m->P = h.P, m->O = h.O, m->dim = (int)h.dim, m->n_roots = h.n_roots, m->n_struct = h.n_struct;
    m->sample_traces = h.sample_traces, m->cp.n = m->P;
    le_tailvec_burst *all[3] = {&m->tail, &m->dev, &m->count};
    for (int i = 0; i < 3; i++) all[i]->g = h.g[i], all[i]->d = h.d[i];
    field f[MAX_FIELDS];
    int n = fields_of(m, f);
    packer k = {buf, sizeof h};
    int bad = 0;
    for (int i = 0; i < n; i++) {
        *f[i].p = le_malloc(f[i].size * (size_t)(f[i].n > 0 ? f[i].n : 1));
        get(&k, *f[i].p, f[i].size * (size_t)f[i].n, len, &bad);
    }
    return bad ? le_fail(LE_ERR_FORMAT, "%s: the vector statistics are truncated", path) : check_arrays(m, path);
}

/* Rank 0: the head read and checked first (a wrong file, say the corpus,
 * is refused before it is read whole), then exactly the length it gives. */
static int read_file(const char *path, const le_corpus *c, char **buf, uint64_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f) return le_fail(LE_ERR_IO, "%s: cannot open the vector statistics: %s", path, strerror(errno));
    file_head h;
    size_t want = 0;
    int rc = fread(&h, sizeof h, 1, f) == 1 ? check_head(&h, c, path, &want)
                                            : le_fail(LE_ERR_FORMAT, "%s: the vector statistics are truncated", path);
    if (!rc) {
        *buf = le_malloc(want), *len = want;
        memcpy(*buf, &h, sizeof h);
        if (fread(*buf + sizeof h, 1, want - sizeof h, f) != want - sizeof h || fgetc(f) != EOF)
            rc = le_fail(LE_ERR_FORMAT, "%s: the vector statistics are truncated or corrupt (not %zu bytes)", path, want);
    }
    fclose(f);
    return rc;
}

int le_tailvec_load(MPI_Comm comm, le_corpus *c, const char *path, le_tailvec *m)
{
    memset(m, 0, sizeof *m);
    int rank, rc = 0;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    char *buf = NULL;
    uint64_t len = 0;
    if (rank == 0) rc = read_file(path, c, &buf, &len);
    rc = le_agree_on(comm, rc);
    if (rc) return free(buf), rc;
    rc = le_bcast_bytes(comm, &buf, &len, 0);
    if (!rc) rc = unpack(m, c, path, buf, (size_t)len);
    if (!rc) m->file_hash = le_hash64(buf, (size_t)len);
    free(buf);
    rc = le_agree_on(comm, rc);
    if (rc) le_tailvec_free(m);
    return rc;
}
