/* mpi/interrupt: a real signal sets the flag through the handler; every rank
 * agrees on the signal some rank got (le_interrupt_agree, and the same
 * through a SUM allreduce of its own with fold/unfold); SIGTERM wins over
 * SIGUSR1; restore puts the previous handlers back; pairs nest (run around
 * train): the inner pair neither clears nor removes the outer one's. */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <mpi.h>

#include "interrupt.h"
#include "mpi_test.h"

static int rank, size;

static void test_handler_sets_flag(void **state)
{
    (void)state;
    struct sigaction before, now;
    sigaction(SIGUSR1, NULL, &before);
    le_interrupt_install();
    assert_int_equal(le_interrupt_pending(), 0);
    raise(SIGUSR1); /* delivered before raise returns */
    assert_int_equal(le_interrupt_pending(), SIGUSR1);
    raise(SIGTERM);
    assert_int_equal(le_interrupt_pending(), SIGTERM);
    le_interrupt_restore();
    assert_int_equal(le_interrupt_pending(), 0);
    sigaction(SIGUSR1, NULL, &now);
    assert_true(now.sa_handler == before.sa_handler);
    assert_string_equal(le_interrupt_name(SIGUSR1), "SIGUSR1");
    assert_string_equal(le_interrupt_name(SIGTERM), "SIGTERM");
}

static int agreed(void)
{
    int sig = -1;
    assert_int_equal(le_interrupt_agree(MPI_COMM_WORLD, &sig), 0);
    return sig;
}

static void test_agree(void **state)
{
    (void)state;
    le_interrupt_install();
    assert_int_equal(agreed(), 0);
    if (rank == size - 1) le_interrupt_set(SIGUSR1); /* one rank only */
    assert_int_equal(agreed(), SIGUSR1);
    if (rank == 0) le_interrupt_set(SIGTERM);
    assert_int_equal(agreed(), SIGTERM);
    le_interrupt_restore();
}

static void test_fold_in_a_sum(void **state)
{
    (void)state;
    le_interrupt_install();
    int64_t buf[3 + LE_INTERRUPT_NSIG];
    for (int round = 0; round < 2; round++) {
        memset(buf, 0, sizeof buf);
        buf[0] = 1, buf[1] = rank, buf[2] = 2; /* the stage's own sums ride along */
        if (round == 1 && rank == size / 2) le_interrupt_set(SIGTERM);
        le_interrupt_fold(buf + 3);
        assert_int_equal(
            LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, buf, 3 + LE_INTERRUPT_NSIG, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD)), 0);
        assert_int_equal(buf[0], size);
        assert_int_equal(buf[1], (int64_t)size * (size - 1) / 2);
        assert_int_equal(le_interrupt_unfold(buf + 3), round ? SIGTERM : 0);
    }
    le_interrupt_restore();
}

static void test_nested_pairs(void **state)
{
    (void)state;
    struct sigaction before, now;
    sigaction(SIGUSR1, NULL, &before);
    le_interrupt_install(); /* run */
    raise(SIGUSR1);         /* between two stages */
    le_interrupt_install(); /* train: must not forget it */
    assert_int_equal(le_interrupt_pending(), SIGUSR1);
    le_interrupt_restore();
    assert_int_equal(le_interrupt_pending(), SIGUSR1);
    le_interrupt_set(0);
    raise(SIGTERM); /* after train: still caught by run's handler, not fatal */
    assert_int_equal(le_interrupt_pending(), SIGTERM);
    le_interrupt_restore();
    assert_int_equal(le_interrupt_pending(), 0);
    sigaction(SIGUSR1, NULL, &now);
    assert_true(now.sa_handler == before.sa_handler);
    le_interrupt_restore(); /* unpaired: a no-op */
}

int main(int argc, char **argv)
{
    if (le_test_mpi_begin(&argc, &argv)) return 1;
    rank = le_world.rank, size = le_world.size;
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_handler_sets_flag), cmocka_unit_test(test_agree),
                                       cmocka_unit_test(test_fold_in_a_sum), cmocka_unit_test(test_nested_pairs)};
    return le_test_mpi_end(cmocka_run_group_tests(tests, NULL, NULL));
}
