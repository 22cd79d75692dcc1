/* json_stream: what the three JSON trace readers (fmt_jaeger.c,
 * fmt_zipkin.c, fmt_otlp.c) share.
 *
 *  - le_json_run feeds a file to yajl in large blocks read through
 *    io/infile (plain, gzip, zstd or stdin) and keeps the
 *    key path as a stack of small node codes. A reader only says, through
 *    le_json_rules, which node a key or array element leads to and what to
 *    do when a node opens, closes or holds a scalar. Node LE_JN_SKIP marks a
 *    subtree nobody wants: it is walked by a depth counter alone, so unknown
 *    keys cost no hook calls and any nesting depth is fine.
 *  - le_jscratch holds the strings of spans being assembled, reused from
 *    span to span (no allocation per span beyond amortised growth), and the
 *    spans a reader must hold back until it knows their service.
 *  - le_jtag interprets the tags/attributes that carry status and error.
 *
 * Positions are 0-based byte offsets into the (uncompressed) text; a span's position is
 * the byte of its opening '{'. On any error the file is all-or-nothing:
 * le_json_run removes the spans this file had appended to ctx->out and
 * restores ctx->st (le_parse_roll_back), so a failed file never leaves a
 * partial trace set. */
#ifndef LE_JSON_STREAM_H
#define LE_JSON_STREAM_H

#include <stddef.h>
#include <stdint.h>

#include "ingest.h"

typedef uint8_t le_jnode;
#define LE_JN_SKIP 0

typedef enum { LE_JV_STRING, LE_JV_NUMBER, LE_JV_BOOL, LE_JV_NULL } le_jv_type;

typedef struct le_json_rules {
    const char *format;  /* for messages: "Jaeger JSON" */
    le_jnode root;       /* node of each top-level value */
    int multiple_values; /* JSON lines: several top-level values */
    /* Node of the value under key k of a map whose node is parent. */
    le_jnode (*key)(void *u, le_jnode parent, const char *k, size_t n);
    /* Node of each element of an array whose node is parent. */
    le_jnode (*item)(void *u, le_jnode parent);
    /* A map or array opens at byte pos. The hook may rewrite *node: to
     * LE_JN_SKIP to ignore the subtree (a span of wrong shape), or to the
     * node the container's type reveals (a root that is an array). */
    int (*open)(void *u, le_jnode *node, int is_map, uint64_t pos);
    int (*close)(void *u, le_jnode node, int is_map);
    /* A scalar; s is only valid during the call. pos is the byte where
     * the value starts (for a string with escapes, a few bytes late). */
    int (*scalar)(void *u, le_jnode node, le_jv_type t, const char *s, size_t n, uint64_t pos);
    /* Optional: after the whole file parsed; may still reject it (a file
     * of another format that parsed as JSON but held no spans). */
    int (*finish)(void *u);
} le_json_rules;

/* Parse ctx->path. Returns 0, a hook's error, or LE_ERR_FORMAT naming the
 * file, the byte and yajl's message for invalid or truncated JSON. */
int le_json_run(le_parse_ctx *ctx, const le_json_rules *rules, void *u);

/* ---- span scratch ---- */

typedef struct le_jstr {
    uint32_t off, len;
} le_jstr; /* in le_jscratch.arena; len 0 = absent */

/* Bits of le_jspan.have */
enum { LE_JH_START = 1, LE_JH_END = 2, LE_JH_DURATION = 4, LE_JH_SERVICE = 8 };

typedef struct le_jspan {
    le_jstr trace_id, span_id, parent_id, service, operation;
    le_jstr svc_key;              /* Jaeger processID, resolved when the trace ends */
    int64_t start, end, duration; /* in the format's units until finished */
    int32_t status_code;          /* from http/rpc tags */
    int8_t status_rank;           /* where status_code came from: 0 none, 1 gRPC, 2 HTTP */
    int32_t proto_status;         /* OTLP status.code */
    int8_t error;
    uint8_t have;
    uint8_t flags; /* LE_SPAN_* (io/spanbuf.h) */
    int8_t drop;   /* -1 or an le_drop the reader already decided */
    const char *drop_detail;
    uint64_t pos;
} le_jspan;

typedef struct le_jscratch {
    char *arena;
    size_t len, cap;
    le_jspan *held; /* spans waiting for their service */
    size_t n_held, cap_held;
} le_jscratch;

void le_jscratch_free(le_jscratch *s);
le_jstr le_jstr_put(le_jscratch *s, const char *p, size_t n);
static inline const char *le_jstr_ptr(const le_jscratch *s, le_jstr t) { return s->arena ? s->arena + t.off : ""; }
int le_jstr_eq(const le_jscratch *s, le_jstr a, le_jstr b);
void le_jspan_reset(le_jspan *sp, uint64_t pos);
/* Copy a finished span into held (its strings stay in the arena). */
void le_jscratch_hold(le_jscratch *s, const le_jspan *sp);
/* Forget held spans and strings. */
static inline void le_jscratch_clear(le_jscratch *s)
{
    s->len = 0;
    s->n_held = 0;
}

/* Hand one span to le_ingest_span, or count the drop it carries.
 * Times must already be microseconds. */
int le_jspan_emit(le_parse_ctx *ctx, const le_jscratch *s, const le_jspan *sp);
/* Count a span object the reader could not use at all (rows_read too). */
int le_json_drop(le_parse_ctx *ctx, le_drop why, uint64_t pos, const char *detail);
/* Mark sp dropped (first reason wins). */
static inline void le_jspan_fail(le_jspan *sp, le_drop why, const char *detail)
{
    if (sp->drop < 0) {
        sp->drop = (int8_t)why;
        sp->drop_detail = detail;
    }
}

/* Field setters that judge the JSON type. A string field (id, name) must
 * be a string: anything else marks the span LE_DROP_BAD_ROW with detail
 * `wrong`. A number field takes a number or a numeric string; text that is
 * not a number marks LE_DROP_UNPARSABLE, a bool LE_DROP_BAD_ROW (detail
 * `bad`), and sets `bit` in sp->have. null means absent for both. */
void le_jspan_str(le_jscratch *s, le_jspan *sp, le_jstr *dst, le_jv_type t, const char *p, size_t n, const char *wrong);
void le_jspan_num(le_jspan *sp, int64_t *dst, uint8_t bit, le_jv_type t, const char *p, size_t n, const char *bad);

/* ---- values ---- */

/* Integer from a JSON number or numeric string ("1674953044123456",
 * "-3"); a fraction or exponent is accepted and truncated toward zero.
 * Returns 0 on success, -1 when the text is not a number or overflows. */
int le_json_int(const char *s, size_t n, int64_t *out);
/* An id that is empty or all zeros means "none" (Jaeger/OTLP use zeros). */
int le_json_id_is_null(const char *s, size_t n);
/* An id as the reader keeps it, in hex: hex is kept as written (OTLP's
 * lower-cased: OTLP/JSON hex is case-insensitive, and the protobuf reader
 * writes lower case, so both spell one trace alike); base64 (how protobuf's
 * JSON mapping writes `bytes`: Jaeger api_v2 model JSON, Tempo) is decoded
 * to lower-case hex. Base64 of an 8- or 16-byte id always ends in '=', so
 * it is never mistaken for hex. jaeger_short: a 16-byte trace id whose
 * high 8 bytes are zero becomes 16 hex digits, as Jaeger prints it.
 * Writes at most 2 * n bytes to out; returns the length. */
size_t le_json_id_hex(const char *s, size_t n, char *out, int lower, int jaeger_short);
/* Like le_jspan_str, for an id (le_json_id_hex). */
void le_jspan_id(le_jscratch *s, le_jspan *sp, le_jstr *dst, le_jv_type t, const char *p, size_t n, const char *wrong,
                 int lower, int jaeger_short);
/* RFC 3339 time, as protobuf's JSON mapping writes a Timestamp
 * ("2017-01-26T16:46:31.639875-05:00", "...Z"), to unix microseconds
 * (fraction digits past 6 truncated). Returns 0, or -1. */
int le_json_rfc3339_us(const char *s, size_t n, int64_t *us);
/* A duration with units, as Go and protobuf's JSON mapping write them
 * ("0.000100s", "100000ns", "22.938ms", "1m2.5s"; units h m s ms us µs ns),
 * to microseconds, truncated. Returns 0, or -1. */
int le_json_duration_us(const char *s, size_t n, int64_t *us);

/* ---- tags and attributes that carry status and error ---- */

typedef struct le_jtag {
    char key[64];
    size_t key_len;
    int key_long; /* key_long: did not fit */
    char val[64];
    size_t val_len;
    int val_long;
    le_jv_type val_type;
    int has_val;
} le_jtag;

static inline void le_jtag_reset(le_jtag *t)
{
    t->key_len = t->val_len = 0;
    t->key_long = t->val_long = 0;
    t->has_val = 0;
}
void le_jtag_key(le_jtag *t, const char *s, size_t n);
void le_jtag_val(le_jtag *t, le_jv_type type, const char *s, size_t n);
/* Apply a complete tag to sp: error / otel.status_code set error,
 * http.status_code, http.response.status_code, rpc.grpc.status_code set
 * status_code (HTTP wins over gRPC). A status that does not parse marks the
 * span LE_DROP_UNPARSABLE. zipkin_rules: Zipkin's convention that any
 * "error" tag marks an error (its value is the message). */
void le_jtag_apply(const le_jtag *t, le_jspan *sp, int zipkin_rules);

/* ---- what the OTLP readers share (io/fmt_otlp.c, io/fmt_otlp_proto.c) ---- */

/* status.code: 0 unset, 1 ok, 2 error (error = 1); others mark the span
 * LE_DROP_UNPARSABLE. */
void le_otlp_status(le_jspan *sp, int64_t code);
/* A span fully read: ns times to µs (or missing_fields), an all-zero
 * parent to none, the OTLP status as status_code when no HTTP/gRPC code. */
void le_otlp_span_done(const le_jscratch *s, le_jspan *sp);

#endif
