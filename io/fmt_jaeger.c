/* Jaeger JSON: what the UI's "Download JSON" and the query API
 * (/api/traces) return:
 *   {"data":[{"traceID","spans":[...],"processes":{"p1":{"serviceName"}}}],
 *    "total","limit","offset","errors"}
 * Also a top-level array of trace objects, "data" holding one trace object
 * (/api/traces/{id} of some versions), a single trace object, a bare array
 * of spans (what jaeger-anonymizer writes), spans with an inline "process"
 * and old exports with "parentSpanID"; the api_v2 model JSON of the gRPC
 * gateway ({"result":{"spans":[...]}} chunks, or {"spans":[...]}) with
 * "traceId"/"spanId" in base64, RFC 3339 startTime, "22938000ns" durations
 * and vStr/vInt64/vBool tag values. An API v3 answer {"result":
 * {"resourceSpans":...}} is OTLP: le_read_jaeger reads it with le_read_otlp.
 *
 * An element of a top-level array may be a trace or a span: it is read as
 * both until a key decides ("spans"/"processes": a trace; a span field: a
 * span).
 *
 * A span names its service only through processID, and "processes" may
 * follow "spans", so spans wait in the scratch until their trace object
 * ends, unless the service is already known when the span ends (processes
 * first, or an inline process): then they go out at once. Memory is
 * bounded by one trace. docs/formats-json.md lists the fields read. */
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "infile.h"
#include "json_stream.h"
#include "le_base.h"

enum {
    J_ROOT = 1, /* {"data":[...]} wrapper or a single trace; an array root becomes J_TRACES */
    J_TRACES,
    J_TRACE,
    J_TRACE_ID,
    J_ELEM,       /* element of a top-level or "data" array: trace or span */
    J_E_TRACE_ID, /* its traceID: the trace's or the span's */
    J_SPANS,
    J_SPAN,
    J_S_TRACE_ID,
    J_S_SPAN_ID,
    J_S_PARENT,
    J_S_OPERATION,
    J_S_START,
    J_S_DURATION,
    J_S_PROCESS_ID,
    J_S_PROCESS,
    J_S_SERVICE,
    J_REFS,
    J_REF,
    J_R_TYPE,
    J_R_TRACE_ID,
    J_R_SPAN_ID,
    J_TAGS,
    J_TAG,
    J_T_KEY,
    J_T_VALUE,
    J_PROCESSES,
    J_PROCESS,
    J_P_SERVICE,
};

/* REF_UNSET: no refType key. The model JSON leaves CHILD_OF out (the
 * proto3 default, 0), so a reference without a type is a CHILD_OF. */
enum { REF_OTHER = 0, REF_CHILD_OF, REF_FOLLOWS_FROM, REF_UNSET };
enum { ELEM_UNKNOWN = 0, ELEM_TRACE, ELEM_SPAN };

typedef struct jref {
    le_jstr trace, span;
    int set;
} jref;
typedef struct jproc {
    le_jstr id, service;
} jproc;

typedef struct jaeger {
    le_parse_ctx *ctx;
    le_jscratch s;
    /* the trace object being read */
    le_jstr trace_id; /* for spans that carry none */
    jproc *procs;
    size_t n_procs, cap_procs;
    int procs_done; /* its "processes" map has been read */
    le_jstr cur_pid;
    uint64_t spans_seen, traces_without_spans, traces_not_objects;
    int root_is_wrapper; /* the top object has "data" or "result": it is no trace itself */
    int trace_has_spans;
    int elem_kind; /* ELEM_*: what the J_ELEM being read turned out to be */
    int saw_otlp;  /* "resourceSpans" in a "result": an API v3 answer */
    /* the span being read */
    le_jspan span;
    size_t span_mark;       /* scratch length before the span's strings */
    jref child_of, follows; /* first reference of each kind */
    int ref_type;
    jref ref;
    le_jtag tag;
} jaeger;

#define KEY(lit) (n == sizeof(lit) - 1 && memcmp(k, lit, n) == 0)

static le_jnode trace_key(jaeger *J, const char *k, size_t n)
{
    if (KEY("spans")) return J_SPANS;
    if (KEY("processes")) return J_PROCESSES;
    if (KEY("traceID") || KEY("traceId")) return J_TRACE_ID;
    if (KEY("resourceSpans")) J->saw_otlp = 1;
    return LE_JN_SKIP;
}

/* UI JSON spells "traceID", the api_v2 model JSON "traceId". */
static le_jnode span_key(const char *k, size_t n)
{
    if (KEY("traceID") || KEY("traceId")) return J_S_TRACE_ID;
    if (KEY("spanID") || KEY("spanId")) return J_S_SPAN_ID;
    if (KEY("operationName")) return J_S_OPERATION;
    if (KEY("references")) return J_REFS;
    if (KEY("startTime")) return J_S_START;
    if (KEY("duration")) return J_S_DURATION;
    if (KEY("tags")) return J_TAGS;
    if (KEY("processID") || KEY("processId")) return J_S_PROCESS_ID;
    if (KEY("process")) return J_S_PROCESS;
    if (KEY("parentSpanID")) return J_S_PARENT;
    return LE_JN_SKIP;
}

/* A key of an array element decides whether it is a trace or a span. */
static le_jnode elem_key(jaeger *J, const char *k, size_t n)
{
    if (KEY("traceID") || KEY("traceId")) return J_E_TRACE_ID;
    le_jnode node = trace_key(J, k, n);
    if (node != LE_JN_SKIP) {
        J->elem_kind = ELEM_TRACE;
        return node;
    }
    node = span_key(k, n);
    if (node != LE_JN_SKIP && J->elem_kind == ELEM_UNKNOWN) J->elem_kind = ELEM_SPAN;
    return J->elem_kind == ELEM_SPAN ? node : LE_JN_SKIP;
}

/* The tag value: "value" in UI JSON, vStr/vInt64/vBool/vFloat64 in the
 * model JSON (whose vType may be left out: STRING is the proto3 default). */
static int is_tag_value(const char *k, size_t n)
{
    return KEY("value") || KEY("vStr") || KEY("vInt64") || KEY("vBool") || KEY("vFloat64");
}

static le_jnode jaeger_key(void *u, le_jnode parent, const char *k, size_t n)
{
    jaeger *J = u;
    switch (parent) {
    case J_ROOT:
        if (KEY("data")) {
            J->root_is_wrapper = 1;
            return J_TRACES;
        }
        if (KEY("result")) { /* gRPC gateway: api_v2 spans chunk, or API v3 OTLP */
            J->root_is_wrapper = 1;
            return J_TRACE;
        }
        return trace_key(J, k, n);
    case J_TRACE: return trace_key(J, k, n);
    case J_ELEM: return elem_key(J, k, n);
    case J_SPAN: return span_key(k, n);
    case J_S_PROCESS: return KEY("serviceName") ? J_S_SERVICE : LE_JN_SKIP;
    case J_REF:
        if (KEY("refType")) return J_R_TYPE;
        if (KEY("traceID") || KEY("traceId")) return J_R_TRACE_ID;
        if (KEY("spanID") || KEY("spanId")) return J_R_SPAN_ID;
        return LE_JN_SKIP;
    case J_TAG:
        if (KEY("key")) return J_T_KEY;
        if (is_tag_value(k, n)) return J_T_VALUE;
        return LE_JN_SKIP;
    case J_PROCESSES:
        J->cur_pid = le_jstr_put(&J->s, k, n); /* the key is the process id */
        return J_PROCESS;
    case J_PROCESS: return KEY("serviceName") ? J_P_SERVICE : LE_JN_SKIP;
    }
    return LE_JN_SKIP;
}

static le_jnode jaeger_item(void *u, le_jnode parent)
{
    switch (parent) {
    case J_TRACES: return J_ELEM;
    case J_SPANS: return J_SPAN;
    case J_REFS: return J_REF;
    case J_TAGS: return J_TAG;
    }
    return LE_JN_SKIP;
}

/* ---- traces ---- */

static void trace_begin(jaeger *J)
{
    le_jscratch_clear(&J->s);
    J->trace_id = (le_jstr){0, 0};
    J->n_procs = 0;
    J->procs_done = 0;
    J->trace_has_spans = 0;
}

static le_jstr service_of(const jaeger *J, le_jstr pid)
{
    for (size_t i = 0; i < J->n_procs; i++)
        if (le_jstr_eq(&J->s, J->procs[i].id, pid)) return J->procs[i].service;
    return (le_jstr){0, 0}; /* unknown process: le_ingest_span names it "unknown" */
}

static int trace_end(jaeger *J, int is_trace)
{
    for (size_t i = 0; i < J->s.n_held; i++) {
        le_jspan *sp = &J->s.held[i];
        if (!sp->trace_id.len) sp->trace_id = J->trace_id; /* traceID may follow spans */
        if (!sp->service.len) sp->service = service_of(J, sp->svc_key);
        LE_CHECK(le_jspan_emit(J->ctx, &J->s, sp));
    }
    if (is_trace && !J->trace_has_spans) J->traces_without_spans++;
    trace_begin(J);
    return 0;
}

static void add_process(jaeger *J, le_jstr service)
{
    LE_RESERVE(J->procs, J->cap_procs, J->n_procs + 1);
    J->procs[J->n_procs++] = (jproc){J->cur_pid, service};
}

/* ---- spans ---- */

static void span_begin(jaeger *J, uint64_t pos)
{
    le_jspan_reset(&J->span, pos);
    J->span_mark = J->s.len;
    J->child_of.set = J->follows.set = 0;
}

static int same_trace(const jaeger *J, const jref *r)
{
    return !r->trace.len || !J->span.trace_id.len || le_jstr_eq(&J->s, r->trace, J->span.trace_id);
}

/* First CHILD_OF reference, else first FOLLOWS_FROM, else the old
 * parentSpanID. A reference into another trace (a FOLLOWS_FROM link to the
 * request that queued this work) cannot be a parent here. */
static void choose_parent(jaeger *J)
{
    le_jspan *sp = &J->span;
    if (J->child_of.set && same_trace(J, &J->child_of))
        sp->parent_id = J->child_of.span;
    else if (J->follows.set && same_trace(J, &J->follows))
        sp->parent_id = J->follows.span;
    if (le_json_id_is_null(le_jstr_ptr(&J->s, sp->parent_id), sp->parent_id.len)) sp->parent_id = (le_jstr){0, 0};
}

static int span_end(jaeger *J)
{
    le_jspan *sp = &J->span;
    J->spans_seen++;
    if (!(sp->have & LE_JH_START)) le_jspan_fail(sp, LE_DROP_MISSING_FIELD, "no startTime");
    if (!(sp->have & LE_JH_DURATION)) le_jspan_fail(sp, LE_DROP_MISSING_FIELD, "no duration");
    if (!sp->trace_id.len) sp->trace_id = J->trace_id;
    choose_parent(J);
    if (sp->drop < 0 && !sp->service.len && !J->procs_done) {
        le_jscratch_hold(&J->s, sp); /* its process may come later in the trace */
        return 0;
    }
    if (!sp->service.len) sp->service = service_of(J, sp->svc_key);
    int rc = le_jspan_emit(J->ctx, &J->s, sp);
    J->s.len = J->span_mark; /* its strings are copied out: reuse the space */
    return rc;
}

static void ref_end(jaeger *J)
{
    if (!J->ref.span.len) return;
    if (J->ref_type == REF_UNSET) J->ref_type = REF_CHILD_OF;
    jref *slot = J->ref_type == REF_CHILD_OF ? &J->child_of : J->ref_type == REF_FOLLOWS_FROM ? &J->follows : NULL;
    if (slot && !slot->set) {
        *slot = J->ref;
        slot->set = 1;
    }
}

/* ---- hooks ---- */

static int bad_row(jaeger *J, uint64_t pos, const char *what) { return le_json_drop(J->ctx, LE_DROP_BAD_ROW, pos, what); }

static int is_span_field(le_jnode node)
{
    return node == J_E_TRACE_ID || (node >= J_S_TRACE_ID && node <= J_S_SERVICE) ||
           (node >= J_R_TYPE && node <= J_R_SPAN_ID) || node == J_REFS || node == J_TAGS || node == J_REF || node == J_TAG ||
           node == J_T_KEY;
}

static int jaeger_open(void *u, le_jnode *node, int is_map, uint64_t pos)
{
    jaeger *J = u;
    switch (*node) {
    case J_ROOT:
        J->root_is_wrapper = 0;
        if (is_map)
            trace_begin(J);
        else
            *node = J_TRACES;
        return 0;
    case J_ELEM:
        if (is_map) {
            trace_begin(J);
            span_begin(J, pos);
            J->elem_kind = ELEM_UNKNOWN;
            return 0;
        }
        /* an element that is no object: as a trace that is none */
        /* fall through */
    case J_TRACE:
        if (is_map) {
            trace_begin(J);
            return 0;
        }
        *node = LE_JN_SKIP;
        J->traces_not_objects++;
        return bad_row(J, pos, "trace is not an object");
    case J_TRACES:
        if (is_map) { /* "data": one trace object, not a list of them */
            *node = J_TRACE;
            trace_begin(J);
        }
        return 0;
    case J_SPANS:
        if (!is_map) {
            J->trace_has_spans = 1;
            return 0;
        }
        *node = LE_JN_SKIP;
        return bad_row(J, pos, "\"spans\" is not an array");
    case J_SPAN:
        if (is_map) {
            span_begin(J, pos);
            return 0;
        }
        *node = LE_JN_SKIP;
        return bad_row(J, pos, "span is not an object");
    case J_REF:
        J->ref_type = REF_UNSET;
        J->ref = (jref){{0, 0}, {0, 0}, 0};
        break;
    case J_TAG: le_jtag_reset(&J->tag); break;
    case J_PROCESSES:
    case J_PROCESS:
    case J_S_PROCESS:
        if (!is_map) *node = LE_JN_SKIP; /* no usable service: spans get "unknown" */
        return 0;
    case J_T_VALUE: *node = LE_JN_SKIP; return 0; /* a structured tag value: not one we read */
    }
    int want_map = *node == J_REF || *node == J_TAG || *node == J_S_PROCESS;
    int want_array = *node == J_REFS || *node == J_TAGS;
    if ((want_map && !is_map) || (want_array && is_map) || (!want_map && !want_array && is_span_field(*node))) {
        le_jspan_fail(&J->span, LE_DROP_BAD_ROW, "a span field has the wrong JSON type");
        *node = LE_JN_SKIP;
    } else if (!want_map && !want_array) {
        *node = LE_JN_SKIP; /* a trace-level scalar given as a container */
    }
    return 0;
}

static int jaeger_close(void *u, le_jnode node, int is_map)
{
    jaeger *J = u;
    switch (node) {
    case J_SPAN: return span_end(J);
    case J_REF: ref_end(J); return 0;
    case J_TAG: le_jtag_apply(&J->tag, &J->span, 0); return 0;
    case J_PROCESSES: J->procs_done = 1; return 0;
    case J_TRACE: return trace_end(J, 1);
    case J_ELEM:
        if (J->elem_kind != ELEM_SPAN) return trace_end(J, 1);
        LE_CHECK(span_end(J));
        return trace_end(J, 0); /* a bare span whose process is unknown: "unknown" */
    case J_ROOT: return is_map ? trace_end(J, !J->root_is_wrapper) : 0;
    }
    return 0;
}

/* The name, or the enum number the model JSON may write (0 CHILD_OF, 1 FOLLOWS_FROM). */
static int ref_type_of(const char *s, size_t n)
{
    if ((n == 8 && memcmp(s, "CHILD_OF", 8) == 0) || (n == 1 && s[0] == '0')) return REF_CHILD_OF;
    if ((n == 12 && memcmp(s, "FOLLOWS_FROM", 12) == 0) || (n == 1 && s[0] == '1')) return REF_FOLLOWS_FROM;
    return REF_OTHER;
}

/* An id in the scratch, base64 decoded to hex (le_json_id_hex). */
static le_jstr put_id(jaeger *J, const char *v, size_t n)
{
    le_jspan tmp;
    le_jstr id = {0, 0};
    le_jspan_reset(&tmp, 0);
    le_jspan_id(&J->s, &tmp, &id, LE_JV_STRING, v, n, "", 0, 1);
    return id;
}

/* startTime or duration: µs as a number (or numeric string), or the text
 * the model JSON writes, read by `text`: RFC 3339 times, "22938000ns". */
static void set_time(le_jspan *sp, int64_t *dst, uint8_t bit, int (*text)(const char *, size_t, int64_t *), le_jv_type t,
                     const char *v, size_t n, const char *bad)
{
    int64_t us;
    if (t == LE_JV_STRING && le_json_int(v, n, &us) && text(v, n, &us) == 0) {
        *dst = us;
        sp->have |= bit;
        return;
    }
    le_jspan_num(sp, dst, bit, t, v, n, bad);
}

static int misplaced_scalar(jaeger *J, le_jnode node, le_jv_type t, uint64_t pos)
{
    switch (node) {
    case J_ROOT:
        return le_fail(LE_ERR_FORMAT, "%s: byte %llu: top-level value is not an object or array: not Jaeger JSON",
                       J->ctx->path, (unsigned long long)pos);
    case J_ELEM:
    case J_TRACE: J->traces_not_objects++; return bad_row(J, pos, "trace is not an object");
    case J_SPAN: return bad_row(J, pos, "span is not an object");
    case J_SPANS: return t == LE_JV_NULL ? 0 : bad_row(J, pos, "\"spans\" is not an array");
    case J_REFS:
    case J_TAGS:
    case J_REF:
    case J_TAG:
        if (t != LE_JV_NULL) le_jspan_fail(&J->span, LE_DROP_BAD_ROW, "references or tags of the wrong JSON type");
        return 0;
    }
    return 0; /* "data": null, "processes": null: nothing to read */
}

static int jaeger_scalar(void *u, le_jnode node, le_jv_type t, const char *v, size_t n, uint64_t pos)
{
    jaeger *J = u;
    le_jspan *sp = &J->span;
    switch (node) {
    case J_TRACE_ID:
        if (t == LE_JV_STRING) J->trace_id = put_id(J, v, n);
        return 0;
    case J_E_TRACE_ID: /* the trace's id if the element is a trace, the span's if a span */
        le_jspan_id(&J->s, sp, &sp->trace_id, t, v, n, "traceID is not a string", 0, 1);
        if (t == LE_JV_STRING) J->trace_id = sp->trace_id;
        return 0;
    case J_S_TRACE_ID: le_jspan_id(&J->s, sp, &sp->trace_id, t, v, n, "traceID is not a string", 0, 1); return 0;
    case J_S_SPAN_ID: le_jspan_id(&J->s, sp, &sp->span_id, t, v, n, "spanID is not a string", 0, 1); return 0;
    case J_S_PARENT: le_jspan_id(&J->s, sp, &sp->parent_id, t, v, n, "parentSpanID is not a string", 0, 1); return 0;
    case J_S_OPERATION: le_jspan_str(&J->s, sp, &sp->operation, t, v, n, "operationName is not a string"); return 0;
    case J_S_PROCESS_ID: le_jspan_str(&J->s, sp, &sp->svc_key, t, v, n, "processID is not a string"); return 0;
    case J_S_SERVICE: le_jspan_str(&J->s, sp, &sp->service, t, v, n, "process.serviceName is not a string"); return 0;
    case J_S_START:
        set_time(sp, &sp->start, LE_JH_START, le_json_rfc3339_us, t, v, n, "startTime is not a number or an RFC 3339 time");
        return 0;
    case J_S_DURATION:
        set_time(sp, &sp->duration, LE_JH_DURATION, le_json_duration_us, t, v, n, "duration is not a number or a duration");
        return 0;
    case J_R_TYPE:
        if (t == LE_JV_STRING || t == LE_JV_NUMBER) J->ref_type = ref_type_of(v, n);
        return 0;
    case J_R_TRACE_ID:
        if (t == LE_JV_STRING) J->ref.trace = put_id(J, v, n);
        return 0;
    case J_R_SPAN_ID:
        if (t == LE_JV_STRING) J->ref.span = put_id(J, v, n);
        return 0;
    case J_T_KEY:
        if (t == LE_JV_STRING) le_jtag_key(&J->tag, v, n);
        return 0;
    case J_T_VALUE: le_jtag_val(&J->tag, t, v, n); return 0;
    case J_P_SERVICE:
        if (t == LE_JV_STRING) add_process(J, le_jstr_put(&J->s, v, n));
        return 0;
    }
    return misplaced_scalar(J, node, t, pos);
}

static int jaeger_finish(void *u)
{
    jaeger *J = u;
    if (J->spans_seen == 0 && J->saw_otlp) return 0; /* API v3: le_read_jaeger reads it as OTLP */
    if (J->spans_seen == 0 && J->traces_without_spans + J->traces_not_objects > 0)
        return le_fail(LE_ERR_FORMAT,
                       "%s: byte 0: no trace object with a \"spans\" array: not Jaeger JSON "
                       "(a Zipkin or OTLP file? see --format)",
                       J->ctx->path);
    return 0;
}

static const le_json_rules jaeger_rules = {
    .format = "Jaeger JSON",
    .root = J_ROOT,
    .multiple_values = 1, /* the gRPC gateway streams one {"result":...} chunk after another */
    .key = jaeger_key,
    .item = jaeger_item,
    .open = jaeger_open,
    .close = jaeger_close,
    .scalar = jaeger_scalar,
    .finish = jaeger_finish,
};

int le_read_jaeger(le_parse_ctx *ctx)
{
    jaeger J = {.ctx = ctx};
    uint64_t rows0 = ctx->st->rows_read, bytes0 = ctx->st->bytes_read;
    int rc = le_json_run(ctx, &jaeger_rules, &J);
    le_jscratch_free(&J.s);
    free(J.procs);
    if (!rc && J.saw_otlp && J.spans_seen == 0 && ctx->st->rows_read == rows0) {
        /* Jaeger API v3 answers in OTLP: read the file again as that; its bytes count once */
        if (le_infile_is_stdin(ctx->path))
            return le_fail(LE_ERR_FORMAT,
                           "%s: a Jaeger API v3 answer (OTLP inside \"result\") on standard input: "
                           "read it with --format otlp",
                           ctx->path);
        uint64_t bytes = ctx->st->bytes_read;
        ctx->st->bytes_read = bytes0;
        rc = le_read_otlp(ctx);
        ctx->st->bytes_read = bytes;
    }
    return rc;
}
