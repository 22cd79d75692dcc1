/* spanbuf: raw span records as parsers produce them, before traces are
 * joined across files and ranks. Columnar, with the strings that repeat
 * (trace ids, services, operations) interned and the span ids kept
 * verbatim in one arena.
 *
 * A record is one input row (CSV line, JSON span object). Its file index and
 * position (line for CSV, byte offset for JSON) travel with it through the
 * shuffle, so a drop decided on another rank still names file:line. */
#ifndef LE_SPANBUF_H
#define LE_SPANBUF_H

#include <stddef.h>
#include <stdint.h>

#include "strtab.h"

#define LE_NO_PARENT UINT64_MAX /* parent_off of a root span */

/* le_spanbuf.flags: what a reader knows beyond the columns. Only Zipkin
 * rows are fragments: rows of one trace with the same span id and the same
 * LE_SPAN_SHARED bit are pieces of one span and are merged when traces are
 * assembled (mpi/ingest_join.c), where any other repeated id is a
 * duplicate or a conflict. */
enum {
    LE_SPAN_FRAGMENT = 1,     /* a Zipkin span: may be one of several pieces of one span */
    LE_SPAN_SHARED = 2,       /* Zipkin "shared": the server half of an RPC whose client half has the same id */
    LE_SPAN_CLIENT = 4,       /* kind CLIENT (Zipkin backfills "shared" on a SERVER with a CLIENT's id) */
    LE_SPAN_SERVER = 8,       /* kind SERVER */
    LE_SPAN_NO_START = 16,    /* no start time given (start_us is 0): another fragment may have it */
    LE_SPAN_NO_DURATION = 32, /* no duration given (duration_us is 0): another fragment, or the children */
    LE_SPAN_NO_SERVICE = 64,  /* the service is the default "unknown" */
    LE_SPAN_NO_NAME = 128,    /* the operation is the default "unknown" */
};

typedef struct le_spanbuf {
    size_t n, cap;
    uint32_t *trace;      /* id in traces */
    uint64_t *span_off;   /* offset of span id in ids arena */
    uint64_t *parent_off; /* offset of parent span id, LE_NO_PARENT for a root */
    uint32_t *service;    /* id in names */
    uint32_t *operation;  /* id in names */
    int64_t *start_us;
    int64_t *duration_us;
    int32_t *status_code; /* protocol status (HTTP, gRPC, OTLP code), 0 = none */
    int8_t *error;        /* 1 when the source marks the span failed */
    int8_t *label;        /* -1 unknown, 0 normal, 1 abnormal (file-name rule, label column) */
    uint8_t *flags;       /* LE_SPAN_* */
    uint32_t *file;       /* index into the job's input file list */
    uint64_t *pos;        /* line number (CSV) or byte offset (JSON), 1-based line */
    le_strtab traces;     /* trace id strings */
    le_strtab names;      /* service and operation names */
    char *ids;            /* span ids, NUL-terminated */
    size_t ids_len, ids_cap;
    char path_sep; /* 0, or span ids are paths ("0.1.2", Alibaba's rpc_id): a
                    * parent missing from its trace is replaced by its nearest
                    * ancestor that is there (mpi/ingest_join.c) */
} le_spanbuf;

/* One span as a parser sees it: strings are (pointer, length) and need not
 * be NUL-terminated. parent == NULL (or parent_len == 0) means root. */
typedef struct le_span_in {
    const char *trace_id;
    size_t trace_id_len;
    const char *span_id;
    size_t span_id_len;
    const char *parent_id;
    size_t parent_id_len;
    const char *service;
    size_t service_len;
    const char *operation;
    size_t operation_len;
    int64_t start_us, duration_us;
    int32_t status_code;
    int8_t error, label;
    uint8_t flags; /* LE_SPAN_* */
} le_span_in;

void le_spanbuf_init(le_spanbuf *b);
void le_spanbuf_free(le_spanbuf *b);
void le_spanbuf_push(le_spanbuf *b, const le_span_in *s, uint32_t file, uint64_t pos);
static inline const char *le_spanbuf_span_id(const le_spanbuf *b, size_t i) { return b->ids + b->span_off[i]; }
static inline const char *le_spanbuf_parent_id(const le_spanbuf *b, size_t i)
{
    return b->parent_off[i] == LE_NO_PARENT ? NULL : b->ids + b->parent_off[i];
}

#endif
