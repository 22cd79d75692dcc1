#include "quantile.h"

#include <math.h>
#include <stdlib.h>

#include "le_base.h"

void le_quantile_ranks(int64_t n, double q, int64_t *k, double *frac)
{
    double h = (double)(n - 1) * q;
    *k = (int64_t)floor(h);
    if (*k >= n - 1) {
        *k = n - 1, *frac = 0;
        return;
    }
    *frac = h - (double)*k;
}

double le_quantile_sorted(const int64_t *x, int64_t n, double q)
{
    int64_t k;
    double frac;
    le_quantile_ranks(n, q, &k, &frac);
    return frac > 0 ? (double)x[k] + frac * ((double)x[k + 1] - (double)x[k]) : (double)x[k];
}

int64_t le_count_le_sorted(const int64_t *x, int64_t n, int64_t v)
{
    int64_t lo = 0, hi = n;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (x[mid] <= v)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

void le_sort_u64(uint64_t *x, int64_t n, uint64_t *scratch)
{
    enum { BITS = 11, R = 1 << BITS };
    uint64_t top = 0;
    for (int64_t i = 0; i < n; i++) top |= x[i];
    int64_t cnt[R]; /* 16 KiB: on the stack, as this runs once an operation */
    uint64_t *a = x, *b = scratch;
    for (int shift = 0; shift < 64 && (top >> shift); shift += BITS) {
        for (int d = 0; d < R; d++) cnt[d] = 0;
        for (int64_t i = 0; i < n; i++) cnt[(a[i] >> shift) & (R - 1)]++;
        if (n == 0 || cnt[(a[0] >> shift) & (R - 1)] == n) continue; /* one digit: nothing moves */
        for (int64_t d = 0, sum = 0; d < R; d++) {
            int64_t c = cnt[d];
            cnt[d] = sum, sum += c;
        }
        for (int64_t i = 0; i < n; i++) b[cnt[(a[i] >> shift) & (R - 1)]++] = a[i];
        uint64_t *t = a;
        a = b, b = t;
    }
    if (a != x)
        for (int64_t i = 0; i < n; i++) x[i] = a[i];
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

void le_sort_i64(int64_t *x, int64_t n)
{
    if (n > 1) qsort(x, (size_t)n, sizeof *x, cmp_i64);
}
