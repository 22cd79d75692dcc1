/* gat: the layers of the trace encoder, forward and backward side by side
 * (no MPI). Shapes use N nodes, E edges (graphbatch CSR), G graphs,
 * H heads of C channels, D = H·C.
 *
 *   linear:   Y[N×out] = X[N×in] · W[in×out] + b[out]                  (cblas_sgemm)
 *   gat:      Wh = X·W            [N×D]                                 (cblas_sgemm)
 *             s_src[i,h] = Σc Wh[i,h,c]·att_src[h,c], s_dst likewise    [N×H]
 *             logit[k,h] = s_dst[i,h] + s_src[j,h] for edge k = (j → i) [E×H]
 *             alpha = softmax over the edges into i of LeakyReLU(logit, 0.2)
 *             Z[i,h,:] = Σk alpha[k,h]·Wh[j,h,:] + bias                [N×D] (heads concatenated)
 *             A = tanh(Z);  Y = LayerNorm(A)·ln_g + ln_b (per node, eps 1e-5)
 *   meanpool: P[g] = mean of Y over the nodes of graph g               [G×D]
 *
 * LayerNorm rather than the authors' BatchNorm: it normalises each node on
 * its own, so a trace's embedding does not depend on which other traces share
 * its batch, nor on how the global batch is split across ranks. */
#ifndef LE_GAT_H
#define LE_GAT_H

#include <math.h>
#include <stdint.h>

#include "graphbatch.h"

#define LE_LEAKY 0.2f
#define LE_LN_EPS 1e-5f

/* Dense-layer accounting for the benchmark: when le_dense_timing is set,
 * every sgemm adds its flops and wall time here. */
extern int le_dense_timing;
extern double le_dense_flops, le_dense_seconds;

/* C[m×n] = alpha·op(A)·op(B) + beta·C, row-major; timed when le_dense_timing. */
void le_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *A, const float *B, float beta,
              float *C);

void le_linear_forward(int n, int in, int out, const float *X, const float *W, const float *b, float *Y);
/* dX (overwritten, may be NULL) = dY·Wᵀ; dW += Xᵀ·dY; db += Σ dY (may be NULL). */
void le_linear_backward(int n, int in, int out, const float *X, const float *W, const float *dY, float *dX, float *dW,
                        float *db);

/* tanh without libm's expm1f (which cost 40% of an embed): 1 − 2/(e^{2x} + 1),
 * with the odd Taylor series below |x| = 0.1 where that form cancels.
 * Absolute error ≤ 1e-7, relative ≤ 1e-6. */
static inline float le_tanhf(float x)
{
    if (x < 0.1f && x > -0.1f) {
        float x2 = x * x;
        return x * (1.0f + x2 * (-1.0f / 3 + x2 * (2.0f / 15 + x2 * (-17.0f / 315))));
    }
    return 1.0f - 2.0f / (expf(2.0f * x) + 1.0f);
}

void le_tanh_forward(int64_t n, const float *x, float *y);
/* dx = dy·(1 − y²), in place on d allowed (dx may equal dy). */
void le_tanh_backward(int64_t n, const float *y, const float *dy, float *dx);

typedef struct le_gat_dims {
    int fin, heads, hc; /* input width, H, C */
} le_gat_dims;

/* Weights of one layer, or their gradients (same layout). */
typedef struct le_gat_params {
    float *W;       /* [fin × D] */
    float *att_src; /* [H × C] */
    float *att_dst; /* [H × C] */
    float *bias;    /* [D] */
    float *ln_g;    /* [D] */
    float *ln_b;    /* [D] */
} le_gat_params;

/* What forward keeps for backward. */
typedef struct le_gat_cache {
    float *Wh;    /* [N × D] */
    float *s_src; /* [N × H] */
    float *s_dst; /* [N × H] */
    float *logit; /* [E × H] before LeakyReLU */
    float *alpha; /* [E × H] */
    float *A;     /* [N × D] tanh output */
    float *xhat;  /* [N × D] normalised A */
    float *rstd;  /* [N] */
} le_gat_cache;

void le_gat_forward(const le_gat_dims *d, const le_gat_params *w, const le_graphbatch *gb, const float *X,
                    le_gat_cache *c, float *Y);
/* dY [N×D] is clobbered (becomes dZ). grads accumulate into g. dX [N×fin]
 * is overwritten (NULL for the first layer when the input needs no gradient).
 * scratch: N·D + 2·N·H + E·H floats. */
void le_gat_backward(const le_gat_dims *d, const le_gat_params *w, const le_graphbatch *gb, const float *X,
                     const le_gat_cache *c, float *dY, le_gat_params *g, float *dX, float *scratch);

void le_meanpool_forward(const le_graphbatch *gb, int D, const float *Y, float *P);
void le_meanpool_backward(const le_graphbatch *gb, int D, const float *dP, float *dY);

#endif
