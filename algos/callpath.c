#include "callpath.h"

#include <math.h>
#include <stdlib.h>

#include "hash.h"
#include "le_base.h"

void le_callpath_ids(const int32_t *parent, const int32_t *operation, int64_t n_spans, uint64_t *id)
{
    for (int64_t i = 0; i < n_spans; i++) {
        uint64_t up = parent[i] >= 0 && parent[i] < i ? id[parent[i]] : 0x63616c6c70617468ULL; /* "callpath" */
        id[i] = le_mix64(up * 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uint32_t)operation[i]);
    }
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* Slot of v in an open-addressing set of cap (a power of two) slots. */
static int64_t set_slot(const uint64_t *slot, const uint8_t *used, int64_t cap, uint64_t v)
{
    int64_t h = (int64_t)(v & (uint64_t)(cap - 1)); /* ids are hashes already */
    while (used[h] && slot[h] != v) h = (h + 1) & (cap - 1);
    return h;
}

/* Moves the distinct ids to the front, in first-seen order. The set grows
 * with the distinct count, not with n: a shard has millions of spans but
 * few call paths, and sorting every span's id was most of the vocabulary's
 * time. */
static int64_t distinct_to_front(uint64_t *id, int64_t n)
{
    int64_t cap = 256, m = 0;
    uint64_t *slot = le_malloc(sizeof *slot * (size_t)cap);
    uint8_t *used = le_calloc((size_t)cap, 1);
    for (int64_t i = 0; i < n; i++) {
        uint64_t v = id[i];
        int64_t h = set_slot(slot, used, cap, v);
        if (used[h]) continue;
        used[h] = 1, slot[h] = v, id[m++] = v;
        if (2 * m <= cap) continue;
        cap *= 2; /* rebuild from the distinct ids so far */
        free(slot), free(used);
        slot = le_malloc(sizeof *slot * (size_t)cap), used = le_calloc((size_t)cap, 1);
        for (int64_t j = 0; j < m; j++) {
            int64_t g = set_slot(slot, used, cap, id[j]);
            used[g] = 1, slot[g] = id[j];
        }
    }
    free(slot), free(used);
    return m;
}

int64_t le_callpath_unique(uint64_t *id, int64_t n)
{
    if (n <= 0) return 0;
    int64_t m = distinct_to_front(id, n);
    qsort(id, (size_t)m, sizeof *id, cmp_u64);
    return m;
}

int64_t le_callpath_find(const uint64_t *voc, int64_t n, uint64_t id)
{
    if (n <= 0) return -1;
    /* Branch-free lower bound (the step compiles to a conditional move):
     * called for every span several times, on ids whose order is random,
     * where a branchy search mispredicts about every other step. */
    const uint64_t *base = voc;
    for (int64_t len = n; len > 1; len -= len / 2) base = base[len / 2 - 1] < id ? base + len / 2 : base;
    int64_t lo = (base - voc) + (*base < id);
    return lo < n && voc[lo] == id ? lo : -1;
}

void le_welford_merge(le_welford *into, const le_welford *from)
{
    double n = into->n + from->n;
    if (n == 0) return;
    double dlt = from->mean - into->mean;
    into->mean += dlt * from->n / n;
    into->m2 += from->m2 + dlt * dlt * into->n * from->n / n;
    into->n = n;
}

double le_welford_std(const le_welford *w) { return w->n > 1 ? sqrt(w->m2 / w->n) : 0; }

void le_callpath_index(const uint64_t *ids, int64_t n, const uint64_t *voc, int64_t n_voc, int32_t *pidx)
{
    for (int64_t i = 0; i < n; i++) pidx[i] = (int32_t)le_callpath_find(voc, n_voc, ids[i]);
}
