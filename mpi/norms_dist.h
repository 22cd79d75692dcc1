/* norms_dist: the corpus-wide norms of the deviation vectors (algos/stv.h)
 * over the spans of every rank's shard, exact (int64 sums): the call
 * paths' self-time norms and the call-count norms per root path. The
 * whole-shard builders (mpi/stv_dist.h) and the streamed tail vectors
 * (mpi/tailvec_dist.h, over a sample) share them. */
#ifndef LE_NORMS_DIST_H
#define LE_NORMS_DIST_H

#include <mpi.h>
#include <stdint.h>

#include "stv_dist.h" /* le_shard */

/* Collective, over the spans of s (s->pidx set against a vocabulary of
 * n_paths): the self-time norms mean, std [n_paths] of the deviation row
 * (with tighten, the two extra passes of dev-burst-count); _x also leaves
 * every span's log self time in x [s->b.n_spans]. */
int le_dev_norms(MPI_Comm comm, int64_t n_paths, const le_shard *s, int tighten, float *mean, float *std);
int le_dev_norms_x(MPI_Comm comm, int64_t n_paths, const le_shard *s, int tighten, float *x, float *mean, float *std);

/* Collective: the call-count norms mean, std [n_roots x n_paths] per root
 * path; root [s->n] is each trace's root index, -1 none. */
int le_count_norms(MPI_Comm comm, int64_t n_paths, const le_shard *s, const int64_t *root, int64_t n_roots, double *mean,
                   double *std);

#endif
