/* fuzz_common.h: what every libFuzzer target of fuzz/ shares. The readers
 * take file paths, so each input is written to a per-process file in
 * /dev/shm (or $TMPDIR, or /tmp) and the reader is called on it. */
#ifndef LE_FUZZ_COMMON_H
#define LE_FUZZ_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "ingest.h"
#include "le_base.h"

/* The path of this process's input file (created on first use). */
static inline const char *fuzz_path(void)
{
    static char path[512];
    if (!path[0]) {
        const char *dir = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : getenv("TMPDIR");
        if (!dir) dir = "/tmp";
        snprintf(path, sizeof path, "%s/le_fuzz_%ld.in", dir, (long)getpid());
    }
    return path;
}

/* Write data to the input file; returns its path (aborts when it cannot). */
static inline const char *fuzz_write(const uint8_t *data, size_t size)
{
    const char *path = fuzz_path();
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
    return path;
}

static void fuzz_cleanup(void) { unlink(fuzz_path()); }

/* Called once: quiet logging, remove the input file at exit. */
static void fuzz_init(void)
{
    le_log_level = 0;
    atexit(fuzz_cleanup);
}

/* A target with nothing else to set up defines FUZZ_DEFAULT_INIT first. */
#ifdef FUZZ_DEFAULT_INIT
int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    return 0;
}
#endif

/* Read the trace file at path into a fresh span buffer, then free it all:
 * with map the CSV reader, else the JSON reader read_json. */
static inline void fuzz_spans(const char *path, int strict, int (*read_json)(le_parse_ctx *), const le_csv_map *map)
{
    le_spanbuf buf;
    le_ingest_stats st;
    le_spanbuf_init(&buf);
    le_stats_init(&st);
    le_parse_ctx ctx = {
        .out = &buf, .st = &st, .path = path, .file = 0, .file_label = -1, .strict = strict, .max_duration_us = INT64_MAX};
    if (map)
        le_read_csv(&ctx, map);
    else
        read_json(&ctx);
    le_spanbuf_free(&buf);
    le_err_clear();
}

#endif
