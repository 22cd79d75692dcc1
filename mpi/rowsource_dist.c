#include "rowsource_dist.h"

#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "kmeans.h"

int64_t le_rowsrc_align_chunk(int64_t c)
{
    const int64_t most = INT64_C(1) << 40; /* more than any shard, and no overflow in the chunk arithmetic */
    if (c < 1) c = 1;
    return c > most ? most : (c + LE_KM_BLOCK - 1) / LE_KM_BLOCK * LE_KM_BLOCK;
}

int le_rowsrc_kind(const le_rowsrc_opts *o)
{
    if (o->whole) return LE_ROWSRC_SHARD;
    if (o->vectors || !strcmp(o->repr, "gat")) return LE_ROWSRC_FILE;
    if (!strcmp(o->repr, "tail")) return LE_ROWSRC_MODEL;
    return LE_ROWSRC_SHARD;
}

int le_rowsrc_check_stats(const le_rowsrc_opts *o)
{
    const char *given = o->stats_in ? "--vector-stats" : o->stats_out ? "--save-vector-stats" : NULL;
    if (!given || le_rowsrc_kind(o) == LE_ROWSRC_MODEL) return 0;
    return le_fail(LE_ERR_USAGE, "%s: only the default representation (tail, streamed) has vector statistics%s", given,
                   o->vectors                ? "; --vectors reads the vectors themselves"
                   : strcmp(o->repr, "tail") ? ""
                                             : " (not --method random or spectral)");
}

/* Collective: the shard and its vectors, built whole (or read whole from
 * --vectors), with the call paths' statistics when asked. */
static int open_shard(MPI_Comm comm, le_corpus *c, const le_rowsrc_opts *o, le_rowsrc *r)
{
    le_shard *s = &r->s;
    double t0 = MPI_Wtime();
    int rc = le_agree_on(comm, le_shard_load(comm, c, s));
    if (!rc && o->vectors) rc = le_agree_on(comm, le_shard_vectors_read(comm, c, o->repr, o->vectors, s));
    double t1 = MPI_Wtime(), c1 = le_cpu_seconds();
    if (!rc && o->stats)
        rc = le_agree_on(comm, le_callpaths_build(comm, s, &r->cp)), r->paths = &r->cp;
    else if (!rc && !o->vectors && le_repr_needs_paths(o->repr))
        rc = le_agree_on(comm, le_callpaths_vocabulary(comm, s, &r->cp));
    if (!rc && !o->vectors) rc = le_agree_on(comm, le_shard_vectors(comm, c, o->repr, o->emb, &r->cp, s));
    if (!o->stats) le_callpaths_free(&r->cp); /* the vectors are built */
    r->dim = s->dim;
    r->seconds_read = t1 - t0 + s->seconds_emb_read, r->seconds_vec = MPI_Wtime() - t1 - s->seconds_emb_read;
    r->cpu_vec = le_cpu_seconds() - c1 - s->cpu_emb_read;
    r->seconds_emb = s->seconds_emb_read, r->cpu_emb = s->cpu_emb_read;
    return rc;
}

/* Collective: the vectors or embeddings file opened, nothing read yet. */
static int open_file(MPI_Comm comm, le_corpus *c, const le_rowsrc_opts *o, le_rowsrc *r)
{
    const char *path = o->vectors ? o->vectors : o->emb;
    LE_CHECK(le_agree_on(comm, le_vectors_open(comm, c, path, o->vectors ? o->repr : NULL, &r->er)));
    r->unit = !o->vectors, r->dim = r->er.dim;
    if (!o->stats) return 0;
    double t0 = MPI_Wtime();
    LE_CHECK(le_callpaths_stream(comm, c, r->t0, r->t1, r->chunk, &r->cp));
    r->paths = &r->cp, r->seconds_read = MPI_Wtime() - t0;
    return 0;
}

/* Collective: the default representation's statistics, fitted streaming
 * or read from the file an earlier fit wrote. */
static int open_model(MPI_Comm comm, le_corpus *c, const le_rowsrc_opts *o, le_rowsrc *r)
{
    double t0 = MPI_Wtime(), c0 = le_cpu_seconds();
    if (o->stats_in)
        LE_CHECK(le_tailvec_load(comm, c, o->stats_in, &r->m));
    else
        LE_CHECK(le_agree_on(comm, le_tailvec_fit(comm, c, r->t0, r->t1, r->chunk, &r->m)));
    if (o->stats_out) LE_CHECK(le_tailvec_save(comm, &r->m, c, o->stats_out));
    r->dim = r->m.dim, r->paths = &r->m.cp;
    r->seconds_read = r->m.seconds_read, r->seconds_vec = MPI_Wtime() - t0 - r->m.seconds_read;
    r->cpu_vec = le_cpu_seconds() - c0;
    return 0;
}

int le_rowsrc_open(MPI_Comm comm, le_corpus *c, const le_rowsrc_opts *o, le_rowsrc *r)
{
    memset(r, 0, sizeof *r);
    r->er.hid_file = r->er.hid_dset = -1;
    r->c = c, r->kind = le_rowsrc_kind(o), r->chunk = le_rowsrc_align_chunk(o->chunk);
    int rc = 0;
    if (r->kind == LE_ROWSRC_SHARD)
        rc = open_shard(comm, c, o, r);
    else {
        rc = le_agree_on(comm, le_corpus_shard(c, comm, &r->s.t0, &r->s.t1));
        r->s.n = r->s.t1 - r->s.t0;
    }
    r->t0 = r->s.t0, r->t1 = r->s.t1, r->n = r->s.n;
    if (!rc && r->kind == LE_ROWSRC_FILE) rc = open_file(comm, c, o, r);
    if (!rc && r->kind == LE_ROWSRC_MODEL) rc = open_model(comm, c, o, r);
    r->steps = (r->n + r->chunk - 1) / r->chunk;
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &r->steps, 1, MPI_INT64_T, MPI_MAX, comm));
    if (!rc && r->kind != LE_ROWSRC_SHARD) {
        int64_t cap = r->chunk < r->n ? r->chunk : r->n > 0 ? r->n : 1;
        r->buf = le_malloc_big(sizeof(float) * (size_t)cap * (size_t)(r->dim > 0 ? r->dim : 1));
    }
    return rc;
}

void le_rowsrc_free(le_rowsrc *r)
{
    if (r->own_b) le_block_free(&r->b);
    le_emb_close_reader(&r->er);
    if (r->kind == LE_ROWSRC_MODEL) le_tailvec_free(&r->m);
    le_callpaths_free(&r->cp);
    le_shard_free(&r->s);
    free(r->buf);
    memset(r, 0, sizeof *r);
    r->er.hid_file = r->er.hid_dset = -1;
}

void le_rowsrc_chunk(const le_rowsrc *r, int64_t k, int64_t *a, int64_t *n)
{
    *a = r->t0 + k * r->chunk < r->t1 ? r->t0 + k * r->chunk : r->t1;
    *n = r->t1 - *a < r->chunk ? r->t1 - *a : r->chunk;
}

/* The shard's traces [a, a + n) as a block that points into it: ids and
 * span offsets shifted, the span columns shared. */
static void shard_view(const le_shard *s, int64_t a, int64_t n, le_corpus_block *v)
{
    *v = s->b;
    int64_t t = a - s->t0;
    v->trace_begin = a, v->n_traces = n;
    v->span_offset = s->b.span_offset + t, v->id_offset = s->b.id_offset + t, v->trace_start_us = s->b.trace_start_us + t;
    if (s->b.label) v->label = s->b.label + t;
    if (s->b.fault) v->fault = s->b.fault + t;
}

/* Model kind: the block of traces [a, a + n) read and made rows. */
static int model_rows(le_rowsrc *r, int64_t a, int64_t n)
{
    double t0 = MPI_Wtime();
    LE_CHECK(le_corpus_read_block(r->c, a, a + n, &r->b));
    r->own_b = 1;
    double t1 = MPI_Wtime(), c1 = le_cpu_seconds();
    le_tailvec_rows(&r->m, &r->b, r->buf);
    r->seconds_rows_read += t1 - t0, r->seconds_rows_vec += MPI_Wtime() - t1, r->cpu_rows_vec += le_cpu_seconds() - c1;
    return 0;
}

/* File kind: the rows of traces [a, a + n), and their ids when asked. */
static int file_rows(le_rowsrc *r, int64_t a, int64_t n, int ids)
{
    double t0 = MPI_Wtime(), c0 = le_cpu_seconds();
    LE_CHECK(le_emb_read_rows(&r->er, a, n, r->buf));
    r->seconds_emb += MPI_Wtime() - t0, r->cpu_emb += le_cpu_seconds() - c0;
    if (r->unit) le_km_normalize_rows(r->buf, n, r->dim);
    if (!ids) return 0;
    double t1 = MPI_Wtime();
    LE_CHECK(le_corpus_read_ids(r->c, a, a + n, &r->b));
    r->own_b = 1, r->seconds_rows_read += MPI_Wtime() - t1;
    return 0;
}

int le_rowsrc_rows(le_rowsrc *r, int64_t a, int64_t n, const float **x, const le_corpus_block **b)
{
    if (r->own_b) le_block_free(&r->b), r->own_b = 0, le_heap_trim(); /* before the next chunk's (le_base.h) */
    memset(&r->b, 0, sizeof r->b);
    int rc = 0;
    if (n > r->chunk || a < r->t0 || a + n > r->t1)
        rc = le_fail(LE_ERR_USAGE, "rows [%lld, %lld) outside this rank's chunk of [%lld, %lld)", (long long)a,
                     (long long)(a + n), (long long)r->t0, (long long)r->t1);
    else if (r->kind == LE_ROWSRC_SHARD)
        shard_view(&r->s, a, n, &r->b);
    else if (r->kind == LE_ROWSRC_MODEL)
        rc = model_rows(r, a, n);
    else
        rc = file_rows(r, a, n, b != NULL);
    *x = rc ? NULL : r->kind == LE_ROWSRC_SHARD ? r->s.x + (a - r->t0) * r->dim : r->buf;
    if (b) *b = rc ? NULL : &r->b;
    return rc;
}

/* The rows out [n x dim] of the traces a + at[i] (at ascending, a + at[n-1]
 * < a + span <= a + chunk) of the file or model kind: the span read as one
 * block, only the wanted rows made. */
static int rows_in_span(le_rowsrc *r, int64_t a, int64_t span, const int64_t *at, int64_t n, float *out)
{
    double t0 = MPI_Wtime(), c0 = le_cpu_seconds();
    size_t row = sizeof(float) * (size_t)r->dim;
    if (r->kind == LE_ROWSRC_FILE) {
        LE_CHECK(le_emb_read_rows(&r->er, a, span, r->buf));
        for (int64_t i = 0; i < n; i++) memcpy(out + i * r->dim, r->buf + at[i] * r->dim, row);
        if (r->unit) le_km_normalize_rows(out, n, r->dim);
        r->seconds_emb += MPI_Wtime() - t0, r->cpu_emb += le_cpu_seconds() - c0;
        return 0;
    }
    le_corpus_block b;
    LE_CHECK(le_corpus_read_block(r->c, a, a + span, &b));
    double t1 = MPI_Wtime(), c1 = le_cpu_seconds();
    le_tailvec_rows_of(&r->m, &b, at, n, out);
    le_block_free(&b);
    r->seconds_rows_read += t1 - t0, r->seconds_rows_vec += MPI_Wtime() - t1, r->cpu_rows_vec += le_cpu_seconds() - c1;
    return 0;
}

int le_rowsrc_rows_at(le_rowsrc *r, const int64_t *g, int64_t m, float *out)
{
    for (int64_t i = 0; i < m; i++)
        if (g[i] < r->t0 || g[i] >= r->t1 || (i > 0 && g[i] <= g[i - 1]))
            return le_fail(LE_ERR_USAGE, "rows of trace %lld: not in this rank's [%lld, %lld) or not ascending",
                           (long long)g[i], (long long)r->t0, (long long)r->t1);
    int64_t dim = r->dim, *at = le_malloc(sizeof(int64_t) * (size_t)(m < r->chunk ? m + 1 : r->chunk + 1));
    int rc = 0;
    for (int64_t i = 0, j; !rc && i < m; i = j) {
        int64_t a = g[i];
        for (j = i; j < m && g[j] < a + r->chunk; j++) at[j - i] = g[j] - a;
        if (r->kind == LE_ROWSRC_SHARD)
            for (int64_t k = i; k < j; k++)
                memcpy(out + k * dim, r->s.x + (g[k] - r->t0) * dim, sizeof(float) * (size_t)dim);
        else
            rc = rows_in_span(r, a, g[j - 1] + 1 - a, at, j - i, out + i * dim);
    }
    free(at);
    return rc;
}

int le_rowsrc_labeled(MPI_Comm comm, le_rowsrc *r, const char *csv, le_labeled *lab)
{
    if (r->kind == LE_ROWSRC_SHARD) return le_agree_on(comm, le_labeled_load(comm, r->c, &r->s, csv, lab));
    int rc = le_labeled_begin(comm, r->c, csv, r->dim, lab);
    for (int64_t a = r->t0; !rc && a < r->t1; a += r->chunk) {
        le_corpus_block b;
        rc = le_corpus_read_ids(r->c, a, a + r->chunk < r->t1 ? a + r->chunk : r->t1, &b);
        if (!rc) le_labeled_match(lab, &b, NULL), le_block_free(&b);
    }
    rc = le_agree_on(comm, rc);
    if (!rc) rc = le_labeled_found(comm, r->c, csv, lab);
    for (int64_t i = 0; !rc && i < lab->n; i++) {
        const float *row;
        if (lab->index[i] < r->t0 || lab->index[i] >= r->t1) continue;
        rc = le_rowsrc_rows(r, lab->index[i], 1, &row, NULL);
        if (!rc) memcpy(lab->x + i * r->dim, row, sizeof(float) * (size_t)r->dim);
    }
    rc = le_agree_on(comm, rc);
    if (!rc) rc = le_labeled_vectors_done(comm, lab);
    if (rc) le_labeled_free(lab);
    return rc;
}
