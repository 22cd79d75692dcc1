#include "spectral.h"

#include <cblas.h>
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kmeans.h"
#include "le_base.h"

/* ---- one process: the reductions are the identity ---- */

static int self_i64(int64_t *buf, int64_t n, void *ctx) { return 0; }
static int self_f64(double *buf, int64_t n, void *ctx) { return 0; }
const le_spec_reduce le_spec_reduce_self = {self_i64, self_f64, self_i64, NULL, 0, 1};

/* ---- fixed point ---- */

double le_spec_fixed_scale(double maxabs, int64_t n_terms)
{
    if (!(maxabs > 0) || n_terms < 1) return 0x1.0p32;
    /* 61 bits, not 63: each rounded term may add half a unit, and the
     * headroom keeps the final conversions exact. */
    int e = 61 - (int)ceil(log2(maxabs * (double)n_terms));
    return ldexp(1.0, e);
}

/* ---- anchors by hybrid selection ---- */

double le_spec_sample_prob(int64_t n_total, int p)
{
    double want = (double)LE_SPEC_OVERSAMPLE * p;
    return n_total <= 0 || want >= (double)n_total ? 1.0 : want / (double)n_total;
}

int le_spec_is_candidate(uint64_t seed, int64_t gidx, double prob)
{
    return prob >= 1.0 || le_km_uniform(seed, (uint64_t)gidx, LE_SPEC_DRAW_SAMPLE, 0) < prob;
}

void le_spec_init_anchors(const float *cand, int64_t m, int dim, int p, uint64_t seed, float *anchors)
{
    /* Partial Fisher-Yates: p distinct candidates, a function of seed. */
    int64_t *idx = le_malloc(sizeof(int64_t) * (size_t)m);
    for (int64_t i = 0; i < m; i++) idx[i] = i;
    for (int j = 0; j < p; j++) {
        int64_t t = j + (int64_t)(le_km_uniform(seed, (uint64_t)j, LE_SPEC_DRAW_ANCHOR_INIT, 0) * (double)(m - j));
        if (t >= m) t = m - 1;
        int64_t s = idx[j];
        idx[j] = idx[t], idx[t] = s;
        memcpy(anchors + (int64_t)j * dim, cand + idx[j] * dim, sizeof(float) * (size_t)dim);
    }
    free(idx);
}

void le_spec_update_anchors(const float *cand, int64_t m, int dim, const int32_t *assign, int p, float *anchors)
{
    double *sum = le_calloc((size_t)p * dim, sizeof(double));
    int64_t *count = le_calloc((size_t)p, sizeof(int64_t));
    for (int64_t i = 0; i < m; i++) {
        double *s = sum + (int64_t)assign[i] * dim;
        for (int t = 0; t < dim; t++) s[t] += cand[i * dim + t];
        count[assign[i]]++;
    }
    for (int j = 0; j < p; j++)
        if (count[j])
            for (int t = 0; t < dim; t++) anchors[(int64_t)j * dim + t] = (float)(sum[(int64_t)j * dim + t] / count[j]);
    free(sum);
    free(count);
}

/* This rank's share of m rows, cut at block boundaries so that a block is
 * always the same rows (sgemm then ranks them identically at any size). */
static void block_share(int64_t m, int rank, int size, int64_t *lo, int64_t *hi)
{
    int64_t blocks = (m + LE_KM_BLOCK - 1) / LE_KM_BLOCK;
    int64_t b0 = blocks * rank / size, b1 = blocks * (rank + 1) / size;
    *lo = b0 * LE_KM_BLOCK;
    *hi = b1 * LE_KM_BLOCK < m ? b1 * LE_KM_BLOCK : m;
}

int le_spec_anchors(const float *cand, int64_t m, int dim, int p, uint64_t seed, const le_spec_reduce *red, float *anchors)
{
    int64_t lo, hi;
    block_share(m, red->rank, red->size, &lo, &hi);
    float *cnorm = le_malloc(sizeof(float) * (size_t)m);
    float *anorm = le_malloc(sizeof(float) * (size_t)p);
    float *work = le_malloc(sizeof(float) * (size_t)LE_KM_BLOCK * p);
    float *d2 = le_malloc(sizeof(float) * (size_t)m);
    int32_t *assign = le_malloc(sizeof(int32_t) * (size_t)m);
    int64_t *shared = le_malloc(sizeof(int64_t) * (size_t)m);
    int rc = 0;
    le_km_row_norms(cand, m, dim, cnorm);
    le_spec_init_anchors(cand, m, dim, p, seed, anchors);
    for (int it = 0; it < LE_SPEC_ANCHOR_ITERS && !rc; it++) {
        le_km_row_norms(anchors, p, dim, anorm);
        le_km_nearest(cand + lo * dim, cnorm + lo, hi - lo, dim, anchors, anorm, p, work, assign + lo, d2 + lo);
        /* Share the assignments: zeros elsewhere, so one exact sum. */
        memset(shared, 0, sizeof(int64_t) * (size_t)m);
        for (int64_t i = lo; i < hi; i++) shared[i] = assign[i];
        if ((rc = red->sum_i64(shared, m, red->ctx))) break;
        for (int64_t i = 0; i < m; i++) assign[i] = (int32_t)shared[i];
        le_spec_update_anchors(cand, m, dim, assign, p, anchors);
    }
    free(cnorm), free(anorm), free(work), free(d2), free(assign), free(shared);
    return rc;
}

/* ---- the bipartite graph ---- */

/* Keeps the r smallest (value, index) pairs of one row, ascending. */
static void keep_smallest(const float *v, const float *bias, int p, int r, float *best, int32_t *idx)
{
    int have = 0;
    for (int j = 0; j < p; j++) {
        float s = v[j] + bias[j];
        if (have == r && s >= best[r - 1]) continue;
        int at = have < r ? have++ : r - 1;
        while (at > 0 && best[at - 1] > s) {
            best[at] = best[at - 1], idx[at] = idx[at - 1];
            at--;
        }
        best[at] = s, idx[at] = j;
    }
}

static double dist_f64(const float *a, const float *b, int d)
{
    double s = 0;
    for (int t = 0; t < d; t++) {
        double u = (double)a[t] - b[t];
        s += u * u;
    }
    return sqrt(s);
}

/* Sorts r (dist, anchor) pairs by distance, ties to the lower anchor. */
static void sort_pairs(double *dist, int32_t *nbr, int r)
{
    for (int a = 1; a < r; a++) {
        double d = dist[a];
        int32_t j = nbr[a];
        int b = a;
        while (b > 0 && (dist[b - 1] > d || (dist[b - 1] == d && nbr[b - 1] > j))) {
            dist[b] = dist[b - 1], nbr[b] = nbr[b - 1];
            b--;
        }
        dist[b] = d, nbr[b] = j;
    }
}

void le_spec_nearest_anchors(const float *x, int64_t n, int dim, const float *anchors, int p, int r, int32_t *nbr,
                             double *dist)
{
    float *anorm = le_malloc(sizeof(float) * (size_t)p);
    float *dots = le_malloc(sizeof(float) * (size_t)LE_KM_BLOCK * p);
    float *best = le_malloc(sizeof(float) * (size_t)r);
    le_km_row_norms(anchors, p, dim, anorm);
    for (int64_t i0 = 0; i0 < n; i0 += LE_KM_BLOCK) {
        int rows = (int)(n - i0 < LE_KM_BLOCK ? n - i0 : LE_KM_BLOCK);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, p, dim, -2.0f, x + i0 * dim, dim, anchors, dim, 0.0f,
                    dots, p);
        for (int i = 0; i < rows; i++) {
            int64_t g = i0 + i;
            keep_smallest(dots + (int64_t)i * p, anorm, p, r, best, nbr + g * r);
            /* sgemm's |x|^2 - 2x.a + |a|^2 cancels badly near an anchor:
             * it only ranks; the distances that weigh come from the data. */
            for (int a = 0; a < r; a++)
                dist[g * r + a] = dist_f64(x + g * dim, anchors + (int64_t)nbr[g * r + a] * dim, dim);
            sort_pairs(dist + g * r, nbr + g * r, r);
        }
    }
    free(anorm), free(dots), free(best);
}

void le_spec_gaussian_rows(const double *dist, int64_t n, int r, double sigma, double *w, double *deg)
{
    double inv = 1.0 / (2.0 * sigma * sigma);
    for (int64_t i = 0; i < n; i++) {
        double s = 0;
        for (int a = 0; a < r; a++) {
            double e = dist[i * r + a] * dist[i * r + a] * inv;
            w[i * r + a] = exp(-(e < 700 ? e : 700));
            s += w[i * r + a];
        }
        deg[i] = s;
    }
}

void le_spec_accumulate_gram(const int32_t *nbr, const double *w, const double *deg, int64_t n, int r, int p, double scale,
                             int64_t *gram, int64_t *dy)
{
    for (int64_t i = 0; i < n; i++) {
        const int32_t *nb = nbr + i * r;
        const double *wi = w + i * r;
        for (int a = 0; a < r; a++) {
            dy[nb[a]] += le_spec_fix(wi[a], scale);
            /* One rounded term per unordered pair, added to both entries:
             * W stays exactly symmetric. w/deg first: no underflow. */
            double wa = wi[a] / deg[i];
            gram[(int64_t)nb[a] * p + nb[a]] += le_spec_fix(wa * wi[a], scale);
            for (int b = a + 1; b < r; b++) {
                int64_t t = le_spec_fix(wa * wi[b], scale);
                gram[(int64_t)nb[a] * p + nb[b]] += t;
                gram[(int64_t)nb[b] * p + nb[a]] += t;
            }
        }
    }
}

void le_spec_normalised_gram(const int64_t *gram, const int64_t *dy, int p, double scale, double *E, double *dy_isqrt)
{
    for (int j = 0; j < p; j++) dy_isqrt[j] = dy[j] > 0 ? 1.0 / sqrt((double)dy[j] / scale) : 0.0;
    for (int j = 0; j < p; j++)
        for (int l = 0; l < p; l++)
            E[(int64_t)j * p + l] = (double)gram[(int64_t)j * p + l] / scale * dy_isqrt[j] * dy_isqrt[l];
}

/* The U-SPEC width: mean distance of the points to their r nearest anchors,
 * summed in fixed point under a scale all ranks agree on (the largest
 * distance anywhere). */
static int gaussian_width(const double *dist, int64_t n, int64_t n_total, int r, const le_spec_reduce *red, double *sigma)
{
    double maxd = 0;
    for (int64_t i = 0; i < n * r; i++)
        if (dist[i] > maxd) maxd = dist[i];
    LE_CHECK(red->max_f64(&maxd, 1, red->ctx));
    double scale = le_spec_fixed_scale(maxd, n_total * r);
    int64_t sum = 0;
    for (int64_t i = 0; i < n * r; i++) sum += le_spec_fix(dist[i], scale);
    LE_CHECK(red->sum_i64(&sum, 1, red->ctx));
    *sigma = (double)sum / scale / ((double)n_total * r);
    if (!(*sigma > 0)) *sigma = 1.0; /* every point sits on an anchor */
    return 0;
}

int le_spec_build_graph(const float *x, int64_t n, int64_t n_total, int dim, const float *anchors, int p, int r,
                        const le_spec_reduce *red, le_spec_graph *g)
{
    memset(g, 0, sizeof *g);
    g->p = p, g->r = r;
    size_t nr = (size_t)(n > 0 ? n : 1) * r;
    g->nbr = le_malloc(sizeof(int32_t) * nr);
    g->w = le_malloc(sizeof(double) * nr);
    double *dist = le_malloc(sizeof(double) * nr);
    double *deg = le_malloc(sizeof(double) * (size_t)(n > 0 ? n : 1));
    int64_t *gram = le_calloc((size_t)p * p + p, sizeof(int64_t)); /* W then D_Y: one sum */
    int rc = 0;
    le_spec_nearest_anchors(x, n, dim, anchors, p, r, g->nbr, dist);
    if (!(rc = gaussian_width(dist, n, n_total, r, red, &g->sigma))) {
        le_spec_gaussian_rows(dist, n, r, g->sigma, g->w, deg);
        double scale = le_spec_fixed_scale(1.0, n_total);
        le_spec_accumulate_gram(g->nbr, g->w, deg, n, r, p, scale, gram, gram + (int64_t)p * p);
        rc = red->sum_i64(gram, (int64_t)p * p + p, red->ctx);
        if (!rc) {
            g->E = le_malloc(sizeof(double) * (size_t)p * p);
            g->dy = le_malloc(sizeof(double) * (size_t)p);
            g->dy_isqrt = le_malloc(sizeof(double) * (size_t)p);
            for (int j = 0; j < p; j++) g->dy[j] = (double)gram[(int64_t)p * p + j] / scale;
            le_spec_normalised_gram(gram, gram + (int64_t)p * p, p, scale, g->E, g->dy_isqrt);
        }
    }
    free(dist), free(deg), free(gram);
    if (rc) le_spec_graph_free(g);
    return rc;
}

void le_spec_graph_free(le_spec_graph *g)
{
    free(g->nbr), free(g->w), free(g->E), free(g->dy), free(g->dy_isqrt);
    memset(g, 0, sizeof *g);
}

/* ---- eigenvectors to embedding ---- */

void le_spec_fix_signs(double *V, int p, int k)
{
    for (int c = 0; c < k; c++) {
        double *v = V + (int64_t)c * p;
        int at = 0;
        for (int j = 1; j < p; j++)
            if (fabs(v[j]) > fabs(v[at])) at = j;
        if (v[at] < 0)
            for (int j = 0; j < p; j++) v[j] = -v[j];
    }
}

void le_spec_anchor_coords(const double *V, const double *lambda, const double *dy_isqrt, int p, int k, double *Z)
{
    for (int c = 0; c < k; c++) {
        /* u = M v / sqrt(lambda); a null direction carries nothing. */
        double s = lambda[c] > 1e-12 ? 1.0 / sqrt(lambda[c]) : 0.0;
        for (int j = 0; j < p; j++) Z[(int64_t)j * k + c] = dy_isqrt[j] * V[(int64_t)c * p + j] * s;
    }
}

static void unit_row(const double *v, int k, float *out)
{
    double s = 0;
    for (int c = 0; c < k; c++) s += v[c] * v[c];
    double inv = s > 0 ? 1.0 / sqrt(s) : 0.0;
    for (int c = 0; c < k; c++) out[c] = (float)(v[c] * inv);
}

void le_spec_embed(const int32_t *nbr, const double *w, int64_t n, int r, const double *Z, int k, float *emb)
{
    double *acc = le_malloc(sizeof(double) * (size_t)k);
    for (int64_t i = 0; i < n; i++) {
        memset(acc, 0, sizeof(double) * (size_t)k);
        for (int a = 0; a < r; a++) {
            const double *z = Z + (int64_t)nbr[i * r + a] * k;
            double wa = w[i * r + a];
            for (int c = 0; c < k; c++) acc[c] += wa * z[c];
        }
        unit_row(acc, k, emb + i * k);
    }
    free(acc);
}

void le_spec_anchor_embedding(const double *Z, int p, int k, float *aemb)
{
    for (int j = 0; j < p; j++) unit_row(Z + (int64_t)j * k, k, aemb + (int64_t)j * k);
}

/* ---- the final clustering ---- */

void le_spec_initial_centres(const float *aemb, const double *weight, int p, int k, uint64_t seed, float *centres)
{
    double *work = le_malloc(sizeof(double) * 2 * (size_t)p);
    le_km_pp_weighted(aemb, weight, p, k, k, seed ^ LE_SPEC_DRAW_PP, centres, work);
    float *anorm = le_malloc(sizeof(float) * (size_t)p), *cnorm = le_malloc(sizeof(float) * (size_t)k);
    float *dots = le_malloc(sizeof(float) * (size_t)LE_KM_BLOCK * k), *d2 = le_malloc(sizeof(float) * (size_t)p);
    int32_t *assign = le_malloc(sizeof(int32_t) * (size_t)p);
    double *acc = le_malloc(sizeof(double) * ((size_t)k * k + k));
    uint8_t *empty = le_malloc((size_t)k);
    le_km_row_norms(aemb, p, k, anorm);
    for (int it = 0; it < LE_SPEC_ANCHOR_ITERS; it++) {
        double shift;
        le_km_row_norms(centres, k, k, cnorm);
        le_km_nearest(aemb, anorm, p, k, centres, cnorm, k, dots, assign, d2);
        memset(acc, 0, sizeof(double) * ((size_t)k * k + k));
        for (int j = 0; j < p; j++) {
            for (int c = 0; c < k; c++) acc[(int64_t)assign[j] * k + c] += weight[j] * aemb[(int64_t)j * k + c];
            acc[(int64_t)k * k + assign[j]] += weight[j];
        }
        le_km_update(acc, k, k, centres, cnorm, empty, &shift);
        if (shift == 0) break;
    }
    free(work), free(anorm), free(cnorm), free(dots), free(d2), free(assign), free(acc), free(empty);
}

void le_spec_accumulate_clusters(const float *x, int64_t n, int d, const int32_t *assign, int k, double scale, int64_t *sums,
                                 int64_t *count)
{
    for (int64_t i = 0; i < n; i++) {
        int64_t *s = sums + (int64_t)assign[i] * d;
        for (int t = 0; t < d; t++) s[t] += le_spec_fix(x[i * d + t], scale);
        count[assign[i]]++;
    }
}

void le_spec_nearest_members(const float *x, int64_t n, int d, const int32_t *assign, const float *centres, int k,
                             int64_t first_global, double *best_d2, int64_t *best_idx)
{
    for (int64_t i = 0; i < n; i++) {
        int c = assign[i];
        double s = dist_f64(x + i * d, centres + (int64_t)c * d, d);
        int64_t g = first_global + i;
        if (s < best_d2[c] || (s == best_d2[c] && g < best_idx[c])) best_d2[c] = s, best_idx[c] = g;
    }
}

/* Cluster means from rows under assign, summed exactly over all ranks;
 * counts into count[k]; an empty cluster's centre is left as it was. */
static int cluster_means(const float *x, int64_t n, int64_t n_total, int d, const int32_t *assign, int k,
                         const le_spec_reduce *red, float *centres, int64_t *count)
{
    double maxabs = 0;
    for (int64_t i = 0; i < n * d; i++)
        if (fabs(x[i]) > maxabs) maxabs = fabs(x[i]);
    LE_CHECK(red->max_f64(&maxabs, 1, red->ctx));
    double scale = le_spec_fixed_scale(maxabs, n_total);
    int64_t *sums = le_calloc((size_t)k * d + k, sizeof(int64_t));
    le_spec_accumulate_clusters(x, n, d, assign, k, scale, sums, sums + (int64_t)k * d);
    int rc = red->sum_i64(sums, (int64_t)k * d + k, red->ctx);
    for (int c = 0; !rc && c < k; c++) {
        count[c] = sums[(int64_t)k * d + c];
        if (count[c])
            for (int t = 0; t < d; t++)
                centres[(int64_t)c * d + t] = (float)((double)sums[(int64_t)c * d + t] / scale / (double)count[c]);
    }
    free(sums);
    return rc;
}

/* The row farthest from its centre over all ranks (ties to the lower
 * global index) becomes centre c: its row reaches every rank by one sum. */
static int reseed_farthest(const float *emb, int64_t n, int64_t first_global, int k, const float *d2, int c,
                           const le_spec_reduce *red, float *centres)
{
    double far = -1;
    int64_t at = INT64_MAX;
    for (int64_t i = 0; i < n; i++)
        if (d2[i] > far) far = d2[i], at = first_global + i;
    double mine = far;
    LE_CHECK(red->max_f64(&far, 1, red->ctx));
    int64_t who = mine == far ? at : INT64_MAX;
    LE_CHECK(red->min_i64(&who, 1, red->ctx));
    double scale = le_spec_fixed_scale(1.0, 1);
    int64_t *row = le_calloc((size_t)k, sizeof(int64_t));
    if (who >= first_global && who < first_global + n)
        for (int t = 0; t < k; t++) row[t] = le_spec_fix(emb[(who - first_global) * k + t], scale);
    int rc = red->sum_i64(row, k, red->ctx);
    for (int t = 0; !rc && t < k; t++) centres[(int64_t)c * k + t] = (float)((double)row[t] / scale);
    free(row);
    return rc;
}

int le_spec_lloyd(const float *emb, int64_t n, int64_t n_total, int64_t first_global, int k, float *centres,
                  const le_spec_reduce *red, int32_t *assign, int *iters)
{
    float *enorm = le_malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    float *d2 = le_malloc(sizeof(float) * (size_t)(n > 0 ? n : 1));
    float *cnorm = le_malloc(sizeof(float) * (size_t)k);
    float *dots = le_malloc(sizeof(float) * (size_t)LE_KM_BLOCK * k);
    int32_t *prev = le_malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    int64_t *count = le_malloc(sizeof(int64_t) * (size_t)k);
    int rc = 0, it = 0, reseeds = 0;
    le_km_row_norms(emb, n, k, enorm);
    for (int64_t i = 0; i < n; i++) prev[i] = -1;
    while (it < LE_SPEC_KMEANS_ITERS && !rc) {
        it++;
        le_km_row_norms(centres, k, k, cnorm);
        le_km_nearest(emb, enorm, n, k, centres, cnorm, k, dots, assign, d2);
        int64_t changed = 0;
        for (int64_t i = 0; i < n; i++) changed += assign[i] != prev[i];
        memcpy(prev, assign, sizeof(int32_t) * (size_t)n);
        if ((rc = red->sum_i64(&changed, 1, red->ctx))) break;
        if ((rc = cluster_means(emb, n, n_total, k, assign, k, red, centres, count))) break;
        int empty = -1;
        for (int c = 0; c < k && empty < 0; c++)
            if (!count[c]) empty = c;
        /* Reseeding moves a centre, so Lloyd goes on; at most k times, as
         * with fewer distinct rows than k a cluster must stay empty. */
        if (empty >= 0 && reseeds < k) {
            reseeds++;
            rc = reseed_farthest(emb, n, first_global, k, d2, empty, red, centres);
            continue;
        }
        if (!changed) break;
    }
    *iters = it;
    free(enorm), free(d2), free(cnorm), free(dots), free(prev), free(count);
    return rc;
}

/* Renumbers clusters by representative (empty ones, rep -1, last). */
static void order_clusters(int k, int64_t *rep_index, int64_t *cluster_size, int32_t *assign, int64_t n)
{
    int *order = le_malloc(sizeof(int) * (size_t)k), *newid = le_malloc(sizeof(int) * (size_t)k);
    int64_t *rep = le_malloc(sizeof(int64_t) * (size_t)k), *size = le_malloc(sizeof(int64_t) * (size_t)k);
    for (int c = 0; c < k; c++) order[c] = c;
    for (int a = 1; a < k; a++) { /* insertion sort: k is small */
        int c = order[a], b = a;
        uint64_t key = (uint64_t)rep_index[c]; /* -1 sorts last */
        while (b > 0 && (uint64_t)rep_index[order[b - 1]] > key) order[b] = order[b - 1], b--;
        order[b] = c;
    }
    for (int a = 0; a < k; a++) newid[order[a]] = a, rep[a] = rep_index[order[a]], size[a] = cluster_size[order[a]];
    memcpy(rep_index, rep, sizeof(int64_t) * (size_t)k);
    memcpy(cluster_size, size, sizeof(int64_t) * (size_t)k);
    for (int64_t i = 0; i < n; i++) assign[i] = newid[assign[i]];
    free(order), free(newid), free(rep), free(size);
}

int le_spec_representatives(const float *x, int64_t n, int64_t n_total, int64_t first_global, int dim, int k,
                            const le_spec_reduce *red, int32_t *assign, int64_t *rep_index, int64_t *cluster_size)
{
    float *means = le_calloc((size_t)k * dim, sizeof(float));
    double *best = le_malloc(sizeof(double) * (size_t)k), *neg = le_malloc(sizeof(double) * (size_t)k);
    int rc = cluster_means(x, n, n_total, dim, assign, k, red, means, cluster_size);
    if (!rc) {
        for (int c = 0; c < k; c++) best[c] = DBL_MAX, rep_index[c] = INT64_MAX;
        le_spec_nearest_members(x, n, dim, assign, means, k, first_global, best, rep_index);
        /* MINLOC in two exact steps: the least distance, then the least
         * index among the rows at that distance. */
        for (int c = 0; c < k; c++) neg[c] = -best[c];
        rc = red->max_f64(neg, k, red->ctx);
        for (int c = 0; !rc && c < k; c++)
            if (best[c] != -neg[c]) rep_index[c] = INT64_MAX;
        if (!rc) rc = red->min_i64(rep_index, k, red->ctx);
    }
    if (!rc) {
        for (int c = 0; c < k; c++)
            if (rep_index[c] == INT64_MAX) rep_index[c] = -1;
        order_clusters(k, rep_index, cluster_size, assign, n);
    }
    free(means), free(best), free(neg);
    return rc;
}

void le_spec_work_alloc(le_spec_work *w, int64_t n, int dim, int p, int k)
{
    memset(w, 0, sizeof *w);
    w->anchors = le_malloc(sizeof(float) * (size_t)p * dim);
    w->lambda = le_malloc(sizeof(double) * (size_t)k);
    w->V = le_malloc(sizeof(double) * (size_t)p * k);
    w->emb = le_malloc(sizeof(float) * (size_t)(n > 0 ? n : 1) * k);
    w->centres = le_malloc(sizeof(float) * (size_t)k * k);
}

void le_spec_work_free(le_spec_work *w)
{
    le_spec_graph_free(&w->g);
    free(w->anchors), free(w->lambda), free(w->V), free(w->emb), free(w->centres);
    memset(w, 0, sizeof *w);
}

/* ---- one process, the whole method ---- */

/* LAPACK (OpenBLAS ships it; LAPACKE may be absent). */
extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
                   const int *lwork, int *info);

/* Top k eigenpairs of the symmetric p x p E (destroyed): lambda[k]
 * descending, V[p x k] column-major. */
static int top_eigen_lapack(double *E, int p, int k, double *lambda, double *V)
{
    int info = 0, lwork = -1;
    double q, *w = le_malloc(sizeof(double) * (size_t)p);
    dsyev_("V", "U", &p, E, &p, w, &q, &lwork, &info);
    lwork = info ? 3 * p : (int)q;
    double *work = le_malloc(sizeof(double) * (size_t)lwork);
    if (!info) dsyev_("V", "U", &p, E, &p, w, work, &lwork, &info);
    for (int c = 0; !info && c < k; c++) {
        lambda[c] = w[p - 1 - c];
        memcpy(V + (int64_t)c * p, E + (int64_t)(p - 1 - c) * p, sizeof(double) * (size_t)p);
    }
    free(w), free(work);
    return info ? le_fail(LE_ERR_INTERNAL, "dsyev on the %d x %d anchor matrix: info %d", p, p, info) : 0;
}

int le_spec_spectral_coords(const le_spec_graph *g, double *V, const double *lambda, int64_t n, int k, uint64_t seed,
                            float *emb, float *centres)
{
    double *Z = le_malloc(sizeof(double) * (size_t)g->p * k);
    float *aemb = le_malloc(sizeof(float) * (size_t)g->p * k);
    le_spec_fix_signs(V, g->p, k);
    le_spec_anchor_coords(V, lambda, g->dy_isqrt, g->p, k, Z);
    le_spec_embed(g->nbr, g->w, n, g->r, Z, k, emb);
    le_spec_anchor_embedding(Z, g->p, k, aemb);
    le_spec_initial_centres(aemb, g->dy, g->p, k, seed, centres);
    free(Z), free(aemb);
    return 0;
}

int le_spec_check_sizes(int64_t n_total, int64_t m, int k, int *p, int *r)
{
    if (*p <= 0) *p = LE_SPEC_DEFAULT_P;
    if (*r <= 0) *r = LE_SPEC_DEFAULT_R;
    if (*p > m) *p = (int)m;
    if (*r > *p) *r = *p;
    if (k < 1 || k >= *p)
        return le_fail(LE_ERR_USAGE,
                       "spectral selection of %d clusters needs more anchors than clusters (%d anchors from %lld points)", k,
                       *p, (long long)n_total);
    return 0;
}

int le_spectral_cluster(const float *x, int64_t n, int dim, int k, int p, int r, uint64_t seed, int32_t *assign,
                        int64_t *rep_index, int64_t *cluster_size, double *eigenvalues)
{
    const le_spec_reduce *red = &le_spec_reduce_self;
    double prob = le_spec_sample_prob(n, p > 0 ? p : LE_SPEC_DEFAULT_P);
    float *cand = le_malloc(sizeof(float) * (size_t)(n > 0 ? n : 1) * dim);
    int64_t m = 0;
    for (int64_t i = 0; i < n; i++)
        if (le_spec_is_candidate(seed, i, prob)) memcpy(cand + m++ * dim, x + i * dim, sizeof(float) * (size_t)dim);
    int rc = le_spec_check_sizes(n, m, k, &p, &r);
    if (rc) {
        free(cand);
        return rc;
    }
    le_spec_work w;
    le_spec_work_alloc(&w, n, dim, p, k);
    int iters;
    if (!(rc = le_spec_anchors(cand, m, dim, p, seed, red, w.anchors)) &&
        !(rc = le_spec_build_graph(x, n, n, dim, w.anchors, p, r, red, &w.g)) &&
        !(rc = top_eigen_lapack(w.g.E, p, k, w.lambda, w.V)) &&
        !(rc = le_spec_spectral_coords(&w.g, w.V, w.lambda, n, k, seed, w.emb, w.centres)) &&
        !(rc = le_spec_lloyd(w.emb, n, n, 0, k, w.centres, red, assign, &iters)))
        rc = le_spec_representatives(x, n, n, 0, dim, k, red, assign, rep_index, cluster_size);
    if (!rc && eigenvalues) memcpy(eigenvalues, w.lambda, sizeof(double) * (size_t)k);
    le_spec_work_free(&w);
    free(cand);
    return rc;
}
