/* label_tui: a terminal labeler for an SSH session on a login node.
 *
 * The terminal plumbing is tui/tui.c: the screen is three regions redrawn
 * whole after each key (a list, a span tree, a key line). Labels are saved after every key that
 * changes one (io/labelset.h, le_labelset_save: temp file + rename), so a dropped
 * connection loses nothing and a restart resumes from the file.
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

/* The same measure as the page: standard deviations from the call path's
 * mean when the corpus has spread, else the ratio to the mean. */
static int deviation(const le_reps *r, int64_t i, char *buf, size_t cap)
{
    double m = r->path_mean_us ? r->path_mean_us[i] : NAN, sd = r->path_std_us ? r->path_std_us[i] : 0;
    int64_t n = r->path_count ? r->path_count[i] : 0, d = r->traces.duration_us[i];
    if (n <= 0 || !isfinite(m)) return snprintf(buf, cap, "no ref"), 0;
    if (sd > 0 && n > 1) {
        double z = ((double)d - m) / sd;
        snprintf(buf, cap, "%+.1fs", z);
        return fabs(z) >= 3;
    }
    double ratio = m > 0 ? (double)d / m : 1;
    snprintf(buf, cap, "x%.2f", ratio);
    return ratio >= 2 || ratio <= 0.5;
}

static const char *state_name(int8_t l)
{
    return l == LE_LABEL_NORMAL ? "normal" : l == LE_LABEL_ABNORMAL ? "ABNORMAL" : "-";
}
static const char *state_colour(int8_t l)
{
    return l == LE_LABEL_NORMAL ? "\x1b[32m" : l == LE_LABEL_ABNORMAL ? "\x1b[31m" : "";
}

typedef struct tui {
    le_labelset *set;
    const char *reps_path;
    int64_t cur, span_top;
    int64_t *undo_rep; /* undo stack: representative and its label before */
    int8_t *undo_prev;
    size_t n_undo, cap_undo, cap_undo2;
    char status[256]; /* last action, shown in the header */
} tui;

static void draw_header(le_screen *s, const tui *t)
{
    const le_labelset *set = t->set;
    int64_t n = le_labelset_count(set, LE_LABEL_NORMAL), a = le_labelset_count(set, LE_LABEL_ABNORMAL);
    char line[1024];
    snprintf(line, sizeof line, " labelease label  %lld / %lld labelled (%lld abnormal)  -> %s  %s", (long long)(n + a),
             (long long)set->r->k, (long long)a, set->path, t->status);
    le_screen_puts(s, "\x1b[7m");
    le_screen_text(s, line, s->cols, 1);
    le_screen_puts(s, "\x1b[0m\r\n");
}

static void draw_list(le_screen *s, const tui *t, int lines)
{
    const le_reps *r = t->set->r;
    int64_t top = t->cur - lines / 2;
    if (top > r->k - lines) top = r->k - lines;
    if (top < 0) top = 0;
    for (int i = 0; i < lines; i++) {
        int64_t k = top + i;
        if (k < r->k) {
            char id[LE_TRACE_ID_MAX + 1], line[1200];
            le_reps_trace_id(r, t->set->meta, k, id, sizeof id);
            int64_t spans = r->traces.span_offset[k + 1] - r->traces.span_offset[k];
            snprintf(line, sizeof line, "%s%4lld  %-9s cluster %-8lld %4lld spans  %s", k == t->cur ? ">" : " ",
                     (long long)k + 1, state_name(t->set->label[k]), (long long)(r->cluster_size ? r->cluster_size[k] : 0),
                     (long long)spans, id);
            le_screen_puts(s, k == t->cur ? "\x1b[1m" : "");
            le_screen_puts(s, state_colour(t->set->label[k]));
            le_screen_text(s, line, s->cols, 0);
            le_screen_puts(s, "\x1b[0m");
        }
        le_screen_puts(s, "\x1b[K\r\n");
    }
}

/* One span: tree indent and name on the left, numbers in fixed columns. */
static void draw_span(le_screen *s, const tui *t, int64_t i, int depth)
{
    const le_reps *r = t->set->r;
    const le_corpus_meta *m = t->set->meta;
    const le_corpus_block *b = &r->traces;
    int32_t sv = b->service[i], op = b->operation[i];
    char name[600], dur[32], mean[32], sd[32], right[200], dev[32];
    snprintf(name, sizeof name, "%*s%s %s", 2 * depth, "", sv >= 0 && sv < m->n_services ? m->services[sv] : "?",
             op >= 0 && op < m->n_operations ? m->operations[op] : "?");
    le_fmt_us((double)b->duration_us[i], dur, sizeof dur);
    int far = deviation(r, i, dev, sizeof dev);
    int64_t n = r->path_count ? r->path_count[i] : 0;
    le_fmt_us(r->path_mean_us ? r->path_mean_us[i] : NAN, mean, sizeof mean);
    le_fmt_us(r->path_std_us ? r->path_std_us[i] : NAN, sd, sizeof sd);
    int bad = b->error[i] || b->status_code[i] >= 400;
    char status[32];
    if (b->status_code[i])
        snprintf(status, sizeof status, "%d%s", b->status_code[i], b->error[i] ? " ERR" : "");
    else
        snprintf(status, sizeof status, "%s", b->error[i] ? "ERR" : "-");
    int wide = snprintf(right, sizeof right, " %10s %-8s ref %s +- %s n=%lld", dur, status, mean, sd, (long long)n);
    int left = s->cols - wide - 8;
    if (left < 10) left = 10;
    le_screen_puts(s, bad ? "\x1b[31m" : "");
    le_screen_text(s, name, left, 1);
    le_screen_text(s, right, s->cols - left, 0);
    le_screen_puts(s, "\x1b[0m ");
    le_screen_puts(s, far ? "\x1b[1;31m" : "\x1b[2m");
    le_screen_text(s, dev, 7, 0);
    le_screen_puts(s, "\x1b[0m\x1b[K\r\n");
}

static void draw_trace(le_screen *s, tui *t, int lines)
{
    const le_reps *r = t->set->r;
    int64_t lo = r->traces.span_offset[t->cur], hi = r->traces.span_offset[t->cur + 1];
    char id[LE_TRACE_ID_MAX + 1], line[1400];
    le_reps_trace_id(r, t->set->meta, t->cur, id, sizeof id);
    snprintf(line, sizeof line, "-- trace %s  [%s]  cluster %lld  %lld spans  corpus index %lld  (PgUp/PgDn scroll) ", id,
             state_name(t->set->label[t->cur]), (long long)(r->cluster_size ? r->cluster_size[t->cur] : 0),
             (long long)(hi - lo), (long long)(r->trace_index ? r->trace_index[t->cur] : -1));
    le_screen_puts(s, "\x1b[1m");
    le_screen_text(s, line, s->cols, 0);
    le_screen_puts(s, "\x1b[0m\x1b[K\r\n");
    lines--;
    if (t->span_top > hi - lo - lines) t->span_top = hi - lo - lines;
    if (t->span_top < 0) t->span_top = 0;
    /* Depths from the parent indices (parents come first in preorder). */
    int *depth = le_malloc((size_t)(hi - lo + 1) * sizeof *depth);
    for (int64_t i = lo; i < hi; i++) {
        int64_t k = i - lo, p = r->traces.parent[i];
        depth[k] = p >= 0 && p < k ? depth[p] + 1 : 0;
        if (k >= t->span_top && k < t->span_top + lines) draw_span(s, t, i, depth[k]);
    }
    free(depth);
    for (int64_t k = hi - lo - t->span_top; k < lines; k++) le_screen_puts(s, "\x1b[K\r\n");
}

static void draw(tui *t)
{
    le_screen s;
    le_screen_begin(&s);
    int list = (int)(t->set->r->k < (s.rows - 3) / 3 ? t->set->r->k : (s.rows - 3) / 3);
    if (list < 1) list = 1;
    draw_header(&s, t);
    draw_list(&s, t, list);
    draw_trace(&s, t, s.rows - 2 - list);
    le_screen_puts(&s, "\x1b[7m");
    le_screen_text(&s, " n normal  a abnormal  j/down next  k/up previous  u undo  PgDn/PgUp spans  q quit", s.cols, 1);
    le_screen_puts(&s, "\x1b[0m");
    le_screen_end(&s);
}

/* ---- actions ---- */

static int set_label(tui *t, int8_t value)
{
    LE_RESERVE(t->undo_rep, t->cap_undo, t->n_undo + 1);
    LE_RESERVE(t->undo_prev, t->cap_undo2, t->n_undo + 1);
    t->undo_rep[t->n_undo] = t->cur, t->undo_prev[t->n_undo++] = t->set->label[t->cur];
    t->set->label[t->cur] = value;
    LE_CHECK(le_labelset_save(t->set));
    snprintf(t->status, sizeof t->status, "saved: %lld %s", (long long)t->cur + 1, state_name(value));
    if (t->cur + 1 < t->set->r->k) t->cur++, t->span_top = 0;
    return 0;
}

static int undo(tui *t)
{
    if (!t->n_undo) return snprintf(t->status, sizeof t->status, "nothing to undo"), 0;
    t->n_undo--;
    t->cur = t->undo_rep[t->n_undo], t->span_top = 0;
    t->set->label[t->cur] = t->undo_prev[t->n_undo];
    LE_CHECK(le_labelset_save(t->set));
    snprintf(t->status, sizeof t->status, "undone: %lld is %s", (long long)t->cur + 1, state_name(t->set->label[t->cur]));
    return 0;
}

static void move(tui *t, int64_t to)
{
    if (to >= 0 && to < t->set->r->k) t->cur = to, t->span_top = 0;
}

/* Returns 1 to quit, 0 to go on, or an error. */
static int on_key(tui *t, int key)
{
    switch (key) {
    case 'n': return set_label(t, LE_LABEL_NORMAL);
    case 'a': return set_label(t, LE_LABEL_ABNORMAL);
    case 'u': return undo(t);
    case 'j':
    case LE_KEY_DOWN: move(t, t->cur + 1); return 0;
    case 'k':
    case LE_KEY_UP: move(t, t->cur - 1); return 0;
    case LE_KEY_PGDN:
    case ' ': t->span_top += 10; return 0;
    case LE_KEY_PGUP: t->span_top -= 10; return 0;
    case 'q':
    case 3:
    case 4: return 1; /* q, Ctrl-C, Ctrl-D */
    default: return 0;
    }
}

int le_label_tui(le_labelset *set, const char *reps_path)
{
    if (set->r->k == 0) return le_fail(LE_ERR_FORMAT, "%s has no representatives to label", reps_path);
    tui t = {.set = set, .reps_path = reps_path};
    /* Resume at the first representative without a label. */
    while (t.cur + 1 < set->r->k && set->label[t.cur] != LE_LABEL_UNKNOWN) t.cur++;
    LE_CHECK(le_tui_begin("--tui"));
    snprintf(t.status, sizeof t.status, "%lld labels read",
             (long long)(le_labelset_count(set, 0) + le_labelset_count(set, 1)));
    int rc = 0;
    for (;;) {
        draw(&t);
        rc = on_key(&t, le_tui_key());
        if (rc) break;
    }
    le_tui_end();
    free(t.undo_rep);
    free(t.undo_prev);
    return rc == 1 ? 0 : rc;
}
