/* embread: reading the embeddings file that io/embfile.h writes (dataset
 * /embeddings, N x dim float32 in corpus order). Open is collective; each
 * rank then reads the rows it wants with independent reads. */
#ifndef LE_EMBREAD_H
#define LE_EMBREAD_H

#include <mpi.h>
#include <stdint.h>

#include "corpus.h"

typedef struct le_embreader {
    int64_t hid_file, hid_dset; /* hid_t, opaque here */
    int64_t n;
    int dim;
    char model[512];                        /* the model file, or the representation of vectors select dumped */
    char corpus[512], corpus_fp[LE_FP_LEN]; /* made from; corpus_fp "" in files older than fingerprints */
    char path[512];
} le_embreader;

/* Checks the schema name and version; n_expected (>= 0) must equal the
 * file's row count (the corpus it belongs to; the caller checks corpus_fp). */
int le_emb_open(MPI_Comm comm, const char *path, int64_t n_expected, le_embreader *r);
/* Rows [row0, row0 + nrows) into buf [nrows x dim]. */
int le_emb_read_rows(const le_embreader *r, int64_t row0, int64_t nrows, float *buf);
void le_emb_close_reader(le_embreader *r);

#endif
