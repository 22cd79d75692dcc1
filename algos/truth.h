/* truth: the pieces of the visible ground truth of a corpus that has only a
 * fault list (no MPI; the collective driver is mpi/truth_dist.h).
 *
 * A fault list says where and when a fault was injected, not which traces
 * it touched. "Started in the window and passed through the service" marks
 * every such trace, though most faults (CPU contention, a network delay)
 * slow only some of them, so that truth counts as abnormal many traces the
 * fault never reached. The visible truth (docs/rootcause.md): a trace is
 * abnormal when it starts inside a fault's window and one of its spans on
 * the faulty service shows the fault, i.e. the span
 *   - failed (error flag), or
 *   - has a self time (its duration less the durations of its direct
 *     children) above the LE_VIS_QUANTILE quantile of its operation's self
 *     time over the spans of the reference traces (those that start outside
 *     every fault window), or
 *   - has a call structure (its operation and the multiset of its
 *     children's operations) that no reference trace has.
 * The 99.9th percentile: with the 99th, 6-8% of fault-free traces through
 * a service are flagged by chance, too many to score against. */
#ifndef LE_TRUTH_H
#define LE_TRUTH_H

#include <stdint.h>

#define LE_VIS_QUANTILE 0.999

/* A fault's service (index in the service table, -1 when absent) and
 * window [start_us, end_us], both ends inside. */
typedef struct le_vis_fault {
    int32_t service;
    int64_t start_us, end_us;
} le_vis_fault;

/* self [n]: each span's duration less the summed durations of its direct
 * children (spans in preorder, parent[i] < i; may be negative when children
 * overlap). */
void le_vis_selftime(const int32_t *parent, const int64_t *duration_us, int64_t n, int64_t *self);

/* h [n]: each span's call structure, a hash of its operation and the
 * multiset of its direct children's operations (order does not matter). */
void le_vis_structure(const int32_t *parent, const int32_t *operation, int64_t n, uint64_t *h);

/* 1 when start_us lies outside every fault window (a reference trace). */
int le_vis_outside(const le_vis_fault *f, int32_t nf, int64_t start_us);

/* Whether the span shows a fault: failed, self time above its operation's
 * threshold, or a structure not in the sorted reference set ref [n_ref]. */
int le_vis_span_shows(int8_t error, int64_t self, double threshold, uint64_t structure, const uint64_t *ref, int64_t n_ref);

/* The fault that made a trace visible: the first fault (in list order)
 * whose window holds start_us and whose service has a span with shows[i]
 * set; -1 when none. service, shows: the trace's spans [n]. */
int32_t le_vis_trace_fault(const le_vis_fault *f, int32_t nf, int64_t start_us, const int32_t *service, const uint8_t *shows,
                           int64_t n);

/* Whether any span of the trace is on service s (and, with shows, shows). */
int le_vis_touches(const int32_t *service, const uint8_t *shows, int64_t n, int32_t s);

#endif
