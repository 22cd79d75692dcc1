/* spectral: the single-process math of ultra-scalable spectral clustering
 * (U-SPEC, Huang et al., TKDE 2019; the LabelEase paper's reference [32]).
 * No MPI: mpi/spectral_dist.c runs these pieces on each rank's rows and
 * sums what they produce across ranks; le_spectral_cluster runs them all on
 * one process (the reference the tests compare against).
 *
 * The graph is bipartite: N points on one side, p anchors (p << N) on the
 * other; point i links to its r nearest anchors with Gaussian weights, the
 * rows of a sparse N x p matrix B. With D_X = diag(B 1) (point degrees) and
 * D_Y = diag(B^T 1) (anchor degrees), the normalised bipartite adjacency is
 * M = D_X^-1/2 B D_Y^-1/2, and its singular vectors give the spectral
 * embedding of both sides. Only the p x p matrix
 *     E = M^T M = D_Y^-1/2 (B^T D_X^-1 B) D_Y^-1/2
 * is decomposed (transfer cut): for an eigenpair (lambda, v) of E, the
 * point side is u = M v / sqrt(lambda). So the cost in N is linear.
 *
 * Sums over points are kept in fixed point (int64, a power-of-two scale):
 * integer addition is associative, so a sum split over any number of ranks
 * is bit-identical to the one-process sum. */
#ifndef LE_SPECTRAL_H
#define LE_SPECTRAL_H

#include <stdint.h>

/* Purposes of the counter-based draws (rng domains, see kmeans.h). */
enum { LE_SPEC_DRAW_SAMPLE = 0x73700001, LE_SPEC_DRAW_ANCHOR_INIT, LE_SPEC_DRAW_PP };

/* U-SPEC's defaults: anchors, and nearest anchors per point. */
#define LE_SPEC_DEFAULT_P 1000
#define LE_SPEC_DEFAULT_R 5
/* Hybrid selection samples about this many candidates per anchor (U-SPEC). */
#define LE_SPEC_OVERSAMPLE 10
/* Lloyd iterations that turn the candidates into anchors: a few suffice,
 * the anchors only need to cover the data, not to converge. */
#define LE_SPEC_ANCHOR_ITERS 10
/* Lloyd iterations of the final clustering, at most. */
#define LE_SPEC_KMEANS_ITERS 50

/* How the steps that sum over points reach the other ranks: a driver
 * passes its reductions (in place, across all ranks); one process passes
 * le_spec_reduce_self. rank/size split work that every rank would
 * otherwise repeat. Each returns 0 or an LE_ERR_* code. */
typedef struct le_spec_reduce {
    int (*sum_i64)(int64_t *buf, int64_t n, void *ctx);
    int (*max_f64)(double *buf, int64_t n, void *ctx);
    int (*min_i64)(int64_t *buf, int64_t n, void *ctx);
    void *ctx;
    int rank, size;
} le_spec_reduce;
extern const le_spec_reduce le_spec_reduce_self;

/* ---- fixed point ---- */

/* A power of two S such that n_terms values of magnitude <= maxabs, each
 * rounded to a multiple of 1/S, sum without overflowing int64. */
double le_spec_fixed_scale(double maxabs, int64_t n_terms);
static inline int64_t le_spec_fix(double v, double scale) { return (int64_t)__builtin_llrint(v * scale); }

/* ---- anchors by hybrid selection ---- */

/* Whether global row gidx is a candidate: a Bernoulli draw with probability
 * prob keyed by (seed, gidx), so the sample does not depend on the ranks. */
int le_spec_is_candidate(uint64_t seed, int64_t gidx, double prob);

/* p distinct candidates (of m) as the first anchors, drawn by seed. */
void le_spec_init_anchors(const float *cand, int64_t m, int dim, int p, uint64_t seed, float *anchors);

/* Anchors from the candidates' assignments: the mean of each anchor's
 * candidates, summed in candidate order (so every rank that holds all the
 * assignments computes the same anchors); an anchor with none stays. */
void le_spec_update_anchors(const float *cand, int64_t m, int dim, const int32_t *assign, int p, float *anchors);

/* The whole hybrid selection on m candidates held by every rank: initial
 * anchors, then LE_SPEC_ANCHOR_ITERS Lloyd steps whose assignment work is
 * split across ranks (whole LE_KM_BLOCK blocks, shared by one sum). */
int le_spec_anchors(const float *cand, int64_t m, int dim, int p, uint64_t seed, const le_spec_reduce *red, float *anchors);

/* ---- the bipartite graph ---- */

/* For each of n rows: its r nearest anchors (nbr[i*r..], ascending by
 * distance, ties to the lower anchor index) and their Euclidean distances
 * in dist[i*r..], recomputed in double from the data (sgemm only ranks). */
void le_spec_nearest_anchors(const float *x, int64_t n, int dim, const float *anchors, int p, int r, int32_t *nbr,
                             double *dist);

/* Gaussian weights w = exp(-dist^2 / (2 sigma^2)) (the exponent clamped so
 * a far point keeps a tiny, nonzero link) and row degrees deg = sum of w. */
void le_spec_gaussian_rows(const double *dist, int64_t n, int r, double sigma, double *w, double *deg);

/* Adds the rows' contribution to W = B^T D_X^-1 B (p x p, fixed point
 * gram[p*p]) and to D_Y = B^T 1 (fixed point dy[p]). Each term is <= 1 and
 * each entry sums to at most N: use le_spec_fixed_scale(1, N). */
void le_spec_accumulate_gram(const int32_t *nbr, const double *w, const double *deg, int64_t n, int r, int p, double scale,
                             int64_t *gram, int64_t *dy);

/* E = D_Y^-1/2 W D_Y^-1/2 (p x p, symmetric, row = column major) from the
 * summed fixed-point W and D_Y; dy_isqrt[p] = D_Y^-1/2 (0 for an anchor
 * nothing links to). */
void le_spec_normalised_gram(const int64_t *gram, const int64_t *dy, int p, double scale, double *E, double *dy_isqrt);

/* A rank's rows of B and what the eigenproblem needs, summed over ranks. */
typedef struct le_spec_graph {
    int p, r;
    int32_t *nbr;     /* [n*r] */
    double *w;        /* [n*r] */
    double sigma;     /* Gaussian width: mean distance to the r nearest anchors */
    double *E;        /* [p*p] */
    double *dy;       /* [p] anchor degrees */
    double *dy_isqrt; /* [p] */
} le_spec_graph;

/* Builds g from n local rows of N (n_total) over all ranks. */
int le_spec_build_graph(const float *x, int64_t n, int64_t n_total, int dim, const float *anchors, int p, int r,
                        const le_spec_reduce *red, le_spec_graph *g);
void le_spec_graph_free(le_spec_graph *g);

/* ---- eigenvectors to embedding ---- */

/* Fix each eigenvector's sign (V column-major p x k): its largest-magnitude
 * component (the first such) becomes positive, so the result does not
 * depend on the solver's or the grid's choice. */
void le_spec_fix_signs(double *V, int p, int k);

/* Z[p x k] (row-major, anchor j's row) = D_Y^-1/2 V diag(1/sqrt(lambda)):
 * the point embedding is then a B-weighted sum of anchor rows. */
void le_spec_anchor_coords(const double *V, const double *lambda, const double *dy_isqrt, int p, int k, double *Z);

/* Spectral coordinates of n points, rows scaled to unit length (Ng, Jordan
 * and Weiss): emb[i] = normalise(sum_j b_ij Z[j]). D_X^-1/2 scales a whole
 * row, so the normalisation drops it. */
void le_spec_embed(const int32_t *nbr, const double *w, int64_t n, int r, const double *Z, int k, float *emb);

/* The anchors' own coordinates, unit rows of Z, as floats (p x k). */
void le_spec_anchor_embedding(const double *Z, int p, int k, float *aemb);

/* All of the above after the eigensolver: signs fixed in V (p x k,
 * column-major, lambda descending), the n rows' coordinates emb[n x k] and
 * initial centres[k x k] from the anchors. */
int le_spec_spectral_coords(const le_spec_graph *g, double *V, const double *lambda, int64_t n, int k, uint64_t seed,
                            float *emb, float *centres);

/* ---- the final clustering ---- */

/* k initial centres from the anchors' embedding: weighted k-means++ (weight
 * = anchor degree), then weighted Lloyd on the p anchors. Cheap (p x k x k)
 * and it starts the N-point Lloyd near its end. */
void le_spec_initial_centres(const float *aemb, const double *weight, int p, int k, uint64_t seed, float *centres);

/* Adds rows to fixed-point cluster sums: sums[c*d + t] and count[c]. */
void le_spec_accumulate_clusters(const float *x, int64_t n, int d, const int32_t *assign, int k, double scale, int64_t *sums,
                                 int64_t *count);

/* Each cluster's member nearest its centre (x, d2 in double): best_d2[k]
 * and best_idx[k] (global index = first_global + row) are lowered where a
 * row here is nearer, ties to the lower index; the caller starts them at
 * +inf and INT64_MAX. */
void le_spec_nearest_members(const float *x, int64_t n, int d, const int32_t *assign, const float *centres, int k,
                             int64_t first_global, double *best_d2, int64_t *best_idx);

/* Lloyd on the n local rows of emb (d = k columns) from centres[k x k],
 * over all ranks, sums in fixed point; an empty cluster is reseeded with
 * the row farthest from its centre (ties to the lower global index). Stops
 * when no row changes cluster. Returns 0 or an error; *iters the count. */
int le_spec_lloyd(const float *emb, int64_t n, int64_t n_total, int64_t first_global, int k, float *centres,
                  const le_spec_reduce *red, int32_t *assign, int *iters);

/* Each cluster's representative: its member nearest the cluster's mean in
 * x, over all ranks; sizes too. Then clusters are renumbered in the order
 * of their representatives (assign with them). An empty cluster (possible
 * only with fewer distinct points than k) gets rep -1 and goes last. */
int le_spec_representatives(const float *x, int64_t n, int64_t n_total, int64_t first_global, int dim, int k,
                            const le_spec_reduce *red, int32_t *assign, int64_t *rep_index, int64_t *cluster_size);

/* The buffers of one run (both drivers): anchors[p x dim], lambda[k],
 * V[p x k], emb[n x k], centres[k x k] and the graph. */
typedef struct le_spec_work {
    float *anchors, *emb, *centres;
    double *lambda, *V;
    le_spec_graph g;
} le_spec_work;
void le_spec_work_alloc(le_spec_work *w, int64_t n, int dim, int p, int k);
void le_spec_work_free(le_spec_work *w);

/* ---- one process, the whole method ---- */

/* Everything above on n points: assign[n] in 0..k-1, rep_index[k] the row
 * nearest its cluster's mean (in x), eigenvalues[k] (may be NULL) the top
 * k of E, descending. Clusters are numbered by representative index. The
 * eigenproblem goes to LAPACK dsyev. Returns 0 or an LE_ERR_* code. */
int le_spectral_cluster(const float *x, int64_t n, int dim, int k, int p, int r, uint64_t seed, int32_t *assign,
                        int64_t *rep_index, int64_t *cluster_size, double *eigenvalues);

/* Defaults for p <= 0 and r <= 0, p capped by the m candidates, r by p;
 * an error unless 1 <= k < p. */
int le_spec_check_sizes(int64_t n_total, int64_t m, int k, int *p, int *r);

/* The number of candidates to aim for and the probability that gives it. */
double le_spec_sample_prob(int64_t n_total, int p);

#endif
