/* checkpoint: the state of a training run between two steps, as a small
 * HDF5 file written by rank 0 (schema in docs/model.md, "Checkpoints and
 * resume"). It holds the weights, Adam's moments and step count, the next
 * step, the progress sums since the last progress line, and "keys": every
 * option and corpus fingerprint that fixes the trajectory. Reading checks
 * the keys against the ones of the run that wants to resume, so a
 * checkpoint of another corpus or configuration is refused. */
#ifndef LE_CHECKPOINT_H
#define LE_CHECKPOINT_H

#include <stdint.h>

#define LE_CKPT_SCHEMA "labelease-train-checkpoint"
#define LE_CKPT_VERSION 1
#define LE_CKPT_MAX_KEYS 48

/* One value that fixes the trajectory: an int64 or a double attribute of /run. */
typedef struct le_ckpt_key {
    const char *name; /* a static string */
    int is_real;
    int64_t i;
    double x;
} le_ckpt_key;

typedef struct le_ckpt {
    int n_keys;
    le_ckpt_key key[LE_CKPT_MAX_KEYS];
    int64_t next_step; /* steps done: training resumes at this (0-based) step */
    int64_t adam_t;    /* Adam's step count (bias corrections) */
    int64_t n_params;
    float *params, *adam_m, *adam_v;  /* [n_params] */
    double log_loss_sum, log_acc_sum; /* progress sums since the last progress line */
    int64_t log_n;
    double last_loss, last_acc; /* means of the last progress line */
    char corpus[512];           /* informational */
} le_ckpt;

void le_ckpt_key_int(le_ckpt *c, const char *name, int64_t v);
void le_ckpt_key_real(le_ckpt *c, const char *name, double v);

/* Serial (one process). Atomic: written to PATH.partial, flushed to disk
 * (fsync), then renamed to PATH; a kill at any point leaves either the
 * previous PATH or the new one, never a partial file under PATH. */
int le_ckpt_write(const char *path, const le_ckpt *c);

/* Read PATH into out (arrays of want->n_params allocated) after checking
 * that its keys equal want's: LE_ERR_USAGE naming PATH and the first key
 * that differs. */
int le_ckpt_read(const char *path, const le_ckpt *want, le_ckpt *out);
void le_ckpt_free(le_ckpt *c);

#endif
