#include "json_stream.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_parse.h>

#include "infile.h"
#include "le_base.h"

/* Large blocks: yajl's per-call overhead vanishes and the page cache is
 * read sequentially; memory stays fixed whatever the file size. */
#define LE_JSON_BLOCK ((size_t)4 << 20)
/* Wanted nodes nest a few levels deep in every format; ignored subtrees
 * are counted, not stacked, so this only bounds the formats' own rules. */
#define LE_JSON_MAX_DEPTH 64

typedef struct jframe {
    le_jnode node;
    uint8_t is_map;
} jframe;

typedef struct jrun {
    yajl_handle h;
    const le_json_rules *r;
    void *u;
    const char *path;
    uint64_t base; /* file offset of the block being parsed */
    jframe stack[LE_JSON_MAX_DEPTH];
    int depth;
    uint64_t skip;    /* depth inside an ignored subtree, 0 = none */
    le_jnode pending; /* node of the value after the last map key */
    int rc;           /* a hook's error, which cancelled the parse */
} jrun;

static uint64_t cur_pos(const jrun *R)
{
    /* Mid-parse, yajl_get_bytes_consumed is the offset just past the token
     * being reported (yajl 2.x updates it as it lexes); for '{' or '[' that
     * makes the token's own byte one earlier. */
    size_t c = yajl_get_bytes_consumed(R->h);
    return R->base + (c ? c - 1 : 0);
}

static le_jnode value_node(jrun *R)
{
    if (R->depth == 0) return R->r->root;
    const jframe *f = &R->stack[R->depth - 1];
    return f->is_map ? R->pending : R->r->item(R->u, f->node);
}

static int hook_result(jrun *R, int rc)
{
    if (!rc) return 1;
    R->rc = rc;
    return 0; /* cancels yajl_parse */
}

static int on_scalar(jrun *R, le_jv_type t, const char *s, size_t n)
{
    if (R->skip) return 1;
    le_jnode node = value_node(R);
    if (node == LE_JN_SKIP) return 1;
    /* yajl reports where the token ends; step back over it (a string's
     * quotes included; escapes make the string start a little earlier) */
    uint64_t end = R->base + yajl_get_bytes_consumed(R->h), len = n + (t == LE_JV_STRING ? 2 : 0);
    return hook_result(R, R->r->scalar(R->u, node, t, s, n, end >= len ? end - len : 0));
}

static int cb_null(void *c) { return on_scalar(c, LE_JV_NULL, "null", 4); }
static int cb_bool(void *c, int b) { return on_scalar(c, LE_JV_BOOL, b ? "true" : "false", b ? 4 : 5); }
static int cb_number(void *c, const char *s, size_t n) { return on_scalar(c, LE_JV_NUMBER, s, n); }
static int cb_string(void *c, const unsigned char *s, size_t n) { return on_scalar(c, LE_JV_STRING, (const char *)s, n); }

static int cb_key(void *c, const unsigned char *k, size_t n)
{
    jrun *R = c;
    if (!R->skip) R->pending = R->r->key(R->u, R->stack[R->depth - 1].node, (const char *)k, n);
    return 1;
}

static int on_open(jrun *R, int is_map)
{
    if (R->skip) {
        R->skip++;
        return 1;
    }
    le_jnode node = value_node(R);
    if (node != LE_JN_SKIP) {
        int rc = R->r->open(R->u, &node, is_map, cur_pos(R));
        if (rc) return hook_result(R, rc);
    }
    if (node == LE_JN_SKIP) {
        R->skip = 1;
        return 1;
    }
    if (R->depth == LE_JSON_MAX_DEPTH)
        return hook_result(R, le_fail(LE_ERR_FORMAT, "%s: byte %llu: %s nested deeper than %d levels", R->path,
                                      (unsigned long long)cur_pos(R), R->r->format, LE_JSON_MAX_DEPTH));
    R->stack[R->depth++] = (jframe){node, (uint8_t)is_map};
    return 1;
}

static int on_close(jrun *R)
{
    if (R->skip) {
        R->skip--;
        return 1;
    }
    jframe f = R->stack[--R->depth];
    return hook_result(R, R->r->close(R->u, f.node, f.is_map));
}

static int cb_start_map(void *c) { return on_open(c, 1); }
static int cb_start_array(void *c) { return on_open(c, 0); }
static int cb_end(void *c) { return on_close(c); }

static const yajl_callbacks callbacks = {
    .yajl_null = cb_null,
    .yajl_boolean = cb_bool,
    .yajl_number = cb_number, /* raw text: we parse ids and ns times ourselves */
    .yajl_string = cb_string,
    .yajl_start_map = cb_start_map,
    .yajl_map_key = cb_key,
    .yajl_end_map = cb_end,
    .yajl_start_array = cb_start_array,
    .yajl_end_array = cb_end,
};

/* yajl's message without its trailing newline; yajl owns none of it after. */
static int yajl_error(jrun *R, uint64_t pos, const char *where)
{
    unsigned char *msg = yajl_get_error(R->h, 0, NULL, 0);
    size_t n = strlen((const char *)msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == ' ')) msg[--n] = 0;
    int rc = le_fail(LE_ERR_FORMAT, "%s: byte %llu: not valid %s%s (yajl: %s); the whole file is rejected", R->path,
                     (unsigned long long)pos, R->r->format, where, (const char *)msg);
    yajl_free_error(R->h, msg);
    return rc;
}

static int parse_status(jrun *R, yajl_status s, int at_end)
{
    if (s == yajl_status_ok) return 0;
    if (s == yajl_status_client_canceled) return R->rc;
    if (at_end) return yajl_error(R, R->base, ": the file ends inside a value (truncated?)");
    size_t c = yajl_get_bytes_consumed(R->h);
    return yajl_error(R, R->base + (c ? c - 1 : 0), "");
}

static int parse_input(jrun *R, le_parse_ctx *ctx, le_infile *in)
{
    unsigned char *buf = le_malloc(LE_JSON_BLOCK);
    int rc = 0;
    for (;;) {
        size_t n;
        if ((rc = le_infile_read(in, buf, LE_JSON_BLOCK, &n))) break;
        if (!n) break;
        ctx->st->bytes_read += n;
        rc = parse_status(R, yajl_parse(R->h, buf, n), 0);
        if (rc) break;
        R->base += n;
    }
    if (!rc && R->base == 0) /* JSON lines too: an empty file is no export */
        rc = le_fail(LE_ERR_FORMAT, "%s: byte 0: empty file, expected %s", R->path, R->r->format);
    if (!rc) rc = parse_status(R, yajl_complete_parse(R->h), 1);
    if (!rc && R->r->finish) rc = R->r->finish(R->u);
    free(buf);
    return rc;
}

int le_json_run(le_parse_ctx *ctx, const le_json_rules *rules, void *u)
{
    le_infile *in;
    LE_CHECK(le_infile_open(ctx->path, &in));
    le_parse_mark mark;
    le_parse_mark_take(ctx, &mark);

    jrun R = {.r = rules, .u = u, .path = ctx->path};
    R.h = yajl_alloc(&callbacks, NULL, &R);
    yajl_config(R.h, yajl_allow_multiple_values, rules->multiple_values);
    int rc = parse_input(&R, ctx, in);
    yajl_free(R.h);
    le_infile_close(in);
    if (rc) le_parse_roll_back(ctx, &mark);
    return rc;
}

/* ---- span scratch ---- */

void le_jscratch_free(le_jscratch *s)
{
    free(s->arena);
    free(s->held);
    memset(s, 0, sizeof *s);
}

le_jstr le_jstr_put(le_jscratch *s, const char *p, size_t n)
{
    /* Offsets are 32-bit: one trace's strings beyond 4 GiB is not a trace. */
    if (s->len + n + 1 > UINT32_MAX) {
        fprintf(stderr, "labelease: JSON scratch for one trace exceeds 4 GiB\n");
        abort();
    }
    LE_RESERVE(s->arena, s->cap, s->len + n + 1);
    le_jstr t = {(uint32_t)s->len, (uint32_t)n};
    memcpy(s->arena + s->len, p, n);
    s->arena[s->len + n] = 0;
    s->len += n + 1;
    return t;
}

int le_jstr_eq(const le_jscratch *s, le_jstr a, le_jstr b)
{
    return a.len == b.len && memcmp(s->arena + a.off, s->arena + b.off, a.len) == 0;
}

void le_jspan_reset(le_jspan *sp, uint64_t pos)
{
    memset(sp, 0, sizeof *sp);
    sp->drop = -1;
    sp->pos = pos;
}

void le_jscratch_hold(le_jscratch *s, const le_jspan *sp)
{
    LE_RESERVE(s->held, s->cap_held, s->n_held + 1);
    s->held[s->n_held++] = *sp;
}

int le_json_drop(le_parse_ctx *ctx, le_drop why, uint64_t pos, const char *detail)
{
    ctx->st->rows_read++; /* le_ingest_drop counts the drop, not the row */
    return le_ingest_drop(ctx, why, pos, LE_POS_BYTE, detail);
}

int le_jspan_emit(le_parse_ctx *ctx, const le_jscratch *s, const le_jspan *sp)
{
    if (sp->drop >= 0) return le_json_drop(ctx, (le_drop)sp->drop, sp->pos, sp->drop_detail);
    le_span_in in = {
        .trace_id = le_jstr_ptr(s, sp->trace_id),
        .trace_id_len = sp->trace_id.len,
        .span_id = le_jstr_ptr(s, sp->span_id),
        .span_id_len = sp->span_id.len,
        .parent_id = le_jstr_ptr(s, sp->parent_id),
        .parent_id_len = sp->parent_id.len,
        .service = le_jstr_ptr(s, sp->service),
        .service_len = sp->service.len,
        .operation = le_jstr_ptr(s, sp->operation),
        .operation_len = sp->operation.len,
        .start_us = sp->start,
        .duration_us = sp->duration,
        .status_code = sp->status_code,
        .error = sp->error,
        .label = -1,
        .flags = sp->flags,
    };
    return le_ingest_span(ctx, &in, sp->pos, LE_POS_BYTE);
}

void le_jspan_str(le_jscratch *s, le_jspan *sp, le_jstr *dst, le_jv_type t, const char *p, size_t n, const char *wrong)
{
    if (t == LE_JV_NULL) return;
    if (t != LE_JV_STRING) {
        le_jspan_fail(sp, LE_DROP_BAD_ROW, wrong);
        return;
    }
    *dst = le_jstr_put(s, p, n);
}

void le_jspan_num(le_jspan *sp, int64_t *dst, uint8_t bit, le_jv_type t, const char *p, size_t n, const char *bad)
{
    if (t == LE_JV_NULL) return;
    if (t == LE_JV_BOOL) {
        le_jspan_fail(sp, LE_DROP_BAD_ROW, bad);
        return;
    }
    if (le_json_int(p, n, dst)) {
        le_jspan_fail(sp, LE_DROP_UNPARSABLE, bad);
        return;
    }
    sp->have |= bit;
}

/* ---- values ---- */

static int parse_decimal(const char *s, size_t n, int64_t *out)
{
    char tmp[64];
    if (n >= sizeof tmp) return -1;
    memcpy(tmp, s, n);
    tmp[n] = 0;
    char *end;
    errno = 0;
    double d = strtod(tmp, &end);
    if (end != tmp + n || errno || !isfinite(d) || d >= 9.2e18 || d <= -9.2e18) return -1;
    *out = (int64_t)d;
    return 0;
}

int le_json_int(const char *s, size_t n, int64_t *out)
{
    size_t i = 0;
    int neg = n > 0 && s[0] == '-';
    i = (size_t)neg;
    if (i == n) return -1;
    uint64_t v = 0;
    for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
        unsigned d = (unsigned)(s[i] - '0');
        if (v > (UINT64_C(9223372036854775807) - d) / 10) return -1;
        v = v * 10 + d;
    }
    if (i == (size_t)neg) return -1;
    if (i < n) return (s[i] == '.' || s[i] == 'e' || s[i] == 'E') ? parse_decimal(s, n, out) : -1;
    *out = neg ? -(int64_t)v : (int64_t)v;
    return 0;
}

int le_json_id_is_null(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] != '0') return 0;
    return 1;
}

static int hex_digit(char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

static int b64_value(char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62; /* standard and URL-safe alphabets */
    if (c == '/' || c == '_') return 63;
    return -1;
}

/* Base64 (padding optional) to bytes; -1 when s is not base64. */
static int b64_decode(const char *s, size_t n, unsigned char *out, size_t *len)
{
    while (n && s[n - 1] == '=') n--;
    uint32_t acc = 0;
    int bits = 0;
    *len = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64_value(s[i]);
        if (v < 0) return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[(*len)++] = (unsigned char)(acc >> bits);
        }
    }
    return bits >= 6 ? -1 : 0; /* a lone 6-bit group carries no byte */
}

static size_t bytes_to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    return 2 * n;
}

size_t le_json_id_hex(const char *s, size_t n, char *out, int lower, int jaeger_short)
{
    size_t i = 0;
    while (i < n && hex_digit(s[i])) i++;
    unsigned char bytes[24];
    size_t len;
    /* padded base64 of 8 or 16 bytes only: "t-1" or "trace=1" stay as written */
    if (i < n && (n == 12 || n == 24) && s[n - 1] == '=' && b64_decode(s, n, bytes, &len) == 0 && (len == 8 || len == 16)) {
        size_t skip = 0;
        if (jaeger_short && len == 16) {
            while (skip < 8 && bytes[skip] == 0) skip++;
            skip = skip == 8 ? 8 : 0;
        }
        return bytes_to_hex(bytes + skip, len - skip, out);
    }
    for (lower = lower && i == n, i = 0; i < n; i++)
        out[i] = lower && s[i] >= 'A' && s[i] <= 'F' ? (char)(s[i] - 'A' + 'a') : s[i];
    return n;
}

void le_jspan_id(le_jscratch *s, le_jspan *sp, le_jstr *dst, le_jv_type t, const char *p, size_t n, const char *wrong,
                 int lower, int jaeger_short)
{
    if (t != LE_JV_STRING) {
        le_jspan_str(s, sp, dst, t, p, n, wrong); /* null: absent; else the type error */
        return;
    }
    char small[256];
    char *hex = n <= sizeof small / 2 ? small : le_malloc(2 * n);
    *dst = le_jstr_put(s, hex, le_json_id_hex(p, n, hex, lower, jaeger_short));
    if (hex != small) free(hex);
}

/* "+hh:mm" / "-hh:mm" at the end of s[0..n): its seconds east of UTC. */
static int utc_offset_s(const char *s, size_t n, int64_t *off)
{
    if (n < 6) return -1;
    const char *o = s + n - 6;
    if ((o[0] != '+' && o[0] != '-') || o[3] != ':') return -1;
    for (int k = 1; k < 6; k++)
        if (k != 3 && (unsigned)(o[k] - '0') >= 10) return -1;
    int64_t v = ((o[1] - '0') * 10 + (o[2] - '0')) * 3600 + ((o[4] - '0') * 10 + (o[5] - '0')) * 60;
    *off = o[0] == '-' ? -v : v;
    return 0;
}

int le_json_rfc3339_us(const char *s, size_t n, int64_t *us)
{
    int64_t off = 0, ns;
    /* the date's own '-' sits at bytes 4 and 7: an offset starts past 19 */
    if (n >= 19 + 6 && utc_offset_s(s, n, &off) == 0) n -= 6;
    if (n < 19 || s[10] != 'T' || le_parse_utc_datetime_ns(s, n, &ns)) return -1;
    *us = ns / 1000 - off * 1000000;
    return 0;
}

static int64_t unit_ns(const char *u, size_t n)
{
    static const struct {
        const char *name;
        int64_t ns;
    } units[] = {{"ns", 1},       {"us", 1000},      {"\xc2\xb5s", 1000},         {"\xce\xbcs", 1000},
                 {"ms", 1000000}, {"s", 1000000000}, {"m", INT64_C(60000000000)}, {"h", INT64_C(3600000000000)}};
    for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
        if (strlen(units[i].name) == n && memcmp(units[i].name, u, n) == 0) return units[i].ns;
    return 0;
}

/* digits[.digits] times scale, exactly (fraction digits below 1 ns dropped):
 * binary floating point would make "0.000300s" 299 µs. */
static int scaled_decimal(const char *s, size_t n, int64_t scale, int64_t *ns)
{
    size_t i = 0;
    int64_t v = 0;
    for (; i < n && s[i] != '.'; i++) {
        if ((unsigned)(s[i] - '0') >= 10 || v > (INT64_MAX / scale - 9) / 10) return -1;
        v = v * 10 + (s[i] - '0');
    }
    int digits = i > 0;
    v *= scale;
    if (i < n) i++; /* the point */
    for (int64_t unit = scale / 10; i < n; i++, unit /= 10) {
        if ((unsigned)(s[i] - '0') >= 10) return -1;
        v += (s[i] - '0') * unit;
        digits = 1;
    }
    *ns = v;
    return digits ? 0 : -1;
}

static int is_num_char(char c) { return (c >= '0' && c <= '9') || c == '.'; }

int le_json_duration_us(const char *s, size_t n, int64_t *us)
{
    int neg = n && s[0] == '-';
    size_t i = (size_t)neg;
    int64_t total = 0;
    if (i == n) return -1;
    while (i < n) {
        size_t num = i;
        while (i < n && is_num_char(s[i])) i++;
        size_t unit = i;
        while (i < n && !is_num_char(s[i])) i++;
        int64_t scale = unit_ns(s + unit, i - unit), part;
        if (!scale || scaled_decimal(s + num, unit - num, scale, &part) || part > INT64_MAX - total) return -1;
        total += part;
    }
    *us = (total / 1000) * (neg ? -1 : 1);
    return 0;
}

/* ---- tags ---- */

static void copy_small(char *dst, size_t cap, size_t *len, int *too_long, const char *s, size_t n)
{
    *too_long = n >= cap;
    *len = *too_long ? 0 : n;
    if (!*too_long) memcpy(dst, s, n);
    dst[*len] = 0;
}

void le_jtag_key(le_jtag *t, const char *s, size_t n) { copy_small(t->key, sizeof t->key, &t->key_len, &t->key_long, s, n); }

void le_jtag_val(le_jtag *t, le_jv_type type, const char *s, size_t n)
{
    copy_small(t->val, sizeof t->val, &t->val_len, &t->val_long, s, n);
    t->val_type = type;
    t->has_val = 1;
}

static int key_is(const le_jtag *t, const char *k)
{
    size_t n = strlen(k);
    return !t->key_long && t->key_len == n && memcmp(t->key, k, n) == 0;
}

static int val_is_ci(const le_jtag *t, const char *v)
{
    return !t->val_long && (t->val_type == LE_JV_STRING || t->val_type == LE_JV_BOOL) && strcasecmp(t->val, v) == 0;
}

static void apply_status(const le_jtag *t, le_jspan *sp, int8_t rank)
{
    if (t->val_type == LE_JV_NULL || sp->status_rank >= rank) return;
    int64_t v;
    if (t->val_type == LE_JV_BOOL || t->val_long || le_json_int(t->val, t->val_len, &v) || v < INT32_MIN || v > INT32_MAX) {
        le_jspan_fail(sp, LE_DROP_UNPARSABLE, "status code tag is not an integer");
        return;
    }
    sp->status_code = (int32_t)v;
    sp->status_rank = rank;
}

void le_jtag_apply(const le_jtag *t, le_jspan *sp, int zipkin_rules)
{
    if (!t->has_val || t->key_long || t->val_type == LE_JV_NULL) return;
    if (key_is(t, "error")) {
        if (zipkin_rules ? !val_is_ci(t, "false") : val_is_ci(t, "true")) sp->error = 1;
    } else if (key_is(t, "otel.status_code")) {
        if (val_is_ci(t, "ERROR")) sp->error = 1;
    } else if (key_is(t, "http.status_code") || key_is(t, "http.response.status_code")) {
        apply_status(t, sp, 2);
    } else if (key_is(t, "rpc.grpc.status_code")) {
        apply_status(t, sp, 1);
    }
}
