#include "periods.h"

#include <math.h>
#include <stdlib.h>

#include "le_base.h"

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

double le_poisson_sf(int64_t k, double lambda)
{
    if (k <= 0 || (double)k <= lambda) return 1;
    if (lambda <= 0) return 0;
    /* The tail from k on: terms fall by lambda / (i + 1) < 1 past k > lambda. */
    double term = exp(-lambda + (double)k * log(lambda) - lgamma((double)k + 1)), sum = 0;
    for (int64_t i = k; term > sum * 1e-17 && i < k + 100000; i++) {
        sum += term;
        term *= lambda / (double)(i + 1);
    }
    return sum < 1 ? sum : 1;
}

static int by_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

double le_bins_baseline(const le_bin *b, int64_t n, double q, double floor)
{
    double *share = le_malloc(sizeof *share * (size_t)(n + 1));
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (b[i].n > 0) share[m++] = (double)b[i].abnormal / (double)b[i].n;
    double r = 0;
    if (m) {
        qsort(share, (size_t)m, sizeof *share, by_double);
        r = share[(int64_t)(q * (double)(m - 1))];
    }
    free(share);
    return r > floor ? r : floor;
}

/* The share in the bins with no abnormal trace in the k bins either side
 * (bins absent from b hold nothing); *traffic their traces. */
static double isolated_share_k(const le_bin *b, int64_t n, int64_t k, int64_t *traffic)
{
    int64_t tn = 0, ta = 0, lo = 0, hi = 0, abn = 0; /* abn: abnormal traces in bins [lo, hi) */
    for (int64_t i = 0; i < n; i++) {
        for (; hi < n && b[hi].index <= b[i].index + k; hi++) abn += b[hi].abnormal;
        for (; b[lo].index < b[i].index - k; lo++) abn -= b[lo].abnormal;
        if (abn == b[i].abnormal) tn += b[i].n, ta += b[i].abnormal;
    }
    *traffic = tn;
    return tn ? (double)ta / (double)tn : 0;
}

double le_bins_isolated_share(const le_bin *b, int64_t n, int64_t max_k, int64_t min_traffic)
{
    int64_t k = 1, traffic = 0;
    while (2 * k <= max_k) k *= 2;
    for (;; k /= 2) {
        double r = isolated_share_k(b, n, k, &traffic);
        if (traffic >= min_traffic || k == 1) return r;
    }
}

double le_bins_normal_share(const le_bin *b, int64_t n, double q, double floor, int64_t max_k, int64_t min_traffic)
{
    double quantile = le_bins_baseline(b, n, q, floor), thin = le_bins_isolated_share(b, n, max_k, min_traffic);
    return thin > quantile ? thin : quantile;
}

int64_t le_bin_width(int64_t span_us, int64_t n_traces, int64_t target, int64_t base_us, int64_t max_us)
{
    if (n_traces <= 0 || span_us <= 0) return base_us;
    double w = (double)target * (double)span_us / (double)n_traces;
    double k = ceil(w / (double)base_us);
    if (k < 1) k = 1;
    if (k * (double)base_us > (double)max_us) return max_us / base_us * base_us;
    return (int64_t)k * base_us;
}

double le_poisson_cdf(int64_t k, double lambda)
{
    if (k < 0) return 0;
    if ((double)k >= lambda) return 1 - (k + 1 <= lambda ? 1 : le_poisson_sf(k + 1, lambda));
    /* Below the mean: terms from k down fall by i / lambda < 1. */
    double term = exp(-lambda + (double)k * log(lambda) - lgamma((double)k + 1)), sum = 0;
    for (int64_t i = k; i >= 0 && term > sum * 1e-17; i--) {
        sum += term;
        term *= (double)i / lambda;
    }
    return sum < 1 ? sum : 1;
}

int64_t le_periods_from_bins(const le_bin *b, int64_t n, int64_t width_us, double baseline, double alpha,
                             int64_t max_hole_bins, le_period **parts, int64_t **group)
{
    le_period *p = le_malloc(sizeof *p * (size_t)(n + 1));
    int64_t *g = le_malloc(sizeof *g * (size_t)(n + 1));
    int64_t m = 0, last = 0, per_n = 0, per_a = 0, hole_n = 0, hole_a = 0;
    for (int64_t i = 0; i < n; i++) {
        if (le_poisson_sf(b[i].abnormal, baseline * (double)b[i].n) >= alpha) {
            hole_n += b[i].n, hole_a += b[i].abnormal;
            continue;
        }
        if (m && b[i].index == last + 1) { /* the run goes on */
            p[m - 1].end_us = (b[i].index + 1) * width_us - 1;
            p[m - 1].n_traces += b[i].abnormal;
        } else {
            /* A hole the period's own abnormal share explains (a weak fault
             * leaves bins without abnormal traces) does not end the period;
             * the hole itself stays outside its parts. */
            double share = per_n ? (double)per_a / (double)per_n : 0;
            int same =
                m && b[i].index - last - 1 <= max_hole_bins && le_poisson_cdf(hole_a, share * (double)hole_n) >= alpha;
            g[m] = !m ? 0 : g[m - 1] + !same;
            if (same)
                per_n += hole_n, per_a += hole_a;
            else
                per_n = 0, per_a = 0;
            p[m++] = (le_period){b[i].index * width_us, (b[i].index + 1) * width_us - 1, b[i].abnormal};
        }
        per_n += b[i].n, per_a += b[i].abnormal;
        hole_n = 0, hole_a = 0;
        last = b[i].index;
    }
    *parts = p, *group = g;
    return m;
}

int64_t le_groups_merge_gap(const le_period *part, int64_t *group, int64_t n, int64_t gap_us)
{
    int64_t id = -1;
    for (int64_t k = 0; k < n; k++) {
        int joins = k && part[k].start_us <= part[k - 1].end_us + gap_us;
        int64_t was = group[k];
        group[k] = joins ? id : ++id;
        /* the rest of this group follows its first part */
        while (k + 1 < n && group[k + 1] == was) group[++k] = id;
    }
    return id + 1;
}

int64_t le_parts_filter(le_period *part, int64_t *group, int64_t n, int64_t min_traces)
{
    int64_t m = 0;
    for (int64_t k = 0; k < n; k++)
        if (part[k].n_traces >= min_traces) part[m] = part[k], group[m++] = group[k];
    return m;
}

int64_t le_groups_filter(le_period *part, int64_t *group, int64_t n, int64_t min_traces)
{
    int64_t m = 0, id = -1;
    for (int64_t k = 0; k < n;) {
        int64_t e = k, total = 0;
        while (e < n && group[e] == group[k]) total += part[e++].n_traces;
        if (total >= min_traces) {
            id++;
            for (; k < e; k++) part[m] = part[k], group[m++] = id;
        }
        k = e;
    }
    return m;
}

int64_t le_groups_extent(const le_period *part, const int64_t *group, int64_t n, le_period **out)
{
    int64_t P = n ? group[n - 1] + 1 : 0;
    le_period *p = le_malloc(sizeof *p * (size_t)(P + 1));
    for (int64_t k = 0; k < n; k++) {
        le_period *q = &p[group[k]];
        if (!k || group[k] != group[k - 1])
            *q = part[k];
        else
            q->end_us = part[k].end_us, q->n_traces += part[k].n_traces;
    }
    *out = p;
    return P;
}

int64_t le_parts_whole(const le_period *per, int64_t P, le_period **parts, int64_t **group)
{
    le_period *p = le_malloc(sizeof *p * (size_t)(P + 1));
    int64_t *g = le_malloc(sizeof *g * (size_t)(P + 1));
    for (int64_t k = 0; k < P; k++) p[k] = per[k], g[k] = k;
    *parts = p, *group = g;
    return P;
}
