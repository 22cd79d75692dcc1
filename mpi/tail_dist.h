/* tail_dist: the operations' tail thresholds (algos/tail.h) over the ranks.
 *
 * The thresholds are exact quantiles over every rank's spans
 * (mpi/quantile_dist.h) and the bursting cells come from (operation, bin)
 * counts summed over the ranks: the same bits at any rank count. The rows
 * are mpi/tailvec_dist.h's. */
#ifndef LE_TAIL_DIST_H
#define LE_TAIL_DIST_H

#include <mpi.h>

#include "burst_dist.h"
#include "stv_dist.h" /* le_shard */
#include "tail.h"

/* Columns of the tail vector's operation blocks: the three blocks and
 * their burst part (mpi/tailvec_dist.h builds the rows). */
#define LE_TAIL_COLS(n_ops) ((LE_TAIL_BLOCKS + 1) * (int64_t)(n_ops))

/* Collective: the operations' tail thresholds thr [n_ops] over the spans
 * of s (every rank's), their cells in the time bins g (algos/tail.h). */
int le_tail_thresholds(MPI_Comm comm, const le_shard *s, int32_t n_ops, const le_burst_grid *g, double *thr);

#endif
