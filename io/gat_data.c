#include "gat_data.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "le_base.h"
#include "triplet.h"

void le_blockfeat_free(le_blockfeat *f)
{
    free(f->time), free(f->status), free(f->shash), free(f->root_lat), free(f->wait), free(f->hscratch);
    memset(f, 0, sizeof *f);
}

static void fit(le_blockfeat *f, const le_corpus_block *b)
{
    size_t M = (size_t)b->n_spans + 1, N = (size_t)b->n_traces + 1;
    if (M > f->cap_spans) {
        f->cap_spans = M;
        f->time = le_realloc(f->time, sizeof(float) * LE_NTIME * M);
        f->status = le_realloc(f->status, M);
        f->wait = le_realloc(f->wait, sizeof(int64_t) * M);
        f->hscratch = le_realloc(f->hscratch, 2 * sizeof(uint64_t) * M);
    }
    if (N > f->cap_traces) {
        f->cap_traces = N;
        f->shash = le_realloc(f->shash, sizeof(uint64_t) * N);
        f->root_lat = le_realloc(f->root_lat, sizeof(float) * N);
    }
}

void le_blockfeat_compute(le_blockfeat *f, const le_corpus_block *b)
{
    fit(f, b);
    for (int64_t t = 0; t < b->n_traces; t++) {
        int64_t lo = b->span_offset[t];
        int n = (int)(b->span_offset[t + 1] - lo);
        le_time_raw(n, b->parent + lo, b->start_us + lo, b->duration_us + lo, f->wait, f->time + lo * LE_NTIME);
        f->shash[t] = le_structure_hash(n, b->parent + lo, b->operation + lo, f->hscratch);
        f->root_lat[t] = n ? (float)log1p((double)(b->duration_us[lo] > 0 ? b->duration_us[lo] : 0)) : 0.0f;
    }
    for (int64_t i = 0; i < b->n_spans; i++) f->status[i] = le_status_class(b->status_code[i], b->error[i]);
}

void le_blockfeat_normalise(le_blockfeat *f, const le_corpus_block *b, const le_opmap *m, const float *mean,
                            const float *std)
{
    for (int64_t i = 0; i < b->n_spans; i++) le_time_normalise(f->time + i * LE_NTIME, m->vocab[b->operation[i]], mean, std);
}

void le_gb_add_block_trace(le_graphbatch *gb, const le_corpus_block *b, const le_blockfeat *f, int64_t t)
{
    int64_t lo = b->span_offset[t];
    le_gb_add_trace(gb, (int)(b->span_offset[t + 1] - lo), b->parent + lo, b->operation + lo, f->time + lo * LE_NTIME,
                    f->status + lo);
}

size_t le_trace_record_bytes(int n)
{
    return sizeof(int32_t) * (1 + 2 * (size_t)n + LE_NTIME * (size_t)n) + (((size_t)n + 3) & ~(size_t)3);
}

void le_trace_record_pack(char **buf, size_t *len, size_t *cap, const le_corpus_block *b, const le_blockfeat *f, int64_t t)
{
    const int64_t lo = b->span_offset[t];
    const int32_t n = (int32_t)(b->span_offset[t + 1] - lo);
    const size_t need = *len + le_trace_record_bytes(n);
    if (need > *cap) {
        *cap = need > 2 * *cap ? need : 2 * *cap;
        *buf = le_realloc(*buf, *cap);
    }
    char *p = *buf + *len;
    memcpy(p, &n, sizeof n), p += sizeof n;
    memcpy(p, b->parent + lo, sizeof(int32_t) * (size_t)n), p += sizeof(int32_t) * (size_t)n;
    memcpy(p, b->operation + lo, sizeof(int32_t) * (size_t)n), p += sizeof(int32_t) * (size_t)n;
    memcpy(p, f->time + lo * LE_NTIME, sizeof(float) * LE_NTIME * (size_t)n), p += sizeof(float) * LE_NTIME * (size_t)n;
    memcpy(p, f->status + lo, (size_t)n);
    memset(p + n, 0, (((size_t)n + 3) & ~(size_t)3) - (size_t)n); /* padding: keep the bytes sent defined */
    *len = need;
}

size_t le_gb_add_record(le_graphbatch *gb, const char *rec)
{
    int32_t n;
    memcpy(&n, rec, sizeof n);
    const int32_t *parent = (const int32_t *)(const void *)(rec + sizeof n), *op = parent + n;
    const float *time = (const float *)(const void *)(op + n);
    const int8_t *status = (const int8_t *)(time + (size_t)LE_NTIME * n);
    le_gb_add_trace(gb, n, parent, op, time, status);
    return le_trace_record_bytes(n);
}
