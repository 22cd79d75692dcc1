/* tracetree: turn one trace's spans into a rooted tree (no MPI).
 *
 * Input: n spans with parent[i] = index of the parent span, LE_TT_ROOT when
 * the span declares no parent, LE_TT_MISSING when it names a parent that is
 * not in the trace; start[i] orders siblings.
 *
 * Two ways to choose what is kept (mode):
 *
 * LE_TT_FIRST_ROOT: the subtree of one root. Root choice: the true root
 * (no parent) with the largest subtree, then the earliest start, then the
 * smallest index. With no true root, the earliest span whose parent is
 * missing is promoted (real traces often begin in an uninstrumented caller).
 * Every other span is classified by where its parent chain ends: at another
 * root (LE_TT_EXTRA_ROOT), at a missing parent (LE_TT_ORPHAN) or in a
 * cycle (LE_TT_CYCLE).
 *
 * LE_TT_WHOLE: every span not on a cycle is kept. The tops are the true
 * roots, or, when there is none, the spans whose parent is missing. One top
 * is the root (promoted when its parent is missing); several hang under a
 * virtual root, node n, which the caller makes up (docs/ingest.md,
 * "Several roots"). A span whose parent is missing while the trace has a
 * true root is attached to the root, or to the virtual root when there are
 * several: the nearest ancestor known, as Zipkin's tree builder does for
 * headless traces. */
#ifndef LE_TRACETREE_H
#define LE_TRACETREE_H

#include <stdint.h>

#define LE_TT_ROOT (-1)
#define LE_TT_MISSING (-2)

enum { LE_TT_KEPT = 0, LE_TT_ORPHAN = 1, LE_TT_EXTRA_ROOT = 2, LE_TT_CYCLE = 3 };
enum { LE_TT_FIRST_ROOT = 0, LE_TT_WHOLE = 1 };

/* Workspace for n spans; reuse across traces to avoid allocation per trace. */
typedef struct le_tt_work {
    int32_t cap;
    int32_t *head, *next, *stack, *top, *size, *state, *par;
} le_tt_work;

void le_tt_work_free(le_tt_work *w);

/* What the tree of one trace needed beyond its spans. */
typedef struct le_tt_info {
    int promoted;     /* the root's parent is missing */
    int virtual_root; /* order[0] == n: several tops under a virtual root */
    int32_t attached; /* spans with a missing parent hung under the (virtual) root */
} le_tt_info;

/* Fills cls[n] (LE_TT_*), order[k] = input index of the k-th kept span in
 * depth-first preorder (children by start, then index; n for the virtual
 * root), new_parent[k] = position in order of its parent (-1 for the
 * root). order and new_parent hold n + 1. Returns k, the number of kept
 * nodes (0 only when n == 0 or every span lies on a cycle). */
int32_t le_tt_build(int32_t n, const int32_t *parent, const int64_t *start, int mode, le_tt_work *w, int32_t *cls,
                    int32_t *order, int32_t *new_parent, le_tt_info *info);

#endif
