/* tui: the terminal plumbing of the labelers for SSH sessions (label --tui,
 * label-rootcause): raw mode with the alternate screen, keys, and a screen
 * drawn into one buffer and written at once. Plain ANSI escapes and
 * termios, no ncurses: any VT100-compatible terminal shows it, and the
 * binary gains no dependency a cluster might lack. */
#ifndef LE_TUI_H
#define LE_TUI_H

#include <stddef.h>

/* Raw mode (no echo, no line buffering, Ctrl-C as a key) on the controlling
 * terminal and the alternate screen. Fails, naming `what` (e.g. "--tui"),
 * when stdin is not a terminal. The screen is stdout, or /dev/tty when
 * stdout is redirected (the report then goes to the file). */
int le_tui_begin(const char *what);
/* Back to the terminal as it was; also done on SIGTERM and SIGHUP (the
 * labels are already on disk then: only the terminal needs care). */
void le_tui_end(void);

/* Keys beyond bytes: arrows, page keys, a resize, a bare Escape. Bytes come
 * as themselves: Enter is 13 (ICRNL is off), Backspace 127. */
enum { LE_KEY_NONE = 0, LE_KEY_ESC = 27, LE_KEY_UP = 1000, LE_KEY_DOWN, LE_KEY_PGUP, LE_KEY_PGDN, LE_KEY_RESIZE };
/* One key; 'q' when the terminal went away. */
int le_tui_key(void);

typedef struct le_screen {
    char *buf;
    size_t len, cap;
    int rows, cols;
} le_screen;

/* Start a frame: the terminal's size, the cursor home. */
void le_screen_begin(le_screen *s);
void le_screen_put(le_screen *s, const char *text, size_t n);
void le_screen_puts(le_screen *s, const char *text);
/* Append untrusted text in at most width columns (a UTF-8 sequence counts
 * as one; control bytes become '?', so a name cannot send escape sequences
 * to the terminal), padded with spaces when pad; returns columns used. */
int le_screen_text(le_screen *s, const char *text, int width, int pad);
/* One full-width line: style (an SGR escape or ""), text, clear to end. */
void le_screen_line(le_screen *s, const char *style, const char *text);
/* Write the frame to the terminal and free it. */
void le_screen_end(le_screen *s);

/* A duration: "850 us", "1.25 ms", "12.5 ms", "2.10 s", "-" when not finite. */
void le_fmt_us(double us, char *buf, size_t cap);

#endif
