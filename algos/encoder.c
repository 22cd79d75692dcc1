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
    free(w->X), free(w->dX), free(w->dY), free(w->dYin), free(w->scratch);
    for (int l = 0; l < LE_MAX_LAYERS; l++) {
        le_gat_cache *c = &w->c[l];
        free(w->Y[l]), free(c->WA), free(c->WhS), free(c->logit), free(c->alpha), free(c->A), free(c->xhat),
            free(c->rstd);
    }
    free(w->P), free(w->H1), free(w->O), free(w->dP), free(w->dH1);
}

void le_enc_ws_free(le_enc_ws *w)
{
    free_bufs(w);
    memset(w, 0, sizeof *w);
}

static float *fl(size_t n) { return le_malloc(sizeof(float) * (n ? n : 1)); }

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
    w->X = fl(N * F), w->dX = fl(N * F), w->dY = fl(N * wide), w->dYin = fl(N * wide);
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

static le_gat_dims layer_dims(const le_enc_cfg *c, int l)
{
    le_gat_dims d = {l ? dim_D(c) : le_feat_dim(&c->feat), c->heads, c->hc};
    return d;
}

/* train: keep every layer's cache for backward; otherwise layer l's cache
 * has no A/xhat/rstd/logit, so inference writes only what the next layer reads. */
static void forward(const le_encoder *e, float *params, const le_opmap *m, const le_graphbatch *gb, le_enc_ws *ws,
                    int train)
{
    const le_enc_cfg *c = &e->cfg;
    const int D = dim_D(c), G = gb->n_graphs;
    ws_fit(ws, e, gb);
    le_enc_view v;
    le_enc_view_of(e, params, &v);
    le_input_forward(&c->feat, m, v.emb_op, v.emb_tok, gb->n_nodes, gb->op, gb->time, gb->status, ws->X);
    for (int l = 0; l < c->layers; l++) {
        le_gat_dims d = layer_dims(c, l);
        le_gat_cache gc = ws->c[l];
        if (!train) gc.logit = gc.A = gc.xhat = gc.rstd = NULL;
        le_gat_forward(&d, &v.gat[l], gb, l ? ws->Y[l - 1] : ws->X, &gc, ws->Y[l]);
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
    for (int l = c->layers - 1; l >= 0; l--) {
        le_gat_dims d = layer_dims(c, l);
        float *dIn = l ? ws->dYin : ws->dX;
        le_gat_backward(&d, &v.gat[l], gb, l ? ws->Y[l - 1] : ws->X, &ws->c[l], ws->dY, &g.gat[l], dIn, ws->scratch);
        if (l) { /* the input gradient of this layer is dY of the one below */
            float *t = ws->dY;
            ws->dY = ws->dYin, ws->dYin = t;
        }
    }
    le_input_backward(&c->feat, m, gb->n_nodes, gb->op, ws->dX, g.emb_op, g.emb_tok);
}
