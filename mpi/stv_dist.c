#include "stv_dist.h"

#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "burst_dist.h"
#include "exchange.h"
#include "embread.h"
#include "fingerprint.h"
#include "groundtruth.h"
#include "norms_dist.h"
#include "tail_dist.h"
#include "tailvec_dist.h"
#include "kmeans.h"

int le_shard_load(MPI_Comm comm, le_corpus *c, le_shard *s)
{
    memset(s, 0, sizeof *s);
    LE_CHECK(le_corpus_shard(c, comm, &s->t0, &s->t1));
    s->n = s->t1 - s->t0;
    LE_CHECK(le_agree_on(comm, le_corpus_read_block(c, s->t0, s->t1, &s->b))); /* a corrupt block stops every rank */
    s->path = le_malloc(sizeof(uint64_t) * (size_t)s->b.n_spans);
    for (int64_t t = 0; t < s->n; t++) {
        int64_t lo = s->b.span_offset[t], hi = s->b.span_offset[t + 1];
        le_callpath_ids(s->b.parent + lo, s->b.operation + lo, hi - lo, s->path + lo);
    }
    return 0;
}

void le_shard_free(le_shard *s)
{
    le_block_free(&s->b);
    free(s->path), free(s->pidx), free(s->x);
    memset(s, 0, sizeof *s);
}

/* Every rank's distinct path ids, merged and sorted: the same vocabulary
 * whatever the split. */
static int gather_vocabulary(MPI_Comm comm, const le_shard *s, le_callpaths *cp)
{
    return le_allgather_unique_u64(comm, s->path, s->b.n_spans, &cp->id, &cp->n, "call paths");
}

int le_callpaths_vocabulary(MPI_Comm comm, const le_shard *s, le_callpaths *cp)
{
    memset(cp, 0, sizeof *cp);
    return gather_vocabulary(comm, s, cp);
}

/* Every span's index in the vocabulary, once: the statistics and the
 * vector builders make several passes over the spans, each of which would
 * otherwise search. */
static void index_paths(const le_callpaths *cp, le_shard *s)
{
    free(s->pidx);
    s->pidx = le_malloc(sizeof(int32_t) * (size_t)s->b.n_spans);
    le_callpath_index(s->path, s->b.n_spans, cp->id, cp->n, s->pidx);
}

int le_callpaths_build(MPI_Comm comm, le_shard *s, le_callpaths *cp)
{
    LE_CHECK(le_callpaths_vocabulary(comm, s, cp));
    index_paths(cp, s);
    cp->stat = le_calloc((size_t)cp->n, sizeof(le_welford));
    for (int64_t i = 0; i < s->b.n_spans; i++) le_welford_add(&cp->stat[s->pidx[i]], (double)s->b.duration_us[i]);
    return le_allreduce_welford(comm, cp->stat, cp->n);
}

void le_callpaths_free(le_callpaths *cp)
{
    free(cp->id), free(cp->stat);
    memset(cp, 0, sizeof *cp);
}

int le_vectors_open(MPI_Comm comm, le_corpus *c, const char *path, const char *want_model, le_embreader *er)
{
    int rc = le_emb_open(comm, path, c->meta.n_traces, er);
    if (!rc) rc = le_fp_check(path, er->corpus_fp, er->corpus, c->path, c->meta.fingerprint);
    if (!rc && want_model && strcmp(er->model, want_model))
        rc =
            le_fail(LE_ERR_USAGE, "%s holds vectors of '%s', not of --representation %s (select --dump-vectors writes them)",
                    path, er->model, want_model);
    if (rc) le_emb_close_reader(er);
    return rc;
}

/* The shard's rows of an embeddings file into s->x as stored (want_model:
 * le_vectors_open). */
static int read_emb_rows(MPI_Comm comm, le_corpus *c, const char *path, const char *want_model, le_shard *s)
{
    le_embreader er;
    LE_CHECK(le_vectors_open(comm, c, path, want_model, &er));
    s->dim = er.dim;
    s->x = le_malloc_big(sizeof(float) * (size_t)s->n * (size_t)er.dim);
    int rc = le_emb_read_rows(&er, s->t0, s->n, s->x);
    le_emb_close_reader(&er);
    return rc;
}

static int read_gat(MPI_Comm comm, le_corpus *c, const char *emb_path, le_shard *s)
{
    double t0 = MPI_Wtime(), c0 = le_cpu_seconds();
    int rc = read_emb_rows(comm, c, emb_path, NULL, s);
    s->seconds_emb_read += MPI_Wtime() - t0, s->cpu_emb_read += le_cpu_seconds() - c0;
    if (!rc) le_km_normalize_rows(s->x, s->n, s->dim);
    return rc;
}

/* STV rows, then each dimension standardised by its mean and std over all
 * traces (with the -1 of absent paths counted, as the vector holds them). */
static int build_stv(MPI_Comm comm, const le_callpaths *cp, le_shard *s)
{
    int64_t d = cp->n;
    if (d > (1 << 20)) return le_fail(LE_ERR_USAGE, "STV: %lld call paths is too many dimensions", (long long)d);
    s->dim = (int)d;
    s->x = le_malloc_big(sizeof(float) * (size_t)s->n * (size_t)d);
    le_welford *w = le_calloc((size_t)d, sizeof *w);
    for (int64_t t = 0; t < s->n; t++) {
        int64_t lo = s->b.span_offset[t], hi = s->b.span_offset[t + 1];
        float *row = s->x + t * d;
        le_stv_raw(s->pidx + lo, s->b.duration_us + lo, hi - lo, d, row);
        for (int64_t j = 0; j < d; j++) le_welford_add(&w[j], row[j]);
    }
    int rc = le_allreduce_welford(comm, w, d);
    double *mean = le_malloc(sizeof(double) * (size_t)d), *inv = le_malloc(sizeof(double) * (size_t)d);
    for (int64_t j = 0; j < d; j++) {
        double sd = le_welford_std(&w[j]);
        mean[j] = w[j].mean, inv[j] = sd > 0 ? 1.0 / sd : 0;
    }
    if (!rc) le_stv_standardise(s->x, s->n, d, mean, inv);
    free(w), free(mean), free(inv);
    return rc;
}

/* "hybrid": [unit GAT embedding | deviation row]; "dev": the deviation row
 * alone (no model needed); "-burst": then the burst part. See algos/stv.h. */
/* Where a row's blocks of d columns start: the deviation and failure
 * blocks, the burst part and the call-count burst part. */
typedef struct dev_layout {
    int64_t dev, fail, burst, count;
} dev_layout;

/* The burst part of each row at column L->burst: its components are the
 * row's dev and fail blocks. */
static int add_burst(MPI_Comm comm, le_shard *s, const dev_layout *L, int64_t d)
{
    le_burst_grid grid;
    LE_CHECK(le_burst_bins(comm, s->n, s->b.trace_start_us, d, &grid));
    return le_burst_append(comm, &grid, s->n, s->b.trace_start_us, s->x + L->dev, s->dim, d, 2, L->fail - L->dev,
                           s->x + L->burst, s->dim);
}

/* Per trace, the index of its root call path among the corpus' root paths
 * (compacted over all ranks, so the tables stay small for many paths);
 * *n_roots is their number. */
static int root_index(MPI_Comm comm, const le_callpaths *cp, const le_shard *s, int64_t *root, int64_t *n_roots)
{
    int64_t d = cp->n;
    int *slot = le_calloc((size_t)d, sizeof(int));
    for (int64_t t = 0; t < s->n; t++) {
        int64_t lo = s->b.span_offset[t];
        root[t] = s->b.span_offset[t + 1] > lo ? s->pidx[lo] : -1;
        if (root[t] >= 0) slot[root[t]] = 1;
    }
    int rc = le_allreduce_big(comm, slot, d, MPI_INT, MPI_MAX);
    *n_roots = 0;
    for (int64_t j = 0; j < d; j++) slot[j] = slot[j] ? (int)(*n_roots)++ : -1;
    for (int64_t t = 0; t < s->n; t++)
        if (root[t] >= 0) root[t] = slot[root[t]];
    free(slot);
    return rc;
}

/* The count components of trace t (algos/stv.h le_count_sides) into comp [2d]. */
static void count_components(const le_callpaths *cp, const le_shard *s, int64_t t, const int64_t *root, const double *mean,
                             const double *std, int32_t *cnt, float *comp)
{
    int64_t d = cp->n, lo = s->b.span_offset[t];
    if (root[t] < 0) {
        memset(comp, 0, sizeof(float) * (size_t)(2 * d));
        return;
    }
    le_count_paths(s->pidx + lo, s->b.span_offset[t + 1] - lo, d, cnt);
    le_count_sides(cnt, d, mean + root[t] * d, std + root[t] * d, comp);
}

/* Writes the call-count burst part (algos/stv.h, COUNT) at column col of
 * each row: count norms per root path, then the burst statistic over the
 * 2d low/high components, counted exactly over ranks as in add_burst. A
 * path's count is low or high, never both, so the first pass leaves which
 * (-1, +1 or 0) in the row's d columns and the second turns those into the
 * burst values, without counting the trace's paths again. */
static int add_count_burst(MPI_Comm comm, const le_callpaths *cp, le_shard *s, int col)
{
    int64_t d = cp->n, d2 = 2 * d, n_roots = 0;
    le_burst_grid g = {0, LE_BURST_BIN_US, 1};
    int64_t *root = le_malloc(sizeof(int64_t) * (size_t)s->n);
    int rc = root_index(comm, cp, s, root, &n_roots);
    size_t cells = (size_t)(n_roots * d > 0 ? n_roots * d : 1);
    double *mean = le_malloc(sizeof(double) * cells), *std = le_malloc(sizeof(double) * cells);
    int32_t *cnt = le_malloc(sizeof(int32_t) * (size_t)d);
    float *comp = le_malloc(sizeof(float) * (size_t)(d2 + 1));
    if (!rc) rc = le_count_norms(comm, cp->n, s, root, n_roots, mean, std);
    if (!rc) rc = le_burst_bins(comm, s->n, s->b.trace_start_us, d2, &g);
    int64_t *bcnt = le_calloc((size_t)(g.nb * d2), sizeof(int64_t)), *tot = le_calloc((size_t)g.nb, sizeof(int64_t));
    double *base = le_malloc(sizeof(double) * (size_t)d2);
    for (int64_t t = 0; !rc && t < s->n; t++) {
        float *side = s->x + t * s->dim + col;
        count_components(cp, s, t, root, mean, std, cnt, comp);
        le_burst_count(comp, d2, 1, d2, le_burst_bin_of(&g, s->b.trace_start_us[t]), bcnt, tot);
        for (int64_t j = 0; j < d; j++) side[j] = comp[j] > 0 ? -1.0f : comp[d + j] > 0 ? 1.0f : 0.0f;
    }
    if (!rc) rc = le_burst_reduce(comm, bcnt, tot, g.nb, d2, base);
    for (int64_t t = 0; !rc && t < s->n; t++) {
        int64_t b = le_burst_bin_of(&g, s->b.trace_start_us[t]);
        float *row = s->x + t * s->dim + col;
        for (int64_t j = 0; j < d; j++) {
            if (row[j] == 0) continue;
            int64_t c = row[j] < 0 ? j : d + j;
            row[j] = le_burst_value(bcnt[b * d2 + c], tot[b], base[c], LE_BURST_WEIGHT);
        }
    }
    free(root), free(mean), free(std), free(cnt), free(comp), free(bcnt), free(tot), free(base);
    return rc;
}

/* The deviation rows: [unit GAT embedding (with_gat) | dev | fail | burst
 * (with_burst) | call-count burst (with_burst 2)], see algos/stv.h. */
static int build_hybrid(MPI_Comm comm, le_corpus *c, const char *emb_path, const le_callpaths *cp, int with_gat,
                        int with_burst, le_shard *s)
{
    int64_t d = cp->n, ns = s->b.n_spans;
    if (d > (1 << 19)) return le_fail(LE_ERR_USAGE, "deviation vector: %lld call paths is too many", (long long)d);
    int g = 0;
    float *gat = NULL;
    if (with_gat) {
        LE_CHECK(read_gat(comm, c, emb_path, s));
        g = s->dim, gat = s->x;
    }
    int64_t at = g, blocks = 2 + (with_burst > 0) + (with_burst > 1);
    const dev_layout L = {at, at + d, at + 2 * d, at + 3 * d};
    const le_dev_cfg cfg = {LE_DEV_THRESHOLD, LE_DEV_WEIGHT, LE_ERR_WEIGHT};
    s->dim = (int)(at + blocks * d);
    s->x = le_malloc_big(sizeof(float) * (size_t)s->n * (size_t)s->dim);
    float *x = le_malloc(sizeof(float) * (size_t)ns);
    float *mean = le_malloc(sizeof(float) * (size_t)d), *std = le_malloc(sizeof(float) * (size_t)d);
    int8_t *err = le_malloc((size_t)ns);
    for (int64_t i = 0; i < ns; i++) err[i] = s->b.error[i] || s->b.status_code[i] >= 500;
    double w0 = MPI_Wtime();
    int rc = le_dev_norms_x(comm, cp->n, s, with_burst > 1, x, mean, std);
    double w1 = MPI_Wtime();
    for (int64_t t = 0; !rc && t < s->n; t++) {
        int64_t lo = s->b.span_offset[t], hi = s->b.span_offset[t + 1];
        float *row = s->x + t * s->dim;
        if (g) memcpy(row, gat + t * g, sizeof(float) * (size_t)g);
        le_dev_row(s->pidx + lo, x + lo, err + lo, hi - lo, d, mean, std, &cfg, row + L.dev, row + L.fail);
    }
    free(gat), free(x), free(mean), free(std), free(err);
    double w2 = MPI_Wtime();
    if (!rc && with_burst) rc = add_burst(comm, s, &L, d);
    double w3 = MPI_Wtime();
    if (!rc && with_burst > 1) rc = add_count_burst(comm, cp, s, (int)L.count);
    le_debug("dev: norms %.3f rows %.3f burst %.3f count burst %.3f s", w1 - w0, w2 - w1, w3 - w2, MPI_Wtime() - w3);
    return rc;
}

/* "tail" (the default, algos/tail.h and docs/labeling.md): the streamed
 * builder's statistics (mpi/tailvec_dist.h), then the shard's rows. */
static int build_tail(MPI_Comm comm, le_corpus *c, le_shard *s)
{
    le_tailvec m;
    LE_CHECK(le_tailvec_fit(comm, c, s->t0, s->t1, LE_TAILVEC_CHUNK, &m));
    s->dim = m.dim;
    s->x = le_malloc_big(sizeof(float) * (size_t)s->n * (size_t)s->dim);
    le_tailvec_rows(&m, &s->b, s->x);
    le_tailvec_free(&m);
    return 0;
}

int le_repr_needs_paths(const char *representation) { return strcmp(representation, "gat") != 0; }

int le_repr_uses_model(const char *representation)
{
    return !strcmp(representation, "gat") || !strcmp(representation, "hybrid") || !strcmp(representation, "hybrid-burst") ||
           !strcmp(representation, "hybrid-burst-count");
}

int le_shard_vectors(MPI_Comm comm, le_corpus *c, const char *representation, const char *emb_path, const le_callpaths *cp,
                     le_shard *s)
{
    if (!strcmp(representation, "gat")) return read_gat(comm, c, emb_path, s);
    if (!s->pidx) index_paths(cp, s); /* le_callpaths_build indexed them against cp */
    if (!strcmp(representation, "tail")) return build_tail(comm, c, s);
    if (!strcmp(representation, "stv")) return build_stv(comm, cp, s);
    if (!strcmp(representation, "hybrid")) return build_hybrid(comm, c, emb_path, cp, 1, 0, s);
    if (!strcmp(representation, "dev")) return build_hybrid(comm, c, emb_path, cp, 0, 0, s);
    if (!strcmp(representation, "hybrid-burst")) return build_hybrid(comm, c, emb_path, cp, 1, 1, s);
    if (!strcmp(representation, "dev-burst")) return build_hybrid(comm, c, emb_path, cp, 0, 1, s);
    if (!strcmp(representation, "hybrid-burst-count")) return build_hybrid(comm, c, emb_path, cp, 1, 2, s);
    if (!strcmp(representation, "dev-burst-count")) return build_hybrid(comm, c, emb_path, cp, 0, 2, s);
    return le_fail(LE_ERR_USAGE,
                   "--representation must be tail, gat, stv, hybrid, dev, hybrid-burst, dev-burst, hybrid-burst-count or "
                   "dev-burst-count, not '%s'",
                   representation);
}

int le_shard_vectors_read(MPI_Comm comm, le_corpus *c, const char *representation, const char *path, le_shard *s)
{
    return read_emb_rows(comm, c, path, representation, s);
}

/* ---- le_callpaths_stream (select's reps.h5 without the shard) ---- */

/* Traces [a, b) read and their spans' path ids into *ids (grown to *cap). */
static int chunk_paths(le_corpus *c, int64_t a, int64_t b, le_corpus_block *blk, uint64_t **ids, int64_t *cap)
{
    LE_CHECK(le_corpus_read_block(c, a, b, blk));
    if (blk->n_spans > *cap) {
        free(*ids);
        *cap = blk->n_spans;
        *ids = le_malloc(sizeof(uint64_t) * (size_t)*cap);
    }
    for (int64_t t = 0; t < blk->n_traces; t++) {
        int64_t lo = blk->span_offset[t], hi = blk->span_offset[t + 1];
        le_callpath_ids(blk->parent + lo, blk->operation + lo, hi - lo, *ids + lo);
    }
    return 0;
}

/* Pass 1: this rank's distinct path ids, a chunk at a time, then every rank's. */
static int stream_vocabulary(MPI_Comm comm, le_corpus *c, int64_t t0, int64_t t1, int64_t chunk, le_callpaths *cp)
{
    uint64_t *ids = NULL, *mine = le_malloc(sizeof(uint64_t)), *merged;
    int64_t cap = 0, n_mine = 0;
    int rc = 0;
    for (int64_t a = t0; !rc && a < t1; a += chunk) {
        le_corpus_block blk;
        rc = chunk_paths(c, a, t1 - a < chunk ? t1 : a + chunk, &blk, &ids, &cap);
        if (rc) break;
        int64_t m = le_callpath_unique(ids, blk.n_spans);
        le_block_free(&blk);
        merged = le_malloc(sizeof(uint64_t) * (size_t)(n_mine + m + 1));
        memcpy(merged, mine, sizeof(uint64_t) * (size_t)n_mine), memcpy(merged + n_mine, ids, sizeof(uint64_t) * (size_t)m);
        free(mine), mine = merged;
        n_mine = le_callpath_unique(mine, n_mine + m);
    }
    free(ids);
    rc = le_agree_on(comm, rc);
    if (!rc) rc = le_allgather_unique_u64(comm, mine, n_mine, &cp->id, &cp->n, "call paths");
    free(mine);
    return rc;
}

int le_callpaths_stream(MPI_Comm comm, le_corpus *c, int64_t t0, int64_t t1, int64_t chunk, le_callpaths *cp)
{
    memset(cp, 0, sizeof *cp);
    LE_CHECK(stream_vocabulary(comm, c, t0, t1, chunk, cp));
    cp->stat = le_calloc((size_t)(cp->n ? cp->n : 1), sizeof(le_welford));
    uint64_t *ids = NULL;
    int32_t *pidx = NULL;
    int64_t cap = 0, pcap = 0;
    int rc = 0;
    for (int64_t a = t0; !rc && a < t1; a += chunk) { /* pass 2: the spans' latencies in trace order, as the shard's */
        le_corpus_block blk;
        rc = chunk_paths(c, a, t1 - a < chunk ? t1 : a + chunk, &blk, &ids, &cap);
        if (rc) break;
        if (blk.n_spans > pcap) free(pidx), pcap = blk.n_spans, pidx = le_malloc(sizeof(int32_t) * (size_t)pcap);
        le_callpath_index(ids, blk.n_spans, cp->id, cp->n, pidx);
        for (int64_t i = 0; i < blk.n_spans; i++) le_welford_add(&cp->stat[pidx[i]], (double)blk.duration_us[i]);
        le_block_free(&blk);
    }
    free(ids), free(pidx);
    rc = le_agree_on(comm, rc);
    if (!rc) rc = le_allreduce_welford(comm, cp->stat, cp->n);
    if (rc) le_callpaths_free(cp);
    return rc;
}
