/* train_pool: what distributed training draws its triplets from.
 *
 * The vocabulary and the per-operation time statistics come from one
 * streamed pass over each rank's shard and one allreduce of integer sums
 * (exact, so the same at any rank count). The corpus is cut into windows of
 * `window` consecutive traces; a pool of `pool` windows is resident at a
 * time, slot j on rank j mod p, and the pool moves through the corpus every
 * pool_steps steps along a seeded affine permutation of the windows, so
 * memory per rank depends on the window and the pool, never on the shard.
 * The step that uses them is mpi/train_dist.c. */
#ifndef LE_TRAIN_POOL_H
#define LE_TRAIN_POOL_H

#include <stdint.h>

#include "corpus.h"
#include "gat_data.h"
#include "spanfeat.h"
#include "train_opts.h"
#include "triplet.h"

/* One resident window: its traces, their features, its triplet groups. */
typedef struct le_train_slot {
    int64_t w; /* window id, -1 when empty */
    le_corpus_block blk;
    le_blockfeat feat;
    le_tripwin win;
} le_train_slot;

typedef struct le_train_data {
    int64_t n_traces, n_windows, window, pool, pool_steps, phase;
    int64_t *pool_win;    /* [pool] window of each slot in the current phase */
    le_train_slot *slots; /* [ceil(pool / p)]: slot j lives on rank j mod p as slots[j / p] */
    le_opmap map;
    int32_t n_vocab;
    int32_t *vocab_of; /* [corpus ops] */
    float *mean, *std;
} le_train_data;

/* Collective: the vocabulary, the time statistics and the operation map
 * (featurised with feat, whose n_vocab is set here) of corpus c, and the
 * pool's layout; no window is resident yet. Free with le_train_data_free
 * also after a failure. */
int le_train_data_load(le_corpus *c, const le_train_opts *o, le_feat_cfg feat, le_train_data *d);
void le_train_data_free(le_train_data *d);

/* Collective: make the pool that of step s's phase; this rank (re)loads
 * the slots it owns. */
int le_train_pool_enter(le_corpus *c, const le_train_opts *o, le_train_data *d, int64_t s);

#endif
