/* Fault periods: interval merging with a gap, filtering, lookup, and the
 * property the distributed merge relies on (merging pieces first changes
 * nothing). Values worked by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "periods.h"

/* [0,10] [5,20] merge (overlap); [25,30] is 5 past 20: joins with gap 5,
 * not with gap 4; [100,110] stays alone. Input out of order on purpose. */
static void test_merge_with_gap(void **state)
{
    le_period in[4] = {{100, 110, 1}, {5, 20, 2}, {25, 30, 1}, {0, 10, 3}}, p[4];
    memcpy(p, in, sizeof in);
    assert_int_equal(le_periods_merge(p, 4, 5), 2);
    assert_true(p[0].start_us == 0 && p[0].end_us == 30 && p[0].n_traces == 6);
    assert_true(p[1].start_us == 100 && p[1].end_us == 110 && p[1].n_traces == 1);
    memcpy(p, in, sizeof in);
    assert_int_equal(le_periods_merge(p, 4, 4), 3);
    assert_true(p[0].end_us == 20 && p[0].n_traces == 5);
    assert_true(p[1].start_us == 25 && p[1].end_us == 30);
    /* a contained interval does not shrink the period */
    le_period q[2] = {{0, 100, 1}, {10, 20, 1}};
    assert_int_equal(le_periods_merge(q, 2, 0), 1);
    assert_true(q[0].end_us == 100 && q[0].n_traces == 2);
    assert_int_equal(le_periods_merge(q, 0, 0), 0);
}

static void test_filter_and_find(void **state)
{
    le_period p[3] = {{0, 10, 1}, {20, 30, 5}, {40, 50, 2}};
    assert_int_equal(le_periods_filter(p, 3, 2), 2);
    assert_true(p[0].start_us == 20 && p[1].start_us == 40);
    assert_int_equal(le_periods_find(p, 2, 19), -1);
    assert_int_equal(le_periods_find(p, 2, 20), 0);
    assert_int_equal(le_periods_find(p, 2, 30), 0);
    assert_int_equal(le_periods_find(p, 2, 35), -1);
    assert_int_equal(le_periods_find(p, 2, 50), 1);
    assert_int_equal(le_periods_find(p, 2, 51), -1);
    assert_int_equal(le_periods_find(p, 0, 5), -1);
}

/* Fault [15,45] overlaps [20,30] by 10 and [40,50] by 5: the first wins. */
static void test_overlap(void **state)
{
    le_period p[2] = {{20, 30, 5}, {40, 50, 2}};
    assert_int_equal(le_overlap_us(15, 45, 20, 30), 10);
    assert_int_equal(le_overlap_us(0, 5, 6, 9), 0);
    assert_int_equal(le_periods_best_overlap(p, 2, 15, 45), 0);
    assert_int_equal(le_periods_best_overlap(p, 2, 29, 60), 1);
    assert_int_equal(le_periods_best_overlap(p, 2, 60, 70), -1);
    assert_int_equal(le_periods_best_overlap(p, 2, 25, 25), 0);
}

/* Split pseudo-random intervals into 3 pieces, merge each, merge the
 * concatenation: the same periods and counts as merging all at once. */
static void test_pieces_merge_like_the_whole(void **state)
{
    enum { N = 600 };
    le_period all[N], parts[N];
    uint64_t x = 12345;
    for (int i = 0; i < N; i++) {
        x = x * 6364136223846793005ULL + 1442695040888963407ULL;
        int64_t s = (int64_t)(x >> 40) % 100000;
        all[i] = (le_period){s, s + 300, 1};
    }
    for (int64_t gap = 0; gap <= 400; gap += 200) {
        memcpy(parts, all, sizeof all);
        int64_t m = 0, cut[4] = {0, 150, 420, N};
        le_period merged[N];
        for (int k = 0; k < 3; k++) {
            int64_t n = le_periods_merge(parts + cut[k], cut[k + 1] - cut[k], gap);
            memcpy(merged + m, parts + cut[k], sizeof *merged * (size_t)n);
            m += n;
        }
        m = le_periods_merge(merged, m, gap);
        memcpy(parts, all, sizeof all);
        int64_t w = le_periods_merge(parts, N, gap);
        assert_int_equal(m, w);
        assert_memory_equal(merged, parts, sizeof *parts * (size_t)w);
        assert_true(w > 1);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_merge_with_gap), cmocka_unit_test(test_filter_and_find),
                                       cmocka_unit_test(test_overlap), cmocka_unit_test(test_pieces_merge_like_the_whole)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
