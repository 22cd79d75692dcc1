/* Distributed k-means gives the same centroids (bit for bit: the sums are
 * fixed point) and the same representatives at any rank count, also when
 * many rows are exact copies (ties): every rank count is checked against
 * rank 0 running the same problem alone on MPI_COMM_SELF. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <mpi.h>

#include "kmeans_dist.h"
#include "mpi_test.h"
#include "rng.h"

enum { N = 9000, D = 16, K = 24, BLOBS = 30 };

/* Row i of a fixed mixture of Gaussian blobs (a pure function of i). */
static void make_row(int64_t i, float *row)
{
    le_rng r;
    le_rng_init(&r, 99, (uint64_t)(i % BLOBS), 7);
    float centre[D];
    for (int j = 0; j < D; j++) centre[j] = (float)(10 * le_rng_normal(&r));
    le_rng_init(&r, 99, (uint64_t)i, 8);
    for (int j = 0; j < D; j++) row[j] = centre[j] + (float)le_rng_normal(&r);
}

typedef struct result {
    float c[K * D];
    int64_t size[K], rep[K];
    int iterations;
} result;

/* dup: row i is a copy of row i % DUP_ROWS, so every cluster has many
 * members at exactly the nearest distance (the smallest index must win). */
enum { DUP_ROWS = 700 };
static int dup;

static void run(MPI_Comm comm, int64_t lo, int64_t hi, result *out)
{
    int64_t n = hi - lo;
    float *x = malloc(sizeof(float) * (size_t)(n ? n : 1) * D);
    int64_t *g = malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) make_row(dup ? (lo + i) % DUP_ROWS : lo + i, x + i * D), g[i] = lo + i;
    le_kmd_opts o;
    le_kmd_defaults(&o, K, 5);
    le_kmd_result r;
    assert_int_equal(le_kmeans_dist(comm, x, g, n, D, &o, &r), 0);
    memcpy(out->c, r.centroids, sizeof out->c);
    out->iterations = r.iterations;
    assert_int_equal(le_kmeans_assign_reps(comm, x, NULL, lo, n, D, r.centroids, K, out->size, out->rep, NULL, NULL), 0);
    free(r.centroids), free(x), free(g);
}

static void test_same_at_every_rank_count(void **state)
{
    int rank = le_world.rank, p = le_world.size;
    /* uneven shards, one rank may even be empty */
    int64_t lo = (int64_t)N * rank * rank / (p * p), hi = (int64_t)N * (rank + 1) * (rank + 1) / (p * p);
    result all, alone;
    run(MPI_COMM_WORLD, lo, hi, &all);
    int64_t total = 0;
    for (int j = 0; j < K; j++) total += all.size[j], assert_true(all.rep[j] >= 0 && all.rep[j] < N);
    assert_int_equal(total, N);
    if (rank == 0) {
        run(MPI_COMM_SELF, 0, N, &alone);
        assert_int_equal(all.iterations, alone.iterations);
        for (int j = 0; j < K * D; j++) assert_true(all.c[j] == alone.c[j]);
        for (int j = 0; j < K; j++) {
            assert_int_equal(all.size[j], alone.size[j]);
            assert_int_equal(all.rep[j], alone.rep[j]);
        }
    }
}

static void test_ties_same_at_every_rank_count(void **state)
{
    dup = 1;
    test_same_at_every_rank_count(state);
    int rank = le_world.rank;
    if (rank == 0) {
        result r;
        run(MPI_COMM_SELF, 0, N, &r);
        for (int j = 0; j < K; j++) assert_true(r.rep[j] < DUP_ROWS); /* the first copy */
    }
    dup = 0;
}

/* Each representative is a member of its cluster and the nearest one:
 * checked by brute force over all rows on rank 0. */
static void test_reps_are_nearest_members(void **state)
{
    int rank = le_world.rank;
    if (rank) return;
    result r;
    run(MPI_COMM_SELF, 0, N, &r);
    float row[D];
    for (int j = 0; j < K; j++) {
        make_row(r.rep[j], row);
        double drep = 0;
        for (int t = 0; t < D; t++) drep += (row[t] - r.c[j * D + t]) * (row[t] - r.c[j * D + t]);
        for (int64_t i = 0; i < N; i += 7) { /* a stride keeps it fast */
            make_row(i, row);
            double di = 0, dmin = INFINITY;
            for (int t = 0; t < D; t++) di += (row[t] - r.c[j * D + t]) * (row[t] - r.c[j * D + t]);
            for (int c = 0; c < K; c++) {
                double e = 0;
                for (int t = 0; t < D; t++) e += (row[t] - r.c[c * D + t]) * (row[t] - r.c[c * D + t]);
                if (e < dmin) dmin = e;
            }
            if (fabs(di - dmin) < 1e-9 * (1 + di)) assert_true(drep <= di * (1 + 1e-5) + 1e-5);
        }
    }
}

/* The representative is exactly the member of its cluster (as assigned)
 * with the smallest distance summed in double in row order, the first on a
 * tie: the float prefilter of le_kmeans_assign_reps skips only rows that
 * cannot win. Blobs far from the origin make |x|^2 large against the
 * distances, where a filter with too little slack would drop the winner. */
static void test_reps_exact_after_filter(void **state)
{
    int rank = le_world.rank;
    if (rank) return;
    result r;
    run(MPI_COMM_SELF, 0, N, &r);
    float *x = malloc(sizeof(float) * N * D), *d2 = malloc(sizeof(float) * N);
    int32_t *a = malloc(sizeof(int32_t) * N);
    for (int64_t i = 0; i < N; i++) {
        make_row(i, x + i * D);
        for (int t = 0; t < D; t++) x[i * D + t] += 300.0f * (float)(t % 3); /* far from the origin */
    }
    float c[K * D];
    for (int j = 0; j < K; j++)
        for (int t = 0; t < D; t++) c[j * D + t] = r.c[j * D + t] + 300.0f * (float)(t % 3);
    int64_t size[K], rep[K];
    assert_int_equal(le_kmeans_assign_reps(MPI_COMM_SELF, x, NULL, 0, N, D, c, K, size, rep, a, d2), 0);
    for (int j = 0; j < K; j++) {
        double best = INFINITY;
        int64_t want = -1;
        for (int64_t i = 0; i < N; i++) {
            if (a[i] != j) continue;
            double e = 0;
            for (int t = 0; t < D; t++) e += ((double)x[i * D + t] - c[j * D + t]) * ((double)x[i * D + t] - c[j * D + t]);
            if (e < best) best = e, want = i;
        }
        assert_int_equal(rep[j], want);
    }
    free(x), free(d2), free(a);
}

int main(int argc, char **argv)
{
    if (le_test_mpi_begin(&argc, &argv)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_at_every_rank_count), cmocka_unit_test(test_reps_are_nearest_members),
        cmocka_unit_test(test_reps_exact_after_filter), cmocka_unit_test(test_ties_same_at_every_rank_count)};
    return le_test_mpi_end(cmocka_run_group_tests(tests, NULL, NULL));
}
