#include "stv.h"

#include <math.h>
#include <stdlib.h>

#include "hash.h"
#include "le_base.h"

void le_callpath_ids(const int32_t *parent, const int32_t *operation, int64_t n_spans, uint64_t *id)
{
    for (int64_t i = 0; i < n_spans; i++) {
        uint64_t up = parent[i] >= 0 && parent[i] < i ? id[parent[i]] : 0x63616c6c70617468ULL; /* "callpath" */
        id[i] = le_mix64(up * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uint32_t)operation[i]);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Slot of v in an open-addressing set of cap (a power of two) slots. */
static int64_t set_slot(const uint64_t *slot, const uint8_t *used, int64_t cap, uint64_t v)
{
    int64_t h = (int64_t)(v & (uint64_t)(cap - 1)); /* ids are hashes already */
    while (used[h] && slot[h] != v) h = (h + 1) & (cap - 1);
    return h;
}

/* Moves the distinct ids to the front, in first-seen order. The set grows
 * with the distinct count, not with n: a shard has millions of spans but
 * few call paths, and sorting every span's id was most of the vocabulary's
 * time. */
static int64_t distinct_to_front(uint64_t *id, int64_t n)
{
    int64_t cap = 256, m = 0;
    uint64_t *slot = le_malloc(sizeof *slot * (size_t)cap);
    uint8_t *used = le_calloc((size_t)cap, 1);
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = id[i];
        int64_t h = set_slot(slot, used, cap, v);
        if (used[h]) continue;
        used[h] = 1, slot[h] = v, id[m++] = v;
        if (2 * m <= cap) continue;
        cap *= 2; /* rebuild from the distinct ids so far */
        free(slot), free(used);
        slot = le_malloc(sizeof *slot * (size_t)cap), used = le_calloc((size_t)cap, 1);
        for (int64_t j = 0; j < m; j++) {
            int64_t g = set_slot(slot, used, cap, id[j]);
            used[g] = 1, slot[g] = id[j];
        }
    }
    free(slot), free(used);
    return m;
}

int64_t le_callpath_unique(uint64_t *id, int64_t n)
{
    if (n <= 0) return 0;
    int64_t m = distinct_to_front(id, n);
    qsort(id, (size_t)m, sizeof *id, cmp_u64);
    return m;
}

int64_t le_callpath_find(const uint64_t *voc, int64_t n, uint64_t id)
{
    if (n <= 0) return -1;
    /* Branch-free lower bound (the step compiles to a conditional move):
     * called for every span several times, on ids whose order is random,
     * where a branchy search mispredicts about every other step. */
    const uint64_t *base = voc;
    for (int64_t len = n; len > 1; len -= len / 2) base = base[len / 2 - 1] < id ? base + len / 2 : base;
    int64_t lo = (base - voc) + (*base < id);
    return lo < n && voc[lo] == id ? lo : -1;
}

void le_welford_merge(le_welford *into, const le_welford *from)
{
    double n = into->n + from->n;
    if (n == 0) return;
    double dlt = from->mean - into->mean;
    into->mean += dlt * from->n / n;
    into->m2 += from->m2 + dlt * dlt * into->n * from->n / n;
    into->n = n;
}

double le_welford_std(const le_welford *w) { return w->n > 1 ? sqrt(w->m2 / w->n) : 0; }

void le_callpath_index(const uint64_t *ids, int64_t n, const uint64_t *voc, int64_t n_voc, int32_t *pidx)
{
    for (int64_t i = 0; i < n; i++) pidx[i] = (int32_t)le_callpath_find(voc, n_voc, ids[i]);
}

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

void le_dev_row(const int32_t *pidx, const float *x, const int8_t *err, int64_t n_spans, int64_t n_voc,
                const float *mean, const float *std, const le_dev_cfg *cfg, float *dev, float *fail)
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

/* Whether component j is present: > 0 in any of the blocks (a component
 * present in several blocks counts once). No early exit, and the callers
 * switch on blocks so that it is a constant here: the loops over j then
 * vectorise (most components of a trace are absent, and the burst passes
 * scan every one of them for every trace). */
static inline int present(const float *dev, int64_t stride, int blocks, int64_t j)
{
    int p = dev[j] > 0;
    for (int k = 1; k < blocks; k++) p |= dev[k * stride + j] > 0;
    return p;
}

#define LE_FOR_BLOCKS(blocks, body)                  \
    switch (blocks) {                                \
    case 1: { const int nbk_ = 1; body; } break;     \
    case 2: { const int nbk_ = 2; body; } break;     \
    case 3: { const int nbk_ = 3; body; } break;     \
    default: { const int nbk_ = blocks; body; } break; \
    }

void le_burst_count(const float *dev, int64_t d, int blocks, int64_t stride, int64_t bin, int64_t *cnt, int64_t *tot)
{
    tot[bin]++;
    int64_t *c = cnt + bin * d;
    LE_FOR_BLOCKS(blocks, for (int64_t j = 0; j < d; j++) c[j] += present(dev, stride, nbk_, j))
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void le_burst_base(const int64_t *cnt, const int64_t *tot, int64_t nb, int64_t d, double *scratch, double *base)
{
    le_burst_base_range(cnt, tot, nb, d, 0, d, scratch, base);
}

void le_burst_base_range(const int64_t *cnt, const int64_t *tot, int64_t nb, int64_t d, int64_t lo, int64_t hi,
                         double *scratch, double *base)
{
    for (int64_t j = lo; j < hi; j++) {
        int64_t m = 0;
        for (int64_t b = 0; b < nb; b++)
            if (tot[b] > 0) scratch[m++] = (double)cnt[b * d + j] / (double)tot[b];
        qsort(scratch, (size_t)m, sizeof *scratch, cmp_double);
        base[j] = m == 0 ? 0 : m % 2 ? scratch[m / 2] : 0.5 * (scratch[m / 2 - 1] + scratch[m / 2]);
    }
}

void le_burst_row(const float *dev, int64_t d, int blocks, int64_t stride, const int64_t *cnt_b, int64_t tot_b,
                  const double *base, float w, float *out)
{
    if (tot_b <= 0) {
        for (int64_t j = 0; j < d; j++) out[j] = 0;
        return;
    }
    /* out first holds which components are present (1 or 0), in one pass
     * that vectorises; the few present ones then get their value */
    LE_FOR_BLOCKS(blocks, for (int64_t j = 0; j < d; j++) out[j] = (float)present(dev, stride, nbk_, j))
    for (int64_t j = 0; j < d; j++)
        if (out[j] != 0) out[j] = le_burst_value(cnt_b[j], tot_b, base[j], w);
}

float le_burst_value(int64_t cnt, int64_t tot, double base, float w)
{
    double r = log2(((double)cnt / (double)tot + LE_BURST_EPS) / (base + LE_BURST_EPS));
    return r > 0 ? w * (float)r : 0;
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
