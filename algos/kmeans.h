/* kmeans: the single-process pieces of distributed k-means (no MPI).
 *
 * mpi/kmeans_dist.c combines them with one allreduce per Lloyd iteration,
 * after Liao's parallel k-means: every rank assigns its own rows and adds
 * them into a flat [k*d sums | k counts] buffer, the buffers are summed
 * across ranks, and every rank divides to the same new centroids.
 *
 * Distances go through sgemm: |x - c|^2 = |x|^2 - 2 x.c + |c|^2, with the
 * -2 x.c term for a block of rows against all centroids in one call; the
 * argmin only needs -2 x.c + |c|^2, |x|^2 is added for the distance itself.
 *
 * Randomness is counter-based (algos/rng.h): a draw is a function of
 * (seed, global row index, purpose), so which rows are sampled or picked
 * does not depend on how rows are split across ranks. */
#ifndef LE_KMEANS_H
#define LE_KMEANS_H

#include <stdint.h>

/* Rows per sgemm block: the block of dot products (rows x k floats) stays
 * in L2 for the k of a labeling budget. */
#define LE_KM_BLOCK 256

/* Purposes of the counter-based draws (the rng domain). */
enum { LE_KM_DRAW_SAMPLE = 0x6b6d0001, LE_KM_DRAW_FIRST, LE_KM_DRAW_ROUND, LE_KM_DRAW_PP, LE_KM_DRAW_RANDOM };

/* Uniform in [0, 1) for row `index` (global), purpose `domain`, draw `n`. */
double le_km_uniform(uint64_t seed, uint64_t index, uint32_t domain, uint32_t n);

/* Squared norms of n rows of x [n x d]. */
void le_km_row_norms(const float *x, int64_t n, int d, float *norm2);

/* Scale rows to unit length (zero rows stay zero): k-means on unit rows
 * clusters by cosine, the distance the encoder is trained with. */
void le_km_normalize_rows(float *x, int64_t n, int d);

/* Nearest centroid of each row: assign[i] and d2[i] = squared distance
 * (clamped at 0). work holds LE_KM_BLOCK * k floats. Ties go to the lower
 * centroid index. */
void le_km_nearest(const float *x, const float *xnorm, int64_t n, int d, const float *c, const float *cnorm, int k,
                   float *work, int32_t *assign, float *d2);

/* Each row's length: the columns up to its last non-zero one. Rows of a
 * trace vector whose tail (deviation, burst) is zero cost le_km_nearest
 * only their head: per block, rows no longer than a head width go through
 * an sgemm over that many columns. The _len variants take the lengths
 * (len [n]) found once, for a matrix scanned in every Lloyd iteration;
 * the plain ones find them block by block. */
void le_km_row_lengths(const float *x, int64_t n, int d, int32_t *len);
void le_km_nearest_len(const float *x, const int32_t *len, const float *xnorm, int64_t n, int d, const float *c,
                       const float *cnorm, int k, float *work, int32_t *assign, float *d2);

/* Sums of rows are kept in fixed point: each value is rounded to a multiple
 * of 1/LE_KM_FIX before it is added, so every partial sum is an integer
 * held exactly in a double (below 2^53: |value| x rows < 1.3e11), and the
 * sums, hence the centroids, are the same whatever the order of addition
 * or the split over ranks. Floating sums made the representatives depend on
 * the rank count by rounding. */
#define LE_KM_FIX 65536.0f

/* The local part of one Lloyd iteration: nearest centroid of each row, then
 * acc[j*d..] += round(row * LE_KM_FIX) and acc[k*d + j] += 1 for its
 * centroid j (acc is [k*d + k] doubles, zeroed by the caller). Returns the
 * rows' summed d2. */
double le_km_lloyd_local(const float *x, const float *xnorm, int64_t n, int d, const float *c, const float *cnorm, int k,
                         float *work, int32_t *assign, float *d2, double *acc);
double le_km_lloyd_local_len(const float *x, const int32_t *len, const float *xnorm, int64_t n, int d, const float *c,
                             const float *cnorm, int k, float *work, int32_t *assign, float *d2, double *acc);

/* New centroids from summed acc: c[j] = sums[j] / LE_KM_FIX / count[j] for every j with
 * a count; centroids of empty clusters are left as they were and flagged in
 * empty[j]. Returns how many are empty; *max_shift is the largest squared
 * move of a centroid. Recomputes cnorm. */
int le_km_update(const double *acc, int k, int d, float *c, float *cnorm, uint8_t *empty, double *max_shift);

/* k-means|| oversampling (Bahmani et al. 2012): row i (global index
 * gidx[i]) joins the candidates with probability min(1, l * d2[i] / phi).
 * Writes the local indices of the picked rows to picked; returns how many. */
int64_t le_km_oversample(const float *d2, const int64_t *gidx, int64_t n, double phi, double l, uint64_t seed,
                         uint32_t round, int64_t *picked);

/* Weighted k-means++ on m candidates cand [m x d] with weights w: k centres
 * into centers [k x d] (k <= m). The first is drawn by weight, each next one
 * by weight x squared distance to the nearest centre so far (in integers,
 * as below). Deterministic in seed. work holds 2*m doubles. */
void le_km_pp_weighted(const float *cand, const double *w, int64_t m, int d, int k, uint64_t seed, float *centers,
                       double *work);

/* The steps of le_km_pp_weighted, for a caller that splits the candidates
 * into slices [lo, hi) over ranks (mpi/kmeans_dist.c): each keeps near[]
 * of its slice, and one draw needs only the slices' weight sums. Weights
 * are integers — w[i] (counts) for the first centre, else w[i] near[i]
 * scaled by a power of two so the largest is at most 2^le_km_pp_bits(m)
 * (2^36, fewer bits past 2^26 candidates) and rounded —
 * whose sums are exact in any order: the index drawn is the same for any
 * slicing (each rank's sum, the total and the target are exact integers).
 * The int64 sums hold any m: m weights of at most 2^le_km_pp_bits(m) sum
 * to at most 2^62 (the same draws as 36 bits for m <= 2^26, i.e. k up to
 * ~6e6 with k-means||'s 10 k candidates).
 * le_km_pp_scale: the power of two for a bound on the largest w[i] near[i]
 * over all slices of the m candidates (le_km_pp_slice_max of each, their maximum; near only
 * shrinks, so the previous pick's maximum bounds this one's and costs no
 * collective of its own).
 * le_km_pp_slice_weights: q[i] for i in [lo, hi), by weight alone if
 * by_weight; returns their sum.
 * le_km_pp_target: where in [0, total) centre c is drawn (total > 0).
 * le_km_pp_find: the i in [lo, hi) at which the running sum, starting at
 * before (the slices before this one), first exceeds x; -1 if x falls in
 * another slice.
 * le_km_pp_lower: near[i] = min(near[i], |cand_i - centre|^2) for
 * i in [lo, hi) (first: near[i] = that), len [m] the candidates' row
 * lengths (le_km_row_lengths) and lc the centre's. */
#define LE_KM_PP_BITS 36
double le_km_pp_slice_max(const double *w, const double *near, int64_t lo, int64_t hi);
int le_km_pp_bits(int64_t m);
double le_km_pp_scale(double max_wnear, int64_t m);
int64_t le_km_pp_slice_weights(const double *w, const double *near, int64_t lo, int64_t hi, int by_weight, double scale,
                               int64_t *q);
int64_t le_km_pp_target(int64_t total, int c, uint64_t seed);
int64_t le_km_pp_find(const int64_t *q, int64_t lo, int64_t hi, int64_t before, int64_t x);
void le_km_pp_lower(const float *cand, const int32_t *len, int64_t lo, int64_t hi, int d, const float *centre, int32_t lc,
                    int first, double *near);

/* The clusters j < k that have a representative (rep[j] >= 0) in the
 * order of their representatives' trace indexes: order [k] gets them,
 * returns how many. Any k and any trace index below 2^63 (no packing of
 * both into one integer). */
int le_km_clusters_by_rep(const int64_t *rep, int k, int *order);

/* Reference for tests: nearest centroid by the plain O(n k d) loop. */
void le_km_nearest_naive(const float *x, int64_t n, int d, const float *c, int k, int32_t *assign, float *d2);

#endif
