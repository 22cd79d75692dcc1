#include "tail.h"

#include <math.h>

float le_tail_value(int64_t self, double threshold)
{
    if (!((double)self > threshold)) return 0;
    double s = self > 1 ? (double)self : 1, t = threshold > 1 ? threshold : 1;
    return (float)(1 + log2(s / t));
}

int le_tail_cell_bursting(int64_t n, int64_t e, double q)
{
    return e >= LE_TAIL_BURST_MIN && (double)e > LE_TAIL_BURST_FACTOR * (1 - q) * (double)n;
}

int le_tail_rare(int64_t count, int64_t op_count)
{
    return count <= LE_TAIL_RARE_MAX || (double)count < LE_TAIL_RARE_SHARE * (double)op_count;
}

void le_tail_row(const int32_t *op, const int64_t *self, const int8_t *failed, const uint8_t *rare, int64_t n,
                 const double *thr, int32_t n_ops, float *out)
{
    for (int64_t j = 0; j < (int64_t)LE_TAIL_BLOCKS * n_ops; j++) out[j] = 0;
    float *tail = out, *err = out + n_ops, *odd = out + 2 * (int64_t)n_ops;
    for (int64_t i = 0; i < n; i++) {
        int32_t o = op[i];
        if (o < 0 || o >= n_ops) continue;
        float v = le_tail_value(self[i], thr[o]);
        if (v > tail[o]) tail[o] = v;
        if (failed[i]) err[o] = 1;
        if (rare[i]) odd[o] = 1;
    }
}
