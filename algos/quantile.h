/* quantile: quantiles of integer samples by linear interpolation between
 * order statistics (numpy's default), and the counting step of finding an
 * order statistic by bisection (no MPI; over ranks: mpi/quantile_dist.h). */
#ifndef LE_QUANTILE_H
#define LE_QUANTILE_H

#include <stdint.h>

/* For n > 0 values and 0 <= q <= 1: with h = (n - 1) q, the q quantile is
 * x(k) + frac (x(k+1) - x(k)), x(i) the i-th smallest (from 0), k = floor(h),
 * frac = h - k; frac is 0 when k = n - 1. */
void le_quantile_ranks(int64_t n, double q, int64_t *k, double *frac);

/* The q quantile of x [n] sorted ascending (n > 0). */
double le_quantile_sorted(const int64_t *x, int64_t n, double q);

/* Values of x [n] (sorted ascending) that are <= v. */
int64_t le_count_le_sorted(const int64_t *x, int64_t n, int64_t v);

/* Sort int64 values ascending. */
void le_sort_i64(int64_t *x, int64_t n);

/* Sort uint64 values ascending: LSD radix sort on 11-bit digits (their
 * counts stay in the L1 cache), as many passes as the largest value has
 * digits, a pass skipped where every value has the same digit. scratch
 * holds n values. */
void le_sort_u64(uint64_t *x, int64_t n, uint64_t *scratch);

#endif
