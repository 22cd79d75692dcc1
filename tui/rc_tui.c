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
enum { N_TYPES = 6, T_OTHER = 5 };

/* ---- state ---- */

/* A period's choice not confirmed yet: kept when the person moves on, and
 * shown again on coming back (as on the page). */
typedef struct rc_draft {
    int8_t set;
    int32_t service; /* index in rc->services, -1 none */
    int type;        /* -1 none */
    char other[150], note[512];
} rc_draft;

enum { F_ALL, F_UNCONFIRMED, N_FILTERS };
static const char *const filter_name[N_FILTERS] = {"all", "unconfirmed"};

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
    rc_draft *draft; /* [P] */
    int8_t *unsure;  /* [P] skipped with s this session: not a label, not in the file */
    int filter, help;
    int64_t *undo_p; /* undo stack: period, whether it had a label, the label, its unsure mark */
    int8_t *undo_had, *undo_unsure;
    le_period_label *undo_label;
    size_t n_undo, cap1, cap2, cap3, cap4;
    char status[600];
} rct;

static const double *row(const double *v, const rct *t) { return v + t->cur * t->rc->n_services; }
static const int64_t *irow(const int64_t *v, const rct *t) { return v + t->cur * t->rc->n_services; }

static void select_service(rct *t, const char *name)
{
    for (int32_t k = 0; k < t->n_ranked; k++)
        if (!strcmp(t->rc->services[t->ranked[k]], name)) t->sel = k;
}

/* The choice shown for period t->cur: its draft, else its confirmed label,
 * else the top suspect with no fault type. */
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
    const rc_draft *d = &t->draft[t->cur];
    if (d->set) {
        if (d->service >= 0) select_service(t, rc->services[d->service]);
        t->type = d->type;
        snprintf(t->other, sizeof t->other, "%s", d->other);
        snprintf(t->note, sizeof t->note, "%s", d->note);
        return;
    }
    if (!t->L->has[t->cur]) return;
    const le_period_label *l = &t->L->label[t->cur];
    select_service(t, l->service);
    for (int k = 0; k < N_TYPES; k++)
        if (!strcmp(l->fault_type, type_value[k])) t->type = k;
    if (!strncmp(l->fault_type, "other:", 6))
        t->type = T_OTHER, snprintf(t->other, sizeof t->other, "%s", l->fault_type + 6);
    snprintf(t->note, sizeof t->note, "%s", l->note);
}

/* After any change of the pick, type, other text or note. */
static void keep_draft(rct *t)
{
    rc_draft *d = &t->draft[t->cur];
    d->set = 1, d->service = t->n_ranked ? t->ranked[t->sel] : -1, d->type = t->type;
    snprintf(d->other, sizeof d->other, "%s", t->other);
    snprintf(d->note, sizeof d->note, "%s", t->note);
}

static const char *sel_name(const rct *t) { return t->n_ranked ? t->rc->services[t->ranked[t->sel]] : "-"; }

static void fmt_time(int64_t us, char *buf, size_t cap, int full)
{
    time_t s = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&s, &tm);
    strftime(buf, cap, full ? "%Y-%m-%d %H:%M:%S UTC" : "%m-%d %H:%M:%S", &tm);
}

/* The period mean's distance from the corpus mean in corpus std; NAN when
 * either is missing. Past 3 is the page's red mark (slow). */
static double latency_sd(const rct *t, int32_t s)
{
    double m = row(t->rc->mean_us, t)[s], am = t->rc->all_mean_us[s], asd = t->rc->all_std_us[s];
    return isfinite(m) && isfinite(am) && isfinite(asd) && asd > 0 ? (m - am) / asd : NAN;
}
static int slow(const rct *t, int32_t s)
{
    double m = row(t->rc->mean_us, t)[s], am = t->rc->all_mean_us[s], asd = t->rc->all_std_us[s];
    return isfinite(m) && isfinite(am) && isfinite(asd) && m > am + 3 * asd;
}

static int is_open(const rct *t, int64_t p) { return !t->L->has[p] && !t->unsure[p]; }
static int in_filter(const rct *t, int64_t p) { return t->filter == F_ALL || !t->L->has[p]; }

/* ---- drawing ---- */

static const char keys_help[] =
    " 1-9 h/l pick  t/T type  c confirm  s unsure  u undo  j/k period  f filter  "
    "? help  q quit  Enter next unconfirmed  o/n other/note  PgDn/PgUp edges";

static void draw_header(le_screen *s, const rct *t)
{
    int64_t u = 0;
    for (int64_t p = 0; p < t->rc->n_periods; p++) u += t->unsure[p] && !t->L->has[p];
    char line[1200];
    snprintf(line, sizeof line, " %lld / %lld periods labelled (%lld unsure)  filter: %s  %s%s-> %s",
             (long long)le_rc_labels_count(t->L), (long long)t->rc->n_periods, (long long)u, filter_name[t->filter],
             t->status, t->status[0] ? "  " : "", t->L->path);
    le_screen_puts(s, "\x1b[7m");
    le_screen_text(s, line, s->cols, 1);
    le_screen_puts(s, "\x1b[0m\r\n");
}

static void period_line(const rct *t, int64_t p, int cols, char *line, size_t cap)
{
    const le_rc *rc = t->rc;
    char when[64], what[600];
    fmt_time(rc->periods[p].start_us, when, sizeof when, cols >= 120);
    const le_period_label *l = &t->L->label[p];
    const rc_draft *d = &t->draft[p];
    int32_t top = rc->order[p * rc->n_services];
    if (t->L->has[p])
        snprintf(what, sizeof what, "ROOT CAUSE %s (%s)", l->service, l->fault_type);
    else if (d->set && d->service >= 0)
        snprintf(what, sizeof what, "draft %s (%s)%s", rc->services[d->service], d->type >= 0 ? type_value[d->type] : "-",
                 t->unsure[p] ? " unsure" : "");
    else if (top >= 0 && top < rc->n_services)
        snprintf(what, sizeof what, "%stop %s %.3f", t->unsure[p] ? "unsure, " : "", rc->services[top],
                 rc->score[p * rc->n_services + top]);
    else
        snprintf(what, sizeof what, "no suspect");
    int n = snprintf(line, cap, "%speriod %-3lld %s %5.1f min %5lld abn %6lld norm  ", p == t->cur ? ">" : " ", (long long)p,
                     when, (double)(rc->periods[p].end_us - rc->periods[p].start_us) / 6e7,
                     (long long)rc->periods[p].n_traces, (long long)rc->n_normal[p]);
    if (n > 0 && (size_t)n < cap) le_abbrev(line + n, cap - (size_t)n, what, cols - n, 0);
}

/* The periods of the filter around the current one. */
static void draw_periods(le_screen *s, const rct *t, int lines)
{
    int64_t P = t->rc->n_periods, n = 0, at = 0;
    int64_t *shown = le_malloc((size_t)P * sizeof *shown);
    for (int64_t p = 0; p < P; p++)
        if (in_filter(t, p) || p == t->cur) {
            if (p == t->cur) at = n;
            shown[n++] = p;
        }
    int64_t top = at - lines / 2;
    if (top > n - lines) top = n - lines;
    if (top < 0) top = 0;
    for (int i = 0; i < lines; i++) {
        int64_t j = top + i, p = j < n ? shown[j] : -1;
        char line[1000] = "";
        if (p >= 0) period_line(t, p, s->cols, line, sizeof line);
        le_screen_line(s,
                       p == t->cur              ? (t->L->has[p] ? "\x1b[1;31m" : "\x1b[1m")
                       : p >= 0 && t->L->has[p] ? "\x1b[31m"
                                                : "",
                       line);
    }
    free(shown);
}

/* The ranking's columns for this width: rank, service, score, the period's
 * and the corpus's mean latency and their distance always; the trace
 * counts, the two std and the evidence as the width allows. */
typedef struct rank_cols {
    int name, counts, spread, evidence;
} rank_cols;

static rank_cols plan_ranking(const rct *t, int cols)
{
    int need = 7;
    for (int32_t k = 0; k < t->n_ranked; k++) {
        int w = le_text_cols(t->rc->services[t->ranked[k]]);
        if (w > need) need = w;
    }
    rank_cols c = {0};
    int avail = cols - (2 + 3 + 1 + 7 + 10 + 10 + 9), keep = need < 20 ? need : 20;
    if (avail - 12 >= keep) c.counts = 1, avail -= 12;
    if (c.counts && avail - 22 >= keep) c.spread = 1, avail -= 22;
    if (c.spread && avail - 9 >= keep) c.evidence = 1, avail -= 9;
    c.name = avail < need ? avail : need;
    if (c.name < 6) c.name = 6;
    return c;
}

static void mean_cell(double m, double sd, int spread, char *buf, size_t cap)
{
    char a[32], b[32];
    le_fmt_us(m, a, sizeof a);
    le_fmt_us(sd, b, sizeof b);
    if (spread)
        snprintf(buf, cap, " %9s %s %8s", a, le_tui_utf8() ? "\xC2\xB1" : "+-", b);
    else
        snprintf(buf, cap, " %9s", a);
}

/* The column titles; when the services do not all fit, the service
 * column's title says which are shown ("service #4-11 of 11"). */
static void ranking_head(le_screen *s, const rct *t, const rank_cols *c, int32_t top, int lines)
{
    char line[600], title[64], name[64];
    if (t->n_ranked > lines)
        snprintf(title, sizeof title, "service #%d-%d of %d", top + 1, top + lines < t->n_ranked ? top + lines : t->n_ranked,
                 t->n_ranked);
    else
        snprintf(title, sizeof title, "service");
    le_abbrev(name, sizeof name, title, c->name, 0);
    int n = snprintf(line, sizeof line, "  %3s %s%*s %6s", "#", name, c->name - le_text_cols(name), "", "score");
    if (c->counts) n += snprintf(line + n, sizeof line - (size_t)n, " %5s %6s", "abn", "norm");
    n += snprintf(line + n, sizeof line - (size_t)n, c->spread ? " %-20s %-20s" : " %9s %9s",
                  c->spread ? "period mean" : "period", c->spread ? "corpus mean" : "corpus");
    n += snprintf(line + n, sizeof line - (size_t)n, " %8s", "distance");
    if (c->evidence) snprintf(line + n, sizeof line - (size_t)n, " %8s", "evidence");
    le_screen_line(s, "\x1b[4m", line);
}

static void ranking_row(le_screen *s, const rct *t, const rank_cols *c, int32_t k)
{
    const le_rc *rc = t->rc;
    int32_t sv = t->ranked[k];
    const le_period_label *l = t->L->has[t->cur] ? &t->L->label[t->cur] : NULL;
    int confirmed = l && !strcmp(l->service, rc->services[sv]);
    char line[1000], name[600], cell[80], dist[32];
    le_abbrev(name, sizeof name, rc->services[sv], c->name, 0);
    /* the name padded by columns, not bytes (a UTF-8 name, the cut mark) */
    int n = snprintf(line, sizeof line, "%s%s%3d %s%*s %6.3f", k == t->sel ? ">" : " ", confirmed ? "*" : " ", k + 1, name,
                     c->name - le_text_cols(name), "", row(rc->score, t)[sv]);
    if (c->counts)
        n += snprintf(line + n, sizeof line - (size_t)n, " %5lld %6lld", (long long)irow(rc->ef, t)[sv],
                      (long long)irow(rc->ep, t)[sv]);
    mean_cell(row(rc->mean_us, t)[sv], row(rc->std_us, t)[sv], c->spread, cell, sizeof cell);
    n += snprintf(line + n, sizeof line - (size_t)n, "%s", cell);
    mean_cell(rc->all_mean_us[sv], rc->all_std_us[sv], c->spread, cell, sizeof cell);
    n += snprintf(line + n, sizeof line - (size_t)n, "%s", cell);
    double z = latency_sd(t, sv);
    if (isfinite(z))
        snprintf(dist, sizeof dist, "%+.1f%s", z, le_tui_sigma());
    else
        snprintf(dist, sizeof dist, "-");
    n += snprintf(line + n, sizeof line - (size_t)n, " %*s%s", 8 - le_text_cols(dist), "", dist);
    if (c->evidence) n += snprintf(line + n, sizeof line - (size_t)n, " %8.3f", row(rc->evidence, t)[sv]);
    snprintf(line + n, sizeof line - (size_t)n, "%s%s", slow(t, sv) ? " SLOW" : "", confirmed ? " CONFIRMED" : "");
    le_screen_line(s, k == t->sel ? "\x1b[1;7m" : confirmed ? "\x1b[1;31m" : slow(t, sv) ? "\x1b[31m" : "", line);
}

/* The ranked services, scrolled so that the pick is in view: every
 * service is reachable with h/l however many there are. */
static void draw_ranking(le_screen *s, const rct *t, int lines)
{
    rank_cols c = plan_ranking(t, s->cols);
    lines--;
    int32_t top = t->sel - lines / 2;
    if (top > t->n_ranked - lines) top = t->n_ranked - lines;
    if (top < 0) top = 0;
    ranking_head(s, t, &c, top, lines);
    for (int i = 0; i < lines; i++) {
        if (top + i < t->n_ranked)
            ranking_row(s, t, &c, top + i);
        else
            le_screen_line(s, "", i == 0 ? "  no service in this period" : "");
    }
}

static void draw_selected(le_screen *s, const rct *t)
{
    const le_rc *rc = t->rc;
    char line[1200];
    if (!t->n_ranked) {
        le_screen_line(s, "", "");
        return;
    }
    int32_t sv = t->ranked[t->sel];
    snprintf(line, sizeof line,
             "#%d %s: %s %.3f, abnormal traces through it %lld of %lld, normal %lld of %lld, %lld spans in the period",
             t->sel + 1, rc->services[sv], rc->score_name, row(rc->score, t)[sv], (long long)irow(rc->ef, t)[sv],
             (long long)rc->periods[t->cur].n_traces, (long long)irow(rc->ep, t)[sv], (long long)rc->n_normal[t->cur],
             (long long)irow(rc->count, t)[sv]);
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
    if (lines <= 0) return;
    const le_rc *rc = t->rc;
    int64_t *e = le_malloc((size_t)(rc->n_edges ? rc->n_edges : 1) * sizeof *e), n = period_edges(t, e);
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

/* The choice being made: the pick, the fault types (t/T cycles them) and
 * the note; whether it is confirmed or a draft. */
static void draft_text(const rct *t, char *line, size_t cap)
{
    char types[200] = "";
    for (int k = 0; k < N_TYPES; k++) {
        size_t n = strlen(types);
        snprintf(types + n, sizeof types - n, k == t->type ? " [%s]" : " %s", type_value[k]);
    }
    if (t->input) {
        snprintf(line, cap, "%s: %s_   (Enter accept, Esc cancel)", t->input == 'o' ? "other fault type" : "note", t->edit);
        return;
    }
    const le_period_label *l = t->L->has[t->cur] ? &t->L->label[t->cur] : NULL;
    int same = l && !strcmp(l->service, sel_name(t)) && t->type >= 0 &&
               (t->type == T_OTHER ? !strncmp(l->fault_type, "other:", 6) && !strcmp(l->fault_type + 6, t->other)
                                   : !strcmp(l->fault_type, type_value[t->type])) &&
               !strcmp(l->note, t->note);
    snprintf(line, cap, "%s: #%d %s  type:%s%s%s  note: %s", same ? "confirmed" : "pick (c confirms)", t->sel + 1,
             sel_name(t), types, t->type == T_OTHER ? " = " : "", t->type == T_OTHER ? t->other : "",
             t->note[0] ? t->note : "-");
}

static void draw_help(le_screen *s)
{
    const char *const text[] = {
        " keys (the root-cause page's too)",
        "",
        "  1-9         pick suspect #1-#9",
        "  h/l, Left/Right  move the pick to the previous/next suspect (every one)",
        "  t / T       next / previous fault type",
        "  c           confirm the pick and type (saved), then the next unconfirmed",
        "  s           skip: unsure (not a label, not in the file), then the next",
        "  j/k, Down/Up  next / previous period",
        "  Enter       the next unconfirmed period, without confirming",
        "  u           undo the last confirmation or skip and go back to it",
        "  f           filter the periods: all, unconfirmed",
        "  o / n       type the other fault type / a note",
        "  PgDn/PgUp   scroll the invocation edges",
        "  ?           this help (any key closes it)",
        "  q           quit: every confirmation is already in the file",
        "",
        " ranking: abn/norm = abnormal/normal traces through the service (ef/ep);",
        " distance = period mean latency minus corpus mean, in corpus std; SLOW past 3",
        " period N is the number in the labels file's period column (from 0)",
    };
    for (size_t i = 0; i < sizeof text / sizeof *text && (int)i < s->rows; i++) le_screen_line(s, "", text[i]);
    le_screen_puts(s, "\x1b[J"); /* the rest of the screen: the frame below had more lines */
}

/* Lines for each region at this size: the header, period line, the draft
 * and the key help always; the ranking before the period list, the
 * selected service's line and the edges. */
static void draw(rct *t)
{
    le_screen s;
    le_screen_begin(&s);
    if (t->help) {
        draw_help(&s);
        le_screen_end(&s);
        return;
    }
    char line[1400], draft[1400], a[64], b[64];
    draft_text(t, draft, sizeof draft);
    const char *key_line = le_keys_for(&s, keys_help);
    int keys = le_wrap_count(key_line, s.cols), drafts = le_wrap_count(draft, s.cols);
    int rest = s.rows - 2 - drafts - keys; /* header, period line */
    int64_t P = t->rc->n_periods;
    int periods = rest / 6 > 3 ? rest / 6 : 3;
    if (periods > P) periods = (int)P;
    int rank = t->n_ranked + 1 < rest - periods ? t->n_ranked + 1 : rest - periods;
    if (rank < 2) rank = 2;
    int selected = rest - periods - rank >= 4, edges = rest - periods - rank - selected;
    int64_t spare = edges - 1 - period_edges(t, NULL); /* lines the edges leave blank go to the periods */
    if (spare > 0 && periods < P) {
        int more = (int)(spare < P - periods ? spare : P - periods);
        periods += more, edges -= more;
    }
    draw_header(&s, t);
    draw_periods(&s, t, periods);
    fmt_time(t->rc->periods[t->cur].start_us, a, sizeof a, 1);
    fmt_time(t->rc->periods[t->cur].end_us, b, sizeof b, 1);
    int32_t top = t->n_ranked ? t->ranked[0] : -1;
    snprintf(line, sizeof line,
             "-- period %lld (of 0-%lld): top suspect %s %.3f; %lld abnormal, %lld normal traces; %s -> %s; score %s, "
             "truth %s",
             (long long)t->cur, (long long)P - 1, top >= 0 ? t->rc->services[top] : "-",
             top >= 0 ? row(t->rc->score, t)[top] : 0.0, (long long)t->rc->periods[t->cur].n_traces,
             (long long)t->rc->n_normal[t->cur], a, b, t->rc->score_name, t->rc->truth);
    le_screen_line(&s, "\x1b[1m", line);
    draw_ranking(&s, t, rank);
    if (selected) draw_selected(&s, t);
    draw_edges(&s, t, edges);
    le_screen_wrap(&s, "\x1b[1;36m", draft);
    le_screen_wrap(&s, "\x1b[7m", key_line);
    if (s.len >= 2) s.len -= 2; /* the last line without its newline: the screen must not scroll */
    le_screen_end(&s);
}

/* ---- actions ---- */

static void go(rct *t, int64_t p)
{
    if (p >= 0 && p < t->rc->n_periods) t->cur = p, load_period(t);
}

/* The next period after cur (wrapping) neither confirmed nor skipped. */
static void go_next_open(rct *t)
{
    int64_t P = t->rc->n_periods;
    for (int64_t d = 1; d <= P; d++)
        if (is_open(t, (t->cur + d) % P)) {
            go(t, (t->cur + d) % P);
            return;
        }
    size_t n = strlen(t->status);
    snprintf(t->status + n, sizeof t->status - n, "%sno unconfirmed period left", n ? "; " : "");
}

/* j / k: the next or previous period of the filter. */
static void step(rct *t, int dir)
{
    for (int64_t p = t->cur + dir; p >= 0 && p < t->rc->n_periods; p += dir)
        if (in_filter(t, p)) {
            go(t, p);
            return;
        }
}

static int push_undo(rct *t)
{
    LE_RESERVE(t->undo_p, t->cap1, t->n_undo + 1);
    LE_RESERVE(t->undo_had, t->cap2, t->n_undo + 1);
    LE_RESERVE(t->undo_label, t->cap3, t->n_undo + 1);
    LE_RESERVE(t->undo_unsure, t->cap4, t->n_undo + 1);
    t->undo_p[t->n_undo] = t->cur, t->undo_had[t->n_undo] = t->L->has[t->cur],
    t->undo_label[t->n_undo] = t->L->label[t->cur], t->undo_unsure[t->n_undo] = t->unsure[t->cur];
    t->n_undo++;
    return 0;
}

static void start_input(rct *t, int which)
{
    t->input = which;
    snprintf(t->edit, sizeof t->edit, "%s", which == 'o' ? t->other : t->note);
}

static int confirm(rct *t)
{
    if (!t->n_ranked) return snprintf(t->status, sizeof t->status, "no service to confirm"), 0;
    if (t->type < 0) return snprintf(t->status, sizeof t->status, "choose a fault type first (t/T)"), 0;
    if (t->type == T_OTHER && !t->other[0]) {
        snprintf(t->status, sizeof t->status, "describe the other fault type, then c");
        start_input(t, 'o');
        return 0;
    }
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
    t->L->has[t->cur] = 1, t->unsure[t->cur] = 0, t->draft[t->cur].set = 0;
    LE_CHECK(le_rc_labels_save(t->L));
    snprintf(t->status, sizeof t->status, "saved: period %lld %s (%s)", (long long)t->cur, l->service, l->fault_type);
    go_next_open(t);
    return 0;
}

/* s: unsure. A confirmed label of the period stays (u takes it back). */
static void skip(rct *t)
{
    push_undo(t);
    t->unsure[t->cur] = 1;
    snprintf(t->status, sizeof t->status, "skipped: period %lld unsure", (long long)t->cur);
    go_next_open(t);
}

static int undo(rct *t)
{
    if (!t->n_undo) return snprintf(t->status, sizeof t->status, "nothing to undo"), 0;
    t->n_undo--;
    int64_t p = t->undo_p[t->n_undo];
    int changed = t->L->has[p] != t->undo_had[t->n_undo] || t->L->has[p];
    t->L->has[p] = t->undo_had[t->n_undo], t->L->label[p] = t->undo_label[t->n_undo];
    t->unsure[p] = t->undo_unsure[t->n_undo];
    if (changed) LE_CHECK(le_rc_labels_save(t->L));
    go(t, p);
    snprintf(t->status, sizeof t->status, "undone: period %lld %s", (long long)p,
             t->L->has[p]   ? t->L->label[p].service
             : t->unsure[p] ? "unsure"
                            : "unconfirmed");
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
        size_t len = strlen(t->edit); /* blanks at either end go, as the page trims them */
        const char *text = le_trim_blanks(t->edit, &len);
        snprintf(dst, cap, "%.*s", (int)len, text);
        if (t->input == 'o') t->type = T_OTHER;
        t->input = 0;
        keep_draft(t);
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

static void cycle_filter(rct *t)
{
    t->filter = (t->filter + 1) % N_FILTERS;
    int64_t n = 0;
    for (int64_t p = 0; p < t->rc->n_periods; p++) n += in_filter(t, p);
    snprintf(t->status, sizeof t->status, "filter %s: %lld periods", filter_name[t->filter], (long long)n);
    for (int64_t d = 0; d < t->rc->n_periods; d++)
        if (in_filter(t, (t->cur + d) % t->rc->n_periods)) {
            go(t, (t->cur + d) % t->rc->n_periods);
            return;
        }
}

/* A key that changes the choice (pick, type); 1 when it was one. */
static int on_choice_key(rct *t, int key)
{
    if (key >= '1' && key <= '9') {
        if (key - '1' < t->n_ranked) t->sel = key - '1';
    } else if (key == 'l' || key == LE_KEY_RIGHT) {
        if (t->sel + 1 < t->n_ranked) t->sel++;
    } else if (key == 'h' || key == LE_KEY_LEFT) {
        if (t->sel > 0) t->sel--;
    } else if (key == 't') {
        t->type = (t->type + 1) % N_TYPES;
    } else if (key == 'T') {
        t->type = t->type <= 0 ? N_TYPES - 1 : t->type - 1;
    } else {
        return 0;
    }
    keep_draft(t);
    return 1;
}

/* Returns 1 to quit, 0 to go on, or an error. */
static int on_key(rct *t, int key)
{
    if (t->input) return on_input(t, key), 0;
    if (t->help) {
        t->help = 0;
        if (key == '?' || key == LE_KEY_ESC || key == LE_KEY_RESIZE || key == LE_KEY_NONE) return 0;
    }
    if (on_choice_key(t, key)) return 0;
    switch (key) {
    case 'o': start_input(t, 'o'); return 0;
    case 'n': start_input(t, 'n'); return 0;
    case 'c': return confirm(t);
    case 's': skip(t); return 0;
    default: break;
    }
    switch (le_tui_common_key(key)) {
    case LE_ACT_NEXT: step(t, 1); break;
    case LE_ACT_PREV: step(t, -1); break;
    case LE_ACT_NEXT_OPEN: t->status[0] = 0, go_next_open(t); break;
    case LE_ACT_UNDO: return undo(t);
    case LE_ACT_FILTER: cycle_filter(t); break;
    case LE_ACT_HELP: t->help = 1; break;
    case LE_ACT_PAGE_DOWN: t->edge_top += 10; break;
    case LE_ACT_PAGE_UP: t->edge_top -= 10; break;
    case LE_ACT_QUIT: return 1;
    case LE_ACT_NONE: break;
    }
    return 0;
}

int le_rc_tui(le_rc_labels *L, const char *rc_path)
{
    const le_rc *rc = L->rc;
    if (rc->n_periods == 0) return le_fail(LE_ERR_FORMAT, "%s has no fault periods to label", rc_path);
    rct t = {.L = L, .rc = rc, .rc_path = rc_path};
    t.ranked = le_malloc((size_t)rc->n_services * sizeof *t.ranked);
    t.draft = le_calloc((size_t)rc->n_periods, sizeof *t.draft);
    t.unsure = le_calloc((size_t)rc->n_periods, 1);
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
    free(t.draft);
    free(t.unsure);
    free(t.undo_p);
    free(t.undo_had);
    free(t.undo_unsure);
    free(t.undo_label);
    return rc_ == 1 ? 0 : rc_;
}
