/* model: the trained encoder as a small HDF5 file (schema in docs/model.md).
 * Rank 0 writes it with the serial driver; every rank reads it. It holds all
 * that `embed` needs to preprocess another corpus exactly as in training:
 * weights, tensor table, vocabulary, token hashing, time normalisation. */
#ifndef LE_MODEL_H
#define LE_MODEL_H

#include <hdf5.h>
#include <stdint.h>

#include "corpus.h"
#include "encoder.h"

#define LE_MODEL_SCHEMA "labelease-model"
#define LE_MODEL_VERSION 1

typedef struct le_model {
    le_encoder enc;          /* config + tensor table */
    float *params;           /* [enc.n_params] */
    float *mean, *std;       /* [(V + 1) × 4] time normalisation, row V = unknown */
    char **vocab_services;   /* [V] */
    char **vocab_operations; /* [V] */
    /* training record (informational) */
    int64_t seed, steps, batch;
    double lr, margin, final_loss, final_accuracy;
    char corpus[512];
    char corpus_fp[LE_FP_LEN]; /* the corpus trained on; not checked: a model embeds any corpus */
} le_model;

int le_model_write(const char *path, const le_model *m);
int le_model_read(const char *path, le_model *m);
void le_model_free(le_model *m);
/* vocab_of[i] = vocabulary row of corpus operation i, V when the model never saw it. */
void le_model_vocab_map(const le_model *m, const le_corpus_meta *meta, int32_t *vocab_of);

/* A small contiguous dataset of rank 1 (d1 = 0) or 2 in a serially opened
 * file (the model file, test dumps). */
int le_h5_put_small(hid_t file, const char *name, hid_t type, hsize_t d0, hsize_t d1, const void *buf, const char *path);

#endif
