#include "strtab.h"

#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "le_base.h"

void le_strtab_init(le_strtab *t) { memset(t, 0, sizeof *t); }

void le_strtab_free(le_strtab *t)
{
    free(t->arena);
    free(t->offset);
    free(t->len);
    free(t->hash);
    free(t->slots);
    memset(t, 0, sizeof *t);
}

static void rehash(le_strtab *t, size_t nslots)
{
    free(t->slots);
    t->slots = le_calloc(nslots, sizeof *t->slots);
    t->nslots = nslots;
    for (size_t id = 0; id < t->n; id++) {
        size_t i = t->hash[id] & (nslots - 1);
        while (t->slots[i]) i = (i + 1) & (nslots - 1);
        t->slots[i] = (uint32_t)id + 1;
    }
}

static size_t probe(const le_strtab *t, const char *s, size_t n, uint64_t h)
{
    size_t mask = t->nslots - 1, i = h & mask;
    for (;;) {
        uint32_t v = t->slots[i];
        if (!v) return i;
        uint32_t id = v - 1;
        if (t->hash[id] == h && t->len[id] == n && memcmp(t->arena + t->offset[id], s, n) == 0) return i;
        i = (i + 1) & mask;
    }
}

uint32_t le_strtab_find(const le_strtab *t, const char *s, size_t n)
{
    if (!t->nslots) return UINT32_MAX;
    uint32_t v = t->slots[probe(t, s, n, le_hash64(s, n))];
    return v ? v - 1 : UINT32_MAX;
}

uint32_t le_strtab_intern(le_strtab *t, const char *s, size_t n)
{
    if (2 * (t->n + 1) > t->nslots) rehash(t, t->nslots ? 2 * t->nslots : 64);
    uint64_t h = le_hash64(s, n);
    size_t i = probe(t, s, n, h);
    if (t->slots[i]) return t->slots[i] - 1;
    size_t cap = t->cap;
    LE_RESERVE(t->offset, cap, t->n + 1);
    cap = t->cap;
    LE_RESERVE(t->len, cap, t->n + 1);
    LE_RESERVE(t->hash, t->cap, t->n + 1);
    LE_RESERVE(t->arena, t->arena_cap, t->arena_len + n + 1);
    uint32_t id = (uint32_t)t->n++;
    t->offset[id] = t->arena_len;
    t->len[id] = (uint32_t)n;
    t->hash[id] = h;
    memcpy(t->arena + t->arena_len, s, n);
    t->arena[t->arena_len + n] = 0;
    t->arena_len += n + 1;
    t->slots[i] = id + 1;
    return id;
}
