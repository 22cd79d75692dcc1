/* graphbatch: many traces as one block graph (no MPI).
 *
 * Nodes of all traces are concatenated; trace g owns nodes
 * [graph_off[g], graph_off[g+1]). Each node i aggregates over its
 * neighbours nbr[nbr_off[i] .. nbr_off[i+1]): itself first, then its parent,
 * then its children (parent↔child edges in both directions plus a self loop),
 * so a trace of n spans has n + 2(n-1) edges. Buffers grow geometrically and
 * are reused: adding a trace allocates nothing once the batch has reached
 * its working size. */
#ifndef LE_GRAPHBATCH_H
#define LE_GRAPHBATCH_H

#include <stddef.h>
#include <stdint.h>

typedef struct le_graphbatch {
    int32_t n_graphs, n_nodes, n_edges;
    int32_t *graph_off;  /* [G + 1] */
    int32_t *node_graph; /* [N] the trace of each node */
    int32_t *op;         /* [N] corpus operation id */
    float *time;         /* [N × 4] normalised time features */
    int8_t *status;      /* [N] status class */
    int32_t *nbr_off;    /* [N + 1] CSR of in-neighbours */
    int32_t *nbr;        /* [E] */
    size_t cap_g, cap_n, cap_e;
} le_graphbatch;

void le_gb_init(le_graphbatch *b);
void le_gb_free(le_graphbatch *b);
void le_gb_reset(le_graphbatch *b);
/* Make room for g more graphs with n more nodes in total. */
void le_gb_reserve(le_graphbatch *b, size_t g, size_t n);
/* Append one trace of n spans in preorder (parent[0] = -1). time is [n × 4]. */
void le_gb_add_trace(le_graphbatch *b, int n, const int32_t *parent, const int32_t *op, const float *time,
                     const int8_t *status);

#endif
