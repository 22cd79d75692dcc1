/* tail_dist: the per-operation tail block (algos/tail.h) of every trace of
 * a shard, over the ranks.
 *
 * The thresholds are exact quantiles over every rank's spans
 * (mpi/quantile_dist.h), the bursting cells come from (operation, bin)
 * counts summed over the ranks, and the structure counts from a vocabulary
 * of structures gathered from every rank: the block is the same bits at
 * any rank count. */
#ifndef LE_TAIL_DIST_H
#define LE_TAIL_DIST_H

#include <mpi.h>

#include "stv_dist.h" /* le_shard */
#include "tail.h"

/* Columns le_tail_append writes: the three blocks and their burst part. */
#define LE_TAIL_COLS(n_ops) ((LE_TAIL_BLOCKS + 1) * (int64_t)(n_ops))

/* Collective. Writes in the first LE_TAIL_COLS(n_ops) columns of each row
 * of s->x the trace's tail, error and rare blocks and then the burst part
 * of their components (algos/burst.h, a component per operation: any of
 * its three blocks non-zero), in the burst bins of le_burst_bins. */
int le_tail_append(MPI_Comm comm, int32_t n_ops, le_shard *s);

#endif
