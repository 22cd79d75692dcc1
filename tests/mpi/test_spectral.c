/* mpi/spectral_dist at 1, 2 and 4 ranks: the distributed selection gives
 * the clusters, sizes and representatives that the one-process method
 * (algos/spectral, dsyev) gives on the whole dataset, so the same at every
 * rank count; its ScaLAPACK eigenvalues match LAPACK dsyev on E rebuilt on
 * one process from the anchors it reports; a bad row layout is refused on
 * every rank.
 *
 * The ranks hold uneven slices (rank r about r+1 shares), so that block
 * boundaries, sample membership and the BLACS grid all move with the rank
 * count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le_base.h"
#include "mpi_test.h"
#include "rng.h"
#include "spectral.h"
#include "spectral_dist.h"

extern void dsyev_(const char *jobz, const char *uplo, const int *n, double *a, const int *lda, double *w, double *work,
                   const int *lwork, int *info);

enum { N = 6000, D = 64, BLOBS = 7, K = 10, P = 150, R = 5 };
static const uint64_t SEED = 42;
static int rank, size;

/* Row i: blob i % BLOBS (unequal sizes: blob b takes only every other
 * row when b is odd, the rest fall to blob 0), centre 4 on axis b; close
 * enough that blobs link, so E's top eigenvalues are not all 1. */
static void make_row(int64_t i, float *row)
{
    le_rng r;
    le_rng_init(&r, 77, (uint64_t)i, 3);
    int b = (int)(i % BLOBS);
    if (b % 2 && (i / BLOBS) % 2) b = 0;
    for (int t = 0; t < D; t++) row[t] = (float)le_rng_normal(&r) + (t == b ? 4.0f : 0.0f);
}

static void my_slice(int64_t *first, int64_t *n)
{
    int64_t shares = (int64_t)size * (size + 1) / 2, before = (int64_t)rank * (rank + 1) / 2;
    *first = N * before / shares;
    *n = N * (before + rank + 1) / shares - *first;
}

static float *rows(int64_t first, int64_t n)
{
    float *x = le_malloc(sizeof(float) * (size_t)(n > 0 ? n : 1) * D);
    for (int64_t i = 0; i < n; i++) make_row(first + i, x + i * D);
    return x;
}

static void test_same_as_one_process(void **state)
{
    int64_t first, n;
    my_slice(&first, &n);
    float *x = rows(first, n);
    int64_t rep[K], sz[K];
    int32_t *assign = le_malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    double lambda[K];
    le_spectral_report report = {.eigenvalues = lambda};
    int rc = le_spectral_select_report(MPI_COMM_WORLD, x, n, first, D, K, P, R, SEED, rep, sz, assign, &report);
    if (rc) fprintf(stderr, "rank %d: %s\n", rank, le_errmsg());
    assert_int_equal(rc, 0);
    assert_int_equal(report.p_used, P);

    /* Every rank got the same answer. */
    int64_t mine[2 * K], lo[2 * K], hi[2 * K];
    memcpy(mine, rep, sizeof rep), memcpy(mine + K, sz, sizeof sz);
    assert_int_equal(LE_MPI_RC(MPI_Allreduce(mine, lo, 2 * K, MPI_INT64_T, MPI_MIN, MPI_COMM_WORLD)), 0);
    assert_int_equal(LE_MPI_RC(MPI_Allreduce(mine, hi, 2 * K, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD)), 0);
    assert_memory_equal(lo, hi, sizeof lo);

    /* All assignments to rank 0, in global order. */
    int *counts = malloc(sizeof(int) * size), *displs = malloc(sizeof(int) * size), cnt = (int)n;
    assert_int_equal(LE_MPI_RC(MPI_Gather(&cnt, 1, MPI_INT, counts, 1, MPI_INT, 0, MPI_COMM_WORLD)), 0);
    for (int r = 0, at = 0; rank == 0 && r < size; r++) displs[r] = at, at += counts[r];
    int32_t *all = rank == 0 ? malloc(sizeof(int32_t) * N) : NULL;
    assert_int_equal(LE_MPI_RC(MPI_Gatherv(assign, cnt, MPI_INT32_T, all, counts, displs, MPI_INT32_T, 0, MPI_COMM_WORLD)),
                     0);

    if (rank == 0) {
        float *xa = rows(0, N);
        int32_t *ref = malloc(sizeof(int32_t) * N);
        int64_t rrep[K], rsz[K];
        double rlambda[K];
        assert_int_equal(le_spectral_cluster(xa, N, D, K, P, R, SEED, ref, rrep, rsz, rlambda), 0);
        assert_memory_equal(rep, rrep, sizeof rep);
        assert_memory_equal(sz, rsz, sizeof sz);
        int64_t differ = 0;
        for (int64_t i = 0; i < N; i++) differ += all[i] != ref[i];
        assert_int_equal(differ, 0);
        for (int c = 0; c < K; c++) assert_true(fabs(lambda[c] - rlambda[c]) < 1e-10);
        print_message("%d ranks: sizes", size);
        for (int c = 0; c < K; c++) print_message(" %lld", (long long)sz[c]);
        print_message("; lambda %.6f .. %.6f; %d Lloyd iterations\n", lambda[0], lambda[K - 1], report.kmeans_iterations);
        free(xa), free(ref);
    }
    free(x), free(assign), free(counts), free(displs), free(all);
}

/* E rebuilt on rank 0 from the reported anchors (fixed-point sums: the
 * same matrix bit for bit), decomposed by plain LAPACK dsyev. */
static void test_eigenvalues_match_lapack(void **state)
{
    int64_t first, n;
    my_slice(&first, &n);
    float *x = rows(first, n), *anchors = le_malloc(sizeof(float) * P * D);
    int64_t rep[K], sz[K];
    double lambda[K];
    le_spectral_report report = {.eigenvalues = lambda, .anchors = anchors};
    assert_int_equal(le_spectral_select_report(MPI_COMM_WORLD, x, n, first, D, K, P, R, SEED, rep, sz, NULL, &report), 0);
    if (rank == 0) {
        float *xa = rows(0, N);
        le_spec_graph g;
        assert_int_equal(le_spec_build_graph(xa, N, N, D, anchors, P, R, &le_spec_reduce_self, &g), 0);
        int p = P, info = 0, lwork = -1;
        double q, w[P];
        dsyev_("N", "U", &p, g.E, &p, w, &q, &lwork, &info);
        assert_int_equal(info, 0);
        lwork = (int)q;
        double *work = malloc(sizeof(double) * lwork);
        dsyev_("N", "U", &p, g.E, &p, w, work, &lwork, &info);
        assert_int_equal(info, 0);
        double worst = 0;
        for (int c = 0; c < K; c++) {
            double d = fabs(lambda[c] - w[P - 1 - c]);
            if (d > worst) worst = d;
        }
        print_message("%d ranks: |pdsyevd - dsyev| <= %.2e over the top %d eigenvalues (lambda_1 %.12f, lambda_%d %.6f)\n",
                      size, worst, K, lambda[0], K, lambda[K - 1]);
        assert_true(worst < 1e-10);
        assert_true(fabs(lambda[0] - 1.0) < 1e-6); /* W's rows sum to D_Y: 1 is E's top */
        assert_true(lambda[K - 1] < 0.999);        /* the blobs link: not a degenerate test */
        for (int c = 1; c < K; c++) assert_true(lambda[c] <= lambda[c - 1]);
        le_spec_graph_free(&g);
        free(work), free(xa);
    }
    free(x), free(anchors);
}

static void test_bad_layout_refused_everywhere(void **state)
{
    int64_t first, n;
    my_slice(&first, &n);
    float *x = rows(first, n);
    int64_t rep[K], sz[K];
    /* Every rank claims to start at row 0: wrong on all but rank 0. */
    int rc = le_spectral_select(MPI_COMM_WORLD, x, n, 0, D, K, P, R, SEED, rep, sz, NULL);
    if (size > 1)
        assert_true(rc != 0);
    else
        assert_int_equal(rc, 0);
    le_err_clear();
    free(x);
}

int main(int argc, char **argv)
{
    if (le_test_mpi_begin(&argc, &argv)) return 1;
    rank = le_world.rank, size = le_world.size;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_same_as_one_process),
        cmocka_unit_test(test_eigenvalues_match_lapack),
        cmocka_unit_test(test_bad_layout_refused_everywhere),
    };
    return le_test_mpi_end(cmocka_run_group_tests(tests, NULL, NULL));
}
