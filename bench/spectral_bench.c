/* bench/spectral_bench.c — times le_spectral_select on generated data.
 * Built and run by bench/spectral.sh (not by CMake). Prints key: value. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>

#include "comm.h"
#include "le_base.h"
#include "rng.h"
#include "spectral_dist.h"

int main(int argc, char **argv)
{
    if (LE_MPI_RC(MPI_Init(&argc, &argv)) || le_world_init()) {
        fprintf(stderr, "spectral_bench: %s\n", le_errmsg());
        return 1;
    }
    int rank = le_world.rank, size = le_world.size;
    int64_t n_total = argc > 1 ? atoll(argv[1]) : 130000;
    int dim = argc > 2 ? atoi(argv[2]) : 64, k = argc > 3 ? atoi(argv[3]) : 130;
    int p = argc > 4 ? atoi(argv[4]) : 1000, r = argc > 5 ? atoi(argv[5]) : 5;
    int blobs = k; /* as many true groups as clusters asked for */
    int64_t first = n_total * rank / size, n = n_total * (rank + 1) / size - first;
    float *x = le_malloc(sizeof(float) * (size_t)n * dim);
    for (int64_t i = 0; i < n; i++) { /* blob centres on a random sign pattern, unit noise */
        le_rng g;
        int64_t b = (first + i) % blobs;
        le_rng_init(&g, 5, (uint64_t)(first + i), 1);
        for (int t = 0; t < dim; t++) {
            le_rng c;
            le_rng_init(&c, 6, (uint64_t)b * dim + t, 2);
            x[i * dim + t] = (float)(le_rng_normal(&g) + 3.0 * le_rng_normal(&c));
        }
    }
    int64_t *rep = le_malloc(sizeof(int64_t) * k), *sz = le_malloc(sizeof(int64_t) * k);
    int32_t *assign = le_malloc(sizeof(int32_t) * (size_t)n);
    le_spectral_report rp = {0};
    int rc = LE_MPI_RC(MPI_Barrier(MPI_COMM_WORLD));
    double t0 = MPI_Wtime();
    if (!rc) rc = le_spectral_select_report(MPI_COMM_WORLD, x, n, first, dim, k, p, r, 1, rep, sz, assign, &rp);
    double sec = MPI_Wtime() - t0;
    /* Purity against the generating blob: how many points share their
     * cluster's majority blob. */
    int64_t *tab = calloc((size_t)k * blobs, sizeof(int64_t)), good = 0;
    for (int64_t i = 0; !rc && i < n; i++) tab[(int64_t)assign[i] * blobs + (first + i) % blobs]++;
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, tab, k * blobs, MPI_INT64_T, MPI_SUM, MPI_COMM_WORLD));
    if (rc) fprintf(stderr, "rank %d: %s\n", rank, le_errmsg());
    for (int c = 0; c < k; c++) {
        int64_t best = 0;
        for (int b = 0; b < blobs; b++) best = tab[(int64_t)c * blobs + b] > best ? tab[(int64_t)c * blobs + b] : best;
        good += best;
    }
    if (rank == 0 && !rc) {
        printf("ranks: %d\npoints: %lld\ndim: %d\nk: %d\nanchors: %d\nneighbours: %d\n", size, (long long)n_total, dim, k,
               rp.p_used, r);
        printf(
            "seconds: %.3f\nanchors_seconds: %.3f\ngraph_seconds: %.3f\neigen_seconds: %.3f\nembed_seconds: "
            "%.3f\nkmeans_seconds: %.3f\n",
            sec, rp.seconds[LE_SPEC_T_ANCHORS], rp.seconds[LE_SPEC_T_GRAPH], rp.seconds[LE_SPEC_T_EIGEN],
            rp.seconds[LE_SPEC_T_EMBED], rp.seconds[LE_SPEC_T_KMEANS]);
        printf("kmeans_iterations: %d\npurity: %.4f\n", rp.kmeans_iterations, (double)good / (double)n_total);
    }
    free(x), free(rep), free(sz), free(assign), free(tab);
    if (!rc) rc = LE_MPI_RC(MPI_Finalize());
    return rc ? 1 : 0;
}
