/* The terminals' text that fits (issue 18, item 6; tui/tui.h): names
 * shortened with a mark that says so (head or tail kept, UTF-8 counted as
 * one column), the key help wrapped between keys, and the standard
 * deviation written σ on a UTF-8 terminal and "sd" otherwise, never "s". */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "tui.h"

static void locale(const char *lc_all, const char *lang)
{
    unsetenv("LC_ALL"), unsetenv("LC_CTYPE"), unsetenv("LANG");
    if (lc_all) setenv("LC_ALL", lc_all, 1);
    if (lang) setenv("LANG", lang, 1);
}

static void sigma_by_locale(void **state)
{
    (void)state;
    locale(NULL, "en_US.UTF-8");
    assert_string_equal(le_tui_sigma(), "\xCF\x83");
    locale(NULL, "C.utf8");
    assert_string_equal(le_tui_sigma(), "\xCF\x83");
    locale("C", "en_US.UTF-8"); /* LC_ALL decides over LANG */
    assert_string_equal(le_tui_sigma(), "sd");
    locale(NULL, NULL);
    assert_string_equal(le_tui_sigma(), "sd");
    assert_string_equal(le_tui_cut_mark(), "~");
}

static void names_shortened_with_a_mark(void **state)
{
    (void)state;
    char out[64];
    locale(NULL, "C");
    le_abbrev(out, sizeof out, "productcatalogservice", 8, 0);
    assert_string_equal(out, "product~");
    le_abbrev(out, sizeof out, "hipstershop.CartService/GetCart", 12, 1);
    assert_string_equal(out, "~ice/GetCart");
    le_abbrev(out, sizeof out, "frontend", 8, 0); /* fits: whole, no mark */
    assert_string_equal(out, "frontend");
    locale(NULL, "C.UTF-8");
    le_abbrev(out, sizeof out, "s\xC3\xA9rvice-\xCE\xB1\xCE\xB2\xCE\xB3", 6, 0); /* é, αβγ: one column each */
    assert_string_equal(out, "s\xC3\xA9rvi\xE2\x80\xA6");
    assert_int_equal(le_text_cols(out), 6);
    le_abbrev(out, sizeof out, "s\xC3\xA9rvice-\xCE\xB1\xCE\xB2\xCE\xB3", 4, 1);
    assert_string_equal(out, "\xE2\x80\xA6\xCE\xB1\xCE\xB2\xCE\xB3");
}

static void key_help_wraps_between_keys(void **state)
{
    (void)state;
    const char *keys = " n normal  a abnormal  s unsure  q quit";
    assert_int_equal(le_wrap_count(keys, 80), 1);
    assert_int_equal(le_wrap_count(keys, 24), 2); /* " n normal  a abnormal" / "s unsure  q quit" */
    assert_int_equal(le_wrap_count(keys, 12), 4); /* never "n" on one line and "normal" on the next */
}

static void key_help_on_a_small_screen(void **state)
{
    (void)state;
    const char *keys =
        " n normal  a abnormal  s unsure  u undo  j/k next/prev  f filter  ? help  q quit  "
        "Enter next unlabeled  PgDn/PgUp spans";
    le_screen at80 = {.rows = 24, .cols = 80}, tiny = {.rows = 8, .cols = 30};
    assert_ptr_equal(le_keys_for(&at80, keys), keys); /* 2 of 24 lines: all of it */
    assert_string_equal(le_keys_for(&tiny, keys), " ? keys  q quit");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sigma_by_locale),
        cmocka_unit_test(names_shortened_with_a_mark),
        cmocka_unit_test(key_help_wraps_between_keys),
        cmocka_unit_test(key_help_on_a_small_screen),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
