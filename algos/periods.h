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

/* Length of the overlap of [a0, a1] and [b0, b1] (0 when disjoint). */
int64_t le_overlap_us(int64_t a0, int64_t a1, int64_t b0, int64_t b1);

/* The period that overlaps [t0, t1] the most (earliest on ties), or -1. */
int64_t le_periods_best_overlap(const le_period *p, int64_t n, int64_t t0, int64_t t1);

#endif
