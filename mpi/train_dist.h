/* train_dist: data-parallel training of the GAT trace encoder (triplet
 * loss, Adam) over the ranks of a job; `labelease train` (cmd/cmd_train.c)
 * parses the options and reports, the serial math is algos/ (encoder,
 * triplet, adam) and the windows the triplets come from mpi/train_pool.c.
 *
 * Rank-count independence. The corpus is cut into fixed windows of W traces;
 * triplets are drawn inside one window. A pool of `pool` windows is resident
 * at a time (slot j on rank j mod p), and the pool moves through the corpus
 * every pool_steps steps, so memory per rank depends on the window, the pool
 * and the batch, never on the shard. Step s of the global batch B is M = B/K
 * micro-batches of K triplets; micro-batch m draws its slot and its triplets
 * from a counter-based stream keyed by (seed, s·M + m), so the global batch is
 * the same at any rank count. The slot's owner samples the triplets and ships
 * their featurised traces (one MPI_Alltoallv per step) to rank m mod p, which
 * computes the micro-batch: every rank computes an equal share. Each
 * micro-batch's gradient goes into an int64 fixed-point accumulator (scale
 * 2^32) and one MPI_Allreduce of that flat buffer sums them exactly — integer
 * sums do not depend on order — so every rank applies the identical Adam
 * update, and 1, 2 or 64 ranks give bit-identical weights. */
#ifndef LE_TRAIN_DIST_H
#define LE_TRAIN_DIST_H

#include <stdint.h>

#include "corpus.h"
#include "train_opts.h"

/* What a run did, for the report. */
typedef struct le_train_result {
    int64_t n_windows, pool, pool_steps; /* as resolved for the corpus */
    int64_t n_params, resumed_at;        /* resumed_at: the step a checkpoint gave, 0 without */
    int32_t n_vocab;
    double final_loss, triplet_accuracy; /* means over the last progress interval */
    double seconds;                      /* of the steps this process ran */
} le_train_result;

/* Collective: train on corpus c as o says (o->steps is resolved from
 * o->epochs when that is given), resuming from and saving to o->ckpt when
 * set, and write the model to o->out (rank 0). A SIGUSR1 or SIGTERM that
 * any rank receives (mpi/interrupt.h, installed by the caller) stops
 * training at the end of a step: checkpoint, then LE_EXIT_INTERRUPTED. */
int le_train(le_corpus *c, le_train_opts *o, le_train_result *res);

#endif
