/* tailvec_dist: the default ("tail") vectors with memory bounded by a chunk
 * of traces, not by the shard (issue 19).
 *
 * A row of the tail representation (algos/tail.h, algos/stv.h) is a
 * function of the trace's own spans and of corpus-wide statistics: the call
 * paths' self-time norms, the call-count norms per root path, the
 * operations' tail thresholds, the call structures' counts, and three
 * per-(time bin, component) burst tables. le_tailvec_fit computes those
 * statistics streaming the shard a chunk at a time; afterwards any block of
 * traces read from the corpus becomes rows with le_tailvec_rows, locally.
 *
 * The norms and the thresholds need every span several times; they are
 * taken from a sample of at most LE_TAILVEC_SAMPLE traces (keyed by global
 * trace index, so the same at any rank count), held whole while fitting.
 * The counts (call paths, structures, operations, the bursts) are over
 * every trace. A corpus of at most LE_TAILVEC_SAMPLE traces is its own
 * sample, and its rows are the bits the whole-shard builder made. */
#ifndef LE_TAILVEC_DIST_H
#define LE_TAILVEC_DIST_H

#include <mpi.h>
#include <stdint.h>

#include "burst_dist.h"
#include "corpus.h"
#include "stv_dist.h"

#define LE_TAILVEC_SAMPLE (INT64_C(1) << 20)
/* Traces read at a time where a caller has no chunk of its own. */
#define LE_TAILVEC_CHUNK 65536

/* One burst table: grid, per (bin, component) counts [nb x d] summed over
 * every rank, traces per bin tot [nb], and each component's base [d]. */
typedef struct le_tailvec_burst {
    le_burst_grid g;
    int64_t d;
    int64_t *cnt, *tot;
    double *base;
} le_tailvec_burst;

typedef struct le_tailvec {
    int64_t P, O;                      /* call paths, operations */
    int dim;                           /* LE_TAIL_COLS(O) + 3 P */
    le_callpaths cp;                   /* vocabulary and each path's latency over every span (reps.h5) */
    float *dev_mean, *dev_std;         /* [P] self-time norms */
    int64_t n_roots;                   /* root call paths of the corpus */
    int32_t *root_slot;                /* [P] a path's root index, -1 if no trace starts with it */
    double *cnt_mean, *cnt_std;        /* [n_roots x P] call-count norms */
    double *thr;                       /* [O] tail thresholds, +inf for an operation without spans */
    int64_t n_struct;                  /* call structures of the corpus */
    uint64_t *struct_id;               /* [n_struct] sorted */
    int64_t *struct_cnt, *op_cnt;      /* [n_struct] and [O] span counts */
    le_tailvec_burst dev, count, tail; /* the deviation, call-count and tail bursts */
    int64_t sample_traces;             /* traces the norms and thresholds came from */
    uint64_t file_hash;                /* le_hash64 of the file le_tailvec_load read (0: fitted here) */
    double seconds_read;               /* of the fit, reading the corpus (rank 0) */
} le_tailvec;

/* Collective: the statistics of the corpus c, each rank streaming its
 * traces [t0, t1) chunk traces at a time (chunk >= 1). */
int le_tailvec_fit(MPI_Comm comm, le_corpus *c, int64_t t0, int64_t t1, int64_t chunk, le_tailvec *m);

/* Local: the rows x [b->n_traces x m->dim] of the traces of block b (read
 * with le_corpus_read_block). */
void le_tailvec_rows(const le_tailvec *m, const le_corpus_block *b, float *x);

/* Local: rows x [n x m->dim] of the traces which[i] of block b (block
 * indices; which NULL: the first n), packed: a pass that needs a few
 * traces' rows computes only theirs. */
void le_tailvec_rows_of(const le_tailvec *m, const le_corpus_block *b, const int64_t *which, int64_t n, float *x);

/* Collective: the statistics written to path (rank 0; replaced whole) and
 * read back for the corpus c they were fitted on (another corpus is
 * refused): later select rounds and propagate skip the fit. A few MB. */
int le_tailvec_save(MPI_Comm comm, const le_tailvec *m, const le_corpus *c, const char *path);
int le_tailvec_load(MPI_Comm comm, le_corpus *c, const char *path, le_tailvec *m);

void le_tailvec_free(le_tailvec *m);

#endif
