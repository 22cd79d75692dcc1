/* bench_parse: how fast le_read_csv turns CSV into spanbuf records, in one
 * process (the per-rank figure). Prints key: value lines for scripts:
 *   bench_parse [--map NAME|FILE.ini] [--repeat N] FILE...
 * Each repeat parses every FILE into a fresh spanbuf; seconds is the best
 * repeat, so a warm page cache is measured, not the disk. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "le_base.h"

typedef struct bench_result {
    uint64_t bytes, rows, kept, dropped;
    double seconds;
} bench_result;

static int load_map(const char *arg, le_csv_map **map)
{
    size_t n = strlen(arg);
    if (strchr(arg, '/') || (n > 4 && !strcmp(arg + n - 4, ".ini"))) return le_csv_map_load(arg, map);
    return le_csv_map_named(arg, map);
}

static int parse_files(char **files, int nfiles, const le_csv_map *map, bench_result *res)
{
    le_spanbuf buf;
    le_ingest_stats st;
    le_spanbuf_init(&buf);
    le_stats_init(&st);
    double t0 = le_now();
    for (int i = 0; i < nfiles; i++) {
        le_parse_ctx ctx = {.out = &buf, .st = &st, .path = files[i], .file = (uint32_t)i,
                            .file_label = -1, .strict = 0, .max_duration_us = INT64_MAX};
        int rc = le_read_csv(&ctx, map);
        if (rc) {
            le_spanbuf_free(&buf);
            return rc;
        }
    }
    res->seconds = le_now() - t0;
    res->bytes = st.bytes_read;
    res->rows = st.rows_read;
    res->kept = buf.n;
    res->dropped = 0;
    for (int d = 0; d < LE_DROP_N; d++) res->dropped += st.dropped[d];
    le_spanbuf_free(&buf);
    return 0;
}

static void usage(void)
{
    fprintf(stderr, "usage: bench_parse [--map NAME|FILE.ini] [--repeat N] FILE...\n");
    exit(2);
}

int main(int argc, char **argv)
{
    const char *map_arg = "nezha";
    int repeat = 1, a = 1;
    for (; a < argc && !strncmp(argv[a], "--", 2); a++) {
        if (!strcmp(argv[a], "--map") && a + 1 < argc) map_arg = argv[++a];
        else if (!strcmp(argv[a], "--repeat") && a + 1 < argc) repeat = atoi(argv[++a]);
        else usage();
    }
    if (a >= argc || repeat < 1) usage();
    le_csv_map *map;
    if (load_map(map_arg, &map)) {
        fprintf(stderr, "bench_parse: %s\n", le_errmsg());
        return 1;
    }
    bench_result best = {0}, r;
    for (int k = 0; k < repeat; k++) {
        if (parse_files(argv + a, argc - a, map, &r)) {
            fprintf(stderr, "bench_parse: %s\n", le_errmsg());
            le_csv_map_free(map);
            return 1;
        }
        if (k == 0 || r.seconds < best.seconds) best = r;
    }
    le_csv_map_free(map);
    printf("files: %d\nbytes: %llu\nrows: %llu\nkept: %llu\ndropped: %llu\nseconds: %.3f\nmb_per_s: %.1f\n",
           argc - a, (unsigned long long)best.bytes, (unsigned long long)best.rows, (unsigned long long)best.kept,
           (unsigned long long)best.dropped, best.seconds, best.bytes / 1e6 / best.seconds);
    return 0;
}
