/* OTLP JSON: the OTLP/HTTP JSON encoding of ExportTraceServiceRequest, one
 * per file, or the collector file exporter's JSON lines (one request per
 * line, hence several top-level values).
 *   {"resourceSpans":[{"resource":{"attributes":[{"key":"service.name",
 *     "value":{"stringValue":"x"}}]},
 *     "scopeSpans":[{"scope":{...},"spans":[{"traceId","spanId",
 *     "parentSpanId","name","kind","startTimeUnixNano","endTimeUnixNano",
 *     "attributes":[...],"status":{"code"}}]}]}]}
 * The pre-1.0 name "instrumentationLibrarySpans" is read like scopeSpans.
 * Wrappers: Grafana Tempo and Grafana's "download trace" write the
 * resourceSpans list as "batches"; Jaeger's API v3 answers
 * {"result":{"resourceSpans":...}} and Tempo's v2 API {"trace":{...}}.
 * Ids in hex (the OTLP/JSON rule) or base64 (Tempo's protobuf JSON) both
 * become lower-case hex (le_json_id_hex).
 *
 * The service comes from the resource. JSON does not order keys, so when
 * "resource" follows the spans of its resourceSpans element those spans
 * wait until the element ends; otherwise they go out at once. Memory is
 * bounded by one resourceSpans element.
 *
 * Times are unix nanoseconds (a string, as the protobuf JSON mapping writes
 * 64-bit integers, or a number): start_us = start / 1000 and
 * duration_us = (end - start) / 1000, truncated. */
#include <string.h>

#include "ingest.h"
#include "json_stream.h"
#include "le_base.h"

enum {
    O_ROOT = 1,
    O_WRAP, /* "result" or "trace": a request inside a wrapper */
    O_RSS,
    O_RS, /* resourceSpans array and element */
    O_RESOURCE,
    O_RATTRS,
    O_RATTR,
    O_RA_KEY,
    O_RA_VALUE,
    O_RA_STRING,
    O_SSS,
    O_SS, /* scopeSpans array and element */
    O_SPANS,
    O_SPAN,
    O_TRACE_ID,
    O_SPAN_ID,
    O_PARENT_ID,
    O_NAME,
    O_START,
    O_END,
    O_ATTRS,
    O_ATTR,
    O_A_KEY,
    O_A_VALUE,
    O_A_SCALAR,
    O_STATUS,
    O_STATUS_CODE,
};

typedef struct otlp {
    le_parse_ctx *ctx;
    le_jscratch s;
    /* the resourceSpans element being read */
    le_jstr service;
    int resource_done;
    le_jtag rattr;          /* key of the resource attribute */
    le_jstr rattr_value;    /* its stringValue, any length */
    int saw_resource_spans; /* this top-level value has the key */
    uint64_t root_pos;      /* where that value starts */
    /* the span being read */
    le_jspan span;
    size_t span_mark;
    le_jtag tag;
} otlp;

#define KEY(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, n) == 0)

static le_jnode span_key(const char *k, size_t n)
{
    if (KEY("traceId")) return O_TRACE_ID;
    if (KEY("spanId")) return O_SPAN_ID;
    if (KEY("parentSpanId")) return O_PARENT_ID;
    if (KEY("name")) return O_NAME;
    if (KEY("startTimeUnixNano")) return O_START;
    if (KEY("endTimeUnixNano")) return O_END;
    if (KEY("attributes")) return O_ATTRS;
    if (KEY("status")) return O_STATUS;
    return LE_JN_SKIP;
}

static int is_any_value(const char *k, size_t n)
{
    return KEY("stringValue") || KEY("intValue") || KEY("boolValue") || KEY("doubleValue");
}

static le_jnode otlp_key(void *u, le_jnode parent, const char *k, size_t n)
{
    otlp *O = u;
    switch (parent) {
    case O_ROOT:
        if (KEY("result") || KEY("trace")) return O_WRAP;
        /* fall through */
    case O_WRAP:
        if (!KEY("resourceSpans") && !KEY("batches")) return LE_JN_SKIP;
        O->saw_resource_spans = 1;
        return O_RSS;
    case O_RS:
        if (KEY("resource")) return O_RESOURCE;
        return KEY("scopeSpans") || KEY("instrumentationLibrarySpans") ? O_SSS : LE_JN_SKIP;
    case O_RESOURCE: return KEY("attributes") ? O_RATTRS : LE_JN_SKIP;
    case O_RATTR:
        if (KEY("key")) return O_RA_KEY;
        return KEY("value") ? O_RA_VALUE : LE_JN_SKIP;
    case O_RA_VALUE: return KEY("stringValue") ? O_RA_STRING : LE_JN_SKIP;
    case O_SS: return KEY("spans") ? O_SPANS : LE_JN_SKIP;
    case O_SPAN: return span_key(k, n);
    case O_ATTR:
        if (KEY("key")) return O_A_KEY;
        return KEY("value") ? O_A_VALUE : LE_JN_SKIP;
    case O_A_VALUE: return is_any_value(k, n) ? O_A_SCALAR : LE_JN_SKIP;
    case O_STATUS: return KEY("code") ? O_STATUS_CODE : LE_JN_SKIP;
    }
    return LE_JN_SKIP;
}

static le_jnode otlp_item(void *u, le_jnode parent)
{
    switch (parent) {
    case O_RSS: return O_RS;
    case O_RATTRS: return O_RATTR;
    case O_SSS: return O_SS;
    case O_SPANS: return O_SPAN;
    case O_ATTRS: return O_ATTR;
    }
    return LE_JN_SKIP;
}

/* ---- resourceSpans ---- */

static void resource_begin(otlp *O)
{
    le_jscratch_clear(&O->s);
    O->service = (le_jstr){0, 0};
    O->resource_done = 0;
}

static int resource_end(otlp *O)
{
    for (size_t i = 0; i < O->s.n_held; i++) {
        O->s.held[i].service = O->service;
        LE_CHECK(le_jspan_emit(O->ctx, &O->s, &O->s.held[i]));
    }
    resource_begin(O);
    return 0;
}

static void rattr_end(otlp *O)
{
    static const char name[] = "service.name";
    if (!O->rattr.key_long && O->rattr.key_len == sizeof name - 1 && memcmp(O->rattr.key, name, sizeof name - 1) == 0 &&
        O->rattr_value.len)
        O->service = O->rattr_value;
}

/* ---- spans ---- */

static void span_begin(otlp *O, uint64_t pos)
{
    le_jspan_reset(&O->span, pos);
    O->span_mark = O->s.len;
}

void le_otlp_status(le_jspan *sp, int64_t code)
{
    if (code < 0 || code > 2) {
        le_jspan_fail(sp, LE_DROP_UNPARSABLE, "status.code is not 0, 1, 2 or STATUS_CODE_*");
        return;
    }
    sp->proto_status = (int32_t)code;
    if (code == 2) sp->error = 1;
}

/* OTLP status: 0 unset, 1 ok, 2 error; JSON gives the number or the enum name. */
static void set_status(le_jspan *sp, le_jv_type t, const char *v, size_t n)
{
    int64_t code;
    if (t == LE_JV_NULL) return;
    if (t == LE_JV_STRING && n > 12 && memcmp(v, "STATUS_CODE_", 12) == 0) {
        v += 12, n -= 12;
        code = (n == 5 && !memcmp(v, "UNSET", 5))   ? 0
               : (n == 2 && !memcmp(v, "OK", 2))    ? 1
               : (n == 5 && !memcmp(v, "ERROR", 5)) ? 2
                                                    : -1;
    } else if (t == LE_JV_BOOL || le_json_int(v, n, &code)) {
        code = -1;
    }
    le_otlp_status(sp, code);
}

static void finish_times(le_jspan *sp)
{
    if (!(sp->have & LE_JH_START)) le_jspan_fail(sp, LE_DROP_MISSING_FIELD, "no startTimeUnixNano");
    if (!(sp->have & LE_JH_END)) le_jspan_fail(sp, LE_DROP_MISSING_FIELD, "no endTimeUnixNano");
    if (sp->drop >= 0) return;
    int64_t start_ns = sp->start;
    sp->start = start_ns / 1000;
    sp->duration = (sp->end - start_ns) / 1000; /* negative stays negative: le_ingest_span counts it */
}

void le_otlp_span_done(const le_jscratch *s, le_jspan *sp)
{
    finish_times(sp);
    if (le_json_id_is_null(le_jstr_ptr(s, sp->parent_id), sp->parent_id.len)) sp->parent_id = (le_jstr){0, 0};
    if (!sp->status_rank && sp->proto_status) sp->status_code = sp->proto_status; /* no HTTP/gRPC code: OTLP's */
}

static int span_end(otlp *O)
{
    le_jspan *sp = &O->span;
    le_otlp_span_done(&O->s, sp);
    if (sp->drop < 0 && !O->resource_done) {
        le_jscratch_hold(&O->s, sp); /* "resource" may still follow */
        return 0;
    }
    sp->service = O->service;
    int rc = le_jspan_emit(O->ctx, &O->s, sp);
    O->s.len = O->span_mark;
    return rc;
}

/* ---- hooks ---- */

static int otlp_open(void *u, le_jnode *node, int is_map, uint64_t pos)
{
    otlp *O = u;
    switch (*node) {
    case O_ROOT:
        if (is_map) {
            O->saw_resource_spans = 0;
            O->root_pos = pos;
            return 0;
        }
        return le_fail(LE_ERR_FORMAT, "%s: byte %llu: top-level value is not an object: not OTLP JSON", O->ctx->path,
                       (unsigned long long)pos);
    case O_RS:
        if (is_map) resource_begin(O);
        break;
    case O_RATTR:
        le_jtag_reset(&O->rattr);
        O->rattr_value = (le_jstr){0, 0};
        break;
    case O_SPAN:
        if (is_map) {
            span_begin(O, pos);
            return 0;
        }
        *node = LE_JN_SKIP;
        return le_json_drop(O->ctx, LE_DROP_BAD_ROW, pos, "span is not an object");
    case O_ATTR: le_jtag_reset(&O->tag); break;
    case O_ATTRS:
    case O_STATUS:
    case O_A_VALUE:
        if (is_map == (*node != O_ATTRS)) return 0; /* attributes: an array; status, value: objects */
        le_jspan_fail(&O->span, LE_DROP_BAD_ROW, "attributes or status of the wrong JSON type");
        *node = LE_JN_SKIP;
        return 0;
    case O_TRACE_ID:
    case O_SPAN_ID:
    case O_PARENT_ID:
    case O_NAME:
    case O_START:
    case O_END:
    case O_STATUS_CODE:
        le_jspan_fail(&O->span, LE_DROP_BAD_ROW, "a span field has the wrong JSON type");
        *node = LE_JN_SKIP;
        return 0;
    case O_SPANS:
    case O_RSS:
    case O_SSS:
    case O_RATTRS: {
        int spans = *node == O_SPANS;
        if (!is_map) return 0;
        *node = LE_JN_SKIP;
        return spans ? le_json_drop(O->ctx, LE_DROP_BAD_ROW, pos, "\"spans\" is not an array") : 0;
    }
    }
    int want_map = *node == O_WRAP || *node == O_RS || *node == O_RESOURCE || *node == O_RATTR || *node == O_RA_VALUE ||
                   *node == O_SS || *node == O_ATTR;
    if (!want_map || !is_map) *node = LE_JN_SKIP; /* array values, wrong shapes around spans: nothing to read */
    return 0;
}

static int otlp_close(void *u, le_jnode node, int is_map)
{
    otlp *O = u;
    switch (node) {
    case O_SPAN: return span_end(O);
    case O_ATTR: le_jtag_apply(&O->tag, &O->span, 0); return 0;
    case O_RATTR: rattr_end(O); return 0;
    case O_RESOURCE: O->resource_done = 1; return 0;
    case O_RS: return resource_end(O);
    case O_ROOT:
        if (O->saw_resource_spans) return 0;
        return le_fail(LE_ERR_FORMAT,
                       "%s: byte %llu: top-level object has no \"resourceSpans\" (or \"batches\"): not OTLP JSON "
                       "(a Jaeger or Zipkin file? see --format)",
                       O->ctx->path, (unsigned long long)O->root_pos);
    }
    return 0;
}

static int otlp_scalar(void *u, le_jnode node, le_jv_type t, const char *v, size_t n, uint64_t pos)
{
    otlp *O = u;
    le_jspan *sp = &O->span;
    switch (node) {
    case O_TRACE_ID: le_jspan_id(&O->s, sp, &sp->trace_id, t, v, n, "traceId is not a string", 1, 0); return 0;
    case O_SPAN_ID: le_jspan_id(&O->s, sp, &sp->span_id, t, v, n, "spanId is not a string", 1, 0); return 0;
    case O_PARENT_ID: le_jspan_id(&O->s, sp, &sp->parent_id, t, v, n, "parentSpanId is not a string", 1, 0); return 0;
    case O_NAME: le_jspan_str(&O->s, sp, &sp->operation, t, v, n, "name is not a string"); return 0;
    case O_START: le_jspan_num(sp, &sp->start, LE_JH_START, t, v, n, "startTimeUnixNano is not a number"); return 0;
    case O_END: le_jspan_num(sp, &sp->end, LE_JH_END, t, v, n, "endTimeUnixNano is not a number"); return 0;
    case O_STATUS_CODE: set_status(sp, t, v, n); return 0;
    case O_A_KEY:
        if (t == LE_JV_STRING) le_jtag_key(&O->tag, v, n);
        return 0;
    case O_A_SCALAR: le_jtag_val(&O->tag, t, v, n); return 0;
    case O_RA_KEY:
        if (t == LE_JV_STRING) le_jtag_key(&O->rattr, v, n);
        return 0;
    case O_RA_STRING:
        if (t == LE_JV_STRING) O->rattr_value = le_jstr_put(&O->s, v, n);
        return 0;
    case O_ROOT:
        return le_fail(LE_ERR_FORMAT, "%s: byte %llu: top-level value is not an object: not OTLP JSON", O->ctx->path,
                       (unsigned long long)pos);
    case O_SPAN: return t == LE_JV_NULL ? 0 : le_json_drop(O->ctx, LE_DROP_BAD_ROW, pos, "span is not an object");
    }
    return 0;
}

static const le_json_rules otlp_rules = {
    .format = "OTLP JSON",
    .root = O_ROOT,
    .multiple_values = 1,
    .key = otlp_key,
    .item = otlp_item,
    .open = otlp_open,
    .close = otlp_close,
    .scalar = otlp_scalar,
};

int le_read_otlp(le_parse_ctx *ctx)
{
    otlp O = {.ctx = ctx};
    int rc = le_json_run(ctx, &otlp_rules, &O);
    le_jscratch_free(&O.s);
    return rc;
}
