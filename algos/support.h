/* support: how much evidence a fault period needs (docs/rootcause.md,
 * "Support"). No MPI.
 *
 * A period with n traces in its parts would hold mu = share * n abnormal
 * traces if it were normal traffic (share: the rate rule's normal abnormal
 * share). It is kept when it has at least min_traces abnormal traces and
 * its support reaches what normal traffic makes unlikely:
 *
 *   tail rule (the default): the smallest k with P(X >= k) < p for
 *     X ~ Poisson(mu), p = alpha / bins: the chance that normal traffic
 *     makes such a period anywhere in the corpus stays under alpha
 *     (Bonferroni over the bins a period could start in);
 *   z rule (--support-z Z): mu + z * sqrt(mu).
 *
 * support = the weights of its abnormal traces over the mean weight of the
 * abnormal traces outside every period (algos/confweight.h): abnormal
 * traces counted in the currency of the background's labels, so wrong
 * labels in normal traffic and the abnormal traces of a period are
 * measured alike, and the evidence a period needs grows with its traffic. */
#ifndef LE_SUPPORT_H
#define LE_SUPPORT_H

#include <stdint.h>

#include "periods.h"

/* The support a period of `traffic` traces needs: mu + z sqrt(mu). */
double le_support_needed(int64_t traffic, double share, double z);
/* The tail rule's: the smallest k >= 1 with P(X >= k) < p, X ~ Poisson(mu). */
double le_support_needed_tail(int64_t traffic, double share, double p);

/* Keep the periods whose parts hold at least min_traces abnormal traces
 * (le_period.n_traces) and whose summed support reaches what their summed
 * traffic needs: the tail rule at p when p > 0, else the z rule. part,
 * group (nondecreasing), support and traffic [n] are compacted together
 * and the periods renumbered 0, 1, ...; returns the parts left, *dropped
 * the periods dropped. */
int64_t le_groups_keep_supported(le_period *part, int64_t *group, double *support, int64_t *traffic, int64_t n, double share,
                                 double z, double p, int64_t min_traces, int64_t *dropped);

#endif
