/* algos/spectral: the single-process pieces of U-SPEC and the whole method
 * on one process — blobs it must split, concentric rings it must split
 * where k-means cannot, and the properties the distributed driver leans on
 * (exact fixed-point sums whatever the split, symmetric W, sign-fixed
 * eigenvectors, E's spectrum in [0, 1] with 1 on top). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "kmeans.h"
#include "le_base.h"
#include "rng.h"
#include "spectral.h"

/* n points in dim, blob b = i % blobs centred at 6 * (b+1) on axis b. */
static float *make_blobs(int64_t n, int dim, int blobs, uint64_t seed, int32_t *truth)
{
    float *x = le_malloc(sizeof(float) * (size_t)n * dim);
    for (int64_t i = 0; i < n; i++) {
        le_rng r;
        le_rng_init(&r, seed, (uint64_t)i, 1);
        int b = (int)(i % blobs);
        for (int t = 0; t < dim; t++) x[i * dim + t] = (float)le_rng_normal(&r) + (t == b ? 6.0f * (b + 1) : 0.0f);
        truth[i] = b;
    }
    return x;
}

/* Two noisy concentric circles in 2-D, radii 1 and 4: a shape k-means
 * cuts with a straight line. */
static float *make_rings(int64_t n, uint64_t seed, int32_t *truth)
{
    float *x = le_malloc(sizeof(float) * (size_t)n * 2);
    for (int64_t i = 0; i < n; i++) {
        le_rng r;
        le_rng_init(&r, seed, (uint64_t)i, 2);
        int ring = (int)(i % 2);
        double a = 6.283185307179586 * le_rng_uniform(&r), rad = (ring ? 4.0 : 1.0) + 0.1 * le_rng_normal(&r);
        x[i * 2] = (float)(rad * cos(a)), x[i * 2 + 1] = (float)(rad * sin(a));
        truth[i] = ring;
    }
    return x;
}

/* Fraction of points whose cluster's majority truth is theirs. */
static double purity(const int32_t *assign, const int32_t *truth, int64_t n, int k, int classes)
{
    int64_t *tab = calloc((size_t)k * classes, sizeof(int64_t)), good = 0;
    for (int64_t i = 0; i < n; i++) tab[assign[i] * classes + truth[i]]++;
    for (int c = 0; c < k; c++) {
        int64_t best = 0;
        for (int t = 0; t < classes; t++)
            if (tab[c * classes + t] > best) best = tab[c * classes + t];
        good += best;
    }
    free(tab);
    return (double)good / (double)n;
}

/* Plain k-means (k-means++ then Lloyd) from algos/kmeans, the baseline. */
static void plain_kmeans(const float *x, int64_t n, int d, int k, uint64_t seed, int32_t *assign)
{
    double *w = malloc(sizeof(double) * n), *work = malloc(sizeof(double) * 2 * n);
    for (int64_t i = 0; i < n; i++) w[i] = 1;
    float *c = malloc(sizeof(float) * k * d), *cn = malloc(sizeof(float) * k), *xn = malloc(sizeof(float) * n);
    float *d2 = malloc(sizeof(float) * n), *blk = malloc(sizeof(float) * LE_KM_BLOCK * k);
    double *acc = malloc(sizeof(double) * (k * d + k));
    uint8_t *empty = malloc(k);
    le_km_pp_weighted(x, w, n, d, k, seed, c, work);
    le_km_row_norms(x, n, d, xn);
    le_km_row_norms(c, k, d, cn);
    for (int it = 0; it < 100; it++) {
        double shift;
        memset(acc, 0, sizeof(double) * (k * d + k));
        le_km_lloyd_local(x, xn, n, d, c, cn, k, blk, assign, d2, acc);
        le_km_update(acc, k, d, c, cn, empty, &shift);
        if (shift == 0) break;
    }
    free(w), free(work), free(c), free(cn), free(xn), free(d2), free(blk), free(acc), free(empty);
}

static void check_representatives(const int32_t *assign, int64_t n, const int64_t *rep, const int64_t *size, int k)
{
    int64_t total = 0;
    for (int c = 0; c < k; c++) {
        assert_true(rep[c] >= 0 && rep[c] < n);
        assert_int_equal(assign[rep[c]], c);     /* a member of its own cluster */
        if (c) assert_true(rep[c] > rep[c - 1]); /* numbered by representative */
        int64_t s = 0;
        for (int64_t i = 0; i < n; i++) s += assign[i] == c;
        assert_int_equal(s, size[c]);
        total += s;
    }
    assert_int_equal(total, n);
}

static void test_blobs_are_split(void **state)
{
    enum { N = 3000, D = 64, K = 3 };
    int32_t truth[N], assign[N];
    int64_t rep[K], size[K];
    double lambda[K];
    float *x = make_blobs(N, D, K, 7, truth);
    assert_int_equal(le_spectral_cluster(x, N, D, K, 60, 5, 3, assign, rep, size, lambda), 0);
    assert_true(purity(assign, truth, N, K, K) == 1.0);
    check_representatives(assign, N, rep, size, K);
    /* Three components barely linked: three eigenvalues at 1. */
    for (int c = 0; c < K; c++) assert_true(lambda[c] > 0.99 && lambda[c] < 1 + 1e-9);
    /* The representative is central: nearer its blob's centre than the
     * blob's typical point (sqrt(64) = 8 away). */
    for (int c = 0; c < K; c++) {
        int b = truth[rep[c]];
        double s = 0;
        for (int t = 0; t < D; t++) {
            double u = x[rep[c] * D + t] - (t == b ? 6.0 * (b + 1) : 0.0);
            s += u * u;
        }
        assert_true(sqrt(s) < 7.0);
    }
    free(x);
}

static void test_rings_split_where_kmeans_cannot(void **state)
{
    enum { N = 2000 };
    int32_t truth[N], assign[N], km[N];
    int64_t rep[2], size[2];
    float *x = make_rings(N, 11, truth);
    assert_int_equal(le_spectral_cluster(x, N, 2, 2, 100, 5, 5, assign, rep, size, NULL), 0);
    double spec = purity(assign, truth, N, 2, 2);
    plain_kmeans(x, N, 2, 2, 5, km);
    double plain = purity(km, truth, N, 2, 2);
    print_message("rings: spectral purity %.3f, k-means purity %.3f\n", spec, plain);
    assert_true(spec == 1.0);
    assert_true(plain < 0.8);
    check_representatives(assign, N, rep, size, 2);
    free(x);
}

/* The fixed-point sums of W and D_Y do not depend on how rows are split,
 * and W comes out exactly symmetric. */
static void test_gram_sums_exact_under_any_split(void **state)
{
    enum { N = 500, D = 8, P = 20, R = 4 };
    int32_t truth[N], nbr[N * R];
    double dist[N * R], w[N * R], deg[N];
    float *x = make_blobs(N, D, 4, 3, truth);
    float anchors[P * D];
    for (int j = 0; j < P; j++) memcpy(anchors + j * D, x + (j * 23) * D, sizeof(float) * D);
    le_spec_nearest_anchors(x, N, D, anchors, P, R, nbr, dist);
    le_spec_gaussian_rows(dist, N, R, 2.0, w, deg);
    double scale = le_spec_fixed_scale(1.0, N);
    int64_t whole[P * P] = {0}, dy[P] = {0}, split[P * P] = {0}, dys[P] = {0};
    le_spec_accumulate_gram(nbr, w, deg, N, R, P, scale, whole, dy);
    le_spec_accumulate_gram(nbr + 333 * R, w + 333 * R, deg + 333, N - 333, R, P, scale, split, dys);
    le_spec_accumulate_gram(nbr, w, deg, 333, R, P, scale, split, dys);
    assert_memory_equal(whole, split, sizeof whole);
    assert_memory_equal(dy, dys, sizeof dy);
    for (int j = 0; j < P; j++)
        for (int l = 0; l < P; l++) assert_true(whole[j * P + l] == whole[l * P + j]);
    /* Row sums of W are D_Y (sum_l b_il / d_i = 1), up to the rounding of
     * each term to 1/scale. */
    for (int j = 0; j < P; j++) {
        int64_t s = 0;
        for (int l = 0; l < P; l++) s += whole[j * P + l];
        assert_true(llabs(s - dy[j]) <= 2 * N * R);
    }
    free(x);
}

/* Each point's r anchors are the r nearest by the plain loop, ascending. */
static void test_nearest_anchors_match_brute_force(void **state)
{
    enum { N = 300, D = 16, P = 37, R = 5 };
    int32_t truth[N], nbr[N * R], naive_a[1];
    double dist[N * R];
    float naive_d2[1];
    float *x = make_blobs(N, D, 3, 9, truth);
    float *anchors = make_blobs(P, D, 3, 10, truth);
    le_spec_nearest_anchors(x, N, D, anchors, P, R, nbr, dist);
    for (int i = 0; i < N; i++) {
        le_km_nearest_naive(x + i * D, 1, D, anchors, P, naive_a, naive_d2);
        assert_int_equal(nbr[i * R], naive_a[0]);
        for (int a = 1; a < R; a++) assert_true(dist[i * R + a] >= dist[i * R + a - 1]);
        /* No anchor left out is nearer than the last kept. */
        for (int j = 0; j < P; j++) {
            int kept = 0;
            for (int a = 0; a < R; a++) kept |= nbr[i * R + a] == j;
            if (kept) continue;
            double s = 0;
            for (int t = 0; t < D; t++)
                s += (double)(x[i * D + t] - anchors[j * D + t]) * (x[i * D + t] - anchors[j * D + t]);
            assert_true(sqrt(s) >= dist[i * R + R - 1] - 1e-5);
        }
    }
    free(x), free(anchors);
}

static void test_signs_fixed_by_largest_component(void **state)
{
    double V[2 * 3] = {0.1, -0.9, 0.3, /* col 0 */ 0.5, 0.2, -0.5};
    le_spec_fix_signs(V, 3, 2);
    assert_true(V[1] == 0.9 && V[0] == -0.1 && V[2] == -0.3);
    assert_true(V[3] == 0.5 && V[5] == -0.5); /* a tie keeps the first: already positive */
}

static void test_fixed_scale_leaves_room(void **state)
{
    double s = le_spec_fixed_scale(1.0, 130000);
    assert_true(s * 130000.0 < 0x1.0p62 && s * 130000.0 >= 0x1.0p59);
    assert_true(le_spec_fixed_scale(0.0, 10) > 0);
}

static void test_too_few_anchors_is_a_usage_error(void **state)
{
    enum { N = 40, D = 4 };
    int32_t truth[N], assign[N];
    int64_t rep[8], size[8];
    float *x = make_blobs(N, D, 2, 1, truth);
    assert_int_equal(le_spectral_cluster(x, N, D, 8, 6, 3, 1, assign, rep, size, NULL), LE_ERR_USAGE);
    le_err_clear();
    free(x);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_blobs_are_split),
        cmocka_unit_test(test_rings_split_where_kmeans_cannot),
        cmocka_unit_test(test_gram_sums_exact_under_any_split),
        cmocka_unit_test(test_nearest_anchors_match_brute_force),
        cmocka_unit_test(test_signs_fixed_by_largest_component),
        cmocka_unit_test(test_fixed_scale_leaves_room),
        cmocka_unit_test(test_too_few_anchors_is_a_usage_error),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
