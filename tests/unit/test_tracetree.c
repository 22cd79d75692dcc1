/* tracetree: root choice, drop classes and preorder on hand-made traces,
 * in both modes (first root only; whole trace under a virtual root). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "tracetree.h"

typedef struct result {
    int32_t k, cls[16], order[17], np[17];
    int promoted;
    le_tt_info info;
} result;

static result build_in(int mode, int32_t n, const int32_t *parent, const int64_t *start)
{
    result r;
    le_tt_work w = {0};
    r.k = le_tt_build(n, parent, start, mode, &w, r.cls, r.order, r.np, &r.info);
    r.promoted = r.info.promoted;
    le_tt_work_free(&w);
    return r;
}

static result build(int32_t n, const int32_t *parent, const int64_t *start)
{
    return build_in(LE_TT_FIRST_ROOT, n, parent, start);
}

static void preorder_children_by_start(void **state)
{
    /* 0 root; 1,2 children of 0 (2 starts first); 3 child of 1 */
    int32_t parent[] = {LE_TT_ROOT, 0, 0, 1};
    int64_t start[] = {0, 20, 10, 25};
    result r = build(4, parent, start);
    assert_int_equal(r.k, 4);
    int32_t want_order[] = {0, 2, 1, 3}, want_np[] = {-1, 0, 0, 2};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r.order[i], want_order[i]);
        assert_int_equal(r.np[i], want_np[i]);
        assert_int_equal(r.cls[i], LE_TT_KEPT);
    }
    assert_false(r.promoted);
}

static void orphan_cycle_and_extra_root(void **state)
{
    /* 0 root with child 1; 2 orphan with child 3; 4<->5 cycle; 6 second root (smaller) */
    int32_t parent[] = {LE_TT_ROOT, 0, LE_TT_MISSING, 2, 5, 4, LE_TT_ROOT};
    int64_t start[] = {5, 6, 1, 2, 3, 4, 0};
    result r = build(7, parent, start);
    assert_int_equal(r.k, 2);
    assert_int_equal(r.order[0], 0);
    assert_int_equal(r.cls[2], LE_TT_ORPHAN);
    assert_int_equal(r.cls[3], LE_TT_ORPHAN);
    assert_int_equal(r.cls[4], LE_TT_CYCLE);
    assert_int_equal(r.cls[5], LE_TT_CYCLE);
    assert_int_equal(r.cls[6], LE_TT_EXTRA_ROOT);
}

static void largest_root_wins_then_earliest(void **state)
{
    int32_t parent[] = {LE_TT_ROOT, LE_TT_ROOT, 1};
    int64_t start[] = {0, 5, 6};
    result r = build(3, parent, start);
    assert_int_equal(r.k, 2);
    assert_int_equal(r.order[0], 1);
    assert_int_equal(r.cls[0], LE_TT_EXTRA_ROOT);
    int32_t p2[] = {LE_TT_ROOT, LE_TT_ROOT};
    int64_t s2[] = {9, 3};
    r = build(2, p2, s2);
    assert_int_equal(r.order[0], 1);
}

static void rootless_trace_promotes_earliest_orphan(void **state)
{
    int32_t parent[] = {LE_TT_MISSING, 0, LE_TT_MISSING};
    int64_t start[] = {10, 11, 12};
    result r = build(3, parent, start);
    assert_true(r.promoted);
    assert_int_equal(r.k, 2);
    assert_int_equal(r.order[0], 0);
    assert_int_equal(r.cls[2], LE_TT_ORPHAN);
}

static void self_parent_is_a_cycle(void **state)
{
    int32_t parent[] = {LE_TT_ROOT, 1};
    int64_t start[] = {0, 1};
    result r = build(2, parent, start);
    assert_int_equal(r.k, 1);
    assert_int_equal(r.cls[1], LE_TT_CYCLE);
}

static void deep_chain_keeps_parent_before_child(void **state)
{
    enum { N = 16 };
    int32_t parent[N];
    int64_t start[N];
    for (int i = 0; i < N; i++) { /* chain in reverse index order: root is N-1 */
        parent[i] = i == N - 1 ? LE_TT_ROOT : i + 1;
        start[i] = N - i;
    }
    result r = build(N, parent, start);
    assert_int_equal(r.k, N);
    for (int i = 0; i < N; i++) assert_true(r.np[i] < i);
}

static void whole_keeps_every_root_under_a_virtual_one(void **state)
{
    /* 0 root with child 1; 2 orphan with child 3; 4<->5 cycle; 6 second root (earliest) */
    int32_t parent[] = {LE_TT_ROOT, 0, LE_TT_MISSING, 2, 5, 4, LE_TT_ROOT};
    int64_t start[] = {5, 6, 1, 2, 3, 4, 0};
    result r = build_in(LE_TT_WHOLE, 7, parent, start);
    assert_int_equal(r.k, 6); /* virtual + 0 1 2 3 6 */
    assert_true(r.info.virtual_root);
    assert_false(r.info.promoted);
    assert_int_equal(r.info.attached, 1);
    /* virtual root, then its children by start: 6 (0), 2 (1) with 3, 0 (5) with 1 */
    int32_t want_order[] = {7, 6, 2, 3, 0, 1}, want_np[] = {-1, 0, 0, 2, 0, 4};
    for (int i = 0; i < 6; i++) {
        assert_int_equal(r.order[i], want_order[i]);
        assert_int_equal(r.np[i], want_np[i]);
    }
    assert_int_equal(r.cls[4], LE_TT_CYCLE);
    assert_int_equal(r.cls[5], LE_TT_CYCLE);
    assert_int_equal(r.cls[6], LE_TT_KEPT);
}

static void whole_hangs_orphans_under_the_single_root(void **state)
{
    /* 0 root; 1 child; 2 orphan (parent missing) with child 3 */
    int32_t parent[] = {LE_TT_ROOT, 0, LE_TT_MISSING, 2};
    int64_t start[] = {0, 5, 1, 2};
    result r = build_in(LE_TT_WHOLE, 4, parent, start);
    assert_int_equal(r.k, 4);
    assert_false(r.info.virtual_root);
    assert_int_equal(r.info.attached, 1);
    int32_t want_order[] = {0, 2, 3, 1}, want_np[] = {-1, 0, 1, 0};
    for (int i = 0; i < 4; i++) {
        assert_int_equal(r.order[i], want_order[i]);
        assert_int_equal(r.np[i], want_np[i]);
    }
}

static void whole_rootless_trace(void **state)
{
    /* one span with a missing parent: promoted; two: a virtual root over both */
    int32_t p1[] = {LE_TT_MISSING, 0};
    int64_t s1[] = {10, 11};
    result r = build_in(LE_TT_WHOLE, 2, p1, s1);
    assert_int_equal(r.k, 2);
    assert_true(r.info.promoted);
    assert_false(r.info.virtual_root);
    assert_int_equal(r.info.attached, 0);
    int32_t p2[] = {LE_TT_MISSING, 0, LE_TT_MISSING};
    int64_t s2[] = {10, 11, 12};
    r = build_in(LE_TT_WHOLE, 3, p2, s2);
    assert_int_equal(r.k, 4);
    assert_true(r.info.virtual_root);
    assert_false(r.info.promoted);
    assert_int_equal(r.info.attached, 2);
    assert_int_equal(r.order[0], 3);
    /* every span on a cycle: nothing */
    int32_t p3[] = {1, 0};
    r = build_in(LE_TT_WHOLE, 2, p3, s1);
    assert_int_equal(r.k, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(preorder_children_by_start),
        cmocka_unit_test(orphan_cycle_and_extra_root),
        cmocka_unit_test(largest_root_wins_then_earliest),
        cmocka_unit_test(rootless_trace_promotes_earliest_orphan),
        cmocka_unit_test(self_parent_is_a_cycle),
        cmocka_unit_test(deep_chain_keeps_parent_before_child),
        cmocka_unit_test(whole_keeps_every_root_under_a_virtual_one),
        cmocka_unit_test(whole_hangs_orphans_under_the_single_root),
        cmocka_unit_test(whole_rootless_trace),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
