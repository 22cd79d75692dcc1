/* gat_reference_dump OUT.h5 [--seed N]: the C encoder's side of the PyTorch
 * cross-check (tests/e2e/gat_torch.sh). A random batch and random weights,
 * a pure function of the seed, go through the forward pass, the triplet
 * loss and the backward pass; OUT.h5 holds them (gat_dump.h) with every
 * layer's output, the loss and the gradient, which
 * tests/torch/gat_reference.py recomputes in float64. One process (MPI is
 * initialised only because the HDF5 helpers ask for the rank): it was
 * `labelease train --dump-reference`, test code in the product. */
#include <mpi.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "encoder.h"
#include "gat_dump.h"
#include "rng.h"
#include "triplet.h"

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
    GAT_DUMP_PUT(f, "out/O", H5T_NATIVE_FLOAT, gb->n_graphs, e->cfg.out_dim, ws->O, path);
    for (int l = 0; l < e->cfg.layers; l++) {
        char name[32];
        snprintf(name, sizeof name, "out/Y%d", l);
        GAT_DUMP_PUT(f, name, H5T_NATIVE_FLOAT, gb->n_nodes, D, ws->Y[l], path);
    }
    GAT_DUMP_PUT(f, "out/loss", H5T_NATIVE_DOUBLE, 1, 0, &loss, path);
    GAT_DUMP_PUT(f, "out/grad", H5T_NATIVE_FLOAT, e->n_params, 0, grad, path);
    return 0;
}

/* Six corpus operations of two services; the last maps to the unknown row. */
static const char *const dump_svc[] = {"cartservice", "frontend"};
static const char *const dump_ops[] = {"GetCart",       "EmptyCart",  "HTTP GET /cart", "HTTP POST /checkout",
                                       "/product/{id}", "neverSeenOp"};
static const int32_t dump_op_svc[] = {0, 0, 1, 1, 1, 0}, dump_vocab[] = {0, 1, 2, 3, 4, 5};
static const char *const dump_vocab_svc[] = {"cartservice", "cartservice", "frontend", "frontend", "frontend"};

/* Random batch + random weights (a pure function of seed) → path. */
static int dump_reference(const char *path, uint64_t seed)
{
    le_enc_cfg cfg = {.feat = {.n_vocab = 5, .d_op = 8, .d_tok = 8, .n_buckets = 64, .salt = 99},
                      .layers = 3,
                      .heads = 3,
                      .hc = 8,
                      .out_dim = 64};
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
    int rc = gat_dump_write(path, &md, &gb, &m, trip, 4, &f);
    if (!rc) rc = dump_outputs(f, path, &md.enc, &ws, &gb, loss, grad);
    if (f >= 0) H5Fclose(f);
    md.vocab_services = md.vocab_operations = NULL;
    free(md.params), free(md.mean), free(md.std), free(grad), free(dO);
    le_enc_ws_free(&ws), le_gb_free(&gb), le_opmap_free(&m);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned long long seed = 1;
    char *end = NULL;
    if (argc == 4 && !strcmp(argv[2], "--seed")) seed = strtoull(argv[3], &end, 10);
    if ((argc != 2 && argc != 4) || (argc == 4 && (!end || end == argv[3] || *end))) {
        fprintf(stderr, "usage: gat_reference_dump OUT.h5 [--seed N]\n");
        return 2;
    }
    int rc = LE_MPI_RC(MPI_Init(&argc, &argv));
    if (!rc) rc = le_world_init();
    if (!rc) rc = dump_reference(argv[1], (uint64_t)seed);
    if (!rc) rc = LE_MPI_RC(MPI_Finalize());
    if (rc) fprintf(stderr, "gat_reference_dump: %s\n", le_errmsg());
    return rc;
}
