/* label_tui: a terminal labeler for an SSH session on a login node.
 *
 * The terminal plumbing is tui/tui.c: the screen is four regions redrawn
 * whole after each key (a list, a trace line, its span tree, the key help).
 * Labels are saved after every key that changes one (io/labelset.h,
 * le_labelset_save: temp file + rename), so a dropped connection loses
 * nothing and a restart resumes from the file. The keys are the labeling
 * page's (docs/labeling-ui.md, "Keys").
 *
 * The screen fits the terminal: at 80x24 the span rows keep the operation,
 * the duration and the distance from the reference, names are shortened
 * with a mark, and the reference mean and count come in as the width
 * allows; a wide terminal gets a timeline bar per span instead of blanks.
 *
 * Trace data is untrusted here too: names pass through le_screen_text, which
 * replaces control characters, so an operation name cannot send escape
 * sequences to the terminal. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "label_tui.h"
#include "le_base.h"
#include "tui.h"

/* The list filters, cycled by f in the page's order. */
enum { F_ALL, F_UNLABELED, F_ERRORS, F_SLOW, N_FILTERS };
static const char *const filter_name[N_FILTERS] = {"all", "unlabeled", "errors", "slow"};
enum { HAS_ERROR = 1, HAS_SLOW = 2 };

typedef struct tui {
    le_labelset *set;
    const char *reps_path;
    int64_t cur, span_top;
    int8_t *unsure; /* [k] skipped with s this session: not a label, so not in the file */
    int8_t *flags;  /* [k] HAS_ERROR, HAS_SLOW */
    int filter, help;
    int64_t *undo_rep; /* undo stack: representative, its label and unsure mark before */
    int8_t *undo_prev, *undo_unsure;
    size_t n_undo, cap_undo, cap_undo2, cap_undo3;
    char status[256]; /* last action, shown in the header */
} tui;

/* ---- what a span and a trace show ---- */

/* The same measure as the page: standard deviations from the call path's
 * mean when the corpus has spread, else the ratio to the mean. Returns 2
 * when far and slower, 1 when far and faster, 0 otherwise. */
static int deviation(const le_reps *r, int64_t i, char *buf, size_t cap)
{
    double m = r->path_mean_us ? r->path_mean_us[i] : NAN, sd = r->path_std_us ? r->path_std_us[i] : 0;
    int64_t n = r->path_count ? r->path_count[i] : 0, d = r->traces.duration_us[i];
    if (n <= 0 || !isfinite(m)) return snprintf(buf, cap, "no ref"), 0;
    if (sd > 0 && n > 1) {
        double z = ((double)d - m) / sd;
        snprintf(buf, cap, "%+.1f%s", z, le_tui_sigma());
        return fabs(z) < 3 ? 0 : z > 0 ? 2 : 1;
    }
    double ratio = m > 0 ? (double)d / m : 1;
    snprintf(buf, cap, "x%.2f", ratio);
    return ratio >= 2 ? 2 : ratio <= 0.5 ? 1 : 0;
}

static int span_failed(const le_corpus_block *b, int64_t i) { return b->error[i] || b->status_code[i] >= 400; }

/* What the errors and slow filters look for: a failed span; a span at
 * least 3 sd (or twice the mean) slower than its reference. */
static void mark_traces(tui *t)
{
    const le_reps *r = t->set->r;
    char dev[32];
    for (int64_t k = 0; k < r->k; k++)
        for (int64_t i = r->traces.span_offset[k]; i < r->traces.span_offset[k + 1]; i++) {
            if (span_failed(&r->traces, i)) t->flags[k] |= HAS_ERROR;
            if (deviation(r, i, dev, sizeof dev) == 2) t->flags[k] |= HAS_SLOW;
        }
}

static const char *state_name(const tui *t, int64_t k)
{
    int8_t l = t->set->label[k];
    return l == LE_LABEL_NORMAL ? "normal" : l == LE_LABEL_ABNORMAL ? "ABNORMAL" : t->unsure[k] ? "unsure" : "-";
}
static const char *state_colour(int8_t l)
{
    return l == LE_LABEL_NORMAL ? "\x1b[32m" : l == LE_LABEL_ABNORMAL ? "\x1b[31m" : "";
}

/* Rounds >= 2: the label the earlier rounds' labels propagate to
 * representative k (reps.h5 /reps/suggested_label), or -1. Shown only. */
static int suggested(const tui *t, int64_t k)
{
    const le_reps *r = t->set->r;
    return r->suggested_label && r->suggested_label[k] >= 0 ? r->suggested_label[k] : -1;
}

static int is_unlabeled(const tui *t, int64_t k) { return t->set->label[k] == LE_LABEL_UNKNOWN && !t->unsure[k]; }

static int in_filter(const tui *t, int64_t k)
{
    switch (t->filter) {
    case F_UNLABELED: return is_unlabeled(t, k);
    case F_ERRORS: return (t->flags[k] & HAS_ERROR) != 0;
    case F_SLOW: return (t->flags[k] & HAS_SLOW) != 0;
    default: return 1;
    }
}

static int64_t filter_count(const tui *t)
{
    int64_t n = 0;
    for (int64_t k = 0; k < t->set->r->k; k++) n += in_filter(t, k);
    return n;
}

/* ---- drawing ---- */

static const char keys_help[] =
    " n normal  a abnormal  s unsure  u undo  j/k next/prev  f filter  ? help  q quit  "
    "Enter next unlabeled  PgDn/PgUp spans";

static void draw_header(le_screen *s, const tui *t)
{
    const le_labelset *set = t->set;
    int64_t n = le_labelset_count(set, LE_LABEL_NORMAL), a = le_labelset_count(set, LE_LABEL_ABNORMAL), u = 0;
    for (int64_t k = 0; k < set->r->k; k++) u += t->unsure[k] && set->label[k] == LE_LABEL_UNKNOWN;
    char line[1024];
    snprintf(line, sizeof line, " %lld / %lld labelled (%lld abnormal, %lld unsure)  filter: %s  %s%s-> %s",
             (long long)(n + a), (long long)set->r->k, (long long)a, (long long)u, filter_name[t->filter], t->status,
             t->status[0] ? "  " : "", set->path);
    le_screen_puts(s, "\x1b[7m");
    le_screen_text(s, line, s->cols, 1);
    le_screen_puts(s, "\x1b[0m\r\n");
}

static void list_row(const tui *t, int64_t k, int cols, char *line, size_t cap)
{
    const le_reps *r = t->set->r;
    char id[LE_TRACE_ID_MAX + 1], dur[32], head[200], sug[16] = "";
    le_reps_trace_id(r, t->set->meta, k, id, sizeof id);
    int64_t lo = r->traces.span_offset[k], spans = r->traces.span_offset[k + 1] - lo;
    le_fmt_us((double)r->traces.duration_us[lo], dur, sizeof dur);
    /* the suggestion in 5 columns before the id (which gives way first) */
    if (r->suggested_label) snprintf(sug, sizeof sug, "%-5s", suggested(t, k) < 0 ? "" : suggested(t, k) ? "~abn" : "~nrm");
    int n = snprintf(head, sizeof head, "%s%4lld  %-8s %5lld traces %4lld spans %9s %-3s %-4s %s ", k == t->cur ? ">" : " ",
                     (long long)k + 1, state_name(t, k), (long long)(r->cluster_size ? r->cluster_size[k] : 0),
                     (long long)spans, dur, t->flags[k] & HAS_ERROR ? "err" : "", t->flags[k] & HAS_SLOW ? "slow" : "", sug);
    char short_id[LE_TRACE_ID_MAX + 8];
    le_abbrev(short_id, sizeof short_id, id, cols - n, 0);
    snprintf(line, cap, "%s%s", head, short_id);
}

/* The list shows the traces of the filter around the current one. */
static void draw_list(le_screen *s, const tui *t, int lines)
{
    const le_reps *r = t->set->r;
    int64_t *shown = le_malloc((size_t)r->k * sizeof *shown), n = 0, at = 0;
    for (int64_t k = 0; k < r->k; k++)
        if (in_filter(t, k) || k == t->cur) {
            if (k == t->cur) at = n;
            shown[n++] = k;
        }
    int64_t top = at - lines / 2;
    if (top > n - lines) top = n - lines;
    if (top < 0) top = 0;
    for (int i = 0; i < lines; i++) {
        int64_t j = top + i;
        if (j < n) {
            char line[1400];
            list_row(t, shown[j], s->cols, line, sizeof line);
            le_screen_puts(s, shown[j] == t->cur ? "\x1b[1m" : "");
            le_screen_puts(s, state_colour(t->set->label[shown[j]]));
            le_screen_text(s, line, s->cols, 0);
            le_screen_puts(s, "\x1b[0m");
        } else if (i == 0) {
            le_screen_text(s, " no trace in this filter (f: next filter)", s->cols, 0);
        }
        le_screen_puts(s, "\x1b[K\r\n");
    }
    free(shown);
}

/* The columns of the span rows for this width: the name, duration, status
 * and distance always; the reference mean, its count, its spread and a
 * timeline bar as the width allows, in that order, while the name keeps
 * NAME_MIN columns (or all it needs). */
enum { NAME_MIN = 40, BAR_MIN = 16 };
typedef struct span_cols {
    int name, ref, count, spread, bar, indent;
} span_cols;

static int span_name_cols(const tui *t, int64_t i, int depth, int indent)
{
    const le_corpus_block *b = &t->set->r->traces;
    const le_corpus_meta *m = t->set->meta;
    int32_t sv = b->service[i], op = b->operation[i];
    return depth * indent + le_text_cols(sv >= 0 && sv < m->n_services ? m->services[sv] : "?") + 1 +
           le_text_cols(op >= 0 && op < m->n_operations ? m->operations[op] : "?");
}

static span_cols plan_columns(int cols, int need)
{
    span_cols c = {.indent = cols >= 120 ? 2 : 1};
    int avail = cols - (1 + 9 + 1 + 8 + 1 + 4); /* duration, distance, status */
    int keep = need < NAME_MIN ? need : NAME_MIN;
    if (avail - 13 >= keep) c.ref = 1, avail -= 13;
    if (c.ref && avail - 9 >= keep) c.count = 1, avail -= 9;
    if (c.count && avail - 12 >= keep) c.spread = 1, avail -= 12;
    if (c.spread && avail - need - 1 >= BAR_MIN) c.bar = avail - need - 1, avail = need;
    c.name = avail < need ? avail : need;
    if (c.name < 8) c.name = 8;
    return c;
}

/* An operation in width columns. RPC names ("pkg.CartService/GetCart")
 * lose the package first, then the middle, so the service and the method
 * stay readable ("CartServ…/GetCart"); others keep their tail. Every cut
 * shows the mark. */
static void fit_operation(char *out, size_t cap, const char *op, int width)
{
    const char *slash = strrchr(op, '/'), *p = op;
    if (le_text_cols(op) <= width || !slash) {
        le_abbrev(out, cap, op, width, 1);
        return;
    }
    for (const char *q = op; q < slash; q++)
        if (*q == '.') p = q + 1;
    const char *mark = le_tui_cut_mark();
    int method = le_text_cols(slash), head = width - method - 1;
    if (p != op && le_text_cols(p) + 1 <= width)
        snprintf(out, cap, "%s%s", mark, p);
    else if (head >= 4) {
        char h[600];
        snprintf(h, sizeof h, "%.*s", (int)(slash - p), p);
        le_abbrev(out, cap, h, head, 0); /* ends with the mark */
        size_t n = strlen(out);
        snprintf(out + n, cap - n, "%s", slash);
    } else
        le_abbrev(out, cap, op, width, 1);
}

/* "service operation" in width columns: when it does not fit, the service
 * keeps its head and at most a third, the operation what fit_operation
 * keeps, each shortened with the cut mark. */
static void fit_name(char *out, size_t cap, const char *svc, const char *op, int width)
{
    int so = le_text_cols(svc), oo = le_text_cols(op);
    if (so + 1 + oo <= width || width < 8) {
        char both[1100];
        snprintf(both, sizeof both, "%s %s", svc, op);
        le_abbrev(out, cap, both, width, 0);
        return;
    }
    int sw = so < width / 3 ? so : width / 3 > 4 ? width / 3 : 4, ow = width - sw - 1;
    if (oo < ow) ow = oo, sw = width - 1 - ow;
    char a[600], b[600];
    le_abbrev(a, sizeof a, svc, sw, 0);
    fit_operation(b, sizeof b, op, ow);
    snprintf(out, cap, "%s %s", a, b);
}

/* A text right-aligned in width columns (the distance holds a UTF-8 σ). */
static void put_right(le_screen *s, const char *text, int width)
{
    for (int k = le_text_cols(text); k < width; k++) le_screen_put(s, " ", 1);
    le_screen_text(s, text, width, 0);
}

/* The span's place in the trace as a bar of width columns. */
static void put_bar(le_screen *s, const le_corpus_block *b, int64_t lo, int64_t hi, int64_t i, int width)
{
    int64_t t0 = b->start_us[lo], t1 = b->start_us[lo] + b->duration_us[lo];
    for (int64_t j = lo; j < hi; j++) {
        if (b->start_us[j] < t0) t0 = b->start_us[j];
        if (b->start_us[j] + b->duration_us[j] > t1) t1 = b->start_us[j] + b->duration_us[j];
    }
    double total = t1 > t0 ? (double)(t1 - t0) : 1;
    int a = (int)floor((double)(b->start_us[i] - t0) / total * width);
    int e = (int)ceil((double)(b->start_us[i] + b->duration_us[i] - t0) / total * width);
    if (a >= width) a = width - 1;
    if (e <= a) e = a + 1;
    if (e > width) e = width;
    const char *full = le_tui_utf8() ? "\xE2\x96\x88" : "#";
    le_screen_puts(s, " ");
    for (int k = 0; k < width; k++) le_screen_puts(s, k >= a && k < e ? full : " ");
}

/* One span: tree indent and name on the left, numbers in fixed columns. */
static void draw_span(le_screen *s, const tui *t, const span_cols *c, int64_t lo, int64_t hi, int64_t i, int depth)
{
    const le_reps *r = t->set->r;
    const le_corpus_meta *m = t->set->meta;
    const le_corpus_block *b = &r->traces;
    int32_t sv = b->service[i], op = b->operation[i];
    int indent = depth * c->indent < c->name / 3 ? depth * c->indent : c->name / 3;
    char name[1200], dur[32], mean[32], sd[32], cell[80], dev[32], status[16] = "";
    fit_name(name + indent, sizeof name - (size_t)indent, sv >= 0 && sv < m->n_services ? m->services[sv] : "?",
             op >= 0 && op < m->n_operations ? m->operations[op] : "?", c->name - indent);
    memset(name, ' ', (size_t)indent);
    le_fmt_us((double)b->duration_us[i], dur, sizeof dur);
    int far = deviation(r, i, dev, sizeof dev);
    /* An HTTP status says what failed; a small code (gRPC's) means little
     * on its own, so those say ERR: a failure reads without colour too. */
    if (b->status_code[i] >= 400 || (b->error[i] && b->status_code[i] >= 100))
        snprintf(status, sizeof status, "%d", b->status_code[i]);
    else if (b->error[i])
        snprintf(status, sizeof status, "ERR");
    int bad = span_failed(b, i);
    le_screen_puts(s, bad ? "\x1b[31m" : "");
    le_screen_text(s, name, c->name, 1);
    snprintf(cell, sizeof cell, " %9s ", dur);
    le_screen_puts(s, cell);
    le_screen_puts(s, far ? "\x1b[1m" : "");
    put_right(s, dev, 8);
    le_screen_puts(s, bad ? "\x1b[22;31m" : "\x1b[22m");
    snprintf(cell, sizeof cell, " %-4s", status);
    le_screen_puts(s, cell);
    le_screen_puts(s, "\x1b[0m\x1b[2m");
    le_fmt_us(r->path_mean_us ? r->path_mean_us[i] : NAN, mean, sizeof mean);
    le_fmt_us(r->path_std_us ? r->path_std_us[i] : NAN, sd, sizeof sd);
    if (c->ref) snprintf(cell, sizeof cell, " ref %8s", mean), le_screen_puts(s, cell);
    if (c->spread)
        snprintf(cell, sizeof cell, " %s %8s", le_tui_utf8() ? "\xC2\xB1" : "+-", sd), le_screen_text(s, cell, 12, 1);
    if (c->count)
        snprintf(cell, sizeof cell, " n=%-6lld", (long long)(r->path_count ? r->path_count[i] : 0)), le_screen_puts(s, cell);
    le_screen_puts(s, "\x1b[0m");
    if (c->bar) {
        le_screen_puts(s, bad ? "\x1b[31m" : far == 2 ? "\x1b[33m" : "\x1b[36m");
        put_bar(s, b, lo, hi, i, c->bar);
        le_screen_puts(s, "\x1b[0m");
    }
    le_screen_puts(s, "\x1b[K\r\n");
}

static void draw_trace(le_screen *s, tui *t, int lines)
{
    const le_reps *r = t->set->r;
    int64_t lo = r->traces.span_offset[t->cur], hi = r->traces.span_offset[t->cur + 1];
    char id[LE_TRACE_ID_MAX + 1], line[1400], dur[32];
    le_reps_trace_id(r, t->set->meta, t->cur, id, sizeof id);
    le_fmt_us((double)r->traces.duration_us[lo], dur, sizeof dur);
    lines--;
    if (t->span_top > hi - lo - lines) t->span_top = hi - lo - lines;
    if (t->span_top < 0) t->span_top = 0;
    /* Depths from the parent indices (parents come first in preorder). */
    int *depth = le_malloc((size_t)(hi - lo + 1) * sizeof *depth), need = 8;
    for (int64_t i = lo; i < hi; i++) {
        int64_t k = i - lo, p = r->traces.parent[i];
        depth[k] = p >= 0 && p < k ? depth[p] + 1 : 0;
    }
    span_cols c = plan_columns(s->cols, need);
    for (int64_t i = lo; i < hi; i++) {
        int w = span_name_cols(t, i, depth[i - lo], c.indent);
        if (w > need) need = w;
    }
    c = plan_columns(s->cols, need);
    /* the suggestion right after the state: short at 80 columns */
    char sug[80] = "";
    int sl = suggested(t, t->cur);
    if (sl >= 0) {
        float mg = r->suggested_margin ? r->suggested_margin[t->cur] : NAN;
        char mtxt[32];
        if (isinf(mg) || isnan(mg)) /* inf: every label so far is one kind; nan: no margin stored */
            snprintf(mtxt, sizeof mtxt, "%s", isinf(mg) ? "inf" : "?");
        else
            snprintf(mtxt, sizeof mtxt, mg > 0 && mg < 0.01 ? "%.2g" : "%.2f", (double)mg);
        snprintf(sug, sizeof sug, s->cols < 100 ? " sugg %s m=%s," : " suggested %s, margin %s,", sl ? "abnormal" : "normal",
                 mtxt);
    }
    snprintf(line, sizeof line, "-- #%lld [%s]%s %s, %lld spans, cluster %lld, spans %lld-%lld of %lld%s  %s",
             (long long)t->cur + 1, state_name(t, t->cur), sug, dur, (long long)(hi - lo),
             (long long)(r->cluster_size ? r->cluster_size[t->cur] : 0), (long long)(hi - lo ? t->span_top + 1 : 0),
             (long long)(t->span_top + lines < hi - lo ? t->span_top + lines : hi - lo), (long long)(hi - lo),
             hi - lo > lines ? " (PgDn/PgUp)" : "", id);
    le_screen_puts(s, "\x1b[1m");
    le_screen_text(s, line, s->cols, 0);
    le_screen_puts(s, "\x1b[0m\x1b[K\r\n");
    for (int64_t k = t->span_top; k < hi - lo && k < t->span_top + lines; k++) draw_span(s, t, &c, lo, hi, lo + k, depth[k]);
    free(depth);
    for (int64_t k = hi - lo - t->span_top; k < lines; k++) le_screen_puts(s, "\x1b[K\r\n");
}

static void draw_help(le_screen *s)
{
    char sig[80];
    snprintf(sig, sizeof sig, " +3.2%s: 3.2 standard deviations slower than the reference (x2.10: ratio)", le_tui_sigma());
    const char *const text[] = {
        " keys (the labeling page's too)",
        "",
        "  n          label normal, then the next unlabeled trace",
        "  a          label abnormal, then the next unlabeled trace",
        "  s          skip as unsure (not a label, not in the file), then the next",
        "  j / Down   next trace in the list",
        "  k / Up     previous trace",
        "  Enter      the next unlabeled trace, without labeling",
        "  u          undo the last label or skip and go back to it",
        "  f          filter the list: all, unlabeled, errors, slow",
        "  PgDn/PgUp  scroll the spans (also space)",
        "  ?          this help (any key closes it)",
        "  q          quit: every label is already in the file",
        "",
        " list: state, traces of the corpus it stands for (its cluster), spans,",
        " duration, err (a span failed), slow (a span 3 sd or twice its mean slower),",
        " ~abn/~nrm (round 2 on): what the earlier labels propagate to it, with its",
        " margin in the trace line; a hint only, never saved as a label",
        " span columns: service and operation, duration, distance from the reference",
        " (the corpus's spans of the same call path), status (failed: red), the",
        " reference mean, its std and count as the width allows, a timeline bar",
        sig,
    };
    for (size_t i = 0; i < sizeof text / sizeof *text && (int)i < s->rows; i++) le_screen_line(s, "", text[i]);
    le_screen_puts(s, "\x1b[J"); /* the rest of the screen: the frame below had more lines */
}

static void draw(tui *t)
{
    le_screen s;
    le_screen_begin(&s);
    if (t->help) {
        draw_help(&s);
        le_screen_end(&s);
        return;
    }
    const char *key_line = le_keys_for(&s, keys_help);
    int keys = le_wrap_count(key_line, s.cols), body = s.rows - 1 - keys;
    int64_t n = filter_count(t);
    int list = body / 4 < n ? body / 4 : (int)n;
    if (list < 1) list = 1;
    draw_header(&s, t);
    draw_list(&s, t, list);
    draw_trace(&s, t, body - list);
    /* the last line without its newline: the screen must not scroll */
    le_screen_wrap(&s, "\x1b[7m", key_line);
    if (s.len >= 2) s.len -= 2;
    le_screen_end(&s);
}

/* ---- actions ---- */

/* The next trace after cur (wrapping) that is unlabeled and in the filter;
 * -1 when there is none. */
static int64_t next_unlabeled(const tui *t)
{
    int64_t K = t->set->r->k;
    for (int64_t d = 1; d <= K; d++) {
        int64_t k = (t->cur + d) % K;
        if (is_unlabeled(t, k) && in_filter(t, k)) return k;
    }
    return -1;
}

static void go(tui *t, int64_t to)
{
    if (to >= 0 && to < t->set->r->k) t->cur = to, t->span_top = 0;
}

static void go_next_unlabeled(tui *t)
{
    int64_t k = next_unlabeled(t);
    if (k >= 0)
        go(t, k);
    else
        snprintf(t->status + strlen(t->status), sizeof t->status - strlen(t->status), "%sno unlabeled trace left%s",
                 t->status[0] ? "; " : "", t->filter ? " in this filter" : "");
}

/* j / k: the next or previous trace of the filter. */
static void step(tui *t, int dir)
{
    for (int64_t k = t->cur + dir; k >= 0 && k < t->set->r->k; k += dir)
        if (in_filter(t, k)) {
            go(t, k);
            return;
        }
}

static int push_undo(tui *t)
{
    LE_RESERVE(t->undo_rep, t->cap_undo, t->n_undo + 1);
    LE_RESERVE(t->undo_prev, t->cap_undo2, t->n_undo + 1);
    LE_RESERVE(t->undo_unsure, t->cap_undo3, t->n_undo + 1);
    t->undo_rep[t->n_undo] = t->cur, t->undo_prev[t->n_undo] = t->set->label[t->cur];
    t->undo_unsure[t->n_undo++] = t->unsure[t->cur];
    return 0;
}

/* n, a (a label, saved) and s (unsure: the label goes, nothing else is
 * written); then the next unlabeled trace. */
static int set_label(tui *t, int8_t value, int unsure)
{
    push_undo(t);
    int8_t before = t->set->label[t->cur];
    t->set->label[t->cur] = value, t->unsure[t->cur] = (int8_t)unsure;
    if (before != value) LE_CHECK(le_labelset_save(t->set));
    snprintf(t->status, sizeof t->status, "%s: #%lld %s", unsure ? "skipped" : "saved", (long long)t->cur + 1,
             state_name(t, t->cur));
    go_next_unlabeled(t);
    return 0;
}

static int undo(tui *t)
{
    if (!t->n_undo) return snprintf(t->status, sizeof t->status, "nothing to undo"), 0;
    t->n_undo--;
    go(t, t->undo_rep[t->n_undo]);
    int8_t before = t->set->label[t->cur];
    t->set->label[t->cur] = t->undo_prev[t->n_undo], t->unsure[t->cur] = t->undo_unsure[t->n_undo];
    if (before != t->set->label[t->cur]) LE_CHECK(le_labelset_save(t->set));
    snprintf(t->status, sizeof t->status, "undone: #%lld is %s", (long long)t->cur + 1, state_name(t, t->cur));
    return 0;
}

/* f: the next filter; the current trace stays when it is in it, else the
 * next one that is. */
static void cycle_filter(tui *t)
{
    t->filter = (t->filter + 1) % N_FILTERS;
    snprintf(t->status, sizeof t->status, "filter %s: %lld traces", filter_name[t->filter], (long long)filter_count(t));
    for (int64_t d = 0; d < t->set->r->k; d++) {
        int64_t k = (t->cur + d) % t->set->r->k;
        if (in_filter(t, k)) {
            go(t, k);
            return;
        }
    }
}

/* Returns 1 to quit, 0 to go on, or an error. */
static int on_key(tui *t, int key)
{
    if (t->help) {
        t->help = 0;
        if (key == '?' || key == LE_KEY_ESC || key == LE_KEY_RESIZE || key == LE_KEY_NONE) return 0;
    }
    switch (key) {
    case 'n': return set_label(t, LE_LABEL_NORMAL, 0);
    case 'a': return set_label(t, LE_LABEL_ABNORMAL, 0);
    case 's': return set_label(t, LE_LABEL_UNKNOWN, 1);
    default: break;
    }
    switch (le_tui_common_key(key)) {
    case LE_ACT_NEXT: step(t, 1); break;
    case LE_ACT_PREV: step(t, -1); break;
    case LE_ACT_NEXT_OPEN: t->status[0] = 0, go_next_unlabeled(t); break;
    case LE_ACT_UNDO: return undo(t);
    case LE_ACT_FILTER: cycle_filter(t); break;
    case LE_ACT_HELP: t->help = 1; break;
    case LE_ACT_PAGE_DOWN: t->span_top += 10; break;
    case LE_ACT_PAGE_UP: t->span_top -= 10; break;
    case LE_ACT_QUIT: return 1;
    case LE_ACT_NONE: break;
    }
    return 0;
}

int le_label_tui(le_labelset *set, const char *reps_path)
{
    if (set->r->k == 0) return le_fail(LE_ERR_FORMAT, "%s has no representatives to label", reps_path);
    tui t = {.set = set, .reps_path = reps_path};
    t.unsure = le_calloc((size_t)set->r->k, 1);
    t.flags = le_calloc((size_t)set->r->k, 1);
    mark_traces(&t);
    /* Resume at the first representative without a label. */
    while (t.cur + 1 < set->r->k && set->label[t.cur] != LE_LABEL_UNKNOWN) t.cur++;
    int rc = le_tui_begin("--tui");
    if (!rc) {
        snprintf(t.status, sizeof t.status, "%lld labels read",
                 (long long)(le_labelset_count(set, 0) + le_labelset_count(set, 1)));
        while (!rc) {
            draw(&t);
            rc = on_key(&t, le_tui_key());
        }
        le_tui_end();
    }
    free(t.undo_rep);
    free(t.undo_prev);
    free(t.undo_unsure);
    free(t.unsure);
    free(t.flags);
    return rc == 1 ? 0 : rc;
}
