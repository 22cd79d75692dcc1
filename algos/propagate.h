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

/* Active-learning rounds (docs/labeling.md "Rounds"): a labeling budget of
 * K labels spread over R rounds. Round 1 picks K less the later rounds'
 * share, round(LE_LATER_ROUNDS_SHARE K) when R > 1; round r >= 2 picks
 * what is left after the `given` labels so far, spread evenly over the
 * rounds still to come (all of it from round R on); 0 when it is spent. */
#define LE_ROUNDS_DEFAULT 2
#define LE_LATER_ROUNDS_SHARE 0.4
int64_t le_round_budget(int64_t K, int R, int r, int64_t given);

#endif
