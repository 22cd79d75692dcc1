/* countmap: counts keyed by a 64-bit integer, for counts that are sparse
 * in a large key space (rootcause's caller -> callee edges per period:
 * periods x services² possible keys, a few hundred that occur). Open
 * addressing with linear probing; a slot is empty while its count is 0, so
 * only positive increments are allowed. No MPI (the distributed sum of
 * such counts is le_allreduce_pairs in mpi/exchange.h). */
#ifndef LE_COUNTMAP_H
#define LE_COUNTMAP_H

#include <stddef.h>
#include <stdint.h>

/* One key and its count: the form counts take outside the map. */
typedef struct le_kc {
    uint64_t key;
    int64_t count;
} le_kc;

typedef struct le_countmap {
    le_kc *slot; /* [cap], count 0 = empty */
    size_t n;    /* keys present */
    size_t cap;  /* power of two, 0 before the first add */
} le_countmap;

/* Add inc (> 0) to key's count. */
void le_countmap_add(le_countmap *m, uint64_t key, int64_t inc);
/* The count of key, 0 when absent. */
int64_t le_countmap_get(const le_countmap *m, uint64_t key);
/* The pairs sorted by key: *out allocated (never NULL), returns their number. */
int64_t le_countmap_pairs(const le_countmap *m, le_kc **out);
void le_countmap_free(le_countmap *m);

/* Sort pairs by key and sum the counts of equal keys in place; returns the
 * number of distinct keys left at the front. */
int64_t le_kc_sum_sorted(le_kc *v, int64_t n);

#endif
