/* Confidence weights of the root-cause counts (algos/confweight.h) and the
 * support a period needs (algos/support.h), against values worked by hand. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "confweight.h"
#include "sbfl.h"
#include "support.h"

#define W(x) llround((x) * (double)LE_W_ONE)

/* w = 1 - exp(-margin / scale); 1 for given labels and +inf; 0 for NaN or a
 * negative margin (not propagate's). */
static void test_weight(void **state)
{
    (void)state;
    assert_int_equal(le_label_weight(0, 0, 2), 0);
    assert_int_equal(le_label_weight(2, 0, 2), W(1 - exp(-1))); /* at the typical margin: 0.632 */
    assert_int_equal(le_label_weight(1, 0, 4), W(1 - exp(-0.25)));
    assert_int_equal(le_label_weight(0.5f, 1, 4), LE_W_ONE); /* a person's label counts whole */
    assert_int_equal(le_label_weight(INFINITY, 0, 4), LE_W_ONE);
    assert_int_equal(le_label_weight(NAN, 0, 4), 0);
    assert_int_equal(le_label_weight(-1, 0, 4), 0);
    assert_int_equal(le_label_weight(3, 0, 0), LE_W_ONE); /* no scale: any margin is sure */
    /* relative to the scale: the unit of the representation cancels */
    assert_int_equal(le_label_weight(0.02f, 0, 0.08), le_label_weight(2, 0, 8));
    /* more margin, more weight, never above 1 */
    int64_t last = -1;
    for (float m = 0; m < 100; m += 0.37f) {
        int64_t w = le_label_weight(m, 0, 3);
        assert_true(w >= last && w <= LE_W_ONE);
        last = w;
    }
}

/* Buckets are monotone; the median of a histogram is the bucket's floor. */
static void test_margin_quantile(void **state)
{
    (void)state;
    assert_int_equal(le_margin_bucket(NAN), -1);
    assert_int_equal(le_margin_bucket(-0.5f), -1);
    assert_int_equal(le_margin_bucket(INFINITY), -1);
    assert_true(le_margin_bucket(0) == 0);
    assert_true(le_margin_bucket(1) < le_margin_bucket(1.01f));
    assert_true(le_margin_bucket(1) == le_margin_bucket(1.005f)); /* width 1/128 relative */
    assert_true(le_margin_of_bucket(le_margin_bucket(1.5f)) == 1.5);
    static int64_t h[LE_MARGIN_BUCKETS];
    assert_true(le_margin_quantile(h, 0.5) == 0); /* empty */
    /* 1, 2, 2, 4, 100: median 2, q0 1, q1 100 (within its bucket) */
    const float m[] = {1, 2, 2, 4, 100};
    for (int i = 0; i < 5; i++) h[le_margin_bucket(m[i])]++;
    assert_true(le_margin_quantile(h, 0.5) == 2);
    assert_true(le_margin_quantile(h, 0) == 1);
    double top = le_margin_quantile(h, 1);
    assert_true(top <= 100 && top > 99);
}

/* needed = mu + z sqrt(mu), mu = share * traffic. */
static void test_support_needed(void **state)
{
    (void)state;
    assert_true(fabs(le_support_needed(1000, 0.01, 2) - (10 + 2 * sqrt(10))) < 1e-12);
    assert_true(le_support_needed(1000, 0.01, 0) == 10);
    assert_true(le_support_needed(0, 0.01, 2) == 0);
    /* ten times the traffic: mu ten times, its noise sqrt(10) times */
    double a = le_support_needed(1000, 0.04, 2), b = le_support_needed(10000, 0.04, 2);
    assert_true(b > a && b < 10 * a);
}

/* The tail rule: the smallest k with P(X >= k) < p. mu = 1 (100 traces at
 * .01): P(X >= 5) = .0037, P(X >= 6) = .00059, so p = .001 needs 6; mu = 0
 * (no background) needs 1; a smaller p needs more. */
static void test_support_needed_tail(void **state)
{
    (void)state;
    assert_true(le_support_needed_tail(100, 0.01, 0.001) == 6);
    assert_true(le_support_needed_tail(100, 0.01, 0.01) == 5);
    assert_true(le_support_needed_tail(100, 0, 0.001) == 1);
    assert_true(le_support_needed_tail(100, 0.01, 1e-6) > 6);
    /* mu = 100: about mu + 3 sqrt(mu) at p = .001 */
    double k = le_support_needed_tail(10000, 0.01, 0.001);
    assert_true(k > 125 && k < 140);
}

/* Periods 0 (parts 0, 1), 1 (part 2), 2 (part 3), 3 (part 4). Share 0.01,
 * z 2, min 2 abnormal traces:
 * period 0: traffic 400 + 600, mu 10, needs 16.32; support 9 + 8 = 17: kept.
 * period 1: traffic 100, mu 1, needs 3; support 2.5: dropped.
 * period 2: traffic 50, needs 1.91; support 2: kept.
 * period 3: support 5 but one abnormal trace (< min 2): dropped. */
static void test_keep_supported(void **state)
{
    (void)state;
    le_period part[5] = {{0, 9, 9}, {20, 29, 8}, {40, 49, 4}, {60, 69, 2}, {80, 89, 1}};
    int64_t group[5] = {0, 0, 1, 2, 3}, traffic[5] = {400, 600, 100, 50, 10}, dropped = -1;
    double support[5] = {9, 8, 2.5, 2, 5};
    int64_t n = le_groups_keep_supported(part, group, support, traffic, 5, 0.01, 2, 0, 2, &dropped);
    assert_int_equal(n, 3);
    assert_int_equal(dropped, 2);
    assert_int_equal(group[0], 0), assert_int_equal(group[1], 0), assert_int_equal(group[2], 1);
    assert_int_equal(part[2].start_us, 60);
    assert_int_equal(traffic[2], 50);
    assert_true(support[2] == 2);
    /* z 3: period 0 needs 10 + 3 sqrt(10) = 19.49 > 17 and period 2 needs
     * 0.5 + 3 sqrt(0.5) = 2.62: with support 4 only period 2 stays */
    le_period p2[4] = {{0, 9, 9}, {20, 29, 8}, {40, 49, 4}, {60, 69, 2}};
    int64_t g2[4] = {0, 0, 1, 2}, t2[4] = {400, 600, 100, 50};
    double s2[4] = {9, 8, 2.5, 4};
    assert_int_equal(le_groups_keep_supported(p2, g2, s2, t2, 4, 0.01, 3, 0, 2, &dropped), 1);
    assert_int_equal(dropped, 2);
    assert_int_equal(g2[0], 0);
    assert_int_equal(p2[0].start_us, 60);
}

/* Weighted spectra: a uniform weight on every trace leaves Ochiai as it
 * is (it is homogeneous of degree 0), unsure failing traces lower it. */
static void test_weighted_ochiai(void **state)
{
    (void)state;
    le_sbfl c = {6, 2, 4, 8}, h = {6 * 0.63, 2 * 0.63, 4 * 0.63, 8 * 0.63};
    assert_true(fabs(le_sbfl_score(LE_SBFL_OCHIAI, c) - le_sbfl_score(LE_SBFL_OCHIAI, h)) < 1e-12);
    /* 4 of the 6 failing traces through it at weight 0.1 */
    le_sbfl u = {2 + 4 * 0.1, 2, 4, 8};
    assert_true(le_sbfl_score(LE_SBFL_OCHIAI, u) < le_sbfl_score(LE_SBFL_OCHIAI, c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_weight),         cmocka_unit_test(test_margin_quantile),
                                       cmocka_unit_test(test_support_needed), cmocka_unit_test(test_support_needed_tail),
                                       cmocka_unit_test(test_keep_supported), cmocka_unit_test(test_weighted_ochiai)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
