/* Page writer: strings from trace data come out inert in the JSON block
 * (no markup, no way to close the <script> element), the page refers to no
 * URL, and the escaping of every awkward character, one by one. */
#define _GNU_SOURCE /* strcasestr */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "le_base.h"
#include "page.h"

static char *json_of(const char *s, size_t n)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    le_json_string(f, s, n);
    fclose(f);
    return buf;
}

static void expect_json(const char *in, size_t n, const char *want)
{
    char *got = json_of(in, n);
    if (strcmp(got, want)) fail_msg("le_json_string(%s): got %s, want %s", in, got, want);
    free(got);
}

static void test_json_string_escapes(void **state)
{
    (void)state;
    expect_json("plain", SIZE_MAX, "\"plain\"");
    expect_json("</script>", SIZE_MAX, "\"\\u003c/script\\u003e\"");
    expect_json("a&b'c\"d\\e", SIZE_MAX, "\"a\\u0026b\\u0027c\\\"d\\\\e\"");
    expect_json("<!--", SIZE_MAX, "\"\\u003c!--\"");
    expect_json("tab\there\nnl\x7f", SIZE_MAX, "\"tab\\u0009here\\u000anl\\u007f\"");
    expect_json("ls\xE2\x80\xA8ps\xE2\x80\xA9", SIZE_MAX, "\"ls\\u2028ps\\u2029\"");
    expect_json("caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80", SIZE_MAX, "\"caf\xC3\xA9 \xE2\x82\xAC \xF0\x9F\x98\x80\"");
    /* invalid UTF-8: a lone continuation, an overlong '<', a surrogate, a cut sequence */
    expect_json("a\x80z", SIZE_MAX, "\"a\\ufffdz\"");
    expect_json("\xC0\xBC", SIZE_MAX, "\"\\ufffd\\ufffd\"");
    expect_json("\xED\xA0\x80", SIZE_MAX, "\"\\ufffd\\ufffd\\ufffd\"");
    expect_json("x\xE2\x82", SIZE_MAX, "\"x\\ufffd\\ufffd\"");
    /* fixed-width NUL-padded ids stop at the NUL or the width */
    expect_json("abc\0\0\0", 6, "\"abc\"");
    expect_json("abcdef", 3, "\"abc\"");
}

/* LE_JSON_BYTES (reports, run manifest): only '"', '\\' and control
 * characters escaped, every other byte as it is. */
static void test_json_bytes(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    le_json_escape(f, "</a>&'\"\\\t\n\x7f caf\xC3\xA9 \x80", SIZE_MAX, LE_JSON_BYTES);
    fclose(f);
    assert_string_equal(buf, "\"</a>&'\\\"\\\\\\u0009\\u000a\x7f caf\xC3\xA9 \x80\"");
    free(buf);
}

static void test_json_double(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    le_json_double(f, 1.5);
    fputc(' ', f);
    le_json_double(f, 0.0 / 0.0);
    fputc(' ', f);
    le_json_double(f, 1.0 / 0.0);
    fclose(f);
    assert_string_equal(buf, "1.5 null null");
    free(buf);
}

/* Two traces whose names try every way out of the data block. */
static const char *const evil_services[] = {"frontend", "</script><script>alert(1)</script>",
                                            "<img src=x onerror=alert(2)>"};
static const char *const evil_ops[] = {"GET /", "x'</SCRIPT >\xE2\x80\xA8<!--", "&lt;b&gt;"};

static void make_reps(le_reps *r, le_corpus_meta *m)
{
    memset(r, 0, sizeof *r);
    memset(m, 0, sizeof *m);
    m->n_services = 3, m->services = (char **)evil_services;
    m->n_operations = 3, m->operations = (char **)evil_ops;
    r->k = 2;
    le_block_alloc(&r->traces, 2, 3, 0, 0);
    le_corpus_block *b = &r->traces;
    le_block_put_id(b, 0, "t1</script>", strlen("t1</script>"));
    le_block_put_id(b, 1, "t2\"onmouseover=", strlen("t2\"onmouseover="));
    int64_t off[] = {0, 2, 3};
    memcpy(b->span_offset, off, sizeof off);
    for (int i = 0; i < 3; i++) {
        b->parent[i] = i == 1 ? 0 : -1;
        b->service[i] = i, b->operation[i] = i;
        b->start_us[i] = 1000 + i, b->duration_us[i] = 50 - i;
        b->status_code[i] = i == 1 ? 500 : 0, b->error[i] = i == 1;
    }
    b->trace_start_us[0] = 1000, b->trace_start_us[1] = 1002;
    static int64_t idx[2] = {7, 9}, size[2] = {100, 3}, cnt[3] = {10, 1, 0};
    static double mean[3] = {40, 49, 0}, sd[3] = {2, 0, 0};
    r->trace_index = idx, r->cluster_size = size;
    r->path_count = cnt, r->path_mean_us = mean, r->path_std_us = sd;
    strcpy(r->corpus, "c<script>.h5");
    strcpy(r->method, "kmeans");
    strcpy(r->representation, "gat");
    r->round = 1, r->n_corpus_traces = 103;
}

static char *slurp(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *s = malloc((size_t)n + 1);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    s[n] = 0;
    fclose(f);
    return s;
}

static int count(const char *hay, const char *needle)
{
    int k = 0;
    for (const char *p = hay; (p = strcasestr(p, needle)); p++) k++;
    return k;
}

static void test_labeling_page_inert(void **state)
{
    (void)state;
    le_reps r;
    le_corpus_meta m;
    make_reps(&r, &m);
    char path[] = "/tmp/test_page_XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    le_err_clear();
    if (le_page_labeling_write(path, &r, &m)) fail_msg("%s", le_errmsg());
    char *html = slurp(path);
    unlink(path);

    /* Exactly the page's two script elements open and close. */
    assert_int_equal(count(html, "<script"), 2);
    assert_int_equal(count(html, "</script"), 2);
    const char *open = "<script type=\"application/json\" id=\"le-data\">";
    char *data = strstr(html, open);
    assert_non_null(data);
    data += strlen(open);
    char *end = strstr(data, "</script>");
    assert_non_null(end);
    *end = 0;
    /* Nothing in the block the HTML tokenizer could act on. */
    assert_null(strpbrk(data, "<>&'"));
    assert_null(strstr(data, "\xE2\x80\xA8"));
    assert_non_null(strstr(data, "\\u003c/script\\u003e\\u003cscript\\u003ealert(1)"));
    assert_non_null(strstr(data, "\"t2\\\"onmouseover=\""));
    assert_non_null(strstr(data, "\"path_mean\":[40,49]"));
    assert_non_null(strstr(data, "\"start\":[0,1]"));
    /* No resource from anywhere: the one URL is the SVG namespace name in
     * the script, which is an identifier and is never fetched. */
    int urls = count(html, "http://") + count(html, "https://");
    assert_int_equal(urls, count(html, "http://www.w3.org/2000/svg"));
    assert_non_null(strstr(html, "script-src 'sha256-"));
    free(html);
    le_block_free(&r.traces);
}

static void test_labeling_page_rejects_mismatch(void **state)
{
    (void)state;
    le_reps r;
    le_corpus_meta m;
    make_reps(&r, &m);
    r.k = 3; /* more representatives than traces */
    le_err_clear();
    assert_int_equal(le_page_labeling_write("/tmp/test_page_never.html", &r, &m), LE_ERR_FORMAT);
    assert_int_equal(access("/tmp/test_page_never.html", F_OK), -1);
    le_block_free(&r.traces);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json_string_escapes),
        cmocka_unit_test(test_json_bytes),
        cmocka_unit_test(test_json_double),
        cmocka_unit_test(test_labeling_page_inert),
        cmocka_unit_test(test_labeling_page_rejects_mismatch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
