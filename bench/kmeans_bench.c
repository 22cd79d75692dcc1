/* kmeans_bench X.f32 C.f32 N D K ITERS: time the Lloyd iteration of
 * labelease's k-means (local sgemm step, the one allreduce, the update) on
 * raw float32 rows and initial centroids written by bench/kmeans_bench.py.
 * Prints seconds per iteration and the final inertia. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "kmeans.h"

static float *load(const char *path, size_t n)
{
    float *x = malloc(n * sizeof(float));
    FILE *f = fopen(path, "rb");
    if (!f || fread(x, sizeof(float), n, f) != n) {
        fprintf(stderr, "kmeans_bench: cannot read %zu floats from %s\n", n, path);
        exit(1);
    }
    fclose(f);
    return x;
}

static int mpi_failed(void)
{
    fprintf(stderr, "kmeans_bench: %s\n", le_errmsg());
    return 1;
}

int main(int argc, char **argv)
{
    if (LE_MPI_RC(MPI_Init(&argc, &argv)) || le_world_init()) return mpi_failed();
    if (argc != 7) {
        fprintf(stderr, "usage: kmeans_bench X.f32 C.f32 N D K ITERS\n");
        return 2;
    }
    int64_t n = atoll(argv[3]);
    int d = atoi(argv[4]), k = atoi(argv[5]), iters = atoi(argv[6]);
    float *x = load(argv[1], (size_t)n * d), *c = load(argv[2], (size_t)k * d);
    float *xn = malloc(sizeof(float) * n), *cn = malloc(sizeof(float) * k), *d2 = malloc(sizeof(float) * n);
    float *work = malloc(sizeof(float) * LE_KM_BLOCK * k);
    int32_t *a = malloc(sizeof(int32_t) * n);
    double *acc = malloc(sizeof(double) * ((size_t)k * d + k));
    uint8_t *empty = malloc(k);
    le_km_row_norms(c, k, d, cn);
    double t0 = MPI_Wtime(), inertia = 0, shift;
    le_km_row_norms(x, n, d, xn); /* once per run, as in le_kmeans_dist */
    for (int it = 0; it < iters; it++) {
        memset(acc, 0, sizeof(double) * ((size_t)k * d + k));
        inertia = le_km_lloyd_local(x, xn, n, d, c, cn, k, work, a, d2, acc);
        if (LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, acc, k * d + k, MPI_DOUBLE, MPI_SUM, MPI_COMM_WORLD))) return mpi_failed();
        le_km_update(acc, k, d, c, cn, empty, &shift);
    }
    double t = MPI_Wtime() - t0;
    printf("seconds_per_iteration: %.6f\ninertia: %.6g\n", t / iters, inertia);
    free(x), free(c), free(xn), free(cn), free(d2), free(work), free(a), free(acc), free(empty);
    return LE_MPI_RC(MPI_Finalize()) ? mpi_failed() : 0;
}
