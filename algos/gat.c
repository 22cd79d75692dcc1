/* The elementwise kernels here are the non-dense half of the encoder.
 * -O2's "very cheap" vectoriser leaves their runtime-length loops scalar, and
 * with trapping math GCC will not if-convert the clamps of le_tanhf/le_expf
 * (nothing here reads floating-point exception flags). */
#pragma GCC optimize("O3", "no-trapping-math")
#include "gat.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "le_base.h"

int le_dense_timing;
double le_dense_flops, le_dense_seconds;

void le_sgemm_ld(int transA, int transB, int m, int n, int k, float alpha, const float *A, int lda, const float *B, int ldb,
                 float beta, float *C, int ldc)
{
    if (m == 0 || n == 0) return;
    double t0 = le_dense_timing ? le_now() : 0;
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k, alpha, A,
                lda, B, ldb, beta, C, ldc);
    if (le_dense_timing) {
        le_dense_seconds += le_now() - t0;
        le_dense_flops += 2.0 * m * n * k;
    }
}

void le_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *A, const float *B, float beta, float *C)
{
    le_sgemm_ld(transA, transB, m, n, k, alpha, A, transA ? m : k, B, transB ? k : n, beta, C, n);
}

void le_linear_forward(int n, int in, int out, const float *X, const float *W, const float *b, float *Y)
{
    le_sgemm(0, 0, n, out, in, 1.0f, X, W, 0.0f, Y);
    if (b)
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++) Y[(size_t)i * out + o] += b[o];
}

void le_linear_backward(int n, int in, int out, const float *X, const float *W, const float *dY, float *dX, float *dW,
                        float *db)
{
    le_sgemm(1, 0, in, out, n, 1.0f, X, dY, 1.0f, dW);         /* dW[in×out] += Xᵀ dY */
    if (dX) le_sgemm(0, 1, n, in, out, 1.0f, dY, W, 0.0f, dX); /* dX[n×in] = dY Wᵀ */
    if (db)
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++) db[o] += dY[(size_t)i * out + o];
}

LE_SIMD void le_tanh_forward(int64_t n, const float *x, float *y)
{
    for (int64_t i = 0; i < n; i++) y[i] = le_tanhf(x[i]);
}

LE_SIMD void le_tanh_backward(int64_t n, const float *y, const float *dy, float *dx)
{
    for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

/* Σ a[c]·b[c] in 8 independent lanes: a float reduction the compiler may
 * vectorise without reassociating (it cannot reorder one running sum). */
static inline float dot8(const float *restrict a, const float *restrict b, int n)
{
    float s[8] = {0}, t = 0;
    int c = 0;
    for (; c + 8 <= n; c += 8)
        for (int l = 0; l < 8; l++) s[l] += a[c + l] * b[c + l];
    for (; c < n; c++) t += a[c] * b[c];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) + t;
}

/* Σ (a[c] − mu)², in lanes as dot8. */
static inline float sqdev8(const float *restrict a, float mu, int n)
{
    float s[8] = {0}, t = 0;
    int c = 0;
    for (; c + 8 <= n; c += 8)
        for (int l = 0; l < 8; l++) s[l] += (a[c + l] - mu) * (a[c + l] - mu);
    for (; c < n; c++) t += (a[c] - mu) * (a[c] - mu);
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) + t;
}

static inline float sum8(const float *restrict a, int n)
{
    float s[8] = {0}, t = 0;
    int c = 0;
    for (; c + 8 <= n; c += 8)
        for (int l = 0; l < 8; l++) s[l] += a[c + l];
    for (; c < n; c++) t += a[c];
    return ((s[0] + s[4]) + (s[1] + s[5])) + ((s[2] + s[6]) + (s[3] + s[7])) + t;
}

/* WA [fin × ld] = [W | W·A_src | W·A_dst]: column D+h is Σc W[:,hC+c]·att_src[h,c], D+H+h likewise for att_dst. */
void le_gat_fold(const le_gat_dims *d, const le_gat_params *w, float *restrict WA)
{
    const int H = d->heads, C = d->hc, D = H * C, ld = le_gat_ld(d);
    for (int r = 0; r < d->fin; r++) {
        const float *wr = w->W + (size_t)r * D;
        float *o = WA + (size_t)r * ld;
        memcpy(o, wr, sizeof(float) * (size_t)D);
        for (int h = 0; h < H; h++) {
            o[D + h] = dot8(wr + h * C, w->att_src + h * C, C);
            o[D + H + h] = dot8(wr + h * C, w->att_dst + h * C, C);
        }
    }
}

/* alpha[k,h] = softmax over the edges k into i of LeakyReLU(s_dst[i,h] + s_src[j,h]) [E × H];
 * logit (may be NULL) keeps the pre-LeakyReLU value. Three passes so that the
 * exponentials are one flat loop over E·H values. Always inlined so that the
 * default H = 3 is a constant in its copy: the head loops unroll into registers. */
static inline __attribute__((always_inline)) void softmax_body(const le_graphbatch *gb, const int H, int ld,
                                                               const float *restrict WhS, float *restrict logit,
                                                               float *restrict alpha)
{
    const int D = ld - 2 * H;
    for (int i = 0; i < gb->n_nodes; i++) {
        const int32_t lo = gb->nbr_off[i], hi = gb->nbr_off[i + 1];
        const float *sd = WhS + (size_t)i * ld + D + H;
        float mx[LE_MAX_HEADS];
        for (int h = 0; h < H; h++) mx[h] = -INFINITY;
        for (int32_t k = lo; k < hi; k++) {
            const float *ss = WhS + (size_t)gb->nbr[k] * ld + D;
            for (int h = 0; h < H; h++) {
                float e = sd[h] + ss[h], l = e > 0 ? e : LE_LEAKY * e;
                if (logit) logit[(size_t)k * H + h] = e;
                alpha[(size_t)k * H + h] = l;
                mx[h] = l > mx[h] ? l : mx[h];
            }
        }
        for (int32_t k = lo; k < hi; k++)
            for (int h = 0; h < H; h++) alpha[(size_t)k * H + h] -= mx[h];
    }
    const size_t EH = (size_t)gb->n_edges * H;
    for (size_t x = 0; x < EH; x++) alpha[x] = le_expf(alpha[x]);
    for (int i = 0; i < gb->n_nodes; i++) {
        const int32_t lo = gb->nbr_off[i], hi = gb->nbr_off[i + 1];
        float sum[LE_MAX_HEADS];
        for (int h = 0; h < H; h++) sum[h] = 0;
        for (int32_t k = lo; k < hi; k++)
            for (int h = 0; h < H; h++) sum[h] += alpha[(size_t)k * H + h];
        for (int h = 0; h < H; h++) sum[h] = 1.0f / sum[h];
        for (int32_t k = lo; k < hi; k++)
            for (int h = 0; h < H; h++) alpha[(size_t)k * H + h] *= sum[h];
    }
}

LE_SIMD static void edge_softmax(const le_graphbatch *gb, int H, int ld, const float *restrict WhS, float *restrict logit,
                                 float *restrict alpha)
{
    if (H == 3)
        softmax_body(gb, 3, ld, WhS, logit, alpha);
    else
        softmax_body(gb, H, ld, WhS, logit, alpha);
}

/* One pass per node while its row is in L1: z = bias + Σk alpha[k,h]·Wh[j,h,:] (heads
 * concatenated), a = tanh(z), y = (a − mean)·rstd·ln_g + ln_b. The row of Y is the
 * scratch for z; A, xhat, rstd are kept only when c->A is set (training). */
LE_SIMD static void aggregate_norm(const le_gat_dims *d, const le_gat_params *w, const le_graphbatch *gb,
                                   const le_gat_cache *c, float *restrict Y)
{
    const int H = d->heads, C = d->hc, D = H * C, ld = le_gat_ld(d);
    const float *restrict bias = w->bias, *restrict g = w->ln_g, *restrict b = w->ln_b;
    for (int i = 0; i < gb->n_nodes; i++) {
        float *restrict z = Y + (size_t)i * D;
        const int32_t lo = gb->nbr_off[i], hi = gb->nbr_off[i + 1];
        if (C % 8 == 0) { /* 8 channels of one head at a time, summed over the edges in a register */
            for (int q0 = 0; q0 < D; q0 += 8) {
                const int h = q0 / C;
                float acc[8];
                for (int l = 0; l < 8; l++) acc[l] = bias[q0 + l];
                for (int32_t k = lo; k < hi; k++) {
                    const float a = c->alpha[(size_t)k * H + h], *restrict x = c->WhS + (size_t)gb->nbr[k] * ld + q0;
                    for (int l = 0; l < 8; l++) acc[l] += a * x[l];
                }
                for (int l = 0; l < 8; l++) z[q0 + l] = acc[l];
            }
        } else {
            memcpy(z, bias, sizeof(float) * (size_t)D);
            for (int32_t k = lo; k < hi; k++) {
                const float *restrict x = c->WhS + (size_t)gb->nbr[k] * ld;
                const float *al = c->alpha + (size_t)k * H;
                for (int h = 0; h < H; h++)
                    for (int q = 0; q < C; q++) z[h * C + q] += al[h] * x[h * C + q];
            }
        }
        for (int q = 0; q < D; q++) z[q] = le_tanhf(z[q]);
        const float mu = sum8(z, D) / (float)D;
        const float r = 1.0f / sqrtf(sqdev8(z, mu, D) / (float)D + LE_LN_EPS);
        if (c->A) {
            float *restrict a = c->A + (size_t)i * D, *restrict xh = c->xhat + (size_t)i * D;
            c->rstd[i] = r;
            for (int q = 0; q < D; q++) a[q] = z[q], xh[q] = (z[q] - mu) * r;
        }
        for (int q = 0; q < D; q++) z[q] = (z[q] - mu) * r * g[q] + b[q];
    }
}

void le_gat_attend(const le_gat_dims *d, const le_gat_params *w, const le_graphbatch *gb, le_gat_cache *c, float *Y)
{
    edge_softmax(gb, d->heads, le_gat_ld(d), c->WhS, c->A ? c->logit : NULL, c->alpha);
    aggregate_norm(d, w, gb, c, Y);
}

void le_gat_forward(const le_gat_dims *d, const le_gat_params *w, const le_graphbatch *gb, const float *X, le_gat_cache *c,
                    float *Y)
{
    const int ld = le_gat_ld(d);
    le_gat_fold(d, w, c->WA);
    le_sgemm_ld(0, 0, gb->n_nodes, ld, d->fin, 1.0f, X, d->fin, c->WA, ld, 0.0f, c->WhS, ld); /* [N × ld] */
    le_gat_attend(d, w, gb, c, Y);
}

/* Backward of aggregate_norm's last three steps, one pass per node:
 * dxhat = dY·g; dA = rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)); dZ = dA·(1 − A²),
 * written over dY; dg += dY·xhat, db += dY, dbias += dZ. */
LE_SIMD static void norm_backward(int N, int D, const le_gat_cache *c, const float *restrict g, float *restrict dY,
                                  float *restrict dg, float *restrict db, float *restrict dbias)
{
    for (int i = 0; i < N; i++) {
        float *restrict dy = dY + (size_t)i * D;
        const float *restrict xh = c->xhat + (size_t)i * D, *restrict a = c->A + (size_t)i * D;
        for (int q = 0; q < D; q++) dg[q] += dy[q] * xh[q], db[q] += dy[q];
        for (int q = 0; q < D; q++) dy[q] *= g[q]; /* dy := dxhat */
        const float m1 = sum8(dy, D) / (float)D, m2 = dot8(dy, xh, D) / (float)D, r = c->rstd[i];
        for (int q = 0; q < D; q++) {
            float dz = r * (dy[q] - m1 - xh[q] * m2) * (1.0f - a[q] * a[q]);
            dy[q] = dz, dbias[q] += dz;
        }
    }
}

/* Through aggregation and the edge softmax, into dWhS [N × ld] (zeroed by the caller):
 * dWh[j] += alpha·dZ[i]; dalpha[k,h] = dZ[i,h,:]·Wh[j,h,:] (kept in dal [E × H]);
 * de = alpha·(dalpha − Σ alpha·dalpha)·LeakyReLU'; ds_dst[i] += de, ds_src[j] += de. */
LE_SIMD static void aggregate_backward(const le_gat_dims *d, const le_graphbatch *gb, const le_gat_cache *c,
                                       const float *restrict dZ, float *restrict dWhS, float *restrict dal)
{
    const int H = d->heads, C = d->hc, D = H * C, ld = le_gat_ld(d);
    for (int i = 0; i < gb->n_nodes; i++) {
        const int32_t lo = gb->nbr_off[i], hi = gb->nbr_off[i + 1];
        const float *restrict dz = dZ + (size_t)i * D;
        for (int32_t k = lo; k < hi; k++) {
            const size_t j = (size_t)gb->nbr[k];
            const float *restrict x = c->WhS + j * ld;
            float *restrict dx = dWhS + j * ld;
            const float *al = c->alpha + (size_t)k * H;
            for (int h = 0; h < H; h++) {
                dal[(size_t)k * H + h] = dot8(dz + h * C, x + h * C, C);
                for (int q = 0; q < C; q++) dx[h * C + q] += al[h] * dz[h * C + q];
            }
        }
        for (int h = 0; h < H; h++) {
            float s = 0;
            for (int32_t k = lo; k < hi; k++) s += c->alpha[(size_t)k * H + h] * dal[(size_t)k * H + h];
            for (int32_t k = lo; k < hi; k++) {
                float de = c->alpha[(size_t)k * H + h] * (dal[(size_t)k * H + h] - s);
                if (c->logit[(size_t)k * H + h] <= 0) de *= LE_LEAKY;
                dWhS[(size_t)i * ld + D + H + h] += de;
                dWhS[(size_t)gb->nbr[k] * ld + D + h] += de;
            }
        }
    }
}

/* From dWA = Xᵀ·dWhS [fin × ld] (WhS = X·WA) to the layer's weights:
 * dW[f,hC+c] += dWA[f,hC+c] + dWA[f,D+h]·att_src[h,c] + dWA[f,D+H+h]·att_dst[h,c];
 * datt_src[h,c] += Σf W[f,hC+c]·dWA[f,D+h] (s_src = X·W·att_src), att_dst likewise. */
void le_gat_unfold(const le_gat_dims *d, const le_gat_params *w, const float *restrict dWA, le_gat_params *g)
{
    const int H = d->heads, C = d->hc, D = H * C, ld = le_gat_ld(d);
    for (int f = 0; f < d->fin; f++) {
        const float *o = dWA + (size_t)f * ld, *wr = w->W + (size_t)f * D;
        float *gw = g->W + (size_t)f * D;
        for (int h = 0; h < H; h++)
            for (int q = 0; q < C; q++) {
                const int x = h * C + q;
                gw[x] += o[x] + o[D + h] * w->att_src[x] + o[D + H + h] * w->att_dst[x];
                g->att_src[x] += wr[x] * o[D + h];
                g->att_dst[x] += wr[x] * o[D + H + h];
            }
    }
}

void le_gat_attend_backward(const le_gat_dims *d, const le_gat_params *w, const le_graphbatch *gb, const le_gat_cache *c,
                            float *dY, le_gat_params *g, float *dWhS, float *dal)
{
    const int N = gb->n_nodes, D = d->heads * d->hc;
    norm_backward(N, D, c, w->ln_g, dY, g->ln_g, g->ln_b, g->bias); /* dY := dZ */
    memset(dWhS, 0, sizeof(float) * (size_t)N * le_gat_ld(d));      /* scatter-added below */
    aggregate_backward(d, gb, c, dY, dWhS, dal);
}

void le_gat_backward(const le_gat_dims *d, const le_gat_params *w, const le_graphbatch *gb, const float *X,
                     const le_gat_cache *c, float *dY, le_gat_params *g, float *dX, float *scratch)
{
    const int N = gb->n_nodes, ld = le_gat_ld(d);
    float *dWhS = scratch, *dal = dWhS + (size_t)N * ld, *dWA = dal + (size_t)gb->n_edges * d->heads;
    le_gat_attend_backward(d, w, gb, c, dY, g, dWhS, dal);
    le_sgemm_ld(1, 0, d->fin, ld, N, 1.0f, X, d->fin, dWhS, ld, 0.0f, dWA, ld); /* dWA = Xᵀ dWhS */
    le_gat_unfold(d, w, dWA, g);
    if (dX) le_sgemm_ld(0, 1, N, d->fin, ld, 1.0f, dWhS, ld, c->WA, ld, 0.0f, dX, d->fin); /* dX = dWhS WAᵀ */
}

void le_meanpool_forward(const le_graphbatch *gb, int D, const float *Y, float *P)
{
    for (int g = 0; g < gb->n_graphs; g++) {
        float *p = P + (size_t)g * D;
        memset(p, 0, sizeof(float) * D);
        int32_t lo = gb->graph_off[g], hi = gb->graph_off[g + 1];
        for (int32_t i = lo; i < hi; i++)
            for (int q = 0; q < D; q++) p[q] += Y[(size_t)i * D + q];
        float inv = 1.0f / (float)(hi - lo);
        for (int q = 0; q < D; q++) p[q] *= inv;
    }
}

void le_meanpool_backward(const le_graphbatch *gb, int D, const float *dP, float *dY)
{
    for (int g = 0; g < gb->n_graphs; g++) {
        int32_t lo = gb->graph_off[g], hi = gb->graph_off[g + 1];
        float inv = 1.0f / (float)(hi - lo);
        for (int32_t i = lo; i < hi; i++)
            for (int q = 0; q < D; q++) dY[(size_t)i * D + q] = dP[(size_t)g * D + q] * inv;
    }
}
