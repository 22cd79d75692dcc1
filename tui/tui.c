/* tui: terminal plumbing shared by the labelers (see tui.h). */
#include "tui.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "le_base.h"

static struct termios saved_tio;
static int tty_out = STDOUT_FILENO;
static volatile sig_atomic_t resized;

void le_tui_end(void)
{
    static const char leave[] = "\x1b[0m\x1b[?25h\x1b[?1049l";
    tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tio);
    if (write(tty_out, leave, sizeof leave - 1) < 0) { /* nothing more to do */
    }
}

static void on_signal(int sig)
{
    if (sig == SIGWINCH) {
        resized = 1;
        return;
    }
    le_tui_end();
    signal(sig, SIG_DFL);
    raise(sig);
}

int le_tui_begin(const char *what)
{
    if (!isatty(STDIN_FILENO))
        return le_fail(LE_ERR_USAGE, "%s needs a terminal on stdin (run it without mpirun, e.g. over ssh -t)", what);
    if (!isatty(STDOUT_FILENO) && (tty_out = open("/dev/tty", O_WRONLY | O_CLOEXEC)) < 0)
        return le_fail(LE_ERR_USAGE, "%s: cannot open /dev/tty: %s", what, strerror(errno));
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

/* An escape sequence (arrows, page keys) comes as a burst, so bytes that
 * follow ESC within 50 ms belong to it; an ESC alone is the Escape key. */
int le_tui_key(void)
{
    unsigned char c, seq[4] = {0};
    ssize_t n = read(STDIN_FILENO, &c, 1);
    if (n < 0 && errno == EINTR) return resized ? LE_KEY_RESIZE : LE_KEY_NONE;
    if (n <= 0) return 'q'; /* the terminal went away */
    if (c != 0x1b) return c;
    struct pollfd p = {.fd = STDIN_FILENO, .events = POLLIN};
    size_t k = 0;
    while (k < sizeof seq && poll(&p, 1, 50) > 0 && read(STDIN_FILENO, &seq[k], 1) == 1) {
        k++;
        if (k >= 2 && (seq[k - 1] == '~' || (seq[k - 1] >= 'A' && seq[k - 1] <= 'D'))) break;
    }
    if (k == 0) return LE_KEY_ESC;
    if (k >= 2 && (seq[0] == '[' || seq[0] == 'O')) {
        if (seq[1] == 'A') return LE_KEY_UP;
        if (seq[1] == 'B') return LE_KEY_DOWN;
        if (seq[1] == 'C') return LE_KEY_RIGHT;
        if (seq[1] == 'D') return LE_KEY_LEFT;
        if (seq[1] == '5') return LE_KEY_PGUP;
        if (seq[1] == '6') return LE_KEY_PGDN;
    }
    return LE_KEY_NONE;
}

le_tui_act le_tui_common_key(int key)
{
    switch (key) {
    case 'j':
    case LE_KEY_DOWN: return LE_ACT_NEXT;
    case 'k':
    case LE_KEY_UP: return LE_ACT_PREV;
    case 13:
    case 10: return LE_ACT_NEXT_OPEN;
    case 'u': return LE_ACT_UNDO;
    case 'f': return LE_ACT_FILTER;
    case '?': return LE_ACT_HELP;
    case LE_KEY_PGDN:
    case ' ': return LE_ACT_PAGE_DOWN;
    case LE_KEY_PGUP: return LE_ACT_PAGE_UP;
    case 'q':
    case 3:
    case 4: return LE_ACT_QUIT;
    default: return LE_ACT_NONE;
    }
}

void le_screen_begin(le_screen *s)
{
    struct winsize ws;
    *s = (le_screen){.rows = 24, .cols = 80};
    if (!ioctl(tty_out, TIOCGWINSZ, &ws) && ws.ws_row > 0) s->rows = ws.ws_row, s->cols = ws.ws_col;
    resized = 0; /* this frame has the new size */
    le_screen_puts(s, "\x1b[H");
}

void le_screen_put(le_screen *s, const char *text, size_t n)
{
    LE_RESERVE(s->buf, s->cap, s->len + n + 1);
    memcpy(s->buf + s->len, text, n);
    s->len += n;
}

void le_screen_puts(le_screen *s, const char *text) { le_screen_put(s, text, strlen(text)); }

int le_screen_text(le_screen *s, const char *text, int width, int pad)
{
    int used = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p && used < width;) {
        size_t k = *p < 0x80 ? 1 : *p >= 0xF0 ? 4 : *p >= 0xE0 ? 3 : *p >= 0xC0 ? 2 : 1;
        int ctrl = *p < 0x20 || *p == 0x7F || (*p == 0xC2 && p[1] >= 0x80 && p[1] < 0xA0) || (k > 1 && *p < 0xC0);
        for (size_t i = 1; i < k; i++)
            if ((p[i] & 0xC0) != 0x80) ctrl = 1, k = 1;
        if (ctrl)
            le_screen_put(s, "?", 1);
        else
            le_screen_put(s, (const char *)p, k);
        p += k, used++;
    }
    for (; pad && used < width; used++) le_screen_put(s, " ", 1);
    return used;
}

void le_screen_line(le_screen *s, const char *style, const char *text)
{
    le_screen_puts(s, style);
    if (le_text_cols(text) > s->cols) {
        size_t n = strlen(text) + 8;
        char *cut = le_malloc(n);
        le_abbrev(cut, n, text, s->cols, 0);
        le_screen_text(s, cut, s->cols, 0);
        free(cut);
    } else {
        le_screen_text(s, text, s->cols, 0);
    }
    le_screen_puts(s, "\x1b[0m\x1b[K\r\n");
}

void le_screen_end(le_screen *s)
{
    if (write(tty_out, s->buf, s->len) < 0) { /* the terminal is gone; the next key read sees it */
    }
    free(s->buf);
    s->buf = NULL, s->len = s->cap = 0;
}

void le_fmt_us(double us, char *buf, size_t cap)
{
    double a = fabs(us);
    if (!isfinite(us))
        snprintf(buf, cap, "-");
    else if (a < 1000)
        snprintf(buf, cap, "%.0f us", us);
    else if (a < 1e6)
        snprintf(buf, cap, a < 1e4 ? "%.2f ms" : "%.1f ms", us / 1000);
    else
        snprintf(buf, cap, "%.2f s", us / 1e6);
}

/* ---- text that fits ---- */

static int is_utf8_cont(unsigned char c) { return (c & 0xC0) == 0x80; }

int le_text_cols(const char *text)
{
    int n = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) n += !is_utf8_cont(*p);
    return n;
}

/* Bytes of the first `cols` characters of text (fewer when it ends). */
static size_t cols_bytes(const char *text, int cols)
{
    const unsigned char *p = (const unsigned char *)text;
    size_t i = 0;
    for (int c = 0; p[i] && c <= cols; i++)
        if (!is_utf8_cont(p[i]) && ++c > cols) break;
    return i;
}

void le_abbrev(char *out, size_t cap, const char *text, int width, int keep_tail)
{
    int n = le_text_cols(text);
    if (n <= width) {
        snprintf(out, cap, "%s", text);
        return;
    }
    if (width <= 0) {
        snprintf(out, cap, "%s", "");
        return;
    }
    const char *mark = le_tui_cut_mark();
    if (keep_tail)
        snprintf(out, cap, "%s%s", mark, text + cols_bytes(text, n - (width - 1)));
    else
        snprintf(out, cap, "%.*s%s", (int)cols_bytes(text, width - 1), text, mark);
}

/* "UTF-8" or "utf8" anywhere in a locale name (C.UTF-8, en_US.utf8). */
static int names_utf8(const char *v)
{
    for (; *v; v++)
        if (!strncasecmp(v, "utf-8", 5) || !strncasecmp(v, "utf8", 4)) return 1;
    return 0;
}

int le_tui_utf8(void)
{
    static const char *const vars[] = {"LC_ALL", "LC_CTYPE", "LANG"};
    for (size_t i = 0; i < sizeof vars / sizeof *vars; i++) {
        const char *v = getenv(vars[i]);
        if (v && *v) return names_utf8(v);
    }
    return 0;
}

const char *le_tui_sigma(void) { return le_tui_utf8() ? "\xCF\x83" : "sd"; }
const char *le_tui_cut_mark(void) { return le_tui_utf8() ? "\xE2\x80\xA6" : "~"; }

/* The bytes of text's next line at cols columns: *take to show, *next to
 * skip (the break's spaces too). Breaks at a double space (between two
 * keys of the help), else a space, else wherever the line is full. */
static void wrap_line(const char *text, int cols, size_t *take, size_t *next)
{
    size_t all = strlen(text), fit = cols_bytes(text, cols);
    if (fit >= all) {
        *take = *next = all;
        return;
    }
    size_t cut = 0;
    for (size_t i = fit; i > 0 && !cut; i--) /* text[fit] exists: the text is longer */
        if (text[i] == ' ' && (text[i - 1] == ' ' || text[i + 1] == ' ')) cut = i;
    for (size_t i = fit; i > 0 && !cut; i--)
        if (text[i] == ' ') cut = i;
    if (!cut) cut = fit;
    while (cut > 1 && text[cut - 1] == ' ') cut--;
    *take = cut;
    while (text[cut] == ' ') cut++;
    *next = cut;
}

int le_wrap_count(const char *text, int cols)
{
    int lines = 0;
    size_t take, next;
    do {
        wrap_line(text, cols > 0 ? cols : 1, &take, &next);
        text += next, lines++;
    } while (*text);
    return lines;
}

const char *le_keys_for(const le_screen *s, const char *keys)
{
    return le_wrap_count(keys, s->cols) * 3 > s->rows ? " ? keys  q quit" : keys;
}

int le_screen_wrap(le_screen *s, const char *style, const char *text)
{
    int lines = 0;
    size_t take, next;
    char line[1024];
    do {
        wrap_line(text, s->cols > 0 ? s->cols : 1, &take, &next);
        snprintf(line, sizeof line, "%.*s", (int)take, text);
        le_screen_puts(s, style);
        le_screen_text(s, line, s->cols, 1);
        le_screen_puts(s, "\x1b[0m\x1b[K\r\n");
        text += next, lines++;
    } while (*text);
    return lines;
}
