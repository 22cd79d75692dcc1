/* The labeling budget (algos/budget.h): the default's picks do not grow with
 * the corpus, a fixed budget splits as before issue 19 (60% then 40%), the
 * stopping rule names its reason, and the changed share is 1 - Jaccard of
 * the abnormal sets. Values worked by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budget.h"

/* The default: 100, then 30 a round, the last round cut to the cap; no N
 * anywhere, so 1.3e5 and 1.3e7 traces get the same picks. */
static void test_default_picks(void **state)
{
    (void)state;
    le_budget b;
    le_budget_default(&b);
    assert_int_equal(b.fixed, 0);
    assert_int_equal(le_budget_picks(&b, 1, 0), LE_FIRST_ROUND_DEFAULT);
    assert_int_equal(le_budget_picks(&b, 2, 100), LE_ROUND_PICKS_DEFAULT);
    b.max_labels = 145;
    assert_int_equal(le_budget_picks(&b, 3, 130), 15); /* 145 - 130 */
    assert_int_equal(le_budget_picks(&b, 4, 145), 0);
    assert_int_equal(le_budget_picks(&b, 4, 150), 0); /* over the cap: nothing, not negative */
}

/* A fixed budget: 130 in two rounds is 78 + 52 (round(0.4 * 130) = 52), as
 * before; the share's K is round(X N) with a floor of 10. */
static void test_fixed_budget(void **state)
{
    (void)state;
    le_budget b;
    le_budget_default(&b);
    b.fixed = 130, b.rounds = LE_ROUNDS_DEFAULT;
    assert_int_equal(le_budget_picks(&b, 1, 0), 78);
    assert_int_equal(le_budget_picks(&b, 2, 78), 52);
    assert_int_equal(le_budget_picks(&b, 3, 130), 0);
    assert_int_equal(le_budget_of_share(0.001, 130363), 130);
    assert_int_equal(le_budget_of_share(0.001, 1303630), 1304); /* the paper's rule grows with N */
    assert_int_equal(le_budget_of_share(0.001, 3000), 10);
    /* a fixed budget never stops by the rule */
    assert_int_equal(le_budget_stop(&b, 3, 500, 0.0, 0.0), LE_STOP_NONE);
}

/* Stop reasons, in their order: past the rounds, the cap, then stability;
 * an unmeasured change (< 0, before round 3) never stops, nor does a round
 * whose picks were corrected in 10% of cases or more. */
static void test_stop_rule(void **state)
{
    (void)state;
    le_budget b;
    le_budget_default(&b);
    b.rounds = 4, b.max_labels = 200, b.stable = 0.01;
    assert_true(b.disagree == 0.1);
    assert_int_equal(le_budget_stop(&b, 1, 0, 0.0, 0.0), LE_STOP_NONE);
    assert_int_equal(le_budget_stop(&b, 2, 100, -1, -1), LE_STOP_NONE);
    assert_int_equal(le_budget_stop(&b, 3, 130, 0.05, 0.0), LE_STOP_NONE);
    assert_int_equal(le_budget_stop(&b, 3, 130, 0.009, 2.0 / 30), LE_STOP_STABLE);
    assert_int_equal(le_budget_stop(&b, 3, 130, 0.01, 0.0), LE_STOP_NONE);       /* "below": 0.01 is not */
    assert_int_equal(le_budget_stop(&b, 3, 130, 0.005, 8.0 / 50), LE_STOP_NONE); /* still corrected: a month's faults */
    assert_int_equal(le_budget_stop(&b, 3, 130, 0.005, 0.1), LE_STOP_NONE);      /* "under": 10% is not */
    assert_int_equal(le_budget_stop(&b, 3, 200, 0.5, 0.5), LE_STOP_MAX_LABELS);
    assert_int_equal(le_budget_stop(&b, 5, 160, 0.5, 0.5), LE_STOP_ROUNDS);
    assert_string_equal(le_stop_name(LE_STOP_STABLE), "stable");
    assert_string_equal(le_stop_name(LE_STOP_MAX_LABELS), "max-labels");
    assert_string_equal(le_stop_name(LE_STOP_ROUNDS), "rounds");
    assert_string_equal(le_stop_name(LE_STOP_NONE), "no");
}

/* before 0 1 1 0 0, after 0 1 0 1 0: two changed, three abnormal in either
 * (rows 1, 2, 3): 2/3. Nothing abnormal: 0, not a division by zero. */
static void test_changed_share(void **state)
{
    (void)state;
    const int8_t a[5] = {0, 1, 1, 0, 0}, b[5] = {0, 1, 0, 1, 0}, z[5] = {0};
    int64_t c, u;
    le_changed_count(a, b, 5, &c, &u);
    assert_int_equal(c, 2);
    assert_int_equal(u, 3);
    assert_true(le_changed_share(c, u) > 0.666 && le_changed_share(c, u) < 0.667);
    le_changed_count(z, z, 5, &c, &u);
    assert_int_equal(c, 0);
    assert_int_equal(u, 0);
    assert_true(le_changed_share(c, u) == 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_default_picks),
        cmocka_unit_test(test_fixed_budget),
        cmocka_unit_test(test_stop_rule),
        cmocka_unit_test(test_changed_share),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
