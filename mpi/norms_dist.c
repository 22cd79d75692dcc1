#include "norms_dist.h"

#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "exchange.h"
#include "stv.h"

/* Per-path self-time norm over the corpus, in two exact passes (all spans,
 * then those within LE_DEV_TRIM deviations), and every span's log self time. */
static int dev_norms(MPI_Comm comm, int64_t d, const le_shard *s, float *x, float *mean, float *std)
{
    int64_t ns = s->b.n_spans;
    int64_t longest = 0; /* scratch for the largest trace */
    for (int64_t t = 0; t < s->n; t++)
        if (s->b.span_offset[t + 1] - s->b.span_offset[t] > longest) longest = s->b.span_offset[t + 1] - s->b.span_offset[t];
    int64_t *wait = le_malloc(sizeof(int64_t) * (size_t)(2 * longest + 1));
    int64_t *sums = le_malloc(sizeof(int64_t) * (size_t)d * LE_DEV_COLS);
    for (int64_t t = 0; t < s->n; t++) {
        int64_t lo = s->b.span_offset[t], hi = s->b.span_offset[t + 1];
        le_dev_selftime(s->b.parent + lo, s->b.start_us + lo, s->b.duration_us + lo, hi - lo, wait, x + lo);
    }
    int rc = 0;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        memset(sums, 0, sizeof(int64_t) * (size_t)d * LE_DEV_COLS);
        le_dev_stats_add(sums, s->pidx, x, ns, pass ? mean : NULL, pass ? std : NULL);
        rc = le_allreduce_big(comm, sums, d * LE_DEV_COLS, MPI_INT64_T, MPI_SUM);
        if (!rc) le_dev_stats_finish(sums, d, mean, std);
    }
    free(wait), free(sums);
    return rc;
}

/* Two more passes over norms from dev_norms: spans within LE_DEV_TIGHT std,
 * then within LE_DEV_TRIM std of that. A fault that slows a path in a tenth
 * of its spans (a redis delay lasting an hour) widens the first std so much
 * that the 3-std trim keeps all of it, and the fault then hides inside its
 * own norm; the tighter cut drops it, the last pass restores the tails of
 * the ordinary spread that the tight cut lost. */
static int dev_norms_tighten(MPI_Comm comm, int64_t d, const le_shard *s, const float *x, float *mean, float *std)
{
    int64_t *sums = le_malloc(sizeof(int64_t) * (size_t)d * LE_DEV_COLS);
    float *cut = le_malloc(sizeof(float) * (size_t)d);
    int rc = 0;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        /* le_dev_stats_add trims at LE_DEV_TRIM of the std it is given */
        for (int64_t j = 0; j < d; j++) cut[j] = pass ? std[j] : std[j] * (float)(LE_DEV_TIGHT / LE_DEV_TRIM);
        memset(sums, 0, sizeof(int64_t) * (size_t)d * LE_DEV_COLS);
        le_dev_stats_add(sums, s->pidx, x, s->b.n_spans, mean, cut);
        rc = le_allreduce_big(comm, sums, d * LE_DEV_COLS, MPI_INT64_T, MPI_SUM);
        if (!rc) le_dev_stats_finish(sums, d, mean, std);
    }
    free(sums), free(cut);
    return rc;
}

int le_dev_norms_x(MPI_Comm comm, int64_t n_paths, const le_shard *s, int tighten, float *x, float *mean, float *std)
{
    int rc = dev_norms(comm, n_paths, s, x, mean, std);
    if (!rc && tighten) rc = dev_norms_tighten(comm, n_paths, s, x, mean, std);
    return rc;
}

int le_dev_norms(MPI_Comm comm, int64_t n_paths, const le_shard *s, int tighten, float *mean, float *std)
{
    float *x = le_malloc(sizeof(float) * (size_t)(s->b.n_spans ? s->b.n_spans : 1));
    int rc = le_dev_norms_x(comm, n_paths, s, tighten, x, mean, std);
    free(x);
    return rc;
}

/* Per (root path, path) count norms in two exact passes (all traces of the
 * root, then those within LE_CNT_TRIM std): mean and std [n_roots x d]. */
static int count_norms(MPI_Comm comm, int64_t d, const le_shard *s, const int64_t *root, int64_t n_roots, int32_t *cnt,
                       double *mean, double *std)
{
    int64_t cells = n_roots * d;
    int64_t *sums = le_malloc(sizeof(int64_t) * (size_t)cells * LE_CNT_COLS);
    int rc = 0;
    for (int pass = 0; pass < 2 && !rc; pass++) {
        memset(sums, 0, sizeof(int64_t) * (size_t)cells * LE_CNT_COLS);
        for (int64_t t = 0; t < s->n; t++) {
            if (root[t] < 0) continue;
            int64_t lo = s->b.span_offset[t], r = root[t] * d;
            le_count_paths(s->pidx + lo, s->b.span_offset[t + 1] - lo, d, cnt);
            le_count_stats_add(sums + r * LE_CNT_COLS, cnt, d, pass ? mean + r : NULL, pass ? std + r : NULL);
        }
        rc = le_allreduce_big(comm, sums, cells * LE_CNT_COLS, MPI_INT64_T, MPI_SUM);
        if (!rc) le_count_stats_finish(sums, cells, mean, std);
    }
    free(sums);
    return rc;
}

int le_count_norms(MPI_Comm comm, int64_t n_paths, const le_shard *s, const int64_t *root, int64_t n_roots, double *mean,
                   double *std)
{
    int32_t *cnt = le_malloc(sizeof(int32_t) * (size_t)(n_paths ? n_paths : 1));
    int rc = count_norms(comm, n_paths, s, root, n_roots, cnt, mean, std);
    free(cnt);
    return rc;
}
