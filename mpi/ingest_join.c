/* Routing span rows to the rank that owns their trace, and assembling each
 * trace there: duplicates, conflicts, tree. */
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "exchange.h"
#include "hash.h"
#include "ingest.h"
#include "ingest_stages.h"
#include "tracetree.h"

void le_asm_init(le_asm *a)
{
    memset(a, 0, sizeof *a);
    le_strtab_init(&a->ids);
    le_strtab_init(&a->services);
    le_strtab_init(&a->operations);
}

void le_asm_free(le_asm *a)
{
    free(a->span_off);
    free(a->hash);
    free(a->start);
    free(a->label);
    free(a->id);
    free(a->parent);
    free(a->service);
    free(a->operation);
    free(a->status);
    free(a->start_us);
    free(a->duration_us);
    free(a->error);
    le_strtab_free(&a->ids);
    le_strtab_free(&a->services);
    le_strtab_free(&a->operations);
    memset(a, 0, sizeof *a);
}

/* ---------------------------------------------------------------- route */

/* Wire format of one row: fixed header, then the five strings. */
typedef struct wire_row {
    int64_t start_us, duration_us;
    uint64_t pos;
    int32_t status_code;
    uint32_t file;
    uint32_t len[5]; /* trace, span, parent (UINT32_MAX: none), service, operation */
    int8_t error, label;
} wire_row;

static const char *row_str(const le_spanbuf *b, size_t i, int k, uint32_t *len)
{
    const char *s = NULL;
    switch (k) {
    case 0: *len = le_strtab_len(&b->traces, b->trace[i]); return le_strtab_str(&b->traces, b->trace[i]);
    case 1: s = le_spanbuf_span_id(b, i); break;
    case 2:
        s = le_spanbuf_parent_id(b, i);
        if (!s) {
            *len = UINT32_MAX;
            return NULL;
        }
        break;
    case 3: *len = le_strtab_len(&b->names, b->service[i]); return le_strtab_str(&b->names, b->service[i]);
    default: *len = le_strtab_len(&b->names, b->operation[i]); return le_strtab_str(&b->names, b->operation[i]);
    }
    *len = (uint32_t)strlen(s);
    return s;
}

static size_t pack_row(const le_spanbuf *b, size_t i, char *dst)
{
    wire_row w = {b->start_us[i], b->duration_us[i], b->pos[i], b->status_code[i], b->file[i], {0},
                  b->error[i],    b->label[i]};
    const char *s[5];
    size_t n = sizeof w;
    for (int k = 0; k < 5; k++) {
        s[k] = row_str(b, i, k, &w.len[k]);
        if (s[k]) n += w.len[k];
    }
    if (dst) {
        memcpy(dst, &w, sizeof w);
        char *p = dst + sizeof w;
        for (int k = 0; k < 5; k++)
            if (s[k]) {
                memcpy(p, s[k], w.len[k]);
                p += w.len[k];
            }
    }
    return n;
}

static size_t unpack_row(const char *src, le_spanbuf *out)
{
    wire_row w;
    memcpy(&w, src, sizeof w);
    const char *p = src + sizeof w;
    le_span_in s = {0};
    s.trace_id = p;
    s.trace_id_len = w.len[0];
    p += w.len[0];
    s.span_id = p;
    s.span_id_len = w.len[1];
    p += w.len[1];
    if (w.len[2] != UINT32_MAX) {
        s.parent_id = p;
        s.parent_id_len = w.len[2];
        p += w.len[2];
    }
    s.service = p;
    s.service_len = w.len[3];
    p += w.len[3];
    s.operation = p;
    s.operation_len = w.len[4];
    p += w.len[4];
    s.start_us = w.start_us;
    s.duration_us = w.duration_us;
    s.status_code = w.status_code;
    s.error = w.error;
    s.label = w.label;
    /* an empty parent id arrives as len 0: spanbuf treats it as root, as the reader did */
    le_spanbuf_push(out, &s, w.file, w.pos);
    return (size_t)(p - src);
}

static int owner_of(const le_spanbuf *b, size_t i, int p)
{
    uint32_t t = b->trace[i];
    return (int)(le_strtab_len(&b->traces, t) ? b->traces.hash[t] % (uint64_t)p : 0);
}

/* A row that stays on this rank is copied straight across, never packed. */
static void keep_row(const le_spanbuf *in, size_t i, le_spanbuf *out)
{
    le_span_in s = {0};
    uint32_t len[5];
    const char *str[5];
    for (int k = 0; k < 5; k++) str[k] = row_str(in, i, k, &len[k]);
    s.trace_id = str[0];
    s.trace_id_len = len[0];
    s.span_id = str[1];
    s.span_id_len = len[1];
    if (str[2]) {
        s.parent_id = str[2];
        s.parent_id_len = len[2];
    }
    s.service = str[3];
    s.service_len = len[3];
    s.operation = str[4];
    s.operation_len = len[4];
    s.start_us = in->start_us[i];
    s.duration_us = in->duration_us[i];
    s.status_code = in->status_code[i];
    s.error = in->error[i];
    s.label = in->label[i];
    le_spanbuf_push(out, &s, in->file[i], in->pos[i]);
}

int le_route_rows(MPI_Comm comm, le_spanbuf *in, le_spanbuf *out)
{
    int p, rank;
    LE_MPI(MPI_Comm_size(comm, &p));
    LE_MPI(MPI_Comm_rank(comm, &rank));
    /* every rank assembles with the ids' shape, also one that read no file */
    int sep = in->path_sep;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &sep, 1, MPI_INT, MPI_MAX, comm));
    if (p == 1) { /* nothing moves: hand the buffer over */
        *out = *in;
        le_spanbuf_init(in);
        out->path_sep = (char)sep;
        return 0;
    }
    uint64_t *count = le_calloc((size_t)p, sizeof *count), *rcount = le_calloc((size_t)p, sizeof *rcount);
    uint64_t *cursor = le_calloc((size_t)p, sizeof *cursor);
    int *dest = le_malloc(in->n * sizeof *dest);
    for (size_t i = 0; i < in->n; i++) {
        dest[i] = owner_of(in, i, p);
        if (dest[i] != rank) count[dest[i]] += pack_row(in, i, NULL);
    }
    uint64_t total = 0;
    for (int r = 0; r < p; r++) cursor[r] = total, total += count[r];
    char *send = le_malloc(total);
    le_spanbuf_init(out);
    out->path_sep = (char)sep;
    for (size_t i = 0; i < in->n; i++) {
        if (dest[i] == rank)
            keep_row(in, i, out);
        else
            cursor[dest[i]] += pack_row(in, i, send + cursor[dest[i]]);
    }
    free(dest);
    free(cursor);
    le_spanbuf_free(in); /* its rows are in out or in send: free it before the exchange doubles memory */
    char *recv = NULL;
    uint64_t rtotal = 0;
    int rc = le_alltoallv_bytes(comm, send, count, &recv, rcount, &rtotal);
    free(send);
    free(count);
    free(rcount);
    if (rc) return rc;
    for (uint64_t off = 0; off < rtotal;) off += unpack_row(recv + off, out);
    free(recv);
    return 0;
}

/* ------------------------------------------------------------- assemble */

/* Rows of one trace, sorted so that equal span ids are adjacent and the
 * order does not depend on arrival order: (span id, content, file, pos). */
static const le_spanbuf *g_rows; /* qsort has no context argument in C11 */

static int content_cmp(const le_spanbuf *b, uint32_t x, uint32_t y)
{
#define CMP(f) \
    if (b->f[x] != b->f[y]) return b->f[x] < b->f[y] ? -1 : 1
    CMP(start_us);
    CMP(duration_us);
    CMP(status_code);
    CMP(error);
#undef CMP
    const char *px = le_spanbuf_parent_id(b, x), *py = le_spanbuf_parent_id(b, y);
    if (!px != !py) return px ? 1 : -1;
    int c = px ? strcmp(px, py) : 0;
    if (c) return c;
    if (b->service[x] != b->service[y])
        return strcmp(le_strtab_str(&b->names, b->service[x]), le_strtab_str(&b->names, b->service[y]));
    if (b->operation[x] != b->operation[y])
        return strcmp(le_strtab_str(&b->names, b->operation[x]), le_strtab_str(&b->names, b->operation[y]));
    return 0;
}

static int row_cmp(const void *pa, const void *pb)
{
    const le_spanbuf *b = g_rows;
    uint32_t x = *(const uint32_t *)pa, y = *(const uint32_t *)pb;
    int c = strcmp(le_spanbuf_span_id(b, x), le_spanbuf_span_id(b, y));
    if (c) return c;
    c = content_cmp(b, x, y);
    if (c) return c;
    if (b->file[x] != b->file[y]) return b->file[x] < b->file[y] ? -1 : 1;
    return b->pos[x] < b->pos[y] ? -1 : b->pos[x] > b->pos[y];
}

typedef struct trace_work {
    uint32_t *uniq; /* rows kept after duplicate/conflict removal */
    int32_t *parent, *cls, *order, *new_parent;
    int64_t *start;
    size_t cap;
    le_tt_work tt;
} trace_work;

static void tw_reserve(trace_work *w, size_t n)
{
    if (n <= w->cap) return;
    w->cap = n * 2;
    w->uniq = le_realloc(w->uniq, w->cap * sizeof *w->uniq);
    w->parent = le_realloc(w->parent, w->cap * sizeof *w->parent);
    w->cls = le_realloc(w->cls, w->cap * sizeof *w->cls);
    w->order = le_realloc(w->order, w->cap * sizeof *w->order);
    w->new_parent = le_realloc(w->new_parent, w->cap * sizeof *w->new_parent);
    w->start = le_realloc(w->start, w->cap * sizeof *w->start);
}

static void tw_free(trace_work *w)
{
    free(w->uniq);
    free(w->parent);
    free(w->cls);
    free(w->order);
    free(w->new_parent);
    free(w->start);
    le_tt_work_free(&w->tt);
}

typedef struct drop_ctx {
    le_ingest_stats *st;
    int strict;
    char *const *files;
    le_pos_kind kind;
    int failed;
} drop_ctx;

static void drop_row(drop_ctx *d, le_drop why, const le_spanbuf *b, uint32_t row)
{
    le_stats_drop(d->st, why, b->file[row], b->pos[row]);
    if (d->strict && !d->failed) {
        d->failed = 1;
        le_fail(LE_ERR_STRICT, "%s:%s%llu: %s (trace %s, span %s; --strict stops at the first dropped record)",
                d->files[b->file[row]], d->kind == LE_POS_BYTE ? "byte " : "", (unsigned long long)b->pos[row],
                le_drop_name(why), le_strtab_str(&b->traces, b->trace[row]), le_spanbuf_span_id(b, row));
    }
}

/* Drop exact duplicates and conflicting rows of one trace; returns the
 * number of unique spans written to w->uniq (sorted by span id). */
static size_t dedup_rows(const le_spanbuf *b, uint32_t *rows, size_t n, trace_work *w, drop_ctx *d)
{
    g_rows = b;
    qsort(rows, n, sizeof *rows, row_cmp);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rows[i];
        if (k && !strcmp(le_spanbuf_span_id(b, w->uniq[k - 1]), le_spanbuf_span_id(b, r))) {
            drop_row(d, content_cmp(b, w->uniq[k - 1], r) ? LE_DROP_CONFLICT : LE_DROP_DUPLICATE, b, r);
            continue;
        }
        w->uniq[k++] = r;
    }
    return k;
}

/* Index of the unique span with id[0..len) by binary search over the
 * sorted ids, LE_TT_MISSING when there is none. */
static int32_t find_span(const le_spanbuf *b, size_t n, const trace_work *w, const char *id, size_t len)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *s = le_spanbuf_span_id(b, w->uniq[mid]);
        if (strncmp(s, id, len) < 0) /* as strcmp(s, id[0..len)): a longer s with that prefix is greater */
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n) {
        const char *s = le_spanbuf_span_id(b, w->uniq[lo]);
        if (!strncmp(s, id, len) && !s[len]) return (int32_t)lo;
    }
    return LE_TT_MISSING;
}

/* Path ids (rpc_id "0.1.3.2"): the nearest ancestor of a missing parent
 * that is in the trace, LE_TT_MISSING when none is (documented in
 * docs/formats.md: calls whose record was lost keep their subtree in place). */
static int32_t find_ancestor(const le_spanbuf *b, size_t n, const trace_work *w, const char *pid)
{
    size_t len = strlen(pid);
    while (len) {
        while (len && pid[len - 1] != b->path_sep) len--;
        if (!len) break;
        int32_t at = find_span(b, n, w, pid, --len);
        if (at != LE_TT_MISSING) return at;
    }
    return LE_TT_MISSING;
}

/* Parent index of every unique span; *via_ancestor counts the spans that
 * hang under an ancestor because their own parent is missing. */
static void resolve_parents(const le_spanbuf *b, size_t n, trace_work *w, uint64_t *via_ancestor)
{
    for (size_t i = 0; i < n; i++) {
        const char *pid = le_spanbuf_parent_id(b, w->uniq[i]);
        w->start[i] = b->start_us[w->uniq[i]];
        if (!pid) {
            w->parent[i] = LE_TT_ROOT;
            continue;
        }
        w->parent[i] = find_span(b, n, w, pid, strlen(pid));
        if (w->parent[i] == LE_TT_MISSING && b->path_sep) {
            w->parent[i] = find_ancestor(b, n, w, pid);
            *via_ancestor += w->parent[i] != LE_TT_MISSING;
        }
    }
}

static void asm_reserve(le_asm *a, size_t traces, size_t spans)
{
    size_t c = a->cap;
    if (traces + 1 > a->cap) {
        c = (traces + 1) * 2;
        a->span_off = le_realloc(a->span_off, c * sizeof *a->span_off);
        a->hash = le_realloc(a->hash, c * sizeof *a->hash);
        a->start = le_realloc(a->start, c * sizeof *a->start);
        a->label = le_realloc(a->label, c * sizeof *a->label);
        a->id = le_realloc(a->id, c * sizeof *a->id);
        a->cap = c;
    }
    if (spans > a->mcap) {
        c = spans * 2;
        a->parent = le_realloc(a->parent, c * sizeof *a->parent);
        a->service = le_realloc(a->service, c * sizeof *a->service);
        a->operation = le_realloc(a->operation, c * sizeof *a->operation);
        a->status = le_realloc(a->status, c * sizeof *a->status);
        a->start_us = le_realloc(a->start_us, c * sizeof *a->start_us);
        a->duration_us = le_realloc(a->duration_us, c * sizeof *a->duration_us);
        a->error = le_realloc(a->error, c * sizeof *a->error);
        a->mcap = c;
    }
}

static uint32_t intern_operation(le_asm *a, const le_spanbuf *b, uint32_t row, char **key, size_t *keycap)
{
    const char *svc = le_strtab_str(&b->names, b->service[row]), *op = le_strtab_str(&b->names, b->operation[row]);
    size_t ls = le_strtab_len(&b->names, b->service[row]), lo = le_strtab_len(&b->names, b->operation[row]);
    LE_RESERVE(*key, *keycap, ls + lo + 1);
    memcpy(*key, svc, ls);
    (*key)[ls] = 0; /* service and operation joined by NUL: no name can fake the split */
    memcpy(*key + ls + 1, op, lo);
    return le_strtab_intern(&a->operations, *key, ls + 1 + lo);
}

static void append_trace(le_asm *a, const le_spanbuf *b, uint32_t trace, int8_t label, const trace_work *w, int32_t k,
                         char **key, size_t *keycap)
{
    asm_reserve(a, a->n + 1, a->m + (size_t)k);
    size_t t = a->n++;
    if (t == 0) a->span_off[0] = 0;
    const char *id = le_strtab_str(&b->traces, trace);
    a->id[t] = le_strtab_intern(&a->ids, id, le_strtab_len(&b->traces, trace));
    a->hash[t] = b->traces.hash[trace];
    a->label[t] = label;
    a->start[t] = b->start_us[w->uniq[w->order[0]]];
    for (int32_t j = 0; j < k; j++) {
        uint32_t row = w->uniq[w->order[j]];
        size_t s = a->m++;
        a->parent[s] = w->new_parent[j];
        a->service[s] = (int32_t)le_strtab_intern(&a->services, le_strtab_str(&b->names, b->service[row]),
                                                  le_strtab_len(&b->names, b->service[row]));
        a->operation[s] = (int32_t)intern_operation(a, b, row, key, keycap);
        a->status[s] = b->status_code[row];
        a->start_us[s] = b->start_us[row];
        a->duration_us[s] = b->duration_us[row];
        a->error[s] = b->error[row];
    }
    a->span_off[t + 1] = (int64_t)a->m;
}

/* Label of a trace from its rows: abnormal wins; a mix is a conflict. */
static int8_t trace_label(const le_spanbuf *b, const uint32_t *rows, size_t n, le_ingest_stats *st)
{
    int seen_normal = 0, seen_abnormal = 0;
    for (size_t i = 0; i < n; i++) {
        seen_normal |= b->label[rows[i]] == LE_LABEL_NORMAL;
        seen_abnormal |= b->label[rows[i]] == LE_LABEL_ABNORMAL;
    }
    if (seen_normal && seen_abnormal) st->label_conflicts++;
    return seen_abnormal ? LE_LABEL_ABNORMAL : seen_normal ? LE_LABEL_NORMAL : LE_LABEL_UNKNOWN;
}

static const le_drop class_drop[] = {
    [LE_TT_ORPHAN] = LE_DROP_ORPHAN, [LE_TT_EXTRA_ROOT] = LE_DROP_EXTRA_ROOT, [LE_TT_CYCLE] = LE_DROP_CYCLE};

static void assemble_trace(const le_spanbuf *b, uint32_t trace, uint32_t *rows, size_t n, le_asm *a, trace_work *w,
                           drop_ctx *d, char **key, size_t *keycap)
{
    tw_reserve(w, n);
    int8_t label = trace_label(b, rows, n, d->st);
    size_t u = dedup_rows(b, rows, n, w, d);
    resolve_parents(b, u, w, &a->parents_via_ancestor);
    int promoted = 0;
    int32_t k = le_tt_build((int32_t)u, w->parent, w->start, &w->tt, w->cls, w->order, w->new_parent, &promoted);
    for (size_t i = 0; i < u; i++)
        if (w->cls[i] != LE_TT_KEPT) drop_row(d, class_drop[w->cls[i]], b, w->uniq[i]);
    a->promoted_roots += (uint64_t)promoted;
    if (k == 0) {
        d->st->traces_dropped++;
        return;
    }
    append_trace(a, b, trace, label, w, k, key, keycap);
}

int le_assemble(const le_spanbuf *rows, le_asm *out, le_ingest_stats *st, int strict, char *const *files, le_pos_kind kind)
{
    /* Group rows by trace with a counting sort over the dense trace ids. */
    size_t nt = rows->traces.n;
    size_t *first = le_calloc(nt + 1, sizeof *first);
    uint32_t *byt = le_malloc(rows->n * sizeof *byt);
    for (size_t i = 0; i < rows->n; i++) first[rows->trace[i] + 1]++;
    for (size_t t = 0; t < nt; t++) first[t + 1] += first[t];
    size_t *fill = le_malloc(nt * sizeof *fill);
    memcpy(fill, first, nt * sizeof *fill);
    for (size_t i = 0; i < rows->n; i++) byt[fill[rows->trace[i]]++] = (uint32_t)i;
    free(fill);

    le_asm_init(out);
    trace_work w = {0};
    drop_ctx d = {st, strict, files, kind, 0};
    char *key = NULL;
    size_t keycap = 0;
    for (size_t t = 0; t < nt && !d.failed; t++)
        assemble_trace(rows, (uint32_t)t, byt + first[t], first[t + 1] - first[t], out, &w, &d, &key, &keycap);
    free(key);
    tw_free(&w);
    free(byt);
    free(first);
    return d.failed ? LE_ERR_STRICT : 0;
}
