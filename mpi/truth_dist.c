#include "truth_dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "exchange.h"
#include "quantile.h"
#include "quantile_dist.h"
#include "truth.h"

/* Per span of the block: self time, call structure; per trace: whether it
 * starts outside every fault window. */
typedef struct vis_spans {
    int64_t *self;
    uint64_t *structure;
    uint8_t *outside, *shows;
} vis_spans;

static void spans_measure(const le_corpus_block *b, const le_vis_fault *f, int32_t nf, vis_spans *v)
{
    size_t ns = (size_t)b->n_spans, nt = (size_t)b->n_traces;
    v->self = le_malloc(sizeof(int64_t) * ns);
    v->structure = le_malloc(sizeof(uint64_t) * ns);
    v->shows = le_calloc(ns, 1);
    v->outside = le_malloc(nt);
    for (int64_t t = 0; t < b->n_traces; t++) {
        int64_t lo = b->span_offset[t], n = b->span_offset[t + 1] - lo;
        le_vis_selftime(b->parent + lo, b->duration_us + lo, n, v->self + lo);
        le_vis_structure(b->parent + lo, b->operation + lo, n, v->structure + lo);
        v->outside[t] = (uint8_t)le_vis_outside(f, nf, b->trace_start_us[t]);
    }
}

static void spans_free(vis_spans *v) { free(v->self), free(v->structure), free(v->outside), free(v->shows); }

/* The reference spans' self times grouped by operation, each group sorted:
 * x[off[o] .. off[o+1]) for operation o. */
static void reference_by_operation(const le_corpus_block *b, const vis_spans *v, int32_t n_ops, int64_t **x, int64_t **off)
{
    *off = le_calloc((size_t)n_ops + 1, sizeof(int64_t));
    for (int64_t t = 0; t < b->n_traces; t++)
        for (int64_t i = b->span_offset[t]; v->outside[t] && i < b->span_offset[t + 1]; i++) (*off)[b->operation[i] + 1]++;
    for (int32_t o = 0; o < n_ops; o++) (*off)[o + 1] += (*off)[o];
    *x = le_malloc(sizeof(int64_t) * (size_t)((*off)[n_ops] ? (*off)[n_ops] : 1));
    int64_t *fill = le_malloc(sizeof(int64_t) * (size_t)n_ops);
    memcpy(fill, *off, sizeof(int64_t) * (size_t)n_ops);
    for (int64_t t = 0; t < b->n_traces; t++)
        for (int64_t i = b->span_offset[t]; v->outside[t] && i < b->span_offset[t + 1]; i++)
            (*x)[fill[b->operation[i]]++] = v->self[i];
    for (int32_t o = 0; o < n_ops; o++) le_sort_i64(*x + (*off)[o], (*off)[o + 1] - (*off)[o]);
    free(fill);
}

/* The call structures of every rank's reference spans, sorted, no repeats. */
static int reference_structures(MPI_Comm comm, const le_corpus_block *b, const vis_spans *v, uint64_t **ref, int64_t *n_ref)
{
    uint64_t *mine = le_malloc(sizeof(uint64_t) * (size_t)b->n_spans);
    int64_t n = 0;
    for (int64_t t = 0; t < b->n_traces; t++)
        for (int64_t i = b->span_offset[t]; v->outside[t] && i < b->span_offset[t + 1]; i++) mine[n++] = v->structure[i];
    int rc = le_allgather_unique_u64(comm, mine, n, ref, n_ref, "reference call structures");
    free(mine);
    return rc;
}

/* Counts reduced over ranks: per fault (visible, chance traces, chance
 * flagged), then the reference traces and those flagged on any fault's
 * service. */
static int count_faults(MPI_Comm comm, le_corpus_meta *m, const le_corpus_block *b, const vis_spans *v)
{
    int32_t F = m->n_faults;
    int64_t *c = le_calloc(3 * (size_t)F + 2, sizeof(int64_t));
    for (int64_t t = 0; t < b->n_traces; t++) {
        int64_t lo = b->span_offset[t], n = b->span_offset[t + 1] - lo;
        if (b->fault[t] >= 0 && b->fault[t] < F) c[3 * b->fault[t]]++;
        if (!v->outside[t]) continue;
        int any = 0;
        for (int32_t j = 0; j < F; j++) {
            int32_t s = m->faults[j].service;
            if (s < 0 || !le_vis_touches(b->service + lo, NULL, n, s)) continue;
            int shows = le_vis_touches(b->service + lo, v->shows + lo, n, s);
            c[3 * j + 1]++, c[3 * j + 2] += shows, any |= shows;
        }
        c[3 * F]++, c[3 * F + 1] += any;
    }
    int rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, c, 3 * F + 2, MPI_INT64_T, MPI_SUM, comm));
    for (int32_t j = 0; !rc && j < F; j++)
        m->faults[j].visible_traces = c[3 * j], m->faults[j].chance_traces = c[3 * j + 1],
        m->faults[j].chance_flagged = c[3 * j + 2];
    if (!rc) m->vis.ref_traces = c[3 * F], m->vis.ref_flagged = c[3 * F + 1];
    free(c);
    return rc;
}

int le_vis_truth(MPI_Comm comm, le_corpus_meta *m, le_corpus_block *b)
{
    int32_t F = m->n_faults, O = m->n_operations;
    le_vis_fault *f = le_malloc(sizeof *f * (size_t)F);
    for (int32_t j = 0; j < F; j++) f[j] = (le_vis_fault){m->faults[j].service, m->faults[j].start_us, m->faults[j].end_us};
    vis_spans v;
    spans_measure(b, f, F, &v);

    int64_t *x, *off;
    reference_by_operation(b, &v, O, &x, &off);
    free(m->vis.threshold_us);
    m->vis.threshold_us = le_malloc(sizeof(double) * (size_t)O);
    m->vis.quantile = LE_VIS_QUANTILE;
    int rc = le_quantiles_dist(comm, x, off, O, LE_VIS_QUANTILE, m->vis.threshold_us, NULL);
    free(x), free(off);
    uint64_t *ref = NULL;
    int64_t n_ref = 0;
    if (!rc) rc = reference_structures(comm, b, &v, &ref, &n_ref);
    m->vis.ref_structures = n_ref;

    for (int64_t i = 0; !rc && i < b->n_spans; i++) {
        double thr = m->vis.threshold_us[b->operation[i]];
        v.shows[i] =
            (uint8_t)le_vis_span_shows(b->error[i], v.self[i], isnan(thr) ? INFINITY : thr, v.structure[i], ref, n_ref);
    }
    for (int64_t t = 0; !rc && t < b->n_traces; t++) {
        if (b->label[t] != LE_LABEL_UNKNOWN) continue;
        int64_t lo = b->span_offset[t], n = b->span_offset[t + 1] - lo;
        int32_t j = le_vis_trace_fault(f, F, b->trace_start_us[t], b->service + lo, v.shows + lo, n);
        b->label[t] = j >= 0 ? LE_LABEL_ABNORMAL : LE_LABEL_NORMAL;
        b->fault[t] = j;
    }
    if (!rc) rc = count_faults(comm, m, b, &v);
    m->vis.present = !rc;
    free(ref), free(f);
    spans_free(&v);
    return rc;
}
