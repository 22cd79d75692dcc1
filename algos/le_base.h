/* le_base: the few things every layer shares — error reporting, checked
 * allocation, growable arrays and logging. No MPI here.
 *
 * Error convention (after PETSc): a function that can fail returns int,
 * 0 on success or an LE_ERR_* code. The first failure records a message with
 * le_fail(); callers propagate with LE_CHECK(), which adds a "from" line so
 * the message reads like a stack. The driver prints le_errmsg() once. */
#ifndef LE_BASE_H
#define LE_BASE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum {
    LE_OK = 0,
    LE_ERR_IO = 1,     /* file missing, unreadable, unwritable */
    LE_ERR_FORMAT = 2, /* input does not follow its format */
    LE_ERR_USAGE = 3,  /* bad command line or option value */
    LE_ERR_NOMEM = 4,
    LE_ERR_HDF5 = 5,
    LE_ERR_MPI = 6,
    LE_ERR_STRICT = 7, /* --strict stopped at a dropped record */
    LE_ERR_INTERNAL = 8,
    LE_ERR_NEEDS_LABELS = 9,   /* label --import: the file labels none of the representatives yet */
    LE_ERR_EMPTY_CORPUS = 10,  /* ingest: no trace left, no corpus written (docs/ingest.md, "Exit status") */
    LE_ERR_MOSTLY_DROPPED = 11 /* ingest: more than half of the rows dropped; the corpus is written */
};

/* Record an error message (printf-style) and return code, so a caller can
 * write: return le_fail(LE_ERR_FORMAT, "%s:%d: bad field", path, line); */
int le_fail(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* le_fail with ": strerror(errno)" appended when errno is set: for a failed
 * create, write or close, so a full disk or a missing directory says so.
 * Set errno = 0 before the call whose failure this reports. */
int le_fail_errno(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
const char *le_errmsg(void);
void le_err_clear(void);
void le_err_from(const char *func);

#define LE_CHECK(expr)             \
    do {                           \
        int le_rc_ = (expr);       \
        if (le_rc_) {              \
            le_err_from(__func__); \
            return le_rc_;         \
        }                          \
    } while (0)

/* Allocation that never returns NULL: on failure it prints and aborts the
 * process (MPI jobs cannot recover from OOM in a meaningful way). */
void *le_malloc(size_t n);
void *le_calloc(size_t n, size_t size);
/* le_malloc for arrays of many MiB that are filled at once (a shard's
 * vectors): aligned to 2 MiB and advised as transparent huge pages, so the
 * first touch costs a page fault per 2 MiB, not per 4 KiB (a third of the
 * time of building the vectors on a VM with costly faults). free() it. */
void *le_malloc_big(size_t n);
void *le_realloc(void *p, size_t n);
/* Memory freed so far back to the system (glibc malloc_trim; nothing
 * elsewhere). A loop that allocates and frees a chunk's arrays each step
 * calls it per step: glibc's growing mmap threshold serves them from a heap
 * that fragments, and without it the peak grows with the steps (80 MB a
 * rank over the 150 chunks of 1e7 traces; every 8th step: 55 MB). The cost
 * is the pages the next step touches again: 40% on the streamed passes. */
void le_heap_trim(void);
char *le_strdup(const char *s);
char *le_strndup(const char *s, size_t n);
/* s[0..*n) without its leading and trailing spaces and tabs: the new start,
 * *n its length. Trace ids are taken this way everywhere (ingest of every
 * format, labels files), so the same id always matches (docs/formats.md). */
const char *le_trim_blanks(const char *s, size_t *n);

/* Grow *p (elements of size elem) so it holds at least need elements. */
void le_reserve(void **p, size_t *cap, size_t need, size_t elem);
#define LE_RESERVE(ptr, cap, need) le_reserve((void **)&(ptr), &(cap), (need), sizeof(*(ptr)))

/* Logging to stderr. Level: 0 errors only, 1 info (default), 2 debug.
 * le_log_rank is set by the driver so only rank 0 logs by default. */
extern int le_log_level;
extern int le_log_rank;
void le_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void le_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void le_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
double le_now(void); /* monotonic seconds */
/* This process' CPU time (user + system, seconds). On a machine shared with
 * other jobs a stage's CPU time at one rank is its work, where the wall
 * clock also counts the time others held the cores. (At more ranks MPI's
 * busy waiting in collectives counts as CPU time too.) */
double le_cpu_seconds(void);

#endif
