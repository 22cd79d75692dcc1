/* embfile: trace embeddings in parallel HDF5. Dataset /embeddings is
 * N × dim float32 in corpus order, chunked (4096 rows); every rank writes
 * its rows collectively, in as many calls as it likes as long as every rank
 * makes the same number of calls (a rank with nothing left writes 0 rows).
 * Root attributes: schema "labelease-embeddings", schema_version 1,
 * n_traces, dim, corpus, corpus_fingerprint (io/fingerprint.h), model. */
#ifndef LE_EMBFILE_H
#define LE_EMBFILE_H

#include <mpi.h>
#include <stdint.h>

#define LE_EMB_SCHEMA "labelease-embeddings"
#define LE_EMB_VERSION 1

typedef struct le_embfile le_embfile;

int le_emb_create(MPI_Comm comm, const char *path, int64_t n, int dim, const char *corpus, const char *corpus_fp,
                  const char *model, le_embfile **out);
/* Collective: rows [row0, row0 + nrows) from buf [nrows × dim]. */
int le_emb_write(le_embfile *f, int64_t row0, int64_t nrows, const float *buf);
/* Collective; frees f. Published under its name only when status (the
 * caller's, e.g. a failed step between the writes) and every write were 0
 * on every rank; else the partial file is removed. */
int le_emb_close(le_embfile *f, int status);

#endif
