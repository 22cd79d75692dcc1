#include "adam.h"

#include <stdlib.h>
#include <math.h>
#include <string.h>

#include "le_base.h"

void le_adam_init(le_adam *a, int64_t n, float lr)
{
    a->lr = lr, a->beta1 = 0.9f, a->beta2 = 0.999f, a->eps = 1e-8f;
    a->t = 0, a->n = n;
    a->m = le_calloc((size_t)n, sizeof(float));
    a->v = le_calloc((size_t)n, sizeof(float));
}

void le_adam_free(le_adam *a)
{
    free(a->m), free(a->v);
    memset(a, 0, sizeof *a);
}

void le_adam_step(le_adam *a, float *p, const float *g)
{
    a->t++;
    const float c1 = 1.0f / (1.0f - powf(a->beta1, (float)a->t)), c2 = 1.0f / (1.0f - powf(a->beta2, (float)a->t));
    for (int64_t i = 0; i < a->n; i++) {
        a->m[i] = a->beta1 * a->m[i] + (1 - a->beta1) * g[i];
        a->v[i] = a->beta2 * a->v[i] + (1 - a->beta2) * g[i] * g[i];
        p[i] -= a->lr * (a->m[i] * c1) / (sqrtf(a->v[i] * c2) + a->eps);
    }
}
