/* sbfl: spectrum-based fault localization over services (LabelEase §III-D,
 * Eq. 3) and the statistics that order services where counts alone tie or
 * mislead. No MPI: counts come in already reduced.
 *
 * For a service O in a period: ef = abnormal traces through O, ep = normal
 * traces through O, nf = abnormal traces not through O, np = normal traces
 * not through O. Counts may be weighted (algos/confweight.h): a trace then
 * adds its label's weight instead of 1, and the formulas read the sums in
 * trace units. */
#ifndef LE_SBFL_H
#define LE_SBFL_H

#include <stdint.h>

#include "countmap.h"

typedef struct le_sbfl {
    double ef, ep, nf, np;
} le_sbfl;

typedef enum le_sbfl_formula {
    LE_SBFL_OCHIAI,    /* ef / sqrt((ef+ep)(ef+nf)), the paper's Eq. 3 */
    LE_SBFL_TARANTULA, /* (ef/F) / (ef/F + ep/P) */
    LE_SBFL_DSTAR,     /* ef^2 / (ep + nf), DStar with exponent 2 */
    LE_SBFL_JACCARD,   /* ef / (ef + nf + ep) */
    LE_SBFL_N_FORMULAS
} le_sbfl_formula;

/* Score of one service; 0 where the formula is 0/0 (nothing failed through
 * it). DStar's perfect suspect (ep + nf = 0) would be infinite: it gets
 * ef^2 / 0.5 instead, so it still ranks first and stays a finite number. */
double le_sbfl_score(le_sbfl_formula f, le_sbfl c);
const char *le_sbfl_name(le_sbfl_formula f);
/* Parse ochiai|tarantula|dstar|jaccard; -1 when unknown. */
int le_sbfl_parse(const char *name);

/* Latency statistics use le_welford from stv.h (Welford, merged by Chan). */

/* Call depth of each service in a period's invocation graph: 0 for a
 * present service nobody calls (an entry), else 1 + the depth of its
 * shallowest caller (breadth-first); -1 for services not present.
 * edges [n_edges]: key a * n + b for "a called b" with its count, sorted
 * by key (only the calls that occurred: memory O(services + edges), not
 * services²); present[s] nonzero when s occurs. */
void le_call_depth(int32_t n, int64_t n_edges, const le_kc *edges, const uint8_t *present, int32_t *depth);

/* A service at least this share of a period's abnormal traces point at
 * (evidence) is implicated: it ranks before every other. */
#define LE_SBFL_IMPLICATED 0.5

/* The ranking (docs/rootcause.md, "Ordering"). With tie > 0, first the
 * implicated services (evidence >= LE_SBFL_IMPLICATED), deeper first
 * (latency and errors propagate to callers: TraceAnomaly's rule), then
 * evidence, score, index. Then the others by score, but scores within a
 * relative `tie` of a group's leader form one group, ordered inside by
 * evidence (the share of abnormal traces whose own anomalous span points
 * at the service), then depth, score, index. Groups form among the others
 * alone, so that a few wrong labels moving an implicated service's score
 * do not regroup the rest. tie 0: by score, evidence, depth and index
 * only. order[0..n) receives service indices, best first. Every key is a
 * pure function of integer counts, so the order is the same at any rank
 * count. */
void le_sbfl_order(int32_t n, const double *score, const double *evidence, const int32_t *depth, double tie, int32_t *order);

#endif
