/* burst_dist: the burst part of a representation (algos/burst.h) over
 * the ranks: per (time bin, component) counts summed exactly, each
 * component's median share split over the ranks, then every trace's row. */
#ifndef LE_BURST_DIST_H
#define LE_BURST_DIST_H

#include <mpi.h>
#include <stdint.h>

/* The time bins: bin of a trace starting at s is (s - t0) / width, of nb. */
typedef struct le_burst_grid {
    int64_t t0, width, nb;
} le_burst_grid;

/* Collective. The corpus' first start t0 (over the n traces' starts of every
 * rank) and the bin width from LE_BURST_BIN_US, doubled until bins x d
 * stays under LE_BURST_MAX_CELLS. The same on every rank. */
int le_burst_bins(MPI_Comm comm, int64_t n, const int64_t *start_us, int64_t d, le_burst_grid *g);

/* The same grid from the first and last start over every rank (lo > hi:
 * no traces). */
void le_burst_bins_range(int64_t lo, int64_t hi, int64_t d, le_burst_grid *g);

static inline int64_t le_burst_bin_of(const le_burst_grid *g, int64_t start_us) { return (start_us - g->t0) / g->width; }

/* Collective: base [d] of le_burst_base, each rank sorting its slice of the
 * components (scratch [nb]). */
int le_burst_base_dist(MPI_Comm comm, const int64_t *cnt, const int64_t *tot, int64_t nb, int64_t d, double *scratch,
                       double *base);

/* Collective: the per-bin counts cnt [nb x d] and totals tot [nb] of this
 * rank summed over every rank, then their base [d] (le_burst_base_dist). */
int le_burst_reduce(MPI_Comm comm, int64_t *cnt, int64_t *tot, int64_t nb, int64_t d, double *base);

/* Collective. Trace t (of n, starting at start_us[t], binned by g from
 * le_burst_bins with this d) has the components comp + t comp_stride
 * (blocks blocks of d values, block_stride apart: component j present
 * where any block is > 0); its burst part [d] goes to out + t out_stride. */
int le_burst_append(MPI_Comm comm, const le_burst_grid *g, int64_t n, const int64_t *start_us, const float *comp,
                    int64_t comp_stride, int64_t d, int blocks, int64_t block_stride, float *out, int64_t out_stride);

#endif
