/* corpus: the trace corpus in parallel HDF5 (schema in docs/corpus.md).
 *
 * Traces are CSR over spans: trace t owns spans [span_offset[t],
 * span_offset[t+1]). Within a trace, spans are in depth-first preorder
 * (children by start time), so the root is the first span and a span's
 * parent index is always smaller than its own.
 *
 * Writing is collective: every rank calls create, then write_block the same
 * number of times (a rank with nothing to write passes an empty block), then
 * close. Each rank writes its block at explicit global offsets, so the file
 * is identical whatever the number of ranks. Reading needs no collectives
 * beyond open; each rank reads the block it asks for. */
#ifndef LE_CORPUS_H
#define LE_CORPUS_H

#include <mpi.h>
#include <stdint.h>

#define LE_CORPUS_SCHEMA "labelease-corpus"
/* 2: trace ids as offsets + bytes, a corpus fingerprint. Version 1 files
 * (fixed-length /traces/trace_id, no fingerprint) are still read. */
#define LE_CORPUS_VERSION 2
/* Longest trace id in bytes: ingest drops a row with a longer one
 * (long_trace_ids), so one runaway id cannot cost memory for every trace. */
#define LE_TRACE_ID_MAX 1024
/* A corpus fingerprint: 16 hex digits and the terminator (docs/corpus.md). */
#define LE_FP_LEN 17

/* Label values of /ground_truth/trace_label */
#define LE_LABEL_UNKNOWN (-1)
#define LE_LABEL_NORMAL 0
#define LE_LABEL_ABNORMAL 1

typedef struct le_fault {
    int32_t service; /* index in the service table, -1 if not a known service */
    char service_name[128];
    char type[64]; /* e.g. "network_delay", "pod_failure", "exception" */
    int64_t start_us, end_us;
    double intensity; /* 0..1 where the source knows it (synth), else 0 */
    /* Under the visible truth (meta.vis.present): the traces this fault made
     * abnormal; of the traces that start outside every fault window and pass
     * through the service, how many there are and how many the rule flags
     * by chance. */
    int64_t visible_traces, chance_traces, chance_flagged;
} le_fault;

/* The visible truth of a fault-list corpus (algos/truth.h, written by
 * ingest --faults; docs/rootcause.md). Where present, /ground_truth/trace_label
 * holds it for every trace the input left unlabelled. */
typedef struct le_vis_info {
    int present;
    double quantile;        /* of the self-time thresholds (LE_VIS_QUANTILE) */
    int64_t ref_traces;     /* reference traces: outside every fault window */
    int64_t ref_flagged;    /* of them, with a span that shows on some fault's service */
    int64_t ref_structures; /* distinct call structures of the reference */
    double *threshold_us;   /* [n_operations] self-time threshold, NAN without reference spans */
} le_vis_info;

/* Tables every rank holds in full (they are small: names, faults). */
typedef struct le_corpus_meta {
    int64_t n_traces, n_spans; /* global totals */
    int32_t n_services;
    char **services; /* [n_services] */
    int32_t n_operations;
    char **operations;          /* [n_operations] operation names */
    int32_t *operation_service; /* [n_operations] the service an operation belongs to */
    int64_t n_id_bytes;         /* bytes of all trace ids together (no terminators) */
    int has_ground_truth;       /* per-trace labels and fault ids present */
    int32_t n_faults;
    le_fault *faults; /* [n_faults] */
    le_vis_info vis;
    char source[256]; /* how the corpus was made, e.g. "ingest --format nezha" */
    int64_t version;  /* schema version of the file read (writers ignore it) */
    /* A hash of every trace's index, id, start and span count: set by
     * le_corpus_open (read, or computed for a version 1 file); writers
     * compute it themselves. Derived files carry it (io/fingerprint.h). */
    char fingerprint[LE_FP_LEN];
} le_corpus_meta;

/* A contiguous block of traces [trace_begin, trace_begin + n_traces) whose
 * spans are [span_begin, span_begin + n_spans). span_offset is local
 * (span_offset[0] == 0). label and fault are NULL without ground truth.
 * Trace ids are packed: trace t's id is le_block_id(b, t), NUL-terminated,
 * so a long id costs its own bytes only. */
typedef struct le_corpus_block {
    int64_t trace_begin, n_traces;
    int64_t span_begin, n_spans;
    int64_t id_byte_begin;   /* writing: offset of the first id in /traces/trace_id_bytes (ids before it, bytes) */
    int64_t *span_offset;    /* [n_traces + 1] */
    char *trace_id;          /* [id_offset[n_traces]] the ids back to back, each NUL-terminated */
    int64_t *id_offset;      /* [n_traces + 1] trace t's id starts at trace_id + id_offset[t]; id_offset[0] == 0 */
    size_t id_cap;           /* bytes allocated for trace_id */
    int64_t *trace_start_us; /* [n_traces] start of the root span */
    int32_t *parent;         /* [n_spans] parent's index within the trace, -1 for the root */
    int32_t *service;        /* [n_spans] */
    int32_t *operation;      /* [n_spans] */
    int64_t *start_us;       /* [n_spans] unix microseconds */
    int64_t *duration_us;    /* [n_spans] */
    int32_t *status_code;    /* [n_spans] protocol status, 0 = none */
    int8_t *error;           /* [n_spans] 1 when the span failed */
    int8_t *label;           /* [n_traces] LE_LABEL_*, or NULL */
    int32_t *fault;          /* [n_traces] index in meta.faults, -1 none, or NULL */
} le_corpus_block;

/* Allocate arrays for a block of the given sizes (label/fault when gt);
 * id_bytes is room for the ids with their terminators (it grows as needed). */
void le_block_alloc(le_corpus_block *b, int64_t n_traces, int64_t n_spans, size_t id_bytes, int gt);
void le_block_free(le_corpus_block *b);
/* Set trace t's id, for t = 0, 1, ... in order (each one after the last). */
void le_block_put_id(le_corpus_block *b, int64_t t, const char *id, size_t n);
static inline const char *le_block_id(const le_corpus_block *b, int64_t t) { return b->trace_id + b->id_offset[t]; }
static inline size_t le_block_id_len(const le_corpus_block *b, int64_t t)
{
    return (size_t)(b->id_offset[t + 1] - b->id_offset[t] - 1);
}

typedef struct le_corpus_writer le_corpus_writer;
/* meta->n_id_bytes (all ids, no terminators) sizes /traces/trace_id_bytes
 * as meta->n_spans sizes the span datasets; each block says where its ids
 * go with id_byte_begin as it says where its spans go with span_begin. */
int le_corpus_create(MPI_Comm comm, const char *path, const le_corpus_meta *meta, le_corpus_writer **out);
int le_corpus_write_block(le_corpus_writer *w, const le_corpus_block *b);
/* Collective; frees w. Writes the fingerprint of the traces written (one
 * allreduce). The corpus appears under its name only when status
 * (the caller's: a step between the writes may have failed, an MPI call or
 * an agreement) and every write were 0 on every rank; else the partial file
 * is removed. Returns the first failure. */
int le_corpus_close_writer(le_corpus_writer *w, int status);

typedef struct le_corpus {
    char *path;
    le_corpus_meta meta;
    int64_t hid_file; /* hid_t, kept opaque here */
} le_corpus;

/* Open for reading (collective: rank 0 could read tables alone, but every
 * rank opening is simpler and the tables are small). Checks the schema name
 * and version and names the file and dataset on any mismatch. */
int le_corpus_open(MPI_Comm comm, const char *path, le_corpus **out);
void le_corpus_close(le_corpus *c);

/* Traces [t0, t1) for rank r of p, balanced by span count (collective:
 * each rank reads an equal slice of span_offset, one allreduce of p values). */
int le_corpus_shard(le_corpus *c, MPI_Comm comm, int64_t *t0, int64_t *t1);
/* Span offsets le_corpus_shard reads at a time (default 2^20, 8 MB: its
 * memory does not grow with the corpus); tests lower it. */
extern int64_t le_corpus_shard_piece;
/* Read traces [t0, t1) into b (allocates b). */
int le_corpus_read_block(le_corpus *c, int64_t t0, int64_t t1, le_corpus_block *b);
/* Traces [t0, t1) into b with their ids alone (no spans, no ground truth):
 * a chunk of ids at a time. */
int le_corpus_read_ids(le_corpus *c, int64_t t0, int64_t t1, le_corpus_block *b);
/* The start times of traces [t0, t1) into start[t1 - t0]. */
int le_corpus_read_starts(le_corpus *c, int64_t t0, int64_t t1, int64_t *start);

void le_meta_free(le_corpus_meta *m);

#endif
