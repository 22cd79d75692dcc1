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

/* Global sorted name tables from every rank's local ones; fills meta
 * (services, operations, operation_service) and maps a's ids to global. */
int le_unify_names(MPI_Comm comm, le_asm *a, le_corpus_meta *meta);

/* Sample-sort traces across ranks and return this rank's contiguous block
 * (global offsets filled in: traces, spans and id bytes). */
int le_order_traces(MPI_Comm comm, const le_asm *a, le_corpus_meta *meta, le_corpus_block *block);

#endif
