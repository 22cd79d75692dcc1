#include "tail_dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "burst_dist.h"
#include "comm.h"
#include "exchange.h"
#include "quantile.h"
#include "quantile_dist.h"
#include "callpath.h"
#include "truth.h"

/* The spans as the thresholds need them: per operation o, the keys
 * key[off[o] .. off[o+1]) sorted ascending, each the span's self time
 * (clamped at 0 and at 2^40 us, 12 days) above its time bin, in the fewest
 * bits that hold the bins (le_burst_bins keeps bins x operations under
 * 2^24): short keys take fewer radix passes. */
typedef struct tail_keys {
    uint64_t *key;
    int64_t *off; /* [O + 1] */
    int bin_bits;
} tail_keys;
#define KEY_X(k, b) ((int64_t)((k) >> (b)))
#define KEY_BIN(k, b) ((int64_t)((k) & ((UINT64_C(1) << (b)) - 1)))

/* Each span's self time (clamped at 0) into self, and the keys: bucketed
 * by operation (counting sort), each bucket radix-sorted (a comparison sort
 * of 1.4 million spans a rank was a third of the vector's time). */
static void keys_sorted(const le_shard *s, int32_t O, const le_burst_grid *g, int64_t *self, tail_keys *k)
{
    const le_corpus_block *b = &s->b;
    size_t ns = (size_t)b->n_spans;
    k->off = le_calloc((size_t)O + 1, sizeof(int64_t));
    k->key = le_malloc(sizeof(uint64_t) * ns);
    for (k->bin_bits = 0; (INT64_C(1) << k->bin_bits) < g->nb; k->bin_bits++) {}
    uint64_t *scratch = le_malloc(sizeof(uint64_t) * ns);
    for (int64_t t = 0; t < s->n; t++) {
        int64_t lo = b->span_offset[t], n = b->span_offset[t + 1] - lo;
        le_vis_selftime(b->parent + lo, b->duration_us + lo, n, self + lo);
        for (int64_t i = lo; i < lo + n; i++) {
            if (self[i] < 0) self[i] = 0;
            if (b->operation[i] >= 0 && b->operation[i] < O) k->off[b->operation[i] + 1]++;
        }
    }
    for (int32_t o = 0; o < O; o++) k->off[o + 1] += k->off[o];
    int64_t *fill = le_malloc(sizeof(int64_t) * (size_t)O);
    memcpy(fill, k->off, sizeof(int64_t) * (size_t)O);
    for (int64_t t = 0; t < s->n; t++) {
        uint64_t bin = (uint64_t)le_burst_bin_of(g, b->trace_start_us[t]);
        for (int64_t i = b->span_offset[t]; i < b->span_offset[t + 1]; i++) {
            int32_t o = b->operation[i];
            if (o < 0 || o >= O) continue;
            uint64_t x = (uint64_t)self[i] < (1ull << 40) ? (uint64_t)self[i] : (1ull << 40) - 1;
            k->key[fill[o]++] = x << k->bin_bits | bin;
        }
    }
    for (int32_t o = 0; o < O; o++) le_sort_u64(k->key + k->off[o], k->off[o + 1] - k->off[o], scratch);
    free(fill), free(scratch);
}

/* The q quantile per operation over the spans whose (operation, bin) cell
 * is kept (keep NULL: all). */
static int kept_quantiles(MPI_Comm comm, const tail_keys *k, int32_t O, int64_t nb, const uint8_t *keep, double q,
                          int64_t *x, int64_t *off, double *out)
{
    off[0] = 0;
    for (int32_t o = 0; o < O; o++) {
        int64_t m = off[o];
        for (int64_t i = k->off[o]; i < k->off[o + 1]; i++)
            if (!keep || keep[o * nb + KEY_BIN(k->key[i], k->bin_bits)]) x[m++] = KEY_X(k->key[i], k->bin_bits);
        off[o + 1] = m;
    }
    return le_quantiles_dist(comm, x, off, O, q, out, NULL);
}

/* The thresholds: LE_TAIL_TRIM_ROUNDS times, the cells whose spans exceed
 * the detection quantile of the cells kept so far far too often are left
 * out, then the tail quantile over the cells kept (algos/tail.h). */
static int robust_thresholds(MPI_Comm comm, const tail_keys *k, int32_t O, int64_t nb, double *thr)
{
    size_t cells = (size_t)O * (size_t)nb, n = (size_t)k->off[O];
    int64_t *x = le_malloc(sizeof(int64_t) * n), *off = le_malloc(sizeof(int64_t) * ((size_t)O + 1));
    int64_t *ne = le_malloc(sizeof(int64_t) * 2 * cells);
    uint8_t *keep = NULL;
    double *det = le_malloc(sizeof(double) * (size_t)O);
    int rc = 0;
    for (int round = 0; round < LE_TAIL_TRIM_ROUNDS && !rc; round++) {
        rc = kept_quantiles(comm, k, O, nb, keep, LE_TAIL_DETECT_QUANTILE, x, off, det);
        memset(ne, 0, sizeof(int64_t) * 2 * cells);
        for (int32_t o = 0; !rc && o < O; o++)
            for (int64_t i = k->off[o]; i < k->off[o + 1]; i++) {
                size_t c = (size_t)o * (size_t)nb + (size_t)KEY_BIN(k->key[i], k->bin_bits);
                ne[2 * c]++, ne[2 * c + 1] += !isnan(det[o]) && (double)KEY_X(k->key[i], k->bin_bits) > det[o];
            }
        /* cells <= LE_BURST_MAX_CELLS (le_burst_bins), so one count fits an int */
        if (!rc) rc = le_allreduce_big(comm, ne, 2 * cells, MPI_INT64_T, MPI_SUM);
        if (!keep) keep = le_malloc(cells);
        for (size_t c = 0; c < cells; c++)
            keep[c] = !le_tail_cell_bursting(ne[2 * c], ne[2 * c + 1], LE_TAIL_DETECT_QUANTILE);
    }
    if (!rc) rc = kept_quantiles(comm, k, O, nb, keep, LE_TAIL_QUANTILE, x, off, thr);
    for (int32_t o = 0; !rc && o < O; o++)
        if (isnan(thr[o])) thr[o] = INFINITY; /* no span of it anywhere */
    free(x), free(off), free(ne), free(keep), free(det);
    return rc;
}

int le_tail_thresholds(MPI_Comm comm, const le_shard *s, int32_t O, const le_burst_grid *g, double *thr)
{
    int64_t *self = le_malloc(sizeof(int64_t) * (size_t)(s->b.n_spans ? s->b.n_spans : 1));
    tail_keys k;
    keys_sorted(s, O, g, self, &k);
    free(self);
    int rc = robust_thresholds(comm, &k, O, g->nb, thr);
    free(k.key), free(k.off);
    return rc;
}
