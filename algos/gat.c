/* The elementwise kernels here are the non-dense half of the encoder; -O2's
 * "very cheap" vectoriser leaves their runtime-length loops scalar. */
#pragma GCC optimize("O3")
#include "gat.h"

#include <cblas.h>
#include <math.h>
#include <string.h>

#include "le_base.h"

int le_dense_timing;
double le_dense_flops, le_dense_seconds;

void le_sgemm(int transA, int transB, int m, int n, int k, float alpha, const float *A, const float *B, float beta,
              float *C)
{
    if (m == 0 || n == 0) return;
    double t0 = le_dense_timing ? le_now() : 0;
    cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans, m, n, k, alpha,
                A, transA ? m : k, B, transB ? k : n, beta, C, n);
    if (le_dense_timing) {
        le_dense_seconds += le_now() - t0;
        le_dense_flops += 2.0 * m * n * k;
    }
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
    le_sgemm(1, 0, in, out, n, 1.0f, X, dY, 1.0f, dW); /* dW[in×out] += Xᵀ dY */
    if (dX) le_sgemm(0, 1, n, in, out, 1.0f, dY, W, 0.0f, dX); /* dX[n×in] = dY Wᵀ */
    if (db)
        for (int i = 0; i < n; i++)
            for (int o = 0; o < out; o++) db[o] += dY[(size_t)i * out + o];
}

void le_tanh_forward(int64_t n, const float *x, float *y)
{
    for (int64_t i = 0; i < n; i++) y[i] = le_tanhf(x[i]);
}

void le_tanh_backward(int64_t n, const float *y, const float *dy, float *dx)
{
    for (int64_t i = 0; i < n; i++) dx[i] = dy[i] * (1.0f - y[i] * y[i]);
}

/* s[i,h] = Σc Wh[i,h,c]·att[h,c]   Wh [N×D] → s [N×H] */
static void att_scores(int N, int H, int C, const float *Wh, const float *att, float *s)
{
    for (int i = 0; i < N; i++)
        for (int h = 0; h < H; h++) {
            const float *x = Wh + (size_t)i * H * C + h * C, *a = att + h * C;
            float acc = 0;
            for (int c = 0; c < C; c++) acc += x[c] * a[c];
            s[(size_t)i * H + h] = acc;
        }
}

/* alpha[k,h] = softmax over the edges k into i of LeakyReLU(s_dst[i,h] + s_src[j,h]).
 * Three passes so that the exponentials are one flat loop over E·H values. */
static void edge_softmax(const le_graphbatch *gb, int H, const float *s_src, const float *s_dst, float *logit,
                         float *alpha)
{
    float mx[LE_MAX_HEADS];
    for (int i = 0; i < gb->n_nodes; i++) {
        int32_t lo = gb->nbr_off[i], hi = gb->nbr_off[i + 1];
        for (int h = 0; h < H; h++) mx[h] = -INFINITY;
        for (int32_t k = lo; k < hi; k++)
            for (int h = 0; h < H; h++) {
                float e = s_dst[(size_t)i * H + h] + s_src[(size_t)gb->nbr[k] * H + h];
                logit[(size_t)k * H + h] = e;
                float l = e > 0 ? e : LE_LEAKY * e;
                alpha[(size_t)k * H + h] = l;
                mx[h] = l > mx[h] ? l : mx[h];
            }
        for (int32_t k = lo; k < hi; k++)
            for (int h = 0; h < H; h++) alpha[(size_t)k * H + h] -= mx[h];
    }
    const size_t EH = (size_t)gb->n_edges * H;
    for (size_t x = 0; x < EH; x++) alpha[x] = le_expf(alpha[x]);
    for (int i = 0; i < gb->n_nodes; i++) {
        int32_t lo = gb->nbr_off[i], hi = gb->nbr_off[i + 1];
        float sum[LE_MAX_HEADS] = {0};
        for (int32_t k = lo; k < hi; k++)
            for (int h = 0; h < H; h++) sum[h] += alpha[(size_t)k * H + h];
        for (int h = 0; h < H; h++) sum[h] = 1.0f / sum[h];
        for (int32_t k = lo; k < hi; k++)
            for (int h = 0; h < H; h++) alpha[(size_t)k * H + h] *= sum[h];
    }
}

/* Z[i,h,:] = bias[h,:] + Σk alpha[k,h]·Wh[j,h,:] */
static void aggregate(const le_graphbatch *gb, int H, int C, const float *alpha, const float *Wh, const float *bias,
                      float *Z)
{
    const int D = H * C;
    for (int i = 0; i < gb->n_nodes; i++) {
        float *z = Z + (size_t)i * D;
        memcpy(z, bias, sizeof(float) * D);
        for (int32_t k = gb->nbr_off[i]; k < gb->nbr_off[i + 1]; k++) {
            const float *x = Wh + (size_t)gb->nbr[k] * D;
            for (int h = 0; h < H; h++) {
                float a = alpha[(size_t)k * H + h];
                for (int c = 0; c < C; c++) z[h * C + c] += a * x[h * C + c];
            }
        }
    }
}

/* Y = LayerNorm(A)·g + b per row of D; keeps xhat and rstd */
static void layernorm_forward(int N, int D, const float *A, const float *g, const float *b, float *xhat, float *rstd,
                              float *Y)
{
    for (int i = 0; i < N; i++) {
        const float *a = A + (size_t)i * D;
        float mu = 0, var = 0;
        for (int c = 0; c < D; c++) mu += a[c];
        mu /= (float)D;
        for (int c = 0; c < D; c++) var += (a[c] - mu) * (a[c] - mu);
        float r = 1.0f / sqrtf(var / (float)D + LE_LN_EPS);
        rstd[i] = r;
        for (int c = 0; c < D; c++) {
            float xh = (a[c] - mu) * r;
            xhat[(size_t)i * D + c] = xh;
            Y[(size_t)i * D + c] = xh * g[c] + b[c];
        }
    }
}

/* dA = rstd·(dxhat − mean(dxhat) − xhat·mean(dxhat·xhat)), dxhat = dY·g; written over dY */
static void layernorm_backward(int N, int D, const float *xhat, const float *rstd, const float *g, float *dY, float *dg,
                               float *db)
{
    for (int i = 0; i < N; i++) {
        float *dy = dY + (size_t)i * D;
        const float *xh = xhat + (size_t)i * D;
        float m1 = 0, m2 = 0;
        for (int c = 0; c < D; c++) {
            dg[c] += dy[c] * xh[c];
            db[c] += dy[c];
            float dx = dy[c] * g[c];
            m1 += dx, m2 += dx * xh[c];
        }
        m1 /= (float)D, m2 /= (float)D;
        for (int c = 0; c < D; c++) dy[c] = rstd[i] * (dy[c] * g[c] - m1 - xh[c] * m2);
    }
}

void le_gat_forward(const le_gat_dims *d, const le_gat_params *w, const le_graphbatch *gb, const float *X,
                    le_gat_cache *c, float *Y)
{
    const int N = gb->n_nodes, H = d->heads, C = d->hc, D = H * C;
    le_sgemm(0, 0, N, D, d->fin, 1.0f, X, w->W, 0.0f, c->Wh);
    att_scores(N, H, C, c->Wh, w->att_src, c->s_src);
    att_scores(N, H, C, c->Wh, w->att_dst, c->s_dst);
    edge_softmax(gb, H, c->s_src, c->s_dst, c->logit, c->alpha);
    aggregate(gb, H, C, c->alpha, c->Wh, w->bias, c->A);
    le_tanh_forward((int64_t)N * D, c->A, c->A);
    layernorm_forward(N, D, c->A, w->ln_g, w->ln_b, c->xhat, c->rstd, Y);
}

/* Through aggregation and the edge softmax: dWh (from Σ alpha·Wh), ds_src, ds_dst.
 * dal [E×H] holds dL/dalpha per edge. */
static void aggregate_backward(const le_graphbatch *gb, int H, int C, const le_gat_cache *c, const float *dZ,
                               float *dWh, float *ds_src, float *ds_dst, float *dal)
{
    const int D = H * C;
    for (int i = 0; i < gb->n_nodes; i++) {
        int32_t lo = gb->nbr_off[i], hi = gb->nbr_off[i + 1];
        const float *dz = dZ + (size_t)i * D;
        for (int32_t k = lo; k < hi; k++) {
            const size_t j = (size_t)gb->nbr[k];
            const float *x = c->Wh + j * D;
            float *dx = dWh + j * D;
            for (int h = 0; h < H; h++) {
                float a = c->alpha[(size_t)k * H + h], acc = 0;
                for (int q = 0; q < C; q++) {
                    acc += dz[h * C + q] * x[h * C + q];
                    dx[h * C + q] += a * dz[h * C + q];
                }
                dal[(size_t)k * H + h] = acc;
            }
        }
        for (int h = 0; h < H; h++) {
            float s = 0;
            for (int32_t k = lo; k < hi; k++) s += c->alpha[(size_t)k * H + h] * dal[(size_t)k * H + h];
            for (int32_t k = lo; k < hi; k++) {
                float de = c->alpha[(size_t)k * H + h] * (dal[(size_t)k * H + h] - s);
                if (c->logit[(size_t)k * H + h] <= 0) de *= LE_LEAKY;
                ds_dst[(size_t)i * H + h] += de;
                ds_src[(size_t)gb->nbr[k] * H + h] += de;
            }
        }
    }
}

/* s = Wh·att per head: datt += Σi ds[i,h]·Wh[i,h,:]; dWh[i,h,:] += ds[i,h]·att[h,:] */
static void att_scores_backward(int N, int H, int C, const float *Wh, const float *att, const float *ds, float *datt,
                                float *dWh)
{
    for (int i = 0; i < N; i++)
        for (int h = 0; h < H; h++) {
            float s = ds[(size_t)i * H + h];
            const float *x = Wh + (size_t)i * H * C + h * C;
            float *dx = dWh + (size_t)i * H * C + h * C;
            for (int q = 0; q < C; q++) {
                datt[h * C + q] += s * x[q];
                dx[q] += s * att[h * C + q];
            }
        }
}

void le_gat_backward(const le_gat_dims *d, const le_gat_params *w, const le_graphbatch *gb, const float *X,
                     const le_gat_cache *c, float *dY, le_gat_params *g, float *dX, float *scratch)
{
    const int N = gb->n_nodes, H = d->heads, C = d->hc, D = H * C;
    float *dWh = scratch, *ds_src = dWh + (size_t)N * D, *ds_dst = ds_src + (size_t)N * H, *dal = ds_dst + (size_t)N * H;
    layernorm_backward(N, D, c->xhat, c->rstd, w->ln_g, dY, g->ln_g, g->ln_b); /* dY := dA */
    le_tanh_backward((int64_t)N * D, c->A, dY, dY);                            /* dY := dZ */
    for (int i = 0; i < N; i++)
        for (int q = 0; q < D; q++) g->bias[q] += dY[(size_t)i * D + q];
    memset(dWh, 0, sizeof(float) * ((size_t)N * D + 2 * (size_t)N * H));
    aggregate_backward(gb, H, C, c, dY, dWh, ds_src, ds_dst, dal);
    att_scores_backward(N, H, C, c->Wh, w->att_src, ds_src, g->att_src, dWh);
    att_scores_backward(N, H, C, c->Wh, w->att_dst, ds_dst, g->att_dst, dWh);
    le_sgemm(1, 0, d->fin, D, N, 1.0f, X, dWh, 1.0f, g->W);         /* dW += Xᵀ dWh */
    if (dX) le_sgemm(0, 1, N, d->fin, D, 1.0f, dWh, w->W, 0.0f, dX); /* dX = dWh Wᵀ */
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
