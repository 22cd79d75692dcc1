/* rc_tui: the root-cause labeler for an SSH session, the terminal twin of
 * rootcause.html (LabelEase §IV-B, Fig. 5): the fault periods; for the
 * current one the services ranked with score, abnormal traces through
 * them and period latency against the corpus; the invocation edges as
 * caller -> callee lines (the graph, in text); a fault type and a confirm
 * key. The terminal plumbing is tui/tui.c.
 *
 * The file is rewritten after every key that changes a confirmed label
 * (confirm, undo); choosing a service or a fault type is a draft of the
 * current period and not a label yet, as on the page. Service names are
 * untrusted and pass through le_screen_text. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "le_base.h"
#include "rc_tui.h"
#include "tui.h"

/* ---- the labels file ---- */

int le_rc_labels_open(le_rc_labels *l, const le_rc *rc, const char *path)
{
    memset(l, 0, sizeof *l);
    l->rc = rc, l->path = path;
    size_t n = (size_t)(rc->n_periods ? rc->n_periods : 1);
    l->label = le_calloc(n, sizeof *l->label);
    l->has = le_calloc(n, 1);
    if (access(path, F_OK)) return 0; /* a new file */
    le_period_label *v = NULL;
    int64_t nv = 0;
    LE_CHECK(le_period_labels_read(path, &v, &nv));
    for (int64_t i = 0; i < nv; i++) {
        int64_t p = v[i].period;
        if (p < 0 || p >= rc->n_periods || v[i].start_us != rc->periods[p].start_us ||
            v[i].end_us != rc->periods[p].end_us) {
            int rcode =
                le_fail(LE_ERR_FORMAT,
                        "%s: period %lld [%lld, %lld] is not a period of this rootcause.h5 (a labels file of another run?)",
                        path, (long long)v[i].period, (long long)v[i].start_us, (long long)v[i].end_us);
            free(v);
            return rcode;
        }
        l->label[p] = v[i], l->has[p] = 1;
    }
    free(v);
    return 0;
}

int le_rc_labels_save(const le_rc_labels *l)
{
    le_period_label *v = le_calloc((size_t)l->rc->n_periods, sizeof *v);
    int64_t n = 0;
    for (int64_t p = 0; p < l->rc->n_periods; p++)
        if (l->has[p]) v[n++] = l->label[p];
    int rc = le_period_labels_write(l->path, v, n);
    free(v);
    return rc;
}

int64_t le_rc_labels_count(const le_rc_labels *l)
{
    int64_t n = 0;
    for (int64_t p = 0; p < l->rc->n_periods; p++) n += l->has[p];
    return n;
}

void le_rc_labels_free(le_rc_labels *l)
{
    free(l->label);
    free(l->has);
    memset(l, 0, sizeof *l);
}

/* ---- fault types: the page's values, "other:TEXT" for free text ---- */

static const char *const type_value[] = {"pod_failure", "memory", "cpu", "delay", "loss", "other"};
static const char type_key[] = "pmcdlo";
enum { N_TYPES = 6, T_OTHER = 5 };

/* ---- state ---- */

typedef struct rct {
    le_rc_labels *L;
    const le_rc *rc;
    const char *rc_path;
    int64_t cur;           /* the period */
    int32_t *ranked;       /* services of the period in rank order (ef + ep > 0) */
    int32_t n_ranked, sel; /* sel: position in ranked */
    int type;              /* draft fault type, -1 none */
    char other[150], note[512];
    int input; /* 0, or 'o' / 'n' while typing the other text / note */
    char edit[512];
    int64_t edge_top;
    int64_t *undo_p; /* undo stack: period, whether it had a label, the label */
    int8_t *undo_had;
    le_period_label *undo_label;
    size_t n_undo, cap1, cap2, cap3;
    char status[600];
} rct;

static const double *row(const double *v, const rct *t) { return v + t->cur * t->rc->n_services; }
static const int64_t *irow(const int64_t *v, const rct *t) { return v + t->cur * t->rc->n_services; }

/* The draft of period t->cur: its confirmed label, else the top suspect. */
static void load_period(rct *t)
{
    const le_rc *rc = t->rc;
    int32_t S = rc->n_services;
    const int32_t *order = rc->order + t->cur * S;
    t->n_ranked = 0;
    for (int32_t r = 0; r < S; r++) {
        int32_t s = order[r];
        if (s >= 0 && s < S && irow(rc->ef, t)[s] + irow(rc->ep, t)[s] > 0) t->ranked[t->n_ranked++] = s;
    }
    t->sel = 0, t->type = -1, t->other[0] = t->note[0] = 0, t->edge_top = 0, t->input = 0;
    if (!t->L->has[t->cur]) return;
    const le_period_label *l = &t->L->label[t->cur];
    for (int32_t k = 0; k < t->n_ranked; k++)
        if (!strcmp(rc->services[t->ranked[k]], l->service)) t->sel = k;
    for (int k = 0; k < N_TYPES; k++)
        if (!strcmp(l->fault_type, type_value[k])) t->type = k;
    if (!strncmp(l->fault_type, "other:", 6))
        t->type = T_OTHER, snprintf(t->other, sizeof t->other, "%s", l->fault_type + 6);
    snprintf(t->note, sizeof t->note, "%s", l->note);
}

static const char *sel_name(const rct *t) { return t->n_ranked ? t->rc->services[t->ranked[t->sel]] : "-"; }

static void fmt_time(int64_t us, char *buf, size_t cap)
{
    time_t s = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, cap, "%Y-%m-%d %H:%M:%S UTC", &tm);
}

/* "12.3 ms +- 4.5 ms" */
static void mean_std(double m, double sd, char *buf, size_t cap)
{
    char a[32], b[32];
    le_fmt_us(m, a, sizeof a);
    le_fmt_us(sd, b, sizeof b);
    snprintf(buf, cap, "%s +- %s", a, b);
}

/* The page's red mark: the period mean past the corpus mean + 3 std. */
static int slow(const rct *t, int32_t s)
{
    double m = row(t->rc->mean_us, t)[s], am = t->rc->all_mean_us[s], asd = t->rc->all_std_us[s];
    return isfinite(m) && isfinite(am) && isfinite(asd) && m > am + 3 * asd;
}

/* ---- drawing ---- */

static void draw_header(le_screen *s, const rct *t)
{
    char line[1200];
    snprintf(line, sizeof line, " labelease label-rootcause  %lld / %lld periods labelled  -> %s  %s",
             (long long)le_rc_labels_count(t->L), (long long)t->rc->n_periods, t->L->path, t->status);
    le_screen_puts(s, "\x1b[7m");
    le_screen_text(s, line, s->cols, 1);
    le_screen_puts(s, "\x1b[0m\r\n");
}

static void period_line(const rct *t, int64_t p, char *line, size_t cap)
{
    const le_rc *rc = t->rc;
    char when[64], what[600];
    fmt_time(rc->periods[p].start_us, when, sizeof when);
    const le_period_label *l = &t->L->label[p];
    int32_t top = rc->order[p * rc->n_services];
    if (t->L->has[p])
        snprintf(what, sizeof what, "ROOT CAUSE %s (%s)", l->service, l->fault_type);
    else if (top >= 0 && top < rc->n_services)
        snprintf(what, sizeof what, "top suspect %s (%.3f)", rc->services[top], rc->score[p * rc->n_services + top]);
    else
        snprintf(what, sizeof what, "no suspect");
    snprintf(line, cap, "%s #%-3lld %s  %5.1f min  %5lld abnormal %6lld normal  %s", p == t->cur ? ">" : " ",
             (long long)p + 1, when, (double)(rc->periods[p].end_us - rc->periods[p].start_us) / 6e7,
             (long long)rc->periods[p].n_traces, (long long)rc->n_normal[p], what);
}

static void draw_periods(le_screen *s, const rct *t, int lines)
{
    int64_t P = t->rc->n_periods, top = t->cur - lines / 2;
    if (top > P - lines) top = P - lines;
    if (top < 0) top = 0;
    for (int i = 0; i < lines; i++) {
        int64_t p = top + i;
        char line[1000] = "";
        if (p < P) period_line(t, p, line, sizeof line);
        le_screen_line(s, p == t->cur ? (t->L->has[p] ? "\x1b[1;31m" : "\x1b[1m") : t->L->has[p] ? "\x1b[31m" : "", line);
    }
}

static void draw_ranking(le_screen *s, const rct *t, int lines)
{
    const le_rc *rc = t->rc;
    char line[1000], pm[80], cm[80];
    snprintf(line, sizeof line, "     #  %-24s %7s %9s %7s %8s  %-22s %-22s", "service", "score", "abnormal", "normal",
             "evidence", "period mean +- std", "corpus mean +- std");
    le_screen_line(s, "\x1b[4m", line);
    lines--;
    int32_t top = t->sel - lines + 1 > 0 ? t->sel - lines + 1 : 0;
    const le_period_label *l = t->L->has[t->cur] ? &t->L->label[t->cur] : NULL;
    for (int i = 0; i < lines; i++) {
        int32_t k = top + i;
        if (k >= t->n_ranked) {
            le_screen_line(s, "", "");
            continue;
        }
        int32_t sv = t->ranked[k];
        int confirmed = l && !strcmp(l->service, rc->services[sv]);
        mean_std(row(rc->mean_us, t)[sv], row(rc->std_us, t)[sv], pm, sizeof pm);
        mean_std(rc->all_mean_us[sv], rc->all_std_us[sv], cm, sizeof cm);
        char name[200];
        snprintf(name, sizeof name, "%s", rc->services[sv]);
        snprintf(line, sizeof line, "%s%s%3d  %-24.24s %7.3f %9lld %7lld %8.3f  %-22s %-22s%s", k == t->sel ? ">" : " ",
                 confirmed ? "*" : " ", k + 1, name, row(rc->score, t)[sv], (long long)irow(rc->ef, t)[sv],
                 (long long)irow(rc->ep, t)[sv], row(rc->evidence, t)[sv], pm, cm, slow(t, sv) ? "  SLOW" : "");
        le_screen_line(s, confirmed ? "\x1b[1;31m" : k == t->sel ? "\x1b[1;7m" : slow(t, sv) ? "\x1b[31m" : "", line);
    }
}

static void draw_selected(le_screen *s, const rct *t)
{
    const le_rc *rc = t->rc;
    char line[1200], pm[80], cm[80];
    if (!t->n_ranked) {
        le_screen_line(s, "", "no service in this period");
        return;
    }
    int32_t sv = t->ranked[t->sel];
    mean_std(row(rc->mean_us, t)[sv], row(rc->std_us, t)[sv], pm, sizeof pm);
    mean_std(rc->all_mean_us[sv], rc->all_std_us[sv], cm, sizeof cm);
    snprintf(line, sizeof line,
             "selected %s: rank %d/%d, %s %.3f, abnormal traces through it %lld/%lld, normal %lld/%lld, period %s (%lld "
             "spans), corpus %s",
             rc->services[sv], t->sel + 1, t->n_ranked, rc->score_name, row(rc->score, t)[sv],
             (long long)irow(rc->ef, t)[sv], (long long)rc->periods[t->cur].n_traces, (long long)irow(rc->ep, t)[sv],
             (long long)rc->n_normal[t->cur], pm, (long long)irow(rc->count, t)[sv], cm);
    le_screen_line(s, "\x1b[1m", line);
}

/* The period's edges (or their count when out is NULL), those into
 * better-ranked callees first: the graph as text, where the lines that
 * touch the selected service stand out. */
static int64_t period_edges(const rct *t, int64_t *out)
{
    const le_rc *rc = t->rc;
    int64_t n = 0;
    for (int64_t e = 0; e < rc->n_edges; e++)
        if (rc->edge_period[e] == t->cur) {
            if (out) out[n] = e;
            n++;
        }
    if (!out) return n; /* only the count */
    const int32_t *order = rc->order + t->cur * rc->n_services;
    int32_t *rank = le_malloc((size_t)rc->n_services * sizeof *rank);
    for (int32_t r = 0; r < rc->n_services; r++)
        if (order[r] >= 0 && order[r] < rc->n_services) rank[order[r]] = r;
    for (int64_t i = 1; i < n; i++) { /* insertion sort: a period has tens of edges */
        int64_t e = out[i], j = i;
        for (; j > 0 && rank[rc->edge_callee[out[j - 1]]] > rank[rc->edge_callee[e]]; j--) out[j] = out[j - 1];
        out[j] = e;
    }
    free(rank);
    return n;
}

static void draw_edges(le_screen *s, rct *t, int lines)
{
    const le_rc *rc = t->rc;
    int64_t *e = le_malloc((size_t)rc->n_edges * sizeof *e), n = period_edges(t, e);
    char line[1200];
    if (t->edge_top > n - (lines - 1)) t->edge_top = n - (lines - 1);
    if (t->edge_top < 0) t->edge_top = 0;
    snprintf(line, sizeof line, "-- invocation edges: %lld (caller -> callee, calls, scores)%s", (long long)n,
             n > lines - 1 ? "  PgUp/PgDn scroll" : "");
    le_screen_line(s, "\x1b[4m", line);
    const double *sc = row(rc->score, t);
    int32_t sel = t->n_ranked ? t->ranked[t->sel] : -1;
    for (int i = 0; i < lines - 1; i++) {
        int64_t k = t->edge_top + i;
        if (k >= n) {
            le_screen_line(s, "", "");
            continue;
        }
        int32_t a = rc->edge_caller[e[k]], b = rc->edge_callee[e[k]];
        snprintf(line, sizeof line, "  %s (%.3f) -> %s (%.3f)  %lld calls", rc->services[a], sc[a], rc->services[b], sc[b],
                 (long long)rc->edge_count[e[k]]);
        le_screen_line(s, a == sel || b == sel ? "\x1b[1m" : "\x1b[2m", line);
    }
    free(e);
}

static void draw_draft(le_screen *s, const rct *t)
{
    char line[1400], types[200] = "";
    for (int k = 0; k < N_TYPES; k++) {
        size_t n = strlen(types);
        snprintf(types + n, sizeof types - n, k == t->type ? " [%c %s]" : "  %c %s ", type_key[k], type_value[k]);
    }
    if (t->input)
        snprintf(line, sizeof line, "%s: %s_   (Enter accept, Esc cancel)", t->input == 'o' ? "other fault type" : "note",
                 t->edit);
    else
        snprintf(line, sizeof line, "root cause %s  fault type:%s%s%s  note: %s", sel_name(t), types,
                 t->type == T_OTHER ? " = " : "", t->type == T_OTHER ? t->other : "", t->note[0] ? t->note : "-");
    le_screen_line(s, "\x1b[1;36m", line);
}

static void draw(rct *t)
{
    le_screen s;
    le_screen_begin(&s);
    int64_t P = t->rc->n_periods;
    /* The period list gets a quarter of the screen, or whatever the ranking
     * and the edges of this period leave free. */
    int64_t spare = s.rows - 8 - t->n_ranked - period_edges(t, NULL), list = (s.rows - 8) / 4, rest;
    if (list < spare) list = spare;
    if (list > P) list = P;
    if (list < 1) list = 1;
    char line[1200], a[64], b[64];
    draw_header(&s, t);
    draw_periods(&s, t, (int)list);
    fmt_time(t->rc->periods[t->cur].start_us, a, sizeof a);
    fmt_time(t->rc->periods[t->cur].end_us, b, sizeof b);
    snprintf(line, sizeof line,
             "-- period %lld of %lld: %s -> %s, %lld abnormal and %lld normal traces (score %s, truth %s)",
             (long long)t->cur + 1, (long long)P, a, b, (long long)t->rc->periods[t->cur].n_traces,
             (long long)t->rc->n_normal[t->cur], t->rc->score_name, t->rc->truth);
    le_screen_line(&s, "\x1b[1m", line);
    rest = s.rows - 6 - (int)list; /* header, period line, selected, draft, keys: 5 lines, and one spare */
    int rank = t->n_ranked + 1 < rest * 3 / 5 ? t->n_ranked + 1 : rest * 3 / 5;
    if (rank < 2) rank = 2;
    draw_ranking(&s, t, rank);
    draw_selected(&s, t);
    draw_edges(&s, t, rest - rank > 1 ? rest - rank : 1);
    draw_draft(&s, t);
    le_screen_puts(&s, "\x1b[7m");
    le_screen_text(&s,
                   " j/k period  up/down or 1-9 service  p m c d l o fault type  n note  Enter confirm  u undo  PgUp/PgDn "
                   "edges  q quit",
                   s.cols, 1);
    le_screen_puts(&s, "\x1b[0m");
    le_screen_end(&s);
}

/* ---- actions ---- */

static void go(rct *t, int64_t p)
{
    if (p >= 0 && p < t->rc->n_periods) t->cur = p, load_period(t);
}

static int push_undo(rct *t)
{
    LE_RESERVE(t->undo_p, t->cap1, t->n_undo + 1);
    LE_RESERVE(t->undo_had, t->cap2, t->n_undo + 1);
    LE_RESERVE(t->undo_label, t->cap3, t->n_undo + 1);
    t->undo_p[t->n_undo] = t->cur, t->undo_had[t->n_undo] = t->L->has[t->cur],
    t->undo_label[t->n_undo] = t->L->label[t->cur];
    t->n_undo++;
    return 0;
}

static int confirm(rct *t)
{
    if (!t->n_ranked) return snprintf(t->status, sizeof t->status, "no service to confirm"), 0;
    if (t->type < 0) return snprintf(t->status, sizeof t->status, "choose a fault type first (p m c d l o)"), 0;
    if (t->type == T_OTHER && !t->other[0])
        return snprintf(t->status, sizeof t->status, "describe the other fault type (o)"), 0;
    push_undo(t);
    const le_rc *rc = t->rc;
    le_period_label *l = &t->L->label[t->cur];
    memset(l, 0, sizeof *l);
    l->period = t->cur, l->start_us = rc->periods[t->cur].start_us, l->end_us = rc->periods[t->cur].end_us;
    snprintf(l->service, sizeof l->service, "%s", sel_name(t));
    if (t->type == T_OTHER)
        snprintf(l->fault_type, sizeof l->fault_type, "other:%s", t->other);
    else
        snprintf(l->fault_type, sizeof l->fault_type, "%s", type_value[t->type]);
    snprintf(l->note, sizeof l->note, "%s", t->note);
    snprintf(l->source, sizeof l->source, "confirmed");
    t->L->has[t->cur] = 1;
    LE_CHECK(le_rc_labels_save(t->L));
    snprintf(t->status, sizeof t->status, "saved: period %lld %s (%s)", (long long)t->cur + 1, l->service, l->fault_type);
    go(t, t->cur + 1 < rc->n_periods ? t->cur + 1 : t->cur);
    return 0;
}

static int undo(rct *t)
{
    if (!t->n_undo) return snprintf(t->status, sizeof t->status, "nothing to undo"), 0;
    t->n_undo--;
    int64_t p = t->undo_p[t->n_undo];
    t->L->has[p] = t->undo_had[t->n_undo], t->L->label[p] = t->undo_label[t->n_undo];
    LE_CHECK(le_rc_labels_save(t->L));
    go(t, p);
    snprintf(t->status, sizeof t->status, "undone: period %lld %s", (long long)p + 1,
             t->L->has[p] ? t->L->label[p].service : "unlabelled");
    return 0;
}

/* Typing the other fault type or the note: bytes append (UTF-8 passes
 * through), Backspace removes one character, Enter keeps, Esc drops. */
static void on_input(rct *t, int key)
{
    size_t n = strlen(t->edit);
    char *dst = t->input == 'o' ? t->other : t->note;
    size_t cap = t->input == 'o' ? sizeof t->other : sizeof t->note;
    if (key == 13 || key == 10) {
        snprintf(dst, cap, "%s", t->edit);
        if (t->input == 'o') t->type = T_OTHER;
        t->input = 0;
    } else if (key == LE_KEY_ESC || key == 3) {
        t->input = 0;
    } else if (key == 127 || key == 8) {
        while (n > 0 && (t->edit[n - 1] & 0xC0) == 0x80) n--; /* continuation bytes */
        if (n > 0) n--;
        t->edit[n] = 0;
    } else if (key >= 0x20 && key < 0x100 && key != 0x7F && n + 1 < cap && n + 1 < sizeof t->edit) {
        t->edit[n] = (char)key, t->edit[n + 1] = 0;
    }
}

static void start_input(rct *t, int which)
{
    t->input = which;
    snprintf(t->edit, sizeof t->edit, "%s", which == 'o' ? t->other : t->note);
}

/* Returns 1 to quit, 0 to go on, or an error. */
static int on_key(rct *t, int key)
{
    if (t->input) return on_input(t, key), 0;
    const char *k = key > 0 && key < 0x80 ? strchr(type_key, key) : NULL;
    if (k && key != 'o') return t->type = (int)(k - type_key), 0;
    if (key >= '1' && key <= '9') {
        if (key - '1' < t->n_ranked) t->sel = key - '1';
        return 0;
    }
    switch (key) {
    case 'o': start_input(t, 'o'); return 0;
    case 'n': start_input(t, 'n'); return 0;
    case 13:
    case 10: return confirm(t);
    case 'u': return undo(t);
    case 'j': go(t, t->cur + 1); return 0;
    case 'k': go(t, t->cur - 1); return 0;
    case LE_KEY_DOWN:
        if (t->sel + 1 < t->n_ranked) t->sel++;
        return 0;
    case LE_KEY_UP:
        if (t->sel > 0) t->sel--;
        return 0;
    case LE_KEY_PGDN:
    case ' ': t->edge_top += 10; return 0;
    case LE_KEY_PGUP: t->edge_top -= 10; return 0;
    case 'q':
    case 3:
    case 4: return 1; /* q, Ctrl-C, Ctrl-D */
    default: return 0;
    }
}

int le_rc_tui(le_rc_labels *L, const char *rc_path)
{
    const le_rc *rc = L->rc;
    if (rc->n_periods == 0) return le_fail(LE_ERR_FORMAT, "%s has no fault periods to label", rc_path);
    rct t = {.L = L, .rc = rc, .rc_path = rc_path};
    t.ranked = le_malloc((size_t)rc->n_services * sizeof *t.ranked);
    /* Resume at the first period without a label. */
    while (t.cur + 1 < rc->n_periods && L->has[t.cur]) t.cur++;
    load_period(&t);
    int rc_ = le_tui_begin("label-rootcause");
    if (!rc_) {
        snprintf(t.status, sizeof t.status, "%lld labels read", (long long)le_rc_labels_count(L));
        while (!rc_) {
            draw(&t);
            rc_ = on_key(&t, le_tui_key());
        }
        le_tui_end();
    }
    free(t.ranked);
    free(t.undo_p);
    free(t.undo_had);
    free(t.undo_label);
    return rc_ == 1 ? 0 : rc_;
}
