/* encoder: the whole trace encoder (no MPI) — input layer, L GAT layers,
 * mean pool, MLP — over one flat parameter buffer described by a tensor
 * table (the same table the model file stores).
 *
 *   X  = input(op, tokens, time, status)        [N × F]   F = d_op + d_tok + 7
 *   Y1 = gat1(X), Y2 = gat2(Y1), Y3 = gat3(Y2)  [N × D]   D = heads · hc
 *   P  = meanpool(Y3)                           [G × D]
 *   H1 = tanh(P·W1 + b1)                        [G × D]
 *   O  = H1·W2 + b2                             [G × out]  (out = 64) */
#ifndef LE_ENCODER_H
#define LE_ENCODER_H

#include <stdint.h>

#include "spanfeat.h"
#include "gat.h"
#include "graphbatch.h"

#define LE_MAX_LAYERS 6
#define LE_MAX_TENSORS (2 + 6 * LE_MAX_LAYERS + 4)

typedef struct le_enc_cfg {
    le_feat_cfg feat;
    int32_t layers, heads, hc, out_dim;
} le_enc_cfg;

typedef struct le_tensor {
    char name[32];
    int64_t offset, rows, cols; /* row-major [rows × cols] at offset in the flat buffer */
} le_tensor;

typedef struct le_encoder {
    le_enc_cfg cfg;
    int n_tensors;
    le_tensor t[LE_MAX_TENSORS];
    int64_t n_params;
} le_encoder;

/* Named views of a flat buffer (weights or gradients). */
typedef struct le_enc_view {
    float *emb_op, *emb_tok;
    le_gat_params gat[LE_MAX_LAYERS];
    float *W1, *b1, *W2, *b2;
} le_enc_view;

/* Fill the tensor table from cfg; LE_ERR_USAGE when a size is out of range. */
int le_enc_layout(le_encoder *e, const le_enc_cfg *cfg);
void le_enc_view_of(const le_encoder *e, float *buf, le_enc_view *v);
/* Glorot-uniform matrices, N(0, 0.5²)-ish embeddings, zero biases, unit LayerNorm gains; a pure function of seed. */
void le_enc_init_params(const le_encoder *e, float *p, uint64_t seed);

/* Activations for one batch; grown (never shrunk) to fit the batch. */
typedef struct le_enc_ws {
    size_t cap_n, cap_e, cap_g, cap_ops;
    /* Layer 0 never forms X [N × F]: a node's input row is its operation's
     * embedding part plus 4 time features and a status one-hot, so its
     * projection is a per-operation table plus 5 rows of WA (encoder.c). */
    int32_t n_used;                      /* operations present in the batch */
    int32_t *op_slot, *used, *node_slot; /* [ops] slot or -1, [ops] slot → op, [N] node → slot */
    float *Xop, *T, *dXop;               /* [ops × F], [ops × ld] table (backward: Σ dWhS by op), [ops × F] */
    float *zt;                           /* [ops × 4] zeros */
    int8_t *zs;                          /* [ops] zeros */
    float *Y[LE_MAX_LAYERS];             /* [N × D] layer outputs */
    le_gat_cache c[LE_MAX_LAYERS];
    float *dY, *dYin;             /* [N × max(D, F)] */
    float *scratch;               /* le_gat_scratch_floats of the widest layer */
    float *P, *H1, *O, *dP, *dH1; /* [G × D], O [G × out] */
} le_enc_ws;

void le_enc_ws_init(le_enc_ws *w);
void le_enc_ws_free(le_enc_ws *w);

/* O (= ws->O) [G × out] for the batch, keeping what backward needs. */
void le_enc_forward(const le_encoder *e, float *params, const le_opmap *m, const le_graphbatch *gb, le_enc_ws *ws);
/* The same O, bit for bit, without the backward caches (embedding). */
void le_enc_infer(const le_encoder *e, float *params, const le_opmap *m, const le_graphbatch *gb, le_enc_ws *ws);
/* After forward on the same batch: grads (flat, same layout) += dL/dparams given dO [G × out]. */
void le_enc_backward(const le_encoder *e, float *params, const le_opmap *m, const le_graphbatch *gb, le_enc_ws *ws,
                     const float *dO, float *grads);

#endif
