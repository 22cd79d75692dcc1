/* rowbalance: rows spread over ranks in global order (rank 0's first, each
 * rank's ascending), moved between ranks so that each holds about the same
 * share of the work, with the global order kept.
 *
 * Why: shards are cut by spans read, but k-means work per row grows with
 * the row's length (le_km_row_lengths: a trace vector's tail is zero for a
 * normal trace, and the distance products skip it). Traces are sharded in
 * time order, so a rank whose shard holds a fault period gets the long rows:
 * 28% vs 21% of them on the two halves of the default corpus, 15% more
 * work on rank 0, which the other rank waited out at every allreduce. */
#ifndef LE_ROWBALANCE_H
#define LE_ROWBALANCE_H

#include <mpi.h>
#include <stdint.h>

/* What a row costs beyond its length, in columns: the argmin over the
 * centres and the per-row bookkeeping (measured against the products). */
#define LE_ROW_COST_FIXED 8

/* The moved rows. Arrays owned here, released by le_rows_free. */
typedef struct le_rows {
    float *x;      /* [n x d] */
    int64_t *gidx; /* [n] global indices, ascending */
    int32_t *len;  /* [n] row lengths (le_km_row_lengths) */
    int64_t n;
} le_rows;

/* Collective. Rank r receives the contiguous run of global rows whose cost
 * (len + LE_ROW_COST_FIXED) midpoints fall in [r C / p, (r + 1) C / p),
 * C the total cost. x [n x d], gidx, len: this rank's rows. Only whole rows
 * move, so a rank's cost is within one row of C / p. */
int le_rows_balance(MPI_Comm comm, const float *x, const int64_t *gidx, const int32_t *len, int64_t n, int d, le_rows *out);

void le_rows_free(le_rows *r);

#endif
