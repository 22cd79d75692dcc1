/* burst_dist: the burst part of a representation (algos/stv.h BURST) over
 * the ranks: per (time bin, component) counts summed exactly, each
 * component's median share split over the ranks, then every trace's row. */
#ifndef LE_BURST_DIST_H
#define LE_BURST_DIST_H

#include <mpi.h>
#include <stdint.h>

/* Collective. The corpus' first start t0 (over the n traces' starts of every
 * rank) and the bin width from LE_BURST_BIN_US, doubled until bins x d
 * stays under LE_BURST_MAX_CELLS; nb bins. The same on every rank. */
int le_burst_bins(MPI_Comm comm, int64_t n, const int64_t *start_us, int64_t d, int64_t *t0, int64_t *width, int64_t *nb);

/* Collective: base [d] of le_burst_base, each rank sorting its slice of the
 * components (scratch [nb]). */
int le_burst_base_dist(MPI_Comm comm, const int64_t *cnt, const int64_t *tot, int64_t nb, int64_t d, double *scratch,
                       double *base);

/* Collective. Trace t (of n, starting at start_us[t]) has the components
 * comp + t comp_stride ([blocks x d]: component j present where any block
 * is > 0); its burst part [d] goes to out + t out_stride. */
int le_burst_append(MPI_Comm comm, int64_t n, const int64_t *start_us, const float *comp, int64_t comp_stride, int64_t d,
                    int blocks, float *out, int64_t out_stride);

#endif
