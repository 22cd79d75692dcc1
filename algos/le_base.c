#include "le_base.h"

#include <sys/mman.h>
#include <sys/resource.h>

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static char errbuf[4096];
static size_t errlen;

int le_fail(int code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    errlen = n < 0 ? 0 : ((size_t)n < sizeof errbuf ? (size_t)n : sizeof errbuf - 1);
    return code;
}

int le_fail_errno(int code, const char *fmt, ...)
{
    int err = errno; /* before vsnprintf can touch it */
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(errbuf, sizeof errbuf, fmt, ap);
    va_end(ap);
    errlen = n < 0 ? 0 : ((size_t)n < sizeof errbuf ? (size_t)n : sizeof errbuf - 1);
    if (err && errlen + 8 < sizeof errbuf) {
        n = snprintf(errbuf + errlen, sizeof errbuf - errlen, ": %s", strerror(err));
        if (n > 0) errlen += (size_t)n < sizeof errbuf - errlen ? (size_t)n : sizeof errbuf - errlen - 1;
    }
    return code;
}

void le_err_from(const char *func)
{
    if (le_log_level < 2 || errlen + 16 >= sizeof errbuf) return;
    int n = snprintf(errbuf + errlen, sizeof errbuf - errlen, "\n  from %s", func);
    if (n > 0) errlen += (size_t)n < sizeof errbuf - errlen ? (size_t)n : sizeof errbuf - errlen - 1;
}

const char *le_errmsg(void) { return errlen ? errbuf : "unknown error"; }
void le_err_clear(void)
{
    errlen = 0;
    errbuf[0] = 0;
}

static void die_nomem(size_t n)
{
    fprintf(stderr, "labelease: error: out of memory allocating %zu bytes\n", n);
    abort();
}

void *le_malloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p) die_nomem(n);
    return p;
}

void *le_malloc_big(size_t n)
{
    const size_t huge = (size_t)2 << 20;
    if (n < 4 * huge) return le_malloc(n);
    void *p = NULL;
    if (posix_memalign(&p, huge, n)) die_nomem(n);
#ifdef MADV_HUGEPAGE
    madvise(p, n, MADV_HUGEPAGE); /* a hint: without it the array is still there, in 4 KiB pages */
#endif
    return p;
}

void *le_calloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) die_nomem(n * size);
    return p;
}

void le_heap_trim(void)
{
#ifdef __GLIBC__
    malloc_trim(0);
#endif
}

void *le_realloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q) die_nomem(n);
    return q;
}

char *le_strndup(const char *s, size_t n)
{
    char *d = le_malloc(n + 1);
    memcpy(d, s, n);
    d[n] = 0;
    return d;
}

char *le_strdup(const char *s) { return le_strndup(s, strlen(s)); }

const char *le_trim_blanks(const char *s, size_t *n)
{
    while (*n && (*s == ' ' || *s == '\t')) s++, (*n)--;
    while (*n && (s[*n - 1] == ' ' || s[*n - 1] == '\t')) (*n)--;
    return s;
}

void le_reserve(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap) return;
    size_t c = *cap ? *cap : 16;
    while (c < need) c += c / 2 + 16;
    *p = le_realloc(*p, c * elem);
    *cap = c;
}

int le_log_level = 1;
int le_log_rank = 0;

/* The line through one vfprintf: on the unbuffered stderr glibc writes a
 * call's output at once, and vfprintf is what tests/shim/raise_after.c
 * watches. */
static void put_line(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
}

/* One write of the whole line: stderr is unbuffered, and the ranks share
 * it; written in three parts, another rank's line could land between them
 * (seen in e2e_bad_usage under load: "labelease: labelease: stopped ..."). */
static void vlog(const char *tag, const char *fmt, va_list ap)
{
    char line[4096];
    int n = snprintf(line, sizeof line, "labelease%s: ", tag);
    if (n < 0 || n >= (int)sizeof line - 2) n = 0;
    int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
    if (m < 0) m = 0;
    n += m < (int)(sizeof line - (size_t)n - 2) ? m : (int)(sizeof line - (size_t)n - 2); /* cut, not lost */
    line[n++] = '\n', line[n] = 0;
    put_line("%s", line);
}

void le_info(const char *fmt, ...)
{
    if (le_log_level < 1 || le_log_rank != 0) return;
    va_list ap;
    va_start(ap, fmt);
    vlog("", fmt, ap);
    va_end(ap);
}

void le_debug(const char *fmt, ...)
{
    if (le_log_level < 2) return;
    va_list ap;
    va_start(ap, fmt);
    char tag[32];
    snprintf(tag, sizeof tag, "[%d]", le_log_rank);
    vlog(tag, fmt, ap);
    va_end(ap);
}

void le_warn(const char *fmt, ...)
{
    if (le_log_rank != 0) return;
    va_list ap;
    va_start(ap, fmt);
    vlog(": warning", fmt, ap);
    va_end(ap);
}

double le_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

double le_cpu_seconds(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru)) return 0;
    return (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) + 1e-6 * (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec);
}
