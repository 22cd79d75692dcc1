/* Zipkin JSON, v2 and v1: the body of POST /api/v2/spans or /api/v1/spans
 * (an array of spans) and the answer of GET /api/v{1,2}/traces (an array of
 * traces, each an array of spans); a single span object is accepted too.
 *   v2: {"traceId","id","parentId","name","timestamp"(µs),"duration"(µs),
 *        "kind","shared","localEndpoint":{"serviceName"},"tags":{...}}
 *   v1: the same ids and times, no kind or localEndpoint: the service is in
 *       "annotations":[{"timestamp","value","endpoint":{"serviceName"}}] and
 *       "binaryAnnotations":[{"key","value","endpoint"}], and the kind and
 *       times in the core annotations cs/cr (client), sr/ss (server),
 *       ms/ws (producer), wr/mr (consumer).
 * Every span carries its own service, so rows go out as spans end: nothing
 * is buffered beyond the span being read.
 *
 * Zipkin reports one span in fragments (client and server halves under one
 * id, late annotations, a piece without timestamp or duration), so rows
 * are marked LE_SPAN_FRAGMENT with what they lack, and the pieces are put
 * together when the trace is assembled (mpi/ingest_join.c), where all of
 * them have met whatever file or rank they came from. A v1 span holding
 * both halves of an RPC becomes two rows, client and shared server, as
 * Zipkin's own V1SpanConverter splits it. */
#include <stdlib.h>
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
    Z_KIND,
    Z_SHARED,
    Z_LOCAL,
    Z_SERVICE,
    Z_TAGS,
    Z_TAG_VALUE,
    Z_ANNS, /* v1 annotations (v2 ones have no endpoint and change nothing) */
    Z_ANN,
    Z_A_TIME,
    Z_A_VALUE,
    Z_A_ENDPOINT,
    Z_A_SERVICE,
    Z_BANNS, /* v1 binaryAnnotations */
    Z_BANN,
    Z_B_KEY,
    Z_B_VALUE,
    Z_B_ENDPOINT,
    Z_B_SERVICE,
};

/* v1 core annotations, in the order of their two-letter values below. */
enum { CS, CR, SR, SS, MS, WS, WR, MR, N_CORE, NOT_CORE = -1 };
static const char core_value[N_CORE][3] = {"cs", "cr", "sr", "ss", "ms", "ws", "wr", "mr"};

typedef struct v1_core {
    int64_t ts;
    le_jstr service;
    int set;
} v1_core;

typedef struct v1_tag { /* a binary annotation: a tag and whose it is */
    le_jtag tag;
    le_jstr service;
} v1_tag;

typedef struct zipkin {
    le_parse_ctx *ctx;
    le_jscratch s;
    le_jspan span;
    le_jtag tag;
    int shared, has_local;
    uint8_t kind; /* LE_SPAN_CLIENT / LE_SPAN_SERVER from "kind" */
    uint64_t spans_seen, spans_with_ids;
    /* v1: the span's core annotations, first endpoint service, tags */
    int v1;
    v1_core core[N_CORE];
    le_jstr v1_service;
    v1_tag *tags;
    size_t n_tags, cap_tags;
    /* v1: the annotation or binary annotation being read */
    v1_core ann;
    int ann_core, ann_endpoint;
    v1_tag btag;
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
    if (KEY("kind")) return Z_KIND;
    if (KEY("localEndpoint")) return Z_LOCAL;
    if (KEY("tags")) return Z_TAGS;
    if (KEY("shared")) return Z_SHARED;
    if (KEY("annotations")) return Z_ANNS;
    if (KEY("binaryAnnotations")) return Z_BANNS;
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
    case Z_ANN: return KEY("timestamp") ? Z_A_TIME : KEY("value") ? Z_A_VALUE : KEY("endpoint") ? Z_A_ENDPOINT : LE_JN_SKIP;
    case Z_A_ENDPOINT: return KEY("serviceName") ? Z_A_SERVICE : LE_JN_SKIP;
    case Z_BANN: return KEY("key") ? Z_B_KEY : KEY("value") ? Z_B_VALUE : KEY("endpoint") ? Z_B_ENDPOINT : LE_JN_SKIP;
    case Z_B_ENDPOINT: return KEY("serviceName") ? Z_B_SERVICE : LE_JN_SKIP;
    }
    return LE_JN_SKIP;
}

static le_jnode zipkin_item(void *u, le_jnode parent)
{
    switch (parent) {
    case Z_LIST: return Z_ITEM;
    case Z_SPANS: return Z_SPAN;
    case Z_ANNS: return Z_ANN;
    case Z_BANNS: return Z_BANN;
    }
    return LE_JN_SKIP;
}

static void span_begin(zipkin *Z, uint64_t pos)
{
    le_jscratch_clear(&Z->s);
    le_jspan_reset(&Z->span, pos);
    Z->shared = Z->has_local = Z->v1 = 0;
    Z->kind = 0;
    memset(Z->core, 0, sizeof Z->core);
    Z->v1_service = (le_jstr){0, 0};
    Z->n_tags = 0;
    Z->spans_seen++;
}

/* ---- v2 ---- */

/* Zipkin: a timestamp or duration of 0 is the same as none. What a span
 * lacks is for the assembly to fill in from its other fragments. */
static uint8_t missing_times(const le_jspan *sp)
{
    uint8_t f = 0;
    if (!(sp->have & LE_JH_START) || sp->start == 0) f |= LE_SPAN_NO_START;
    if (!(sp->have & LE_JH_DURATION) || sp->duration == 0) f |= LE_SPAN_NO_DURATION;
    return f;
}

static int emit_v2(zipkin *Z)
{
    le_jspan *sp = &Z->span;
    sp->flags = LE_SPAN_FRAGMENT | Z->kind | missing_times(sp);
    /* "shared" is the server side; set on a client by mistake it means
     * nothing (zipkin-lens' span cleaner does the same) */
    if (Z->shared && Z->kind != LE_SPAN_CLIENT) sp->flags |= LE_SPAN_SHARED;
    if (sp->flags & LE_SPAN_NO_START) sp->start = 0;
    if (sp->flags & LE_SPAN_NO_DURATION) sp->duration = 0;
    return le_jspan_emit(Z->ctx, &Z->s, sp);
}

/* ---- v1 ---- */

static void ann_begin(zipkin *Z)
{
    Z->ann = (v1_core){0};
    Z->ann_core = NOT_CORE;
    Z->ann_endpoint = 0;
}

static int core_index(const char *v, size_t n)
{
    if (n != 2) return NOT_CORE;
    for (int c = 0; c < N_CORE; c++)
        if (!memcmp(core_value[c], v, 2)) return c;
    return NOT_CORE;
}

/* The first endpoint named in a v1 span is its service when no core
 * annotation names one (a local span: "lc" and other binary annotations). */
static void v1_saw_service(zipkin *Z, le_jstr service)
{
    Z->v1 = 1;
    if (!Z->v1_service.len) Z->v1_service = service;
}

static void ann_end(zipkin *Z)
{
    if (!Z->ann_endpoint) return; /* v2 annotations, and v1 ones without a host: no kind, no time */
    v1_saw_service(Z, Z->ann.service);
    /* core annotations need an endpoint and a time, as in V1SpanConverter; the first of each kind wins */
    if (Z->ann_core != NOT_CORE && Z->ann.set && !Z->core[Z->ann_core].set) Z->core[Z->ann_core] = Z->ann;
}

static int is_address(const le_jtag *t)
{
    /* ca/sa/ma name the remote end (client, server, broker), not this span's service */
    return t->key_len == 2 && !t->key_long &&
           (!memcmp(t->key, "ca", 2) || !memcmp(t->key, "sa", 2) || !memcmp(t->key, "ma", 2));
}

static void bann_end(zipkin *Z)
{
    Z->v1 = 1;
    if (is_address(&Z->btag.tag)) return;
    if (Z->btag.service.len) v1_saw_service(Z, Z->btag.service);
    LE_RESERVE(Z->tags, Z->cap_tags, Z->n_tags + 1);
    Z->tags[Z->n_tags++] = Z->btag;
}

/* One side of a v1 span: the core annotations that start and end it. */
typedef struct v1_side {
    int begin, end;   /* CS.., NOT_CORE */
    uint8_t flags;    /* kind, shared */
    int source_times; /* the span's own timestamp/duration win over annotations */
} v1_side;

static le_jstr side_service(const zipkin *Z, const v1_side *d)
{
    if (d->begin != NOT_CORE && Z->core[d->begin].set && Z->core[d->begin].service.len) return Z->core[d->begin].service;
    if (d->end != NOT_CORE && Z->core[d->end].set && Z->core[d->end].service.len) return Z->core[d->end].service;
    return Z->v1_service;
}

static void side_times(const zipkin *Z, const v1_side *d, le_jspan *row)
{
    const le_jspan *src = &Z->span;
    const v1_core *b = d->begin != NOT_CORE && Z->core[d->begin].set ? &Z->core[d->begin] : NULL;
    const v1_core *e = d->end != NOT_CORE && Z->core[d->end].set ? &Z->core[d->end] : NULL;
    uint8_t src_missing = missing_times(src);
    row->have &= (uint8_t) ~(LE_JH_START | LE_JH_DURATION);
    if (d->source_times && !src_missing) { /* V1SpanConverter.maybeTimestampDuration */
        row->start = src->start, row->duration = src->duration;
        row->have |= LE_JH_START | LE_JH_DURATION;
    } else if (b) {
        row->start = b->ts, row->have |= LE_JH_START;
        if (e) row->duration = e->ts - b->ts, row->have |= LE_JH_DURATION;
    } else if (d->source_times && !(src_missing & LE_SPAN_NO_START)) {
        row->start = src->start, row->have |= LE_JH_START;
    }
}

/* Tags go to the row of their endpoint's service, else to the first row. */
static void apply_tags(zipkin *Z, le_jspan *rows, int n)
{
    for (size_t t = 0; t < Z->n_tags; t++) {
        le_jspan *to = &rows[0];
        for (int r = 1; r < n; r++)
            if (Z->tags[t].service.len && le_jstr_eq(&Z->s, Z->tags[t].service, rows[r].service)) to = &rows[r];
        le_jtag_apply(&Z->tags[t].tag, to, 1);
    }
}

/* The sides of a v1 span, as V1SpanConverter reads the core annotations:
 * cs+sr (or ms+mr) are two spans, the second a shared server (consumer). */
static int v1_sides(const zipkin *Z, v1_side *d)
{
    const v1_core *c = Z->core;
    int no_ts = !(Z->span.have & LE_JH_START) || Z->span.start == 0;
    if (c[CS].set && c[SR].set) {
        d[0] = (v1_side){CS, CR, LE_SPAN_CLIENT, 1};
        d[1] = (v1_side){SR, SS, LE_SPAN_SERVER | LE_SPAN_SHARED, 0};
        return 2;
    }
    if (c[MS].set && c[MR].set) {
        d[0] = (v1_side){MS, WS, 0, 0};
        d[1] = c[WR].set ? (v1_side){WR, MR, LE_SPAN_SHARED, 0} : (v1_side){MR, NOT_CORE, LE_SPAN_SHARED, 0};
        return 2;
    }
    if (c[CS].set || c[CR].set)
        d[0] = (v1_side){CS, CR, LE_SPAN_CLIENT, 1};
    else if (c[SR].set || c[SS].set) /* v1 convention: a server half without the span's timestamp is shared */
        d[0] = (v1_side){SR, SS, (uint8_t)(LE_SPAN_SERVER | (no_ts ? LE_SPAN_SHARED : 0)), 1};
    else if (c[MS].set)
        d[0] = (v1_side){MS, WS, 0, 1};
    else if (c[MR].set)
        d[0] = c[WR].set ? (v1_side){WR, MR, 0, 1} : (v1_side){MR, NOT_CORE, 0, 1};
    else
        d[0] = (v1_side){NOT_CORE, NOT_CORE, 0, 1}; /* a local span */
    return 1;
}

static int emit_v1(zipkin *Z)
{
    v1_side d[2];
    le_jspan rows[2];
    int n = v1_sides(Z, d);
    for (int r = 0; r < n; r++) {
        rows[r] = Z->span;
        rows[r].service = side_service(Z, &d[r]);
        side_times(Z, &d[r], &rows[r]);
    }
    apply_tags(Z, rows, n);
    for (int r = 0; r < n; r++) {
        rows[r].flags = LE_SPAN_FRAGMENT | d[r].flags | missing_times(&rows[r]);
        if (rows[r].flags & LE_SPAN_NO_DURATION) rows[r].duration = 0;
        if (rows[r].flags & LE_SPAN_NO_START) rows[r].start = 0;
        LE_CHECK(le_jspan_emit(Z->ctx, &Z->s, &rows[r]));
    }
    return 0;
}

static int span_end(zipkin *Z)
{
    le_jspan *sp = &Z->span;
    if (sp->trace_id.len || sp->span_id.len) Z->spans_with_ids++;
    if (le_json_id_is_null(le_jstr_ptr(&Z->s, sp->parent_id), sp->parent_id.len)) sp->parent_id = (le_jstr){0, 0};
    /* v1 has no localEndpoint; a v2 span's own service wins over any annotation endpoint */
    return Z->v1 && !Z->has_local ? emit_v1(Z) : emit_v2(Z);
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
    case Z_ANNS:
    case Z_BANNS:
        if (!is_map) return 0;
        break;
    case Z_ANN:
        if (!is_map) break;
        ann_begin(Z);
        return 0;
    case Z_BANN:
        if (!is_map) break;
        le_jtag_reset(&Z->btag.tag);
        Z->btag.service = (le_jstr){0, 0};
        return 0;
    case Z_A_ENDPOINT:
        if (!is_map) break;
        Z->ann_endpoint = 1;
        return 0;
    case Z_LOCAL:
        Z->has_local = 1;
        /* fallthrough */
    case Z_B_ENDPOINT:
    case Z_TAGS:
        if (is_map) return 0;
        break;
    case Z_TAG_VALUE:
    case Z_B_VALUE: *node = LE_JN_SKIP; return 0; /* tag values are scalars; skip others */
    }
    le_jspan_fail(&Z->span, LE_DROP_BAD_ROW, "a span field has the wrong JSON type");
    *node = LE_JN_SKIP;
    return 0;
}

static int zipkin_close(void *u, le_jnode node, int is_map)
{
    zipkin *Z = u;
    switch (node) {
    case Z_SPAN: return span_end(Z);
    case Z_ANN: ann_end(Z); break;
    case Z_BANN: bann_end(Z); break;
    }
    return 0;
}

static uint8_t kind_flag(const char *v, size_t n)
{
    if (n == 6 && !memcmp(v, "CLIENT", 6)) return LE_SPAN_CLIENT;
    if (n == 6 && !memcmp(v, "SERVER", 6)) return LE_SPAN_SERVER;
    return 0; /* PRODUCER, CONSUMER, or none: a local span */
}

/* v1 annotation fields: a wrong type makes the annotation count for nothing */
static void ann_scalar(zipkin *Z, le_jnode node, le_jv_type t, const char *v, size_t n)
{
    switch (node) {
    case Z_A_TIME: Z->ann.set = t != LE_JV_BOOL && t != LE_JV_NULL && !le_json_int(v, n, &Z->ann.ts); break;
    case Z_A_VALUE: Z->ann_core = t == LE_JV_STRING ? core_index(v, n) : NOT_CORE; break;
    case Z_A_SERVICE:
        if (t == LE_JV_STRING) Z->ann.service = le_jstr_put(&Z->s, v, n);
        break;
    case Z_B_KEY:
        if (t == LE_JV_STRING) le_jtag_key(&Z->btag.tag, v, n);
        break;
    case Z_B_VALUE: le_jtag_val(&Z->btag.tag, t, v, n); break;
    case Z_B_SERVICE:
        if (t == LE_JV_STRING) Z->btag.service = le_jstr_put(&Z->s, v, n);
        break;
    }
}

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
    case Z_KIND: Z->kind = t == LE_JV_STRING ? kind_flag(v, n) : 0; return 0;
    case Z_SHARED: Z->shared = t == LE_JV_BOOL && v[0] == 't'; return 0;
    case Z_TAG_VALUE:
        le_jtag_val(&Z->tag, t, v, n);
        le_jtag_apply(&Z->tag, sp, 1);
        return 0;
    case Z_A_TIME:
    case Z_A_VALUE:
    case Z_A_SERVICE:
    case Z_B_KEY:
    case Z_B_VALUE:
    case Z_B_SERVICE: ann_scalar(Z, node, t, v, n); return 0;
    case Z_ROOT:
        return le_fail(LE_ERR_FORMAT, "%s: byte %llu: top-level value is not an array or object: not Zipkin JSON",
                       Z->ctx->path, (unsigned long long)pos);
    case Z_ITEM:
    case Z_SPAN: return bad_row(Z, pos, "span is not an object");
    }
    return 0; /* null or a stray scalar where an object or array belongs: nothing to read */
}

static int zipkin_finish(void *u)
{
    zipkin *Z = u;
    if (Z->spans_seen > 0 && Z->spans_with_ids == 0)
        return le_fail(LE_ERR_FORMAT,
                       "%s: byte 0: no object has \"traceId\" or \"id\": not Zipkin JSON "
                       "(a Jaeger or OTLP file? see --format)",
                       Z->ctx->path);
    return 0;
}

static const le_json_rules zipkin_rules = {
    .format = "Zipkin JSON",
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
    free(Z.tags);
    return rc;
}
