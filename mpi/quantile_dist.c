#include "quantile_dist.h"

#include <math.h>
#include <stdlib.h>

#include "comm.h"
#include "exchange.h"
#include "quantile.h"

/* Per group: the size over all ranks, the smallest value and the largest
 * (as ~max, so one MIN reduction serves both). */
static int group_ranges(MPI_Comm comm, const int64_t *x, const int64_t *off, int32_t G, int64_t *n_all, int64_t *lo,
                        int64_t *hi)
{
    int64_t *mm = le_malloc(sizeof(int64_t) * 2 * (size_t)G);
    for (int32_t g = 0; g < G; g++) {
        int64_t n = off[g + 1] - off[g];
        n_all[g] = n;
        mm[2 * g] = n ? x[off[g]] : INT64_MAX;
        mm[2 * g + 1] = n ? ~x[off[g + 1] - 1] : INT64_MAX;
    }
    int rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, n_all, G, MPI_INT64_T, MPI_SUM, comm));
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, mm, 2 * G, MPI_INT64_T, MPI_MIN, comm));
    for (int32_t g = 0; g < G; g++) lo[g] = mm[2 * g], hi[g] = ~mm[2 * g + 1];
    free(mm);
    return rc;
}

/* The midpoint of lo <= hi without overflow, rounded down. */
static int64_t midpoint(int64_t lo, int64_t hi) { return (int64_t)((uint64_t)lo + ((uint64_t)hi - (uint64_t)lo) / 2); }

/* Bisection: for each target t (group grp[t], 0-based order rank[t]),
 * lo[t] ends as the smallest value v with count(<= v) > rank[t]. */
static int order_stats(MPI_Comm comm, const int64_t *x, const int64_t *off, int64_t T, const int32_t *grp,
                       const int64_t *rank, int64_t *lo, int64_t *hi)
{
    int64_t *cnt = le_malloc(sizeof(int64_t) * (size_t)T);
    int rc = 0;
    for (int step = 0; step < 70 && !rc; step++) {
        int active = 0;
        for (int64_t t = 0; t < T; t++) {
            cnt[t] = 0;
            if (lo[t] >= hi[t]) continue;
            active = 1;
            const int64_t *v = x + off[grp[t]];
            cnt[t] = le_count_le_sorted(v, off[grp[t] + 1] - off[grp[t]], midpoint(lo[t], hi[t]));
        }
        if (!active) break; /* lo and hi are the same on every rank */
        if ((rc = le_allreduce_big(comm, cnt, T, MPI_INT64_T, MPI_SUM))) break;
        for (int64_t t = 0; t < T; t++) {
            if (lo[t] >= hi[t]) continue;
            int64_t mid = midpoint(lo[t], hi[t]);
            if (cnt[t] > rank[t])
                hi[t] = mid;
            else
                lo[t] = mid + 1;
        }
    }
    free(cnt);
    return rc;
}

int le_quantiles_dist(MPI_Comm comm, const int64_t *x, const int64_t *off, int32_t G, double q, double *out,
                      int64_t *n_all_out)
{
    size_t g1 = (size_t)(G ? G : 1);
    int64_t *n_all = le_malloc(sizeof(int64_t) * g1), *lo = le_malloc(sizeof(int64_t) * g1),
            *hi = le_malloc(sizeof(int64_t) * g1);
    int rc = group_ranges(comm, x, off, G, n_all, lo, hi);
    /* Two targets a group: x(k) and x(k+1) (the latter only read when frac > 0). */
    int32_t *grp = le_malloc(sizeof(int32_t) * 2 * g1);
    int64_t *rank = le_malloc(sizeof(int64_t) * 2 * g1), *tlo = le_malloc(sizeof(int64_t) * 2 * g1),
            *thi = le_malloc(sizeof(int64_t) * 2 * g1);
    double *frac = le_malloc(sizeof(double) * g1);
    int64_t T = 0;
    for (int32_t g = 0; !rc && g < G; g++) {
        if (n_all[g] == 0) continue;
        int64_t k;
        le_quantile_ranks(n_all[g], q, &k, &frac[g]);
        for (int j = 0; j < 2; j++) grp[T] = g, rank[T] = k + (j && frac[g] > 0), tlo[T] = lo[g], thi[T] = hi[g], T++;
    }
    if (!rc) rc = order_stats(comm, x, off, T, grp, rank, tlo, thi);
    for (int32_t g = 0, t = 0; !rc && g < G; g++) {
        if (n_all[g] == 0) {
            out[g] = NAN;
            continue;
        }
        double a = (double)tlo[t], b = (double)tlo[t + 1];
        out[g] = frac[g] > 0 ? a + frac[g] * (b - a) : a;
        t += 2;
    }
    if (!rc && n_all_out)
        for (int32_t g = 0; g < G; g++) n_all_out[g] = n_all[g];
    free(n_all), free(lo), free(hi), free(grp), free(rank), free(tlo), free(thi), free(frac);
    return rc;
}
