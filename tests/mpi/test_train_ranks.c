/* Training does not depend on the number of ranks: rank 0 trains alone (on
 * MPI_COMM_SELF), then all ranks train together with the same global batch
 * and seed; the two models must have the same weights. Twice: with every
 * window resident, and with a pool of 3 of the 6 windows that moves every 4
 * steps (reloads, an epoch boundary inside a pool, ranks owning no slot). The design promises
 * bit-identical weights (exact integer gradient sums, see cmd/cmd_train.c),
 * so the tolerance is zero; a float tolerance would hide a broken reduction
 * only briefly, since Adam amplifies any difference step by step. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "model.h"
#include "mpi_test.h"

static char dir[256];

static int run(int (*cmd)(int, char **), const char *line)
{
    char buf[1024], *argv[64];
    int argc = 0;
    snprintf(buf, sizeof buf, "%s", line);
    for (char *t = strtok(buf, " "); t && argc < 63; t = strtok(NULL, " ")) argv[argc++] = t;
    argv[argc] = NULL;
    int rc = cmd(argc, argv);
    if (rc) fprintf(stderr, "rank %d: %s: %s\n", le_world.rank, line, le_errmsg());
    return rc;
}

static void same_weights(const char *train)
{
    char line[1024];
    /* reference: one rank */
    MPI_Comm world = le_world.comm;
    int rank = le_world.rank, size = le_world.size;
    if (rank == 0) {
        le_world.comm = MPI_COMM_SELF, le_world.size = 1;
        snprintf(line, sizeof line, train, dir, dir, "m1.h5");
        assert_int_equal(run(le_cmd_train, line), 0);
        le_world.comm = world, le_world.size = size;
    }
    assert_int_equal(LE_MPI_RC(MPI_Barrier(world)), 0);
    snprintf(line, sizeof line, train, dir, dir, "mp.h5");
    assert_int_equal(run(le_cmd_train, line), 0);
    if (rank != 0) return;
    le_model a, b;
    snprintf(line, sizeof line, "%s/m1.h5", dir);
    assert_int_equal(le_model_read(line, &a), 0);
    snprintf(line, sizeof line, "%s/mp.h5", dir);
    assert_int_equal(le_model_read(line, &b), 0);
    assert_int_equal(a.enc.n_params, b.enc.n_params);
    double worst = 0, moved = 0;
    float *init = malloc(sizeof(float) * (size_t)a.enc.n_params);
    le_enc_init_params(&a.enc, init, 5);
    for (int64_t i = 0; i < a.enc.n_params; i++) {
        worst = fmax(worst, fabs((double)a.params[i] - b.params[i]));
        moved = fmax(moved, fabs((double)a.params[i] - init[i]));
    }
    printf("ranks %d: max |w1 - w%d| = %g after 30 steps (weights moved up to %g from init)\n", size, size, worst, moved);
    assert_true(moved > 1e-3); /* training did something */
    assert_true(worst == 0.0);
    for (int32_t k = 0; k < (a.enc.cfg.feat.n_vocab + 1) * 4; k++)
        assert_true(a.mean[k] == b.mean[k] && a.std[k] == b.std[k]);
    free(init);
    le_model_free(&a), le_model_free(&b);
}

static void test_same_weights_at_any_rank_count(void **state)
{
    char line[1024];
    snprintf(line, sizeof line, "synth -o %s/c.h5 --traces 3000 --seed 11 -q", dir);
    assert_int_equal(run(le_cmd_synth, line), 0);
    same_weights("train %s/c.h5 -o %s/%s --steps 30 --batch 48 --micro 8 --window 512 --seed 5 -q");
    same_weights(
        "train %s/c.h5 -o %s/%s --steps 30 --batch 48 --micro 8 --window 512 --pool 3 --pool-steps 4 --chunk 700 --seed 5 "
        "-q");
}

int main(int argc, char **argv)
{
    if (le_test_mpi_begin(&argc, &argv)) return 1;
    if (le_world.rank == 0) {
        snprintf(dir, sizeof dir, "%s/le-train-ranks-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(dir)) dir[0] = 0;
    }
    int rc = LE_MPI_RC(MPI_Bcast(dir, sizeof dir, MPI_CHAR, 0, MPI_COMM_WORLD));
    if (rc) fprintf(stderr, "%s\n", le_errmsg());
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_same_weights_at_any_rank_count)};
    if (!rc) rc = cmocka_run_group_tests(tests, NULL, NULL);
    int brc = LE_MPI_RC(MPI_Barrier(MPI_COMM_WORLD)); /* no rank still uses dir when it goes */
    if (le_world.rank == 0) {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
        if (system(cmd)) {}
    }
    return le_test_mpi_end(rc ? rc : brc);
}
