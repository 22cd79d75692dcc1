#include "burst_dist.h"

#include <stdlib.h>

#include "burst.h"
#include "comm.h"
#include "exchange.h"

int le_burst_bins(MPI_Comm comm, int64_t n, const int64_t *start_us, int64_t d, le_burst_grid *g)
{
    int64_t lo = INT64_MAX, hi = INT64_MIN;
    for (int64_t t = 0; t < n; t++) lo = start_us[t] < lo ? start_us[t] : lo, hi = start_us[t] > hi ? start_us[t] : hi;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &lo, 1, MPI_INT64_T, MPI_MIN, comm));
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &hi, 1, MPI_INT64_T, MPI_MAX, comm));
    le_burst_bins_range(lo, hi, d, g);
    return 0;
}

void le_burst_bins_range(int64_t lo, int64_t hi, int64_t d, le_burst_grid *g)
{
    if (lo > hi) lo = hi = 0; /* no traces anywhere */
    int64_t dd = d > 0 ? d : 1;
    g->t0 = lo, g->width = LE_BURST_BIN_US;
    while ((hi - lo) / g->width + 1 > LE_BURST_MAX_CELLS / dd) g->width *= 2;
    g->nb = (hi - lo) / g->width + 1;
}

/* The medians were the one part of the burst vectors that every rank
 * repeated whole: each rank sorts the bins of its slice of the components. */
int le_burst_base_dist(MPI_Comm comm, const int64_t *cnt, const int64_t *tot, int64_t nb, int64_t d, double *scratch,
                       double *base)
{
    int p, rank;
    LE_MPI(MPI_Comm_size(comm, &p));
    LE_MPI(MPI_Comm_rank(comm, &rank));
    int *n = le_malloc(sizeof(int) * (size_t)p), *disp = le_malloc(sizeof(int) * (size_t)p);
    for (int r = 0; r < p; r++) disp[r] = (int)(d * r / p), n[r] = (int)(d * (r + 1) / p) - disp[r];
    le_burst_base_range(cnt, tot, nb, d, disp[rank], disp[rank] + n[rank], scratch, base);
    int rc = LE_MPI_RC(MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, base, n, disp, MPI_DOUBLE, comm));
    free(n), free(disp);
    return rc;
}

int le_burst_reduce(MPI_Comm comm, int64_t *cnt, int64_t *tot, int64_t nb, int64_t d, double *base)
{
    LE_CHECK(le_allreduce_big(comm, cnt, nb * d, MPI_INT64_T, MPI_SUM));
    LE_CHECK(le_allreduce_big(comm, tot, nb, MPI_INT64_T, MPI_SUM));
    double *scratch = le_malloc(sizeof(double) * (size_t)nb);
    int rc = le_burst_base_dist(comm, cnt, tot, nb, d, scratch, base);
    free(scratch);
    return rc;
}

int le_burst_append(MPI_Comm comm, const le_burst_grid *g, int64_t n, const int64_t *start_us, const float *comp,
                    int64_t comp_stride, int64_t d, int blocks, int64_t block_stride, float *out, int64_t out_stride)
{
    int64_t nb = g->nb;
    int64_t *cnt = le_calloc((size_t)(nb * d), sizeof(int64_t)), *tot = le_calloc((size_t)nb, sizeof(int64_t));
    double *base = le_malloc(sizeof(double) * (size_t)d);
    for (int64_t t = 0; t < n; t++)
        le_burst_count(comp + t * comp_stride, d, blocks, block_stride, le_burst_bin_of(g, start_us[t]), cnt, tot);
    int rc = le_burst_reduce(comm, cnt, tot, nb, d, base);
    for (int64_t t = 0; !rc && t < n; t++) {
        int64_t b = le_burst_bin_of(g, start_us[t]);
        le_burst_row(comp + t * comp_stride, d, blocks, block_stride, cnt + b * d, tot[b], base, LE_BURST_WEIGHT,
                     out + t * out_stride);
    }
    free(cnt), free(tot), free(base);
    return rc;
}
