/* The serial pieces of the visible truth (algos/truth.h) and of exact
 * quantiles (algos/quantile.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "quantile.h"
#include "truth.h"

/* Recv (0) -> A (1) -> B (2), Recv -> C (3): self = duration less direct children. */
static void selftime_less_direct_children(void **state)
{
    (void)state;
    int32_t parent[] = {-1, 0, 1, 0};
    int64_t dur[] = {100, 60, 50, 30}, self[4];
    le_vis_selftime(parent, dur, 4, self);
    assert_int_equal(self[0], 10); /* 100 - 60 - 30 */
    assert_int_equal(self[1], 10); /* 60 - 50: the grandchild is not subtracted */
    assert_int_equal(self[2], 50);
    assert_int_equal(self[3], 30);
    int64_t par_dur[] = {100, 80, 1, 70}; /* overlapping children: negative self time is kept */
    le_vis_selftime(parent, par_dur, 4, self);
    assert_int_equal(self[0], -50);
}

static void structure_is_a_multiset(void **state)
{
    (void)state;
    /* op 5 with children ops 1, 2, 1 in two orders; then with 1, 2 only; then 1, 2, 2 */
    int32_t parent[] = {-1, 0, 0, 0};
    int32_t a[] = {5, 1, 2, 1}, b[] = {5, 2, 1, 1}, c[] = {5, 1, 2, 2};
    uint64_t ha[4], hb[4], hc[4], hd[3];
    le_vis_structure(parent, a, 4, ha);
    le_vis_structure(parent, b, 4, hb);
    le_vis_structure(parent, c, 4, hc);
    le_vis_structure(parent, a, 3, hd);
    assert_true(ha[0] == hb[0]); /* order does not matter */
    assert_true(ha[0] != hc[0]); /* which children, counted */
    assert_true(ha[0] != hd[0]); /* how many */
    assert_true(ha[1] == ha[3]); /* leaves of one operation alike */
    assert_true(ha[1] != ha[2]);
    int32_t lone[] = {5}; /* a leaf of op 5 is not op 5 with children */
    uint64_t hl[1];
    le_vis_structure(parent, lone, 1, hl);
    assert_true(hl[0] != ha[0]);
}

/* numpy.quantile(x, q) (linear) for x = 0, 10, ..., 90. */
static void quantile_like_numpy(void **state)
{
    (void)state;
    int64_t x[10];
    for (int i = 0; i < 10; i++) x[i] = 10 * i;
    assert_true(fabs(le_quantile_sorted(x, 10, 0.999) - 89.91) < 1e-9);
    assert_true(le_quantile_sorted(x, 10, 0.5) == 45);
    assert_true(le_quantile_sorted(x, 10, 1.0) == 90);
    assert_true(le_quantile_sorted(x, 10, 0.0) == 0);
    assert_true(le_quantile_sorted(x, 1, 0.999) == 0);
    int64_t k;
    double frac;
    le_quantile_ranks(10, 0.999, &k, &frac);
    assert_int_equal(k, 8);
    assert_true(fabs(frac - 0.991) < 1e-9);
    assert_int_equal(le_count_le_sorted(x, 10, 45), 5);
    assert_int_equal(le_count_le_sorted(x, 10, -1), 0);
    assert_int_equal(le_count_le_sorted(x, 10, 90), 10);
}

static void span_shows_and_trace_fault(void **state)
{
    (void)state;
    uint64_t ref[] = {3, 7, 11};
    assert_false(le_vis_span_shows(0, 100, 100.0, 7, ref, 3)); /* at the threshold: not above */
    assert_true(le_vis_span_shows(0, 101, 100.0, 7, ref, 3));
    assert_true(le_vis_span_shows(1, 0, 100.0, 7, ref, 3)); /* failed */
    assert_true(le_vis_span_shows(0, 0, 100.0, 8, ref, 3)); /* new structure */
    le_vis_fault f[] = {{1, 100, 200}, {2, 150, 300}, {-1, 0, 1000}};
    int32_t svc[] = {0, 1, 2};
    uint8_t shows_1[] = {0, 1, 0}, shows_2[] = {0, 0, 1}, shows_0[] = {1, 0, 0};
    assert_int_equal(le_vis_trace_fault(f, 3, 160, svc, shows_1, 3), 0);
    assert_int_equal(le_vis_trace_fault(f, 3, 160, svc, shows_2, 3), 1);
    assert_int_equal(le_vis_trace_fault(f, 3, 160, svc, shows_0, 3), -1); /* a fault without a service never fits */
    assert_int_equal(le_vis_trace_fault(f, 3, 250, svc, shows_1, 3), -1); /* outside fault 0's window */
    assert_int_equal(le_vis_trace_fault(f, 3, 200, svc, shows_1, 3), 0);  /* the window's end is inside */
    assert_true(le_vis_outside(f, 2, 99));
    assert_false(le_vis_outside(f, 2, 300));
    assert_true(le_vis_outside(f, 2, 301));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(selftime_less_direct_children),
        cmocka_unit_test(structure_is_a_multiset),
        cmocka_unit_test(quantile_like_numpy),
        cmocka_unit_test(span_shows_and_trace_fault),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
