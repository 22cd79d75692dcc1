/* CSV trace reader: named layouts, mapping files, broken rows, line numbers,
 * unit conversions; with $LE_SHARED/data, the whole Nezha and DeepTraLog sets.
 * Fixtures: tests/fixtures/csv/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>

#include "ingest.h"
#include "le_base.h"

typedef struct parsed {
    le_spanbuf buf;
    le_ingest_stats st;
    int rc;
} parsed;

static const char *src_dir(void)
{
    const char *s = getenv("LE_SRC");
    return s ? s : ".";
}

static char *fixture(const char *name)
{
    static char path[4096];
    snprintf(path, sizeof path, "%s/tests/fixtures/csv/%s", src_dir(), name);
    return path;
}

static le_csv_map *load_map(const char *name_or_fixture)
{
    le_csv_map *m = NULL;
    int rc = strstr(name_or_fixture, ".ini") ? le_csv_map_load(fixture(name_or_fixture), &m)
                                             : le_csv_map_named(name_or_fixture, &m);
    if (rc) fprintf(stderr, "map %s: %s\n", name_or_fixture, le_errmsg());
    assert_int_equal(rc, 0);
    return m;
}

typedef struct opts {
    int strict;
    int8_t file_label;
    int64_t max_duration_us;
} opts;

static void parse_path(parsed *p, const char *path, const char *map_name, opts o)
{
    le_spanbuf_init(&p->buf);
    le_stats_init(&p->st);
    le_err_clear();
    le_csv_map *m = load_map(map_name);
    le_parse_ctx ctx = {.out = &p->buf,
                        .st = &p->st,
                        .path = path,
                        .file = 0,
                        .file_label = o.file_label,
                        .strict = o.strict,
                        .max_duration_us = o.max_duration_us ? o.max_duration_us : INT64_MAX};
    p->rc = le_read_csv(&ctx, m);
    le_csv_map_free(m);
}

static void parse(parsed *p, const char *name, const char *map_name)
{
    char path[4096]; /* fixture() reuses its buffer for the map */
    snprintf(path, sizeof path, "%s", fixture(name));
    parse_path(p, path, map_name, (opts){0, -1, 0});
}

static void done(parsed *p) { le_spanbuf_free(&p->buf); }

static uint64_t dropped_total(const parsed *p)
{
    uint64_t n = 0;
    for (int d = 0; d < LE_DROP_N; d++) n += p->st.dropped[d];
    return n;
}

/* rows read = spans kept + every drop: the accounting the summary relies on */
static void assert_accounted(const parsed *p) { assert_int_equal(p->st.rows_read, p->buf.n + dropped_total(p)); }

static void assert_examples(const parsed *p, le_drop why, uint64_t a, uint64_t b, uint64_t c)
{
    const uint64_t want[LE_EXAMPLES] = {a, b, c};
    for (int k = 0; k < LE_EXAMPLES; k++) {
        if (want[k]) {
            assert_int_equal(p->st.example[why][k].file, 0);
            assert_int_equal(p->st.example[why][k].pos, want[k]);
        } else {
            assert_int_equal(p->st.example[why][k].file, UINT32_MAX);
        }
    }
}

/* count of one drop reason and its first example lines (0 = empty slot) */
static void assert_drops(const parsed *p, le_drop why, uint64_t count, uint64_t a, uint64_t b, uint64_t c)
{
    assert_int_equal(p->st.dropped[why], count);
    assert_examples(p, why, a, b, c);
}

static size_t span_index(const parsed *p, const char *span_id)
{
    for (size_t i = 0; i < p->buf.n; i++)
        if (!strcmp(le_spanbuf_span_id(&p->buf, i), span_id)) return i;
    fail_msg("span %s not kept", span_id);
    return 0;
}

static const char *service_of(const parsed *p, size_t i) { return le_strtab_str(&p->buf.names, p->buf.service[i]); }
static const char *operation_of(const parsed *p, size_t i) { return le_strtab_str(&p->buf.names, p->buf.operation[i]); }
static const char *trace_of(const parsed *p, size_t i) { return le_strtab_str(&p->buf.traces, p->buf.trace[i]); }

static long file_size(const char *path)
{
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    return (long)sb.st_size;
}

/* ---- named layouts ---- */

static void test_nezha_layout(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "nezha.csv", "nezha");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.st.rows_read, 4);
    assert_int_equal(p.buf.n, 4);
    assert_int_equal(p.st.bytes_read, file_size(fixture("nezha.csv")));
    size_t root = span_index(&p, "520b067330e3ede5");
    assert_null(le_spanbuf_parent_id(&p.buf, root));
    assert_string_equal(trace_of(&p, root), "b0103bb0161ad7fa352fe1828eeb643a");
    assert_string_equal(service_of(&p, root), "ts-gateway-service");
    assert_string_equal(operation_of(&p, root), "/*");
    assert_int_equal(p.buf.start_us[root], 1674981768697000LL);
    assert_int_equal(p.buf.duration_us[root], 318316); /* the Duration column, not end - start */
    assert_int_equal(p.buf.pos[root], 2);
    assert_int_equal(p.buf.label[root], -1);
    assert_int_equal(p.buf.status_code[root], 0);
    size_t c = span_index(&p, "c2a1e0f7b3d4a5e6");
    assert_string_equal(le_spanbuf_parent_id(&p.buf, c), "a4424f20bffee416");
    assert_string_equal(service_of(&p, c), "ts-contacts-service");
    assert_int_equal(p.buf.start_us[c], 1674981768699001LL); /* ns floored to µs */
    assert_int_equal(p.buf.duration_us[c], 13001);
    size_t t = span_index(&p, "0f1e2d3c4b5a6978");
    assert_string_equal(service_of(&p, t), "ts-travel-service"); /* StatefulSet ordinal */
    assert_int_equal(p.buf.pos[t], 5);
    done(&p);
}

static void test_skywalking_layout(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "skywalking.csv", "skywalking");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.st.rows_read, 4);
    assert_int_equal(p.buf.n, 4);
    size_t root = span_index(&p, "ac847f0c99d5414d92511fcb3c6960a2.61.16276135661870058.0");
    assert_null(le_spanbuf_parent_id(&p.buf, root));
    assert_int_equal(p.buf.start_us[root], 1627613566187000LL);
    assert_int_equal(p.buf.duration_us[root], 44000); /* end - start, ms */
    assert_int_equal(p.buf.error[root], 1);
    assert_string_equal(service_of(&p, root), "ts-inside-payment-service");
    assert_string_equal(operation_of(&p, root), "{POST}/api/v1/inside_pay_service/inside_payment");
    assert_string_equal(trace_of(&p, root), "ac847f0c99d5414d92511fcb3c6960a2.61.16276135661870059");
    size_t db = span_index(&p, "dd48330667fb4392a656933b48eb4659.59.16276135662160120.1");
    assert_int_equal(p.buf.error[db], 0);
    assert_int_equal(p.buf.duration_us[db], 1000);
    assert_string_equal(le_spanbuf_parent_id(&p.buf, db), "dd48330667fb4392a656933b48eb4659.59.16276135662160120.0");
    assert_int_equal(p.buf.pos[db], 5); /* CRLF lines count once */
    done(&p);
}

static void test_aiops2022_layout(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "aiops2022.csv", "aiops2022");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.st.rows_read, 6);
    assert_int_equal(p.buf.n, 6);
    size_t root = span_index(&p, "d1b3f238e544e3f0");
    assert_null(le_spanbuf_parent_id(&p.buf, root)); /* empty parent_span */
    assert_string_equal(service_of(&p, root), "frontend");
    assert_int_equal(p.buf.start_us[root], 1647747340693000LL);
    assert_int_equal(p.buf.duration_us[root], 13385835);
    assert_string_equal(service_of(&p, span_index(&p, "b6d0fc6a971dfa53")), "productcatalogservice");
    assert_int_equal(p.buf.status_code[span_index(&p, "6bd44260603f2742")], 0); /* "OK" */
    assert_int_equal(p.buf.status_code[span_index(&p, "f11f9febb3737f4e")], 200);
    assert_int_equal(p.buf.status_code[span_index(&p, "687bd3fd6f9ba94b")], 0); /* "Ok" */
    done(&p);
}

static void test_tracevae_layout(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "tracevae_test.csv", "tracevae");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.buf.n, 3);
    size_t root = span_index(&p, "-1990250972");
    assert_null(le_spanbuf_parent_id(&p.buf, root)); /* parentSpanId 0 */
    assert_string_equal(trace_of(&p, root), "1596357529536981502-4448694259929862755");
    assert_int_equal(p.buf.start_us[root], 1651515009102000LL); /* 2022-05-02 18:10:09 UTC + 0.102 s */
    assert_int_equal(p.buf.duration_us[root], 4188000);         /* ms */
    assert_string_equal(service_of(&p, root), "310");
    assert_string_equal(operation_of(&p, root), "1413");
    for (size_t i = 0; i < p.buf.n; i++) assert_int_equal(p.buf.label[i], 1); /* graphStructureLabel = 1 */
    done(&p);

    parse(&p, "tracevae_train.csv", "tracevae"); /* no label columns: they are optional */
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.buf.n, 3);
    size_t leaf = span_index(&p, "292134812");
    assert_string_equal(le_spanbuf_parent_id(&p.buf, leaf), "-663518905");
    assert_int_equal(p.buf.label[leaf], -1);
    assert_int_equal(p.buf.start_us[leaf], 1651516336528000LL);
    assert_int_equal(p.buf.duration_us[leaf], 2000);
    done(&p);
}

/* ---- mess ---- */

static void test_broken_rows(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "broken_rows.csv", "nezha");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.st.rows_read, 13);
    assert_int_equal(p.buf.n, 2);
    assert_drops(&p, LE_DROP_BAD_ROW, 5, 3, 4, 11); /* 7 and 9 columns, two broken quotes, truncated last line */
    assert_drops(&p, LE_DROP_UNPARSABLE, 2, 5, 6, 0);
    assert_drops(&p, LE_DROP_MISSING_FIELD, 3, 7, 8, 9);
    assert_drops(&p, LE_DROP_NEGATIVE_DURATION, 1, 10, 0, 0);
    assert_accounted(&p);
    size_t s12 = span_index(&p, "s12");
    assert_int_equal(p.buf.pos[s12], 14); /* after a blank line and two resyncs */
    assert_string_equal(service_of(&p, s12), "ts-travel-service");
    done(&p);
}

static void test_strict_stops_at_first_drop(void **state)
{
    (void)state;
    parsed p;
    char path[4096];
    snprintf(path, sizeof path, "%s", fixture("broken_rows.csv"));
    parse_path(&p, path, "nezha", (opts){1, -1, 0});
    assert_int_equal(p.rc, LE_ERR_STRICT);
    assert_non_null(strstr(le_errmsg(), "broken_rows.csv:3:"));
    assert_non_null(strstr(le_errmsg(), "malformed_rows"));
    /* the failed file is rolled back whole, as in the JSON readers */
    assert_int_equal(p.st.rows_read, 0);
    assert_int_equal(p.buf.n, 0);
    assert_int_equal(p.st.dropped[LE_DROP_BAD_ROW], 0);
    assert_true(p.st.bytes_read > 0);
    done(&p);
}

static void test_quoted_fields(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "quoted.csv", "nezha");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.st.rows_read, 4);
    assert_int_equal(p.buf.n, 4);
    assert_string_equal(operation_of(&p, span_index(&p, "s1")), "GET /a, /b");
    size_t s2 = span_index(&p, "s2");
    assert_string_equal(operation_of(&p, s2), "multi\nline\nop");
    assert_int_equal(p.buf.pos[s2], 3);
    size_t s3 = span_index(&p, "s3");
    assert_string_equal(trace_of(&p, s3), "t1\nx");
    assert_int_equal(p.buf.pos[s3], 6); /* the line the row starts on */
    size_t s4 = span_index(&p, "s4");
    assert_string_equal(operation_of(&p, s4), "say \"hi\"");
    assert_int_equal(p.buf.pos[s4], 8);
    assert_int_equal(p.buf.duration_us[s4], 2000); /* empty end is fine: duration wins */
    assert_string_equal(service_of(&p, s4), "frontend");
    done(&p);
}

static void test_bom_and_crlf(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "bom_crlf.csv", "nezha");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.buf.n, 3);
    assert_int_equal(p.st.bytes_read, file_size(fixture("bom_crlf.csv")));
    size_t q = span_index(&p, "a4424f20bffee416");
    assert_string_equal(operation_of(&p, q), "quoted\r\nop");
    assert_int_equal(p.buf.pos[q], 3);
    size_t last = span_index(&p, "c2a1e0f7b3d4a5e6");
    assert_int_equal(p.buf.pos[last], 5);
    assert_int_equal(p.buf.duration_us[last], 13001); /* no stray CR in the last column */
    done(&p);
}

static void test_missing_header_column(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "missing_column.csv", "nezha");
    assert_int_equal(p.rc, LE_ERR_FORMAT);
    assert_non_null(strstr(le_errmsg(), "missing_column.csv:1"));
    assert_non_null(strstr(le_errmsg(), "'PodName'"));
    assert_int_equal(p.st.rows_read, 0);
    done(&p);
}

static void test_empty_and_header_only(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "empty.csv", "nezha");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.st.rows_read, 0);
    done(&p);
    parse(&p, "header_only.csv", "nezha");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.st.rows_read, 0);
    assert_int_equal(p.buf.n, 0);
    done(&p);
}

static void test_unterminated_quote_at_eof(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "unterminated.csv", "nezha");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.st.rows_read, 3); /* the quote opened on line 3 took line 4 too */
    assert_int_equal(p.buf.n, 1);
    assert_drops(&p, LE_DROP_BAD_ROW, 2, 3, 0, 0);
    assert_int_equal(p.st.swallowed.first, 3);
    assert_int_equal(p.st.swallowed.last, 4);
    assert_accounted(&p);
    done(&p);
}

/* A quote opened on line 5 and never closed takes lines 5-10, up to the
 * quote on line 10 that breaks it: six lines, six malformed rows (not one),
 * named in the summary; reading resumes on line 11. */
static void test_unterminated_quote_swallows_lines(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "swallowed.csv", "nezha");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.st.rows_read, 11);
    assert_int_equal(p.buf.n, 5);
    assert_drops(&p, LE_DROP_BAD_ROW, 6, 5, 0, 0);
    assert_int_equal(p.st.swallowed.file, 0);
    assert_int_equal(p.st.swallowed.first, 5);
    assert_int_equal(p.st.swallowed.last, 10);
    assert_accounted(&p);
    assert_int_equal(p.buf.pos[span_index(&p, "s10")], 11);
    done(&p);
    char path[4096];
    snprintf(path, sizeof path, "%s", fixture("swallowed.csv"));
    parse_path(&p, path, "nezha", (opts){1, -1, 0});
    assert_int_equal(p.rc, LE_ERR_STRICT);
    assert_non_null(strstr(le_errmsg(), "swallowed.csv:5:"));
    assert_non_null(strstr(le_errmsg(), "lines 5-10 (6 lines) dropped"));
    done(&p);
}

static void test_missing_file(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "no_such_file.csv", "nezha");
    assert_int_equal(p.rc, LE_ERR_IO);
    assert_non_null(strstr(le_errmsg(), "no_such_file.csv"));
    done(&p);
}

/* A file that fails half way (here a gzip file cut short, after rows were
 * already parsed) leaves nothing behind: the rows and counts of the files
 * before it stay, its own are rolled back (ingest --keep-going relies on it). */
static void test_failed_file_rolls_back_alone(void **state)
{
    (void)state;
    char path[] = "/tmp/le_test_csv_gz_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    gzFile gz = gzdopen(fd, "wb");
    gzprintf(gz, "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n");
    for (int i = 0; i < 20000; i++)
        gzprintf(gz, "t%d,s%d,root,ts-order-service-5d8b9c7f4-abcde,op,%d000000000,%d000000001,1\n", i, i, 1674981768 + i,
                 1674981768 + i);
    assert_int_equal(gzclose(gz), Z_OK);
    struct stat sb;
    assert_int_equal(stat(path, &sb), 0);
    assert_int_equal(truncate(path, sb.st_size - 20), 0); /* the last block and trailer gone */

    parsed p;
    parse(&p, "nezha.csv", "nezha");
    assert_int_equal(p.rc, 0);
    size_t n = p.buf.n, ids = p.buf.ids_len;
    le_ingest_stats before = p.st;
    le_csv_map *m = load_map("nezha");
    le_parse_ctx ctx = {.out = &p.buf, .st = &p.st, .path = path, .file = 1, .file_label = -1, .max_duration_us = INT64_MAX};
    assert_int_equal(le_read_csv(&ctx, m), LE_ERR_FORMAT);
    le_csv_map_free(m);
    assert_non_null(strstr(le_errmsg(), path));
    assert_non_null(strstr(le_errmsg(), "gzip data ends early"));
    assert_int_equal(p.buf.n, n);
    assert_int_equal(p.buf.ids_len, ids);
    assert_int_equal(p.st.rows_read, before.rows_read);
    assert_memory_equal(p.st.dropped, before.dropped, sizeof before.dropped);
    assert_true(p.st.bytes_read > before.bytes_read); /* what the failed file took stays counted */
    unlink(path);
    done(&p);
}

/* ---- mapping files ---- */

static void test_headerless_numbers_and_decimals(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "headerless.tsv", "headerless.ini");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.st.rows_read, 4);
    assert_int_equal(p.buf.n, 2);
    size_t a = span_index(&p, "sp1");
    assert_null(le_spanbuf_parent_id(&p.buf, a)); /* -1 */
    assert_int_equal(p.buf.start_us[a], 1674981768500000LL);
    assert_int_equal(p.buf.duration_us[a], 1250);
    assert_int_equal(p.buf.error[a], 1);
    assert_int_equal(p.buf.pos[a], 1); /* no header: data from line 1 */
    size_t b = span_index(&p, "sp2");
    assert_int_equal(p.buf.start_us[b], 1674981768600123LL); /* extra digits truncated */
    assert_int_equal(p.buf.duration_us[b], 1);               /* 0.0015 ms */
    assert_int_equal(p.buf.error[b], 0);
    assert_drops(&p, LE_DROP_UNPARSABLE, 1, 3, 0, 0); /* error flag "maybe" */
    assert_drops(&p, LE_DROP_BAD_ROW, 1, 4, 0, 0);    /* 6 of 7 columns */
    assert_accounted(&p);
    done(&p);
}

static void test_label_status_error_columns(void **state)
{
    (void)state;
    parsed p;
    parse(&p, "labels_col.csv", "labels_col.ini");
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.st.rows_read, 7);
    assert_int_equal(p.buf.n, 4);
    assert_drops(&p, LE_DROP_UNPARSABLE, 3, 6, 7, 8); /* label "maybe", month 13, status "teapot" */
    /* trace ids and span ids repeat across traces: look rows up by line */
    for (size_t i = 0; i < p.buf.n; i++) {
        switch (p.buf.pos[i]) {
        case 2:
            assert_int_equal(p.buf.start_us[i], 1651515009500000LL);
            assert_int_equal(p.buf.duration_us[i], 750000);
            assert_int_equal(p.buf.status_code[i], 200);
            assert_int_equal(p.buf.error[i], 1);
            assert_int_equal(p.buf.label[i], 0);
            break;
        case 3:
            assert_int_equal(p.buf.start_us[i], 1651515009123456LL);
            assert_int_equal(p.buf.duration_us[i], 0);
            assert_int_equal(p.buf.status_code[i], 0);
            assert_int_equal(p.buf.label[i], -1);
            break;
        case 4:
            assert_int_equal(p.buf.start_us[i], 0);
            assert_int_equal(p.buf.duration_us[i], 1000000);
            assert_int_equal(p.buf.status_code[i], 14); /* UNAVAILABLE */
            assert_int_equal(p.buf.label[i], 1);
            break;
        case 5:
            assert_int_equal(p.buf.status_code[i], 500);
            assert_int_equal(p.buf.error[i], 0);
            assert_int_equal(p.buf.label[i], 1); /* "1.0" in one label column, the other empty */
            break;
        default: fail_msg("unexpected row at line %llu", (unsigned long long)p.buf.pos[i]);
        }
    }
    done(&p);
}

static void test_file_label_and_max_duration(void **state)
{
    (void)state;
    parsed p;
    char path[4096];
    snprintf(path, sizeof path, "%s", fixture("nezha.csv"));
    parse_path(&p, path, "nezha", (opts){0, 1, 100000});
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.buf.n, 2);
    assert_drops(&p, LE_DROP_ABSURD_DURATION, 2, 2, 3, 0);
    for (size_t i = 0; i < p.buf.n; i++) assert_int_equal(p.buf.label[i], 1);
    done(&p);
}

static void expect_map_error(const char *ini, int code, const char *words)
{
    le_csv_map *m = (le_csv_map *)1;
    le_err_clear();
    assert_int_equal(le_csv_map_load(fixture(ini), &m), code);
    assert_null(m);
    if (!strstr(le_errmsg(), words)) fail_msg("'%s' not in: %s", words, le_errmsg());
}

static void test_map_errors(void **state)
{
    (void)state;
    expect_map_error("bad_unknown_key.ini", LE_ERR_FORMAT, "bad_unknown_key.ini:7: unknown key 'duratoin' in [columns]");
    expect_map_error("bad_no_unit.ini", LE_ERR_FORMAT, "duration_unit");
    expect_map_error("bad_unit.ini", LE_ERR_FORMAT, "minutes");
    expect_map_error("nonexistent.ini", LE_ERR_IO, "nonexistent.ini");
    expect_map_error("nezha.csv", LE_ERR_FORMAT, "nezha.csv:1: "); /* a CSV passed as --map */
    expect_map_error("nezha.csv", LE_ERR_FORMAT, "(not a valid INI file)");
    expect_map_error("bad_no_trace.ini", LE_ERR_FORMAT, "[columns] trace_id is required");
}

static void test_named_layouts(void **state)
{
    (void)state;
    le_csv_map *m = NULL;
    unsetenv("LABELEASE_FORMATS_DIR");
    le_err_clear();
    assert_int_equal(le_csv_map_named("no-such-layout", &m), LE_ERR_USAGE);
    assert_null(m);
    const char *msg = le_errmsg();
    assert_non_null(strstr(msg, "no-such-layout"));
    assert_non_null(strstr(msg, "aiops2022, alibaba, alibaba2021, jaeger-cassandra, nezha, skywalking, tracevae"));
    assert_int_equal(le_csv_map_named("../nezha", &m), LE_ERR_USAGE); /* names, not paths */
    /* $LABELEASE_FORMATS_DIR comes first */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/tests/fixtures/csv", src_dir());
    setenv("LABELEASE_FORMATS_DIR", dir, 1);
    assert_int_equal(le_csv_map_named("headerless", &m), 0);
    le_csv_map_free(m);
    assert_int_equal(le_csv_map_named("nezha", &m), 0); /* still found in the source tree */
    le_csv_map_free(m);
    unsetenv("LABELEASE_FORMATS_DIR");
}

/* ---- streaming: rows cut by the 4 MiB read blocks, runaway quotes ---- */

static char *temp_csv(FILE **f)
{
    static char path[] = "/tmp/le_test_csv_XXXXXX";
    strcpy(path, "/tmp/le_test_csv_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    *f = fdopen(fd, "w");
    fprintf(*f, "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n");
    return path;
}

static void test_rows_across_read_blocks(void **state)
{
    (void)state;
    FILE *f;
    char *path = temp_csv(&f);
    uint64_t line = 1, rows = 0, last_line = 0;
    /* ~12 MB: every 997th row carries a quoted two-line operation */
    for (int i = 0; i < 120000; i++) {
        rows++;
        if (i % 997 == 0) {
            fprintf(f, "trace%05d,span%06d,root,ts-order-service-5d8b9c7f4-abcde,\"two\nlines %d\",%d000,0,%d\n", i / 50, i,
                    i, 1674981768 + i, i);
            line += 2;
        } else {
            fprintf(f, "trace%05d,span%06d,span%06d,ts-order-service-5d8b9c7f4-abcde,op%d,%d000,0,%d\n", i / 50, i, i - 1,
                    i % 7, 1674981768 + i, i);
            line += 1;
        }
        last_line = line;
    }
    fclose(f);
    parsed p;
    parse_path(&p, path, "nezha", (opts){0, -1, 0});
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.st.rows_read, rows);
    assert_int_equal(p.buf.n, rows);
    assert_int_equal(p.buf.pos[p.buf.n - 1], last_line);
    size_t two = span_index(&p, "span119640"); /* 997 * 120 */
    assert_string_equal(operation_of(&p, two), "two\nlines 119640");
    assert_int_equal(p.buf.start_us[two], 1674981768LL + 119640);
    assert_int_equal(p.buf.pos[two], 1 + 119640 + 120 + 1); /* header + rows before + 120 extra lines before it */
    assert_int_equal(p.buf.pos[two + 1], p.buf.pos[two] + 2);
    done(&p);
    unlink(path);
}

/* The file read k rows at a time through le_csv_stream (ingest past
 * --max-rows), into one buffer. */
static void parse_in_parts(parsed *p, const char *path, const char *map_name, size_t k)
{
    le_spanbuf_init(&p->buf);
    le_stats_init(&p->st);
    le_err_clear();
    le_csv_map *m = load_map(map_name);
    le_parse_ctx ctx = {.out = &p->buf, .st = &p->st, .path = path, .file_label = -1, .max_duration_us = INT64_MAX};
    le_csv_stream *s;
    p->rc = le_csv_stream_open(&ctx, m, &s);
    assert_int_equal(p->rc, 0);
    int end = 0, calls = 0;
    while (!end && !p->rc) {
        size_t before = p->buf.n;
        p->rc = le_csv_stream_read(s, before + k, &end);
        assert_true(end || p->buf.n >= before + k); /* a part ends at its rows, or the file */
        calls++;
    }
    assert_true(calls > 1);
    le_csv_stream_close(s);
    le_csv_map_free(m);
}

static void assert_same_rows(const parsed *a, const parsed *b)
{
    assert_int_equal(a->rc, b->rc);
    assert_int_equal(a->buf.n, b->buf.n);
    assert_memory_equal(&a->st, &b->st, sizeof a->st); /* every count, drop example and byte */
    for (size_t i = 0; i < a->buf.n; i++) {
        assert_string_equal(trace_of(a, i), trace_of(b, i));
        assert_string_equal(a->buf.ids + a->buf.span_off[i], b->buf.ids + b->buf.span_off[i]);
        assert_string_equal(operation_of(a, i), operation_of(b, i));
        assert_int_equal(a->buf.pos[i], b->buf.pos[i]);
        assert_int_equal(a->buf.start_us[i], b->buf.start_us[i]);
        assert_int_equal(a->buf.duration_us[i], b->buf.duration_us[i]);
    }
}

/* A file read in parts gives the rows, positions and counts of one read:
 * quoted fields over several lines, broken rows and resyncs, rows across
 * 4 MiB read blocks. */
static void test_stream_in_parts_is_one_read(void **state)
{
    (void)state;
    const char *names[] = {"quoted.csv", "broken_rows.csv", "nezha.csv"};
    for (size_t f = 0; f < sizeof names / sizeof *names; f++) {
        char path[4096];
        snprintf(path, sizeof path, "%s", fixture(names[f]));
        parsed whole, parts;
        parse_path(&whole, path, "nezha", (opts){0, -1, 0});
        parse_in_parts(&parts, path, "nezha", 1);
        assert_same_rows(&whole, &parts);
        done(&whole), done(&parts);
    }
    FILE *fp;
    char *path = temp_csv(&fp);
    for (int i = 0; i < 60000; i++) /* ~6 MB: two read blocks; a quoted two-line operation every 997th row */
        fprintf(fp, "trace%05d,span%06d,root,ts-order-service-5d8b9c7f4-abcde,\"%s%d\",%d000,0,%d\n", i / 50, i,
                i % 997 ? "op" : "two\nlines ", i, 1674981768 + i, i);
    fclose(fp);
    parsed whole, parts;
    parse_path(&whole, path, "nezha", (opts){0, -1, 0});
    parse_in_parts(&parts, path, "nezha", 7001);
    assert_int_equal(whole.buf.n, 60000);
    assert_same_rows(&whole, &parts);
    done(&whole), done(&parts);
    unlink(path);
}

static void test_runaway_quote_resyncs(void **state)
{
    (void)state;
    FILE *f;
    char *path = temp_csv(&f);
    fprintf(f, "t0,s0,root,frontend-2,\"never closed\n");
    /* 20000 rows of ~100 bytes: the quote swallows 1 MiB of them, then parsing resumes */
    for (int i = 1; i <= 20000; i++) fprintf(f, "t1,s%05d,root,frontend-2,op-%060d,1000,2000,1\n", i, i);
    fclose(f);
    parsed p;
    parse_path(&p, path, "nezha", (opts){0, -1, 0});
    assert_int_equal(p.rc, 0);
    /* every line the quote took is a malformed row: the rows on them are lost */
    assert_int_equal(p.st.swallowed.first, 2);
    uint64_t lines = p.st.swallowed.last - 1;
    assert_drops(&p, LE_DROP_BAD_ROW, lines, 2, 0, 0);
    assert_int_equal(p.st.rows_read, 20001);
    assert_accounted(&p);
    assert_true(p.buf.n > 5000 && p.buf.n < 20000);
    size_t last = span_index(&p, "s20000");
    assert_int_equal(p.buf.pos[last], 20002);
    done(&p);
    unlink(path);
}

/* ---- the real data sets ($LE_SHARED/data) ---- */

static char shared_tmp[256];

static const char *shared_data(void)
{
    static char dir[4096];
    const char *s = getenv("LE_SHARED");
    if (!s) return NULL;
    snprintf(dir, sizeof dir, "%s/data/real", s);
    return access(dir, R_OK) == 0 ? dir : NULL;
}

static int extract(const char *tarball)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "tar -xJf '%s/%s' -C '%s'", shared_data(), tarball, shared_tmp);
    return system(cmd);
}

static size_t list_csv(const char *pattern, char ***files)
{
    char cmd[8192];
    snprintf(cmd, sizeof cmd, "ls %s/%s", shared_tmp, pattern);
    FILE *ls = popen(cmd, "r");
    size_t n = 0;
    char line[4096];
    *files = NULL;
    while (ls && fgets(line, sizeof line, ls)) {
        line[strcspn(line, "\n")] = 0;
        *files = realloc(*files, (n + 1) * sizeof **files);
        (*files)[n++] = strdup(line);
    }
    if (ls) pclose(ls);
    return n;
}

static void parse_all(const char *pattern, const char *layout, parsed *p, size_t *nfiles)
{
    char **files;
    size_t n = list_csv(pattern, &files);
    le_csv_map *m = load_map(layout);
    le_spanbuf_init(&p->buf);
    le_stats_init(&p->st);
    p->rc = 0;
    for (size_t i = 0; i < n && !p->rc; i++) {
        le_parse_ctx ctx = {.out = &p->buf,
                            .st = &p->st,
                            .path = files[i],
                            .file = (uint32_t)i,
                            .file_label = -1,
                            .strict = 0,
                            .max_duration_us = INT64_MAX};
        p->rc = le_read_csv(&ctx, m);
    }
    for (size_t i = 0; i < n; i++) free(files[i]);
    free(files);
    le_csv_map_free(m);
    *nfiles = n;
}

static void test_shared_nezha_all_files(void **state)
{
    (void)state;
    assert_int_equal(extract("trainticket-2023-01-29.tar.xz"), 0);
    parsed p;
    size_t n;
    parse_all("trainticket-2023-01-29/trace/*_trace.csv", "nezha", &p, &n);
    assert_int_equal(n, 84);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.st.rows_read, 328848);
    assert_int_equal(p.buf.n, 328848); /* the reader drops nothing; repeats are the join's business */
    assert_int_equal(p.buf.traces.n, 4483);
    done(&p);
}

/* 28 pods, one per service: every pod name must lose both suffixes, also
 * ts-basic-service-5dc8d4f9fd-46997 whose random suffix is all digits
 * (le_service_from_pod in io/ingest.c). */
static void test_shared_nezha_services(void **state)
{
    (void)state;
    parsed p;
    size_t n;
    parse_all("trainticket-2023-01-29/trace/*_trace.csv", "nezha", &p, &n);
    assert_int_equal(p.rc, 0);
    uint8_t *seen = calloc(p.buf.names.n, 1);
    size_t services = 0;
    for (size_t i = 0; i < p.buf.n; i++) {
        if (seen[p.buf.service[i]]) continue;
        seen[p.buf.service[i]] = 1;
        services++;
        const char *name = service_of(&p, i);
        if (strncmp(name, "ts-", 3) || strstr(name, "-service-")) fail_msg("pod suffix left in service '%s'", name);
    }
    assert_int_equal(services, 28);
    free(seen);
    done(&p);
}

static void test_shared_deeptralog_all_files(void **state)
{
    (void)state;
    assert_int_equal(extract("deeptralog-trainticket.tar.xz"), 0);
    parsed p;
    size_t n;
    parse_all("deeptralog-trainticket/*/*SpanData*.csv", "skywalking", &p, &n);
    assert_int_equal(n, 16);
    assert_int_equal(p.rc, 0);
    assert_int_equal(p.st.rows_read, 51303);
    assert_int_equal(p.buf.n, 51303);
    assert_int_equal(p.buf.traces.n, 5263);
    done(&p);
}

int main(void)
{
    const struct CMUnitTest fixtures[] = {
        cmocka_unit_test(test_nezha_layout),
        cmocka_unit_test(test_skywalking_layout),
        cmocka_unit_test(test_aiops2022_layout),
        cmocka_unit_test(test_tracevae_layout),
        cmocka_unit_test(test_broken_rows),
        cmocka_unit_test(test_strict_stops_at_first_drop),
        cmocka_unit_test(test_quoted_fields),
        cmocka_unit_test(test_bom_and_crlf),
        cmocka_unit_test(test_missing_header_column),
        cmocka_unit_test(test_empty_and_header_only),
        cmocka_unit_test(test_unterminated_quote_at_eof),
        cmocka_unit_test(test_unterminated_quote_swallows_lines),
        cmocka_unit_test(test_missing_file),
        cmocka_unit_test(test_failed_file_rolls_back_alone),
        cmocka_unit_test(test_headerless_numbers_and_decimals),
        cmocka_unit_test(test_label_status_error_columns),
        cmocka_unit_test(test_file_label_and_max_duration),
        cmocka_unit_test(test_map_errors),
        cmocka_unit_test(test_named_layouts),
        cmocka_unit_test(test_rows_across_read_blocks),
        cmocka_unit_test(test_stream_in_parts_is_one_read),
        cmocka_unit_test(test_runaway_quote_resyncs),
    };
    int failed = cmocka_run_group_tests_name("csv_fixtures", fixtures, NULL, NULL);
    if (failed) return failed;
    if (!shared_data()) {
        printf("SKIP: $LE_SHARED/data/real not found: the real-data CSV tests did not run\n");
        return 77;
    }
    snprintf(shared_tmp, sizeof shared_tmp, "/tmp/le_test_csv_shared_XXXXXX");
    if (!mkdtemp(shared_tmp)) return 1;
    const struct CMUnitTest shared[] = {
        cmocka_unit_test(test_shared_nezha_all_files),
        cmocka_unit_test(test_shared_nezha_services),
        cmocka_unit_test(test_shared_deeptralog_all_files),
    };
    failed = cmocka_run_group_tests_name("csv_shared_data", shared, NULL, NULL);
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", shared_tmp);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", shared_tmp);
    return failed;
}
