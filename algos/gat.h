/* gat: the layers of the trace encoder, forward and backward side by side
 * (no MPI). Shapes use N nodes, E edges (graphbatch CSR), G graphs,
 * H heads of C channels, D = H·C.
 *
 *   linear:   Y[N×out] = X[N×in] · W[in×out] + b[out]                  (cblas_sgemm)
 *   gat:      Wh = X·W            [N×D]                                 (cblas_sgemm)
 *             s_src[i,h] = Σc Wh[i,h,c]·att_src[h,c], s_dst likewise    [N×H] (same sgemm)
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
#define LE_MAX_HEADS 16
#define LE_LN_EPS 1e-5f

/* Per-node kernels are compiled twice, for x86-64-v3 (AVX2 + FMA) and the
 * baseline, and picked at load time: 8-wide lanes halve their cost and the
 * binary still runs on any x86-64. FMA contraction changes only rounding. */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define LE_SIMD __attribute__((target_clones("arch=x86-64-v3", "default")))
#else
#define LE_SIMD
#endif

/* Dense-layer accounting for the benchmark: when le_dense_timing is set,
 * every sgemm adds its flops and wall time here. */
extern int le_dense_timing;
extern double le_dense_flops, le_dense_seconds;

/* C[m×n] = alpha·op(A)·op(B) + beta·C, row-major; timed when le_dense_timing. */
void le_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *A, const float *B, float beta,
              float *C);
/* The same with explicit leading dimensions. */
void le_sgemm_ld(int transA, int transB, int m, int n, int k, float alpha, const float *A, int lda, const float *B, int ldb,
                 float beta, float *C, int ldc);

void le_linear_forward(int n, int in, int out, const float *X, const float *W, const float *b, float *Y);
/* dX (overwritten, may be NULL) = dY·Wᵀ; dW += Xᵀ·dY; db += Σ dY (may be NULL). */
void le_linear_backward(int n, int in, int out, const float *X, const float *W, const float *dY, float *dX, float *dW,
                        float *db);

/* tanh as a rational function (Eigen's float fast tanh, a 13/6 minimax fit
 * on [-7.9, 7.9], beyond which tanh is ±1 in float): no libm call, no branch,
 * so the elementwise loops vectorise. libm's tanhf (via expm1f) was 40% of an
 * embed. Max absolute error ~1e-7 (checked in tests/unit/test_features.c). */
static inline float le_tanhf(float x)
{
    const float c = 7.90531110763549805f;
    x = x < c ? x : c; /* two selects (min, max): they vectorise where a nested ternary did not */
    x = x > -c ? x : -c;
    const float x2 = x * x;
    float p = x2 * -2.76076847742355e-16f + 2.00018790482477e-13f;
    p = x2 * p + -8.60467152213735e-11f;
    p = x2 * p + 5.12229709037114e-08f;
    p = x2 * p + 1.48572235717979e-05f;
    p = x2 * p + 6.37261928875436e-04f;
    p = x2 * p + 4.89352455891786e-03f;
    p = x * p;
    float q = x2 * 1.19825839466702e-06f + 1.18534705686654e-04f;
    q = x2 * q + 2.26843463243900e-03f;
    q = x2 * q + 4.89352518554385e-03f;
    return p / q;
}

/* e^x for x ≤ 88 (Cephes expf polynomial, exponent by bit shift): no libm
 * call, so the softmax's flat exp loop vectorises. Relative error ≤ 2e-7. */
static inline float le_expf(float x)
{
    x = x > -87.0f ? x : -87.0f;
    x = x < 88.0f ? x : 88.0f;
    float t = x * 1.44269504088896341f;
    int n = (int)__builtin_roundf(t); /* half away from zero; expanded inline, so the loop vectorises */
    float r = x - (float)n * 0.693359375f - (float)n * -2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    union {
        int32_t i;
        float f;
    } scale = {.i = (n + 127) << 23};
    return p * scale.f;
}

void le_tanh_forward(int64_t n, const float *x, float *y);
/* dx = dy·(1 − y²), in place on d allowed (dx may equal dy). */
void le_tanh_backward(int64_t n, const float *y, const float *dy, float *dx);

typedef struct le_gat_dims {
    int fin, heads, hc; /* input width, H, C */
} le_gat_dims;

/* Row width of the fused projection: Wh (D) | s_src (H) | s_dst (H). */
static inline int le_gat_ld(const le_gat_dims *d) { return d->heads * d->hc + 2 * d->heads; }

/* Weights of one layer, or their gradients (same layout). */
typedef struct le_gat_params {
    float *W;       /* [fin × D] */
    float *att_src; /* [H × C] */
    float *att_dst; /* [H × C] */
    float *bias;    /* [D] */
    float *ln_g;    /* [D] */
    float *ln_b;    /* [D] */
} le_gat_params;

/* What forward keeps for backward. The attention scores are linear in Wh,
 * s = Wh·A with A [D × 2H] block-diagonal (att_src, att_dst), so they come
 * out of the same sgemm as Wh: X·[W | W·A] (WA is rebuilt per forward, fin·D·2H
 * flops). Inference leaves logit, A, xhat and rstd NULL: nothing is kept but
 * the layer output. */
typedef struct le_gat_cache {
    float *WA;    /* [fin × ld]  ld = D + 2H: [W | W·A_src | W·A_dst] */
    float *WhS;   /* [N × ld]    row i: Wh[i] | s_src[i] | s_dst[i] */
    float *logit; /* [E × H] before LeakyReLU (training only) */
    float *alpha; /* [E × H] */
    float *A;     /* [N × D] tanh output (training only) */
    float *xhat;  /* [N × D] normalised A (training only) */
    float *rstd;  /* [N] (training only) */
} le_gat_cache;

/* The layer in two halves, for callers that project their input another way:
 *   fold:   WA = [W | W·A]                      (then WhS = X·WA)
 *   attend: c->WhS given → alpha, Y             (softmax, aggregation, tanh, LayerNorm)
 * le_gat_forward = fold + sgemm + attend. */
void le_gat_fold(const le_gat_dims *d, const le_gat_params *w, float *WA);
void le_gat_attend(const le_gat_dims *d, const le_gat_params *w, const le_graphbatch *gb, le_gat_cache *c, float *Y);
void le_gat_forward(const le_gat_dims *d, const le_gat_params *w, const le_graphbatch *gb, const float *X, le_gat_cache *c,
                    float *Y);
/* Floats of scratch le_gat_backward needs: N·ld + E·H + fin·ld. */
static inline size_t le_gat_scratch_floats(const le_gat_dims *d, size_t N, size_t E)
{
    return (N + (size_t)d->fin) * (size_t)le_gat_ld(d) + E * (size_t)d->heads;
}
/* dY [N×D] is clobbered (becomes dZ). grads accumulate into g. dX [N×fin]
 * is overwritten (NULL for the first layer when the input needs no gradient).
 * scratch: le_gat_scratch_floats. */
void le_gat_backward(const le_gat_dims *d, const le_gat_params *w, const le_graphbatch *gb, const float *X,
                     const le_gat_cache *c, float *dY, le_gat_params *g, float *dX, float *scratch);
/* Backward of attend: dY clobbered; dWhS [N × ld] overwritten; ln and bias
 * gradients into g; dal: E·H floats of scratch. */
void le_gat_attend_backward(const le_gat_dims *d, const le_gat_params *w, const le_graphbatch *gb, const le_gat_cache *c,
                            float *dY, le_gat_params *g, float *dWhS, float *dal);
/* Backward of fold: from dWA [fin × ld] (= Xᵀ·dWhS) into g->W, g->att_src, g->att_dst. */
void le_gat_unfold(const le_gat_dims *d, const le_gat_params *w, const float *dWA, le_gat_params *g);

void le_meanpool_forward(const le_graphbatch *gb, int D, const float *Y, float *P);
void le_meanpool_backward(const le_graphbatch *gb, int D, const float *dP, float *dY);

#endif
