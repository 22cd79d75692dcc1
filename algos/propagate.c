#include "propagate.h"

#include <cblas.h>
#include <float.h>
#include <math.h>

#include "kmeans.h"

/* The knn smallest of row[0..m) by insertion into a sorted list (knn is
 * small, m is the labeling budget). */
static int knn_vote(const float *row, const float *rnorm, const int8_t *ref_label, int64_t m, int knn, float xn)
{
    float bd[64];
    int8_t bl[64];
    int have = 0;
    for (int64_t j = 0; j < m; j++) {
        float v = xn + row[j] + rnorm[j];
        if (have == knn && v >= bd[have - 1]) continue;
        int p = have < knn ? have++ : knn - 1;
        while (p > 0 && bd[p - 1] > v) bd[p] = bd[p - 1], bl[p] = bl[p - 1], p--;
        bd[p] = v, bl[p] = ref_label[j];
    }
    int abn = 0;
    for (int i = 0; i < have; i++) abn += bl[i] == 1;
    if (2 * abn == have) return bl[0];
    return 2 * abn > have;
}

void le_prop_label_rows(const float *x, int64_t n, int d, const float *ref, const int8_t *ref_label, int64_t m, int knn,
                        float *work, int8_t *label, float *margin)
{
    float rnorm[m > 0 ? m : 1];
    le_km_row_norms(ref, m, d, rnorm);
    if (knn > 64) knn = 64;
    for (int64_t i0 = 0; i0 < n; i0 += LE_KM_BLOCK) {
        int64_t rows = n - i0 < LE_KM_BLOCK ? n - i0 : LE_KM_BLOCK;
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)rows, (int)m, d, -2.0f, x + i0 * d, d, ref, d, 0.0f, work,
                    (int)m);
        for (int64_t i = 0; i < rows; i++) {
            const float *xi = x + (i0 + i) * d, *row = work + i * m;
            float xn = 0;
            for (int t = 0; t < d; t++) xn += xi[t] * xi[t];
            float best[2] = {FLT_MAX, FLT_MAX};
            for (int64_t j = 0; j < m; j++) {
                float v = xn + row[j] + rnorm[j];
                int c = ref_label[j] == 1;
                if (v < best[c]) best[c] = v;
            }
            int l = best[1] < best[0];
            if (knn > 1) l = knn_vote(row, rnorm, ref_label, m, knn, xn);
            label[i0 + i] = (int8_t)l;
            float own = best[l] < 0 ? 0 : best[l], other = best[!l] < 0 ? 0 : best[!l];
            /* no reference of the other label at all: as sure as it gets */
            margin[i0 + i] = other == FLT_MAX ? INFINITY : fabsf(other - own) / 2;
        }
    }
}
