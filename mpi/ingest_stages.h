/* ingest (driver side): the stages of `labelease ingest` after the readers.
 *
 *   parse (io/fmt_*.c, each rank its own files)
 *   -> route every span row to the rank owning its trace (hash of trace id)
 *   -> assemble: per trace drop duplicates and conflicts, build the tree
 *   -> name tables: global sorted service and operation tables
 *   -> order: sample sort of traces by (root start, id hash, id)
 *   -> write the corpus collectively
 * Only the order step decides where a trace lands, so the corpus is the
 * same whatever the number of ranks. */
#ifndef LE_INGEST_STAGES_H
#define LE_INGEST_STAGES_H

#include <stdint.h>

#include "corpus.h"
#include "ingest.h"
#include "spanbuf.h"
#include "strtab.h"

/* Traces after assembly, on the rank that owns them (local name ids). */
typedef struct le_asm {
    size_t n, cap;     /* traces */
    int64_t *span_off; /* [n + 1] */
    uint64_t *hash;    /* hash of trace id */
    int64_t *start;    /* root start */
    int8_t *label;
    uint32_t *id;   /* trace id in ids */
    le_strtab ids;  /* trace id strings */
    size_t m, mcap; /* kept spans */
    int32_t *parent, *service, *operation, *status;
    int64_t *start_us, *duration_us;
    int8_t *error;
    le_strtab services;   /* local service names */
    le_strtab operations; /* local "service\0operation" keys */
    uint64_t promoted_roots;
    uint64_t parents_via_ancestor; /* path ids: spans under an ancestor of their missing parent */
} le_asm;

void le_asm_init(le_asm *a);
void le_asm_free(le_asm *a);

/* Send every row of `in` to the rank owning its trace; `out` receives
 * this rank's rows (from all ranks). Consumes `in` (left empty). */
int le_route_rows(MPI_Comm comm, le_spanbuf *in, le_spanbuf *out);

/* How traces are assembled (le_assemble). */
typedef struct le_assemble_opts {
    int strict;         /* the first drop is an error naming file:pos ... */
    char *const *files; /* ... with these names */
    le_pos_kind kind;   /* ... and positions printed as lines or bytes */
    int tree_mode;      /* LE_TT_WHOLE (--roots virtual) or LE_TT_FIRST_ROOT (--roots first), algos/tracetree.h */
} le_assemble_opts;

/* Build traces from the rows this rank owns, counting every dropped row in
 * st: duplicates and conflicts dropped, Zipkin fragments merged, the tree
 * built (docs/ingest.md). */
int le_assemble(const le_spanbuf *rows, le_asm *out, le_ingest_stats *st, const le_assemble_opts *o);
/* The same, appending to out's traces and name tables (ingest's spill:
 * bucket after bucket into one le_asm, le_asm_clear_traces between). */
int le_assemble_more(const le_spanbuf *rows, le_asm *out, le_ingest_stats *st, const le_assemble_opts *o);
void le_asm_clear_traces(le_asm *a);

/* One row in the wire format of the routing exchange (and of ingest's
 * spill files): le_row_pack returns its size (writes it when dst is not
 * NULL); le_row_unpack appends it to out and returns its size. */
size_t le_row_pack(const le_spanbuf *b, size_t i, char *dst);
size_t le_row_unpack(const char *src, le_spanbuf *out);

/* Global sorted name tables from every rank's local ones; fills meta
 * (services, operations, operation_service) and maps a's ids to global. */
int le_unify_names(MPI_Comm comm, le_asm *a, le_corpus_meta *meta);
/* The same without touching a: the maps from a's local name ids to the
 * global ones ([services.n] and [operations.n], to free). */
int le_unify_names_map(MPI_Comm comm, const le_asm *a, le_corpus_meta *meta, int32_t **svc_map, int32_t **op_map);

/* The corpus order: root start, then hash of the id, then the id itself. */
typedef struct le_tkey {
    int64_t start;
    uint64_t hash;
} le_tkey;
int le_tkey_cmp(le_tkey a, le_tkey b);

/* One assembled trace in the wire format of the order exchange (and of
 * ingest's spill files): its size, key, and its name ids mapped. */
size_t le_trace_pack(const le_asm *a, size_t t, char *dst);
size_t le_trace_size(const char *rec); /* reads the head alone */
size_t le_trace_head_size(void);
le_tkey le_trace_key(const char *rec);
void le_trace_remap(char *rec, const int32_t *svc_map, const int32_t *op_map);

/* Collective: packed traces sent count[r] bytes to rank r; the received
 * ones sorted into block (gt: with ground-truth columns). */
int le_order_packed(MPI_Comm comm, const char *send, const uint64_t *count, int gt, le_corpus_block *block);
/* Collective: block's global offsets after base (traces, spans, id bytes)
 * and this step's totals over the ranks. */
int le_block_place(MPI_Comm comm, le_corpus_block *block, const int64_t base[3], int64_t total[3]);

/* Sample-sort traces across ranks and return this rank's contiguous block
 * (global offsets filled in: traces, spans and id bytes). */
int le_order_traces(MPI_Comm comm, const le_asm *a, le_corpus_meta *meta, le_corpus_block *block);

/* ingest's spill (mpi/ingest_spill.c): an input larger than the ranks'
 * memory joined and ordered through files under dir, a bucket or a step at
 * a time. In order, collective unless said:
 *   open        the files; *buckets lowered where ulimit -n says so;
 *   rows        after each batch of parsed rows (consumed);
 *   rows_end    the bucket files closed (a full disk may show here);
 *   bucket      (independent) bucket h's rows on this rank, rows initialised
 *               here, without those of files whose skip_file is 1 (a CSV
 *               file --keep-going skipped after some of its rows were
 *               spilled; NULL: keep every row), and traces (independent) the bucket's assembled
 *               traces, local name ids, for h = 0 .. buckets-1;
 *   plan        the steps, meta's totals;
 *   block       step s's block at its global offsets, s = 0 .. steps-1 (the
 *               last checks that every assembled trace was written);
 *   close       whatever the outcome: every file removed. */
typedef struct le_spill le_spill;
int le_spill_open(MPI_Comm comm, const char *dir, int *buckets, int64_t step_spans, le_spill **out);
int le_spill_rows(le_spill *sp, le_spanbuf *rows);
int le_spill_rows_end(le_spill *sp);
int le_spill_bucket(le_spill *sp, int h, const uint8_t *skip_file, le_spanbuf *rows);
int le_spill_traces(le_spill *sp, const le_asm *a);
int le_spill_plan(le_spill *sp, const int32_t *svc_map, const int32_t *op_map, le_corpus_meta *meta, int *steps);
int le_spill_block(le_spill *sp, int s, int gt, le_corpus_block *block);
int le_spill_close(le_spill *sp);

#endif
