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
    uint8_t flags;
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

size_t le_row_pack(const le_spanbuf *b, size_t i, char *dst)
{
    wire_row w = {b->start_us[i], b->duration_us[i], b->pos[i],  b->status_code[i], b->file[i], {0},
                  b->error[i],    b->label[i],       b->flags[i]};
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

size_t le_row_unpack(const char *src, le_spanbuf *out)
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
    s.flags = w.flags;
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
    s.flags = in->flags[i];
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
        if (dest[i] != rank) count[dest[i]] += le_row_pack(in, i, NULL);
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
            cursor[dest[i]] += le_row_pack(in, i, send + cursor[dest[i]]);
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
    for (uint64_t off = 0; off < rtotal;) off += le_row_unpack(recv + off, out);
    free(recv);
    return 0;
}

/* ------------------------------------------------------------- assemble */

/* Rows of one trace, sorted so that equal span ids are adjacent and the
 * order does not depend on arrival order: (span id, shared, has a start,
 * content, file, pos). Zipkin fragments of one span (same id, same
 * sharedness) are then adjacent, the earliest one with a start first. */
static const le_spanbuf *g_rows; /* qsort has no context argument in C11 */
static const uint8_t *g_shared;  /* per row: Zipkin's server half, after the backfill below */

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
    if (g_shared[x] != g_shared[y]) return g_shared[x] < g_shared[y] ? -1 : 1;
    int nx = (b->flags[x] & LE_SPAN_NO_START) != 0, ny = (b->flags[y] & LE_SPAN_NO_START) != 0;
    if (nx != ny) return nx - ny;
    c = content_cmp(b, x, y);
    if (c) return c;
    if (b->file[x] != b->file[y]) return b->file[x] < b->file[y] ? -1 : 1;
    return b->pos[x] < b->pos[y] ? -1 : b->pos[x] > b->pos[y];
}

/* One span of the trace after duplicates are dropped and fragments merged:
 * its first row, and what the other fragments filled in. */
typedef struct uspan {
    uint32_t row;                /* the first row (examples, trace) */
    uint32_t parent_row;         /* the row whose parent id is the span's */
    uint32_t service, operation; /* in the rows' names table */
    int64_t start, duration;
    int32_t status;
    int8_t error;
    uint8_t shared, no_duration;
} uspan;

typedef struct trace_work {
    uspan *u; /* unique spans, sorted by (span id, shared) */
    int32_t *parent, *cls, *order, *new_parent;
    int64_t *start, *o_start, *o_dur, *child_end; /* by span, then by position in order */
    size_t cap;
    le_tt_work tt;
} trace_work;

static void tw_reserve(trace_work *w, size_t n)
{
    if (n + 1 <= w->cap) return;
    w->cap = (n + 1) * 2; /* + 1: a virtual root */
    w->u = le_realloc(w->u, w->cap * sizeof *w->u);
    w->parent = le_realloc(w->parent, w->cap * sizeof *w->parent);
    w->cls = le_realloc(w->cls, w->cap * sizeof *w->cls);
    w->order = le_realloc(w->order, w->cap * sizeof *w->order);
    w->new_parent = le_realloc(w->new_parent, w->cap * sizeof *w->new_parent);
    w->start = le_realloc(w->start, w->cap * sizeof *w->start);
    w->o_start = le_realloc(w->o_start, w->cap * sizeof *w->o_start);
    w->o_dur = le_realloc(w->o_dur, w->cap * sizeof *w->o_dur);
    w->child_end = le_realloc(w->child_end, w->cap * sizeof *w->child_end);
}

static void tw_free(trace_work *w)
{
    free(w->u);
    free(w->parent);
    free(w->cls);
    free(w->order);
    free(w->new_parent);
    free(w->start);
    free(w->o_start);
    free(w->o_dur);
    free(w->child_end);
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

static int same_id(const le_spanbuf *b, uint32_t x, uint32_t y)
{
    return !strcmp(le_spanbuf_span_id(b, x), le_spanbuf_span_id(b, y));
}

static int is_fragment(const le_spanbuf *b, uint32_t r) { return (b->flags[r] & LE_SPAN_FRAGMENT) != 0; }

/* Zipkin and B3 first gave client and server one span id, and not every
 * instrumentation marks the server half "shared": a SERVER fragment next to
 * a CLIENT one of the same id is the server half (Zipkin's Trace.merge does
 * the same). rows[0..n) is one span id's run; re-sorted when changed. */
static void backfill_shared(const le_spanbuf *b, uint32_t *rows, size_t n, uint8_t *shared)
{
    int client = 0, server = 0;
    for (size_t i = 0; i < n; i++) {
        uint32_t r = rows[i];
        if (!is_fragment(b, r) || shared[r]) continue;
        client |= (b->flags[r] & LE_SPAN_CLIENT) != 0;
        server |= (b->flags[r] & LE_SPAN_SERVER) != 0;
    }
    if (!client || !server) return;
    for (size_t i = 0; i < n; i++)
        if (is_fragment(b, rows[i]) && (b->flags[rows[i]] & LE_SPAN_SERVER)) shared[rows[i]] = 1;
    qsort(rows, n, sizeof *rows, row_cmp);
}

static uspan span_of_row(const le_spanbuf *b, uint32_t r, const uint8_t *shared)
{
    return (uspan){r,
                   r,
                   b->service[r],
                   b->operation[r],
                   b->start_us[r],
                   b->duration_us[r],
                   b->status_code[r],
                   b->error[r],
                   shared[r],
                   (b->flags[r] & LE_SPAN_NO_DURATION) != 0};
}

/* Fold fragment r into s, which came from fragments sorted before it:
 * the first given value of each field wins (the earliest start sorts
 * first), errors add up. */
static void fold_fragment(const le_spanbuf *b, uint32_t r, uspan *s)
{
    if (s->no_duration && !(b->flags[r] & LE_SPAN_NO_DURATION)) {
        s->duration = b->duration_us[r];
        s->no_duration = 0;
    }
    if (!le_spanbuf_parent_id(b, s->parent_row) && le_spanbuf_parent_id(b, r)) s->parent_row = r;
    if ((b->flags[s->row] & LE_SPAN_NO_SERVICE) && !(b->flags[r] & LE_SPAN_NO_SERVICE) && s->service == b->service[s->row])
        s->service = b->service[r];
    if ((b->flags[s->row] & LE_SPAN_NO_NAME) && !(b->flags[r] & LE_SPAN_NO_NAME) && s->operation == b->operation[s->row])
        s->operation = b->operation[r];
    if (!s->status) s->status = b->status_code[r];
    s->error |= b->error[r];
}

/* One Zipkin span from its fragments rows[0..n). Returns 1 when kept in *s;
 * 0 when no fragment has a start (every row counted as missing_fields).
 * Two rows alike in every field read are still two fragments (late
 * annotations differ in what ingest does not read): merged, as Zipkin does. */
static int merge_fragments(const le_spanbuf *b, const uint32_t *rows, size_t n, const uint8_t *shared, uspan *s, drop_ctx *d)
{
    if (b->flags[rows[0]] & LE_SPAN_NO_START) { /* sorted: none has one */
        for (size_t i = 0; i < n; i++) drop_row(d, LE_DROP_MISSING_FIELD, b, rows[i]);
        return 0;
    }
    *s = span_of_row(b, rows[0], shared);
    for (size_t i = 1; i < n; i++) fold_fragment(b, rows[i], s);
    d->st->merged_fragments += n - 1;
    return 1;
}

/* Length of the run at rows[0..n) that makes one span: the rows of one
 * span id (with one sharedness, for Zipkin fragments). */
static size_t span_run(const le_spanbuf *b, const uint32_t *rows, size_t n, const uint8_t *shared)
{
    size_t j = 1;
    while (j < n && same_id(b, rows[0], rows[j]) && shared[rows[j]] == shared[rows[0]] &&
           is_fragment(b, rows[j]) == is_fragment(b, rows[0]))
        j++;
    return j;
}

/* Drop exact duplicates and conflicting rows, merge Zipkin fragments;
 * returns the number of spans written to w->u (sorted by id, shared). */
static size_t unique_spans(const le_spanbuf *b, uint32_t *rows, size_t n, uint8_t *shared, trace_work *w, drop_ctx *d)
{
    g_rows = b;
    g_shared = shared;
    qsort(rows, n, sizeof *rows, row_cmp);
    for (size_t i = 0, j; i < n; i = j) {
        for (j = i + 1; j < n && same_id(b, rows[i], rows[j]);) j++;
        if (j - i > 1) backfill_shared(b, rows + i, j - i, shared);
    }
    size_t k = 0;
    for (size_t i = 0, m; i < n; i += m) {
        m = span_run(b, rows + i, n - i, shared);
        if (is_fragment(b, rows[i])) {
            k += (size_t)merge_fragments(b, rows + i, m, shared, &w->u[k], d);
            continue;
        }
        w->u[k++] = span_of_row(b, rows[i], shared);
        for (size_t j = i + 1; j < i + m; j++)
            drop_row(d, content_cmp(b, rows[i], rows[j]) ? LE_DROP_CONFLICT : LE_DROP_DUPLICATE, b, rows[j]);
    }
    return k;
}

/* First index in u[0..n) (sorted by id) of the span with id[0..len), or
 * LE_TT_MISSING when there is none. */
static int32_t find_span(const le_spanbuf *b, const trace_work *w, size_t n, const char *id, size_t len)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *s = le_spanbuf_span_id(b, w->u[mid].row);
        if (strncmp(s, id, len) < 0) /* as strcmp(s, id[0..len)): a longer s with that prefix is greater */
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo < n) {
        const char *s = le_spanbuf_span_id(b, w->u[lo].row);
        if (!strncmp(s, id, len) && !s[len]) return (int32_t)lo;
    }
    return LE_TT_MISSING;
}

/* The parent of a span whose parent id is pid, as Zipkin's tree builder
 * picks it: the server half of pid when it runs in the span's own service
 * (a local span under the server), else the client half, else whichever
 * half was reported. */
static int32_t parent_by_id(const le_spanbuf *b, const trace_work *w, size_t n, size_t i, const char *pid)
{
    int32_t lo = find_span(b, w, n, pid, strlen(pid));
    if (lo < 0) return LE_TT_MISSING;
    int32_t client = w->u[lo].shared ? -1 : lo, server = w->u[lo].shared ? lo : -1;
    if (server < 0 && (size_t)lo + 1 < n && w->u[lo + 1].shared && same_id(b, w->u[lo].row, w->u[lo + 1].row))
        server = lo + 1;
    if (server >= 0 && (client < 0 || w->u[server].service == w->u[i].service)) return server;
    return client;
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
        int32_t at = find_span(b, w, n, pid, --len);
        if (at != LE_TT_MISSING) return at;
    }
    return LE_TT_MISSING;
}

/* Parent index of every unique span. A shared (server) half is the child
 * of its client half; reported alone, it stands for the span id. With path
 * ids, a span whose parent is missing hangs under the nearest ancestor that
 * is in the trace (*via_ancestor counts them); a parent still missing is
 * le_tt_build's to place (under the root with --roots virtual). */
static void resolve_parents(const le_spanbuf *b, size_t n, trace_work *w, uint64_t *via_ancestor)
{
    for (size_t i = 0; i < n; i++) {
        w->start[i] = w->u[i].start;
        if (w->u[i].shared && i > 0 && !w->u[i - 1].shared && same_id(b, w->u[i - 1].row, w->u[i].row)) {
            w->parent[i] = (int32_t)i - 1;
            continue;
        }
        const char *pid = le_spanbuf_parent_id(b, w->u[i].parent_row);
        if (pid && is_fragment(b, w->u[i].row) && !strcmp(pid, le_spanbuf_span_id(b, w->u[i].row)))
            pid = NULL; /* Zipkin: a span naming itself as parent has none (zipkin-lens' span cleaner) */
        w->parent[i] = pid ? parent_by_id(b, w, n, i, pid) : LE_TT_ROOT;
        if (w->parent[i] == LE_TT_MISSING && b->path_sep) {
            w->parent[i] = find_ancestor(b, n, w, pid);
            *via_ancestor += w->parent[i] != LE_TT_MISSING;
        }
    }
}

/* Start and duration of every kept node, in order. A span without a
 * duration (Zipkin's incomplete span) lasts until its last child ends, or
 * 0 without children (counted); the virtual root spans its children. */
static void node_times(int32_t k, int virtual_root, trace_work *w, le_ingest_stats *st)
{
    for (int32_t j = 0; j < k; j++) {
        w->child_end[j] = INT64_MIN;
        if (j == 0 && virtual_root) continue;
        const uspan *s = &w->u[w->order[j]];
        w->o_start[j] = s->start;
        w->o_dur[j] = s->duration;
        if (virtual_root && w->new_parent[j] == 0 && (j == 1 || s->start < w->o_start[0])) w->o_start[0] = s->start;
    }
    for (int32_t j = k - 1; j >= 0; j--) {
        int is_virtual = j == 0 && virtual_root;
        if (is_virtual || w->u[w->order[j]].no_duration) {
            int64_t end = w->child_end[j];
            w->o_dur[j] = end > w->o_start[j] ? end - w->o_start[j] : 0;
            if (!is_virtual) ++*(end == INT64_MIN ? &st->unknown_durations : &st->durations_from_children);
        }
        int32_t p = w->new_parent[j];
        if (p >= 0 && w->o_start[j] + w->o_dur[j] > w->child_end[p]) w->child_end[p] = w->o_start[j] + w->o_dur[j];
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

static uint32_t intern_operation(le_asm *a, const char *svc, size_t ls, const char *op, size_t lo, char **key,
                                 size_t *keycap)
{
    LE_RESERVE(*key, *keycap, ls + lo + 1);
    memcpy(*key, svc, ls);
    (*key)[ls] = 0; /* service and operation joined by NUL: no name can fake the split */
    memcpy(*key + ls + 1, op, lo);
    return le_strtab_intern(&a->operations, *key, ls + 1 + lo);
}

/* Service and operation of the spans ingest makes up (docs/ingest.md). */
#define VIRTUAL_ROOT_NAME "(virtual root)"

static void append_span(le_asm *a, const le_spanbuf *b, const uspan *u, char **key, size_t *keycap)
{
    const char *svc = VIRTUAL_ROOT_NAME, *op = VIRTUAL_ROOT_NAME;
    size_t ls = strlen(svc), lo = strlen(op);
    if (u) {
        svc = le_strtab_str(&b->names, u->service), ls = le_strtab_len(&b->names, u->service);
        op = le_strtab_str(&b->names, u->operation), lo = le_strtab_len(&b->names, u->operation);
    }
    size_t s = a->m++;
    a->service[s] = (int32_t)le_strtab_intern(&a->services, svc, ls);
    a->operation[s] = (int32_t)intern_operation(a, svc, ls, op, lo, key, keycap);
    a->status[s] = u ? u->status : 0;
    a->error[s] = u ? u->error : 0;
}

static void append_trace(le_asm *a, const le_spanbuf *b, uint32_t trace, int8_t label, const trace_work *w, int32_t k,
                         int virtual_root, char **key, size_t *keycap)
{
    asm_reserve(a, a->n + 1, a->m + (size_t)k);
    size_t t = a->n++;
    if (t == 0) a->span_off[0] = 0;
    const char *id = le_strtab_str(&b->traces, trace);
    a->id[t] = le_strtab_intern(&a->ids, id, le_strtab_len(&b->traces, trace));
    a->hash[t] = b->traces.hash[trace];
    a->label[t] = label;
    a->start[t] = w->o_start[0];
    for (int32_t j = 0; j < k; j++) {
        size_t s = a->m;
        append_span(a, b, j == 0 && virtual_root ? NULL : &w->u[w->order[j]], key, keycap);
        a->parent[s] = w->new_parent[j];
        a->start_us[s] = w->o_start[j];
        a->duration_us[s] = w->o_dur[j];
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

typedef struct asm_ctx {
    const le_spanbuf *b;
    uint8_t *shared; /* per row */
    int tree_mode;   /* LE_TT_WHOLE or LE_TT_FIRST_ROOT */
    char *key;       /* scratch for operation keys */
    size_t keycap;
} asm_ctx;

static void assemble_trace(asm_ctx *c, uint32_t trace, uint32_t *rows, size_t n, le_asm *a, trace_work *w, drop_ctx *d)
{
    const le_spanbuf *b = c->b;
    tw_reserve(w, n);
    int8_t label = trace_label(b, rows, n, d->st);
    size_t u = unique_spans(b, rows, n, c->shared, w, d);
    resolve_parents(b, u, w, &a->parents_via_ancestor);
    le_tt_info info;
    int32_t k = le_tt_build((int32_t)u, w->parent, w->start, c->tree_mode, &w->tt, w->cls, w->order, w->new_parent, &info);
    for (size_t i = 0; i < u; i++)
        if (w->cls[i] != LE_TT_KEPT) drop_row(d, class_drop[w->cls[i]], b, w->u[i].row);
    a->promoted_roots += (uint64_t)info.promoted;
    d->st->virtual_roots += (uint64_t)info.virtual_root;
    d->st->orphans_attached += (uint64_t)info.attached;
    if (k == 0) {
        d->st->traces_dropped++;
        return;
    }
    node_times(k, info.virtual_root, w, d->st);
    append_trace(a, b, trace, label, w, k, info.virtual_root, &c->key, &c->keycap);
}

/* The traces of a bucket replace the last bucket's; the name tables stay,
 * so local name ids mean the same in every bucket (ingest's spill). */
void le_asm_clear_traces(le_asm *a)
{
    a->n = 0, a->m = 0;
    le_strtab_free(&a->ids);
    le_strtab_init(&a->ids);
}

int le_assemble(const le_spanbuf *rows, le_asm *out, le_ingest_stats *st, const le_assemble_opts *o)
{
    le_asm_init(out);
    return le_assemble_more(rows, out, st, o);
}

int le_assemble_more(const le_spanbuf *rows, le_asm *out, le_ingest_stats *st, const le_assemble_opts *o)
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

    trace_work w = {0};
    drop_ctx d = {st, o->strict, o->files, o->kind, 0};
    asm_ctx c = {rows, le_malloc(rows->n + 1), o->tree_mode, NULL, 0};
    for (size_t i = 0; i < rows->n; i++) c.shared[i] = (rows->flags[i] & LE_SPAN_SHARED) != 0;
    for (size_t t = 0; t < nt && !d.failed; t++)
        if (first[t + 1] > first[t]) /* no rows: an id only a rolled-back file had (le_parse_roll_back) */
            assemble_trace(&c, (uint32_t)t, byt + first[t], first[t + 1] - first[t], out, &w, &d);
    free(c.key);
    free(c.shared);
    tw_free(&w);
    free(byt);
    free(first);
    return d.failed ? LE_ERR_STRICT : 0;
}
