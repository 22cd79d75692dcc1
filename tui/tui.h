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
enum {
    LE_KEY_NONE = 0,
    LE_KEY_ESC = 27,
    LE_KEY_UP = 1000,
    LE_KEY_DOWN,
    LE_KEY_PGUP,
    LE_KEY_PGDN,
    LE_KEY_RESIZE,
    LE_KEY_LEFT,
    LE_KEY_RIGHT
};
/* One key; 'q' when the terminal went away. */
int le_tui_key(void);

/* The keys both labelers share with both pages (docs/labeling-ui.md,
 * "Keys"), read in one place so the terminals cannot drift apart. */
typedef enum le_tui_act {
    LE_ACT_NONE,
    LE_ACT_NEXT,      /* j, Down: next item of the list */
    LE_ACT_PREV,      /* k, Up */
    LE_ACT_NEXT_OPEN, /* Enter: the next unlabeled (unconfirmed) item */
    LE_ACT_UNDO,      /* u */
    LE_ACT_FILTER,    /* f */
    LE_ACT_HELP,      /* ? */
    LE_ACT_PAGE_DOWN, /* PgDn, space: scroll the lower pane */
    LE_ACT_PAGE_UP,   /* PgUp */
    LE_ACT_QUIT       /* q, Ctrl-C, Ctrl-D */
} le_tui_act;
le_tui_act le_tui_common_key(int key);

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
/* One full-width line: style (an SGR escape or ""), text (shortened with
 * the cut mark when longer), clear to end. */
void le_screen_line(le_screen *s, const char *style, const char *text);
/* Write the frame to the terminal and free it. */
void le_screen_end(le_screen *s);

/* Lines le_screen_wrap takes for text at cols columns (words kept whole
 * where they fit). */
int le_wrap_count(const char *text, int cols);
/* text over as many full-width lines as it needs, broken at spaces: the
 * key help stays whole on a narrow terminal. Returns the lines drawn. */
int le_screen_wrap(le_screen *s, const char *style, const char *text);

/* The key help to show at this size: all of it, or on a screen too small
 * for it (more than a third of the rows) a line that says where it is. */
const char *le_keys_for(const le_screen *s, const char *keys);

/* Whether the terminal takes UTF-8: LC_ALL, else LC_CTYPE, else LANG names
 * it (the first of them that is set decides, as setlocale would). */
int le_tui_utf8(void);
/* The standard deviation's sign: "σ" on a UTF-8 terminal, "sd" otherwise
 * (never a bare "s", which reads as seconds beside a duration). */
const char *le_tui_sigma(void);
/* The mark of a shortened name: "…" on a UTF-8 terminal, "~" otherwise. */
const char *le_tui_cut_mark(void);
/* Columns text takes on screen (a UTF-8 sequence counts as one). */
int le_text_cols(const char *text);
/* text in at most width columns into out: whole when it fits, else its
 * head (keep_tail 0) or its tail (keep_tail 1) with the cut mark where
 * the rest was, so a shortened name says it was shortened. */
void le_abbrev(char *out, size_t cap, const char *text, int width, int keep_tail);

/* A duration: "850 us", "1.25 ms", "12.5 ms", "2.10 s", "-" when not finite. */
void le_fmt_us(double us, char *buf, size_t cap);

#endif
