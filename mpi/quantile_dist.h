/* quantile_dist: exact quantiles of integer samples spread over ranks, for
 * many groups at once (serial pieces: algos/quantile.h).
 *
 * Each order statistic is found by bisection over the integers: every step
 * counts, per group, the values <= the midpoint (a binary search in each
 * rank's sorted values) and adds the counts in one allreduce. At most 64
 * steps, each O(groups log n) work and one allreduce of 2 x groups
 * integers; nothing but counts travels, and the result is the same bits at
 * any rank count. */
#ifndef LE_QUANTILE_DIST_H
#define LE_QUANTILE_DIST_H

#include <mpi.h>
#include <stdint.h>

/* Collective. Group g's values on this rank: x[off[g] .. off[g+1]), sorted
 * ascending. out[g] = the q quantile (algos/quantile.h) of group g over all
 * ranks, NAN for a group empty everywhere; n_all[g] (may be NULL) its size
 * over all ranks. */
int le_quantiles_dist(MPI_Comm comm, const int64_t *x, const int64_t *off, int32_t groups, double q, double *out,
                      int64_t *n_all);

#endif
