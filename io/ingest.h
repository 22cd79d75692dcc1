/* ingest: what format readers share — the parser context, the drop reasons
 * and the per-rank accounting that lets the summary prove
 *     rows read = spans kept + sum of every drop reason.
 * Readers (io/fmt_csv.c, io/fmt_json.c) turn one file into le_spanbuf
 * records; joining traces across files and ranks happens in mpi/ingest.c. */
#ifndef LE_INGEST_H
#define LE_INGEST_H

#include <stdint.h>

#include "spanbuf.h"

typedef enum le_drop {
    LE_DROP_DUPLICATE = 0, /* exact copy of another row of the same span */
    LE_DROP_CONFLICT,      /* same trace and span id as a kept row, other content */
    LE_DROP_MISSING_FIELD, /* a required column or key is absent or empty */
    LE_DROP_UNPARSABLE,    /* a field does not parse (number, time, ...) */
    LE_DROP_BAD_ROW,       /* wrong number of columns, broken quoting */
    LE_DROP_NEGATIVE_DURATION,
    LE_DROP_ABSURD_DURATION, /* longer than --max-duration */
    LE_DROP_ORPHAN,          /* parent id not in the trace (span and its subtree) */
    LE_DROP_EXTRA_ROOT,      /* a second root: the subtree of every root but the kept one */
    LE_DROP_CYCLE,           /* spans on a parent cycle, unreachable from the root */
    LE_DROP_TIME_RANGE,      /* starts or ends outside 1970-01-01..2200-01-01 (LE_TIME_MAX_US) */
    LE_DROP_LONG_ID,         /* a trace id longer than LE_TRACE_ID_MAX bytes */
    LE_DROP_N
} le_drop;

const char *le_drop_name(le_drop d); /* snake_case key for reports */

#define LE_EXAMPLES 3 /* file:line examples kept per drop reason */

typedef struct le_example {
    uint32_t file; /* UINT32_MAX = empty slot */
    uint64_t pos;
} le_example;

/* Start times that look like another unit than the one declared: a span
 * starting (in microseconds) at 1e8..1e10 is a date of 1973..2286 in
 * seconds, 1e11..1e13 one in milliseconds, 1e17..1e19 one in nanoseconds.
 * Counted per span, warned about once by ingest. */
enum { LE_UNIT_SECONDS, LE_UNIT_MILLIS, LE_UNIT_NANOS, LE_UNIT_N };

/* Lines first..last of file that one unparsable row took (a quote opened and
 * not closed swallows every line up to where parsing fails); file
 * UINT32_MAX: none. */
typedef struct le_swallow {
    uint32_t file;
    uint64_t first, last;
} le_swallow;

typedef struct le_ingest_stats {
    uint64_t rows_read; /* every row/span object seen */
    uint64_t dropped[LE_DROP_N];
    le_example example[LE_DROP_N][LE_EXAMPLES]; /* smallest (file, pos) per reason */
    le_swallow swallowed;                       /* the longest run of lines one row swallowed */
    uint64_t traces_dropped;                    /* traces with no span left */
    uint64_t label_conflicts;                   /* traces seen in both normal- and abnormal-labelled inputs */
    uint64_t bytes_read;
    uint64_t unit_hint[LE_UNIT_N]; /* spans whose start looks like LE_UNIT_* */
    /* How traces were put together (docs/ingest.md, "Trees"). Accounting:
     * rows_read = spans + dropped + merged_fragments - virtual_roots. */
    uint64_t merged_fragments;        /* Zipkin rows folded into another row of the same span */
    uint64_t virtual_roots;           /* spans made up to hold several roots */
    uint64_t orphans_attached;        /* spans with a missing parent hung under the root */
    uint64_t durations_from_children; /* spans without a duration given their children's extent */
    uint64_t unknown_durations;       /* spans without a duration nor children: duration 0 */
    /* rows kept by a rule of their CSV map that changes a value (docs/formats.md) */
    uint64_t abs_durations; /* [values] negative_duration = absolute turned a duration's sign */
    uint64_t unknown_names; /* a service, pod or operation value listed in [values] unknown_names */
} le_ingest_stats;

void le_stats_init(le_ingest_stats *st);
/* Count one dropped row at (file, pos); keeps the smallest examples. */
void le_stats_drop(le_ingest_stats *st, le_drop why, uint32_t file, uint64_t pos);
/* Keep s when it is longer than the run kept (the earlier one on a tie). */
void le_stats_swallow(le_ingest_stats *st, le_swallow s);
/* Fold b into a (same rules as le_stats_drop for examples). */
void le_stats_merge(le_ingest_stats *a, const le_ingest_stats *b);

/* How positions are printed: CSV readers count lines, JSON readers bytes. */
typedef enum { LE_POS_LINE = 0, LE_POS_BYTE = 1 } le_pos_kind;

typedef struct le_parse_ctx {
    le_spanbuf *out;
    le_ingest_stats *st;
    const char *path;        /* for messages */
    uint32_t file;           /* index in the job's input list */
    int8_t file_label;       /* from --label-by-filename: -1 none, 0 normal, 1 abnormal */
    int strict;              /* stop at the first dropped row */
    int64_t max_duration_us; /* longer spans are dropped as absurd */
} le_parse_ctx;

/* Validate one parsed span and append it to ctx->out, or count the drop.
 * Applies the file label when the span carries none. Returns LE_ERR_STRICT
 * (with a message naming path:pos) when strict and the span is dropped. */
int le_ingest_span(le_parse_ctx *ctx, le_span_in *s, uint64_t pos, le_pos_kind kind);
/* Count a row the reader could not turn into a span. Same strict rule.
 * Counts the drop only: the reader also counts the row in st->rows_read
 * (le_ingest_span does that itself for the rows it is given). */
int le_ingest_drop(le_parse_ctx *ctx, le_drop why, uint64_t pos, le_pos_kind kind, const char *detail);

/* All-or-nothing per file: a reader takes a mark before it reads and, when
 * the file fails (corrupt, truncated, foreign), rolls ctx->out and ctx->st
 * back to it, so a failed file leaves no partial traces and no counts (ingest
 * --keep-going goes on without it). bytes_read keeps the bytes the failed
 * file took. The strings it interned stay in the tables, unused: rows carry
 * their own strings through the join. */
typedef struct le_parse_mark {
    size_t n, ids_len;
    le_ingest_stats st;
} le_parse_mark;
void le_parse_mark_take(const le_parse_ctx *ctx, le_parse_mark *m);
void le_parse_roll_back(le_parse_ctx *ctx, const le_parse_mark *m);

/* ---- readers: each parses one whole file into ctx->out (CSV also in parts) ---- */

/* CSV column mapping, loaded from an INI file (configs/formats/NAME.ini). */
typedef struct le_csv_map le_csv_map;
int le_csv_map_load(const char *path, le_csv_map **out);
/* Named layout: looks for NAME.ini in the formats directory (see docs/ingest.md). */
int le_csv_map_named(const char *name, le_csv_map **out);
void le_csv_map_free(le_csv_map *m);
int le_read_csv(le_parse_ctx *ctx, const le_csv_map *map);
/* A CSV file read in parts (ingest past --max-rows: a file larger than a
 * rank's batch). le_csv_stream_read parses blocks of the file into
 * ctx->out until it holds at least rows rows or the file ends (*done = 1);
 * the rows are those le_read_csv gives, whatever the parts. A failed read
 * leaves the file's rows parsed so far: rolling back is the caller's (a
 * mark taken before open), as only it knows whether they are still there.
 * le_csv_stream_disk_bytes: bytes of the file as stored that the rows parsed
 * so far came from (pro rata of the block read ahead, for compressed files). */
typedef struct le_csv_stream le_csv_stream;
int le_csv_stream_open(const le_parse_ctx *ctx, const le_csv_map *map, le_csv_stream **out);
int le_csv_stream_read(le_csv_stream *s, size_t rows, int *done);
uint64_t le_csv_stream_disk_bytes(const le_csv_stream *s);
void le_csv_stream_close(le_csv_stream *s);

int le_read_jaeger(le_parse_ctx *ctx);
int le_read_zipkin(le_parse_ctx *ctx);
int le_read_otlp(le_parse_ctx *ctx);
/* OTLP protobuf: one ExportTraceServiceRequest (or TracesData), or the
 * collector file exporter's stream of 4-byte big-endian length-prefixed
 * ones (io/fmt_otlp_proto.c). */
int le_read_otlp_proto(le_parse_ctx *ctx);

/* Service name from a Kubernetes pod name (docs/ingest.md, "Services from
 * pods"): "ts-contacts-service-866bd68c97-xcqfx" -> "ts-contacts-service",
 * "frontend-2" -> "frontend". Writes the length of the service prefix. */
size_t le_service_from_pod(const char *pod, size_t n);

/* "YYYY-MM-DD HH:MM:SS[.fraction][Z]" ('T' allowed between date and time,
 * surrounding blanks ignored), read as UTC, to unix nanoseconds. Returns 0,
 * or -1 when s[0..n) is not such a time. Used by the CSV reader and the
 * fault-list reader. */
int le_parse_utc_datetime_ns(const char *s, size_t n, int64_t *ns);

#endif
