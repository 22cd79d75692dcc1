/* k-means local pieces against the plain O(n k d) loop, empty clusters,
 * the counter-based draws and weighted k-means++. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "kmeans.h"
#include "rng.h"

static void fill_normal(float *x, int64_t n, uint64_t seed)
{
    le_rng r;
    le_rng_init(&r, seed, 0, 1);
    for (int64_t i = 0; i < n; i++) x[i] = (float)le_rng_normal(&r);
}

/* le_km_nearest against the naive loop on x [n x d] and c [k x d]: the
 * same centroid except on near-ties that float rounding may flip (at most
 * 2), d2 equal to rounding. */
static void expect_nearest_like_naive(const float *x, int n, int d, const float *c, int k)
{
    float *xn = malloc(sizeof(float) * n), *cn = malloc(sizeof(float) * k), *d2 = malloc(sizeof(float) * n);
    float *d2n = malloc(sizeof(float) * n), *work = malloc(sizeof(float) * LE_KM_BLOCK * k);
    int32_t *a = malloc(sizeof(int32_t) * n), *an = malloc(sizeof(int32_t) * n);
    le_km_row_norms(x, n, d, xn);
    le_km_row_norms(c, k, d, cn);
    le_km_nearest(x, xn, n, d, c, cn, k, work, a, d2);
    le_km_nearest_naive(x, n, d, c, k, an, d2n);
    int differ = 0;
    for (int i = 0; i < n; i++) {
        assert_true(fabsf(d2[i] - d2n[i]) <= 1e-4f * (1 + d2n[i]));
        differ += a[i] != an[i];
    }
    assert_true(differ <= 2);
    free(xn), free(cn), free(d2), free(d2n), free(work), free(a), free(an);
}

static void test_nearest_matches_naive(void **state)
{
    enum { N = 1000, D = 37, K = 29 }; /* sizes that are no multiple of the block */
    float *x = malloc(sizeof(float) * N * D), *c = malloc(sizeof(float) * K * D);
    fill_normal(x, N * D, 1);
    fill_normal(c, K * D, 2);
    expect_nearest_like_naive(x, N, D, c, K);
    free(x), free(c);
}

/* Rows whose tail is zero (a normal trace's deviation part) take the split
 * product over their head only; zero rows and full rows mixed in. */
static void test_nearest_zero_tails(void **state)
{
    enum { N = 1000, D = 40, K = 17, HEAD = 8 };
    float *x = malloc(sizeof(float) * N * D), *c = malloc(sizeof(float) * K * D);
    fill_normal(x, N * D, 4);
    fill_normal(c, K * D, 5);
    for (int i = 0; i < N; i++)
        for (int j = i % 4 == 0 ? D : i % 7 == 0 ? 0 : HEAD; j < D; j++) x[i * D + j] = 0;
    expect_nearest_like_naive(x, N, D, c, K);
    free(x), free(c);
}

/* Exact ties (small integers: every product and sum is exact) go to the
 * first of the equal centroids wherever they sit: in one lane of the
 * argmin, in different lanes, or in its tail past the last multiple of 8. */
static void test_nearest_ties_take_first(void **state)
{
    enum { N = 300, D = 6, K = 29, DISTINCT = 5 };
    float x[N * D], c[K * D], xn[N], cn[K], d2[N], work[LE_KM_BLOCK * K];
    int32_t a[N];
    for (int j = 0; j < K; j++) /* c[j] = c[perm(j) mod 5]: each pattern at several places */
        for (int t = 0; t < D; t++) c[j * D + t] = (float)(((j * 7 + 3) % DISTINCT) * (t + 1) % 4);
    for (int i = 0; i < N; i++) /* rows at a centroid, or off it by one in one coordinate */
        for (int t = 0; t < D; t++) x[i * D + t] = c[(i % K) * D + t] + (float)(i % 3 == 0 && t == i % D);
    le_km_row_norms(x, N, D, xn);
    le_km_row_norms(c, K, D, cn);
    le_km_nearest(x, xn, N, D, c, cn, K, work, a, d2);
    for (int i = 0; i < N; i++) {
        float best = INFINITY;
        int first = -1;
        for (int j = 0; j < K; j++) {
            float e = 0;
            for (int t = 0; t < D; t++) e += (x[i * D + t] - c[j * D + t]) * (x[i * D + t] - c[j * D + t]);
            if (e < best) best = e, first = j;
        }
        assert_int_equal(a[i], first);
        assert_true(d2[i] == best);
    }
}

/* The accumulated sums and counts equal a direct recount by assignment. */
static void test_lloyd_local_sums(void **state)
{
    enum { N = 700, D = 8, K = 5 };
    float x[N * D], c[K * D], xn[N], cn[K], d2[N], work[LE_KM_BLOCK * K];
    int32_t a[N];
    double acc[K * D + K] = {0}, want[K * D + K] = {0};
    fill_normal(x, N * D, 3);
    memcpy(c, x, sizeof(float) * K * D);
    le_km_row_norms(x, N, D, xn);
    le_km_row_norms(c, K, D, cn);
    double inertia = le_km_lloyd_local(x, xn, N, D, c, cn, K, work, a, d2, acc);
    double sum_d2 = 0;
    for (int i = 0; i < N; i++) {
        for (int j = 0; j < D; j++) want[a[i] * D + j] += rintf(x[i * D + j] * LE_KM_FIX);
        want[K * D + a[i]] += 1;
        sum_d2 += d2[i];
    }
    for (int j = 0; j < K * D + K; j++) assert_true(acc[j] == want[j]);
    /* fixed point: two parts (as on two ranks) add up to the whole exactly */
    double part[K * D + K] = {0};
    float d2b[N];
    int32_t ab[N];
    le_km_lloyd_local(x, xn, 300, D, c, cn, K, work, ab, d2b, part);
    le_km_lloyd_local(x + 300 * D, xn + 300, N - 300, D, c, cn, K, work, ab + 300, d2b + 300, part);
    for (int j = 0; j < K * D + K; j++) assert_true(part[j] == acc[j]);
    assert_true(fabs(inertia - sum_d2) < 1e-6 * sum_d2);
    /* each centroid is a row, so its own row sits at distance 0 */
    for (int j = 0; j < K; j++) assert_true(want[K * D + j] >= 1);
}

/* A cluster nobody chose keeps its centroid, is flagged, and is counted. */
static void test_update_flags_empty(void **state)
{
    enum { K = 3, D = 2 };
    const double F = LE_KM_FIX; /* sums are in fixed point */
    double acc[K * D + K] = {2 * F, 4 * F, 0, 0, 9 * F, 3 * F, /* counts */ 2, 0, 3};
    float c[K * D] = {0, 0, 7, 7, 0, 0}, cn[K];
    uint8_t empty[K];
    double shift;
    int n = le_km_update(acc, K, D, c, cn, empty, &shift);
    assert_int_equal(n, 1);
    assert_int_equal(empty[1], 1);
    assert_int_equal(empty[0], 0);
    assert_true(c[0] == 1 && c[1] == 2 && c[2] == 7 && c[3] == 7 && c[4] == 3 && c[5] == 1);
    assert_true(fabs(cn[1] - 98) < 1e-5);
    assert_true(fabs(shift - 10) < 1e-9); /* centroid 2 moved (0,0) -> (3,1) */
}

/* Draws depend on (seed, index, purpose, n) only, and look uniform. */
static void test_uniform_is_counter_based(void **state)
{
    assert_true(le_km_uniform(7, 123, LE_KM_DRAW_SAMPLE, 0) == le_km_uniform(7, 123, LE_KM_DRAW_SAMPLE, 0));
    assert_true(le_km_uniform(7, 123, LE_KM_DRAW_SAMPLE, 0) != le_km_uniform(8, 123, LE_KM_DRAW_SAMPLE, 0));
    assert_true(le_km_uniform(7, 123, LE_KM_DRAW_SAMPLE, 0) != le_km_uniform(7, 124, LE_KM_DRAW_SAMPLE, 0));
    int below = 0;
    for (int i = 0; i < 100000; i++) below += le_km_uniform(1, (uint64_t)i, LE_KM_DRAW_SAMPLE, 0) < 0.1;
    assert_true(below > 9700 && below < 10300);
}

/* Oversampling takes every row whose l d2 / phi >= 1 and none with d2 = 0. */
static void test_oversample_extremes(void **state)
{
    float d2[4] = {0, 10, 0, 10};
    int64_t g[4] = {0, 1, 2, 3}, picked[4];
    int64_t m = le_km_oversample(d2, g, 4, 20, 2, 5, 0, picked);
    assert_int_equal(m, 2);
    assert_int_equal(picked[0], 1);
    assert_int_equal(picked[1], 3);
}

/* Weighted k-means++ over four far-apart groups of candidates puts one
 * centre in each group, and never a zero-weight candidate. */
static void test_pp_weighted_spreads(void **state)
{
    enum { M = 12, D = 2, K = 4 };
    float cand[M * D];
    double w[M], work[2 * M];
    for (int i = 0; i < M; i++) {
        int g = i % 4;
        cand[i * D] = (float)(g * 100 + i * 0.01);
        cand[i * D + 1] = (float)(g % 2 * 50);
        w[i] = i >= 8 ? 0 : 1 + i;
    }
    float centers[K * D];
    le_km_pp_weighted(cand, w, M, D, K, 42, centers, work);
    int seen[4] = {0};
    for (int j = 0; j < K; j++) {
        int g = (int)(centers[j * D] / 100 + 0.5);
        seen[g]++;
        assert_true(centers[j * D] - g * 100 < 0.08); /* candidates 8..11 have weight 0 */
    }
    for (int g = 0; g < 4; g++) assert_int_equal(seen[g], 1);
}

/* The k-means++ draw over slices (as ranks hold them) picks what the draw
 * over the whole range picks, for any cut, at every centre; weights are
 * integers of at most 2^LE_KM_PP_BITS, and the scale is a power of two. */
static void test_pp_draw_same_for_any_slicing(void **state)
{
    (void)state;
    enum { M = 257 };
    double w[M], near[M];
    int64_t q[M], qs[M];
    le_rng r;
    le_rng_init(&r, 7, 0, 3);
    for (int c = 0; c < 40; c++) {
        for (int i = 0; i < M; i++) {
            w[i] = (double)(le_rng_uniform(&r) < 0.1 ? 0 : 1 + (int)(50 * le_rng_uniform(&r)));
            near[i] = le_rng_uniform(&r) < 0.05 ? 0 : exp(20 * le_rng_uniform(&r) - 10); /* 1e-4 .. 2e4 */
        }
        double scale = c ? le_km_pp_scale(le_km_pp_slice_max(w, near, 0, M), M) : 0;
        int frexp_e;
        assert_true(c == 0 || frexp(scale, &frexp_e) == 0.5); /* a power of two */
        int64_t total = le_km_pp_slice_weights(w, near, 0, M, c == 0, scale, q);
        for (int i = 0; i < M; i++) assert_true(q[i] >= 0 && q[i] <= ((int64_t)1 << LE_KM_PP_BITS));
        int64_t whole = le_km_pp_find(q, 0, M, 0, le_km_pp_target(total, c, 99));
        assert_true(whole >= 0 && q[whole] > 0);
        /* three slices, cut at c-dependent places, scale from their maxima */
        int64_t cut[4] = {0, (c * 37) % M, (c * 37) % M + (M - (c * 37) % M) / 2, M};
        double mx = 0;
        for (int s = 0; s < 3; s++) mx = fmax(mx, le_km_pp_slice_max(w, near, cut[s], cut[s + 1]));
        assert_true(c == 0 || le_km_pp_scale(mx, M) == scale);
        int64_t sums[3], sum = 0, found = -1;
        for (int s = 0; s < 3; s++) sum += sums[s] = le_km_pp_slice_weights(w, near, cut[s], cut[s + 1], c == 0, scale, qs);
        assert_true(sum == total);
        int64_t x = le_km_pp_target(sum, c, 99), before = 0;
        for (int s = 0; s < 3; s++) { /* as the ranks do: each searches, one finds */
            int64_t f = le_km_pp_find(qs, cut[s], cut[s + 1], before, x);
            if (f >= 0) assert_true(found < 0), found = f;
            before += sums[s];
        }
        assert_int_equal(found, whole);
    }
}

static void test_normalize_rows(void **state)
{
    float x[6] = {3, 4, 0, 0, 0, 0};
    le_km_normalize_rows(x, 2, 3);
    assert_true(fabsf(x[0] - 0.6f) < 1e-6f && fabsf(x[1] - 0.8f) < 1e-6f);
    assert_true(x[3] == 0 && x[4] == 0 && x[5] == 0);
}

/* select stores the representatives in trace order; it used to sort
 * rep << 20 | j, which breaks past 2^20 clusters or trace 2^43. */
static void test_clusters_by_rep_any_size(void **state)
{
    (void)state;
    enum { K = (1 << 20) + 7 };
    int64_t *rep = malloc(sizeof(int64_t) * K);
    int *order = malloc(sizeof(int) * K);
    for (int j = 0; j < K; j++) rep[j] = (int64_t)(K - j) * 3; /* descending: the order reverses */
    rep[5] = -1;                                               /* no member: left out */
    rep[K - 1] = INT64_C(1) << 62;                             /* a trace index far past 2^43 */
    rep[K - 2] = (INT64_C(1) << 62) - 1;
    int n = le_km_clusters_by_rep(rep, K, order);
    assert_int_equal(n, K - 1);
    for (int i = 1; i < n; i++) assert_true(rep[order[i - 1]] < rep[order[i]]);
    assert_int_equal(order[n - 1], K - 1);
    assert_int_equal(order[n - 2], K - 2);
    assert_int_equal(order[0], K - 3); /* the smallest index: cluster 2^20 + 4 */
    free(rep), free(order);
}

/* The integer draw weights of m candidates sum below 2^63 for any m: 36
 * bits each up to 2^26 candidates (the draws select always made), fewer
 * past it (36 bits over 2^27 or more candidates overflowed). */
static void test_pp_weights_fit_any_m(void **state)
{
    (void)state;
    assert_int_equal(le_km_pp_bits(1), LE_KM_PP_BITS);
    assert_int_equal(le_km_pp_bits(INT64_C(1) << 26), LE_KM_PP_BITS);
    const int64_t ms[] = {(INT64_C(1) << 26) + 1, INT64_C(1) << 27, INT64_C(3) << 30, INT64_C(1) << 45, INT64_MAX};
    for (size_t i = 0; i < sizeof ms / sizeof *ms; i++) {
        double mx = 12345.678, q = mx * le_km_pp_scale(mx, ms[i]); /* the largest weight, before rounding */
        assert_true(q <= ldexp(1.0, le_km_pp_bits(ms[i])));
        assert_true(q * (double)ms[i] <= ldexp(1.0, 62) * (1 + 1e-12)); /* the sum of m of them */
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_nearest_matches_naive),        cmocka_unit_test(test_nearest_zero_tails),
        cmocka_unit_test(test_nearest_ties_take_first),      cmocka_unit_test(test_lloyd_local_sums),
        cmocka_unit_test(test_update_flags_empty),           cmocka_unit_test(test_uniform_is_counter_based),
        cmocka_unit_test(test_oversample_extremes),          cmocka_unit_test(test_pp_weighted_spreads),
        cmocka_unit_test(test_pp_draw_same_for_any_slicing), cmocka_unit_test(test_normalize_rows),
        cmocka_unit_test(test_clusters_by_rep_any_size),     cmocka_unit_test(test_pp_weights_fit_any_m),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
