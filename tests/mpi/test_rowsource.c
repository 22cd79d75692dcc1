/* The rows of a few traces (le_rowsrc_rows_at, select's later rounds'
 * sample) are those the pass over every chunk makes, for the model kind
 * (the default vectors), the file kind (--vectors) and the shard kind (an
 * ablation), with chunks smaller than the gaps between the traces asked
 * and larger; traces out of order or outside the rank are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "driver.h"
#include "mpi_test.h"
#include "rowsource_dist.h"

static le_corpus *corpus;
static char c_path[64], vec_path[64], reps_path[64];

static int setup(void **state)
{
    (void)state;
    snprintf(c_path, sizeof c_path, "rowsrc_c_np%d.h5", le_world.size);
    snprintf(vec_path, sizeof vec_path, "rowsrc_vec_np%d.h5", le_world.size);
    snprintf(reps_path, sizeof reps_path, "rowsrc_reps_np%d.h5", le_world.size);
    char *synth[] = {"synth", "-o", c_path, "--traces", "1500", "--seed", "3", "-q", NULL};
    char *dump[] = {"select", c_path, "-o", reps_path, "--dump-vectors", vec_path, "--no-page", "-q", NULL};
    if (le_cmd_synth(8, synth) || le_cmd_select(8, dump)) return -1;
    return le_corpus_open(MPI_COMM_WORLD, c_path, &corpus);
}

static int teardown(void **state)
{
    (void)state;
    le_corpus_close(corpus);
    return 0;
}

/* Every row of the rank, by the pass over the chunks. */
static float *all_rows(le_rowsrc *r)
{
    float *x = malloc(sizeof(float) * (size_t)((r->n + 1) * r->dim));
    for (int64_t k = 0; k < r->steps; k++) {
        int64_t a, n;
        const float *y;
        le_rowsrc_chunk(r, k, &a, &n);
        if (!n) continue;
        assert_int_equal(le_rowsrc_rows(r, a, n, &y, NULL), 0);
        memcpy(x + (a - r->t0) * r->dim, y, sizeof(float) * (size_t)(n * r->dim));
    }
    return x;
}

/* Every 7th trace of the rank and its last: their rows against the pass's. */
static void check_kind(const le_rowsrc_opts *o, int kind)
{
    le_rowsrc r;
    assert_int_equal(le_rowsrc_open(MPI_COMM_WORLD, corpus, o, &r), 0);
    assert_int_equal(r.kind, kind);
    float *x = all_rows(&r), *y = malloc(sizeof(float) * (size_t)((r.n + 1) * r.dim));
    int64_t *g = malloc(sizeof(int64_t) * (size_t)(r.n + 1)), m = 0;
    for (int64_t t = r.t0; t < r.t1; t++)
        if ((t - r.t0) % 7 == 0 || t == r.t1 - 1) g[m++] = t;
    assert_int_equal(le_rowsrc_rows_at(&r, g, m, y), 0);
    for (int64_t i = 0; i < m; i++)
        assert_memory_equal(y + i * r.dim, x + (g[i] - r.t0) * r.dim, sizeof(float) * (size_t)r.dim);
    if (m >= 2) {
        int64_t bad[2] = {g[1], g[0]};
        assert_int_equal(le_rowsrc_rows_at(&r, bad, 2, y), LE_ERR_USAGE);
        bad[0] = r.t1;
        assert_int_equal(le_rowsrc_rows_at(&r, bad, 1, y), LE_ERR_USAGE);
    }
    free(x), free(y), free(g), le_rowsrc_free(&r);
}

static void rows_at_are_the_pass_rows(void **state)
{
    (void)state;
    for (int64_t chunk = 8; chunk <= 4096; chunk *= 512) {
        le_rowsrc_opts model = {.repr = "tail", .chunk = chunk};
        check_kind(&model, LE_ROWSRC_MODEL);
        le_rowsrc_opts file = {.repr = "tail", .vectors = vec_path, .chunk = chunk};
        check_kind(&file, LE_ROWSRC_FILE);
        le_rowsrc_opts shard = {.repr = "dev", .chunk = chunk};
        check_kind(&shard, LE_ROWSRC_SHARD);
    }
}

int main(int argc, char **argv)
{
    if (le_test_mpi_begin(&argc, &argv)) return 1;
    const struct CMUnitTest tests[] = {cmocka_unit_test(rows_at_are_the_pass_rows)};
    return le_test_mpi_end(cmocka_run_group_tests(tests, setup, teardown));
}
