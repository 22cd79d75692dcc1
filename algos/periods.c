#include "periods.h"

#include <stdlib.h>

static int by_start(const void *a, const void *b)
{
    const le_period *x = a, *y = b;
    if (x->start_us != y->start_us) return x->start_us < y->start_us ? -1 : 1;
    if (x->end_us != y->end_us) return x->end_us < y->end_us ? -1 : 1;
    return 0;
}

int64_t le_periods_merge(le_period *p, int64_t n, int64_t gap_us)
{
    if (n <= 0) return 0;
    qsort(p, (size_t)n, sizeof *p, by_start);
    int64_t m = 0;
    for (int64_t i = 1; i < n; i++) {
        /* Sorted by start, so only the last merged period can absorb p[i]. */
        if (p[i].start_us <= p[m].end_us + gap_us) {
            if (p[i].end_us > p[m].end_us) p[m].end_us = p[i].end_us;
            p[m].n_traces += p[i].n_traces;
        } else {
            p[++m] = p[i];
        }
    }
    return m + 1;
}

int64_t le_periods_filter(le_period *p, int64_t n, int64_t min_traces)
{
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (p[i].n_traces >= min_traces) p[m++] = p[i];
    return m;
}

int64_t le_periods_find(const le_period *p, int64_t n, int64_t t_us)
{
    int64_t lo = 0, hi = n; /* first period whose end >= t */
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (p[mid].end_us < t_us)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < n && p[lo].start_us <= t_us ? lo : -1;
}

int64_t le_overlap_us(int64_t a0, int64_t a1, int64_t b0, int64_t b1)
{
    int64_t lo = a0 > b0 ? a0 : b0, hi = a1 < b1 ? a1 : b1;
    return hi > lo ? hi - lo : 0;
}

int64_t le_periods_best_overlap(const le_period *p, int64_t n, int64_t t0, int64_t t1)
{
    int64_t best = -1, best_len = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t len = le_overlap_us(p[i].start_us, p[i].end_us, t0, t1);
        /* A zero-length window inside a period still counts as covered. */
        if (len == 0 && t0 == t1 && p[i].start_us <= t0 && t0 <= p[i].end_us) len = 1;
        if (len > best_len) best = i, best_len = len;
    }
    return best;
}
