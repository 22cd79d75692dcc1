/* stv: the vectors of a trace over the call paths (algos/callpath.h):
 * TraceAnomaly's service trace vector (paper 001, section II-C), and beyond
 * the paper the deviation row and the call-count components, whose burst
 * part algos/burst.h computes. No MPI; over ranks: mpi/stv_dist.h.
 *
 * The STV has one dimension per call path; its value is the path's
 * response time in the trace (the largest, when a trace calls the same path
 * more than once) and -1 where the trace lacks the path, the paper's rule.
 * Before clustering each dimension is standardised over the corpus, so a
 * slow path with a wide spread does not drown the others. */
#ifndef LE_STV_H
#define LE_STV_H

#include <stdint.h>

#include "burst.h"
#include "callpath.h"

/* One trace's raw STV: out [n_voc] set to -1, then each span's duration
 * (microseconds, as milliseconds in the vector) at its path's dimension,
 * keeping the largest. pidx from le_callpath_index; -1 (unknown) skipped. */
void le_stv_raw(const int32_t *pidx, const int64_t *duration_us, int64_t n_spans, int64_t n_voc, float *out);

/* Standardise rows x [n x d] by column: (x - mean[j]) * inv_std[j]. */
void le_stv_standardise(float *x, int64_t n, int64_t d, const double *mean, const double *inv_std);

/* ------------------------------------------------ deviation vector (DEV)
 *
 * Beyond TraceAnomaly's STV: what makes a trace abnormal is a span that
 * deviates from what its call path usually does, and an error where the
 * path usually has none. Per call path j, over the corpus:
 *   x = log1p(self time in us) of each span (duration minus the time its
 *       children cover:
 *       a slow callee is then not blamed on every caller, and the gap of a
 *       client span over its server span, a network delay, is self time),
 *   mean_j, std_j of x — then again over the spans with |z| < LE_DEV_TRIM
 *       only, so the faults themselves do not widen the norm they are
 *       measured against.
 * Row of a trace [2 x n_voc]:
 *   dev_j = w_dev * log1p(max(0, max_spans z_j - thr))
 *           ordinary spread maps to 0; the log keeps a 50-sigma stall from
 *           pulling k-means centres apart by magnitude: that a path is slow
 *           matters more than how slow
 *   err_j = w_err if any span of path j failed (error flag or code >= 500)
 * Sums are int64 fixed point (LE_DEV_FIX), so statistics summed over ranks
 * are exact and the vectors do not depend on the rank count. */
#define LE_DEV_FIX 1048576.0 /* 2^20 */
#define LE_DEV_TRIM 3.0
#define LE_DEV_TIGHT 2.0 /* dev-burst-count: an extra trimmed pass (mpi/stv_dist.c) */
#define LE_DEV_THRESHOLD 3.0f
#define LE_DEV_WEIGHT 1.0f
#define LE_ERR_WEIGHT 1.0f
#define LE_DEV_COLS 3 /* count, sum x, sum x^2 */

/* log1p of each span's self time (spans in preorder): its duration minus
 * the time covered by the union of its children's intervals inside it.
 * Children that run in parallel (a frontend fanning out) overlap; summing
 * their durations would exceed the parent's and erase its own time, so a
 * slow frontend would not show. scratch: [2n + 1]. */
void le_dev_selftime(const int32_t *parent, const int64_t *start_us, const int64_t *duration_us, int64_t n_spans,
                     int64_t *scratch, float *out);

/* Add the spans of one trace to sums [n_voc x LE_DEV_COLS]; with mean and
 * std given, only spans whose |z| < LE_DEV_TRIM (the trimmed pass). */
void le_dev_stats_add(int64_t *sums, const int32_t *pidx, const float *x, int64_t n_spans, const float *mean,
                      const float *std);
/* mean/std per path from the sums; std floored at 0.1 (a path whose time
 * never varies must not turn noise into deviations). */
void le_dev_stats_finish(const int64_t *sums, int64_t n_voc, float *mean, float *std);

typedef struct le_dev_cfg {
    float thr, w_dev, w_err;
} le_dev_cfg;

/* One trace's deviation row: its dev block into dev [n_voc] and its
 * failure block into fail [n_voc] (fail = dev + n_voc: the row [2 x n_voc];
 * the tail vector keeps them apart). err[i]: span i failed. */
void le_dev_row(const int32_t *pidx, const float *x, const int8_t *err, int64_t n_spans, int64_t n_voc, const float *mean,
                const float *std, const le_dev_cfg *cfg, float *dev, float *fail);

/* ------------------------------------------------ call-count burst (COUNT)
 *
 * Beyond the paper. A service that answers OK with wrong content (an empty
 * list the caller iterates over) leaves no slow or failed span: its traces
 * only lack calls that normal ones make (fewer product lookups after an
 * empty recommendation list). Raw call counts do not help: many normal
 * traces have unusual counts (a long cart, a page cut short by a benign
 * error). What sets a fault apart is again that it is bursty in time. Per
 * root call path r (the page) and call path j, over the traces with root r:
 *   mean_rj, std_rj of the number of spans with path j (0 where absent),
 *     then again over the traces within LE_CNT_TRIM std of that mean, so
 *     that the faults do not widen the norm;
 *   z_j = (count_j - mean_rj) / max(std_rj, LE_CNT_STD_FLOOR);
 * a trace has the components "j low" (z_j < -LE_CNT_THRESHOLD) and "j high"
 * (z_j > LE_CNT_THRESHOLD), kept apart because too many calls is common
 * and harmless (a long cart) where too few is rare. The vector gets only
 * the burst part of these components (algos le_burst_*, over 2 x n_voc
 * components), per path the larger of low and high: never the counts. */
#define LE_CNT_TRIM 3.0
#define LE_CNT_STD_FLOOR 0.5
#define LE_CNT_THRESHOLD 2.0
#define LE_CNT_COLS 3 /* traces, sum count, sum count^2 */

/* cnt [n_voc]: spans of each path in one trace (unknown paths skipped). */
void le_count_paths(const int32_t *pidx, int64_t n_spans, int64_t n_voc, int32_t *cnt);

/* Add one trace's counts cnt [d] to sums [d x LE_CNT_COLS] (the sums of its
 * root path); with mean and std given, only the paths whose count is within
 * LE_CNT_TRIM std of the mean (the trimmed pass). */
void le_count_stats_add(int64_t *sums, const int32_t *cnt, int64_t d, const double *mean, const double *std);
/* mean/std [d] from sums; the std is not floored here (the trim needs the
 * true spread: a count that never varies keeps only its exact value). */
void le_count_stats_finish(const int64_t *sums, int64_t d, double *mean, double *std);

/* One trace's components as a row comp [2 x d], one block of 2d
 * components for le_burst_count and le_burst_row: [low (d) | high (d)]. */
void le_count_sides(const int32_t *cnt, int64_t d, const double *mean, const double *std, float *comp);

#endif
