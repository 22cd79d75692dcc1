/* io/ini.c, the one INI reader (run config, synth config, CSV mapping
 * files): what it reads, and that every error names FILE:LINE. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "ini.h"
#include "le_base.h"

static int parse(le_ini *ini, const char *text, int flags)
{
    le_err_clear();
    return le_ini_parse(ini, le_strdup(text), "c.ini", flags);
}

static void test_values(void **state)
{
    (void)state;
    le_ini ini;
    assert_int_equal(parse(&ini,
                           "# comment\n; comment\n  [a]  \n\tk1\t=\tv1\t\r\n"
                           "k2 = v2 # after whitespace\nk3 = x#y;z\nk4 =\nk5 = \"q # kept ; too\" ; gone\n"
                           "[b]\n",
                           0),
                     0);
    assert_int_equal(ini.nsec, 2);
    const le_ini_section *a = le_ini_section_of(&ini, "a");
    assert_non_null(a);
    assert_int_equal(a->line, 3);
    assert_int_equal(a->n, 5);
    assert_string_equal(le_ini_get(a, "k1"), "v1");
    assert_string_equal(le_ini_get(a, "k2"), "v2");
    assert_string_equal(le_ini_get(a, "k3"), "x#y;z"); /* a comment needs whitespace before it */
    assert_string_equal(le_ini_get(a, "k4"), "");
    assert_string_equal(le_ini_get(a, "k5"), "q # kept ; too");
    assert_int_equal(a->kv[4].line, 8);
    assert_null(le_ini_get(a, "k6"));
    assert_int_equal(le_ini_section_of(&ini, "b")->n, 0);
    assert_null(le_ini_section_of(&ini, "c"));
    assert_null(le_ini_get(NULL, "k1"));
    le_ini_free(&ini);
}

static void test_flags(void **state)
{
    (void)state;
    le_ini ini;
    assert_int_equal(parse(&ini, "[Sec]\nMax_Iter = A_B\n", LE_INI_LOWER | LE_INI_DASH), 0);
    assert_string_equal(le_ini_get(le_ini_section_of(&ini, "sec"), "max-iter"), "A_B"); /* values as written */
    le_ini_free(&ini);
    assert_int_equal(parse(&ini, "[Sec]\nMax_Iter = 1\n", 0), 0);
    assert_non_null(le_ini_get(le_ini_section_of(&ini, "Sec"), "Max_Iter"));
    le_ini_free(&ini);
    /* '_' and '-' are one key with LE_INI_DASH: given twice */
    assert_int_equal(parse(&ini, "[s]\nmax_iter = 1\nmax-iter = 2\n", LE_INI_DASH), LE_ERR_FORMAT);
    assert_string_equal(le_errmsg(), "c.ini:3: key 'max-iter' appears twice in [s]");
}

static void expect_error(const char *text, const char *msg)
{
    le_ini ini;
    assert_int_equal(parse(&ini, text, 0), LE_ERR_FORMAT);
    assert_string_equal(le_errmsg(), msg);
    assert_int_equal(ini.nsec, 0);
    le_ini_free(&ini);
}

static void test_errors_name_the_line(void **state)
{
    (void)state;
    expect_error("k = 1\n[s]\n", "c.ini:1: 'k = 1' is outside any [section]");
    expect_error("[s]\n\njunk line\n", "c.ini:3: expected key = value, got 'junk line'");
    expect_error("[s\n", "c.ini:1: malformed section header '[s'");
    expect_error("[s] x\n", "c.ini:1: malformed section header '[s] x'");
    expect_error("[s]\n[t]\n[s]\n", "c.ini:3: section [s] appears twice");
    expect_error("[s]\nk = 1\n# k = 0\nk = 2\n", "c.ini:4: key 'k' appears twice in [s]");
    expect_error("[s]\nk = \"open\n", "c.ini:2: unterminated quote");
}

static void test_load(void **state)
{
    (void)state;
    char path[] = "/tmp/le-test-ini-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "[s]\nk = v\nbad\n";
    assert_int_equal(write(fd, text, sizeof text - 1), (ssize_t)(sizeof text - 1));
    close(fd);
    le_ini ini;
    le_err_clear();
    assert_int_equal(le_ini_load(&ini, path, 0), LE_ERR_FORMAT);
    char want[128];
    snprintf(want, sizeof want, "%s:3: expected key = value, got 'bad'", path);
    assert_string_equal(le_errmsg(), want);
    le_ini_free(&ini);
    unlink(path);
    assert_int_equal(le_ini_load(&ini, path, 0), LE_ERR_IO);
    assert_non_null(strstr(le_errmsg(), path));
    le_ini_free(&ini);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_flags),
        cmocka_unit_test(test_errors_name_the_line),
        cmocka_unit_test(test_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
