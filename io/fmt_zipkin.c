/* Zipkin v2 JSON: the body of POST /api/v2/spans (an array of spans) and
 * the answer of GET /api/v2/traces (an array of traces, each an array of
 * spans); a single span object is accepted too.
 *   {"traceId","id","parentId","name","timestamp"(µs),"duration"(µs),
 *    "kind","shared","localEndpoint":{"serviceName"},"tags":{...}}
 * Every span carries its own service, so spans go out as they end: nothing
 * is buffered beyond the span being read.
 *
 * Zipkin allows a span without duration (or timestamp): it is an
 * incomplete span, one whose end was never reported. It has no latency to
 * learn from, so it is dropped as missing_fields, not kept with duration 0.
 *
 * A "shared" span is the server half of an RPC whose client half has the
 * same id (B3 join). Keeping both under one id would make them conflict, so
 * the shared half becomes "<id>/shared", a child of the client half. Spans
 * whose parentId is <id> stay children of the client half. */
#include <string.h>

#include "ingest.h"
#include "json_stream.h"
#include "le_base.h"

enum {
    Z_ROOT = 1, /* a span, or an array: becomes Z_LIST */
    Z_LIST,     /* elements: spans, or arrays of spans (one per trace) */
    Z_ITEM,     /* an element of Z_LIST: becomes Z_SPAN or Z_SPANS */
    Z_SPANS,
    Z_SPAN,
    Z_TRACE_ID,
    Z_ID,
    Z_PARENT_ID,
    Z_NAME,
    Z_TIMESTAMP,
    Z_DURATION,
    Z_SHARED,
    Z_LOCAL,
    Z_SERVICE,
    Z_TAGS,
    Z_TAG_VALUE,
};

typedef struct zipkin {
    le_parse_ctx *ctx;
    le_jscratch s;
    le_jspan span;
    le_jtag tag;
    int shared;
    uint64_t spans_seen, spans_with_ids;
} zipkin;

#define KEY(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, n) == 0)

static le_jnode span_key(const char *k, size_t n)
{
    if (KEY("traceId")) return Z_TRACE_ID;
    if (KEY("id")) return Z_ID;
    if (KEY("parentId")) return Z_PARENT_ID;
    if (KEY("name")) return Z_NAME;
    if (KEY("timestamp")) return Z_TIMESTAMP;
    if (KEY("duration")) return Z_DURATION;
    if (KEY("localEndpoint")) return Z_LOCAL;
    if (KEY("tags")) return Z_TAGS;
    if (KEY("shared")) return Z_SHARED;
    return LE_JN_SKIP;
}

static le_jnode zipkin_key(void *u, le_jnode parent, const char *k, size_t n)
{
    zipkin *Z = u;
    switch (parent) {
    case Z_SPAN: return span_key(k, n);
    case Z_LOCAL: return KEY("serviceName") ? Z_SERVICE : LE_JN_SKIP;
    case Z_TAGS:
        le_jtag_reset(&Z->tag);
        le_jtag_key(&Z->tag, k, n);
        return Z_TAG_VALUE;
    }
    return LE_JN_SKIP;
}

static le_jnode zipkin_item(void *u, le_jnode parent)
{
    switch (parent) {
    case Z_LIST: return Z_ITEM;
    case Z_SPANS: return Z_SPAN;
    }
    return LE_JN_SKIP;
}

static void span_begin(zipkin *Z, uint64_t pos)
{
    le_jscratch_clear(&Z->s);
    le_jspan_reset(&Z->span, pos);
    Z->shared = 0;
    Z->spans_seen++;
}

/* See the file comment: the server half of a joined RPC span. */
static void split_shared(zipkin *Z)
{
    le_jspan *sp = &Z->span;
    if (!Z->shared || !sp->span_id.len) return;
    le_jstr client = sp->span_id;
    sp->span_id = le_jstr_suffix(&Z->s, client, "/shared");
    sp->parent_id = client;
}

static int span_end(zipkin *Z)
{
    le_jspan *sp = &Z->span;
    if (sp->trace_id.len || sp->span_id.len) Z->spans_with_ids++;
    if (!(sp->have & LE_JH_START)) le_jspan_fail(sp, LE_DROP_MISSING_FIELD, "no timestamp (incomplete span)");
    if (!(sp->have & LE_JH_DURATION)) le_jspan_fail(sp, LE_DROP_MISSING_FIELD, "no duration (incomplete span)");
    if (le_json_id_is_null(le_jstr_ptr(&Z->s, sp->parent_id), sp->parent_id.len)) sp->parent_id = (le_jstr){0, 0};
    split_shared(Z);
    return le_jspan_emit(Z->ctx, &Z->s, sp);
}

static int bad_row(zipkin *Z, uint64_t pos, const char *what) { return le_json_drop(Z->ctx, LE_DROP_BAD_ROW, pos, what); }

static int zipkin_open(void *u, le_jnode *node, int is_map, uint64_t pos)
{
    zipkin *Z = u;
    switch (*node) {
    case Z_ROOT: *node = is_map ? Z_SPAN : Z_LIST; break;
    case Z_ITEM: *node = is_map ? Z_SPAN : Z_SPANS; break;
    }
    switch (*node) {
    case Z_LIST:
    case Z_SPANS: return 0;
    case Z_SPAN:
        if (is_map) {
            span_begin(Z, pos);
            return 0;
        }
        *node = LE_JN_SKIP;
        return bad_row(Z, pos, "span is not an object");
    case Z_LOCAL:
    case Z_TAGS:
        if (is_map) return 0;
        break;
    case Z_TAG_VALUE: *node = LE_JN_SKIP; return 0; /* Zipkin tag values are strings; skip others */
    }
    le_jspan_fail(&Z->span, LE_DROP_BAD_ROW, "a span field has the wrong JSON type");
    *node = LE_JN_SKIP;
    return 0;
}

static int zipkin_close(void *u, le_jnode node, int is_map) { return node == Z_SPAN ? span_end(u) : 0; }

static int zipkin_scalar(void *u, le_jnode node, le_jv_type t, const char *v, size_t n, uint64_t pos)
{
    zipkin *Z = u;
    le_jspan *sp = &Z->span;
    switch (node) {
    case Z_TRACE_ID: le_jspan_str(&Z->s, sp, &sp->trace_id, t, v, n, "traceId is not a string"); return 0;
    case Z_ID: le_jspan_str(&Z->s, sp, &sp->span_id, t, v, n, "id is not a string"); return 0;
    case Z_PARENT_ID: le_jspan_str(&Z->s, sp, &sp->parent_id, t, v, n, "parentId is not a string"); return 0;
    case Z_NAME: le_jspan_str(&Z->s, sp, &sp->operation, t, v, n, "name is not a string"); return 0;
    case Z_SERVICE: le_jspan_str(&Z->s, sp, &sp->service, t, v, n, "localEndpoint.serviceName is not a string"); return 0;
    case Z_TIMESTAMP: le_jspan_num(sp, &sp->start, LE_JH_START, t, v, n, "timestamp is not a number"); return 0;
    case Z_DURATION: le_jspan_num(sp, &sp->duration, LE_JH_DURATION, t, v, n, "duration is not a number"); return 0;
    case Z_SHARED: Z->shared = t == LE_JV_BOOL && v[0] == 't'; return 0;
    case Z_TAG_VALUE:
        le_jtag_val(&Z->tag, t, v, n);
        le_jtag_apply(&Z->tag, sp, 1);
        return 0;
    case Z_ROOT:
        return le_fail(LE_ERR_FORMAT, "%s: byte %llu: top-level value is not an array or object: not Zipkin v2 JSON",
                       Z->ctx->path, (unsigned long long)pos);
    case Z_ITEM:
    case Z_SPAN: return bad_row(Z, pos, "span is not an object");
    case Z_LOCAL:
    case Z_TAGS: return 0; /* null or a stray scalar: nothing to read */
    }
    return 0;
}

static int zipkin_finish(void *u)
{
    zipkin *Z = u;
    if (Z->spans_seen > 0 && Z->spans_with_ids == 0)
        return le_fail(LE_ERR_FORMAT,
                       "%s: byte 0: no object has \"traceId\" or \"id\": not Zipkin v2 JSON "
                       "(a Jaeger or OTLP file? see --format)",
                       Z->ctx->path);
    return 0;
}

static const le_json_rules zipkin_rules = {
    .format = "Zipkin v2 JSON",
    .root = Z_ROOT,
    .key = zipkin_key,
    .item = zipkin_item,
    .open = zipkin_open,
    .close = zipkin_close,
    .scalar = zipkin_scalar,
    .finish = zipkin_finish,
};

int le_read_zipkin(le_parse_ctx *ctx)
{
    zipkin Z = {.ctx = ctx};
    int rc = le_json_run(ctx, &zipkin_rules, &Z);
    le_jscratch_free(&Z.s);
    return rc;
}
