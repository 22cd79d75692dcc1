/* tail: per operation, how far a span's self time lies beyond the far tail
 * of what that operation usually does, its failures, and call structures
 * that are rare for it (no MPI; over ranks: mpi/tail_dist.h).
 *
 * Beyond the paper, for faults that show only as latency on real systems
 * (docs/labeling.md "The default representation"). The deviation vector of
 * algos/stv.h measures a self time in standard deviations of its call
 * path's log time, which suits tight, roughly log-normal spread; real
 * services have heavy tails (a product lookup is 4 ms or 90 ms, both
 * ordinary), and there half of the traces get some z above 3. A quantile
 * says the same thing without a shape: a span is in the tail of its
 * operation when its self time (duration less its direct children's
 * durations, clamped at 0) is above the LE_TAIL_QUANTILE quantile of that
 * operation's self times.
 *
 * The quantile must come from the operation's ordinary behaviour, not from
 * its faults: a fault that slows a service for five minutes puts a few
 * percent of the operation's spans above any high quantile of the whole
 * corpus. So the spans are binned in time (the burst bins, LE_BURST_BIN_US of
 * algos/burst.h, widened on long corpora) and a (operation,
 * bin) cell whose spans exceed the LE_TAIL_DETECT_QUANTILE quantile far more
 * often than that quantile allows (at least LE_TAIL_BURST_MIN of them and
 * over LE_TAIL_BURST_FACTOR times the expected count) is left out; the
 * quantiles are recomputed over the cells kept, LE_TAIL_TRIM_ROUNDS times.
 *
 * A trace's row has three blocks of one column per operation, each the
 * largest over the trace's spans of that operation:
 *   tail:  1 + log2(self / threshold) where self > threshold, else 0
 *          (the 1 sets a tail span apart from every ordinary one; the log
 *          keeps a 50x stall from pulling centres apart by magnitude)
 *   error: 1 where the span failed (error flag or status >= 500)
 *   rare:  1 where the span's call structure (algos/truth.h) occurs at most
 *          LE_TAIL_RARE_MAX times in the corpus, or in less than
 *          LE_TAIL_RARE_SHARE of the operation's spans (a wrong answer that
 *          skips a call, an exception cutting a subtree). */
#ifndef LE_TAIL_H
#define LE_TAIL_H

#include <stdint.h>

#define LE_TAIL_QUANTILE 0.999
#define LE_TAIL_DETECT_QUANTILE 0.99
#define LE_TAIL_TRIM_ROUNDS 2
#define LE_TAIL_BURST_MIN 3
#define LE_TAIL_BURST_FACTOR 5.0
#define LE_TAIL_RARE_MAX 2
#define LE_TAIL_RARE_SHARE 0.01
#define LE_TAIL_BLOCKS 3 /* tail, error, rare */
/* In the default vector the call paths' deviation (algos/stv.h) follows at
 * this weight: it still sees moderate slow-downs under a tight spread, the
 * tail only what is beyond the far tail. */
#define LE_TAIL_DEV_WEIGHT 0.5f

/* The tail value of a self time against its operation's threshold. */
float le_tail_value(int64_t self, double threshold);

/* Whether a cell of n spans, e of them above the detection quantile q,
 * is bursting (left out of the next thresholds). */
int le_tail_cell_bursting(int64_t n, int64_t e, double q);

/* Whether a structure seen `count` times is rare for an operation with
 * op_count spans. */
int le_tail_rare(int64_t count, int64_t op_count);

/* One trace's row out [LE_TAIL_BLOCKS x n_ops] from its spans: operation,
 * self time (us, clamped at 0 by the caller or not: negatives never pass a
 * threshold), failed, rare structure; thr [n_ops] (+inf: no threshold). */
void le_tail_row(const int32_t *op, const int64_t *self, const int8_t *failed, const uint8_t *rare, int64_t n,
                 const double *thr, int32_t n_ops, float *out);

#endif
