/* OTLP protobuf: the binary encoding of ExportTraceServiceRequest (the body
 * of an OTLP/HTTP protobuf POST; TracesData is the same on the wire), or the
 * collector file exporter's `format: proto` output, where each request is
 * preceded by its length as a 4-byte big-endian unsigned integer.
 *
 * A hand-written decoder of the few fields we read, over a bounds-checked
 * cursor: no generated code, no protobuf library. Field numbers, from the
 * OTLP specification (opentelemetry-proto, trace/v1, common/v1):
 *
 *   request     1 resource_spans (message, repeated)
 *   ResourceSpans 1 resource, 2 scope_spans (repeated),
 *               1000 instrumentation_library_spans (pre-1.0, same layout)
 *   Resource    1 attributes (KeyValue, repeated)
 *   ScopeSpans  2 spans (repeated)
 *   Span        1 trace_id, 2 span_id, 4 parent_span_id (bytes), 5 name,
 *               7 start_time_unix_nano, 8 end_time_unix_nano (fixed64),
 *               9 attributes (KeyValue, repeated), 15 status
 *   Status      3 code (enum: 0 unset, 1 ok, 2 error)
 *   KeyValue    1 key, 2 value (AnyValue)
 *   AnyValue    1 string, 2 bool, 3 int64 (varint), 4 double (fixed64)
 *
 * Every other field is skipped by its wire type. Broken framing (a varint
 * or length past the end, a group or unknown wire type) rejects the whole
 * file with the byte offset; a known span field of the wrong wire type
 * drops that span as malformed_rows, like a JSON field of the wrong type.
 * One request is held in memory at a time: the whole file when it is a
 * bare request, one frame of the file exporter's stream otherwise. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ingest.h"
#include "infile.h"
#include "json_stream.h"
#include "le_base.h"

enum { WT_VARINT = 0, WT_I64 = 1, WT_LEN = 2, WT_I32 = 5 };

/* bytes [pos, end) of the file buffer */
typedef struct pcur {
    const uint8_t *buf;
    size_t pos, end;
} pcur;

/* one field as read: its number and wire type, a scalar or a sub-message */
typedef struct pfield {
    uint64_t num;
    int wt;
    uint64_t val; /* varint, fixed64, fixed32 */
    pcur sub;     /* WT_LEN: its bytes */
    size_t at;    /* byte of the field's tag */
} pfield;

typedef struct preader {
    le_parse_ctx *ctx;
    uint64_t base; /* file offset of the request buffer's first byte */
    le_jscratch s;
    le_jtag tag;
} preader;

static int malformed(const preader *R, size_t at, const char *what)
{
    return le_fail(LE_ERR_FORMAT, "%s: byte %llu: malformed OTLP protobuf: %s; the whole file is rejected", R->ctx->path,
                   (unsigned long long)(R->base + at), what);
}

static int read_varint(const preader *R, pcur *c, uint64_t *v)
{
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (c->pos >= c->end) return malformed(R, c->pos, "a varint runs past the end of its message");
        uint8_t b = c->buf[c->pos++];
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return malformed(R, c->pos, "a varint longer than 10 bytes");
}

static uint64_t little_endian(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

/* The next field of c into f; returns 0, or an error naming the byte. */
static int next_field(const preader *R, pcur *c, pfield *f)
{
    uint64_t key, len;
    f->at = c->pos;
    LE_CHECK(read_varint(R, c, &key));
    f->num = key >> 3;
    f->wt = (int)(key & 7);
    if (f->num == 0) return malformed(R, f->at, "field number 0");
    switch (f->wt) {
    case WT_VARINT: return read_varint(R, c, &f->val);
    case WT_I64:
    case WT_I32: {
        int n = f->wt == WT_I64 ? 8 : 4;
        if (c->end - c->pos < (size_t)n) return malformed(R, f->at, "a fixed-size field runs past the end of its message");
        f->val = little_endian(c->buf + c->pos, n);
        c->pos += (size_t)n;
        return 0;
    }
    case WT_LEN:
        LE_CHECK(read_varint(R, c, &len));
        if (len > c->end - c->pos) return malformed(R, f->at, "a length-delimited field runs past the end of its message");
        f->sub = (pcur){c->buf, c->pos, c->pos + (size_t)len};
        c->pos += (size_t)len;
        return 0;
    }
    return malformed(R, f->at, "a group or an unknown wire type (not OTLP protobuf?)");
}

static le_jstr put_hex(le_jscratch *s, pcur b)
{
    static const char digits[] = "0123456789abcdef";
    size_t n = b.end - b.pos;
    if (!n) return (le_jstr){0, 0}; /* empty bytes: no id (a root's parent) */
    char small[128];
    char *hex = 2 * n <= sizeof small ? small : le_malloc(2 * n);
    for (size_t i = 0; i < n; i++) {
        hex[2 * i] = digits[b.buf[b.pos + i] >> 4];
        hex[2 * i + 1] = digits[b.buf[b.pos + i] & 15];
    }
    le_jstr t = le_jstr_put(s, hex, 2 * n);
    if (hex != small) free(hex);
    return t;
}

/* ---- attributes ---- */

/* AnyValue into the tag's value, in the JSON spelling le_jtag_apply reads. */
static int read_any_value(preader *R, pcur c)
{
    pfield f;
    char num[40];
    while (c.pos < c.end) {
        LE_CHECK(next_field(R, &c, &f));
        if (f.num == 1 && f.wt == WT_LEN) {
            le_jtag_val(&R->tag, LE_JV_STRING, (const char *)c.buf + f.sub.pos, f.sub.end - f.sub.pos);
        } else if (f.num == 2 && f.wt == WT_VARINT) {
            le_jtag_val(&R->tag, LE_JV_BOOL, f.val ? "true" : "false", f.val ? 4 : 5);
        } else if (f.num == 3 && f.wt == WT_VARINT) {
            le_jtag_val(&R->tag, LE_JV_NUMBER, num, (size_t)snprintf(num, sizeof num, "%lld", (long long)(int64_t)f.val));
        } else if (f.num == 4 && f.wt == WT_I64) {
            double d;
            memcpy(&d, &f.val, sizeof d);
            le_jtag_val(&R->tag, LE_JV_NUMBER, num, (size_t)snprintf(num, sizeof num, "%.17g", d));
        }
    }
    return 0;
}

static int read_key_value(preader *R, pcur c)
{
    pfield f;
    le_jtag_reset(&R->tag);
    while (c.pos < c.end) {
        LE_CHECK(next_field(R, &c, &f));
        if (f.num == 1 && f.wt == WT_LEN) le_jtag_key(&R->tag, (const char *)c.buf + f.sub.pos, f.sub.end - f.sub.pos);
        if (f.num == 2 && f.wt == WT_LEN) LE_CHECK(read_any_value(R, f.sub));
    }
    return 0;
}

static int is_service_name(pcur k) { return k.end - k.pos == 12 && memcmp(k.buf + k.pos, "service.name", 12) == 0; }

/* One resource attribute: when it is service.name with a string, *service. */
static int read_resource_attr(preader *R, pcur kv, le_jstr *service)
{
    pfield f, g;
    pcur key = {NULL, 0, 0}, val = {NULL, 0, 0};
    while (kv.pos < kv.end) {
        LE_CHECK(next_field(R, &kv, &f));
        if (f.num == 1 && f.wt == WT_LEN) key = f.sub;
        if (f.num != 2 || f.wt != WT_LEN) continue;
        while (f.sub.pos < f.sub.end) {
            LE_CHECK(next_field(R, &f.sub, &g));
            if (g.num == 1 && g.wt == WT_LEN) val = g.sub;
        }
    }
    if (key.buf && val.buf && val.end > val.pos && is_service_name(key))
        *service = le_jstr_put(&R->s, (const char *)val.buf + val.pos, val.end - val.pos);
    return 0;
}

/* The service.name string among a Resource's attributes (none: absent). */
static int read_resource(preader *R, pcur c, le_jstr *service)
{
    pfield f;
    while (c.pos < c.end) {
        LE_CHECK(next_field(R, &c, &f));
        if (f.num == 1 && f.wt == WT_LEN) LE_CHECK(read_resource_attr(R, f.sub, service));
    }
    return 0;
}

/* ---- spans ---- */

static void wrong_type(le_jspan *sp) { le_jspan_fail(sp, LE_DROP_BAD_ROW, "a span field has the wrong protobuf wire type"); }

static int read_status(preader *R, pcur c, le_jspan *sp)
{
    pfield f;
    while (c.pos < c.end) {
        LE_CHECK(next_field(R, &c, &f));
        if (f.num != 3) continue;
        if (f.wt == WT_VARINT)
            le_otlp_status(sp, (int64_t)f.val);
        else
            wrong_type(sp);
    }
    return 0;
}

static void set_id(preader *R, le_jspan *sp, le_jstr *dst, const pfield *f)
{
    if (f->wt == WT_LEN)
        *dst = put_hex(&R->s, f->sub);
    else
        wrong_type(sp);
}

static void set_time(le_jspan *sp, int64_t *dst, uint8_t bit, const pfield *f)
{
    if (f->wt != WT_I64) {
        wrong_type(sp);
        return;
    }
    if (f->val > (uint64_t)INT64_MAX) {
        le_jspan_fail(sp, LE_DROP_UNPARSABLE, "a time past the year 2262");
        return;
    }
    *dst = (int64_t)f->val;
    sp->have |= bit;
}

static int read_span_field(preader *R, le_jspan *sp, const pfield *f)
{
    switch (f->num) {
    case 1: set_id(R, sp, &sp->trace_id, f); return 0;
    case 2: set_id(R, sp, &sp->span_id, f); return 0;
    case 4: set_id(R, sp, &sp->parent_id, f); return 0;
    case 5:
        if (f->wt == WT_LEN)
            sp->operation = le_jstr_put(&R->s, (const char *)f->sub.buf + f->sub.pos, f->sub.end - f->sub.pos);
        else
            wrong_type(sp);
        return 0;
    case 7: set_time(sp, &sp->start, LE_JH_START, f); return 0;
    case 8: set_time(sp, &sp->end, LE_JH_END, f); return 0;
    case 9:
        if (f->wt != WT_LEN) break;
        LE_CHECK(read_key_value(R, f->sub));
        le_jtag_apply(&R->tag, sp, 0);
        return 0;
    case 15:
        if (f->wt != WT_LEN) break;
        return read_status(R, f->sub, sp);
    default: return 0;
    }
    wrong_type(sp);
    return 0;
}

static int read_span(preader *R, pcur c, size_t at, le_jstr service)
{
    le_jspan sp;
    pfield f;
    size_t mark = R->s.len;
    le_jspan_reset(&sp, R->base + at);
    while (c.pos < c.end) {
        LE_CHECK(next_field(R, &c, &f));
        LE_CHECK(read_span_field(R, &sp, &f));
    }
    le_otlp_span_done(&R->s, &sp);
    sp.service = service;
    int rc = le_jspan_emit(R->ctx, &R->s, &sp);
    R->s.len = mark; /* the span's strings are copied out */
    return rc;
}

static int read_scope_spans(preader *R, pcur c, le_jstr service)
{
    pfield f;
    while (c.pos < c.end) {
        LE_CHECK(next_field(R, &c, &f));
        if (f.num != 2) continue;
        if (f.wt != WT_LEN) {
            LE_CHECK(le_json_drop(R->ctx, LE_DROP_BAD_ROW, R->base + f.at, "span is not a message"));
            continue;
        }
        LE_CHECK(read_span(R, f.sub, f.at, service));
    }
    return 0;
}

/* The resource first (it may follow the spans on the wire), then the spans. */
static int read_resource_spans(preader *R, pcur c)
{
    pfield f;
    le_jstr service = {0, 0};
    le_jscratch_clear(&R->s);
    for (pcur r = c; r.pos < r.end;) {
        LE_CHECK(next_field(R, &r, &f));
        if (f.num == 1 && f.wt == WT_LEN) LE_CHECK(read_resource(R, f.sub, &service));
    }
    while (c.pos < c.end) {
        LE_CHECK(next_field(R, &c, &f));
        if ((f.num == 2 || f.num == 1000) && f.wt == WT_LEN) LE_CHECK(read_scope_spans(R, f.sub, service));
    }
    return 0;
}

static int read_request(preader *R, pcur c)
{
    pfield f;
    while (c.pos < c.end) {
        LE_CHECK(next_field(R, &c, &f));
        if (f.num == 1 && f.wt == WT_LEN) LE_CHECK(read_resource_spans(R, f.sub));
    }
    return 0;
}

/* Up to n bytes (fewer only at the end of the input; compressed input
 * comes uncompressed, io/infile.h). */
static int read_upto(preader *R, le_infile *fd, uint8_t *buf, size_t n, size_t *got)
{
    *got = 0;
    while (*got < n) {
        size_t k;
        LE_CHECK(le_infile_read(fd, buf + *got, n - *got, &k));
        if (k == 0) break;
        *got += k;
    }
    R->ctx->st->bytes_read += *got;
    return 0;
}

/* A bare request: the whole file, whose first `have` bytes are in head. */
static int read_whole(preader *R, le_infile *fd, const uint8_t *head, size_t have)
{
    size_t cap = 1 << 16, n = have, got;
    uint8_t *buf = le_malloc(cap);
    memcpy(buf, head, have);
    int rc = 0;
    do {
        if (n == cap) buf = le_realloc(buf, cap *= 2);
        R->base = n; /* for a read error's offset */
        rc = read_upto(R, fd, buf + n, cap - n, &got);
        n += got;
    } while (!rc && n == cap);
    R->base = 0;
    if (!rc) rc = read_request(R, (pcur){buf, 0, n});
    free(buf);
    return rc;
}

/* A frame's len bytes into *buf, the buffer grown as bytes arrive: a
 * length prefix that lies (4 GiB in a 1 KiB file) costs no more memory than
 * the bytes really there. */
static int read_body(preader *R, le_infile *fd, uint8_t **buf, size_t *cap, size_t len, size_t *got)
{
    size_t chunk;
    *got = 0;
    while (*got < len) {
        size_t grow = *got > ((size_t)1 << 20) ? *got : (size_t)1 << 20; /* doubling past 1 MiB */
        size_t want = len - *got < grow ? len : *got + grow;
        LE_RESERVE(*buf, *cap, want);
        uint64_t base = R->base;
        R->base += *got;
        int rc = read_upto(R, fd, *buf + *got, want - *got, &chunk);
        R->base = base;
        LE_CHECK(rc);
        *got += chunk;
        if (*got < want) break; /* the end of the file */
    }
    return 0;
}

/* The file exporter's stream: a 4-byte big-endian length, then a request;
 * one request in memory at a time. */
static int read_frames(preader *R, le_infile *fd, uint8_t *prefix, size_t have)
{
    uint64_t pos = 0;
    uint8_t *buf = NULL;
    size_t cap = 0, got;
    int rc = 0;
    while (!rc && have) {
        R->base = pos;
        if (have < 4) {
            rc = malformed(R, 0, "the file ends inside a 4-byte length prefix (truncated?)");
            break;
        }
        size_t len = (size_t)prefix[0] << 24 | (size_t)prefix[1] << 16 | (size_t)prefix[2] << 8 | prefix[3];
        R->base = pos + 4;
        rc = read_body(R, fd, &buf, &cap, len, &got);
        if (!rc && got < len) {
            R->base = pos;
            rc = malformed(R, 0, "a length-prefixed request runs past the end of the file (truncated?)");
        }
        if (!rc) rc = read_request(R, (pcur){buf, 0, len});
        pos += 4 + len;
        R->base = pos;
        if (!rc) rc = read_upto(R, fd, prefix, 4, &have);
    }
    free(buf);
    return rc;
}

int le_read_otlp_proto(le_parse_ctx *ctx)
{
    preader R = {.ctx = ctx};
    size_t have;
    le_parse_mark mark;
    le_parse_mark_take(ctx, &mark);
    uint8_t head[4];
    le_infile *fd;
    LE_CHECK(le_infile_open(ctx->path, &fd));
    int rc = read_upto(&R, fd, head, sizeof head, &have);
    if (!rc && have == 0) rc = le_fail(LE_ERR_FORMAT, "%s: byte 0: empty file, expected OTLP protobuf", ctx->path);
    /* A request starts with field 1, wire type 2: byte 0x0a. A frame starts
     * with the high byte of its length: 0x0a only for a 160 MiB request. */
    if (!rc) rc = head[0] == 0x0a ? read_whole(&R, fd, head, have) : read_frames(&R, fd, head, have);
    le_infile_close(fd);
    if (rc) le_parse_roll_back(ctx, &mark);
    le_jscratch_free(&R.s);
    return rc;
}
