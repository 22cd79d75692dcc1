/* stv_dist: each rank's shard of the corpus and its vectors, built over
 * every rank (the serial rows: algos/stv.h, algos/burst.h, algos/tail.h),
 * with the corpus-wide call-path vocabulary and statistics; what select
 * and propagate share. The labels given for some traces, found on their
 * ranks: mpi/labeled_dist.h. */
#ifndef LE_STV_DIST_H
#define LE_STV_DIST_H

#include <mpi.h>
#include <stdint.h>

#include "corpus.h"
#include "embread.h"
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
    uint64_t *path; /* [b.n_spans] call-path id of each span */
    int32_t *pidx;  /* [b.n_spans] its index in the vocabulary (-1 absent); set by le_callpaths_build or le_shard_vectors */
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
int le_shard_vectors(MPI_Comm comm, le_corpus *c, const char *representation, const char *emb_path, const le_callpaths *cp,
                     le_shard *s);

/* Collective: the shard's vectors read from what `select --dump-vectors`
 * wrote for this corpus, instead of built: they are the same bits (the
 * builders are deterministic at any rank count), so a second round and
 * propagate need not rebuild them. The file must hold one row per trace
 * and name `representation`. */
int le_shard_vectors_read(MPI_Comm comm, le_corpus *c, const char *representation, const char *path, le_shard *s);

/* Collective: an embeddings file (want_model NULL) or the vectors select
 * dumped for representation want_model, opened for reading a row range at
 * a time: one row per trace of c, made from c (its fingerprint). Closed on
 * failure. */
int le_vectors_open(MPI_Comm comm, le_corpus *c, const char *path, const char *want_model, le_embreader *er);

/* Collective: le_callpaths_build's vocabulary and statistics without the
 * shard: each rank reads its traces [t0, t1) chunk traces at a time, twice
 * (the path ids, then the spans' latencies in the same order). The
 * statistics are the whole shard's up to float rounding in the merge. */
int le_callpaths_stream(MPI_Comm comm, le_corpus *c, int64_t t0, int64_t t1, int64_t chunk, le_callpaths *cp);

#endif
