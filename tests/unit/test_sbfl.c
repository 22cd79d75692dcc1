/* SBFL formulas against values worked by hand, call depths, and the
 * ordering rule where scores tie. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "sbfl.h"
#include "callpath.h"

#define CLOSE(a, b) assert_true(fabs((a) - (b)) < 1e-12)

/* ef=6 ep=2 nf=4 np=8 (10 failing, 10 passing traces):
 *   Ochiai    6 / sqrt(8 * 10)           = 0.670820393249937
 *   Tarantula (6/10) / (6/10 + 2/10)     = 0.75
 *   DStar^2   36 / (2 + 4)               = 6
 *   Jaccard   6 / (6 + 4 + 2)            = 0.5 */
static void test_formulas(void **state)
{
    le_sbfl c = {6, 2, 4, 8};
    CLOSE(le_sbfl_score(LE_SBFL_OCHIAI, c), 6 / sqrt(80));
    CLOSE(le_sbfl_score(LE_SBFL_OCHIAI, c), 0.670820393249937);
    CLOSE(le_sbfl_score(LE_SBFL_TARANTULA, c), 0.75);
    CLOSE(le_sbfl_score(LE_SBFL_DSTAR, c), 6);
    CLOSE(le_sbfl_score(LE_SBFL_JACCARD, c), 0.5);
    /* through every failing trace and no passing one: the perfect suspect */
    le_sbfl p = {10, 0, 0, 10};
    CLOSE(le_sbfl_score(LE_SBFL_OCHIAI, p), 1);
    CLOSE(le_sbfl_score(LE_SBFL_TARANTULA, p), 1);
    CLOSE(le_sbfl_score(LE_SBFL_DSTAR, p), 200); /* 100 / 0.5, finite */
    CLOSE(le_sbfl_score(LE_SBFL_JACCARD, p), 1);
    /* no failing trace through it: 0 everywhere, never NaN */
    le_sbfl z = {0, 5, 10, 5};
    for (int f = 0; f < LE_SBFL_N_FORMULAS; f++) assert_true(le_sbfl_score(f, z) == 0);
    le_sbfl e = {0, 0, 0, 0};
    for (int f = 0; f < LE_SBFL_N_FORMULAS; f++) assert_true(le_sbfl_score(f, e) == 0);
    /* Tarantula with no passing trace at all: 1 */
    CLOSE(le_sbfl_score(LE_SBFL_TARANTULA, (le_sbfl){3, 0, 1, 0}), 1);
    assert_int_equal(le_sbfl_parse("dstar"), LE_SBFL_DSTAR);
    assert_int_equal(le_sbfl_parse("Ochiai"), -1);
    assert_string_equal(le_sbfl_name(LE_SBFL_JACCARD), "jaccard");
}

/* Chan's merge of two halves gives the whole: {1,2,3,4} mean 2.5,
 * population variance 1.25. */
static void test_welford_halves(void **state)
{
    le_welford a = {0}, b = {0}, all = {0};
    for (int i = 1; i <= 4; i++) le_welford_add(i <= 1 ? &a : &b, i), le_welford_add(&all, i);
    le_welford_merge(&a, &b);
    CLOSE(a.mean, 2.5);
    CLOSE(a.m2, all.m2);
    CLOSE(le_welford_std(&a), sqrt(1.25));
}

/* frontend(0) -> cart(1) -> redis(2); frontend -> ad(3); 4 absent. */
static void test_depth(void **state)
{
    le_kc e[] = {{0 * 5 + 1, 3}, {0 * 5 + 3, 1}, {1 * 5 + 2, 3}};
    uint8_t present[5] = {1, 1, 1, 1, 0};
    int32_t d[5];
    le_call_depth(5, 3, e, present, d);
    assert_int_equal(d[0], 0);
    assert_int_equal(d[1], 1);
    assert_int_equal(d[2], 2);
    assert_int_equal(d[3], 1);
    assert_int_equal(d[4], -1);
}

/* cart (1) and redis (2) tie on score, redis has the evidence: redis first.
 * frontend (0) is 15% below the leader: its own group with tie 0.1, ahead
 * of nothing it ties with. With tie 0 the plain score order stands, index
 * breaking the exact tie (cart before redis) unless evidence differs. */
static void test_order(void **state)
{
    double score[5] = {0.85, 1.0, 1.0, 0.2, 0}, ev[5] = {0.1, 0.2, 0.9, 0, 0};
    int32_t depth[5] = {0, 1, 2, 1, -1}, o[5];
    le_sbfl_order(5, score, ev, depth, 0.1, o);
    assert_int_equal(o[0], 2);
    assert_int_equal(o[1], 1);
    assert_int_equal(o[2], 0);
    assert_int_equal(o[3], 3);
    assert_int_equal(o[4], 4);
    /* a wider tolerance lets evidence lift frontend over cart */
    le_sbfl_order(5, score, ev, depth, 0.2, o);
    assert_int_equal(o[0], 2);
    assert_int_equal(o[1], 1); /* ev 0.2 > 0.1 */
    ev[0] = 0.5;
    le_sbfl_order(5, score, ev, depth, 0.2, o);
    assert_int_equal(o[0], 2);
    assert_int_equal(o[1], 0);
    assert_int_equal(o[2], 1);
    /* equal evidence: the deeper service first (redis below cart) */
    double ev2[5] = {0, 0.5, 0.5, 0, 0};
    le_sbfl_order(5, score, ev2, depth, 0, o);
    assert_int_equal(o[0], 2);
    assert_int_equal(o[1], 1);
    /* no evidence anywhere and tie 0: by score, then index */
    double zero[5] = {0};
    le_sbfl_order(5, score, zero, NULL, 0, o);
    assert_int_equal(o[0], 1);
    assert_int_equal(o[1], 2);
    assert_int_equal(o[2], 0);
}

/* A period where ad (1) is broken: most abnormal traces point at ad and
 * at frontend (0), its caller; bystanders currency (2), catalog (3) and
 * cart (4) score close to ad. The implicated come first, the callee before
 * its caller, even with frontend's low score; the bystanders then form
 * their tie groups among themselves, so ad's score (which a few wrong
 * labels move) does not decide whether catalog joins currency's group. */
static void test_order_implicated(void **state)
{
    (void)state;
    double score[5] = {0.546, 0.73, 0.62, 0.578, 0.40}, ev[5] = {1.0, 1.0, 0.027, 0.09, 0.01};
    int32_t depth[5] = {0, 1, 1, 1, 1}, o[5];
    le_sbfl_order(5, score, ev, depth, 0.2, o);
    assert_int_equal(o[0], 1); /* ad: implicated, deeper */
    assert_int_equal(o[1], 0); /* frontend: implicated */
    assert_int_equal(o[2], 3); /* catalog: in currency's group (0.578 >= 0.8 * 0.62), more evidence */
    assert_int_equal(o[3], 2);
    assert_int_equal(o[4], 4); /* cart: its own group (0.40 < 0.496) */
    /* ad's score over 0.7225 (0.578 / 0.8) would have split catalog from
     * currency had ad led the group: the order stays */
    score[1] = 0.80;
    le_sbfl_order(5, score, ev, depth, 0.2, o);
    assert_int_equal(o[2], 3);
    /* tie 0: no implicated, plain score order */
    le_sbfl_order(5, score, ev, depth, 0, o);
    assert_int_equal(o[0], 1);
    assert_int_equal(o[1], 2);
    assert_int_equal(o[2], 3);
    assert_int_equal(o[3], 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_formulas), cmocka_unit_test(test_welford_halves),
                                       cmocka_unit_test(test_depth), cmocka_unit_test(test_order),
                                       cmocka_unit_test(test_order_implicated)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
