#include "confweight.h"

#include <math.h>
#include <string.h>

int32_t le_margin_bucket(float margin)
{
    if (!(margin >= 0) || isinf(margin)) return -1;
    uint32_t bits;
    memcpy(&bits, &margin, sizeof bits);
    return (int32_t)(bits >> 16);
}

double le_margin_of_bucket(int32_t b)
{
    uint32_t bits = (uint32_t)b << 16;
    float m;
    memcpy(&m, &bits, sizeof m);
    return m;
}

double le_margin_quantile(const int64_t *h, double q)
{
    int64_t n = 0;
    for (int32_t b = 0; b < LE_MARGIN_BUCKETS; b++) n += h[b];
    if (!n) return 0;
    int64_t k = (int64_t)(q * (double)(n - 1)), seen = 0;
    for (int32_t b = 0; b < LE_MARGIN_BUCKETS; b++)
        if ((seen += h[b]) > k) return le_margin_of_bucket(b);
    return le_margin_of_bucket(LE_MARGIN_BUCKETS - 1);
}

int64_t le_label_weight(float margin, int given, double scale)
{
    if (given || (isinf(margin) && margin > 0)) return LE_W_ONE;
    if (!(margin >= 0)) return 0;
    double w = scale > 0 ? 1 - exp(-(double)margin / scale) : (margin > 0);
    return llround(w * (double)LE_W_ONE);
}
