/* labeled_dist: a labels CSV (rank 0 reads it) resolved against the corpus
 * over every rank: each id's global trace index and vector, the same on
 * every rank; the labeled rows that propagate and select's later rounds
 * start from. */
#ifndef LE_LABELED_DIST_H
#define LE_LABELED_DIST_H

#include <mpi.h>
#include <stdint.h>

#include "corpus.h"
#include "stv_dist.h"

/* A labels CSV resolved against the corpus: the same on every rank. */
typedef struct le_labeled {
    int64_t n;
    int64_t *index; /* [n] global trace index */
    int8_t *label;  /* [n] */
    float *x;       /* [n x dim] their vectors */
    int dim;
    char **ids; /* [n] while matching (le_labeled_begin to le_labeled_vectors_done) */
    void *ref;  /* the ids sorted, while matching */
} le_labeled;

/* Collective: reads the CSV (rank 0), finds every id in the corpus; ids the
 * corpus lacks and ids given twice are an error that lists them; so is a
 * file without rows, unless the corpus has no traces. */
int le_labeled_load(MPI_Comm comm, le_corpus *c, const le_shard *s, const char *csv, le_labeled *out);
void le_labeled_free(le_labeled *l);

/* The same in steps, for a caller that reads the corpus a chunk at a time
 * (propagate --chunk): begin (collective: reads the CSV, refuses ids given
 * twice); match each block of ids (block->trace_begin its global index)
 * with their vectors x [n_traces x dim] or NULL; found (collective: every
 * id's index on every rank, ids no rank found an error that lists them);
 * the vectors of the labeled rows this rank holds put in x[i * dim] by the
 * caller when match had none; vectors_done (collective: every rank's
 * vectors summed, each row is set on one rank). */
int le_labeled_begin(MPI_Comm comm, le_corpus *c, const char *csv, int dim, le_labeled *out);
void le_labeled_match(le_labeled *l, const le_corpus_block *b, const float *x);
int le_labeled_found(MPI_Comm comm, le_corpus *c, const char *csv, le_labeled *l);
int le_labeled_vectors_done(MPI_Comm comm, le_labeled *l);

#endif
