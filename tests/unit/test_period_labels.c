/* rootcause-labels.csv: what le_period_labels_write writes (commas, quotes,
 * line breaks and spaces in the names and notes) reads back the same, and
 * the reader's errors name FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "export.h"
#include "le_base.h"

static void test_round_trip(void **state)
{
    (void)state;
    le_period_label v[3];
    memset(v, 0, sizeof v);
    v[0] = (le_period_label){.period = 0, .start_us = 10, .end_us = 20};
    snprintf(v[0].service, sizeof v[0].service, "cart");
    snprintf(v[0].fault_type, sizeof v[0].fault_type, "cpu");
    v[1] = (le_period_label){.period = 3, .start_us = -5, .end_us = 123456789012LL};
    snprintf(v[1].service, sizeof v[1].service, " spaced, \"quoted\" ");
    snprintf(v[1].fault_type, sizeof v[1].fault_type, "net");
    snprintf(v[1].note, sizeof v[1].note, "two\nlines, \"and\" a quote");
    v[2] = (le_period_label){.period = 7, .start_us = 1, .end_us = 2};
    snprintf(v[2].service, sizeof v[2].service, "frontend");
    snprintf(v[2].note, sizeof v[2].note, " padded\tnote ");
    const char *path = "period_labels_rt.csv";
    assert_int_equal(le_period_labels_write(path, v, 3), 0);
    le_period_label *got = NULL;
    int64_t n = 0;
    assert_int_equal(le_period_labels_read(path, &got, &n), 0);
    assert_int_equal(n, 3);
    for (int i = 0; i < 3; i++) {
        assert_int_equal(got[i].period, v[i].period);
        assert_int_equal(got[i].start_us, v[i].start_us);
        assert_int_equal(got[i].end_us, v[i].end_us);
        assert_string_equal(got[i].service, v[i].service);
        assert_string_equal(got[i].fault_type, v[i].fault_type);
        assert_string_equal(got[i].note, v[i].note);
        assert_string_equal(got[i].source, "confirmed");
    }
    free(got);
    remove(path);
}

/* Fields a spreadsheet would run as formulas are written with a leading '
 * (io/csvout.h) and read back as they were, a person's own leading ' kept. */
static void test_formulas_guarded(void **state)
{
    (void)state;
    static const char *const s[] = {"=HYPERLINK(\"http://x\",\"y\")",
                                    "+1",
                                    "-cpu",
                                    "@SUM(A1)",
                                    "\tTab",
                                    "\rCR",
                                    "'=quoted",
                                    "'plain",
                                    "''@two",
                                    "plain"};
    enum { N = sizeof s / sizeof *s };
    le_period_label v[N];
    memset(v, 0, sizeof v);
    for (int i = 0; i < N; i++) {
        v[i] = (le_period_label){.period = i, .start_us = i, .end_us = i + 1};
        snprintf(v[i].service, sizeof v[i].service, "%s", s[i]);
        snprintf(v[i].fault_type, sizeof v[i].fault_type, "%s", s[N - 1 - i]);
        snprintf(v[i].note, sizeof v[i].note, "%s", s[i]);
    }
    const char *path = "period_labels_guard.csv";
    assert_int_equal(le_period_labels_write(path, v, N), 0);
    FILE *f = fopen(path, "r");
    char line[512];
    while (fgets(line, sizeof line, f)) /* no field starts a formula */
        for (char *p = line; *p; p++)
            if (p == line || p[-1] == ',' || (p[-1] == '"' && (p - 1 == line || p[-2] == ',')))
                assert_null(strchr("=+-@\t\r", *p) && *p ? p : NULL);
    fclose(f);
    le_period_label *got = NULL;
    int64_t n = 0;
    assert_int_equal(le_period_labels_read(path, &got, &n), 0);
    assert_int_equal(n, N);
    for (int i = 0; i < N; i++) {
        assert_string_equal(got[i].service, v[i].service);
        assert_string_equal(got[i].fault_type, v[i].fault_type);
        assert_string_equal(got[i].note, v[i].note);
    }
    free(got);
    remove(path);
}

static void expect_error(const char *text, const char *want)
{
    const char *path = "period_labels_bad.csv";
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    le_period_label *got = NULL;
    int64_t n = 0;
    le_err_clear();
    int rc = le_period_labels_read(path, &got, &n);
    if (rc != LE_ERR_FORMAT) fail_msg("%s: rc %d (%s), want %s", text, rc, le_errmsg(), want);
    if (!strstr(le_errmsg(), want)) fail_msg("error %s, want %s", le_errmsg(), want);
    free(got);
    remove(path);
}

static void test_errors_name_the_line(void **state)
{
    (void)state;
    const char *head = "period,start_us,end_us,service,fault_type,note\n";
    char buf[512];
    expect_error("id,start,end,svc,fault\n", "period_labels_bad.csv:1: header must be");
    snprintf(buf, sizeof buf, "%s0,1,2,a,b,\n\n1,2,3\n", head);
    expect_error(buf, "period_labels_bad.csv:4: fewer than 5 fields");
    snprintf(buf, sizeof buf, "%s0,1,2,a,b,\"multi\nline\"\nx,2,3,a,b\n", head);
    expect_error(buf, "period_labels_bad.csv:4: period, start_us and end_us must be integers");
    snprintf(buf, sizeof buf, "%s0,1,2,a,b,\n1,2,3,a,\"open\n", head);
    expect_error(buf, "period_labels_bad.csv:3: unterminated quote");
    snprintf(buf, sizeof buf, "%s0,1,2,a,b,\n1,2,3,\"a\"b,c\n", head);
    expect_error(buf, "period_labels_bad.csv:3: broken quoting");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_formulas_guarded),
        cmocka_unit_test(test_errors_name_the_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
