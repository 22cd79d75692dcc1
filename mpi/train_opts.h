/* train_opts: the options of a training run, as `labelease train` parses
 * them (cmd/cmd_train.c) and the distributed trainer follows them
 * (mpi/train_pool.c, mpi/train_dist.c). A header alone, below both, so
 * neither has to include the other's to share it. */
#ifndef LE_TRAIN_OPTS_H
#define LE_TRAIN_OPTS_H

#include <stdint.h>

typedef struct le_train_opts {
    int64_t seed, steps, batch, micro, window, pool, pool_steps, chunk, log_every, hidden, heads, layers, dims, buckets;
    int64_t ckpt_every;
    double epochs, lr, margin, far, hard;
    const char *corpus, *out, *ckpt;
} le_train_opts;

#endif
