#include "sbfl.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "le_base.h"

static const char *const names[LE_SBFL_N_FORMULAS] = {"ochiai", "tarantula", "dstar", "jaccard"};

const char *le_sbfl_name(le_sbfl_formula f) { return f >= 0 && f < LE_SBFL_N_FORMULAS ? names[f] : "?"; }

int le_sbfl_parse(const char *name)
{
    for (int i = 0; i < LE_SBFL_N_FORMULAS; i++)
        if (!strcmp(name, names[i])) return i;
    return -1;
}

double le_sbfl_score(le_sbfl_formula f, le_sbfl c)
{
    double ef = c.ef, ep = c.ep, nf = c.nf, np = c.np;
    if (!(ef > 0)) return 0; /* every formula here is 0 (or 0/0) without a failing trace through it */
    switch (f) {
    case LE_SBFL_OCHIAI: return ef / sqrt((ef + ep) * (ef + nf));
    case LE_SBFL_TARANTULA: {
        double fail = ef / (ef + nf), pass = ep + np > 0 ? ep / (ep + np) : 0;
        return fail / (fail + pass);
    }
    case LE_SBFL_DSTAR: return ef * ef / (ep + nf > 0 ? ep + nf : 0.5);
    case LE_SBFL_JACCARD: return ef / (ef + nf + ep);
    default: return 0;
    }
}

void le_call_depth(int32_t n, int64_t n_edges, const le_kc *edges, const uint8_t *present, int32_t *depth)
{
    /* The edges by caller (CSR); the callees of one caller stay in key
     * order, so the breadth-first order is the dense matrix's row order. */
    int64_t *first = le_calloc((size_t)n + 1, sizeof *first);
    uint8_t *called = le_calloc((size_t)n + 1, 1);
    for (int64_t e = 0; e < n_edges; e++) {
        int32_t a = (int32_t)(edges[e].key / (uint64_t)n), b = (int32_t)(edges[e].key % (uint64_t)n);
        first[a + 1]++;
        if (a != b && edges[e].count > 0) called[b] = 1;
    }
    for (int32_t a = 0; a < n; a++) first[a + 1] += first[a];
    int32_t *queue = le_malloc(sizeof *queue * ((size_t)n + 1));
    int32_t head = 0, tail = 0;
    for (int32_t s = 0; s < n; s++) {
        depth[s] = -1;
        if (present[s] && !called[s]) depth[s] = 0, queue[tail++] = s;
    }
    while (head < tail) {
        int32_t a = queue[head++];
        for (int64_t e = first[a]; e < first[a + 1]; e++) {
            int32_t b = (int32_t)(edges[e].key % (uint64_t)n);
            if (depth[b] < 0 && present[b] && edges[e].count > 0) depth[b] = depth[a] + 1, queue[tail++] = b;
        }
    }
    /* Present services only reachable through a cycle: as deep as any seen. */
    int32_t deepest = 0;
    for (int32_t s = 0; s < n; s++) deepest = depth[s] > deepest ? depth[s] : deepest;
    for (int32_t s = 0; s < n; s++)
        if (present[s] && depth[s] < 0) depth[s] = deepest + 1;
    free(queue), free(first), free(called);
}

typedef struct key {
    int32_t s, group;
    double score, evidence;
    int32_t depth;
} key;

static int by_score(const void *a, const void *b)
{
    const key *x = a, *y = b;
    if (x->score != y->score) return x->score > y->score ? -1 : 1;
    return x->s - y->s;
}

static int in_group(const void *a, const void *b)
{
    const key *x = a, *y = b;
    if (x->group != y->group) return x->group - y->group;
    if (x->group < 0 && x->depth != y->depth) return x->depth > y->depth ? -1 : 1; /* implicated: callee first */
    if (x->evidence != y->evidence) return x->evidence > y->evidence ? -1 : 1;
    if (x->depth != y->depth) return x->depth > y->depth ? -1 : 1;
    return by_score(a, b);
}

void le_sbfl_order(int32_t n, const double *score, const double *evidence, const int32_t *depth, double tie, int32_t *order)
{
    key *k = le_malloc(sizeof *k * (size_t)n);
    for (int32_t s = 0; s < n; s++)
        k[s] = (key){.s = s, .score = score[s], .evidence = evidence ? evidence[s] : 0, .depth = depth ? depth[s] : 0};
    qsort(k, (size_t)n, sizeof *k, by_score);
    /* Groups: a leader and every following score within tie of it. A zero
     * score never joins a positive group (it has no failing trace). The
     * implicated are group -1. */
    double leader = 0;
    int32_t g = -1;
    for (int32_t i = 0; i < n; i++) {
        if (tie > 0 && k[i].evidence >= LE_SBFL_IMPLICATED) {
            k[i].group = -1;
            continue;
        }
        int joins = g >= 0 && k[i].score >= leader * (1 - tie) && (k[i].score > 0 || leader == 0);
        if (!joins) leader = k[i].score, g++;
        k[i].group = g;
    }
    qsort(k, (size_t)n, sizeof *k, in_group);
    for (int32_t i = 0; i < n; i++) order[i] = k[i].s;
    free(k);
}
