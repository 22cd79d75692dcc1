/* Fault periods: interval merging with a gap, filtering, lookup, and the
 * property the distributed merge relies on (merging pieces first changes
 * nothing). Values worked by hand in the comments. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
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

/* Poisson tails: lambda 2, P(X >= 3) = 1 - e^-2 (1 + 2 + 2) = 0.32332,
 * P(X <= 2) = 0.67668; no excess (k <= lambda) is a tail of 1. */
static void test_poisson_tails(void **state)
{
    (void)state;
    assert_float_equal(le_poisson_sf(3, 2.0), 0.3233236, 1e-6);
    assert_float_equal(le_poisson_cdf(2, 2.0), 0.6766764, 1e-6);
    assert_float_equal(le_poisson_sf(1, 2.0), 1.0, 0);
    assert_float_equal(le_poisson_cdf(-1, 2.0), 0.0, 0);
    /* far in the tail, no underflow to a wrong 0 or 1 */
    assert_true(le_poisson_sf(40, 5.0) > 0 && le_poisson_sf(40, 5.0) < 1e-15);
    assert_true(le_poisson_cdf(0, 60.0) > 0 && le_poisson_cdf(0, 60.0) < 1e-25);
}

/* Shares 0, .1, .2, .5 (and a bin without traffic, ignored): the
 * 0.5-quantile is element (int)(.5 x 3) = 1, .1; the 0.25-quantile is the
 * first, 0, so the floor; a floor above the quantile wins. Widths: 30
 * traces a bin over 100 s of 600 traces is 5 s, rounded up to 5 s steps and
 * capped. */
static void test_baseline_and_width(void **state)
{
    (void)state;
    le_bin b[] = {{0, 10, 0}, {1, 10, 1}, {2, 0, 0}, {3, 10, 2}, {4, 10, 5}};
    assert_float_equal(le_bins_baseline(b, 5, 0.5, 1e-4), 0.1, 1e-12);
    assert_float_equal(le_bins_baseline(b, 5, 0.25, 1e-4), 1e-4, 1e-12);
    assert_float_equal(le_bins_baseline(b, 5, 0.5, 0.15), 0.15, 1e-12);
    assert_int_equal(le_bin_width(100000000, 600, 30, 5000000, 300000000), 5000000);
    assert_int_equal(le_bin_width(100000000, 100, 30, 5000000, 300000000), 30000000);
    assert_int_equal(le_bin_width(100000000, 7, 30, 5000000, 300000000), 300000000);
}

/* Wrong labels scattered thin: 100 bins of 20 traces, one abnormal trace in
 * bins 9, 19, ... 99 (share .005), and a fault in bins 40-49 with 5
 * abnormal each (bin 49 is the fault's). The 0.25-quantile reads the
 * floor; the isolated share reads the background. With k = 2 a bin
 * qualifies when the 2 bins on each side hold no abnormal trace: of the 90
 * bins outside the fault, not the 4 around each of 9 ... 89 but 39 (28),
 * not 97 and 98, not 37-39 (next to the fault) nor 50-51: 55 bins, 1,100
 * traces, holding 8 of the scattered ones (all but 39): 8 / 1100. Asking
 * 1,200 traces, k = 1: not the 2 beside each of them but 39 (14), not 98,
 * not 38-39 nor 50: 72 bins, 1,440 traces, 8 / 1440. */
static void test_isolated_share(void **state)
{
    (void)state;
    le_bin b[100];
    for (int64_t i = 0; i < 100; i++) b[i] = (le_bin){i, 20, (i >= 40 && i < 50) ? 5 : (i % 10 == 9)};
    assert_float_equal(le_bins_baseline(b, 100, 0.25, 1e-4), 1e-4, 1e-12);
    assert_float_equal(le_bins_isolated_share(b, 100, 2, 1000), 8.0 / 1100, 1e-12);
    assert_float_equal(le_bins_isolated_share(b, 100, 2, 1200), 8.0 / 1440, 1e-12);
    assert_float_equal(le_bins_isolated_share(b, 100, 3, 1000), 8.0 / 1100, 1e-12); /* k: a power of 2 up to max_k */
    /* no abnormal trace outside the fault: 0, whatever k */
    for (int64_t i = 0; i < 100; i++) b[i].abnormal = (i >= 40 && i < 50) ? 5 : 0;
    assert_float_equal(le_bins_isolated_share(b, 100, 8, 1000), 0, 1e-12);
}

/* Bins of 10 traces at a normal share of .01 (lambda .1): 2 abnormal is
 * hot (P(X >= 2) = .0047), 1 is not (.095). Bins 0-1 (3 + 3 of 20: share
 * .3) open a period; the hole of bins 2-3 holds 2 abnormal of 20, likely at
 * .3 (P(X <= 2 | 6) = .062), so bin 4 is part of the same period but the
 * hole is no part of it. Bin 20 is 15 bins on (over the 10 allowed): a new
 * period; so is bin 35 (14 on; bins without traffic are no evidence either
 * way, only the distance counts). Bins 36-37 hold 200 traces and no
 * abnormal one, unlikely at .3 (P(X = 0 | 60) ~ 1e-26): bin 38 opens
 * another period. */
static void test_parts_from_bins(void **state)
{
    (void)state;
    le_bin b[] = {{0, 10, 3},  {1, 10, 3},  {2, 10, 1},   {3, 10, 1},   {4, 10, 4},
                  {20, 10, 3}, {35, 10, 3}, {36, 100, 0}, {37, 100, 0}, {38, 10, 3}};
    le_period *part;
    int64_t *group;
    int64_t n = le_periods_from_bins(b, 10, 1000, 0.01, 0.01, 10, &part, &group);
    assert_int_equal(n, 5);
    const le_period want[] = {{0, 1999, 6}, {4000, 4999, 4}, {20000, 20999, 3}, {35000, 35999, 3}, {38000, 38999, 3}};
    const int64_t want_group[] = {0, 0, 1, 2, 3};
    assert_memory_equal(part, want, sizeof want);
    assert_memory_equal(group, want_group, sizeof want_group);

    /* The periods' extents cover their holes; the parts do not. */
    le_period *per;
    assert_int_equal(le_groups_extent(part, group, n, &per), 4);
    assert_int_equal(per[0].start_us, 0), assert_int_equal(per[0].end_us, 4999), assert_int_equal(per[0].n_traces, 10);
    free(per);

    /* 35999 -> 38000 is 2001 apart: joins with a gap of 2001, not 2000. */
    int64_t g2[5];
    memcpy(g2, group, sizeof g2);
    assert_int_equal(le_groups_merge_gap(part, g2, n, 2000), 4);
    assert_int_equal(le_groups_merge_gap(part, g2, n, 2001), 3);
    const int64_t joined[] = {0, 0, 1, 2, 2};
    assert_memory_equal(g2, joined, sizeof joined);

    /* At least 4 abnormal traces a part: two parts go, period 1 with them;
     * the period of 3 + 3 survives a total filter of 6, not of 7. */
    int64_t k = le_parts_filter(part, group, n, 4);
    assert_int_equal(k, 2);
    assert_int_equal(part[1].start_us, 4000);
    free(part), free(group);

    n = le_periods_from_bins(b, 10, 1000, 0.01, 0.01, 10, &part, &group);
    le_groups_merge_gap(part, group, n, 2001);
    assert_int_equal(le_groups_filter(part, group, n, 6), 4);
    const int64_t kept_group[] = {0, 0, 1, 1};
    assert_memory_equal(group, kept_group, sizeof kept_group);
    assert_int_equal(part[2].start_us, 35000);
    free(part), free(group);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_merge_with_gap),  cmocka_unit_test(test_filter_and_find),
        cmocka_unit_test(test_overlap),         cmocka_unit_test(test_pieces_merge_like_the_whole),
        cmocka_unit_test(test_poisson_tails),   cmocka_unit_test(test_baseline_and_width),
        cmocka_unit_test(test_parts_from_bins), cmocka_unit_test(test_isolated_share)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
