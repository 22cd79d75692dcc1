/* cellpath: a tolerant reader of the maps and lists tracing systems write
 * into one CSV cell (io/cellpath.h). One scanner serves JSON, cqlsh's CQL
 * literals and key=value lists: keys are quoted or bare and followed by ':'
 * or '='; values are quoted strings, bare scalars, or nested {}, [] and ()
 * that are skipped whole unless a path descends into them. */
#include "cellpath.h"

#include <ctype.h>
#include <string.h>

#include "le_base.h"

typedef struct cur {
    const char *p, *end;
} cur;

/* One value: its text (quotes and brackets included) and what it is. */
typedef struct cval {
    const char *s;
    size_t n;
    char kind; /* '\'' or '"': string; '{', '[', '(': nested; 0: bare scalar */
} cval;

static int is_blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }
static int is_sep(char c) { return c == ',' || c == ';' || c == '&'; }
static int is_close(char c) { return c == '}' || c == ']' || c == ')'; }

static void skip_blanks(cur *c)
{
    while (c->p < c->end && is_blank(*c->p)) c->p++;
}

static void skip_seps(cur *c)
{
    while (c->p < c->end && (is_blank(*c->p) || is_sep(*c->p))) c->p++;
}

/* Past a quoted string starting at c->p: CQL doubles a quote (''), JSON
 * escapes with a backslash. -1 when it does not close. */
static int skip_string(cur *c)
{
    char q = *c->p++;
    while (c->p < c->end) {
        char ch = *c->p++;
        if (ch == '\\' && q == '"') {
            if (c->p < c->end) c->p++;
        } else if (ch == q) {
            if (q == '\'' && c->p < c->end && *c->p == '\'') {
                c->p++;
                continue;
            }
            return 0;
        }
    }
    return -1;
}

/* Past a bracketed value starting at c->p, strings respected. */
static int skip_nested(cur *c)
{
    char stack[64];
    int depth = 0;
    while (c->p < c->end) {
        char ch = *c->p;
        if (ch == '\'' || ch == '"') {
            if (skip_string(c)) return -1;
            continue;
        }
        c->p++;
        if (ch == '{' || ch == '[' || ch == '(') {
            if (depth == (int)sizeof stack) return -1;
            stack[depth++] = ch == '{' ? '}' : ch == '[' ? ']' : ')';
        } else if (is_close(ch)) {
            if (!depth || stack[depth - 1] != ch) return -1;
            if (--depth == 0) return 0;
        }
    }
    return -1;
}

/* A value at c->p; a bare one runs to a separator or a closing bracket and
 * loses its trailing blanks (so "a=x y;b=1" gives "x y"). */
static int read_value(cur *c, cval *v)
{
    skip_blanks(c);
    v->s = c->p;
    v->kind = 0;
    if (c->p < c->end && (*c->p == '\'' || *c->p == '"')) {
        v->kind = *c->p;
        if (skip_string(c)) return -1;
    } else if (c->p < c->end && (*c->p == '{' || *c->p == '[' || *c->p == '(')) {
        v->kind = *c->p;
        if (skip_nested(c)) return -1;
    } else {
        while (c->p < c->end && !is_sep(*c->p) && !is_close(*c->p)) c->p++;
        const char *e = c->p;
        while (e > v->s && is_blank(e[-1])) e--;
        v->n = (size_t)(e - v->s);
        return 0;
    }
    v->n = (size_t)(c->p - v->s);
    return 0;
}

/* A key (quoted or bare) and its ':' or '='. */
static int read_key(cur *c, cval *k)
{
    skip_blanks(c);
    if (c->p < c->end && (*c->p == '\'' || *c->p == '"')) {
        k->s = c->p;
        k->kind = *c->p;
        if (skip_string(c)) return -1;
        k->n = (size_t)(c->p - k->s);
    } else {
        k->s = c->p;
        k->kind = 0;
        while (c->p < c->end && *c->p != ':' && *c->p != '=' && !is_sep(*c->p) && !is_close(*c->p)) c->p++;
        const char *e = c->p;
        while (e > k->s && is_blank(e[-1])) e--;
        k->n = (size_t)(e - k->s);
        if (!k->n) return -1;
    }
    skip_blanks(c);
    if (c->p >= c->end || (*c->p != ':' && *c->p != '=')) return -1;
    c->p++;
    return 0;
}

/* The text of a key or scalar without its quotes (escapes left in). */
static const char *bare_text(const cval *v, size_t *n)
{
    if (v->kind == '\'' || v->kind == '"') {
        *n = v->n - 2;
        return v->s + 1;
    }
    *n = v->n;
    return v->s;
}

static void put(char **buf, size_t *cap, size_t *len, const char *s, size_t n)
{
    LE_RESERVE(*buf, *cap, *len + n + 1);
    memcpy(*buf + *len, s, n);
    *len += n;
    (*buf)[*len] = 0;
}

static int hex4(const char *s, unsigned *out)
{
    unsigned v = 0;
    for (int i = 0; i < 4; i++) {
        int ch = (unsigned char)s[i];
        if (!isxdigit(ch)) return -1;
        v = v * 16 + (unsigned)(isdigit(ch) ? ch - '0' : tolower(ch) - 'a' + 10);
    }
    *out = v;
    return 0;
}

static void put_utf8(char **buf, size_t *cap, size_t *len, unsigned cp)
{
    char u[4];
    size_t k;
    if (cp < 0x80)
        u[0] = (char)cp, k = 1;
    else if (cp < 0x800)
        u[0] = (char)(0xC0 | cp >> 6), u[1] = (char)(0x80 | (cp & 0x3F)), k = 2;
    else if (cp < 0x10000)
        u[0] = (char)(0xE0 | cp >> 12), u[1] = (char)(0x80 | (cp >> 6 & 0x3F)), u[2] = (char)(0x80 | (cp & 0x3F)), k = 3;
    else
        u[0] = (char)(0xF0 | cp >> 18), u[1] = (char)(0x80 | (cp >> 12 & 0x3F)), u[2] = (char)(0x80 | (cp >> 6 & 0x3F)),
        u[3] = (char)(0x80 | (cp & 0x3F)), k = 4;
    put(buf, cap, len, u, k);
}

/* JSON's \uXXXX, a surrogate pair joined; *i is past the 'u'. */
static int json_unicode(const char *s, size_t n, size_t *i, char **buf, size_t *cap, size_t *len)
{
    unsigned cp, lo;
    if (*i + 4 > n || hex4(s + *i, &cp)) return -1;
    *i += 4;
    if (cp >= 0xD800 && cp < 0xDC00 && *i + 6 <= n && s[*i] == '\\' && s[*i + 1] == 'u' && !hex4(s + *i + 2, &lo) &&
        lo >= 0xDC00 && lo < 0xE000) {
        cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
        *i += 6;
    }
    put_utf8(buf, cap, len, cp);
    return 0;
}

/* A scalar's text into *buf, unescaped. */
static int unescape(const cval *v, char **buf, size_t *cap, size_t *len)
{
    size_t n;
    const char *s = bare_text(v, &n);
    *len = 0;
    put(buf, cap, len, "", 0);
    for (size_t i = 0; i < n; i++) {
        char ch = s[i];
        if (v->kind == '\'' && ch == '\'') {
            i++; /* '' is one quote */
        } else if (v->kind == '"' && ch == '\\' && i + 1 < n) {
            static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
            const char *k = s[++i] ? strchr(from, s[i]) : NULL;
            if (s[i] == 'u') {
                i++;
                if (json_unicode(s, n, &i, buf, cap, len)) return -1;
                i--;
                continue;
            }
            if (!k) return -1;
            ch = to[k - from];
        }
        put(buf, cap, len, &ch, 1);
    }
    return 0;
}

/* The entry of the map at c (inside its braces, or the whole cell for a
 * key=value list) whose key is the longest prefix of path ending at a '.'
 * or at its end: keys may hold dots themselves (OpenTelemetry's
 * "service.name"). *rest is what path has left. 1 found, 0 not, -1
 * malformed. */
static int find_key(cur *c, const char *path, cval *out, const char **rest)
{
    size_t best = 0, path_n = strlen(path);
    for (;;) {
        skip_seps(c);
        if (c->p >= c->end || *c->p == '}') return best > 0;
        cval k, v;
        if (read_key(c, &k) || read_value(c, &v)) return -1;
        size_t kn;
        const char *ks = bare_text(&k, &kn);
        if (kn > best && kn <= path_n && !memcmp(ks, path, kn) && (kn == path_n || path[kn] == '.')) {
            best = kn;
            *out = v;
            *rest = path[kn] ? path + kn + 1 : path + kn;
        }
    }
}

/* Inside the braces of a '{' value, or the whole cell when it is not one. */
static cur map_body(const char *s, size_t n)
{
    cur c = {s, s + n};
    skip_blanks(&c);
    const char *e = c.end;
    while (e > c.p && is_blank(e[-1])) e--;
    if (c.p < e && *c.p == '{' && e[-1] == '}') c.p++, e--;
    c.end = e;
    return c;
}

/* The scalar at path in the map m as a string in *buf: 1 found, 0 not, -1
 * malformed. */
static int scalar_at(const cval *m, const char *path, char **buf, size_t *cap, size_t *len);

/* "[key=error]" at the start of *path: the first map of the list l whose
 * key entry is the string error (Jaeger's tags: [{key: 'error', value_bool:
 * True}, ...]); *path moves past it. 1 found, 0 not, -1 malformed. */
static int select_in_list(const cval *l, const char **path, cval *out, char **buf, size_t *cap, size_t *len)
{
    const char *close = strchr(*path, ']'), *eq = strchr(*path, '=');
    char key[128];
    if (!close || !eq || eq > close || (size_t)(eq - *path) > sizeof key) return 0;
    memcpy(key, *path + 1, (size_t)(eq - *path - 1));
    key[eq - *path - 1] = 0;
    const char *want = eq + 1;
    size_t want_n = (size_t)(close - want);
    *path = close[1] == '.' ? close + 2 : close + 1;
    cur items = {l->s + 1, l->s + l->n - 1};
    for (;;) {
        skip_seps(&items);
        if (items.p >= items.end) return 0;
        cval item;
        if (read_value(&items, &item)) return -1;
        if (item.kind != '{') continue;
        int rc = scalar_at(&item, key, buf, cap, len);
        if (rc < 0) return -1;
        if (rc && *len == want_n && !memcmp(*buf, want, want_n)) {
            *out = item;
            return 1;
        }
    }
}

static int scalar_at(const cval *m, const char *path, char **buf, size_t *cap, size_t *len)
{
    cval v = *m;
    while (*path) {
        int rc;
        if (*path == '[' && v.kind == '[') {
            rc = select_in_list(&v, &path, &v, buf, cap, len);
        } else {
            if (v.kind != '{') return 0; /* a path into a scalar, or a list without [key=value] */
            cur c = map_body(v.s, v.n);
            rc = find_key(&c, path, &v, &path);
        }
        if (rc <= 0) return rc;
    }
    if (v.kind == '{' || v.kind == '[' || v.kind == '(') return 0;
    return unescape(&v, buf, cap, len) ? -1 : 1;
}

int le_cell_path(const char *cell, size_t n, const char *path, char **buf, size_t *cap, size_t *len)
{
    cval whole = {cell, n, '{'}; /* a map, or a key=value list without braces */
    cur c = {cell, cell + n};
    skip_blanks(&c);
    if (c.p < c.end && *c.p == '[') { /* a list: the path starts with [key=value] */
        if (read_value(&c, &whole)) return -1;
        skip_blanks(&c);
        if (c.p != c.end) return -1;
    }
    return scalar_at(&whole, path, buf, cap, len);
}

/* ---- references ---- */

/* Key or type text compared in lower case without '_' and '-'. */
static int loose_eq(const char *s, size_t n, const char *want)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '_' || s[i] == '-') continue;
        if (!*want || tolower((unsigned char)s[i]) != *want) return 0;
        want++;
    }
    return !*want;
}

typedef struct ref {
    cval type, trace, span;
    int has_trace;
} ref;

/* A map reference: {ref_type: 'child-of', trace_id: 0x.., span_id: 12}. */
static int read_ref_map(const cval *item, ref *r)
{
    cur c = map_body(item->s, item->n);
    int have_type = 0, have_span = 0;
    r->has_trace = 0;
    for (;;) {
        skip_seps(&c);
        if (c.p >= c.end) break;
        cval k, v;
        if (read_key(&c, &k) || read_value(&c, &v)) return -1;
        size_t kn;
        const char *ks = bare_text(&k, &kn);
        if (loose_eq(ks, kn, "reftype") || loose_eq(ks, kn, "type"))
            r->type = v, have_type = 1;
        else if (loose_eq(ks, kn, "traceid"))
            r->trace = v, r->has_trace = 1;
        else if (loose_eq(ks, kn, "spanid"))
            r->span = v, have_span = 1;
    }
    return have_type && have_span ? 0 : -1;
}

/* A tuple reference: (type, trace id, span id). */
static int read_ref_tuple(const cval *item, ref *r)
{
    cur c = {item->s + 1, item->s + item->n - 1};
    cval *slot[3] = {&r->type, &r->trace, &r->span};
    for (int i = 0; i < 3; i++) {
        skip_seps(&c);
        if (read_value(&c, slot[i])) return -1;
    }
    skip_seps(&c);
    r->has_trace = 1;
    return c.p == c.end ? 0 : -1;
}

static int same_trace(const ref *r, const char *trace_id, size_t trace_len)
{
    if (!r->has_trace) return 1;
    size_t n;
    const char *s = bare_text(&r->trace, &n);
    s = le_trim_blanks(s, &n);
    return n == trace_len && !memcmp(s, trace_id, n);
}

int le_cell_parent_ref(const char *cell, size_t n, const char *trace_id, size_t trace_len, char **buf, size_t *cap,
                       size_t *len)
{
    cur c = {cell, cell + n};
    skip_blanks(&c);
    if (c.p == c.end) return 0;
    cval list;
    if (read_value(&c, &list) || list.kind != '[') return -1;
    skip_blanks(&c);
    if (c.p != c.end) return -1;
    trace_id = le_trim_blanks(trace_id, &trace_len);
    cur items = {list.s + 1, list.s + list.n - 1};
    cval follows = {0};
    for (;;) {
        skip_seps(&items);
        if (items.p >= items.end) break;
        cval item;
        ref r;
        if (read_value(&items, &item)) return -1;
        if (item.kind == '{' ? read_ref_map(&item, &r) : item.kind == '(' ? read_ref_tuple(&item, &r) : -1) return -1;
        if (!same_trace(&r, trace_id, trace_len)) continue;
        size_t tn;
        const char *ts = bare_text(&r.type, &tn);
        if (loose_eq(ts, tn, "childof")) return unescape(&r.span, buf, cap, len) ? -1 : 1;
        if (loose_eq(ts, tn, "followsfrom") && !follows.s) follows = r.span;
    }
    if (!follows.s) return 0;
    return unescape(&follows, buf, cap, len) ? -1 : 1;
}
