/* label_tui: a terminal labeler for an SSH session on a login node.
 *
 * Plain ANSI escapes and termios raw mode, no ncurses: the screen is three
 * regions redrawn whole after each key (a list, a span tree, a key line),
 * which any VT100-compatible terminal shows, and the binary gains no
 * dependency a cluster might lack. Labels are saved after every key that
 * changes one (le_label_set_save: temp file + rename), so a dropped
 * connection loses nothing and a restart resumes from the file.
 *
 * Trace data is untrusted here too: names pass through term_text, which
 * replaces control characters, so an operation name cannot send escape
 * sequences to the terminal. */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "label_tui.h"
#include "le_base.h"

/* ---- the terminal ---- */

static struct termios saved_tio;
/* The screen: stdout, or the terminal itself when stdout is redirected (the
 * report then goes to the file: labelease label --tui ... > report.txt). */
static int tty_out = STDOUT_FILENO;
static volatile sig_atomic_t resized;

static void term_restore(void)
{
    static const char leave[] = "\x1b[0m\x1b[?25h\x1b[?1049l";
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
    if (write(tty_out, leave, sizeof leave - 1) < 0) { /* nothing more to do */ }
}

static void on_signal(int sig)
{
    if (sig == SIGWINCH) { resized = 1; return; }
    term_restore(); /* labels are already on disk: only the terminal needs care */
    signal(sig, SIG_DFL);
    raise(sig);
}

static int term_raw(void)
{
    if (!isatty(STDIN_FILENO)) return le_fail(LE_ERR_USAGE, "--tui needs a terminal on stdin (run it without mpirun, e.g. over ssh -t)");
    if (!isatty(STDOUT_FILENO) && (tty_out = open("/dev/tty", O_WRONLY | O_CLOEXEC)) < 0)
        return le_fail(LE_ERR_USAGE, "--tui: cannot open /dev/tty: %s", strerror(errno));
    if (tcgetattr(STDIN_FILENO, &saved_tio)) return le_fail(LE_ERR_IO, "tcgetattr: %s", strerror(errno));
    struct termios t = saved_tio;
    /* No echo, no line buffering, and Ctrl-C arrives as a key (quit). */
    t.c_lflag &= ~(tcflag_t)(ECHO | ICANON | ISIG | IEXTEN);
    t.c_iflag &= ~(tcflag_t)(IXON | ICRNL);
    t.c_cc[VMIN] = 1, t.c_cc[VTIME] = 0;
    if (tcsetattr(STDIN_FILENO, TCSAFLUSH, &t)) return le_fail(LE_ERR_IO, "tcsetattr: %s", strerror(errno));
    struct sigaction sa = {0};
    sa.sa_handler = on_signal; /* no SA_RESTART: a resize interrupts read() to redraw */
    sigaction(SIGWINCH, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);
    static const char enter[] = "\x1b[?1049h\x1b[?25l";
    if (write(tty_out, enter, sizeof enter - 1) < 0) return le_fail(LE_ERR_IO, "write to terminal: %s", strerror(errno));
    return 0;
}

static void term_size(int *rows, int *cols)
{
    struct winsize ws;
    *rows = 24, *cols = 80;
    if (!ioctl(tty_out, TIOCGWINSZ, &ws) && ws.ws_row > 0) *rows = ws.ws_row, *cols = ws.ws_col;
}

enum { K_NONE = 0, K_UP = 1000, K_DOWN, K_PGUP, K_PGDN, K_RESIZE };

/* One key; an escape sequence (arrows, page keys) comes as a burst, so
 * bytes that follow ESC within 50 ms belong to it. */
static int read_key(void)
{
    unsigned char c, seq[4] = {0};
    ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) return resized ? K_RESIZE : K_NONE;
    if (n <= 0) return 'q'; /* the terminal went away */
    if (c != 0x1b) return c;
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    size_t k = 0;
    while (k < sizeof seq && poll(&p, 1, 50) > 0 && read(STDIN_FILENO, &seq[k], 1) == 1) {
        k++;
        if (k >= 2 && (seq[k - 1] == '~' || (seq[k - 1] >= 'A' && seq[k - 1] <= 'D'))) break;
    }
    if (k >= 2 && (seq[0] == '[' || seq[0] == 'O')) {
        if (seq[1] == 'A') return K_UP;
        if (seq[1] == 'B') return K_DOWN;
        if (seq[1] == '5') return K_PGUP;
        if (seq[1] == '6') return K_PGDN;
    }
    return K_NONE;
}

/* ---- drawing into one buffer, written at once ---- */

typedef struct screen {
    char *buf;
    size_t len, cap;
    int rows, cols;
} screen;

static void put(screen *s, const char *text, size_t n)
{
    LE_RESERVE(s->buf, s->cap, s->len + n + 1);
    memcpy(s->buf + s->len, text, n);
    s->len += n;
}
static void puts_(screen *s, const char *text) { put(s, text, strlen(text)); }

/* Append text using at most width columns (a UTF-8 sequence counts as one;
 * control bytes become '?'), padded with spaces; returns columns used. */
static int term_text(screen *s, const char *text, int width, int pad)
{
    int used = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && used < width;) {
        size_t k = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 1;
        int ctrl = *p < 0x20 || *p == 0x7F || (*p == 0xC2 && p[1] >= 0x80 && p[1] < 0xA0) || (k > 1 && *p < 0xC0);
        for (size_t i = 1; i < k; i++)
            if ((p[i] & 0xC0) != 0x80) ctrl = 1, k = 1;
        if (ctrl) put(s, "?", 1);
        else put(s, (const char *)p, k);
        p += k, used++;
    }
    for (; pad && used < width; used++) put(s, " ", 1);
    return used;
}

static void fmt_us(double us, char *buf, size_t cap)
{
    double a = fabs(us);
    if (!isfinite(us)) snprintf(buf, cap, "-");
    else if (a < 1000) snprintf(buf, cap, "%.0f us", us);
    else if (a < 1e6) snprintf(buf, cap, a < 1e4 ? "%.2f ms" : "%.1f ms", us / 1000);
    else snprintf(buf, cap, "%.2f s", us / 1e6);
}

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

static const char *state_name(int8_t l) { return l == LE_LABEL_NORMAL ? "normal" : l == LE_LABEL_ABNORMAL ? "ABNORMAL" : "-"; }
static const char *state_colour(int8_t l) { return l == LE_LABEL_NORMAL ? "\x1b[32m" : l == LE_LABEL_ABNORMAL ? "\x1b[31m" : ""; }

typedef struct tui {
    le_label_set *set;
    const char *reps_path;
    int64_t cur, span_top;
    int64_t *undo_rep;  /* undo stack: representative and its label before */
    int8_t *undo_prev;
    size_t n_undo, cap_undo, cap_undo2;
    char status[256];   /* last action, shown in the header */
} tui;

static void draw_header(screen *s, const tui *t)
{
    const le_label_set *set = t->set;
    int64_t n = le_label_set_count(set, LE_LABEL_NORMAL), a = le_label_set_count(set, LE_LABEL_ABNORMAL);
    char line[1024];
    snprintf(line, sizeof line, " labelease label  %lld / %lld labelled (%lld abnormal)  -> %s  %s", (long long)(n + a),
             (long long)set->r->k, (long long)a, set->path, t->status);
    puts_(s, "\x1b[7m");
    term_text(s, line, s->cols, 1);
    puts_(s, "\x1b[0m\r\n");
}

static void draw_list(screen *s, const tui *t, int lines)
{
    const le_reps *r = t->set->r;
    int64_t top = t->cur - lines / 2;
    if (top > r->k - lines) top = r->k - lines;
    if (top < 0) top = 0;
    for (int i = 0; i < lines; i++) {
        int64_t k = top + i;
        if (k < r->k) {
            char id[1024], line[1200];
            le_rep_id(r, t->set->meta, k, id, sizeof id);
            int64_t spans = r->traces.span_offset[k + 1] - r->traces.span_offset[k];
            snprintf(line, sizeof line, "%s%4lld  %-9s cluster %-8lld %4lld spans  %s", k == t->cur ? ">" : " ", (long long)k + 1,
                     state_name(t->set->label[k]), (long long)(r->cluster_size ? r->cluster_size[k] : 0), (long long)spans, id);
            puts_(s, k == t->cur ? "\x1b[1m" : "");
            puts_(s, state_colour(t->set->label[k]));
            term_text(s, line, s->cols, 0);
            puts_(s, "\x1b[0m");
        }
        puts_(s, "\x1b[K\r\n");
    }
}

/* One span: tree indent and name on the left, numbers in fixed columns. */
static void draw_span(screen *s, const tui *t, int64_t i, int depth)
{
    const le_reps *r = t->set->r;
    const le_corpus_meta *m = t->set->meta;
    const le_corpus_block *b = &r->traces;
    int32_t sv = b->service[i], op = b->operation[i];
    char name[600], dur[32], mean[32], sd[32], right[200], dev[32];
    snprintf(name, sizeof name, "%*s%s %s", 2 * depth, "", sv >= 0 && sv < m->n_services ? m->services[sv] : "?",
             op >= 0 && op < m->n_operations ? m->operations[op] : "?");
    fmt_us((double)b->duration_us[i], dur, sizeof dur);
    int far = deviation(r, i, dev, sizeof dev);
    int64_t n = r->path_count ? r->path_count[i] : 0;
    fmt_us(r->path_mean_us ? r->path_mean_us[i] : NAN, mean, sizeof mean);
    fmt_us(r->path_std_us ? r->path_std_us[i] : NAN, sd, sizeof sd);
    int bad = b->error[i] || b->status_code[i] >= 400;
    char status[32];
    if (b->status_code[i]) snprintf(status, sizeof status, "%d%s", b->status_code[i], b->error[i] ? " ERR" : "");
    else snprintf(status, sizeof status, "%s", b->error[i] ? "ERR" : "-");
    int wide = snprintf(right, sizeof right, " %10s %-8s ref %s +- %s n=%lld", dur, status, mean, sd, (long long)n);
    int left = s->cols - wide - 8;
    if (left < 10) left = 10;
    puts_(s, bad ? "\x1b[31m" : "");
    term_text(s, name, left, 1);
    term_text(s, right, s->cols - left, 0);
    puts_(s, "\x1b[0m ");
    puts_(s, far ? "\x1b[1;31m" : "\x1b[2m");
    term_text(s, dev, 7, 0);
    puts_(s, "\x1b[0m\x1b[K\r\n");
}

static void draw_trace(screen *s, tui *t, int lines)
{
    const le_reps *r = t->set->r;
    int64_t lo = r->traces.span_offset[t->cur], hi = r->traces.span_offset[t->cur + 1];
    char id[1024], line[1400];
    le_rep_id(r, t->set->meta, t->cur, id, sizeof id);
    snprintf(line, sizeof line, "-- trace %s  [%s]  cluster %lld  %lld spans  corpus index %lld  (PgUp/PgDn scroll) ", id,
             state_name(t->set->label[t->cur]), (long long)(r->cluster_size ? r->cluster_size[t->cur] : 0), (long long)(hi - lo),
             (long long)(r->trace_index ? r->trace_index[t->cur] : -1));
    puts_(s, "\x1b[1m");
    term_text(s, line, s->cols, 0);
    puts_(s, "\x1b[0m\x1b[K\r\n");
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
    for (int64_t k = hi - lo - t->span_top; k < lines; k++) puts_(s, "\x1b[K\r\n");
}

static void draw(tui *t)
{
    screen s = {0};
    term_size(&s.rows, &s.cols);
    int list = (int)(t->set->r->k < (s.rows - 3) / 3 ? t->set->r->k : (s.rows - 3) / 3);
    if (list < 1) list = 1;
    puts_(&s, "\x1b[H");
    draw_header(&s, t);
    draw_list(&s, t, list);
    draw_trace(&s, t, s.rows - 2 - list);
    puts_(&s, "\x1b[7m");
    term_text(&s, " n normal  a abnormal  j/down next  k/up previous  u undo  PgDn/PgUp spans  q quit", s.cols, 1);
    puts_(&s, "\x1b[0m");
    if (write(tty_out, s.buf, s.len) < 0) { /* the terminal is gone; read_key will see it */ }
    free(s.buf);
}

/* ---- actions ---- */

static int set_label(tui *t, int8_t value)
{
    LE_RESERVE(t->undo_rep, t->cap_undo, t->n_undo + 1);
    LE_RESERVE(t->undo_prev, t->cap_undo2, t->n_undo + 1);
    t->undo_rep[t->n_undo] = t->cur, t->undo_prev[t->n_undo++] = t->set->label[t->cur];
    t->set->label[t->cur] = value;
    LE_CHECK(le_label_set_save(t->set));
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
    LE_CHECK(le_label_set_save(t->set));
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
    case 'j': case K_DOWN: move(t, t->cur + 1); return 0;
    case 'k': case K_UP: move(t, t->cur - 1); return 0;
    case K_PGDN: case ' ': t->span_top += 10; return 0;
    case K_PGUP: t->span_top -= 10; return 0;
    case 'q': case 3: case 4: return 1; /* q, Ctrl-C, Ctrl-D */
    default: return 0;
    }
}

int le_label_tui(le_label_set *set, const char *reps_path)
{
    if (set->r->k == 0) return le_fail(LE_ERR_FORMAT, "%s has no representatives to label", reps_path);
    tui t = {.set = set, .reps_path = reps_path};
    /* Resume at the first representative without a label. */
    while (t.cur + 1 < set->r->k && set->label[t.cur] != LE_LABEL_UNKNOWN) t.cur++;
    LE_CHECK(term_raw());
    snprintf(t.status, sizeof t.status, "%lld labels read", (long long)(le_label_set_count(set, 0) + le_label_set_count(set, 1)));
    int rc = 0;
    for (;;) {
        resized = 0;
        draw(&t);
        rc = on_key(&t, read_key());
        if (rc) break;
    }
    term_restore();
    free(t.undo_rep);
    free(t.undo_prev);
    return rc == 1 ? 0 : rc;
}
