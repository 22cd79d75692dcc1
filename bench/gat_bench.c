/* gat_bench CORPUS.h5 MODEL.h5 -o DUMP.h5 [--traces N] [--batch N]: the GAT
 * encoder on real traces, one process (bench/gat.sh runs it against
 * PyTorch). Prints key: value lines — our embed rate, a training step's
 * time, the dense layers' GFLOP/s against OpenBLAS sgemm on the same
 * shapes — and writes the featurised traces with the weights to DUMP.h5
 * (tests/torch/gat_dump.h) for bench/gat_torch.py. It was
 * `labelease embed --bench`, a benchmark inside a product command. */
#include <getopt.h>
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "adam.h"
#include "comm.h"
#include "corpus.h"
#include "encoder.h"
#include "gat_data.h"
#include "gat_dump.h"
#include "triplet.h"

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
    float *A = le_malloc(sizeof(float) * big), *B = le_malloc(sizeof(float) * (size_t)D * ld),
          *C = le_malloc(sizeof(float) * big);
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
    int rc = gat_dump_write(path, m, &b->gb, &b->map, trip, T, &f);
    if (f >= 0) H5Fclose(f);
    return rc;
}

static int bench(le_corpus *c, const le_model *m, int64_t n, int64_t batch, const char *path)
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

static const char usage[] =
    "usage: gat_bench CORPUS.h5 MODEL.h5 -o DUMP.h5 [--traces N] [--batch N]\n"
    "  one process: times embed (batches of --batch, default 256) and a training step of\n"
    "  64 triplets on the first --traces traces (default 4096), and writes them with the\n"
    "  weights to DUMP.h5 for bench/gat_torch.py (bench/gat.sh runs both)\n";

static int parse(int argc, char **argv, const char **out, int64_t *traces, int64_t *batch)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"traces", required_argument, 0, 'n'},
                                         {"batch", required_argument, 0, 'b'},
                                         {0}};
    int c;
    while ((c = getopt_long(argc, argv, "o:", opts, NULL)) != -1) {
        char *end = NULL;
        long long v = c == 'n' || c == 'b' ? strtoll(optarg, &end, 10) : 0;
        if (end && (end == optarg || *end || v < 1))
            return fprintf(stderr, "gat_bench: %s is not a positive count\n%s", optarg, usage), 2;
        if (c == 'o')
            *out = optarg;
        else if (c == 'n')
            *traces = v;
        else if (c == 'b')
            *batch = v;
        else
            return fprintf(stderr, "%s", usage), 2;
    }
    if (optind + 2 != argc || !*out) return fprintf(stderr, "%s", usage), 2;
    return 0;
}

int main(int argc, char **argv)
{
    const char *out = NULL;
    int64_t traces = 4096, batch = 256;
    int rc = parse(argc, argv, &out, &traces, &batch);
    if (rc) return rc;
    /* the corpus reader is collective: here over this process alone */
    if (LE_MPI_RC(MPI_Init(&argc, &argv)) || le_world_init()) return fprintf(stderr, "gat_bench: %s\n", le_errmsg()), 1;
    le_model m;
    le_corpus *c = NULL;
    rc = le_model_read(argv[optind + 1], &m);
    if (!rc) rc = le_corpus_open(MPI_COMM_SELF, argv[optind], &c);
    if (!rc) rc = bench(c, &m, traces, batch, out);
    if (c) le_corpus_close(c);
    le_model_free(&m);
    if (!rc) rc = LE_MPI_RC(MPI_Finalize());
    if (rc) fprintf(stderr, "gat_bench: %s\n", le_errmsg());
    return rc;
}
