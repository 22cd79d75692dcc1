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
        if (seq[1] == '5') return LE_KEY_PGUP;
        if (seq[1] == '6') return LE_KEY_PGDN;
    }
    return LE_KEY_NONE;
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
    le_screen_text(s, text, s->cols, 0);
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
