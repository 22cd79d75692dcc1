/* bench_json: time one JSON reader on one file, single process.
 *
 *     bench_json jaeger|zipkin|otlp FILE [REPEATS]
 *
 * Prints key: value lines (bytes, spans, seconds, mb_per_s) for the best of
 * REPEATS runs (default 1). The spans are kept in a span buffer as in a real
 * ingest, so the figure includes interning and the buffer's growth. Make a
 * big Jaeger file with bench/gen_jaeger_json.py. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ingest.h"
#include "le_base.h"

typedef int (*reader_fn)(le_parse_ctx *);

static reader_fn reader_named(const char *name)
{
    if (!strcmp(name, "jaeger")) return le_read_jaeger;
    if (!strcmp(name, "zipkin")) return le_read_zipkin;
    if (!strcmp(name, "otlp")) return le_read_otlp;
    return NULL;
}

/* One full read; returns seconds, or a negative value on error. */
static double time_one(reader_fn fn, const char *path, uint64_t *bytes, size_t *spans)
{
    le_spanbuf buf;
    le_ingest_stats st;
    le_spanbuf_init(&buf);
    le_stats_init(&st);
    le_parse_ctx ctx = {.out = &buf, .st = &st, .path = path, .file_label = -1, .max_duration_us = INT64_MAX};
    double t = le_now();
    int rc = fn(&ctx);
    t = le_now() - t;
    if (rc) fprintf(stderr, "bench_json: %s\n", le_errmsg());
    *bytes = st.bytes_read;
    *spans = buf.n;
    le_spanbuf_free(&buf);
    return rc ? -1 : t;
}

int main(int argc, char **argv)
{
    reader_fn fn = argc >= 3 ? reader_named(argv[1]) : NULL;
    if (!fn) {
        fprintf(stderr, "usage: bench_json jaeger|zipkin|otlp FILE [REPEATS]\n");
        return 2;
    }
    int repeats = argc > 3 ? atoi(argv[3]) : 1;
    double best = -1;
    uint64_t bytes = 0;
    size_t spans = 0;
    for (int r = 0; r < (repeats > 0 ? repeats : 1); r++) {
        double t = time_one(fn, argv[2], &bytes, &spans);
        if (t < 0) return 1;
        if (best < 0 || t < best) best = t;
    }
    printf("format: %s\nfile: %s\nbytes: %llu\nspans: %zu\nseconds: %.3f\nmb_per_s: %.1f\n", argv[1], argv[2],
           (unsigned long long)bytes, spans, best, bytes / 1e6 / best);
    return 0;
}
