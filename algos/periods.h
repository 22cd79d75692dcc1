/* periods: fault periods from abnormal traces (LabelEase §III-D, §IV-B).
 *
 * Each abnormal trace contributes the interval [start, start + W]; intervals
 * that overlap or lie at most `gap` apart merge into one period. The merged
 * result is the same however the intervals are split before merging (a rank
 * may merge its own first and rank 0 merges the merged lists): a merged
 * period's holes are never wider than the gap, so anything that would join a
 * member joins the period and nothing else does. Counts add. No MPI here. */
#ifndef LE_PERIODS_H
#define LE_PERIODS_H

#include <stdint.h>

typedef struct le_period {
    int64_t start_us, end_us; /* closed interval */
    int64_t n_traces;         /* abnormal traces whose intervals it merged */
} le_period;

/* Sort p by (start, end) and merge in place; returns the new count. */
int64_t le_periods_merge(le_period *p, int64_t n, int64_t gap_us);

/* Keep periods with at least min_traces traces (order kept); new count. */
int64_t le_periods_filter(le_period *p, int64_t n, int64_t min_traces);

/* Index of the period that contains t (periods sorted and disjoint), or -1. */
int64_t le_periods_find(const le_period *p, int64_t n, int64_t t_us);

/* ---- periods from the rate of abnormal traces (docs/rootcause.md) ----
 *
 * Time is cut into bins; a bin is hot when its abnormal traces are more
 * than the normal share of its traffic explains (a Poisson tail below
 * alpha). A few percent of wrong labels raise the normal share instead of
 * opening periods of their own, and a period needs bins, not one trace. */

/* Traffic of one time bin [index * width, (index + 1) * width). */
typedef struct le_bin {
    int64_t index;
    int64_t n, abnormal; /* traces that start in it; abnormal among them */
} le_bin;

/* P(X >= k) for X ~ Poisson(lambda); 1 when k <= lambda (no excess). */
double le_poisson_sf(int64_t k, double lambda);

/* The abnormal share of normal traffic: the q-quantile of the bins'
 * shares (bins with traffic), at least floor. */
double le_bins_baseline(const le_bin *b, int64_t n, double q, double floor);

/* The abnormal share of the bins with no abnormal trace in the k bins on
 * either side: wrong labels fall on traces independently of time, so the
 * share of a bin does not depend on its neighbours being empty, while a
 * fault's abnormal traces come together and leave few such bins. This
 * reads a background of wrong labels too thin for the quantile (under one
 * a bin: most bins hold none, and the quantile reads 0). k is the largest
 * power of 2 up to max_k whose bins hold at least min_traffic traces (1
 * when none does); 0 without such bins. */
double le_bins_isolated_share(const le_bin *b, int64_t n, int64_t max_k, int64_t min_traffic);

/* The rate rule's normal share: the larger of the two readings above (the
 * q-quantile at least floor, and the isolated share). */
double le_bins_normal_share(const le_bin *b, int64_t n, double q, double floor, int64_t max_k, int64_t min_traffic);

/* Bin width (a multiple of base_us, at most max_us) that holds about
 * target traces on average: n_traces over span_us. */
int64_t le_bin_width(int64_t span_us, int64_t n_traces, int64_t target, int64_t base_us, int64_t max_us);

/* P(X <= k) for X ~ Poisson(lambda). */
double le_poisson_cdf(int64_t k, double lambda);

/* The parts of periods from hot bins (b sorted by index, width_us wide):
 * a part is a run of adjacent hot bins, [first bin's start, last bin's
 * end - 1], n_traces its abnormal traces. A part joins the period of the
 * part before it when the cold bins between (at most max_hole_bins) hold
 * as many abnormal traces as that period's own abnormal share makes likely
 * (lower Poisson tail >= alpha); group[k] is part k's period, 0, 1, ...
 * in order. *parts and *group allocated; returns the number of parts. */
int64_t le_periods_from_bins(const le_bin *b, int64_t n, int64_t width_us, double baseline, double alpha,
                             int64_t max_hole_bins, le_period **parts, int64_t **group);

/* ---- periods made of parts (part sorted, group nondecreasing) ---- */

/* Join consecutive periods whose parts are at most gap_us apart; renumbers
 * group, returns the number of periods. */
int64_t le_groups_merge_gap(const le_period *part, int64_t *group, int64_t n, int64_t gap_us);

/* Drop the parts with fewer than min_traces abnormal traces (a period
 * keeps its number while it has parts left; le_groups_merge_gap renumbers);
 * returns the parts left. */
int64_t le_parts_filter(le_period *part, int64_t *group, int64_t n, int64_t min_traces);

/* Drop the periods whose parts hold fewer than min_traces abnormal traces
 * (parts compacted, periods renumbered); returns the parts left. */
int64_t le_groups_filter(le_period *part, int64_t *group, int64_t n, int64_t min_traces);

/* Each period's extent (first part's start, last part's end) and abnormal
 * traces; *out allocated; returns the number of periods. */
int64_t le_groups_extent(const le_period *part, const int64_t *group, int64_t n, le_period **out);

/* One part per period, the period's whole extent (the window rule, and files
 * written before parts): *parts and *group are new arrays; returns P. */
int64_t le_parts_whole(const le_period *per, int64_t P, le_period **parts, int64_t **group);

/* Length of the overlap of [a0, a1] and [b0, b1] (0 when disjoint). */
int64_t le_overlap_us(int64_t a0, int64_t a1, int64_t b0, int64_t b1);

/* The period that overlaps [t0, t1] the most (earliest on ties), or -1. */
int64_t le_periods_best_overlap(const le_period *p, int64_t n, int64_t t0, int64_t t1);

#endif
