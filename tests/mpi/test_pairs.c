/* le_allreduce_pairs: sparse counts summed over the ranks equal the counts
 * of one map filled with every rank's additions (repeated keys on a rank,
 * keys shared between ranks, keys of one rank only, a rank with none), the
 * same sorted list on every rank; and le_countmap grows past its first
 * table without losing a count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <mpi.h>

#include "countmap.h"
#include "exchange.h"
#include "hash.h"
#include "mpi_test.h"

enum { ADDS = 3000 };

/* Rank r's i-th addition: keys spread over a large space, some shared by
 * every rank (i % 7 == 0), others the rank's own; rank 1 adds nothing. */
static void addition(int r, int i, uint64_t *key, int64_t *inc)
{
    *key = i % 7 == 0 ? le_mix64((uint64_t)(i % 50)) : le_mix64((uint64_t)(1000 + r * ADDS + i % 400)) >> 3;
    *inc = 1 + i % 3;
}

static void test_sum_over_ranks(void **state)
{
    (void)state;
    int rank = le_world.rank, p = le_world.size;
    le_countmap mine = {0}, all = {0};
    for (int r = 0; r < p; r++)
        for (int i = 0; r != 1 && i < ADDS; i++) {
            uint64_t k;
            int64_t inc;
            addition(r, i, &k, &inc);
            le_countmap_add(&all, k, inc);
            if (r == rank) le_countmap_add(&mine, k, inc);
        }
    le_kc *v, *want;
    int64_t n = le_countmap_pairs(&mine, &v), n_want = le_countmap_pairs(&all, &want);
    assert_int_equal(le_allreduce_pairs(MPI_COMM_WORLD, &v, &n), 0);
    assert_int_equal(n, n_want);
    for (int64_t i = 0; i < n; i++) {
        assert_true(v[i].key == want[i].key);
        assert_int_equal(v[i].count, want[i].count);
        assert_int_equal(v[i].count, le_countmap_get(&all, v[i].key));
    }
    assert_int_equal(le_countmap_get(&all, 12345), 0);
    free(v), free(want);
    le_countmap_free(&mine), le_countmap_free(&all);
}

int main(int argc, char **argv)
{
    if (le_test_mpi_begin(&argc, &argv)) return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_sum_over_ranks)};
    return le_test_mpi_end(cmocka_run_group_tests(tests, NULL, NULL));
}
