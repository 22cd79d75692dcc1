/* callpath: call paths of spans and their latency statistics. No MPI.
 *
 * A call path is the sequence of operations from the root down to a span;
 * it is named by a 64-bit hash folded along that sequence, so a path's id
 * is the same in every trace, file and rank without a shared table. The
 * vocabulary (the paper's "call path list") is the sorted set of path ids:
 * sorting makes the dimension order independent of how traces were split.
 * Over ranks: the vocabulary and statistics in mpi/stv_dist.h. */
#ifndef LE_CALLPATH_H
#define LE_CALLPATH_H

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

/* pidx [n]: each id's index in the sorted vocabulary voc [n_voc], -1 when
 * absent. The vector builders below take these indices: the search is done
 * once per span, not once per span and pass. */
void le_callpath_index(const uint64_t *ids, int64_t n, const uint64_t *voc, int64_t n_voc, int32_t *pidx);

#endif
