#include "countmap.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "le_base.h"

static size_t slot_of(const le_countmap *m, uint64_t key)
{
    size_t i = (size_t)le_mix64(key) & (m->cap - 1);
    while (m->slot[i].count && m->slot[i].key != key) i = (i + 1) & (m->cap - 1);
    return i;
}

/* Double the table (or make the first one) and re-insert what it held. */
static void grow(le_countmap *m)
{
    le_countmap old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->slot = le_calloc(m->cap, sizeof *m->slot);
    for (size_t i = 0; i < old.cap; i++)
        if (old.slot[i].count) m->slot[slot_of(m, old.slot[i].key)] = old.slot[i];
    free(old.slot);
}

void le_countmap_add(le_countmap *m, uint64_t key, int64_t inc)
{
    if (2 * (m->n + 1) > m->cap) grow(m); /* at most half full: short probes */
    size_t i = slot_of(m, key);
    if (!m->slot[i].count) m->slot[i].key = key, m->n++;
    m->slot[i].count += inc;
}

int64_t le_countmap_get(const le_countmap *m, uint64_t key) { return m->cap ? m->slot[slot_of(m, key)].count : 0; }

static int by_key(const void *a, const void *b)
{
    uint64_t x = ((const le_kc *)a)->key, y = ((const le_kc *)b)->key;
    return x < y ? -1 : x > y;
}

int64_t le_countmap_pairs(const le_countmap *m, le_kc **out)
{
    le_kc *v = le_malloc(sizeof *v * (m->n + 1));
    int64_t n = 0;
    for (size_t i = 0; i < m->cap; i++)
        if (m->slot[i].count) v[n++] = m->slot[i];
    qsort(v, (size_t)n, sizeof *v, by_key);
    *out = v;
    return n;
}

void le_countmap_free(le_countmap *m)
{
    free(m->slot);
    memset(m, 0, sizeof *m);
}

int64_t le_kc_sum_sorted(le_kc *v, int64_t n)
{
    qsort(v, (size_t)n, sizeof *v, by_key);
    int64_t w = 0;
    for (int64_t i = 0; i < n; i++) {
        if (w && v[w - 1].key == v[i].key)
            v[w - 1].count += v[i].count;
        else
            v[w++] = v[i];
    }
    return w;
}
