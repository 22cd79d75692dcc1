#include "burst.h"

#include <math.h>
#include <stdlib.h>

/* Whether component j is present: > 0 in any of the blocks (a component
 * present in several blocks counts once). No early exit, and the callers
 * switch on blocks so that it is a constant here: the loops over j then
 * vectorise (most components of a trace are absent, and the burst passes
 * scan every one of them for every trace). */
static inline int present(const float *dev, int64_t stride, int blocks, int64_t j)
{
    int p = dev[j] > 0;
    for (int k = 1; k < blocks; k++) p |= dev[k * stride + j] > 0;
    return p;
}

#define LE_FOR_BLOCKS(blocks, body) \
    switch (blocks) {               \
    case 1: {                       \
        const int nbk_ = 1;         \
        body;                       \
    } break;                        \
    case 2: {                       \
        const int nbk_ = 2;         \
        body;                       \
    } break;                        \
    case 3: {                       \
        const int nbk_ = 3;         \
        body;                       \
    } break;                        \
    default: {                      \
        const int nbk_ = blocks;    \
        body;                       \
    } break;                        \
    }

void le_burst_count(const float *dev, int64_t d, int blocks, int64_t stride, int64_t bin, int64_t *cnt, int64_t *tot)
{
    tot[bin]++;
    int64_t *c = cnt + bin * d;
    LE_FOR_BLOCKS(blocks, for (int64_t j = 0; j < d; j++) c[j] += present(dev, stride, nbk_, j))
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

void le_burst_base(const int64_t *cnt, const int64_t *tot, int64_t nb, int64_t d, double *scratch, double *base)
{
    le_burst_base_range(cnt, tot, nb, d, 0, d, scratch, base);
}

void le_burst_base_range(const int64_t *cnt, const int64_t *tot, int64_t nb, int64_t d, int64_t lo, int64_t hi,
                         double *scratch, double *base)
{
    for (int64_t j = lo; j < hi; j++) {
        int64_t m = 0;
        for (int64_t b = 0; b < nb; b++)
            if (tot[b] > 0) scratch[m++] = (double)cnt[b * d + j] / (double)tot[b];
        qsort(scratch, (size_t)m, sizeof *scratch, cmp_double);
        base[j] = m == 0 ? 0 : m % 2 ? scratch[m / 2] : 0.5 * (scratch[m / 2 - 1] + scratch[m / 2]);
    }
}

void le_burst_row(const float *dev, int64_t d, int blocks, int64_t stride, const int64_t *cnt_b, int64_t tot_b,
                  const double *base, float w, float *out)
{
    if (tot_b <= 0) {
        for (int64_t j = 0; j < d; j++) out[j] = 0;
        return;
    }
    /* out first holds which components are present (1 or 0), in one pass
     * that vectorises; the few present ones then get their value */
    LE_FOR_BLOCKS(blocks, for (int64_t j = 0; j < d; j++) out[j] = (float)present(dev, stride, nbk_, j))
    for (int64_t j = 0; j < d; j++)
        if (out[j] != 0) out[j] = le_burst_value(cnt_b[j], tot_b, base[j], w);
}

float le_burst_value(int64_t cnt, int64_t tot, double base, float w)
{
    double r = log2(((double)cnt / (double)tot + LE_BURST_EPS) / (base + LE_BURST_EPS));
    return r > 0 ? w * (float)r : 0;
}
