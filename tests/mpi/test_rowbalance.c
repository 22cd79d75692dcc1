/* le_rows_balance: every row arrives once, in global order, with its
 * global index and length, and each rank's cost (length + fixed part) is
 * within one row of an even share, from shards uneven in rows and with the
 * long rows all at the front (as a fault period early in the corpus). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mpi.h>

#include "kmeans.h"
#include "mpi_test.h"
#include "rowbalance.h"

enum { N = 5000, D = 40, LONG_ROWS = 900 };

/* Row i: the first LONG_ROWS rows use all D columns, the rest the first 5
 * (their tail zero); values carry i so a misplaced row shows. */
static int32_t row_len(int64_t i) { return i < LONG_ROWS ? D : 5; }

static void make_row(int64_t i, float *row)
{
    memset(row, 0, sizeof(float) * D);
    for (int j = 0; j < row_len(i); j++) row[j] = (float)(i % 1000) + (float)j / 64 + 1;
}

static void test_balanced_in_order(void **state)
{
    (void)state;
    int rank = le_world.rank, p = le_world.size;
    /* uneven shards, growing with the rank; rank 0 may get none */
    int64_t lo = (int64_t)N * rank * rank / (p * p), hi = (int64_t)N * (rank + 1) * (rank + 1) / (p * p), n = hi - lo;
    float *x = malloc(sizeof(float) * (size_t)(n ? n : 1) * D);
    int64_t *g = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    int32_t *len = malloc(sizeof(int32_t) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) make_row(lo + i, x + i * D), g[i] = lo + i;
    le_km_row_lengths(x, n, D, len);
    le_rows b;
    assert_int_equal(le_rows_balance(MPI_COMM_WORLD, x, g, len, n, D, &b), 0);

    /* contiguous and in order: this rank's first index follows the previous rank's last */
    int64_t first = b.n ? b.gidx[0] : -1, last = b.n ? b.gidx[b.n - 1] : -1, total = b.n, cost = 0;
    float row[D];
    for (int64_t i = 0; i < b.n; i++) {
        if (i) assert_int_equal(b.gidx[i], b.gidx[i - 1] + 1);
        assert_int_equal(b.len[i], row_len(b.gidx[i]));
        make_row(b.gidx[i], row);
        assert_memory_equal(b.x + i * D, row, sizeof row);
        cost += b.len[i] + LE_ROW_COST_FIXED;
    }
    int64_t *firsts = malloc(sizeof(int64_t) * (size_t)p), *lasts = malloc(sizeof(int64_t) * (size_t)p);
    assert_int_equal(LE_MPI_RC(MPI_Allgather(&first, 1, MPI_INT64_T, firsts, 1, MPI_INT64_T, MPI_COMM_WORLD)), 0);
    assert_int_equal(LE_MPI_RC(MPI_Allgather(&last, 1, MPI_INT64_T, lasts, 1, MPI_INT64_T, MPI_COMM_WORLD)), 0);
    assert_int_equal(LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD)), 0);
    assert_int_equal(total, N);
    int64_t next = 0;
    for (int r = 0; r < p; r++) {
        if (firsts[r] < 0) continue;
        assert_int_equal(firsts[r], next);
        next = lasts[r] + 1;
    }
    assert_int_equal(next, N);

    int64_t all_cost = (int64_t)LONG_ROWS * (D + LE_ROW_COST_FIXED) + (int64_t)(N - LONG_ROWS) * (5 + LE_ROW_COST_FIXED);
    int64_t share = all_cost / p, slack = D + LE_ROW_COST_FIXED;
    assert_true(cost >= share - slack && cost <= share + slack);
    le_rows_free(&b);
    free(x), free(g), free(len), free(firsts), free(lasts);
}

int main(int argc, char **argv)
{
    if (le_test_mpi_begin(&argc, &argv)) return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_balanced_in_order)};
    return le_test_mpi_end(cmocka_run_group_tests(tests, NULL, NULL));
}
