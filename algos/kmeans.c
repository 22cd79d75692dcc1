#include "kmeans.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "le_base.h"
#include "rng.h"

double le_km_uniform(uint64_t seed, uint64_t index, uint32_t domain, uint32_t n)
{
    le_rng r;
    le_rng_init(&r, seed, index, domain);
    r.ctr[2] = n; /* jump straight to the n-th block of the stream */
    return le_rng_uniform(&r);
}

void le_km_row_norms(const float *x, int64_t n, int d, float *norm2)
{
    for (int64_t i = 0; i < n; i++) {
        const float *r = x + i * d;
        float s = 0;
        for (int j = 0; j < d; j++) s += r[j] * r[j];
        norm2[i] = s;
    }
}

void le_km_normalize_rows(float *x, int64_t n, int d)
{
    for (int64_t i = 0; i < n; i++) {
        float *r = x + i * d;
        double s = 0;
        for (int j = 0; j < d; j++) s += (double)r[j] * r[j];
        if (s <= 0) continue;
        float inv = (float)(1.0 / sqrt(s));
        for (int j = 0; j < d; j++) r[j] *= inv;
    }
}

/* Argmin over one row of -2 x.c (already in dots) + |c|^2: the minimum in
 * eight independent lanes (no branch, no loop-carried wait: 8-10% off the
 * Lloyd iteration, bench/kmeans.sh), then the first index that holds it — the
 * same answer, ties and all, as one scan keeping the first smaller value. A
 * row whose first value is NaN keeps index 0, as that scan did. */
static inline int argmin_row(const float *dots, const float *cnorm, int k, float *best)
{
    float m[8];
    int j = 0;
    for (int l = 0; l < 8; l++) m[l] = dots[0] + cnorm[0];
    for (; j + 8 <= k; j += 8)
        for (int l = 0; l < 8; l++) {
            float v = dots[j + l] + cnorm[j + l];
            m[l] = v < m[l] ? v : m[l];
        }
    for (; j < k; j++) {
        float v = dots[j] + cnorm[j];
        m[0] = v < m[0] ? v : m[0];
    }
    for (int l = 1; l < 8; l++) m[0] = m[l] < m[0] ? m[l] : m[0];
    *best = m[0];
    for (j = 0; j < k; j++)
        if (dots[j] + cnorm[j] == m[0]) return j;
    return 0; /* m[0] is NaN */
}

/* Scratch of the split product: a block's rows regrouped. */
typedef struct split_ws {
    float *rows; /* [LE_KM_BLOCK x d] */
    float *dots; /* [LE_KM_BLOCK x k] */
} split_ws;

static void split_ws_init(split_ws *w, int d, int k)
{
    w->rows = le_malloc(sizeof(float) * (size_t)LE_KM_BLOCK * (size_t)d);
    w->dots = le_malloc(sizeof(float) * (size_t)LE_KM_BLOCK * (size_t)k);
}

static void split_ws_free(split_ws *w) { free(w->rows), free(w->dots); }

/* Columns up to the row's last non-zero one. */
static int row_length(const float *r, int d)
{
    int n = d;
    while (n > 0 && r[n - 1] == 0) n--;
    return n;
}

void le_km_row_lengths(const float *x, int64_t n, int d, int32_t *len)
{
    for (int64_t i = 0; i < n; i++) len[i] = row_length(x + i * d, d);
}

/* The head width h minimising rows_short * h + rows_long * d, where the
 * short rows are those no longer than h: a trace vector whose tail (the
 * deviation and burst parts) is zero for a normal trace then costs only
 * its head, 64 of 313 columns. len is sorted on return. */
static int best_head(int *len, int rows, int d)
{
    for (int i = 1; i < rows; i++) { /* insertion sort: rows <= LE_KM_BLOCK, mostly equal */
        int v = len[i], j = i;
        while (j > 0 && len[j - 1] > v) len[j] = len[j - 1], j--;
        len[j] = v;
    }
    int h = d;
    double cost = (double)rows * d;
    for (int i = 0; i < rows; i++) {
        double c = (double)(i + 1) * len[i] + (double)(rows - i - 1) * d;
        if (c < cost) cost = c, h = len[i];
    }
    /* a second sgemm call and the copies are not worth a small saving */
    return cost <= 0.75 * (double)rows * d ? h : d;
}

/* -2 x_i C^T for one block, row i's at dot[i]. Rows whose columns from h on
 * are all zero go through one sgemm over the first h columns, the others
 * through one over all d; the zero columns add nothing to a dot product,
 * so this only skips work (the sums are rounded as sgemm rounds any block).
 * lens: the rows' lengths, or NULL to find them here. */
static void block_dots(const float *x, const int32_t *lens, int64_t rows, int d, const float *c, int k, split_ws *w,
                       float *dots, const float **dot)
{
    int len[LE_KM_BLOCK], sorted[LE_KM_BLOCK];
    for (int64_t i = 0; i < rows; i++) sorted[i] = len[i] = lens ? lens[i] : row_length(x + i * d, d);
    int h = best_head(sorted, (int)rows, d);
    if (h == d) {
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, k, d, -2.0f, x, d, c, d, 0.0f, dots, k);
        for (int64_t i = 0; i < rows; i++) dot[i] = dots + i * k;
        return;
    }
    /* short rows packed h wide into w->rows, long ones d wide after them */
    int n_short = 0, n_long = 0;
    float *lng = w->rows + (size_t)LE_KM_BLOCK * (size_t)h;
    for (int64_t i = 0; i < rows; i++) {
        if (len[i] <= h)
            memcpy(w->rows + (size_t)n_short++ * h, x + i * d, sizeof(float) * (size_t)h);
        else
            memcpy(lng + (size_t)n_long++ * d, x + i * d, sizeof(float) * (size_t)d);
    }
    float *dl = w->dots + (size_t)n_short * k;
    if (n_short && h)
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n_short, k, h, -2.0f, w->rows, h, c, d, 0.0f, w->dots, k);
    else if (n_short)
        memset(w->dots, 0, sizeof(float) * (size_t)n_short * k);
    if (n_long) cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, n_long, k, d, -2.0f, lng, d, c, d, 0.0f, dl, k);
    n_short = n_long = 0;
    for (int64_t i = 0; i < rows; i++) dot[i] = len[i] <= h ? w->dots + (size_t)n_short++ * k : dl + (size_t)n_long++ * k;
}

/* One block of rows: dots = -2 X C^T by sgemm, then the argmin per row. */
static void nearest_block(const float *x, const int32_t *lens, const float *xnorm, int64_t rows, int d, const float *c,
                          const float *cnorm, int k, split_ws *w, float *dots, int32_t *assign, float *d2)
{
    const float *dot[LE_KM_BLOCK];
    block_dots(x, lens, rows, d, c, k, w, dots, dot);
    for (int64_t i = 0; i < rows; i++) {
        float best;
        assign[i] = argmin_row(dot[i], cnorm, k, &best);
        float v = xnorm[i] + best;
        d2[i] = v > 0 ? v : 0;
    }
}

void le_km_nearest_len(const float *x, const int32_t *len, const float *xnorm, int64_t n, int d, const float *c,
                       const float *cnorm, int k, float *work, int32_t *assign, float *d2)
{
    split_ws w;
    split_ws_init(&w, d, k);
    for (int64_t i0 = 0; i0 < n; i0 += LE_KM_BLOCK) {
        int64_t rows = n - i0 < LE_KM_BLOCK ? n - i0 : LE_KM_BLOCK;
        nearest_block(x + i0 * d, len ? len + i0 : NULL, xnorm + i0, rows, d, c, cnorm, k, &w, work, assign + i0, d2 + i0);
    }
    split_ws_free(&w);
}

void le_km_nearest(const float *x, const float *xnorm, int64_t n, int d, const float *c, const float *cnorm, int k,
                   float *work, int32_t *assign, float *d2)
{
    le_km_nearest_len(x, NULL, xnorm, n, d, c, cnorm, k, work, assign, d2);
}

double le_km_lloyd_local(const float *x, const float *xnorm, int64_t n, int d, const float *c, const float *cnorm, int k,
                         float *work, int32_t *assign, float *d2, double *acc)
{
    return le_km_lloyd_local_len(x, NULL, xnorm, n, d, c, cnorm, k, work, assign, d2, acc);
}

double le_km_lloyd_local_len(const float *x, const int32_t *len, const float *xnorm, int64_t n, int d, const float *c,
                             const float *cnorm, int k, float *work, int32_t *assign, float *d2, double *acc)
{
    double inertia = 0;
    double *count = acc + (int64_t)k * d;
    split_ws w;
    split_ws_init(&w, d, k);
    for (int64_t i0 = 0; i0 < n; i0 += LE_KM_BLOCK) {
        int64_t rows = n - i0 < LE_KM_BLOCK ? n - i0 : LE_KM_BLOCK;
        nearest_block(x + i0 * d, len ? len + i0 : NULL, xnorm + i0, rows, d, c, cnorm, k, &w, work, assign + i0, d2 + i0);
        /* Accumulate while the block is still in cache. */
        for (int64_t i = i0; i < i0 + rows; i++) {
            const float *r = x + i * d;
            double *s = acc + (int64_t)assign[i] * d;
            int used = len ? len[i] : d; /* the zero tail adds nothing */
            for (int j = 0; j < used; j++) s[j] += rintf(r[j] * LE_KM_FIX);
            count[assign[i]] += 1;
            inertia += d2[i];
        }
    }
    split_ws_free(&w);
    return inertia;
}

int le_km_update(const double *acc, int k, int d, float *c, float *cnorm, uint8_t *empty, double *max_shift)
{
    const double *count = acc + (int64_t)k * d;
    int n_empty = 0;
    double shift = 0;
    for (int j = 0; j < k; j++) {
        float *cj = c + (int64_t)j * d;
        empty[j] = count[j] == 0;
        if (empty[j]) {
            n_empty++;
            continue;
        }
        double inv = 1.0 / (count[j] * LE_KM_FIX), s = 0;
        for (int t = 0; t < d; t++) {
            float v = (float)(acc[(int64_t)j * d + t] * inv);
            s += ((double)v - cj[t]) * ((double)v - cj[t]);
            cj[t] = v;
        }
        if (s > shift) shift = s;
    }
    le_km_row_norms(c, k, d, cnorm);
    *max_shift = shift;
    return n_empty;
}

int64_t le_km_oversample(const float *d2, const int64_t *gidx, int64_t n, double phi, double l, uint64_t seed,
                         uint32_t round, int64_t *picked)
{
    int64_t m = 0;
    if (phi <= 0) return 0;
    for (int64_t i = 0; i < n; i++) {
        double p = l * d2[i] / phi;
        if (p > 0 && le_km_uniform(seed, (uint64_t)gidx[i], LE_KM_DRAW_ROUND, round) < p) picked[m++] = i;
    }
    return m;
}

static double sqdist(const float *a, const float *b, int d)
{
    double s = 0;
    for (int j = 0; j < d; j++) {
        double t = (double)a[j] - b[j];
        s += t * t;
    }
    return s;
}

double le_km_pp_slice_max(const double *w, const double *near, int64_t lo, int64_t hi)
{
    double m = 0;
    for (int64_t i = lo; i < hi; i++) {
        double v = w[i] * near[i];
        if (v > m) m = v;
    }
    return m;
}

int le_km_pp_bits(int64_t m)
{
    int b = 0;
    while (b < 63 && (INT64_C(1) << b) < m) b++; /* m <= 2^b */
    return b + LE_KM_PP_BITS <= 62 ? LE_KM_PP_BITS : 62 - b;
}

double le_km_pp_scale(double max_wnear, int64_t m)
{
    if (!(max_wnear > 0) || !isfinite(max_wnear)) return 0;
    int e;
    frexp(max_wnear, &e); /* max_wnear < 2^e */
    return ldexp(1.0, le_km_pp_bits(m) - e);
}

int64_t le_km_pp_slice_weights(const double *w, const double *near, int64_t lo, int64_t hi, int by_weight, double scale,
                               int64_t *q)
{
    int64_t sum = 0;
    for (int64_t i = lo; i < hi; i++) {
        /* scale is a power of two: w near scale is w near exactly, shifted */
        double v = by_weight ? w[i] : w[i] * near[i] * scale;
        q[i] = v > 0 ? llrint(v) : 0;
        sum += q[i];
    }
    return sum;
}

int64_t le_km_pp_target(int64_t total, int c, uint64_t seed)
{
    int64_t x = (int64_t)(le_km_uniform(seed, (uint64_t)c, LE_KM_DRAW_PP, 0) * (double)total);
    return x < total ? x : total - 1; /* (double)total may round up */
}

int64_t le_km_pp_find(const int64_t *q, int64_t lo, int64_t hi, int64_t before, int64_t x)
{
    int64_t run = before;
    if (x < before) return -1; /* in an earlier slice */
    for (int64_t i = lo; i < hi; i++) {
        run += q[i];
        if (x < run) return i;
    }
    return -1;
}

void le_km_pp_lower(const float *cand, const int32_t *len, int64_t lo, int64_t hi, int d, const float *centre, int32_t lc,
                    int first, double *near)
{
    /* Beyond both rows' last non-zero column the terms are 0 - 0: a
     * distance needs only the longer row's length. */
    for (int64_t i = lo; i < hi; i++) {
        double t = sqdist(cand + i * d, centre, len[i] > lc ? len[i] : lc);
        if (first || t < near[i]) near[i] = t;
    }
}

void le_km_pp_weighted(const float *cand, const double *w, int64_t m, int d, int k, uint64_t seed, float *centers,
                       double *work)
{
    double *near = work;                /* squared distance to the nearest centre */
    int64_t *q = (int64_t *)(work + m); /* the integer weights of a draw */
    int32_t *len = le_malloc(sizeof(int32_t) * (size_t)m);
    le_km_row_lengths(cand, m, d, len);
    double bound = 0; /* the scale's bound, as mpi/kmeans_dist.c has it: the previous pick's largest w near */
    for (int c = 0; c < k; c++) {
        if (c == 1) bound = le_km_pp_slice_max(w, near, 0, m);
        double scale = c ? le_km_pp_scale(bound, m) : 0;
        int64_t total = le_km_pp_slice_weights(w, near, 0, m, c == 0, scale, q);
        if (total <= 0) total = le_km_pp_slice_weights(w, near, 0, m, 1, 0, q); /* fewer distinct candidates than k */
        int64_t pick = le_km_pp_find(q, 0, m, 0, le_km_pp_target(total, c, seed));
        if (c) bound = le_km_pp_slice_max(w, near, 0, m);
        float *cc = centers + (int64_t)c * d;
        memcpy(cc, cand + pick * d, sizeof(float) * (size_t)d);
        if (c + 1 < k) le_km_pp_lower(cand, len, 0, m, d, cc, len[pick], c == 0, near);
    }
    free(len);
}

void le_km_nearest_naive(const float *x, int64_t n, int d, const float *c, int k, int32_t *assign, float *d2)
{
    for (int64_t i = 0; i < n; i++) {
        double best = DBL_MAX;
        int bj = 0;
        for (int j = 0; j < k; j++) {
            double s = sqdist(x + i * d, c + (int64_t)j * d, d);
            if (s < best) best = s, bj = j;
        }
        assign[i] = bj;
        d2[i] = (float)best;
    }
}

static int cmp_rep_cluster(const void *a, const void *b)
{
    const int64_t *x = a, *y = b;
    return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) : (x[1] > y[1]) - (x[1] < y[1]);
}

int le_km_clusters_by_rep(const int64_t *rep, int k, int *order)
{
    int64_t *pair = le_malloc(sizeof(int64_t) * 2 * (size_t)(k > 0 ? k : 1));
    int n = 0;
    for (int j = 0; j < k; j++)
        if (rep[j] >= 0) pair[2 * n] = rep[j], pair[2 * n + 1] = j, n++;
    qsort(pair, (size_t)n, 2 * sizeof(int64_t), cmp_rep_cluster);
    for (int i = 0; i < n; i++) order[i] = (int)pair[2 * i + 1];
    free(pair);
    return n;
}
