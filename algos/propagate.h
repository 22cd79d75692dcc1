/* propagate: labels from a few labeled vectors to many (no MPI).
 * Rows and references are compared by squared Euclidean distance; on unit
 * rows (the GAT embeddings) d2 / 2 is the cosine distance. */
#ifndef LE_PROPAGATE_H
#define LE_PROPAGATE_H

#include <stdint.h>

/* For each row: label of the nearest reference (ref_label 0/1), and the
 * margin (d2 to the nearest reference of the other label - d2 to the
 * nearest of its own) / 2, >= 0. With knn > 1 the label is the majority
 * of the knn nearest references (a tie goes to the nearest one); the
 * margin stays the nearest-per-class one. work holds LE_KM_BLOCK * m
 * floats; m references ref [m x d]. */
void le_prop_label_rows(const float *x, int64_t n, int d, const float *ref, const int8_t *ref_label, int64_t m, int knn,
                        float *work, int8_t *label, float *margin);

#endif
