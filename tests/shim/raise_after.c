/* raise_after: an LD_PRELOAD shim for tests that need a real signal at a
 * known point of a run, without a hook in the program. It wraps vfprintf
 * (labelease's log lines go through it) and, once a line written to stderr
 * contains $LE_RAISE_AFTER_TEXT, raises $LE_RAISE_SIGNAL (USR1 or TERM) in
 * this process right after writing it, once. Example (tests/e2e/
 * train_checkpoint.sh): "train: step 25/" with --log-every 1 stops training
 * at the end of step 26 — the handler records the signal after step 25's
 * progress line, and step 26's allreduce carries it to every rank.
 * Without the variables it only passes the calls through. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef int (*vfprintf_fn)(FILE *, const char *, va_list);

static int fired;

/* The text this call prints, when it goes to stderr and may be the line. */
static int matches(FILE *f, const char *fmt, va_list ap, const char *want)
{
    if (f != stderr || !want || !*want) return 0;
    char line[4096];
    va_list copy;
    va_copy(copy, ap);
    vsnprintf(line, sizeof line, fmt, copy);
    va_end(copy);
    return strstr(line, want) != NULL;
}

int vfprintf(FILE *f, const char *fmt, va_list ap)
{
    static vfprintf_fn real;
    if (!real) real = (vfprintf_fn)dlsym(RTLD_NEXT, "vfprintf");
    const int hit = !fired && matches(f, fmt, ap, getenv("LE_RAISE_AFTER_TEXT"));
    int n = real(f, fmt, ap);
    if (hit) {
        const char *s = getenv("LE_RAISE_SIGNAL");
        fired = 1;
        fflush(f);
        raise(s && !strcmp(s, "TERM") ? SIGTERM : SIGUSR1);
    }
    return n;
}
