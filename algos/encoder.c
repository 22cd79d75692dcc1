/* The per-node loops of layer 0's input projection vectorise at O3. */
#pragma GCC optimize("O3", "no-trapping-math")
#include "encoder.h"

#include <stdlib.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "le_base.h"
#include "rng.h"

static void add_tensor(le_encoder *e, const char *name, int64_t rows, int64_t cols)
{
    le_tensor *t = &e->t[e->n_tensors++];
    snprintf(t->name, sizeof t->name, "%s", name);
    t->offset = e->n_params, t->rows = rows, t->cols = cols;
    e->n_params += rows * cols;
}

static int dim_D(const le_enc_cfg *c) { return c->heads * c->hc; }

int le_enc_layout(le_encoder *e, const le_enc_cfg *cfg)
{
    if (cfg->layers < 1 || cfg->layers > LE_MAX_LAYERS) return le_fail(LE_ERR_USAGE, "layers must be 1..%d", LE_MAX_LAYERS);
    if (cfg->heads > LE_MAX_HEADS) return le_fail(LE_ERR_USAGE, "heads must be 1..%d", LE_MAX_HEADS);
    if (cfg->heads < 1 || cfg->hc < 1 || cfg->out_dim < 1 || cfg->feat.d_op < 1 || cfg->feat.d_tok < 1 ||
        cfg->feat.n_buckets < 1 || cfg->feat.n_vocab < 0)
        return le_fail(LE_ERR_USAGE, "model sizes must be positive");
    memset(e, 0, sizeof *e);
    e->cfg = *cfg;
    const int D = dim_D(cfg);
    add_tensor(e, "emb_op", cfg->feat.n_vocab + 1, cfg->feat.d_op);
    add_tensor(e, "emb_tok", cfg->feat.n_buckets, cfg->feat.d_tok);
    for (int l = 0; l < cfg->layers; l++) {
        char n[32];
        int fin = l ? D : le_feat_dim(&cfg->feat);
        snprintf(n, sizeof n, "gat%d.W", l), add_tensor(e, n, fin, D);
        snprintf(n, sizeof n, "gat%d.att_src", l), add_tensor(e, n, cfg->heads, cfg->hc);
        snprintf(n, sizeof n, "gat%d.att_dst", l), add_tensor(e, n, cfg->heads, cfg->hc);
        snprintf(n, sizeof n, "gat%d.bias", l), add_tensor(e, n, 1, D);
        snprintf(n, sizeof n, "gat%d.ln_g", l), add_tensor(e, n, 1, D);
        snprintf(n, sizeof n, "gat%d.ln_b", l), add_tensor(e, n, 1, D);
    }
    add_tensor(e, "mlp.W1", D, D);
    add_tensor(e, "mlp.b1", 1, D);
    add_tensor(e, "mlp.W2", D, cfg->out_dim);
    add_tensor(e, "mlp.b2", 1, cfg->out_dim);
    return 0;
}

void le_enc_view_of(const le_encoder *e, float *buf, le_enc_view *v)
{
    int k = 0;
    v->emb_op = buf + e->t[k++].offset;
    v->emb_tok = buf + e->t[k++].offset;
    for (int l = 0; l < e->cfg.layers; l++) {
        le_gat_params *g = &v->gat[l];
        g->W = buf + e->t[k++].offset;
        g->att_src = buf + e->t[k++].offset;
        g->att_dst = buf + e->t[k++].offset;
        g->bias = buf + e->t[k++].offset;
        g->ln_g = buf + e->t[k++].offset;
        g->ln_b = buf + e->t[k++].offset;
    }
    v->W1 = buf + e->t[k++].offset;
    v->b1 = buf + e->t[k++].offset;
    v->W2 = buf + e->t[k++].offset;
    v->b2 = buf + e->t[k++].offset;
}

static int ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

void le_enc_init_params(const le_encoder *e, float *p, uint64_t seed)
{
    for (int k = 0; k < e->n_tensors; k++) {
        const le_tensor *t = &e->t[k];
        float *x = p + t->offset;
        int64_t n = t->rows * t->cols;
        le_rng r;
        le_rng_init(&r, seed, (uint64_t)k, 0x494e4954u /* "INIT" */);
        if (ends_with(t->name, "ln_g")) {
            for (int64_t i = 0; i < n; i++) x[i] = 1.0f;
        } else if (ends_with(t->name, "bias") || ends_with(t->name, "ln_b") || ends_with(t->name, ".b1") ||
                   ends_with(t->name, ".b2")) {
            for (int64_t i = 0; i < n; i++) x[i] = 0.0f;
        } else {
            /* Glorot uniform: bound sqrt(6 / (fan_in + fan_out)); embeddings as a 1-row matrix of their width */
            double fan = !strncmp(t->name, "emb", 3) ? 1.0 + (double)t->cols : (double)(t->rows + t->cols);
            double bound = sqrt(6.0 / fan);
            for (int64_t i = 0; i < n; i++) x[i] = (float)((2.0 * le_rng_uniform(&r) - 1.0) * bound);
        }
    }
}

void le_enc_ws_init(le_enc_ws *w) { memset(w, 0, sizeof *w); }

static void free_bufs(le_enc_ws *w)
{
    free(w->node_slot), free(w->dY), free(w->dYin), free(w->scratch);
    for (int l = 0; l < LE_MAX_LAYERS; l++) {
        le_gat_cache *c = &w->c[l];
        free(w->Y[l]), free(c->WA), free(c->WhS), free(c->logit), free(c->alpha), free(c->A), free(c->xhat), free(c->rstd);
    }
    free(w->P), free(w->H1), free(w->O), free(w->dP), free(w->dH1);
}

void le_enc_ws_free(le_enc_ws *w)
{
    free_bufs(w);
    free(w->op_slot), free(w->used), free(w->Xop), free(w->T), free(w->dXop), free(w->zt), free(w->zs);
    memset(w, 0, sizeof *w);
}

static float *fl(size_t n) { return le_malloc(sizeof(float) * n); }

/* Grow every buffer to hold the batch (1.5× headroom so growth is rare). */
static void ws_fit(le_enc_ws *w, const le_encoder *e, const le_graphbatch *gb)
{
    const le_enc_cfg *c = &e->cfg;
    size_t N = (size_t)gb->n_nodes, E = (size_t)gb->n_edges, G = (size_t)gb->n_graphs;
    if (N <= w->cap_n && E <= w->cap_e && G <= w->cap_g) return;
    free_bufs(w);
    N = N * 3 / 2 + 16, E = E * 3 / 2 + 16, G = G * 3 / 2 + 4;
    if (N < w->cap_n) N = w->cap_n;
    if (E < w->cap_e) E = w->cap_e;
    if (G < w->cap_g) G = w->cap_g;
    const size_t F = (size_t)le_feat_dim(&c->feat), D = (size_t)dim_D(c), H = (size_t)c->heads;
    const size_t wide = D > F ? D : F, ld = D + 2 * H;
    w->node_slot = le_malloc(sizeof(int32_t) * N), w->dY = fl(N * wide), w->dYin = fl(N * wide);
    le_gat_dims widest = {(int)wide, c->heads, c->hc};
    w->scratch = fl(le_gat_scratch_floats(&widest, N, E));
    for (int l = 0; l < c->layers; l++) {
        le_gat_cache *g = &w->c[l];
        w->Y[l] = fl(N * D), g->WA = fl(wide * ld), g->WhS = fl(N * ld), g->logit = fl(E * H), g->alpha = fl(E * H),
        g->A = fl(N * D), g->xhat = fl(N * D), g->rstd = fl(N);
    }
    w->P = fl(G * D), w->H1 = fl(G * D), w->dP = fl(G * D), w->dH1 = fl(G * D), w->O = fl(G * (size_t)c->out_dim);
    w->cap_n = N, w->cap_e = E, w->cap_g = G;
}

/* Per-operation buffers for n_ops corpus operations (grown, never shrunk). */
static void ops_fit(le_enc_ws *w, const le_encoder *e, int32_t n_ops)
{
    if ((size_t)n_ops <= w->cap_ops) return;
    const size_t n = (size_t)n_ops, F = (size_t)le_feat_dim(&e->cfg.feat), ld = (size_t)(dim_D(&e->cfg) + 2 * e->cfg.heads);
    free(w->op_slot), free(w->used), free(w->Xop), free(w->T), free(w->dXop), free(w->zt), free(w->zs);
    w->op_slot = le_malloc(sizeof(int32_t) * n), w->used = le_malloc(sizeof(int32_t) * n);
    for (size_t o = 0; o < n; o++) w->op_slot[o] = -1;
    w->n_used = 0;
    w->Xop = fl(n * F), w->T = fl(n * ld), w->dXop = fl(n * F);
    w->zt = le_calloc(n * LE_NTIME, sizeof(float)), w->zs = le_calloc(n, 1);
    w->cap_ops = n;
}

/* Slots of the operations present in the batch, in order of first use. */
static void collect_ops(le_enc_ws *w, const le_graphbatch *gb)
{
    for (int32_t u = 0; u < w->n_used; u++) w->op_slot[w->used[u]] = -1; /* the last batch's */
    w->n_used = 0;
    for (int32_t i = 0; i < gb->n_nodes; i++) {
        const int32_t o = gb->op[i];
        if (w->op_slot[o] < 0) w->op_slot[o] = w->n_used, w->used[w->n_used++] = o;
        w->node_slot[i] = w->op_slot[o];
    }
}

/* WhS[i] = T[slot_i] + Σk time[i,k]·WA[e+k] + WA[e+4+status_i]   [N × ld]
 * (the rows of WA that X's time columns and status one-hot would pick). */
LE_SIMD static void proj_rows(int N, int ld, int e, const float *restrict time, const int8_t *status, const int32_t *slot,
                              const float *restrict T, const float *restrict WA, float *restrict WhS)
{
    const float *w0 = WA + (size_t)e * ld, *w1 = w0 + ld, *w2 = w1 + ld, *w3 = w2 + ld;
    for (int i = 0; i < N; i++) {
        const float *t = T + (size_t)slot[i] * ld, *st = WA + (size_t)(e + LE_NTIME + status[i]) * ld;
        const float x0 = time[4 * i], x1 = time[4 * i + 1], x2 = time[4 * i + 2], x3 = time[4 * i + 3];
        float *o = WhS + (size_t)i * ld;
        for (int q = 0; q < ld; q++) o[q] = t[q] + x0 * w0[q] + x1 * w1[q] + x2 * w2[q] + x3 * w3[q] + st[q];
    }
}

/* Backward of proj_rows: S[slot_i] += dWhS[i] (S = T's buffer, zeroed here);
 * dWA[e+k] = Σi time[i,k]·dWhS[i]; dWA[e+4+s] = Σ_{status_i = s} dWhS[i]. */
LE_SIMD static void proj_rows_backward(int N, int ld, int e, int n_used, const float *restrict time, const int8_t *status,
                                       const int32_t *slot, const float *restrict dWhS, float *restrict S,
                                       float *restrict dWA)
{
    memset(S, 0, sizeof(float) * (size_t)n_used * ld);
    memset(dWA + (size_t)e * ld, 0, sizeof(float) * (size_t)(LE_NTIME + LE_NSTATUS) * ld);
    float *w0 = dWA + (size_t)e * ld, *w1 = w0 + ld, *w2 = w1 + ld, *w3 = w2 + ld;
    for (int i = 0; i < N; i++) {
        const float *d = dWhS + (size_t)i * ld;
        float *s = S + (size_t)slot[i] * ld, *st = dWA + (size_t)(e + LE_NTIME + status[i]) * ld;
        const float x0 = time[4 * i], x1 = time[4 * i + 1], x2 = time[4 * i + 2], x3 = time[4 * i + 3];
        for (int q = 0; q < ld; q++) {
            s[q] += d[q], st[q] += d[q];
            w0[q] += x0 * d[q], w1[q] += x1 * d[q], w2[q] += x2 * d[q], w3[q] += x3 * d[q];
        }
    }
}

/* Layer 0's WhS without X [N × F]: Xop = input rows of the batch's operations
 * (time and status columns zero), T = Xop[:, :e]·WA[:e] [ops × ld], then proj_rows.
 * Cost: a few hundred flops per node instead of a K = F sgemm, and no X. */
static void input_proj_forward(const le_encoder *en, const le_opmap *m, const le_enc_view *v, const le_graphbatch *gb,
                               le_enc_ws *w, const float *WA, float *WhS)
{
    const le_enc_cfg *c = &en->cfg;
    const int F = le_feat_dim(&c->feat), e = c->feat.d_op + c->feat.d_tok, ld = dim_D(c) + 2 * c->heads;
    ops_fit(w, en, m->n_ops);
    collect_ops(w, gb);
    le_input_forward(&c->feat, m, v->emb_op, v->emb_tok, w->n_used, w->used, w->zt, w->zs, w->Xop);
    le_sgemm_ld(0, 0, w->n_used, ld, e, 1.0f, w->Xop, F, WA, ld, 0.0f, w->T, ld);
    proj_rows(gb->n_nodes, ld, e, gb->time, gb->status, w->node_slot, w->T, WA, WhS);
}

/* Backward: dWA rows from proj_rows_backward and Xop[:, :e]ᵀ·S; the layer's W and
 * attention gradients by le_gat_unfold; dXop = S·WA[:e]ᵀ into the embeddings. */
static void input_proj_backward(const le_encoder *en, const le_opmap *m, const le_enc_view *v, const le_graphbatch *gb,
                                le_enc_ws *w, const float *dWhS, float *dWA, le_enc_view *g)
{
    const le_enc_cfg *c = &en->cfg;
    const int F = le_feat_dim(&c->feat), e = c->feat.d_op + c->feat.d_tok, ld = dim_D(c) + 2 * c->heads;
    const le_gat_dims d = {F, c->heads, c->hc};
    proj_rows_backward(gb->n_nodes, ld, e, w->n_used, gb->time, gb->status, w->node_slot, dWhS, w->T, dWA);
    le_sgemm_ld(1, 0, e, ld, w->n_used, 1.0f, w->Xop, F, w->T, ld, 0.0f, dWA, ld);
    le_gat_unfold(&d, &v->gat[0], dWA, &g->gat[0]);
    le_sgemm_ld(0, 1, w->n_used, e, ld, 1.0f, w->T, ld, w->c[0].WA, ld, 0.0f, w->dXop, F);
    le_input_backward(&c->feat, m, w->n_used, w->used, w->dXop, g->emb_op, g->emb_tok);
}

static le_gat_dims layer_dims(const le_enc_cfg *c, int l)
{
    le_gat_dims d = {l ? dim_D(c) : le_feat_dim(&c->feat), c->heads, c->hc};
    return d;
}

/* train: keep every layer's cache for backward; otherwise layer l's cache
 * has no A/xhat/rstd/logit, so inference writes only what the next layer reads. */
static void forward(const le_encoder *e, float *params, const le_opmap *m, const le_graphbatch *gb, le_enc_ws *ws, int train)
{
    const le_enc_cfg *c = &e->cfg;
    const int D = dim_D(c), G = gb->n_graphs;
    ws_fit(ws, e, gb);
    le_enc_view v;
    le_enc_view_of(e, params, &v);
    for (int l = 0; l < c->layers; l++) {
        le_gat_dims d = layer_dims(c, l);
        le_gat_cache gc = ws->c[l];
        if (!train) gc.logit = gc.A = gc.xhat = gc.rstd = NULL;
        if (l) {
            le_gat_forward(&d, &v.gat[l], gb, ws->Y[l - 1], &gc, ws->Y[l]);
            continue;
        }
        le_gat_fold(&d, &v.gat[0], gc.WA);
        input_proj_forward(e, m, &v, gb, ws, gc.WA, gc.WhS);
        le_gat_attend(&d, &v.gat[0], gb, &gc, ws->Y[0]);
    }
    le_meanpool_forward(gb, D, ws->Y[c->layers - 1], ws->P);
    le_linear_forward(G, D, D, ws->P, v.W1, v.b1, ws->H1);
    le_tanh_forward((int64_t)G * D, ws->H1, ws->H1);
    le_linear_forward(G, D, c->out_dim, ws->H1, v.W2, v.b2, ws->O);
}

void le_enc_forward(const le_encoder *e, float *params, const le_opmap *m, const le_graphbatch *gb, le_enc_ws *ws)
{
    forward(e, params, m, gb, ws, 1);
}

void le_enc_infer(const le_encoder *e, float *params, const le_opmap *m, const le_graphbatch *gb, le_enc_ws *ws)
{
    forward(e, params, m, gb, ws, 0);
}

void le_enc_backward(const le_encoder *e, float *params, const le_opmap *m, const le_graphbatch *gb, le_enc_ws *ws,
                     const float *dO, float *grads)
{
    const le_enc_cfg *c = &e->cfg;
    const int D = dim_D(c), G = gb->n_graphs;
    le_enc_view v, g;
    le_enc_view_of(e, params, &v);
    le_enc_view_of(e, grads, &g);
    le_linear_backward(G, D, c->out_dim, ws->H1, v.W2, dO, ws->dH1, g.W2, g.b2);
    le_tanh_backward((int64_t)G * D, ws->H1, ws->dH1, ws->dH1);
    le_linear_backward(G, D, D, ws->P, v.W1, ws->dH1, ws->dP, g.W1, g.b1);
    le_meanpool_backward(gb, D, ws->dP, ws->dY);
    for (int l = c->layers - 1; l >= 1; l--) { /* layer l's input gradient is dY of the one below */
        le_gat_dims d = layer_dims(c, l);
        le_gat_backward(&d, &v.gat[l], gb, ws->Y[l - 1], &ws->c[l], ws->dY, &g.gat[l], ws->dYin, ws->scratch);
        float *t = ws->dY;
        ws->dY = ws->dYin, ws->dYin = t;
    }
    le_gat_dims d0 = layer_dims(c, 0);
    float *dWhS = ws->scratch, *dal = dWhS + (size_t)gb->n_nodes * le_gat_ld(&d0);
    float *dWA = dal + (size_t)gb->n_edges * c->heads;
    le_gat_attend_backward(&d0, &v.gat[0], gb, &ws->c[0], ws->dY, &g.gat[0], dWhS, dal);
    input_proj_backward(e, m, &v, gb, ws, dWhS, dWA, &g);
}
