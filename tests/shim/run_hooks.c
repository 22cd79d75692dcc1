/* run_hooks: an LD_PRELOAD shim with which tests/e2e/run_kill.sh puts a
 * signal or a kill at an exact point of `labelease run`, with no test code
 * in the program. Built only with the tests (tests/CMakeLists.txt, its path
 * in LE_RUN_HOOKS); preloaded into the ranks alone (mpiexec -x LD_PRELOAD).
 *
 * It wraps rename(2). run's rank 0 writes DIR/manifest.json as
 * manifest.json.tmp then renames it, once as each stage starts (the stage
 * "running") and once as it ends ("completed", ...); the last stage in the
 * temporary file is the one being recorded (docs/run.md, "Manifest and
 * restart"). Two variables pick the moment:
 *
 *   LE_HOOK_SIGNAL_AT=STAGE      after the rename that records STAGE running,
 *                                raise a real SIGUSR1 in this process (rank 0):
 *                                the signal reaches run as STAGE starts, as
 *                                Slurm's --signal would at that moment.
 *   LE_HOOK_HOLD_MANIFEST=STAGE  before the rename that records STAGE
 *                                completed, say so on stderr and sleep 60 s:
 *                                the test kills rank 0 between the complete
 *                                temporary file and the rename.
 *
 * Neither finding its moment is not an error here: the test then fails on
 * what it checks (exit 75, the hold line in the log). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int ends_with(const char *s, const char *tail)
{
    size_t n = strlen(s), m = strlen(tail);
    return n >= m && !strcmp(s + n - m, tail);
}

/* The quoted value after `key` in s, into buf. */
static int quoted_after(const char *s, const char *key, char *buf, size_t cap)
{
    const char *p = strstr(s, key);
    if (!p) return -1;
    p += strlen(key);
    const char *e = strchr(p, '"');
    if (!e || (size_t)(e - p) >= cap) return -1;
    memcpy(buf, p, (size_t)(e - p));
    buf[e - p] = 0;
    return 0;
}

/* Name and status of the last stage in the manifest file at path. */
static int last_stage(const char *path, char *name, char *status, size_t cap)
{
    FILE *f = fopen(path, "r");
    if (!f) return -1;
    static char text[1 << 20];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = 0;
    const char *last = NULL;
    for (const char *p = text; (p = strstr(p, "{\"name\": \"")); p++) last = p;
    if (!last) return -1;
    if (quoted_after(last, "{\"name\": \"", name, cap) || quoted_after(last, "\"status\": \"", status, cap)) return -1;
    return 0;
}

static int wants(const char *var, const char *stage, const char *status, const char *want_status)
{
    const char *v = getenv(var);
    return v && !strcmp(v, stage) && !strcmp(status, want_status);
}

int rename(const char *from, const char *to)
{
    int (*real)(const char *, const char *) = (int (*)(const char *, const char *))dlsym(RTLD_NEXT, "rename");
    char stage[64], status[64];
    if (!ends_with(to, "/manifest.json") || last_stage(from, stage, status, sizeof stage)) return real(from, to);
    if (wants("LE_HOOK_HOLD_MANIFEST", stage, status, "completed")) {
        fprintf(stderr, "run_hooks: holding %s (%s completed) before its rename\n", from, stage);
        fflush(stderr);
        sleep(60);
    }
    int rc = real(from, to);
    if (wants("LE_HOOK_SIGNAL_AT", stage, status, "running")) {
        fprintf(stderr, "run_hooks: SIGUSR1 as %s starts\n", stage);
        raise(SIGUSR1);
    }
    return rc;
}
