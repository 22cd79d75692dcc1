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
    le_stv_raw(id, dur, 4, voc, n, v); /* id[3] (op 4) is not in the vocabulary */
    assert_true(v[le_callpath_find(voc, n, id[0])] == 9.0f);
    assert_true(v[le_callpath_find(voc, n, id[1])] == 3.0f);
    assert_true(v[le_callpath_find(voc, n, other[1])] == -1.0f);
    double mean[3] = {1, 1, 1}, inv[3] = {0.5, 0.5, 0.5};
    le_stv_standardise(v, 1, 3, mean, inv);
    assert_true(v[le_callpath_find(voc, n, other[1])] == -1.0f);
    assert_true(v[le_callpath_find(voc, n, id[0])] == 4.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_paths_name_the_operation_sequence),
                                       cmocka_unit_test(test_welford_merge), cmocka_unit_test(test_stv_raw)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
