/* labelsfile: per-trace labels that `propagate` writes and `eval` and
 * `select --round` read, in parallel HDF5, in corpus order.
 *
 *   /  attrs schema="labelease-labels", schema_version=1, corpus,
 *      corpus_fingerprint (io/fingerprint.h), n_traces,
 *      n_given (labels a person gave), method (e.g. "nearest", "knn5")
 *   /labels/label       int8    [N]  0 normal, 1 abnormal
 *   /labels/confidence  float32 [N]  cosine distance to the nearest
 *                                    representative of the other label minus
 *                                    that to the nearest of its own (>= 0;
 *                                    large = sure; FLT_MAX-free: a label
 *                                    with no other class present gets 2)
 *   /labels/given       int8    [N]  1 where a person labelled the trace
 *
 * Writing is collective (every rank writes its contiguous rows, at once or
 * a chunk at a time); reading is independent. */
#ifndef LE_LABELSFILE_H
#define LE_LABELSFILE_H

#include <mpi.h>
#include <stdint.h>

#include "corpus.h"

#define LE_LABELS_SCHEMA "labelease-labels"
#define LE_LABELS_VERSION 1

typedef struct le_labelsfile_info {
    int64_t n_traces, n_given;
    char corpus[512], method[64];
    char corpus_fp[LE_FP_LEN]; /* attribute corpus_fingerprint; "" in older files (io/fingerprint.h) */
} le_labelsfile_info;

/* Collective: rows [row0, row0 + n) of every dataset from this rank. */
int le_labelsfile_write(MPI_Comm comm, const char *path, const le_labelsfile_info *info, int64_t row0, int64_t n,
                        const int8_t *label, const float *confidence, const int8_t *given);

/* The same in pieces, so a writer holds a chunk of rows, not its shard:
 * create (collective), write_rows as often as it likes (collective: every
 * rank calls as many times, n may be 0), close with the status so far
 * (collective; the file is published under path only when every write
 * succeeded, else removed). create closes the file itself when it fails. */
typedef struct le_labelsfile_writer {
    MPI_Comm comm;
    int64_t file, dset[3]; /* hid_t, opaque here */
    char path[4096], partial[4096];
} le_labelsfile_writer;
int le_labelsfile_create(MPI_Comm comm, const char *path, const le_labelsfile_info *info, le_labelsfile_writer *w);
int le_labelsfile_write_rows(le_labelsfile_writer *w, int64_t row0, int64_t n, const int8_t *label, const float *confidence,
                             const int8_t *given);
int le_labelsfile_close(le_labelsfile_writer *w, int status);

/* A labels file open for reading rows a chunk at a time: open (collective;
 * checks the schema, and n_traces against n_expected when >= 0), read_rows
 * (independent; any of the output arrays may be NULL) as often as wanted,
 * close_reader (collective: the file closes on every rank). open closes the
 * file itself when it fails. */
typedef struct le_labelsfile_reader {
    int64_t file; /* hid_t, opaque here */
    char path[4096];
} le_labelsfile_reader;
int le_labelsfile_open(MPI_Comm comm, const char *path, int64_t n_expected, le_labelsfile_reader *r,
                       le_labelsfile_info *info);
int le_labelsfile_read_rows(const le_labelsfile_reader *r, int64_t row0, int64_t n, int8_t *label, float *confidence,
                            int8_t *given);
void le_labelsfile_close_reader(le_labelsfile_reader *r);

/* The same at once: open, rows [row0, row0 + n), close. */
int le_labelsfile_read(MPI_Comm comm, const char *path, int64_t n_expected, int64_t row0, int64_t n, int8_t *label,
                       float *confidence, int8_t *given, le_labelsfile_info *info);

#endif
