/* adam: the Adam optimiser over one flat parameter buffer (no MPI).
 * m ← β1 m + (1−β1) g;  v ← β2 v + (1−β2) g²;  p ← p − lr · m̂ / (sqrt(v̂) + eps)
 * with bias corrections m̂ = m / (1 − β1ᵗ), v̂ = v / (1 − β2ᵗ). */
#ifndef LE_ADAM_H
#define LE_ADAM_H

#include <stdint.h>

typedef struct le_adam {
    float lr, beta1, beta2, eps;
    int64_t t, n;
    float *m, *v; /* [n] */
} le_adam;

void le_adam_init(le_adam *a, int64_t n, float lr);
void le_adam_free(le_adam *a);
void le_adam_step(le_adam *a, float *p, const float *g);

#endif
