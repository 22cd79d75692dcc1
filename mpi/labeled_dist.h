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
} le_labeled;

/* Collective: reads the CSV (rank 0), finds every id in the corpus; ids the
 * corpus lacks and ids given twice are an error that lists them; so is a
 * file without rows, unless the corpus has no traces. */
int le_labeled_load(MPI_Comm comm, le_corpus *c, const le_shard *s, const char *csv, le_labeled *out);
void le_labeled_free(le_labeled *l);

#endif
