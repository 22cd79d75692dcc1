/* spectral_dist: representative selection by ultra-scalable spectral
 * clustering (U-SPEC, Huang et al., TKDE 2019 — the paper's reference [32]),
 * distributed over the ranks of a communicator. The alternative to k-means
 * for `labelease select --method spectral` (issue #5, Select). docs/spectral.md
 * has the method, its costs and when it pays.
 *
 * Steps (algos/spectral.h has the single-process math of each):
 *  1. p anchors by hybrid selection: a seeded Bernoulli sample of about 10p
 *     points (chosen by global index, so the same at any rank count),
 *     gathered to every rank, then a few Lloyd iterations to p centres.
 *  2. Each rank links each of its points to its r nearest anchors with
 *     Gaussian weights: its rows of the sparse N x p bipartite graph B.
 *  3. W = B^T D_X^-1 B and the anchor degrees D_Y summed across ranks in
 *     fixed point (exact, so the same at any rank count), then
 *     E = D_Y^-1/2 W D_Y^-1/2, a p x p symmetric matrix.
 *  4. The top-k eigenpairs of E by ScaLAPACK pdsyevd on a BLACS grid over
 *     all ranks; the eigenvectors are gathered to every rank and their
 *     signs fixed (largest-magnitude component positive).
 *  5. Each rank maps its points to the spectral embedding (transfer cut),
 *     rows normalised, and a distributed k-means assigns k clusters.
 *  6. Each cluster's representative is its member nearest the cluster's
 *     centre in the embedding, ties to the smaller global index, found
 *     across ranks (MINLOC-style).
 *
 * Collective over comm. Ranks hold consecutive slices of the global rows in
 * rank order (rank r's first row is first_global). */
#ifndef LE_SPECTRAL_DIST_H
#define LE_SPECTRAL_DIST_H

#include <mpi.h>
#include <stdint.h>

#include "spectral.h"

/* Defaults when a caller passes p_reps <= 0 or r_neighbours <= 0 (U-SPEC's). */
#define LE_SPECTRAL_DEFAULT_P LE_SPEC_DEFAULT_P
#define LE_SPECTRAL_DEFAULT_R LE_SPEC_DEFAULT_R

/* x: n_local rows of dim floats (row-major). k clusters (1 <= k < p).
 * p_reps is capped by the number of points; it must stay above k.
 * Outputs, the same on every rank:
 *   rep_index[k]    the global index of each cluster's representative,
 *   cluster_size[k] how many points each cluster holds;
 * and per rank assign[n_local] (cluster of each local point) unless NULL.
 * Clusters are numbered by their representative's global index, ascending.
 * Returns 0 or an LE_ERR_* code (the same on every rank; le_errmsg() says
 * why on the rank that failed). */
int le_spectral_select(MPI_Comm comm, const float *x, int64_t n_local, int64_t first_global, int dim, int k, int p_reps,
                       int r_neighbours, uint64_t seed, int64_t *rep_index, int64_t *cluster_size, int32_t *assign);

/* What a test or a benchmark wants to see besides the result. Every
 * pointer is caller-allocated or NULL. */
enum { LE_SPEC_T_ANCHORS, LE_SPEC_T_GRAPH, LE_SPEC_T_EIGEN, LE_SPEC_T_EMBED, LE_SPEC_T_KMEANS, LE_SPEC_NT };
typedef struct le_spectral_report {
    double *eigenvalues;        /* [k]: the top-k eigenvalues of E, descending */
    float *anchors;             /* [p_used * dim]: the anchors B was built on (size for p_reps) */
    int p_used;                 /* anchors actually used (p_reps capped by the data) */
    int kmeans_iterations;      /* Lloyd iterations of the final clustering */
    double seconds[LE_SPEC_NT]; /* wall time of each step, slowest rank */
} le_spectral_report;

/* le_spectral_select, also filling *report (which may be NULL). */
int le_spectral_select_report(MPI_Comm comm, const float *x, int64_t n_local, int64_t first_global, int dim, int k,
                              int p_reps, int r_neighbours, uint64_t seed, int64_t *rep_index, int64_t *cluster_size,
                              int32_t *assign, le_spectral_report *report);

#endif
