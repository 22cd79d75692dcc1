/* Collectives past an int count (issue 19: N up to 2^63): le_gather_bytes,
 * le_allgatherv_append and le_allreduce_big move any size in rounds of at
 * most le_exchange_round_bytes. The tests lower that limit to 64 bytes so
 * the rounds run at 1, 2 and 4 ranks on small data (uneven sizes, a rank
 * with nothing), and check every byte against the one-call result. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>
#include <mpi.h>

#include "comm.h"
#include "exchange.h"
#include "mpi_test.h"

enum { SMALL_ROUND = 64 };

/* Rank r's element count: uneven, and rank 1 has none. */
static int64_t count_of(int r) { return r == 1 ? 0 : 37 * (int64_t)r + 101; }
static char byte_of(int r, int64_t i) { return (char)(r * 31 + i * 7 + 1); }
static int64_t elem_of(int r, int64_t i) { return ((int64_t)r << 40) + i * 3 + 1; }

static void gather_bytes_at(uint64_t round)
{
    int r = le_world.rank, p = le_world.size;
    uint64_t saved = le_exchange_round_bytes;
    le_exchange_round_bytes = round;
    int64_t n = count_of(r);
    char *mine = malloc((size_t)n + 1);
    for (int64_t i = 0; i < n; i++) mine[i] = byte_of(r, i);
    char *all = NULL;
    uint64_t len = 0;
    int root = p - 1;
    assert_int_equal(le_gather_bytes(MPI_COMM_WORLD, mine, (uint64_t)n, &all, &len, root), 0);
    int64_t want = 0;
    for (int s = 0; s < p; s++) want += count_of(s);
    assert_int_equal(len, r == root ? (uint64_t)want : 0);
    if (r == root) {
        const char *q = all;
        for (int s = 0; s < p; s++)
            for (int64_t i = 0; i < count_of(s); i++) assert_int_equal(*q++, byte_of(s, i));
    } else {
        assert_null(all);
    }
    le_exchange_round_bytes = saved;
    free(mine), free(all);
}

static void gather_bytes_in_rounds(void **state)
{
    (void)state;
    gather_bytes_at(SMALL_ROUND);
    gather_bytes_at((uint64_t)1 << 30); /* one call */
}

static void allgatherv_at(uint64_t round)
{
    int r = le_world.rank, p = le_world.size;
    uint64_t saved = le_exchange_round_bytes;
    le_exchange_round_bytes = round;
    int64_t n = count_of(r), *mine = malloc(sizeof(int64_t) * (size_t)(n + 1));
    for (int64_t i = 0; i < n; i++) mine[i] = elem_of(r, i);
    int64_t len = 3, cap = 3;
    int64_t *buf = malloc(sizeof(int64_t) * 3);
    buf[0] = -1, buf[1] = -2, buf[2] = -3; /* appended to, kept */
    void *vb = buf;
    assert_int_equal(le_allgatherv_append(MPI_COMM_WORLD, mine, n, MPI_INT64_T, &vb, &len, &cap, "elements"), 0);
    buf = vb;
    assert_int_equal(buf[0], -1), assert_int_equal(buf[2], -3);
    int64_t k = 3;
    for (int s = 0; s < p; s++)
        for (int64_t i = 0; i < count_of(s); i++) assert_int_equal(buf[k++], elem_of(s, i));
    assert_int_equal(len, k);
    le_exchange_round_bytes = saved;
    free(mine), free(buf);
}

static void allgatherv_in_rounds(void **state)
{
    (void)state;
    allgatherv_at(SMALL_ROUND);
    allgatherv_at(8); /* one element a round: fewer than one a rank per round at 2 and 4 ranks */
    allgatherv_at((uint64_t)1 << 30);
}

static void allreduce_in_pieces(void **state)
{
    (void)state;
    int r = le_world.rank, p = le_world.size;
    uint64_t saved = le_exchange_round_bytes;
    le_exchange_round_bytes = SMALL_ROUND;
    enum { N = 1001 };
    int64_t *x = malloc(sizeof(int64_t) * N);
    for (int64_t i = 0; i < N; i++) x[i] = elem_of(r, i);
    assert_int_equal(le_allreduce_big(MPI_COMM_WORLD, x, N, MPI_INT64_T, MPI_SUM), 0);
    for (int64_t i = 0; i < N; i++) {
        int64_t want = 0;
        for (int s = 0; s < p; s++) want += elem_of(s, i);
        assert_int_equal(x[i], want);
    }
    le_exchange_round_bytes = saved;
    free(x);
}

int main(int argc, char **argv)
{
    if (le_test_mpi_begin(&argc, &argv)) return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(gather_bytes_in_rounds), cmocka_unit_test(allgatherv_in_rounds),
                                       cmocka_unit_test(allreduce_in_pieces)};
    return le_test_mpi_end(cmocka_run_group_tests(tests, NULL, NULL));
}
