/* Finite-difference gradient checks of every layer of the trace encoder and
 * of the triplet loss. Each check builds J = Σ r·output for a fixed random r,
 * compares the analytic gradient of J with central differences (float
 * forward, double accumulation of J) on every parameter of small tensors and
 * a sample of large ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "encoder.h"
#include "gat.h"
#include "graphbatch.h"
#include "rng.h"
#include "spanfeat.h"
#include "triplet.h"

static le_rng rng;
static float urand(void) { return (float)(2 * le_rng_uniform(&rng) - 1); }
static void fill(float *x, size_t n, float s)
{
    for (size_t i = 0; i < n; i++) x[i] = s * urand();
}
static double dotd(const float *a, const float *b, size_t n)
{
    double s = 0;
    for (size_t i = 0; i < n; i++) s += (double)a[i] * b[i];
    return s;
}

/* A batch of three small traces (1, 4 and 7 spans) with varied fan-out. */
static void small_batch(le_graphbatch *gb, int n_ops)
{
    static const int32_t p1[] = {-1}, p4[] = {-1, 0, 1, 0}, p7[] = {-1, 0, 0, 0, 3, 3, 1};
    const int32_t *ps[3] = {p1, p4, p7};
    const int ns[3] = {1, 4, 7};
    le_gb_init(gb);
    for (int t = 0; t < 3; t++) {
        int32_t op[8];
        float time[8 * LE_NTIME];
        int8_t st[8];
        for (int i = 0; i < ns[t]; i++)
            op[i] = (int32_t)le_rng_below(&rng, (uint32_t)n_ops), st[i] = (int8_t)le_rng_below(&rng, 3);
        fill(time, (size_t)ns[t] * LE_NTIME, 1.5f);
        le_gb_add_trace(gb, ns[t], ps[t], op, time, st);
    }
}

typedef double (*objective)(void *ctx);

/* Compare analytic grad[i] with the central difference of f over x[i]. */
static void check_grad(const char *what, objective f, void *ctx, float *x, const float *grad, size_t n, size_t max_checks)
{
    const float eps = 2e-3f;
    size_t stride = n > max_checks ? n / max_checks : 1;
    int bad = 0;
    double worst = 0;
    for (size_t i = 0; i < n; i += stride) {
        float keep = x[i];
        x[i] = keep + eps;
        double fp = f(ctx);
        x[i] = keep - eps;
        double fm = f(ctx);
        x[i] = keep;
        double num = (fp - fm) / (2.0 * eps), ana = grad[i];
        double err = fabs(num - ana) / (fabs(num) + fabs(ana) + 1e-2);
        if (err > worst) worst = err;
        if (err > 2e-2) {
            if (bad++ < 5) printf("  %s[%zu]: numeric %.6g analytic %.6g\n", what, i, num, ana);
        }
    }
    printf("  %-14s n=%-6zu worst relative error %.2e\n", what, n, worst);
    assert_int_equal(bad, 0);
}

/* ---- linear ---- */
typedef struct lin_ctx {
    int n, in, out;
    float *X, *W, *b, *Y, *r;
} lin_ctx;
static double lin_obj(void *p)
{
    lin_ctx *c = p;
    le_linear_forward(c->n, c->in, c->out, c->X, c->W, c->b, c->Y);
    return dotd(c->Y, c->r, (size_t)c->n * c->out);
}
static void test_linear(void **state)
{
    lin_ctx c = {.n = 5, .in = 7, .out = 4};
    c.X = malloc(sizeof(float) * 35), c.W = malloc(sizeof(float) * 28), c.b = malloc(sizeof(float) * 4);
    c.Y = malloc(sizeof(float) * 20), c.r = malloc(sizeof(float) * 20);
    fill(c.X, 35, 1), fill(c.W, 28, 1), fill(c.b, 4, 1), fill(c.r, 20, 1);
    float dX[35], dW[28] = {0}, db[4] = {0};
    lin_obj(&c);
    le_linear_backward(c.n, c.in, c.out, c.X, c.W, c.r, dX, dW, db);
    check_grad("linear.W", lin_obj, &c, c.W, dW, 28, 100);
    check_grad("linear.b", lin_obj, &c, c.b, db, 4, 100);
    check_grad("linear.X", lin_obj, &c, c.X, dX, 35, 100);
    free(c.X), free(c.W), free(c.b), free(c.Y), free(c.r);
}

/* ---- tanh and mean pool ---- */
typedef struct pool_ctx {
    le_graphbatch gb;
    int D;
    float *Y, *T, *P, *r;
} pool_ctx;
static double pool_obj(void *p)
{
    pool_ctx *c = p;
    le_tanh_forward((int64_t)c->gb.n_nodes * c->D, c->Y, c->T);
    le_meanpool_forward(&c->gb, c->D, c->T, c->P);
    return dotd(c->P, c->r, (size_t)c->gb.n_graphs * c->D);
}
static void test_tanh_meanpool(void **state)
{
    pool_ctx c = {.D = 6};
    small_batch(&c.gb, 5);
    size_t N = (size_t)c.gb.n_nodes, G = (size_t)c.gb.n_graphs;
    c.Y = malloc(sizeof(float) * N * 6), c.T = malloc(sizeof(float) * N * 6);
    c.P = malloc(sizeof(float) * G * 6), c.r = malloc(sizeof(float) * G * 6);
    fill(c.Y, N * 6, 2), fill(c.r, G * 6, 1);
    pool_obj(&c);
    float *dY = malloc(sizeof(float) * N * 6);
    le_meanpool_backward(&c.gb, 6, c.r, dY);
    le_tanh_backward((int64_t)N * 6, c.T, dY, dY);
    check_grad("tanh+pool.Y", pool_obj, &c, c.Y, dY, N * 6, 200);
    free(c.Y), free(c.T), free(c.P), free(c.r), free(dY);
    le_gb_free(&c.gb);
}

/* ---- one GAT layer (attention, softmax, aggregation, tanh, LayerNorm) ---- */
typedef struct gat_ctx {
    le_graphbatch gb;
    le_gat_dims d;
    le_gat_params w;
    le_gat_cache c;
    float *X, *Y, *r, *buf;
} gat_ctx;
static double gat_obj(void *p)
{
    gat_ctx *c = p;
    le_gat_forward(&c->d, &c->w, &c->gb, c->X, &c->c, c->Y);
    return dotd(c->Y, c->r, (size_t)c->gb.n_nodes * c->d.heads * c->d.hc);
}
static void carve(float **cur, float **out, size_t n) { *out = *cur, *cur += n; }
/* C = 4 takes the aggregation's generic path, C = 8 its 8-channel register path. */
static void check_gat_layer(int heads, int hc)
{
    gat_ctx c = {.d = {5, heads, hc}};
    small_batch(&c.gb, 5);
    const size_t N = (size_t)c.gb.n_nodes, E = (size_t)c.gb.n_edges, H = (size_t)heads, D = H * (size_t)hc, F = 5;
    size_t nw = F * D + 2 * D + 3 * D;
    float *wbuf = calloc(2 * nw, sizeof(float)), *cur = wbuf;
    le_gat_params g;
    carve(&cur, &c.w.W, F * D), carve(&cur, &c.w.att_src, D), carve(&cur, &c.w.att_dst, D);
    carve(&cur, &c.w.bias, D), carve(&cur, &c.w.ln_g, D), carve(&cur, &c.w.ln_b, D);
    carve(&cur, &g.W, F * D), carve(&cur, &g.att_src, D), carve(&cur, &g.att_dst, D);
    carve(&cur, &g.bias, D), carve(&cur, &g.ln_g, D), carve(&cur, &g.ln_b, D);
    fill(wbuf, nw, 0.8f);
    for (size_t q = 0; q < D; q++) c.w.ln_g[q] += 1.0f;
    c.X = malloc(sizeof(float) * N * F), c.Y = malloc(sizeof(float) * N * D), c.r = malloc(sizeof(float) * N * D);
    fill(c.X, N * F, 1), fill(c.r, N * D, 1);
    const size_t ld = (size_t)le_gat_ld(&c.d);
    c.buf = malloc(sizeof(float) * ((F + N) * ld + 2 * E * H + 2 * N * D + N));
    cur = c.buf;
    carve(&cur, &c.c.WA, F * ld), carve(&cur, &c.c.WhS, N * ld);
    carve(&cur, &c.c.logit, E * H), carve(&cur, &c.c.alpha, E * H), carve(&cur, &c.c.A, N * D);
    carve(&cur, &c.c.xhat, N * D), carve(&cur, &c.c.rstd, N);
    float *scratch = malloc(sizeof(float) * le_gat_scratch_floats(&c.d, N, E)), *dY = malloc(sizeof(float) * N * D);
    float *dX = malloc(sizeof(float) * N * F);
    gat_obj(&c);
    memcpy(dY, c.r, sizeof(float) * N * D);
    le_gat_backward(&c.d, &c.w, &c.gb, c.X, &c.c, dY, &g, dX, scratch);
    check_grad("gat.W", gat_obj, &c, c.w.W, g.W, F * D, 60);
    check_grad("gat.att_src", gat_obj, &c, c.w.att_src, g.att_src, D, 100);
    check_grad("gat.att_dst", gat_obj, &c, c.w.att_dst, g.att_dst, D, 100);
    check_grad("gat.bias", gat_obj, &c, c.w.bias, g.bias, D, 100);
    check_grad("gat.ln_g", gat_obj, &c, c.w.ln_g, g.ln_g, D, 100);
    check_grad("gat.ln_b", gat_obj, &c, c.w.ln_b, g.ln_b, D, 100);
    check_grad("gat.X", gat_obj, &c, c.X, dX, N * F, 60);
    free(wbuf), free(c.X), free(c.Y), free(c.r), free(c.buf), free(scratch), free(dY), free(dX);
    le_gb_free(&c.gb);
}

static void test_gat_layer(void **state)
{
    check_gat_layer(3, 4);
    check_gat_layer(2, 8);
}

/* ---- triplet loss ---- */
typedef struct trip_ctx {
    int d, T;
    float *O;
    int32_t trip[9];
} trip_ctx;
static double trip_obj(void *p)
{
    trip_ctx *c = p;
    return le_triplet_loss(c->d, c->O, c->T, c->trip, 1.0f, 0.5f, NULL, NULL);
}
static void test_triplet_loss(void **state)
{
    trip_ctx c = {.d = 8, .T = 3, .trip = {0, 1, 2, 3, 4, 5, 2, 0, 4}};
    c.O = malloc(sizeof(float) * 6 * 8);
    fill(c.O, 48, 1);
    float dO[48] = {0};
    int ok;
    double l = le_triplet_loss(c.d, c.O, c.T, c.trip, 1.0f, 0.5f, dO, &ok);
    assert_true(l > 0);
    check_grad("triplet.O", trip_obj, &c, c.O, dO, 48, 100);
    /* identical anchor and positive, opposite negative: d_ap = 0, d_an = 2, no loss */
    float O2[12] = {1, 2, 3, 4, 1, 2, 3, 4, -1, -2, -3, -4};
    int32_t t2[3] = {0, 1, 2};
    assert_true(le_triplet_loss(4, O2, 1, t2, 1.0f, 1.0f, NULL, &ok) < 1e-6);
    assert_int_equal(ok, 1);
    free(c.O);
}

/* ---- the whole encoder, input embeddings included, under the triplet loss ---- */
typedef struct enc_ctx {
    le_encoder e;
    le_opmap m;
    le_graphbatch gb;
    le_enc_ws ws;
    float *p;
    int32_t trip[6];
} enc_ctx;
static double enc_obj(void *p)
{
    enc_ctx *c = p;
    le_enc_forward(&c->e, c->p, &c->m, &c->gb, &c->ws);
    return le_triplet_loss(c->e.cfg.out_dim, c->ws.O, 2, c->trip, 1.0f, 1.0f, NULL, NULL);
}
static void test_encoder(void **state)
{
    enc_ctx c = {.trip = {0, 1, 2, 2, 1, 0}};
    le_enc_cfg cfg = {.feat = {.n_vocab = 3, .d_op = 4, .d_tok = 3, .n_buckets = 11, .salt = 7},
                      .layers = 3,
                      .heads = 3,
                      .hc = 4,
                      .out_dim = 8};
    assert_int_equal(le_enc_layout(&c.e, &cfg), 0);
    const char *svc[] = {"cart", "front-end"};
    const char *ops[] = {"GetCart", "/api/v1/cart", "HTTP GET /home", "checkout", "Unseen op"};
    const int32_t osvc[] = {0, 1, 1, 0, 1}, vocab[] = {0, 1, 2, 3, 3};
    le_opmap_build(&c.m, &cfg.feat, 5, svc, ops, osvc, vocab);
    small_batch(&c.gb, 5);
    le_enc_ws_init(&c.ws);
    c.p = malloc(sizeof(float) * (size_t)c.e.n_params);
    float *g = calloc((size_t)c.e.n_params, sizeof(float));
    le_enc_init_params(&c.e, c.p, 42);
    for (int64_t i = 0; i < c.e.n_params; i++) c.p[i] += 0.2f * urand(); /* no zero biases, no unit gains */
    /* inference (no caches) gives the training forward's output bit for bit */
    const size_t nO = (size_t)c.gb.n_graphs * cfg.out_dim;
    le_enc_infer(&c.e, c.p, &c.m, &c.gb, &c.ws);
    float *Oi = malloc(sizeof(float) * nO);
    memcpy(Oi, c.ws.O, sizeof(float) * nO);
    enc_obj(&c);
    assert_memory_equal(Oi, c.ws.O, sizeof(float) * nO);
    free(Oi);
    float *dO = calloc(nO, sizeof(float));
    double l = le_triplet_loss(cfg.out_dim, c.ws.O, 2, c.trip, 1.0f, 1.0f, dO, NULL);
    assert_true(l > 0);
    le_enc_backward(&c.e, c.p, &c.m, &c.gb, &c.ws, dO, g);
    for (int k = 0; k < c.e.n_tensors; k++) {
        const le_tensor *t = &c.e.t[k];
        check_grad(t->name, enc_obj, &c, c.p + t->offset, g + t->offset, (size_t)(t->rows * t->cols), 40);
    }
    free(c.p), free(g), free(dO);
    le_enc_ws_free(&c.ws), le_gb_free(&c.gb), le_opmap_free(&c.m);
}

/* ---- layer 0 forms no X: its per-operation projection must equal X·[W | W·A] ----
 * Guards the coupling with spanfeat's input layout (embedding columns, then
 * 4 time columns, then the status one-hot): a per-node feature added there
 * and not here makes this fail. */
static void test_input_projection(void **state)
{
    le_enc_cfg cfg = {.feat = {.n_vocab = 3, .d_op = 4, .d_tok = 3, .n_buckets = 11, .salt = 7},
                      .layers = 2,
                      .heads = 2,
                      .hc = 8,
                      .out_dim = 8};
    le_encoder e;
    assert_int_equal(le_enc_layout(&e, &cfg), 0);
    const char *svc[] = {"cart", "front-end"};
    const char *ops[] = {"GetCart", "/api/v1/cart", "HTTP GET /home", "checkout", "Unseen op"};
    const int32_t osvc[] = {0, 1, 1, 0, 1}, vocab[] = {0, 1, 2, 3, 3};
    le_opmap m;
    le_opmap_build(&m, &cfg.feat, 5, svc, ops, osvc, vocab);
    le_graphbatch gb;
    small_batch(&gb, 5);
    float *p = malloc(sizeof(float) * (size_t)e.n_params);
    le_enc_init_params(&e, p, 3);
    for (int64_t i = 0; i < e.n_params; i++) p[i] += 0.2f * urand();
    le_enc_ws ws;
    le_enc_ws_init(&ws);
    le_enc_forward(&e, p, &m, &gb, &ws);
    le_enc_view v;
    le_enc_view_of(&e, p, &v);
    const int F = le_feat_dim(&cfg.feat), N = gb.n_nodes;
    le_gat_dims d = {F, cfg.heads, cfg.hc};
    const int ld = le_gat_ld(&d);
    float *X = malloc(sizeof(float) * (size_t)N * F), *WA = malloc(sizeof(float) * (size_t)F * ld);
    float *ref = malloc(sizeof(float) * (size_t)N * ld);
    le_input_forward(&cfg.feat, &m, v.emb_op, v.emb_tok, N, gb.op, gb.time, gb.status, X);
    le_gat_fold(&d, &v.gat[0], WA);
    le_sgemm_ld(0, 0, N, ld, F, 1.0f, X, F, WA, ld, 0.0f, ref, ld);
    double worst = 0, scale = 0;
    for (size_t i = 0; i < (size_t)N * ld; i++) {
        worst = fmax(worst, fabs((double)ws.c[0].WhS[i] - ref[i]));
        scale = fmax(scale, fabs((double)ref[i]));
    }
    printf("  layer-0 projection: max |table - X·WA| = %.2e (max |X·WA| = %.2f)\n", worst, scale);
    assert_true(scale > 0.1 && worst <= 1e-5 * scale);
    free(p), free(X), free(WA), free(ref);
    le_enc_ws_free(&ws), le_gb_free(&gb), le_opmap_free(&m);
}

/* ---- Adam: the first step moves every parameter by lr against its gradient's sign ---- */
static void test_adam(void **state)
{
    le_adam a;
    le_adam_init(&a, 3, 0.01f);
    float p[3] = {1, 1, 1}, g[3] = {0.5f, -2.0f, 1e-3f};
    le_adam_step(&a, p, g);
    assert_float_equal(p[0], 0.99f, 1e-5);
    assert_float_equal(p[1], 1.01f, 1e-5);
    assert_float_equal(p[2], 0.99f, 1e-4);
    le_adam_free(&a);
}

int main(void)
{
    le_rng_init(&rng, 2024, 0, 1);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_linear),           cmocka_unit_test(test_tanh_meanpool), cmocka_unit_test(test_gat_layer),
        cmocka_unit_test(test_triplet_loss),     cmocka_unit_test(test_encoder),       cmocka_unit_test(test_adam),
        cmocka_unit_test(test_input_projection),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
