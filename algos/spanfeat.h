/* spanfeat: per-span input features of the GAT encoder (no MPI).
 *
 * A node (span) enters the network as one row of X [N × F], F = d_op + d_tok + 4 + 3:
 *   [ emb_op[vocab(op)]            d_op   learned, one row per training operation + 1 unknown row
 *   | mean_k emb_tok[bucket_k]     d_tok  hashed name tokens of service and operation
 *   | z(log1p(duration, waiting, self, start offset))  4   normalised per operation
 *   | status one-hot (ok, client error, server error)  3 ]
 * The token part gives an operation never seen in training a vector built from
 * the words of its name (it stands in for the original's BERT embedding).
 *
 * Time statistics are mergeable sums in fixed point (int64, scale 2^20), so
 * a sum over ranks is exact and the model does not depend on the rank count. */
#ifndef LE_SPANFEAT_H
#define LE_SPANFEAT_H

#include <stdint.h>

#define LE_NTIME 4            /* log1p of duration, waiting (sum of children), self, start offset from root */
#define LE_NSTATUS 3          /* 0 none/ok, 1 client error (4xx), 2 server error (5xx or error flag) */
#define LE_TIME_FIX 1048576.0 /* 2^20: fixed-point scale of the time sums */
#define LE_MAX_TOKENS 32      /* tokens kept per operation (service + name) */

typedef struct le_feat_cfg {
    int32_t n_vocab;   /* V training operations; row V of emb_op is the unknown bucket */
    int32_t d_op;      /* operation embedding width */
    int32_t d_tok;     /* token embedding width */
    int32_t n_buckets; /* token hash buckets */
    uint64_t salt;     /* token hash salt */
} le_feat_cfg;

static inline int le_feat_dim(const le_feat_cfg *c) { return c->d_op + c->d_tok + LE_NTIME + LE_NSTATUS; }

/* Split s on non-alphanumerics and lower→Upper camelCase boundaries, lowercase
 * each token, hash into [0, n_buckets). Writes at most cap ids; returns count. */
int le_tokenize(const char *s, uint64_t salt, int32_t n_buckets, int32_t *out, int cap);

/* How one corpus's operation ids map onto the model: vocabulary row and
 * token buckets (CSR). Built once per corpus from its name tables. */
typedef struct le_opmap {
    int32_t n_ops;
    int32_t *vocab;   /* [n_ops] row of emb_op (V = unknown) */
    int32_t *tok_off; /* [n_ops + 1] */
    int32_t *tok;     /* [tok_off[n_ops]] bucket ids, ≥ 1 per op */
} le_opmap;

/* vocab_of[i] is the vocabulary row of corpus op i (or cfg->n_vocab). */
void le_opmap_build(le_opmap *m, const le_feat_cfg *cfg, int32_t n_ops, const char *const *services,
                    const char *const *operations, const int32_t *op_service, const int32_t *vocab_of);
void le_opmap_free(le_opmap *m);

/* Status class of a span (see LE_NSTATUS). */
static inline int8_t le_status_class(int32_t status_code, int8_t error)
{
    if (error || status_code >= 500) return 2;
    if (status_code >= 400) return 1;
    return 0;
}

/* Raw time features of one trace of n spans in preorder: out[n × 4] =
 * log1p(duration, waiting, self, max(0, start - root start)); wait is scratch [n]. */
void le_time_raw(int n, const int32_t *parent, const int64_t *start_us, const int64_t *duration_us, int64_t *wait,
                 float *out);

/* Mergeable per-row sums: rows = V + 1 (row V also gathers every span, so
 * the unknown bucket gets corpus-wide statistics). Per row: count, Σx[4], Σx²[4]. */
#define LE_STAT_COLS (1 + 2 * LE_NTIME)
void le_timestats_add(int64_t *sums, int32_t n_vocab, int32_t row, const float *raw);
/* Finalise to mean/std [(V+1) × 4]; rows seen fewer than 2 times fall back to row V. */
void le_timestats_finish(const int64_t *sums, int32_t n_vocab, float *mean, float *std);
/* Normalise raw features of a span of vocabulary row `row` in place; clamp to ±10. */
void le_time_normalise(float *raw, int32_t row, const float *mean, const float *std);

/* Input layer. X [N × F] from embeddings + per-node op, time [N × 4], status [N]. */
void le_input_forward(const le_feat_cfg *cfg, const le_opmap *m, const float *emb_op, const float *emb_tok, int n,
                      const int32_t *op, const float *time, const int8_t *status, float *X);
/* Backward: scatter dX's embedding columns into demb_op [(V+1) × d_op] and
 * demb_tok [n_buckets × d_tok] (accumulate). Time and status take no gradient. */
void le_input_backward(const le_feat_cfg *cfg, const le_opmap *m, int n, const int32_t *op, const float *dX, float *demb_op,
                       float *demb_tok);

#endif
