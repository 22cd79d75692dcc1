#include "graphbatch.h"

#include <stdlib.h>
#include <string.h>

#include "spanfeat.h"
#include "le_base.h"

void le_gb_init(le_graphbatch *b)
{
    memset(b, 0, sizeof *b);
    le_gb_reserve(b, 64, 1024);
    le_gb_reset(b);
}

void le_gb_free(le_graphbatch *b)
{
    free(b->graph_off), free(b->node_graph), free(b->op), free(b->time), free(b->status), free(b->nbr_off), free(b->nbr);
    memset(b, 0, sizeof *b);
}

void le_gb_reset(le_graphbatch *b)
{
    b->n_graphs = b->n_nodes = b->n_edges = 0;
    b->graph_off[0] = 0;
    b->nbr_off[0] = 0;
}

static size_t grow(size_t cap, size_t need)
{
    while (cap < need) cap = cap ? 2 * cap : 64;
    return cap;
}

void le_gb_reserve(le_graphbatch *b, size_t g, size_t n)
{
    size_t ng = (size_t)b->n_graphs + g + 1, nn = (size_t)b->n_nodes + n + 1, ne = (size_t)b->n_edges + 3 * n;
    if (ng > b->cap_g) {
        b->cap_g = grow(b->cap_g, ng);
        b->graph_off = le_realloc(b->graph_off, sizeof(int32_t) * b->cap_g);
    }
    if (nn > b->cap_n) {
        b->cap_n = grow(b->cap_n, nn);
        b->node_graph = le_realloc(b->node_graph, sizeof(int32_t) * b->cap_n);
        b->op = le_realloc(b->op, sizeof(int32_t) * b->cap_n);
        b->time = le_realloc(b->time, sizeof(float) * LE_NTIME * b->cap_n);
        b->status = le_realloc(b->status, b->cap_n);
        b->nbr_off = le_realloc(b->nbr_off, sizeof(int32_t) * b->cap_n);
    }
    if (ne > b->cap_e) {
        b->cap_e = grow(b->cap_e, ne);
        b->nbr = le_realloc(b->nbr, sizeof(int32_t) * b->cap_e);
    }
}

void le_gb_add_trace(le_graphbatch *b, int n, const int32_t *parent, const int32_t *op, const float *time,
                     const int8_t *status)
{
    le_gb_reserve(b, 1, (size_t)n);
    const int32_t base = b->n_nodes, g = b->n_graphs;
    int32_t *off = b->nbr_off + base; /* off[0] is already the start of this trace's edges */
    /* degrees: self + parent + children; counted into off[i+1], then prefix-summed */
    for (int i = 0; i < n; i++) off[i + 1] = 1 + (parent[i] >= 0);
    for (int i = 1; i < n; i++)
        if (parent[i] >= 0) off[parent[i] + 1]++;
    for (int i = 0; i < n; i++) off[i + 1] += off[i];
    /* fill: self and parent first; children in preorder after them (cursor = end of filled part) */
    for (int i = 0; i < n; i++) {
        b->nbr[off[i]] = base + i;
        if (parent[i] >= 0) b->nbr[off[i] + 1] = base + parent[i];
    }
    /* children cursor per node: reuse node_graph of this trace as scratch before it is written */
    int32_t *cur = b->node_graph + base;
    for (int i = 0; i < n; i++) cur[i] = off[i] + 1 + (parent[i] >= 0);
    for (int i = 1; i < n; i++)
        if (parent[i] >= 0) b->nbr[cur[parent[i]]++] = base + i;
    for (int i = 0; i < n; i++) {
        b->node_graph[base + i] = g;
        b->op[base + i] = op[i];
        b->status[base + i] = status[i];
    }
    memcpy(b->time + (size_t)base * LE_NTIME, time, sizeof(float) * LE_NTIME * (size_t)n);
    b->n_nodes += n;
    b->n_edges = off[n];
    b->n_graphs++;
    b->graph_off[b->n_graphs] = b->n_nodes;
}
