#include "gat_dump.h"

/* The batch as the reference reads it: CSR graph, node inputs, op map, triplets. */
static int dump_batch(hid_t f, const char *path, const le_graphbatch *gb, const le_opmap *m, const int32_t *trip, int T)
{
    LE_H5(H5Gclose(H5Gcreate2(f, "batch", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)), "%s: /batch", path);
    GAT_DUMP_PUT(f, "batch/graph_off", H5T_NATIVE_INT32, gb->n_graphs + 1, 0, gb->graph_off, path);
    GAT_DUMP_PUT(f, "batch/node_graph", H5T_NATIVE_INT32, gb->n_nodes, 0, gb->node_graph, path);
    GAT_DUMP_PUT(f, "batch/op", H5T_NATIVE_INT32, gb->n_nodes, 0, gb->op, path);
    GAT_DUMP_PUT(f, "batch/time", H5T_NATIVE_FLOAT, gb->n_nodes, LE_NTIME, gb->time, path);
    GAT_DUMP_PUT(f, "batch/status", H5T_NATIVE_INT8, gb->n_nodes, 0, gb->status, path);
    GAT_DUMP_PUT(f, "batch/nbr_off", H5T_NATIVE_INT32, gb->n_nodes + 1, 0, gb->nbr_off, path);
    GAT_DUMP_PUT(f, "batch/nbr", H5T_NATIVE_INT32, gb->n_edges, 0, gb->nbr, path);
    GAT_DUMP_PUT(f, "batch/op_vocab", H5T_NATIVE_INT32, m->n_ops, 0, m->vocab, path);
    GAT_DUMP_PUT(f, "batch/op_tok_off", H5T_NATIVE_INT32, m->n_ops + 1, 0, m->tok_off, path);
    GAT_DUMP_PUT(f, "batch/op_tok", H5T_NATIVE_INT32, m->tok_off[m->n_ops], 0, m->tok, path);
    GAT_DUMP_PUT(f, "batch/trip", H5T_NATIVE_INT32, T, 3, trip, path);
    return 0;
}

int gat_dump_write(const char *path, const le_model *md, const le_graphbatch *gb, const le_opmap *m, const int32_t *trip,
                   int T, hid_t *out)
{
    *out = -1;
    LE_CHECK(le_model_write(path, md));
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return le_fail(LE_ERR_IO, "%s: cannot reopen", path);
    *out = f;
    return dump_batch(f, path, gb, m, trip, T);
}
