/* burst: the burst part of the trace vectors, from components counted per
 * time bin. No MPI; over ranks: mpi/burst_dist.h. */
#ifndef LE_BURST_H
#define LE_BURST_H

#include <stdint.h>

/* Beyond the paper. A fault lasts tens of minutes and makes the same call
 * paths deviate in many traces at once; benign noise (a missing product,
 * an ad-service GC pause, a redis retry) looks the same in one trace but is
 * spread evenly over the day. So a deviation that is bursty in time is
 * evidence of a fault that no single trace holds. Per call path j
 * ("component": dev_j > 0 or err_j > 0 in the deviation row) and time bin b
 * (LE_BURST_BIN_US from the corpus' first trace):
 *   rate(b, j) = traces in b with component j / traces in b
 *   base(j)    = median over the bins that hold traces of rate(., j)
 *   burst_j    = w * max(0, log2((rate(b, j) + eps) / (base(j) + eps)))
 *                for the trace's bin b where the trace has component j, else 0
 * Counts are int64 summed over ranks and the median is taken from them, so
 * the part is the same at any rank count. */
#define LE_BURST_BIN_US 300000000LL /* 5 minutes: faults last 30-80 */
#define LE_BURST_EPS 1e-3
#define LE_BURST_WEIGHT 0.5f
#define LE_BURST_MAX_CELLS (1LL << 24) /* bins x paths; wider bins beyond */

/* Count one trace into its bin: cnt [nb x d] per component, tot [nb]
 * traces. Its components: blocks blocks of d values, block k at
 * dev + k stride (stride d: one [blocks x d] array), component j present
 * where any block has dev[k stride + j] > 0 (the deviation row: 2 blocks,
 * dev and err). */
void le_burst_count(const float *dev, int64_t d, int blocks, int64_t stride, int64_t bin, int64_t *cnt, int64_t *tot);

/* base [d]: per component, the median over bins with tot > 0 of
 * cnt / tot (the usual share of traces with it). scratch: [nb] doubles. */
void le_burst_base(const int64_t *cnt, const int64_t *tot, int64_t nb, int64_t d, double *scratch, double *base);
/* The same for components [lo, hi) only (base[lo..hi) written): each
 * component's median is its own, so ranks can split them. */
void le_burst_base_range(const int64_t *cnt, const int64_t *tot, int64_t nb, int64_t d, int64_t lo, int64_t hi,
                         double *scratch, double *base);

/* burst_j of a component present in cnt of the tot traces of its bin. */
float le_burst_value(int64_t cnt, int64_t tot, double base, float w);

/* The burst part out [d] of a trace in bin row cnt_b [d], tot_b; its
 * components as in le_burst_count. */
void le_burst_row(const float *dev, int64_t d, int blocks, int64_t stride, const int64_t *cnt_b, int64_t tot_b,
                  const double *base, float w, float *out);

#endif
