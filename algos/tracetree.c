#include "tracetree.h"

#include <stdlib.h>

#include "le_base.h"

void le_tt_work_free(le_tt_work *w)
{
    free(w->head);
    free(w->next);
    free(w->stack);
    free(w->top);
    free(w->size);
    free(w->state);
    free(w->par);
    *w = (le_tt_work){0};
}

static void work_reserve(le_tt_work *w, int32_t n)
{
    n++; /* room for a virtual root */
    if (n <= w->cap) return;
    int32_t cap = w->cap ? w->cap : 64;
    while (cap < n) cap *= 2;
    w->head = le_realloc(w->head, (size_t)cap * sizeof(int32_t));
    w->next = le_realloc(w->next, (size_t)cap * sizeof(int32_t));
    w->stack = le_realloc(w->stack, (size_t)cap * sizeof(int32_t));
    w->top = le_realloc(w->top, (size_t)cap * sizeof(int32_t));
    w->size = le_realloc(w->size, (size_t)cap * sizeof(int32_t));
    w->state = le_realloc(w->state, (size_t)cap * sizeof(int32_t));
    w->par = le_realloc(w->par, (size_t)cap * sizeof(int32_t));
    w->cap = cap;
}

/* top[i] = the span where i's parent chain ends: a root (its own index),
 * a span whose parent is missing, or -1 when the chain enters a cycle.
 * Iterative path walk with memo: state 0 new, 1 on the current path, 2 done. */
static void find_tops(int32_t n, const int32_t *parent, le_tt_work *w)
{
    int32_t *state = w->state, *top = w->top, *path = w->stack;
    for (int32_t i = 0; i < n; i++) state[i] = 0;
    for (int32_t i = 0; i < n; i++) {
        int32_t len = 0, v = i, t;
        while (state[v] == 0 && parent[v] >= 0) {
            state[v] = 1;
            path[len++] = v;
            v = parent[v];
        }
        if (state[v] == 2)
            t = top[v];
        else if (state[v] == 1)
            t = -1; /* walked into our own path: cycle */
        else {
            t = v;
            state[v] = 2;
            top[v] = v;
        } /* a root or a missing parent */
        while (len > 0) {
            int32_t u = path[--len];
            state[u] = 2;
            top[u] = t;
        }
    }
}

static int32_t choose_root(int32_t n, const int32_t *parent, const int64_t *start, le_tt_work *w, int *promoted)
{
    int32_t *size = w->size;
    for (int32_t i = 0; i < n; i++) size[i] = 0;
    for (int32_t i = 0; i < n; i++)
        if (w->top[i] >= 0) size[w->top[i]]++;
    int32_t best = -1;
    for (int32_t i = 0; i < n; i++) {
        if (parent[i] != LE_TT_ROOT) continue;
        if (best < 0 || size[i] > size[best] || (size[i] == size[best] && start[i] < start[best])) best = i;
    }
    *promoted = 0;
    if (best >= 0) return best;
    for (int32_t i = 0; i < n; i++)
        if (parent[i] == LE_TT_MISSING && (best < 0 || start[i] < start[best])) best = i;
    *promoted = best >= 0;
    return best;
}

/* Children lists sorted by (start, index) over par[] (node n is the
 * virtual root): insertion into singly linked lists; traces are small, and
 * siblings arrive mostly in order. */
static void link_children(int32_t n, const int64_t *start, const int32_t *cls, le_tt_work *w)
{
    for (int32_t i = 0; i <= n; i++) w->head[i] = -1;
    for (int32_t i = n - 1; i >= 0; i--) {
        if (cls[i] != LE_TT_KEPT || w->par[i] < 0) continue;
        int32_t *link = &w->head[w->par[i]];
        while (*link >= 0 && (start[*link] < start[i] || (start[*link] == start[i] && *link < i))) link = &w->next[*link];
        w->next[i] = *link;
        *link = i;
    }
}

/* First-root mode: one root's subtree, everything else classified. */
static int32_t classify_first_root(int32_t n, const int32_t *parent, const int64_t *start, le_tt_work *w, int32_t *cls,
                                   le_tt_info *info)
{
    int32_t root = choose_root(n, parent, start, w, &info->promoted);
    for (int32_t i = 0; i < n; i++) {
        int32_t t = w->top[i];
        if (t < 0)
            cls[i] = LE_TT_CYCLE;
        else if (t == root)
            cls[i] = LE_TT_KEPT;
        else
            cls[i] = parent[t] == LE_TT_ROOT ? LE_TT_EXTRA_ROOT : LE_TT_ORPHAN;
        w->par[i] = parent[i] >= 0 ? parent[i] : -1;
    }
    return root;
}

/* Whole mode: every span off a cycle kept; tops under one root or node n. */
static int32_t classify_whole(int32_t n, const int32_t *parent, const int64_t *start, le_tt_work *w, int32_t *cls,
                              le_tt_info *info)
{
    int32_t roots = 0, missing = 0, first = -1;
    for (int32_t i = 0; i < n; i++) {
        roots += parent[i] == LE_TT_ROOT;
        missing += parent[i] == LE_TT_MISSING;
    }
    int top_kind = roots ? LE_TT_ROOT : LE_TT_MISSING;
    for (int32_t i = 0; i < n; i++)
        if (parent[i] == top_kind && (first < 0 || start[i] < start[first])) first = i;
    int32_t tops = roots ? roots : missing;
    int32_t root = tops > 1 ? n : first; /* -1 when every span is on a cycle */
    info->virtual_root = tops > 1;
    info->promoted = tops == 1 && !roots;
    info->attached = roots || tops > 1 ? missing : 0;
    for (int32_t i = 0; i < n; i++) {
        cls[i] = w->top[i] < 0 ? LE_TT_CYCLE : LE_TT_KEPT;
        w->par[i] = parent[i] >= 0 ? parent[i] : i == root ? -1 : root;
    }
    return root;
}

int32_t le_tt_build(int32_t n, const int32_t *parent, const int64_t *start, int mode, le_tt_work *w, int32_t *cls,
                    int32_t *order, int32_t *new_parent, le_tt_info *info)
{
    *info = (le_tt_info){0};
    if (n <= 0) return 0;
    work_reserve(w, n);
    find_tops(n, parent, w);
    int32_t root = mode == LE_TT_WHOLE ? classify_whole(n, parent, start, w, cls, info)
                                       : classify_first_root(n, parent, start, w, cls, info);
    if (root < 0) return 0;
    link_children(n, start, cls, w);
    /* preorder DFS; w->size reused as "position in order" */
    int32_t k = 0, sp = 0;
    w->stack[sp++] = root;
    while (sp > 0) {
        int32_t v = w->stack[--sp];
        w->size[v] = k;
        order[k] = v;
        new_parent[k] = v == root ? -1 : w->size[w->par[v]];
        k++;
        /* push children in reverse so the earliest is visited first */
        int32_t c0 = sp;
        for (int32_t c = w->head[v]; c >= 0; c = w->next[c]) w->stack[sp++] = c;
        for (int32_t a = c0, b = sp - 1; a < b; a++, b--) {
            int32_t t = w->stack[a];
            w->stack[a] = w->stack[b];
            w->stack[b] = t;
        }
    }
    return k;
}
