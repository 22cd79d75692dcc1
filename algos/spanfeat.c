/* spanfeat: tokens, operation map, time features and the input layer. */
#include "spanfeat.h"

#include <ctype.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "hash.h"
#include "le_base.h"

static int is_alnum(char c) { return isalnum((unsigned char)c) != 0; }
/* A token ends where a lowercase letter or digit meets an uppercase one ("getCart" → get, cart). */
static int camel_break(char a, char b)
{
    return (islower((unsigned char)a) || isdigit((unsigned char)a)) && isupper((unsigned char)b);
}

int le_tokenize(const char *s, uint64_t salt, int32_t n_buckets, int32_t *out, int cap)
{
    int n = 0;
    char tok[64];
    size_t i = 0, len = strlen(s);
    while (i < len && n < cap) {
        while (i < len && !is_alnum(s[i])) i++;
        size_t k = 0;
        while (i < len && is_alnum(s[i])) {
            if (k < sizeof tok) tok[k++] = (char)tolower((unsigned char)s[i]);
            i++;
            if (i < len && camel_break(s[i - 1], s[i])) break;
        }
        if (k == 0) continue;
        uint64_t h = le_mix64(le_hash64(tok, k) ^ salt);
        out[n++] = (int32_t)(h % (uint64_t)n_buckets);
    }
    return n;
}

void le_opmap_build(le_opmap *m, const le_feat_cfg *cfg, int32_t n_ops, const char *const *services,
                    const char *const *operations, const int32_t *op_service, const int32_t *vocab_of)
{
    m->n_ops = n_ops;
    m->vocab = le_malloc(sizeof(int32_t) * (size_t)(n_ops > 0 ? n_ops : 1));
    m->tok_off = le_malloc(sizeof(int32_t) * (size_t)(n_ops + 1));
    m->tok = le_malloc(sizeof(int32_t) * (size_t)(n_ops > 0 ? n_ops : 1) * LE_MAX_TOKENS);
    m->tok_off[0] = 0;
    for (int32_t i = 0; i < n_ops; i++) {
        m->vocab[i] = vocab_of ? vocab_of[i] : cfg->n_vocab;
        int32_t *t = m->tok + m->tok_off[i];
        int k = le_tokenize(services[op_service[i]], cfg->salt, cfg->n_buckets, t, LE_MAX_TOKENS / 2);
        k += le_tokenize(operations[i], cfg->salt, cfg->n_buckets, t + k, LE_MAX_TOKENS - k);
        if (k == 0) t[k++] = 0; /* a nameless operation still has one (shared) token row */
        m->tok_off[i + 1] = m->tok_off[i] + k;
    }
}

void le_opmap_free(le_opmap *m)
{
    free(m->vocab), free(m->tok_off), free(m->tok);
    memset(m, 0, sizeof *m);
}

void le_time_raw(int n, const int32_t *parent, const int64_t *start_us, const int64_t *duration_us, int64_t *wait,
                 float *out)
{
    for (int i = 0; i < n; i++) wait[i] = 0;
    for (int i = 1; i < n; i++)
        if (parent[i] >= 0) wait[parent[i]] += duration_us[i] > 0 ? duration_us[i] : 0;
    for (int i = 0; i < n; i++) {
        double dur = duration_us[i] > 0 ? (double)duration_us[i] : 0.0;
        double w = (double)wait[i];
        double self = dur - w > 0 ? dur - w : 0.0; /* concurrent children can wait longer than the parent ran */
        double off = (double)(start_us[i] - start_us[0]);
        float *o = out + (size_t)i * LE_NTIME;
        o[0] = (float)log1p(dur), o[1] = (float)log1p(w), o[2] = (float)log1p(self), o[3] = (float)log1p(off > 0 ? off : 0);
    }
}

static void stats_row_add(int64_t *row, const float *raw)
{
    row[0] += 1;
    for (int k = 0; k < LE_NTIME; k++) {
        double x = raw[k];
        row[1 + k] += llrint(x * LE_TIME_FIX);
        row[1 + LE_NTIME + k] += llrint(x * x * LE_TIME_FIX);
    }
}

void le_timestats_add(int64_t *sums, int32_t n_vocab, int32_t row, const float *raw)
{
    if (row != n_vocab) stats_row_add(sums + (size_t)row * LE_STAT_COLS, raw);
    stats_row_add(sums + (size_t)n_vocab * LE_STAT_COLS, raw);
}

void le_timestats_finish(const int64_t *sums, int32_t n_vocab, float *mean, float *std)
{
    for (int32_t r = n_vocab; r >= 0; r--) { /* row V first: the fallback of the others */
        const int64_t *s = sums + (size_t)r * LE_STAT_COLS;
        for (int k = 0; k < LE_NTIME; k++) {
            float *mu = mean + (size_t)r * LE_NTIME + k, *sd = std + (size_t)r * LE_NTIME + k;
            if (s[0] < 2) {
                *mu = r == n_vocab ? 0.0f : mean[(size_t)n_vocab * LE_NTIME + k];
                *sd = r == n_vocab ? 1.0f : std[(size_t)n_vocab * LE_NTIME + k];
                continue;
            }
            double n = (double)s[0], m = (double)s[1 + k] / LE_TIME_FIX / n;
            double var = (double)s[1 + LE_NTIME + k] / LE_TIME_FIX / n - m * m;
            *mu = (float)m;
            /* floor: an operation whose times never vary must not blow up tiny noise */
            *sd = (float)sqrt(var > 0.01 ? var : 0.01);
        }
    }
}

void le_time_normalise(float *raw, int32_t row, const float *mean, const float *std)
{
    for (int k = 0; k < LE_NTIME; k++) {
        float z = (raw[k] - mean[(size_t)row * LE_NTIME + k]) / std[(size_t)row * LE_NTIME + k];
        raw[k] = z > 10.0f ? 10.0f : z < -10.0f ? -10.0f : z;
    }
}

/* X[i] = [emb_op[vocab] | mean emb_tok[tokens] | time | onehot(status)]   X: [N × F] */
void le_input_forward(const le_feat_cfg *cfg, const le_opmap *m, const float *emb_op, const float *emb_tok, int n,
                      const int32_t *op, const float *time, const int8_t *status, float *X)
{
    const int F = le_feat_dim(cfg), dop = cfg->d_op, dtok = cfg->d_tok;
    for (int i = 0; i < n; i++) {
        float *x = X + (size_t)i * F;
        const float *e = emb_op + (size_t)m->vocab[op[i]] * dop;
        for (int c = 0; c < dop; c++) x[c] = e[c];
        float *xt = x + dop;
        for (int c = 0; c < dtok; c++) xt[c] = 0.0f;
        int32_t lo = m->tok_off[op[i]], hi = m->tok_off[op[i] + 1];
        for (int32_t k = lo; k < hi; k++) {
            const float *t = emb_tok + (size_t)m->tok[k] * dtok;
            for (int c = 0; c < dtok; c++) xt[c] += t[c];
        }
        float inv = 1.0f / (float)(hi - lo);
        for (int c = 0; c < dtok; c++) xt[c] *= inv;
        float *xs = xt + dtok;
        for (int k = 0; k < LE_NTIME; k++) xs[k] = time[(size_t)i * LE_NTIME + k];
        for (int k = 0; k < LE_NSTATUS; k++) xs[LE_NTIME + k] = status[i] == k ? 1.0f : 0.0f;
    }
}

/* demb_op[vocab] += dX[i, 0:dop]; demb_tok[tok] += dX[i, dop:dop+dtok] / n_tok */
void le_input_backward(const le_feat_cfg *cfg, const le_opmap *m, int n, const int32_t *op, const float *dX, float *demb_op,
                       float *demb_tok)
{
    const int F = le_feat_dim(cfg), dop = cfg->d_op, dtok = cfg->d_tok;
    for (int i = 0; i < n; i++) {
        const float *dx = dX + (size_t)i * F;
        float *de = demb_op + (size_t)m->vocab[op[i]] * dop;
        for (int c = 0; c < dop; c++) de[c] += dx[c];
        int32_t lo = m->tok_off[op[i]], hi = m->tok_off[op[i] + 1];
        float inv = 1.0f / (float)(hi - lo);
        for (int32_t k = lo; k < hi; k++) {
            float *dt = demb_tok + (size_t)m->tok[k] * dtok;
            for (int c = 0; c < dtok; c++) dt[c] += dx[dop + c] * inv;
        }
    }
}
