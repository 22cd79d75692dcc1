#include "truth.h"

#include "hash.h"
#include "le_base.h"
#include "callpath.h" /* sorted sets of 64-bit ids */

void le_vis_selftime(const int32_t *parent, const int64_t *duration_us, int64_t n, int64_t *self)
{
    for (int64_t i = 0; i < n; i++) self[i] = duration_us[i];
    for (int64_t i = 0; i < n; i++)
        if (parent[i] >= 0 && parent[i] < i) self[parent[i]] -= duration_us[i];
}

/* A child's operation enters its parent's structure as a sum of mixed
 * values: sums do not depend on the children's order, and equal multisets
 * give equal sums. */
static uint64_t child_term(int32_t op) { return le_mix64(0x6368696c64ULL ^ ((uint64_t)(uint32_t)op << 8)); /* "child" */ }

void le_vis_structure(const int32_t *parent, const int32_t *operation, int64_t n, uint64_t *h)
{
    for (int64_t i = 0; i < n; i++) h[i] = 0;
    for (int64_t i = 0; i < n; i++)
        if (parent[i] >= 0 && parent[i] < i) h[parent[i]] += child_term(operation[i]);
    for (int64_t i = 0; i < n; i++) h[i] = le_mix64(h[i] * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uint32_t)operation[i]);
}

int le_vis_outside(const le_vis_fault *f, int32_t nf, int64_t start_us)
{
    for (int32_t j = 0; j < nf; j++)
        if (f[j].start_us <= start_us && start_us <= f[j].end_us) return 0;
    return 1;
}

int le_vis_span_shows(int8_t error, int64_t self, double threshold, uint64_t structure, const uint64_t *ref, int64_t n_ref)
{
    return error != 0 || (double)self > threshold || le_callpath_find(ref, n_ref, structure) < 0;
}

int le_vis_touches(const int32_t *service, const uint8_t *shows, int64_t n, int32_t s)
{
    for (int64_t i = 0; i < n; i++)
        if (service[i] == s && (!shows || shows[i])) return 1;
    return 0;
}

int32_t le_vis_trace_fault(const le_vis_fault *f, int32_t nf, int64_t start_us, const int32_t *service, const uint8_t *shows,
                           int64_t n)
{
    for (int32_t j = 0; j < nf; j++)
        if (f[j].service >= 0 && f[j].start_us <= start_us && start_us <= f[j].end_us &&
            le_vis_touches(service, shows, n, f[j].service))
            return j;
    return -1;
}
