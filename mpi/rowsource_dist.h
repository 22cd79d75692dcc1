/* rowsource_dist: where select and propagate get the vectors of a rank's
 * traces [t0, t1), a chunk of traces at a time (issue 19), so memory per
 * rank follows the chunk, not the shard, wherever the representation
 * allows it. Three kinds:
 *
 *   model  the default representation ("tail"): the corpus statistics
 *          fitted streaming (mpi/tailvec_dist.h), then each chunk's traces
 *          read from the corpus and made rows locally;
 *   file   --vectors (select --dump-vectors) or the GAT embeddings ("gat",
 *          rows scaled to unit length), read a chunk of rows at a time;
 *   shard  every other (ablation) representation, or a caller that needs
 *          every row at once (select --method random or spectral): the
 *          rank's whole shard and its vectors, built as before issue 19
 *          (le_shard_load, le_shard_vectors); rows point into it.
 *
 * Rows are the same bits whatever the kind's chunking; a chunk of whole
 * LE_KM_BLOCK rows keeps sgemm's blocks those of the whole shard, so
 * distances are too (le_rowsrc_align_chunk). */
#ifndef LE_ROWSOURCE_DIST_H
#define LE_ROWSOURCE_DIST_H

#include <mpi.h>
#include <stdint.h>

#include "corpus.h"
#include "embread.h"
#include "labeled_dist.h"
#include "stv_dist.h"
#include "tailvec_dist.h"

/* Traces a rank handles at a time: 65536 rows of the default
 * representation's ~400 floats are 110 MB, as synth's chunk. */
#define LE_ROWSRC_CHUNK_DEFAULT 65536

enum { LE_ROWSRC_SHARD, LE_ROWSRC_FILE, LE_ROWSRC_MODEL };

typedef struct le_rowsrc_opts {
    const char *repr, *emb, *vectors; /* emb "-" or NULL: none */
    int64_t chunk;                    /* traces at a time (le_rowsrc_align_chunk) */
    int stats;                        /* the call paths' latency statistics too (select's reps.h5) */
    int whole;                        /* the shard kind whatever the representation */
    /* model kind: the vector statistics read from stats_in instead of
     * fitted, and written to stats_out (mpi/tailvec_dist.h): a run fits
     * once, its later rounds and propagate load them */
    const char *stats_in, *stats_out;
} le_rowsrc_opts;

typedef struct le_rowsrc {
    int kind, dim, unit;
    int64_t t0, t1, n, chunk;
    int64_t steps; /* chunks of the rank with the most */
    le_corpus *c;
    le_shard s;                /* shard kind: whole; else s.t0, s.t1, s.n alone */
    le_embreader er;           /* file kind */
    le_tailvec m;              /* model kind */
    le_callpaths cp;           /* the shard and file kinds' statistics */
    const le_callpaths *paths; /* with opts.stats: the vocabulary and statistics (cp or m.cp) */
    le_corpus_block b;         /* the block of the last rows (model: read; file: ids; shard: a view) */
    int own_b;
    float *buf; /* [chunk x dim] rows read or made */
    /* Opening: reading (the shard, the fit's reads) and building (the
     * vectors, the fit's statistics); the rows: the embeddings' or the
     * vectors file's reads (I/O), and the model kind's corpus reads and
     * rows made since (wall, MPI_Wtime; cpu: this rank's). */
    double seconds_read, seconds_vec, cpu_vec;
    double seconds_emb, cpu_emb, seconds_rows_read, seconds_rows_vec, cpu_rows_vec;
} le_rowsrc;

/* --chunk C rounded up to whole LE_KM_BLOCK rows (at most 2^40). */
int64_t le_rowsrc_align_chunk(int64_t c);

/* The kind the options give. */
int le_rowsrc_kind(const le_rowsrc_opts *o);

/* stats_in and stats_out given only for the model kind: LE_ERR_USAGE
 * saying why. */
int le_rowsrc_check_stats(const le_rowsrc_opts *o);

/* Collective: this rank's range and its source opened (the shard kind:
 * built). */
int le_rowsrc_open(MPI_Comm comm, le_corpus *c, const le_rowsrc_opts *o, le_rowsrc *r);
void le_rowsrc_free(le_rowsrc *r);

/* Chunk k of this rank: traces [*a, *a + *n), n = 0 past its end. */
void le_rowsrc_chunk(const le_rowsrc *r, int64_t k, int64_t *a, int64_t *n);

/* Local: the rows *x [n x dim] of traces [a, a + n) of this rank (n <=
 * chunk), valid until the next call; with b, also a block of those traces
 * (b->trace_begin = a) with their ids, and (model and shard kinds) their
 * spans at span_offset[t] .. span_offset[t + 1]. */
int le_rowsrc_rows(le_rowsrc *r, int64_t a, int64_t n, const float **x, const le_corpus_block **b);

/* Local: the rows out [m x dim] of this rank's traces g [m] (ascending, in
 * [t0, t1)): the traces from each g[i] to the last of them within a chunk
 * read as one block, and only their rows made (select's later rounds need
 * 13,000 traces' rows at any N, not every row of the shard). */
int le_rowsrc_rows_at(le_rowsrc *r, const int64_t *g, int64_t m, float *out);

/* Collective: the labels CSV against the source (mpi/labeled_dist.h): the
 * shard kind matches the shard; the others match the ids a chunk at a
 * time, then read each labeled row on the rank that holds it. */
int le_rowsrc_labeled(MPI_Comm comm, le_rowsrc *r, const char *csv, le_labeled *lab);

#endif
