/* triplet: the cosine-distance triplet loss and triplet sampling (no MPI).
 *
 *   d(x, y) = 1 − x·y / (|x| |y|),  |x| = sqrt(x·x + 1e-12)
 *   L = scale · Σ_t max(d(a_t, p_t) − d(a_t, n_t) + margin, 0)
 *
 * Sampling works on a window of traces (those one rank holds together):
 * traces are grouped by a recursive structure hash (service/operation and
 * depth of every node, children combined order-free) and sorted by root
 * latency within a group. Anchor: uniform. Positive: a latency neighbour
 * (±1 or ±2 in the sorted group) of the same structure — the anchor itself
 * when its structure is unique. Negative: with probability p_hard a member of
 * the same structure whose root latency differs by at least `far` (in log1p
 * µs) — a hard negative that teaches latency, which structure alone cannot —
 * otherwise a trace of another structure. */
#ifndef LE_TRIPLET_H
#define LE_TRIPLET_H

#include <stdint.h>

#include "rng.h"

/* Structure hash of one trace of n spans in preorder. scratch: 2n uint64. */
uint64_t le_structure_hash(int n, const int32_t *parent, const int32_t *op, uint64_t *scratch);

/* Loss and, when dO is not NULL, dO[rows] += dL/dO. O [G × d], trip [T × 3]
 * rows of O (anchor, positive, negative). Returns the loss; *correct counts
 * triplets with d(a,p) < d(a,n). */
double le_triplet_loss(int d, const float *O, int T, const int32_t *trip, float margin, float scale, float *dO,
                       int *correct);

typedef struct le_tripwin {
    int32_t n;
    int32_t *order;  /* [n] traces sorted by (hash, latency, index) */
    int32_t *pos;    /* [n] position of a trace in order */
    int32_t *grp_lo; /* [n] by position: first position of its group */
    int32_t *grp_hi; /* [n] by position: one past the last */
    float *lat;      /* [n] log1p root latency, by trace */
} le_tripwin;

void le_tripwin_build(le_tripwin *w, int32_t n, const uint64_t *hash, const float *lat);
void le_tripwin_free(le_tripwin *w);
/* One triplet of window-local trace indices. */
void le_triplet_sample(const le_tripwin *w, le_rng *r, float far, float p_hard, int32_t out[3]);

#endif
