/* JSON trace readers (io/fmt_jaeger.c, fmt_zipkin.c, fmt_otlp.c): exact
 * spans, parents, µs times, services, status/error, drop counts, byte
 * positions and error messages on the fixtures in tests/fixtures/{jaeger,
 * zipkin,otlp}/, written from each format's public documentation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "ingest.h"
#include "json_stream.h"
#include "le_base.h"

typedef int (*reader_fn)(le_parse_ctx *);

typedef struct parsed {
    le_spanbuf buf;
    le_ingest_stats st;
    int rc;
} parsed;

static const char *fixture(const char *rel)
{
    static char path[4][4096];
    static int k;
    const char *src = getenv("LE_SRC");
    k = (k + 1) % 4;
    snprintf(path[k], sizeof path[k], "%s/tests/fixtures/%s", src ? src : ".", rel);
    return path[k];
}

static void start(parsed *p)
{
    le_spanbuf_init(&p->buf);
    le_stats_init(&p->st);
    le_err_clear();
}

/* Read one more file into p (file index `file`). */
static int read_more(parsed *p, reader_fn fn, const char *rel, uint32_t file, int strict)
{
    le_parse_ctx ctx = {.out = &p->buf,
                        .st = &p->st,
                        .path = fixture(rel),
                        .file = file,
                        .file_label = -1,
                        .strict = strict,
                        .max_duration_us = INT64_C(86400000000)};
    p->rc = fn(&ctx);
    return p->rc;
}

static void read_one(parsed *p, reader_fn fn, const char *rel)
{
    start(p);
    read_more(p, fn, rel, 0, 0);
    if (p->rc) fprintf(stderr, "%s: %s\n", rel, le_errmsg());
}

static void done(parsed *p) { le_spanbuf_free(&p->buf); }

/* The row of span_id whose LE_SPAN_SHARED bit is `shared` (Zipkin's two halves share an id). */
static size_t find_half(const parsed *p, const char *span_id, int shared)
{
    for (size_t i = 0; i < p->buf.n; i++)
        if (strcmp(le_spanbuf_span_id(&p->buf, i), span_id) == 0 && !(p->buf.flags[i] & LE_SPAN_SHARED) == !shared) return i;
    fail_msg("span %s not read", span_id);
    return SIZE_MAX;
}

static size_t find_span(const parsed *p, const char *span_id) { return find_half(p, span_id, 0); }

typedef struct want {
    const char *span, *trace, *parent, *service, *operation;
    int64_t start_us, duration_us;
    int32_t status;
    int8_t error;
} want;

static void check_row(const parsed *p, size_t i, want w);

static void check_span(const parsed *p, want w) { check_row(p, find_span(p, w.span), w); }

/* A Zipkin row, found by id and sharedness, with its LE_SPAN_* flags. */
static void check_fragment(const parsed *p, want w, uint8_t flags)
{
    size_t i = find_half(p, w.span, flags & LE_SPAN_SHARED);
    assert_int_equal(p->buf.flags[i], flags);
    check_row(p, i, w);
}

static void check_row(const parsed *p, size_t i, want w)
{
    const le_spanbuf *b = &p->buf;
    assert_string_equal(le_strtab_str(&b->traces, b->trace[i]), w.trace);
    if (w.parent) assert_non_null(le_spanbuf_parent_id(b, i));
    if (w.parent)
        assert_string_equal(le_spanbuf_parent_id(b, i), w.parent);
    else
        assert_null(le_spanbuf_parent_id(b, i));
    assert_string_equal(le_strtab_str(&b->names, b->service[i]), w.service);
    assert_string_equal(le_strtab_str(&b->names, b->operation[i]), w.operation);
    assert_int_equal(b->start_us[i], w.start_us);
    assert_int_equal(b->duration_us[i], w.duration_us);
    assert_int_equal(b->status_code[i], w.status);
    assert_int_equal(b->error[i], w.error);
    assert_int_equal(b->label[i], -1);
}

static uint64_t total_drops(const le_ingest_stats *st)
{
    uint64_t n = 0;
    for (int d = 0; d < LE_DROP_N; d++) n += st->dropped[d];
    return n;
}

/* rows read = spans kept + every drop: the invariant the summary relies on */
static void check_accounting(const parsed *p, uint64_t rows)
{
    assert_int_equal(p->st.rows_read, rows);
    assert_int_equal(p->st.rows_read, p->buf.n + total_drops(&p->st));
}

static void check_error(const parsed *p, int code, const char *needle1, const char *needle2)
{
    assert_int_equal(p->rc, code);
    const char *m = le_errmsg();
    if (!strstr(m, needle1) || (needle2 && !strstr(m, needle2)))
        fail_msg("error message \"%s\" lacks \"%s\" / \"%s\"", m, needle1, needle2 ? needle2 : "");
    assert_int_equal(p->buf.n, 0); /* the file is rejected whole */
    assert_int_equal(p->st.rows_read, 0);
}

/* ---- Jaeger ---- */

static void jaeger_api_response(void **state)
{
    parsed p;
    read_one(&p, le_read_jaeger, "jaeger/api_traces.json");
    assert_int_equal(p.rc, 0);
    check_accounting(&p, 8);
    assert_int_equal(p.buf.n, 8);
    const char *T1 = "a1b2c3d4e5f60718", *T2 = "0af7651916cd43dd8448eb211c80319c";
    const int64_t t0 = INT64_C(1674982376974000), u0 = INT64_C(1674999114500000);
    /* trace 1: "processes" follows "spans" */
    check_span(&p, (want){"1eb0ad916fc49e43", T1, NULL, "ts-ui-dashboard", "POST /api/v1/preserveservice/preserve", t0,
                          268244, 200, 0});
    check_span(
        &p, (want){"ee2253da91d7cf75", T1, "1eb0ad916fc49e43", "ts-preserve-service", "preserve", t0 + 1000, 250000, 0, 0});
    check_span(&p, (want){"3c1d0a7e5b9f2468", T1, "ee2253da91d7cf75", "ts-contacts-service",
                          "GET /api/v1/contactservice/contacts/{id}", t0 + 2000, 30000, 500, 1});
    check_span(&p, (want){"9f8e7d6c5b4a3921", T1, "ee2253da91d7cf75", "ts-travel-service", "getTripAllDetailInfo", t0 + 2500,
                          40000, 200, 0});
    check_span(&p, (want){"5a5b5c5d5e5f6071", T1, "ee2253da91d7cf75", "ts-notification-service", "sendEmail", t0 + 260000,
                          5000, 0, 0});
    /* trace 2: otel.status_code, http.response.status_code; CHILD_OF after a
     * FOLLOWS_FROM wins; a CHILD_OF into another trace is ignored */
    check_span(&p, (want){"b7ad6b7169203331", T2, NULL, "frontend", "HTTP POST /cart/checkout", u0, 120000, 503, 1});
    check_span(&p, (want){"00f067aa0ba902b7", T2, "b7ad6b7169203331", "checkoutservice",
                          "hipstershop.CheckoutService/PlaceOrder", u0 + 800, 110000, 14, 1});
    check_span(&p, (want){"53995c3f42cd8ad8", T2, "00f067aa0ba902b7", "checkoutservice",
                          "hipstershop.CheckoutService/PlaceOrder retry", u0 + 111000, 4000, 0, 0});
    /* positions: the byte of each span's '{' */
    assert_int_equal(p.buf.pos[find_span(&p, "1eb0ad916fc49e43")], 82);
    assert_int_equal(p.buf.pos[find_span(&p, "53995c3f42cd8ad8")], 6379);
    assert_int_equal(p.st.bytes_read, 7353);
    done(&p);
}

static void jaeger_old_array_export(void **state)
{
    parsed p;
    read_one(&p, le_read_jaeger, "jaeger/old_array.json");
    assert_int_equal(p.rc, 0);
    check_accounting(&p, 2);
    /* parentSpanID "0" is a root; inline "process" gives the service */
    check_span(&p,
               (want){"0000000000000abc", "7e1c52b0d2b64e6f", NULL, "web", "GET /", INT64_C(1500000000000000), 1500, 0, 0});
    check_span(&p, (want){"0000000000000abd", "7e1c52b0d2b64e6f", "0000000000000abc", "mysql", "SELECT",
                          INT64_C(1500000000000100), 900, 0, 1});
    done(&p);
}

static void jaeger_trace_split_across_files(void **state)
{
    parsed p;
    start(&p);
    assert_int_equal(read_more(&p, le_read_jaeger, "jaeger/split_part1.json", 0, 0), 0);
    assert_int_equal(read_more(&p, le_read_jaeger, "jaeger/split_part2.json", 1, 0), 0);
    check_accounting(&p, 3);
    const char *T = "c0ffee0000000000000000000000beef";
    const int64_t v0 = INT64_C(1675002211000000);
    check_span(&p, (want){"1111111111111111", T, NULL, "ts-gateway-service", "GET /verification/generate", v0, 90000, 0, 0});
    check_span(&p, (want){"2222222222222222", T, "1111111111111111", "ts-verification-code-service", "generate", v0 + 100,
                          80000, 0, 0});
    /* process ids are per trace object: p1 means another service in file 2 */
    check_span(&p, (want){"3333333333333333", T, "2222222222222222", "ts-verification-code-service", "redis GET", v0 + 200,
                          70000, 0, 0});
    assert_int_equal(p.buf.trace[0], p.buf.trace[2]); /* one interned trace id */
    assert_int_equal(p.buf.file[find_span(&p, "3333333333333333")], 1);
    done(&p);
}

static void jaeger_wrong_types_are_counted(void **state)
{
    parsed p;
    read_one(&p, le_read_jaeger, "jaeger/wrong_types.json");
    assert_int_equal(p.rc, 0);
    check_accounting(&p, 8);
    assert_int_equal(p.buf.n, 1);
    assert_string_equal(le_spanbuf_span_id(&p.buf, 0), "0000000000000008");
    assert_int_equal(p.st.dropped[LE_DROP_UNPARSABLE], 2);    /* startTime "yesterday", status "abc" */
    assert_int_equal(p.st.dropped[LE_DROP_BAD_ROW], 3);       /* numeric spanID, "oops", tags as object */
    assert_int_equal(p.st.dropped[LE_DROP_MISSING_FIELD], 2); /* no spanID, no duration */
    assert_int_equal(p.st.example[LE_DROP_UNPARSABLE][0].pos, 82);
    assert_int_equal(p.st.example[LE_DROP_BAD_ROW][0].pos, 436);
    assert_int_equal(p.st.example[LE_DROP_BAD_ROW][1].pos, 784); /* the string "oops" */
    done(&p);
}

static void jaeger_strict_stops_at_first_drop(void **state)
{
    parsed p;
    start(&p);
    read_more(&p, le_read_jaeger, "jaeger/wrong_types.json", 0, 1);
    assert_int_equal(p.rc, LE_ERR_STRICT);
    assert_non_null(strstr(le_errmsg(), "wrong_types.json:byte 82: unparsable_fields: startTime is not a number"));
    assert_int_equal(p.buf.n, 0);
    done(&p);
}

static void jaeger_truncated_file_fails_whole(void **state)
{
    parsed p;
    read_one(&p, le_read_jaeger, "jaeger/truncated.json");
    check_error(&p, LE_ERR_FORMAT, "truncated.json: byte 4765: not valid Jaeger JSON", "premature EOF");
    assert_int_equal(p.st.bytes_read, 4765);
    done(&p);
}

static void jaeger_not_json(void **state)
{
    parsed p;
    read_one(&p, le_read_jaeger, "jaeger/not_json.txt");
    check_error(&p, LE_ERR_FORMAT, "not_json.txt: byte 0: not valid Jaeger JSON", "lexical error");
    done(&p);
}

static void jaeger_rejects_zipkin_file(void **state)
{
    parsed p;
    read_one(&p, le_read_jaeger, "zipkin/traces.json");
    check_error(&p, LE_ERR_FORMAT, "traces.json: byte 0: no trace object with a \"spans\" array", "--format");
    done(&p);
}

static void missing_file_is_io_error(void **state)
{
    parsed p;
    read_one(&p, le_read_jaeger, "jaeger/no_such_file.json");
    assert_int_equal(p.rc, LE_ERR_IO);
    assert_non_null(strstr(le_errmsg(), "no_such_file.json: cannot open"));
    done(&p);
}

/* ---- Zipkin ---- */

static void zipkin_span_list(void **state)
{
    parsed p;
    read_one(&p, le_read_zipkin, "zipkin/spans.json");
    assert_int_equal(p.rc, 0);
    check_accounting(&p, 5);
    assert_int_equal(p.buf.n, 5);
    const char *T = "5982fe77008310cc80f1da5e10147517";
    const int64_t w0 = INT64_C(1674955899000000);
    const uint8_t F = LE_SPAN_FRAGMENT, C = LE_SPAN_CLIENT, S = LE_SPAN_SERVER;
    check_fragment(&p, (want){"5982fe77008310cc", T, NULL, "frontend", "get /api", w0, 386000, 500, 1}, F | S);
    check_fragment(&p, (want){"e457b5a2e4d86bd1", T, "5982fe77008310cc", "frontend", "get", w0 + 2000, 380000, 0, 0}, F | C);
    /* the shared server half of the joined RPC span keeps the id, marked shared (the assembly puts
     * it under its client half); an empty "error" tag still marks an error (Zipkin: the value is
     * the message) */
    check_fragment(&p, (want){"e457b5a2e4d86bd1", T, "5982fe77008310cc", "backend", "get /api", w0 + 4000, 370000, 503, 1},
                   F | S | LE_SPAN_SHARED);
    check_fragment(&p, (want){"4f2b5a1c3d6e7f80", T, "e457b5a2e4d86bd1", "backend", "select", w0 + 5000, 12000, 0, 0},
                   F | C);
    /* the span without duration is kept, marked: the assembly gives it its children's extent or 0 */
    check_fragment(&p, (want){"9a8b7c6d5e4f3a2b", T, "e457b5a2e4d86bd1", "backend", "cache get", w0 + 5100, 0, 0, 0},
                   F | C | LE_SPAN_NO_DURATION);
    assert_int_equal(total_drops(&p.st), 0);
    assert_int_equal(p.buf.pos[find_span(&p, "5982fe77008310cc")], 4);
    done(&p);
}

static void zipkin_trace_list(void **state)
{
    parsed p;
    read_one(&p, le_read_zipkin, "zipkin/traces.json");
    assert_int_equal(p.rc, 0);
    check_accounting(&p, 3);
    const char *T2 = "463ac35c9f6413ad48485a3953bb6124", *T3 = "8a3c60f7d188f8fa79d48a391a778fa6";
    check_span(&p, (want){"a2fb4a1d1a96d312", T2, NULL, "ts-order-service", "post /orders", INT64_C(1675003797000000), 52000,
                          200, 0});
    check_span(&p, (want){"b3c4d5e6f708192a", T2, "a2fb4a1d1a96d312", "ts-order-service", "insert",
                          INT64_C(1675003797001000), 20000, 0, 1});
    check_span(&p,
               (want){"0123456789abcdef", T3, NULL, "ts-food-service", "get /food", INT64_C(1675003798000000), 7000, 0, 0});
    done(&p);
}

/* Zipkin v1: services from annotation endpoints, kind and times from the core annotations,
 * an RPC's two halves in one span split in two rows, tags by endpoint, ca/sa never the service. */
static void zipkin_v1(void **state)
{
    parsed p;
    read_one(&p, le_read_zipkin, "zipkin/v1_rpc.json");
    assert_int_equal(p.rc, 0);
    check_accounting(&p, 5);
    assert_int_equal(p.buf.n, 5);
    const char *T = "bd7a977555f6b982";
    const int64_t t0 = INT64_C(1458702548467000);
    const uint8_t F = LE_SPAN_FRAGMENT, C = LE_SPAN_CLIENT, S = LE_SPAN_SERVER;
    /* a server span with its own timestamp: not shared (v1's convention) */
    check_fragment(&p, (want){T, T, NULL, "frontend", "get", t0, 386000, 0, 0}, F | S);
    /* cs+sr: the client half keeps the span's times, the server half takes sr..ss and the error */
    check_fragment(&p, (want){"ebf33e1a81dc6f71", T, T, "frontend", "get-traces", t0 + 11000, 354374, 200, 0}, F | C);
    check_fragment(&p, (want){"ebf33e1a81dc6f71", T, T, "backend", "get-traces", t0 + 13000, 350000, 0, 1},
                   F | S | LE_SPAN_SHARED);
    /* a local span: the service of its "lc" */
    check_fragment(&p, (want){"a1b2c3d4e5f60718", T, "ebf33e1a81dc6f71", "backend", "find", t0 + 23000, 300000, 0, 0}, F);
    /* no span timestamp: cs..cr; "sa" is the database, not this span's service */
    check_fragment(&p, (want){"be2d01e33cc78d97", T, "a1b2c3d4e5f60718", "backend", "query", t0 + 319000, 13000, 0, 0},
                   F | C);
    done(&p);
}

static void zipkin_wrong_types(void **state)
{
    parsed p;
    read_one(&p, le_read_zipkin, "zipkin/wrong_types.json");
    assert_int_equal(p.rc, 0);
    check_accounting(&p, 9);
    assert_int_equal(p.buf.n, 1); /* numeric strings are numbers */
    check_span(&p, (want){"0000000000000011", "5982fe77008310cc80f1da5e10147517", NULL, "a", "ts string",
                          INT64_C(1674955899000000), 15, 0, 0});
    assert_int_equal(p.st.dropped[LE_DROP_UNPARSABLE], 2); /* "noon", status "5xx" */
    /* endpoint list; an inner array is a trace (the /api/v2/traces form),
     * so each of its three strings is a malformed span; 42 */
    assert_int_equal(p.st.dropped[LE_DROP_BAD_ROW], 5);
    assert_int_equal(p.st.dropped[LE_DROP_MISSING_FIELD], 1); /* no id */
    assert_int_equal(p.st.example[LE_DROP_BAD_ROW][0].pos, 388);
    assert_int_equal(p.st.example[LE_DROP_BAD_ROW][1].pos, 607); /* "not" */
    assert_int_equal(p.st.example[LE_DROP_BAD_ROW][2].pos, 618); /* "a" */
    done(&p);
}

static void zipkin_truncated(void **state)
{
    parsed p;
    read_one(&p, le_read_zipkin, "zipkin/truncated.json");
    check_error(&p, LE_ERR_FORMAT, "truncated.json: byte 1859: not valid Zipkin JSON", "ends inside a value");
    done(&p);
}

static void zipkin_rejects_jaeger_file(void **state)
{
    parsed p;
    read_one(&p, le_read_zipkin, "jaeger/api_traces.json");
    check_error(&p, LE_ERR_FORMAT, "api_traces.json: byte 0: no object has \"traceId\" or \"id\": not Zipkin", NULL);
    done(&p);
}

/* ---- OTLP ---- */

static void otlp_request(void **state)
{
    parsed p;
    read_one(&p, le_read_otlp, "otlp/request.json");
    assert_int_equal(p.rc, 0);
    check_accounting(&p, 4);
    const char *O1 = "5b8efff798038103d269b633813fc60c", *O2 = "4bf92f3577b34da6a3ce929d0e0e4736";
    /* ns -> µs truncated: start ...123456789 ns, 1500999 ns long */
    check_span(&p,
               (want){"eee19b7ec3c1b174", O1, NULL, "cartservice", "GET /cart", INT64_C(1674999114123456), 1500, 200, 0});
    check_span(&p, (want){"eee19b7ec3c1b175", O1, "eee19b7ec3c1b174", "cartservice", "HGET", INT64_C(1674999114123458), 1000,
                          2, 1});
    /* "resource" after "scopeSpans": spans wait for it; times as JSON numbers */
    check_span(&p, (want){"00f067aa0ba902b7", O2, NULL, "checkoutservice", "oteldemo.CheckoutService/PlaceOrder",
                          INT64_C(1675006920000000), 250000, 13, 1});
    check_span(&p, (want){"00f067aa0ba902b8", O2, "00f067aa0ba902b7", "checkoutservice", "POST /charge",
                          INT64_C(1675006920010000), 10000, 503, 1});
    assert_int_equal(p.buf.pos[find_span(&p, "eee19b7ec3c1b174")], 581);
    done(&p);
}

static void otlp_file_exporter_lines(void **state)
{
    parsed p;
    read_one(&p, le_read_otlp, "otlp/file_exporter.jsonl");
    assert_int_equal(p.rc, 0);
    check_accounting(&p, 2);
    const char *O1 = "5b8efff798038103d269b633813fc60c";
    check_span(&p, (want){"aaaaaaaaaaaaaaaa", O1, NULL, "frontend", "GET /", INT64_C(1674999114000000), 10000, 1, 0});
    /* old instrumentationLibrarySpans */
    check_span(&p, (want){"bbbbbbbbbbbbbbbb", O1, "aaaaaaaaaaaaaaaa", "cartservice", "GetCart", INT64_C(1674999114001000),
                          8000, 0, 0});
    done(&p);
}

static void otlp_wrong_types(void **state)
{
    parsed p;
    read_one(&p, le_read_otlp, "otlp/wrong_types.json");
    assert_int_equal(p.rc, 0);
    check_accounting(&p, 6);
    assert_int_equal(p.buf.n, 1);
    check_span(&p, (want){"0000000000000025", "5b8efff798038103d269b633813fc60c", NULL, "svc", "good", 1, 4, 0, 0});
    assert_int_equal(p.st.dropped[LE_DROP_UNPARSABLE], 2);        /* code "BROKEN", start "soon" */
    assert_int_equal(p.st.dropped[LE_DROP_MISSING_FIELD], 1);     /* no end */
    assert_int_equal(p.st.dropped[LE_DROP_BAD_ROW], 1);           /* span as array */
    assert_int_equal(p.st.dropped[LE_DROP_NEGATIVE_DURATION], 1); /* ends before it starts */
    done(&p);
}

static void otlp_truncated_line(void **state)
{
    parsed p;
    read_one(&p, le_read_otlp, "otlp/truncated.jsonl");
    check_error(&p, LE_ERR_FORMAT, "truncated.jsonl: byte 534: not valid OTLP JSON", "ends inside a value");
    done(&p);
}

static void otlp_rejects_jaeger_file(void **state)
{
    parsed p;
    read_one(&p, le_read_otlp, "jaeger/api_traces.json");
    check_error(&p, LE_ERR_FORMAT, "api_traces.json: byte 0: top-level object has no \"resourceSpans\"", NULL);
    done(&p);
}

/* ---- issue 17: variants as Jaeger, Tempo and the collector write them ---- */

/* api_v2 model JSON (Jaeger's converter fixture domain_01): base64 ids as
 * Jaeger prints them, RFC 3339 with an offset, "22938000ns", vStr tags. */
static void jaeger_model_json(void **state)
{
    parsed p;
    read_one(&p, le_read_jaeger, "jaeger/model_domain_01.json");
    assert_int_equal(p.rc, 0);
    check_accounting(&p, 1);
    /* 2017-01-26T16:46:31.639875-05:00 = 21:46:31.639875 UTC */
    check_span(&p, (want){"0000000000647d98", "52969a8955571a3f", "000000000068c4e3", "api", "get",
                          INT64_C(1485467191639875), 22938, 0, 0});
    done(&p);
}

/* jaeger-anonymizer output: a bare array of spans, inline processes */
static void jaeger_bare_span_array(void **state)
{
    parsed p;
    read_one(&p, le_read_jaeger, "jaeger/anonymizer_spans.json");
    assert_int_equal(p.rc, 0);
    check_accounting(&p, 2);
    check_span(&p, (want){"7bd66f09ba90ea3d", "2be38093ead7a083", "7606ddfe69932d34", "3c220036602f839e", "471418097747d04a",
                          INT64_C(1605223981965074), 32782, 0, 1});
    done(&p);
}

static void json_value_helpers(void **state)
{
    int64_t us;
    char hex[64];
    assert_int_equal(le_json_duration_us("0.000300s", 9, &us), 0); /* exact: not 299 */
    assert_int_equal(us, 300);
    assert_int_equal(le_json_duration_us("100000ns", 8, &us), 0);
    assert_int_equal(us, 100);
    assert_int_equal(le_json_duration_us("1m2.5s", 6, &us), 0);
    assert_int_equal(us, 62500000);
    assert_int_equal(le_json_duration_us("22.938ms", 8, &us), 0);
    assert_int_equal(us, 22938);
    assert_int_equal(le_json_duration_us("5", 1, &us), -1); /* a unit is required */
    assert_int_equal(le_json_duration_us("1.2.3s", 6, &us), -1);
    assert_int_equal(le_json_duration_us("xs", 2, &us), -1);
    assert_int_equal(le_json_rfc3339_us("2017-01-26T16:46:31.639875139-05:00", 35, &us), 0);
    assert_int_equal(us, INT64_C(1485467191639875));
    assert_int_equal(le_json_rfc3339_us("1970-01-01T00:00:01Z", 20, &us), 0);
    assert_int_equal(us, 1000000);
    assert_int_equal(le_json_rfc3339_us("1970-01-01T01:00:00+01:00", 25, &us), 0);
    assert_int_equal(us, 0);
    assert_int_equal(le_json_rfc3339_us("yesterday", 9, &us), -1);
    hex[le_json_id_hex("AAAAAAAAAABSlpqJVVcaPw==", 24, hex, 0, 1)] = 0;
    assert_string_equal(hex, "52969a8955571a3f");
    hex[le_json_id_hex("AAAAAAAAAABSlpqJVVcaPw==", 24, hex, 1, 0)] = 0;
    assert_string_equal(hex, "000000000000000052969a8955571a3f");
    hex[le_json_id_hex("EEE19B7EC3C1B174", 16, hex, 1, 0)] = 0;
    assert_string_equal(hex, "eee19b7ec3c1b174");
    hex[le_json_id_hex("span-1", 6, hex, 1, 0)] = 0; /* neither hex nor padded base64: as written */
    assert_string_equal(hex, "span-1");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(jaeger_api_response),
        cmocka_unit_test(jaeger_old_array_export),
        cmocka_unit_test(jaeger_trace_split_across_files),
        cmocka_unit_test(jaeger_wrong_types_are_counted),
        cmocka_unit_test(jaeger_strict_stops_at_first_drop),
        cmocka_unit_test(jaeger_truncated_file_fails_whole),
        cmocka_unit_test(jaeger_not_json),
        cmocka_unit_test(jaeger_rejects_zipkin_file),
        cmocka_unit_test(missing_file_is_io_error),
        cmocka_unit_test(zipkin_span_list),
        cmocka_unit_test(zipkin_trace_list),
        cmocka_unit_test(zipkin_v1),
        cmocka_unit_test(zipkin_wrong_types),
        cmocka_unit_test(zipkin_truncated),
        cmocka_unit_test(zipkin_rejects_jaeger_file),
        cmocka_unit_test(otlp_request),
        cmocka_unit_test(otlp_file_exporter_lines),
        cmocka_unit_test(otlp_wrong_types),
        cmocka_unit_test(otlp_truncated_line),
        cmocka_unit_test(otlp_rejects_jaeger_file),
        cmocka_unit_test(jaeger_model_json),
        cmocka_unit_test(jaeger_bare_span_array),
        cmocka_unit_test(json_value_helpers),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
