/* tracetree: turn one trace's spans into a rooted tree (no MPI).
 *
 * Input: n spans with parent[i] = index of the parent span, LE_TT_ROOT when
 * the span declares no parent, LE_TT_MISSING when it names a parent that is
 * not in the trace; start[i] orders siblings.
 *
 * The kept tree is the subtree of one root. Root choice: the true root
 * (no parent) with the largest subtree, then the earliest start, then the
 * smallest index. With no true root, the earliest span whose parent is
 * missing is promoted (real traces often begin in an uninstrumented caller);
 * *promoted tells the caller. Every other span is classified by where its
 * parent chain ends: at another root (LE_TT_EXTRA_ROOT), at a missing parent
 * (LE_TT_ORPHAN) or in a cycle (LE_TT_CYCLE). */
#ifndef LE_TRACETREE_H
#define LE_TRACETREE_H

#include <stdint.h>

#define LE_TT_ROOT (-1)
#define LE_TT_MISSING (-2)

enum { LE_TT_KEPT = 0, LE_TT_ORPHAN = 1, LE_TT_EXTRA_ROOT = 2, LE_TT_CYCLE = 3 };

/* Workspace for n spans; reuse across traces to avoid allocation per trace. */
typedef struct le_tt_work {
    int32_t cap;
    int32_t *head, *next, *stack, *top, *size, *state;
} le_tt_work;

void le_tt_work_free(le_tt_work *w);

/* Fills cls[n] (LE_TT_*), order[k] = input index of the k-th kept span in
 * depth-first preorder (children by start, then index), new_parent[k] =
 * position in order of its parent (-1 for the root). Returns k, the number
 * of kept spans (0 only when n == 0 or every span lies on a cycle). */
int32_t le_tt_build(int32_t n, const int32_t *parent, const int64_t *start, le_tt_work *w, int32_t *cls, int32_t *order,
                    int32_t *new_parent, int *promoted);

#endif
