/* reps: the representatives file (reps.h5) that `select` writes and every
 * labeling front end reads (oracle, terminal, page). It is small (K traces,
 * K ~ 0.1% of the corpus), written and read by rank 0 alone with plain HDF5.
 *
 * Layout (docs/labeling.md is the reference):
 *   /  attrs schema="labelease-reps", schema_version=1, corpus,
 *      corpus_fingerprint (io/fingerprint.h), embeddings,
 *      method ("kmeans"|"random"|"spectral"|"uncertainty"), representation
 *      (select's --representation: "tail", "gat", "stv", ...; propagate
 *      --reps takes it, and embeddings for a model one), round (1 = first
 *      selection), n_corpus_traces
 *   /reps/trace_index    int64 [K]   index of the trace in the corpus
 *   /reps/cluster_size   int64 [K]   traces its cluster holds (whole corpus)
 *   /reps/trace_id, /reps/span_offset [K+1], /reps/trace_start_us and the
 *      span datasets /reps/spans/{parent,service,operation,start_us,
 *      duration_us,status_code,error}: the representatives' whole traces, in
 *      the corpus layout (io/corpus.h), spans in preorder
 *   /reps/spans/path_count, path_mean_us, path_std_us  [spans]: for the call
 *      path of each span (the operations from the root down to it), over the
 *      whole corpus: how many spans have that path, their mean and std latency
 *   /reps/centroids      float32 [K x dim] (optional) the cluster centres
 *   /reps/suggested_label int8 [K], /reps/suggested_margin float32 [K]
 *      (optional, rounds >= 2): the label the earlier rounds' labels
 *      propagate to the representative (-1: none) and its margin, the rule
 *      and numbers of `propagate` (algos/propagate.h); shown, never a label
 *   /tables/services, /tables/operations, /tables/operation_service: copies
 *      of the corpus tables, so the file is self-contained for the page. */
#ifndef LE_REPS_H
#define LE_REPS_H

#include <stddef.h>
#include <stdint.h>

#include "corpus.h"

#define LE_REPS_SCHEMA "labelease-reps"
#define LE_REPS_VERSION 1

typedef struct le_reps {
    int64_t k;
    int64_t *trace_index;    /* [k] */
    int64_t *cluster_size;   /* [k] */
    le_corpus_block traces;  /* the k traces (trace_begin/span_begin unused) */
    int64_t *path_count;     /* [traces.n_spans] */
    double *path_mean_us;    /* [traces.n_spans] */
    double *path_std_us;     /* [traces.n_spans] */
    int32_t dim;             /* centroid dimension, 0 when absent */
    float *centroids;        /* [k * dim] or NULL */
    int8_t *suggested_label; /* [k] or NULL (round 1, older files): 0/1, -1 = none */
    float *suggested_margin; /* [k] or NULL: its margin (inf: one label so far) */
    char corpus[512], embeddings[512];
    char corpus_fp[LE_FP_LEN]; /* attribute corpus_fingerprint; "" in older files (io/fingerprint.h) */
    char method[32], representation[32];
    int32_t round;
    int64_t n_corpus_traces;
    /* A later round's sampled unlabelled traces and their rows (group
     * /sample): the next round draws the same sample (the draw depends on
     * the seed and the trace, not the round) and reads them with --previous
     * instead of making them again. n_sample 0: none written. */
    int64_t n_sample;
    int64_t *sample_index; /* [n_sample] ascending */
    float *sample_rows;    /* [n_sample * sample_dim] */
    int32_t sample_dim;
    double sample_share;
    uint64_t sample_key; /* the seed and the vector statistics the rows come from (cmd/cmd_select.c) */
} le_reps;

/* meta supplies the tables (services, operations). */
int le_reps_write(const char *path, const le_reps *r, const le_corpus_meta *meta);
/* Fills r and the tables of meta (n_traces/n_spans of meta stay 0). */
int le_reps_read(const char *path, le_reps *r, le_corpus_meta *meta);
/* The root attributes alone (corpus, embeddings, method, representation,
 * round, n_corpus_traces): how select made the file; k stays 0 and nothing
 * needs freeing. */
int le_reps_read_attrs(const char *path, le_reps *r);
void le_reps_free(le_reps *r);

/* The rows out [m * dim] of traces g [m] (ascending) from path's /sample,
 * when it was drawn with the same share and key, has rows of dim and holds
 * every one of g: 1; otherwise (or when it cannot be read) 0 and out is
 * left as it was. Any process may call it alone. */
int le_reps_read_sample(const char *path, double share, uint64_t key, int32_t dim, const int64_t *g, int64_t m, float *out);

/* The trace id of representative t, NUL-terminated in buf (cut to cap). */
void le_reps_trace_id(const le_reps *r, const le_corpus_meta *m, int64_t t, char *buf, size_t cap);

#endif
