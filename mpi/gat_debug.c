#include "gat_debug.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "encoder.h"
#include "gat_data.h"
#include "h5util.h"
#include "rng.h"
#include "triplet.h"

#define PUT(f, name, type, d0, d1, buf) LE_CHECK(le_h5_put_small(f, name, type, (hsize_t)(d0), (hsize_t)(d1), buf, path))

/* The batch as the reference reads it: CSR graph, node inputs, op map, triplets. */
static int dump_batch(hid_t f, const char *path, const le_graphbatch *gb, const le_opmap *m, const int32_t *trip, int T)
{
    LE_H5(H5Gclose(H5Gcreate2(f, "batch", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)), "%s: /batch", path);
    PUT(f, "batch/graph_off", H5T_NATIVE_INT32, gb->n_graphs + 1, 0, gb->graph_off);
    PUT(f, "batch/node_graph", H5T_NATIVE_INT32, gb->n_nodes, 0, gb->node_graph);
    PUT(f, "batch/op", H5T_NATIVE_INT32, gb->n_nodes, 0, gb->op);
    PUT(f, "batch/time", H5T_NATIVE_FLOAT, gb->n_nodes, LE_NTIME, gb->time);
    PUT(f, "batch/status", H5T_NATIVE_INT8, gb->n_nodes, 0, gb->status);
    PUT(f, "batch/nbr_off", H5T_NATIVE_INT32, gb->n_nodes + 1, 0, gb->nbr_off);
    PUT(f, "batch/nbr", H5T_NATIVE_INT32, gb->n_edges, 0, gb->nbr);
    PUT(f, "batch/op_vocab", H5T_NATIVE_INT32, m->n_ops, 0, m->vocab);
    PUT(f, "batch/op_tok_off", H5T_NATIVE_INT32, m->n_ops + 1, 0, m->tok_off);
    PUT(f, "batch/op_tok", H5T_NATIVE_INT32, m->tok_off[m->n_ops], 0, m->tok);
    PUT(f, "batch/trip", H5T_NATIVE_INT32, T, 3, trip);
    return 0;
}

/* Model file (weights, tensors, config) + the batch + whatever outputs. */
static int write_dump(const char *path, const le_model *md, const le_graphbatch *gb, const le_opmap *m,
                      const int32_t *trip, int T, hid_t *out)
{
    LE_CHECK(le_model_write(path, md));
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return le_fail(LE_ERR_IO, "%s: cannot reopen", path);
    *out = f;
    return dump_batch(f, path, gb, m, trip, T);
}

static void random_trace(le_rng *r, int n, int n_ops, int32_t *parent, int32_t *op, float *time, int8_t *st)
{
    for (int i = 0; i < n; i++) {
        parent[i] = i ? (int32_t)le_rng_below(r, (uint32_t)i) : -1; /* any earlier node: a valid preorder-ish tree */
        op[i] = (int32_t)le_rng_below(r, (uint32_t)n_ops);
        st[i] = (int8_t)le_rng_below(r, LE_NSTATUS);
        for (int k = 0; k < LE_NTIME; k++) time[i * LE_NTIME + k] = (float)le_rng_normal(r);
    }
}

static int dump_outputs(hid_t f, const char *path, const le_encoder *e, const le_enc_ws *ws, const le_graphbatch *gb,
                        double loss, const float *grad)
{
    const int D = e->cfg.heads * e->cfg.hc;
    LE_H5(H5Gclose(H5Gcreate2(f, "out", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)), "%s: /out", path);
    PUT(f, "out/O", H5T_NATIVE_FLOAT, gb->n_graphs, e->cfg.out_dim, ws->O);
    for (int l = 0; l < e->cfg.layers; l++) {
        char name[32];
        snprintf(name, sizeof name, "out/Y%d", l);
        PUT(f, name, H5T_NATIVE_FLOAT, gb->n_nodes, D, ws->Y[l]);
    }
    PUT(f, "out/loss", H5T_NATIVE_DOUBLE, 1, 0, &loss);
    PUT(f, "out/grad", H5T_NATIVE_FLOAT, e->n_params, 0, grad);
    return 0;
}

/* Six corpus operations of two services; the last maps to the unknown row. */
static const char *const dump_svc[] = {"cartservice", "frontend"};
static const char *const dump_ops[] = {"GetCart", "EmptyCart", "HTTP GET /cart", "HTTP POST /checkout", "/product/{id}", "neverSeenOp"};
static const int32_t dump_op_svc[] = {0, 0, 1, 1, 1, 0}, dump_vocab[] = {0, 1, 2, 3, 4, 5};
static const char *const dump_vocab_svc[] = {"cartservice", "cartservice", "frontend", "frontend", "frontend"};

int le_gat_dump_reference(const char *path, uint64_t seed)
{
    le_enc_cfg cfg = {.feat = {.n_vocab = 5, .d_op = 8, .d_tok = 8, .n_buckets = 64, .salt = 99}, .layers = 3, .heads = 3, .hc = 8, .out_dim = 64};
    le_model md = {.margin = 1.0, .lr = 1e-3};
    LE_CHECK(le_enc_layout(&md.enc, &cfg));
    le_opmap m;
    le_opmap_build(&m, &cfg.feat, 6, dump_svc, dump_ops, dump_op_svc, dump_vocab);
    le_rng r;
    le_rng_init(&r, seed, 0, 0x44554d50u /* "DUMP" */);
    le_graphbatch gb;
    le_gb_init(&gb);
    for (int g = 0; g < 12; g++) {
        int32_t parent[40], op[40];
        float time[40 * LE_NTIME];
        int8_t st[40];
        int n = g == 0 ? 1 : 2 + (int)le_rng_below(&r, 38);
        random_trace(&r, n, 6, parent, op, time, st);
        le_gb_add_trace(&gb, n, parent, op, time, st);
    }
    int32_t trip[12] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11};
    md.params = le_malloc(sizeof(float) * (size_t)md.enc.n_params);
    float *grad = le_calloc((size_t)md.enc.n_params, sizeof(float)), *dO = le_calloc(12 * 64, sizeof(float));
    le_enc_init_params(&md.enc, md.params, seed);
    for (int64_t i = 0; i < md.enc.n_params; i++) md.params[i] += 0.1f * (float)le_rng_normal(&r); /* no zero biases */
    md.mean = le_calloc(LE_NTIME * 6, sizeof(float)), md.std = le_calloc(LE_NTIME * 6, sizeof(float));
    md.vocab_services = (char **)dump_vocab_svc, md.vocab_operations = (char **)dump_ops; /* names of vocab rows 0..4 */
    le_enc_ws ws;
    le_enc_ws_init(&ws);
    le_enc_forward(&md.enc, md.params, &m, &gb, &ws);
    double loss = le_triplet_loss(64, ws.O, 4, trip, 1.0f, 0.25f, dO, NULL);
    le_enc_backward(&md.enc, md.params, &m, &gb, &ws, dO, grad);
    hid_t f = -1;
    int rc = write_dump(path, &md, &gb, &m, trip, 4, &f);
    if (!rc) rc = dump_outputs(f, path, &md.enc, &ws, &gb, loss, grad);
    if (f >= 0) H5Fclose(f);
    md.vocab_services = md.vocab_operations = NULL;
    free(md.params), free(md.mean), free(md.std), free(grad), free(dO);
    le_enc_ws_free(&ws), le_gb_free(&gb), le_opmap_free(&m);
    return rc;
}

/* ---- benchmark ---- */

typedef struct bench_in {
    le_corpus_block blk;
    le_blockfeat feat;
    le_opmap map;
    le_graphbatch gb;
    le_enc_ws ws;
} bench_in;

static void add_range(le_graphbatch *gb, bench_in *b, int64_t lo, int64_t hi)
{
    le_gb_reset(gb);
    for (int64_t t = lo; t < hi; t++) le_gb_add_block_trace(gb, &b->blk, &b->feat, t);
}

/* Embed all n traces in batches; repeat until 2 s have passed. */
static double bench_embed(const le_model *m, bench_in *b, int64_t n, int64_t batch, double *gflops)
{
    int reps = 0;
    le_dense_flops = le_dense_seconds = 0, le_dense_timing = 1;
    double t0 = le_now();
    do {
        for (int64_t lo = 0; lo < n; lo += batch) {
            add_range(&b->gb, b, lo, lo + batch < n ? lo + batch : n);
            le_enc_infer(&m->enc, m->params, &b->map, &b->gb, &b->ws);
        }
        reps++;
    } while (le_now() - t0 < 2.0);
    double secs = le_now() - t0;
    le_dense_timing = 0;
    *gflops = le_dense_flops / le_dense_seconds / 1e9;
    return (double)n * reps / secs;
}

/* Train steps on the first 3·T traces as T triplets: forward, loss, backward, Adam. */
static double bench_train(const le_model *m, bench_in *b, int T, const int32_t *trip)
{
    const int64_t P = m->enc.n_params;
    float *p = le_malloc(sizeof(float) * (size_t)P), *g = le_malloc(sizeof(float) * (size_t)P);
    float *dO = le_malloc(sizeof(float) * (size_t)(3 * T * m->enc.cfg.out_dim));
    memcpy(p, m->params, sizeof(float) * (size_t)P);
    le_adam a;
    le_adam_init(&a, P, 1e-4f); /* a small step keeps the weights near the dumped ones */
    add_range(&b->gb, b, 0, 3 * T);
    int steps = 0;
    double t0 = le_now();
    do {
        le_enc_forward(&m->enc, p, &b->map, &b->gb, &b->ws);
        memset(dO, 0, sizeof(float) * (size_t)(3 * T * m->enc.cfg.out_dim));
        memset(g, 0, sizeof(float) * (size_t)P);
        le_triplet_loss(m->enc.cfg.out_dim, b->ws.O, T, trip, (float)m->margin, 1.0f / (float)T, dO, NULL);
        le_enc_backward(&m->enc, p, &b->map, &b->gb, &b->ws, dO, g);
        le_adam_step(&a, p, g);
        steps++;
    } while (le_now() - t0 < 2.0);
    double ms = (le_now() - t0) / steps * 1e3;
    le_adam_free(&a);
    free(p), free(g), free(dO);
    return ms;
}

/* OpenBLAS alone on the forward's shapes for one batch: the ceiling for our
 * dense layers. Layer 0 multiplies only its per-operation table (ops × e · e × ld,
 * e = d_op + d_tok); layers 1.. project N × D · D × ld (ld = D + 2H: Wh and the
 * attention scores); then the MLP. */
static double bench_sgemm(const le_model *m, int64_t nodes, int64_t graphs, int64_t ops)
{
    const le_enc_cfg *c = &m->enc.cfg;
    const int D = c->heads * c->hc, ld = D + 2 * c->heads, e = c->feat.d_op + c->feat.d_tok;
    int shapes[LE_MAX_LAYERS + 3][3], n = 0;
    shapes[n][0] = (int)ops, shapes[n][1] = ld, shapes[n++][2] = e;
    for (int l = 1; l < c->layers; l++) shapes[n][0] = (int)nodes, shapes[n][1] = ld, shapes[n++][2] = D;
    shapes[n][0] = (int)graphs, shapes[n][1] = D, shapes[n++][2] = D;
    shapes[n][0] = (int)graphs, shapes[n][1] = c->out_dim, shapes[n++][2] = D;
    const size_t big = (size_t)nodes * (size_t)ld;
    float *A = le_malloc(sizeof(float) * big), *B = le_malloc(sizeof(float) * (size_t)D * ld), *C = le_malloc(sizeof(float) * big);
    for (size_t i = 0; i < big; i++) A[i] = (float)(i % 7) * 0.1f;
    for (int i = 0; i < D * ld; i++) B[i] = (float)(i % 5) * 0.1f;
    le_dense_flops = le_dense_seconds = 0, le_dense_timing = 1;
    double t0 = le_now();
    while (le_now() - t0 < 1.0)
        for (int s = 0; s < n; s++) le_sgemm(0, 0, shapes[s][0], shapes[s][1], shapes[s][2], 1.0f, A, B, 0.0f, C);
    le_dense_timing = 0;
    free(A), free(B), free(C);
    return le_dense_flops / le_dense_seconds / 1e9;
}

static int bench_body(le_corpus *c, const le_model *m, bench_in *b, int64_t n, int64_t batch, const char *path)
{
    LE_CHECK(le_corpus_read_block(c, 0, n, &b->blk));
    int32_t *vocab_of = le_malloc(sizeof(int32_t) * ((size_t)c->meta.n_operations + 1));
    le_model_vocab_map(m, &c->meta, vocab_of);
    le_opmap_build(&b->map, &m->enc.cfg.feat, c->meta.n_operations, (const char *const *)c->meta.services,
                   (const char *const *)c->meta.operations, c->meta.operation_service, vocab_of);
    free(vocab_of);
    le_blockfeat_compute(&b->feat, &b->blk);
    le_blockfeat_normalise(&b->feat, &b->blk, &b->map, m->mean, m->std);
    double dense, rate = bench_embed(m, b, n, batch, &dense);
    enum { T = 64 };
    int32_t trip[3 * T];
    for (int i = 0; i < 3 * T; i++) trip[i] = i;
    double step_ms = bench_train(m, b, T, trip);
    add_range(&b->gb, b, 0, batch < n ? batch : n);
    le_enc_infer(&m->enc, m->params, &b->map, &b->gb, &b->ws); /* for the batch's operation count */
    double sgemm = bench_sgemm(m, b->gb.n_nodes, b->gb.n_graphs, b->ws.n_used);
    printf("bench_traces: %lld\nbench_batch: %lld\nspans_per_trace: %.1f\n", (long long)n, (long long)batch,
           (double)b->blk.n_spans / (double)n);
    printf("embed_traces_per_s: %.0f\ntrain_step_ms: %.3f\ntrain_triplets: %d\n", rate, step_ms, T);
    printf("dense_gflops: %.2f\nsgemm_same_shape_gflops: %.2f\ndense_vs_sgemm: %.3f\n", dense, sgemm, dense / sgemm);
    fflush(stdout);
    add_range(&b->gb, b, 0, n);
    hid_t f = -1;
    int rc = write_dump(path, m, &b->gb, &b->map, trip, T, &f);
    if (f >= 0) H5Fclose(f);
    return rc;
}

int le_gat_bench(le_corpus *c, const le_model *m, int64_t n, int64_t batch, const char *path)
{
    if (n > c->meta.n_traces) n = c->meta.n_traces;
    if (n < 3 * 64) return le_fail(LE_ERR_USAGE, "the benchmark needs at least 192 traces");
    bench_in b = {0};
    le_gb_init(&b.gb);
    le_enc_ws_init(&b.ws);
    int rc = bench_body(c, m, &b, n, batch, path);
    le_block_free(&b.blk), le_blockfeat_free(&b.feat), le_opmap_free(&b.map), le_gb_free(&b.gb), le_enc_ws_free(&b.ws);
    return rc;
}
