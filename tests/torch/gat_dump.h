/* gat_dump: the file tests/torch/gat_reference.py loads — a model file
 * (io/model.h: weights, tensors, configuration) with the batch it was run
 * on under /batch (CSR graph, node inputs, operation map, triplets).
 * tests/torch/gat_reference_dump.c adds the encoder's outputs and gradients
 * (/out) for the PyTorch cross-check; bench/gat_bench.c writes the traces
 * it timed, for bench/gat_torch.py to time torch on the same input. */
#ifndef GAT_DUMP_H
#define GAT_DUMP_H

#include <hdf5.h>
#include <stdint.h>

#include "graphbatch.h"
#include "h5util.h"
#include "model.h"
#include "spanfeat.h"

/* One whole dataset of d0 (x d1) elements, failing with the file's path. */
#define GAT_DUMP_PUT(f, name, type, d0, d1, buf, path) \
    LE_CHECK(le_h5_put_small(f, name, type, (hsize_t)(d0), (hsize_t)(d1), buf, path))

/* The model file at path plus /batch (T triplets of trace indices); the
 * file is left open in *out (negative when it could not be opened) for
 * whatever the caller adds. */
int gat_dump_write(const char *path, const le_model *md, const le_graphbatch *gb, const le_opmap *m, const int32_t *trip,
                   int T, hid_t *out);

#endif
