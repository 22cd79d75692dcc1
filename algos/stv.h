/* stv: call paths of spans, their latency statistics, and TraceAnomaly's
 * service trace vector (paper 001, section II-C). No MPI.
 *
 * A call path is the sequence of operations from the root down to a span;
 * it is named by a 64-bit hash folded along that sequence, so a path's id
 * is the same in every trace, file and rank without a shared table. The
 * vocabulary (the paper's "call path list") is the sorted set of path ids:
 * sorting makes the dimension order independent of how traces were split.
 *
 * The STV has one dimension per call path; its value is the path's
 * response time in the trace (the largest, when a trace calls the same path
 * more than once) and -1 where the trace lacks the path, the paper's rule.
 * Before clustering each dimension is standardised over the corpus, so a
 * slow path with a wide spread does not drown the others. */
#ifndef LE_STV_H
#define LE_STV_H

#include <stdint.h>

/* Path ids of the spans of one trace (spans in preorder, parent[i] < i). */
void le_callpath_ids(const int32_t *parent, const int32_t *operation, int64_t n_spans, uint64_t *id);

/* Sort ids and drop repeats in place; returns the new count. */
int64_t le_callpath_unique(uint64_t *id, int64_t n);

/* Index of id in the sorted vocabulary voc [n], or -1. */
int64_t le_callpath_find(const uint64_t *voc, int64_t n, uint64_t id);

/* Mergeable running mean/variance (Welford; Chan et al. to merge). */
typedef struct le_welford {
    double n, mean, m2;
} le_welford;

static inline void le_welford_add(le_welford *w, double x)
{
    w->n += 1;
    double dlt = x - w->mean;
    w->mean += dlt / w->n;
    w->m2 += dlt * (x - w->mean);
}

void le_welford_merge(le_welford *into, const le_welford *from);
/* Population standard deviation (0 for fewer than two values). */
double le_welford_std(const le_welford *w);

/* One trace's raw STV: out [n_voc] set to -1, then each span's duration
 * (microseconds, as milliseconds in the vector) at its path's dimension,
 * keeping the largest. ids from le_callpath_ids; unknown paths are skipped. */
void le_stv_raw(const uint64_t *ids, const int64_t *duration_us, int64_t n_spans, const uint64_t *voc, int64_t n_voc,
                float *out);

/* Standardise rows x [n x d] by column: (x - mean[j]) * inv_std[j]. */
void le_stv_standardise(float *x, int64_t n, int64_t d, const double *mean, const double *inv_std);

#endif
