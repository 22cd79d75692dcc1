/* The streamed tail vectors (mpi/tailvec_dist.h) on a synthetic corpus:
 * the rows do not depend on the chunk the fit streams, nor on the ranks
 * (the fit over every rank against the fit by one rank alone over the
 * whole corpus, in the same process), with and without a sample; the
 * rows of a few traces are theirs among all; the statistics file gives
 * back the same rows and is refused for another corpus or cut short. */
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

#include "corpus.h"
#include "driver.h"
#include "mpi_test.h"
#include "tail_dist.h"
#include "tailvec_dist.h"

static le_corpus *corpus, *other;
/* Files of this rank count's run: ctest may run the np variants at once. */
static char c_path[64], other_path[64], stats_path[64];
static int64_t t0, t1;

static int make_corpus(const char *path, const char *traces, const char *seed)
{
    char *argv[] = {"synth", "-o", (char *)path, "--traces", (char *)traces, "--seed", (char *)seed, NULL};
    return le_cmd_synth(7, argv);
}

static int setup(void **state)
{
    (void)state;
    snprintf(c_path, sizeof c_path, "tailvec_c_np%d.h5", le_world.size);
    snprintf(other_path, sizeof other_path, "tailvec_other_np%d.h5", le_world.size);
    snprintf(stats_path, sizeof stats_path, "tailvec_stats_np%d.bin", le_world.size);
    if (make_corpus(c_path, "3000", "5") || make_corpus(other_path, "2000", "6")) return -1;
    if (le_corpus_open(MPI_COMM_WORLD, c_path, &corpus)) return -1;
    if (le_corpus_open(MPI_COMM_WORLD, other_path, &other)) return -1;
    return le_corpus_shard(corpus, MPI_COMM_WORLD, &t0, &t1);
}

static int teardown(void **state)
{
    (void)state;
    le_corpus_close(corpus), le_corpus_close(other);
    return 0;
}

/* Rows of traces [a, b) under m. */
static float *rows_of(const le_tailvec *m, le_corpus *c, int64_t a, int64_t b)
{
    le_corpus_block blk;
    assert_int_equal(le_corpus_read_block(c, a, b, &blk), 0);
    float *x = malloc(sizeof(float) * (size_t)((b - a) * m->dim + 1));
    le_tailvec_rows(m, &blk, x);
    le_block_free(&blk);
    return x;
}

static void assert_same_rows(const float *x, const float *y, int64_t n, int dim)
{
    assert_memory_equal(x, y, sizeof(float) * (size_t)(n * dim));
}

static void fit(MPI_Comm comm, int64_t a, int64_t b, int64_t chunk, le_tailvec *m)
{
    assert_int_equal(le_tailvec_fit(comm, corpus, a, b, chunk, m), 0);
}

static void chunk_and_ranks_do_not_matter(void **state)
{
    (void)state;
    le_tailvec whole, small, alone;
    fit(MPI_COMM_WORLD, t0, t1, 1 << 20, &whole);
    fit(MPI_COMM_WORLD, t0, t1, 7, &small);
    fit(MPI_COMM_SELF, 0, corpus->meta.n_traces, 500, &alone); /* one rank, the whole corpus */
    assert_int_equal(whole.dim, small.dim);
    assert_int_equal(whole.dim, alone.dim);
    assert_int_equal(whole.sample_traces, corpus->meta.n_traces); /* its own sample */
    float *x = rows_of(&whole, corpus, t0, t1), *y = rows_of(&small, corpus, t0, t1), *z = rows_of(&alone, corpus, t0, t1);
    assert_same_rows(x, y, t1 - t0, whole.dim);
    assert_same_rows(x, z, t1 - t0, whole.dim);
    int nonzero = 0;
    for (int64_t i = 0; i < (t1 - t0) * whole.dim; i++) nonzero += x[i] != 0;
    assert_true(nonzero > 0);
    free(x), free(y), free(z);
    le_tailvec_free(&whole), le_tailvec_free(&small), le_tailvec_free(&alone);
}

static void a_sample_is_the_same_at_any_rank_count(void **state)
{
    (void)state;
    setenv("LE_TAILVEC_SAMPLE", "1000", 1);
    le_tailvec all, alone, full;
    fit(MPI_COMM_WORLD, t0, t1, 300, &all);
    fit(MPI_COMM_SELF, 0, corpus->meta.n_traces, 1 << 20, &alone);
    unsetenv("LE_TAILVEC_SAMPLE");
    fit(MPI_COMM_WORLD, t0, t1, 300, &full);
    assert_int_equal(all.sample_traces, alone.sample_traces);
    assert_true(all.sample_traces > 700 && all.sample_traces < 1300);
    float *x = rows_of(&all, corpus, t0, t1), *z = rows_of(&alone, corpus, t0, t1);
    assert_same_rows(x, z, t1 - t0, all.dim);
    /* the thresholds come from the sample, the counts from every trace */
    assert_memory_equal(all.struct_cnt, full.struct_cnt, sizeof(int64_t) * (size_t)full.n_struct);
    assert_memory_equal(all.tail.tot, full.tail.tot, sizeof(int64_t) * (size_t)full.tail.g.nb);
    free(x), free(z);
    le_tailvec_free(&all), le_tailvec_free(&alone), le_tailvec_free(&full);
}

/* A sample that misses call paths (20 traces of 3000): those paths have no
 * norm, so no trace deviates on them, rather than every one (a norm of
 * zeros); the rows stay finite and the same at any rank count. */
static void paths_the_sample_missed(void **state)
{
    (void)state;
    setenv("LE_TAILVEC_SAMPLE", "20", 1);
    le_tailvec m, alone;
    fit(MPI_COMM_WORLD, t0, t1, 500, &m);
    fit(MPI_COMM_SELF, 0, corpus->meta.n_traces, 500, &alone);
    unsetenv("LE_TAILVEC_SAMPLE");
    int64_t missed = 0, at = LE_TAIL_COLS(m.O);
    for (int64_t j = 0; j < m.P; j++) missed += isinf(m.dev_std[j]);
    assert_true(missed > 0);
    float *x = rows_of(&m, corpus, t0, t1), *z = rows_of(&alone, corpus, t0, t1);
    assert_same_rows(x, z, t1 - t0, m.dim);
    for (int64_t t = 0; t < t1 - t0; t++)
        for (int64_t j = 0; j < m.P; j++) {
            assert_true(isfinite(x[t * m.dim + at + j]));
            if (isinf(m.dev_std[j])) assert_true(x[t * m.dim + at + j] == 0);
        }
    free(x), free(z);
    le_tailvec_free(&m), le_tailvec_free(&alone);
}

static void rows_of_a_few_traces(void **state)
{
    (void)state;
    le_tailvec m;
    fit(MPI_COMM_WORLD, t0, t1, 1000, &m);
    int64_t n = t1 - t0, which[3] = {n - 1, 0, n / 2};
    float *x = rows_of(&m, corpus, t0, t1), *y = malloc(sizeof(float) * 3 * (size_t)m.dim);
    le_corpus_block b;
    assert_int_equal(le_corpus_read_block(corpus, t0, t1, &b), 0);
    le_tailvec_rows_of(&m, &b, which, 3, y);
    for (int i = 0; i < 3; i++) assert_same_rows(x + which[i] * m.dim, y + i * m.dim, 1, m.dim);
    le_block_free(&b), free(x), free(y), le_tailvec_free(&m);
}

static void the_statistics_file(void **state)
{
    (void)state;
    le_tailvec m, back;
    fit(MPI_COMM_WORLD, t0, t1, 1000, &m);
    assert_int_equal(le_tailvec_save(MPI_COMM_WORLD, &m, corpus, stats_path), 0);
    assert_int_equal(le_tailvec_load(MPI_COMM_WORLD, corpus, stats_path, &back), 0);
    float *x = rows_of(&m, corpus, t0, t1), *y = rows_of(&back, corpus, t0, t1);
    assert_same_rows(x, y, t1 - t0, m.dim);
    free(x), free(y);
    le_tailvec_free(&back);
    /* another corpus: refused, naming the file */
    assert_int_equal(le_tailvec_load(MPI_COMM_WORLD, other, stats_path, &back), LE_ERR_USAGE);
    assert_non_null(strstr(le_errmsg(), stats_path));
    /* cut short */
    if (le_world.rank == 0) {
        FILE *f = fopen(stats_path, "r+b");
        assert_non_null(f);
        fseek(f, 0, SEEK_END);
        long len = ftell(f);
        fclose(f);
        assert_int_equal(truncate(stats_path, len / 2), 0);
    }
    assert_int_equal(LE_MPI_RC(MPI_Barrier(MPI_COMM_WORLD)), 0);
    assert_int_equal(le_tailvec_load(MPI_COMM_WORLD, corpus, stats_path, &back), LE_ERR_FORMAT);
    assert_non_null(strstr(le_errmsg(), "truncated"));
    /* sizes that do not fit together (the call paths' count one more),
     * and a byte more than the head gives: errors, not reads out of bounds */
    if (le_world.rank == 0) {
        assert_int_equal(le_tailvec_save(MPI_COMM_SELF, &m, corpus, stats_path), 0);
        FILE *f = fopen(stats_path, "r+b");
        assert_non_null(f);
        int64_t P;
        long at = 21 + LE_FP_LEN + 2 + 8; /* magic, fingerprint, padding to 8, n_traces */
        assert_int_equal(fseek(f, at, SEEK_SET), 0);
        assert_int_equal(fread(&P, sizeof P, 1, f), 1);
        P++;
        assert_int_equal(fseek(f, at, SEEK_SET), 0);
        assert_int_equal(fwrite(&P, sizeof P, 1, f), 1);
        fclose(f);
    }
    assert_int_equal(LE_MPI_RC(MPI_Barrier(MPI_COMM_WORLD)), 0);
    assert_int_equal(le_tailvec_load(MPI_COMM_WORLD, corpus, stats_path, &back), LE_ERR_FORMAT);
    assert_non_null(strstr(le_errmsg(), "do not fit together"));
    if (le_world.rank == 0) {
        assert_int_equal(le_tailvec_save(MPI_COMM_SELF, &m, corpus, stats_path), 0);
        FILE *f = fopen(stats_path, "ab");
        assert_non_null(f);
        fputc(0, f);
        fclose(f);
    }
    assert_int_equal(LE_MPI_RC(MPI_Barrier(MPI_COMM_WORLD)), 0);
    assert_int_equal(le_tailvec_load(MPI_COMM_WORLD, corpus, stats_path, &back), LE_ERR_FORMAT);
    /* not one at all */
    assert_int_equal(le_tailvec_load(MPI_COMM_WORLD, corpus, c_path, &back), LE_ERR_FORMAT);
    assert_int_equal(le_tailvec_load(MPI_COMM_WORLD, corpus, "missing.bin", &back), LE_ERR_IO);
    le_tailvec_free(&m);
}

int main(int argc, char **argv)
{
    if (le_test_mpi_begin(&argc, &argv)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(chunk_and_ranks_do_not_matter), cmocka_unit_test(a_sample_is_the_same_at_any_rank_count),
        cmocka_unit_test(paths_the_sample_missed),       cmocka_unit_test(rows_of_a_few_traces),
        cmocka_unit_test(the_statistics_file),
    };
    return le_test_mpi_end(cmocka_run_group_tests(tests, setup, teardown));
}
