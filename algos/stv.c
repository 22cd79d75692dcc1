#include "stv.h"

#include <math.h>
#include <stdlib.h>

void le_stv_raw(const int32_t *pidx, const int64_t *duration_us, int64_t n_spans, int64_t n_voc, float *out)
{
    for (int64_t j = 0; j < n_voc; j++) out[j] = -1;
    for (int64_t i = 0; i < n_spans; i++) {
        int64_t j = pidx[i];
        float ms = (float)((double)duration_us[i] / 1000.0);
        if (j >= 0 && ms > out[j]) out[j] = ms;
    }
}

void le_stv_standardise(float *x, int64_t n, int64_t d, const double *mean, const double *inv_std)
{
    for (int64_t i = 0; i < n; i++) {
        float *r = x + i * d;
        for (int64_t j = 0; j < d; j++) r[j] = (float)((r[j] - mean[j]) * inv_std[j]);
    }
}

/* Time within [lo, hi) covered by the intervals of spans c[0..m), which
 * are sorted by start in place (insertion sort: sibling groups are small). */
static int64_t covered_us(int64_t *c, int64_t m, const int64_t *start, const int64_t *dur, int64_t lo, int64_t hi)
{
    for (int64_t a = 1; a < m; a++)
        for (int64_t b = a; b > 0 && start[c[b]] < start[c[b - 1]]; b--) {
            int64_t t = c[b];
            c[b] = c[b - 1], c[b - 1] = t;
        }
    int64_t total = 0, end = lo; /* covered up to end */
    for (int64_t a = 0; a < m; a++) {
        int64_t s = start[c[a]] > end ? start[c[a]] : end, e = start[c[a]] + (dur[c[a]] > 0 ? dur[c[a]] : 0);
        if (e > hi) e = hi;
        if (e > s) total += e - s, end = e;
    }
    return total;
}

void le_dev_selftime(const int32_t *parent, const int64_t *start_us, const int64_t *duration_us, int64_t n_spans,
                     int64_t *scratch, float *out)
{
    /* children grouped by parent (counting sort): group p is kid[first[p] .. first[p + 1]) */
    int64_t *first = scratch, *kid = scratch + n_spans + 1;
    for (int64_t i = 0; i <= n_spans; i++) first[i] = 0;
    for (int64_t i = 0; i < n_spans; i++)
        if (parent[i] >= 0 && parent[i] < i) first[parent[i] + 1]++;
    for (int64_t i = 0; i < n_spans; i++) first[i + 1] += first[i];
    for (int64_t i = 0; i < n_spans; i++) /* first[p] is the next free slot of group p meanwhile */
        if (parent[i] >= 0 && parent[i] < i) kid[first[parent[i]]++] = i;
    for (int64_t p = n_spans; p > 0; p--) first[p] = first[p - 1]; /* restore the group starts */
    first[0] = 0;
    for (int64_t i = 0; i < n_spans; i++) {
        int64_t lo = start_us[i], hi = lo + (duration_us[i] > 0 ? duration_us[i] : 0);
        int64_t self = hi - lo - covered_us(kid + first[i], first[i + 1] - first[i], start_us, duration_us, lo, hi);
        out[i] = (float)log1p(self > 0 ? (double)self : 0.0);
    }
}

void le_dev_stats_add(int64_t *sums, const int32_t *pidx, const float *x, int64_t n_spans, const float *mean,
                      const float *std)
{
    for (int64_t i = 0; i < n_spans; i++) {
        int64_t j = pidx[i];
        if (j < 0) continue;
        if (mean && fabsf((x[i] - mean[j]) / std[j]) >= LE_DEV_TRIM) continue;
        int64_t *s = sums + j * LE_DEV_COLS;
        double v = x[i];
        s[0] += 1, s[1] += llrint(v * LE_DEV_FIX), s[2] += llrint(v * v * LE_DEV_FIX);
    }
}

void le_dev_stats_finish(const int64_t *sums, int64_t n_voc, float *mean, float *std)
{
    for (int64_t j = 0; j < n_voc; j++) {
        const int64_t *s = sums + j * LE_DEV_COLS;
        double n = s[0] > 0 ? (double)s[0] : 1.0, m = (double)s[1] / LE_DEV_FIX / n;
        double var = (double)s[2] / LE_DEV_FIX / n - m * m;
        mean[j] = (float)m, std[j] = (float)sqrt(var > 0.01 ? var : 0.01);
    }
}

void le_dev_row(const int32_t *pidx, const float *x, const int8_t *err, int64_t n_spans, int64_t n_voc, const float *mean,
                const float *std, const le_dev_cfg *cfg, float *dev, float *fail)
{
    for (int64_t j = 0; j < n_voc; j++) dev[j] = 0, fail[j] = 0;
    for (int64_t i = 0; i < n_spans; i++) {
        int64_t j = pidx[i];
        if (j < 0) continue;
        float z = (x[i] - mean[j]) / std[j] - cfg->thr;
        float d = z > 0 ? cfg->w_dev * log1pf(z) : 0;
        if (d > dev[j]) dev[j] = d;
        if (err[i]) fail[j] = cfg->w_err;
    }
}

void le_count_paths(const int32_t *pidx, int64_t n_spans, int64_t n_voc, int32_t *cnt)
{
    for (int64_t j = 0; j < n_voc; j++) cnt[j] = 0;
    for (int64_t i = 0; i < n_spans; i++) {
        int64_t j = pidx[i];
        if (j >= 0) cnt[j]++;
    }
}

void le_count_stats_add(int64_t *sums, const int32_t *cnt, int64_t d, const double *mean, const double *std)
{
    for (int64_t j = 0; j < d; j++) {
        int64_t c = cnt[j];
        if (mean && fabs((double)c - mean[j]) > LE_CNT_TRIM * std[j]) continue;
        int64_t *s = sums + j * LE_CNT_COLS;
        s[0] += 1, s[1] += c, s[2] += c * c;
    }
}

void le_count_stats_finish(const int64_t *sums, int64_t d, double *mean, double *std)
{
    for (int64_t j = 0; j < d; j++) {
        const int64_t *s = sums + j * LE_CNT_COLS;
        double n = s[0] > 0 ? (double)s[0] : 1.0, m = (double)s[1] / n, var = (double)s[2] / n - m * m;
        mean[j] = m, std[j] = var > 0 ? sqrt(var) : 0;
    }
}

void le_count_sides(const int32_t *cnt, int64_t d, const double *mean, const double *std, float *comp)
{
    for (int64_t j = 0; j < 2 * d; j++) comp[j] = 0;
    for (int64_t j = 0; j < d; j++) {
        double z = ((double)cnt[j] - mean[j]) / (std[j] > LE_CNT_STD_FLOOR ? std[j] : LE_CNT_STD_FLOOR);
        if (z < -LE_CNT_THRESHOLD) comp[j] = 1;
        if (z > LE_CNT_THRESHOLD) comp[d + j] = 1;
    }
}
