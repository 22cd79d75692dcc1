/* confweight: how much a propagated label counts in the root-cause counts
 * (docs/rootcause.md, "Weighted counts"). No MPI.
 *
 * propagate's confidence is a margin: half the difference of the squared
 * distances from a trace to the nearest representative of the other label
 * and of its own. Its unit is the representation's squared distance (the
 * cosine distance on unit GAT vectors, raw feature units for tail or stv),
 * so it is only meaningful against the corpus's own scale: the median
 * margin of the traces that carry the same label. A trace then counts
 *
 *   w = 1                      a person gave the label (or margin +inf)
 *   w = 1 - exp(-margin / s)   otherwise, s = that label's median margin
 *
 * 0 on the boundary between the labels, 0.63 at the typical margin, near 1
 * far inside its label's region. Weights are fixed point (LE_W_ONE = 1), so
 * sums over ranks are exact integers and the same at any rank count. */
#ifndef LE_CONFWEIGHT_H
#define LE_CONFWEIGHT_H

#include <stdint.h>

#define LE_W_ONE (INT64_C(1) << 20)

/* Margins are binned by their float's top 16 bits (sign, exponent and 7
 * mantissa bits: relative width 1/128), monotone in the margin; the
 * histogram is integers, so its quantiles are the same at any rank count. */
#define LE_MARGIN_BUCKETS 0x7F80 /* finite non-negative floats */

/* Bucket of a finite margin >= 0; -1 for NaN, negative or infinite. */
int32_t le_margin_bucket(float margin);
/* The smallest margin in bucket b. */
double le_margin_of_bucket(int32_t b);
/* The q-quantile (lower order statistic) of the histogram h [LE_MARGIN_BUCKETS]
 * as the smallest margin of its bucket; 0 when h is empty. */
double le_margin_quantile(const int64_t *h, double q);

/* The weight of one trace's label (formula above) in LE_W_ONE units; a
 * margin that is NaN or negative (not propagate's) counts 0. */
int64_t le_label_weight(float margin, int given, double scale);

#endif
