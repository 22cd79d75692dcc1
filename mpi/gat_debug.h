/* gat_debug: what the PyTorch cross-check and the benchmark need from the
 * C encoder — a dump of one fixed batch (inputs, weights, outputs, loss,
 * gradients) that tests/torch/gat_reference.py recomputes, and the timing
 * of embed and train steps on real traces. Single process (rank 0). */
#ifndef LE_GAT_DEBUG_H
#define LE_GAT_DEBUG_H

#include <stdint.h>

#include "corpus.h"
#include "model.h"

/* Random batch + random weights (a pure function of seed) → path. */
int le_gat_dump_reference(const char *path, uint64_t seed);

/* Benchmark on the first n traces of c with model m: prints key: value lines
 * (our embed rate, train step time, dense GFLOP/s, same-shape sgemm GFLOP/s)
 * and writes the featurised traces + weights to dump for bench/gat_torch.py. */
int le_gat_bench(le_corpus *c, const le_model *m, int64_t n, int64_t batch, const char *dump);

#endif
