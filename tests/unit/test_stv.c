/* Call paths, Welford merging and the service trace vector. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "stv.h"

/* root(op 1) -> a(op 2) -> b(op 3); root -> a(op 2) again -> c(op 3):
 * both grandchildren share the path 1/2/3, both children 1/2. */
static void test_paths_name_the_operation_sequence(void **state)
{
    int32_t parent[5] = {-1, 0, 1, 0, 3}, op[5] = {1, 2, 3, 2, 3};
    uint64_t id[5];
    le_callpath_ids(parent, op, 5, id);
    assert_true(id[1] == id[3]);
    assert_true(id[2] == id[4]);
    assert_true(id[0] != id[1] && id[1] != id[2]);
    /* the same operation at another depth is another path */
    int32_t p2[2] = {-1, 0}, o2[2] = {3, 3};
    uint64_t id2[2];
    le_callpath_ids(p2, o2, 2, id2);
    assert_true(id2[0] != id2[1] && id2[1] != id[2]);
    uint64_t v[5] = {id[0], id[1], id[2], id[3], id[4]};
    int64_t n = le_callpath_unique(v, 5);
    assert_int_equal(n, 3);
    assert_true(v[0] < v[1] && v[1] < v[2]);
    assert_true(le_callpath_find(v, n, id[2]) >= 0);
    assert_int_equal(le_callpath_find(v, n, id2[1]), -1);
}

/* Merging two halves gives the statistics of the whole. */
static void test_welford_merge(void **state)
{
    le_welford a = {0}, b = {0}, all = {0};
    for (int i = 0; i < 100; i++) {
        double x = i * 0.37 + (i % 7) * 3;
        le_welford_add(i < 30 ? &a : &b, x);
        le_welford_add(&all, x);
    }
    le_welford_merge(&a, &b);
    assert_true(a.n == 100);
    assert_true(fabs(a.mean - all.mean) < 1e-12 * fabs(all.mean));
    assert_true(fabs(le_welford_std(&a) - le_welford_std(&all)) < 1e-10);
    le_welford e = {0};
    le_welford_merge(&e, &all);
    assert_true(e.mean == all.mean && e.m2 == all.m2);
}

/* Absent paths are -1, repeated paths keep the largest time, in ms. */
static void test_stv_raw(void **state)
{
    int32_t parent[4] = {-1, 0, 0, 0}, op[4] = {1, 2, 2, 4};
    int64_t dur[4] = {9000, 1000, 3000, 500};
    uint64_t id[4], voc[8];
    le_callpath_ids(parent, op, 4, id);
    int32_t p3[2] = {-1, 0}, o3[2] = {1, 5};
    uint64_t other[2];
    le_callpath_ids(p3, o3, 2, other);
    voc[0] = id[0], voc[1] = id[1], voc[2] = other[1];
    int64_t n = le_callpath_unique(voc, 3);
    float v[3];
    int32_t pidx[4];
    le_callpath_index(id, 4, voc, n, pidx);
    assert_true(pidx[3] == -1 && pidx[0] == le_callpath_find(voc, n, id[0]));
    le_stv_raw(pidx, dur, 4, n, v); /* id[3] (op 4) is not in the vocabulary */
    assert_true(v[le_callpath_find(voc, n, id[0])] == 9.0f);
    assert_true(v[le_callpath_find(voc, n, id[1])] == 3.0f);
    assert_true(v[le_callpath_find(voc, n, other[1])] == -1.0f);
    double mean[3] = {1, 1, 1}, inv[3] = {0.5, 0.5, 0.5};
    le_stv_standardise(v, 1, 3, mean, inv);
    assert_true(v[le_callpath_find(voc, n, other[1])] == -1.0f);
    assert_true(v[le_callpath_find(voc, n, id[0])] == 4.0f);
}

/* Self time: a parent's duration minus the time its children cover inside
 * it (the union: parallel children count once; never below 0). */
static void test_dev_selftime(void **state)
{
    /* 0 [0,1000) with kids 1 [100,400) (its kid 2 [150,250)) and
     * 3 [200,1100), clipped at the parent's end */
    int32_t parent[4] = {-1, 0, 1, 0};
    int64_t start[4] = {0, 100, 150, 200}, dur[4] = {1000, 300, 100, 900}, scratch[9];
    float x[4];
    le_dev_selftime(parent, start, dur, 4, scratch, x);
    assert_float_equal(x[0], log1pf(100), 1e-6); /* covered [100, 1000) */
    assert_float_equal(x[1], log1pf(200), 1e-6);
    assert_float_equal(x[2], log1pf(100), 1e-6);
    assert_float_equal(x[3], log1pf(900), 1e-6);
    /* a fan-out: three parallel calls, listed out of start order, cover
     * [0, 500) and [600, 700): the parent's own 400 us remain (summing
     * durations would have left 0) */
    int32_t p2[4] = {-1, 0, 0, 0};
    int64_t s2[4] = {0, 600, 0, 10}, d2[4] = {1000, 100, 500, 450}, sc2[9];
    float x2[4];
    le_dev_selftime(p2, s2, d2, 4, sc2, x2);
    assert_float_equal(x2[0], log1pf(400), 1e-6);
    /* children entirely covering the parent: 0 */
    int64_t s3[4] = {0, 0, 300, 10}, d3[4] = {1000, 400, 800, 100};
    le_dev_selftime(p2, s3, d3, 4, sc2, x2);
    assert_true(x2[0] == 0.0f);
}

/* The trimmed pass drops the outlier, so the norm is the ordinary spans'
 * and the outlier stands out; split sums add up to the whole exactly. */
static void test_dev_stats_trim_and_split(void **state)
{
    int32_t ids[21]; /* every span on path 0 */
    float x[21];
    for (int i = 0; i < 21; i++) ids[i] = 0, x[i] = (float)(i % 2); /* mean 0.5, std 0.5 */
    x[20] = 40;
    int64_t all[LE_DEV_COLS] = {0}, a[LE_DEV_COLS] = {0}, b[LE_DEV_COLS] = {0};
    float mean, std, mean2, std2;
    le_dev_stats_add(all, ids, x, 21, NULL, NULL);
    le_dev_stats_add(a, ids, x, 9, NULL, NULL);
    le_dev_stats_add(b, ids + 9, x + 9, 12, NULL, NULL);
    for (int k = 0; k < LE_DEV_COLS; k++) assert_true(a[k] + b[k] == all[k]);
    le_dev_stats_finish(all, 1, &mean, &std);
    assert_true(mean > 2 && std > 8); /* the outlier widens the plain norm */
    int64_t t[LE_DEV_COLS] = {0};
    le_dev_stats_add(t, ids, x, 21, &mean, &std);
    le_dev_stats_finish(t, 1, &mean2, &std2);
    assert_int_equal(t[0], 20);
    assert_float_equal(mean2, 0.5f, 1e-5);
    assert_float_equal(std2, 0.5f, 1e-5);
}

/* Row: excess over the threshold, log-compressed, largest repeat; failure
 * flag in the second half; paths the trace lacks stay 0. */
static void test_dev_row(void **state)
{
    uint64_t voc[2] = {3, 9}, id[3] = {9, 9, 3};
    int32_t ids[3];
    le_callpath_index(id, 3, voc, 2, ids);
    float x[3] = {1.0f, 6.0f, 0.5f}, mean[2] = {0, 1}, std[2] = {1, 1};
    int8_t err[3] = {0, 0, 1};
    le_dev_cfg cfg = {2.0f, 1.0f, 0.5f};
    float out[4];
    le_dev_row(ids, x, err, 3, 2, mean, std, &cfg, out, out + 2);
    assert_true(out[0] == 0.0f);                    /* z 0.5 < 2 */
    assert_float_equal(out[1], log1pf(3.0f), 1e-6); /* z 5 over 2 */
    assert_true(out[2] == 0.5f && out[3] == 0.0f);
}

/* Burst: 4 bins of 10 traces; path 0 is in 1 trace of each bin (benign
 * background, base 0.1) except bin 2, where a fault puts it in 6. Path 1
 * never deviates. Only traces holding the component get a value, and only
 * where their bin's share exceeds the usual one. */
static void test_burst(void **state)
{
    const int64_t d = 2, nb = 4;
    int64_t cnt[8] = {0}, tot[4] = {0};
    float on[4] = {0.7f, 0, 0, 0}, err_only[4] = {0, 0, 1, 0}, off[4] = {0};
    for (int64_t b = 0; b < nb; b++)
        for (int i = 0; i < 10; i++) {
            int hit = b == 2 ? i < 6 : i == 0;
            le_burst_count(hit ? (i % 2 ? err_only : on) : off, d, 2, d, b, cnt, tot);
        }
    assert_true(tot[2] == 10 && cnt[2 * d] == 6 && cnt[2 * d + 1] == 0);
    double scratch[4], base[2];
    le_burst_base(cnt, tot, nb, d, scratch, base);
    assert_float_equal(base[0], 0.1, 1e-12); /* median of .1 .1 .6 .1 */
    assert_true(base[1] == 0);
    float out[2];
    le_burst_row(on, d, 2, d, cnt + 2 * d, tot[2], base, 0.5f, out);
    assert_float_equal(out[0], 0.5 * log2((0.6 + LE_BURST_EPS) / (0.1 + LE_BURST_EPS)), 1e-5);
    assert_true(out[1] == 0);
    le_burst_row(err_only, d, 2, d, cnt + 2 * d, tot[2], base, 0.5f, out); /* a failure is a component too */
    assert_true(out[0] > 1.2f);
    le_burst_row(on, d, 2, d, cnt, tot[0], base, 0.5f, out); /* the usual share: no burst */
    assert_true(out[0] == 0);
    le_burst_row(off, d, 2, d, cnt + 2 * d, tot[2], base, 0.5f, out); /* a normal trace in the burst: 0 */
    assert_true(out[0] == 0 && out[1] == 0);
    /* an empty bin does not pull the median down */
    int64_t cnt5[10] = {0}, tot5[5] = {0};
    for (int k = 0; k < 8; k++) cnt5[k] = cnt[k];
    for (int k = 0; k < 4; k++) tot5[k] = tot[k];
    double s5[5], b5[2];
    le_burst_base(cnt5, tot5, 5, d, s5, b5);
    assert_float_equal(b5[0], 0.1, 1e-12);
}

/* Call counts: a page normally makes 5 product lookups (path 0) and, in a
 * long cart, sometimes 9; path 1 is called once. 20 traces: 17 normal with
 * 5 lookups, 2 long carts with 9, 1 wrong answer with 1. */
static void test_count_norms_and_sides(void **state)
{
    const uint64_t voc[2] = {10, 20};
    uint64_t id[4] = {10, 10, 20, 99}; /* 99: not in the vocabulary */
    int32_t cnt[2], ids[4];
    le_callpath_index(id, 4, voc, 2, ids);
    le_count_paths(ids, 4, 2, cnt);
    assert_true(cnt[0] == 2 && cnt[1] == 1);

    int64_t sums[2 * LE_CNT_COLS] = {0}, split_a[2 * LE_CNT_COLS] = {0}, split_b[2 * LE_CNT_COLS] = {0};
    int32_t rows[20][2];
    for (int t = 0; t < 20; t++) rows[t][0] = t < 17 ? 5 : t < 19 ? 9 : 1, rows[t][1] = 1;
    for (int t = 0; t < 20; t++) {
        le_count_stats_add(sums, rows[t], 2, NULL, NULL);
        le_count_stats_add(t < 7 ? split_a : split_b, rows[t], 2, NULL, NULL);
    }
    for (int k = 0; k < 2 * LE_CNT_COLS; k++) assert_true(split_a[k] + split_b[k] == sums[k]); /* exact over ranks */
    double mean[2], std[2];
    le_count_stats_finish(sums, 2, mean, std);
    assert_float_equal(mean[0], (17 * 5 + 18 + 1) / 20.0, 1e-12);
    assert_true(std[1] == 0); /* a count that never varies: no floor here */
    /* trimmed pass: the wrong answer (z about -2.6) is within 3 std, the
     * constant path keeps only its exact value */
    int64_t trim[2 * LE_CNT_COLS] = {0};
    for (int t = 0; t < 20; t++) le_count_stats_add(trim, rows[t], 2, mean, std);
    assert_true(trim[LE_CNT_COLS] == 20);

    float comp[8] = {0, 0, 0, 0, 7, 7, 7, 7};
    int32_t few[2] = {1, 1}, many[2] = {9, 1}, usual[2] = {5, 3};
    double m2[2] = {5, 1}, s2[2] = {1, 0};
    le_count_sides(few, 2, m2, s2, comp); /* z = -4: low */
    assert_true(comp[0] == 1 && comp[2] == 0 && comp[1] == 0 && comp[3] == 0);
    le_count_sides(many, 2, m2, s2, comp); /* z = +4: high, in the second quarter */
    assert_true(comp[0] == 0 && comp[2] == 1);
    le_count_sides(usual, 2, m2, s2, comp); /* path 1: std 0 floored at 0.5, z = 4: high */
    assert_true(comp[0] == 0 && comp[2] == 0 && comp[3] == 1);
    for (int k = 4; k < 8; k++) assert_true(comp[k] == 7); /* [low | high] only: one block of 2d for le_burst_* */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_paths_name_the_operation_sequence),
                                       cmocka_unit_test(test_welford_merge),
                                       cmocka_unit_test(test_stv_raw),
                                       cmocka_unit_test(test_dev_selftime),
                                       cmocka_unit_test(test_dev_stats_trim_and_split),
                                       cmocka_unit_test(test_dev_row),
                                       cmocka_unit_test(test_burst),
                                       cmocka_unit_test(test_count_norms_and_sides)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
