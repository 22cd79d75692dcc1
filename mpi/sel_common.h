/* sel_common: what select and propagate share — each rank's vectors for its
 * shard (GAT embeddings or STV), the corpus-wide call-path statistics, and
 * a labels CSV resolved to global trace indices and vectors. */
#ifndef LE_SEL_COMMON_H
#define LE_SEL_COMMON_H

#include <mpi.h>
#include <stdint.h>

#include "corpus.h"
#include "stv.h"

/* The call-path vocabulary (sorted path ids) and, per path, the latency of
 * its spans over the whole corpus (microseconds). The same on every rank. */
typedef struct le_callpaths {
    int64_t n;
    uint64_t *id;
    le_welford *stat;
} le_callpaths;

/* This rank's traces [t0, t1) (span-balanced), held whole: about 40 bytes
 * a span, the price of one read per command; their call-path ids; and
 * their vectors x [n x dim]. */
typedef struct le_shard {
    int64_t t0, t1, n;
    le_corpus_block b;
    uint64_t *path;  /* [b.n_spans] call-path id of each span */
    int32_t *pidx;   /* [b.n_spans] its index in the vocabulary (-1 absent); set by le_callpaths_build or le_shard_vectors */
    int dim;
    float *x;
    /* Of le_shard_vectors, the time spent reading the embeddings file (rank
     * 0's clock and CPU): I/O, which the commands report with seconds_read
     * rather than as the vectors' compute. */
    double seconds_emb_read, cpu_emb_read;
} le_shard;

/* Collective: this rank's shard and its spans' call-path ids. */
int le_shard_load(MPI_Comm comm, le_corpus *c, le_shard *s);
void le_shard_free(le_shard *s);

/* Collective: the vocabulary and the span statistics over every rank; sets
 * s->pidx against it. */
int le_callpaths_build(MPI_Comm comm, le_shard *s, le_callpaths *out);
/* Collective: the vocabulary alone (stat NULL), for vectors that need no
 * latency statistics (propagate). */
int le_callpaths_vocabulary(MPI_Comm comm, const le_shard *s, le_callpaths *out);
void le_callpaths_free(le_callpaths *cp);

/* Collective: the shard's vectors. representation "gat": rows of emb_path,
 * scaled to unit length (cosine, as trained); "stv": service trace vectors
 * over cp, each dimension standardised over the corpus; "dev": per call
 * path, the excess of the span's self time over the path's norm and its
 * failures (algos/stv.h); "hybrid": the unit GAT row then the "dev" row;
 * "dev-burst", "hybrid-burst": those followed by the burst part (how much
 * more often than usual the trace's deviating paths deviate in its 5-minute
 * bin; beyond the paper, algos/stv.h); "dev-burst-count",
 * "hybrid-burst-count": then the call-count burst part (how much more often
 * than usual each path's call count is unusual for the trace's root path in
 * its bin, algos/stv.h COUNT). */
/* What select and propagate use without --representation. */
#define LE_REPRESENTATION_DEFAULT "tail"

/* Whether the representation needs the call paths (le_callpaths_build). */
int le_repr_needs_paths(const char *representation);
/* Whether it reads the embeddings file (gat, hybrid, hybrid-burst,
 * hybrid-burst-count). */
int le_repr_uses_model(const char *representation);
int le_shard_vectors(MPI_Comm comm, le_corpus *c, const char *representation, const char *emb_path,
                     const le_callpaths *cp, le_shard *s);

/* Collective: the shard's vectors read from what `select --dump-vectors`
 * wrote for this corpus, instead of built: they are the same bits (the
 * builders are deterministic at any rank count), so a second round and
 * propagate need not rebuild them. The file must hold one row per trace
 * and name `representation`. */
int le_shard_vectors_read(MPI_Comm comm, le_corpus *c, const char *representation, const char *path, le_shard *s);

/* A labels CSV resolved against the corpus: the same on every rank. */
typedef struct le_labeled {
    int64_t n;
    int64_t *index;   /* [n] global trace index */
    int8_t *label;    /* [n] */
    float *x;         /* [n x dim] their vectors */
} le_labeled;

/* Collective: reads the CSV (rank 0), finds every id in the corpus; ids the
 * corpus lacks and ids given twice are an error that lists them. */
int le_labeled_load(MPI_Comm comm, le_corpus *c, const le_shard *s, const char *csv, le_labeled *out);
void le_labeled_free(le_labeled *l);

#endif
