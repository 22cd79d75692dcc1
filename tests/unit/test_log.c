/* The log lines (algos/le_base.h): each one whole, in one write, so that
 * ranks sharing stderr cannot cut into each other's lines; a line too long
 * for the buffer is cut and still ends with its newline. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "le_base.h"

/* What le_info and le_warn print, with stderr sent to a file. */
static char *captured(void (*say)(void))
{
    fflush(stderr);
    int saved = dup(2);
    FILE *f = tmpfile();
    assert_non_null(f);
    assert_true(dup2(fileno(f), 2) >= 0);
    say();
    fflush(stderr);
    assert_true(dup2(saved, 2) >= 0);
    close(saved);
    long n = ftell(f);
    char *s = calloc((size_t)n + 1, 1);
    rewind(f);
    assert_int_equal(fread(s, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    return s;
}

static void say_short(void) { le_info("%s %d", "parse:", 7); }
static void say_warning(void) { le_warn("odd %s", "input"); }
static void say_long(void)
{
    char *x = malloc(10001);
    memset(x, 'x', 10000), x[10000] = 0;
    le_info("%s", x);
    free(x);
}

static void lines_whole(void **state)
{
    (void)state;
    le_log_level = 1, le_log_rank = 0;
    char *s = captured(say_short);
    assert_string_equal(s, "labelease: parse: 7\n");
    free(s);
    s = captured(say_warning);
    assert_string_equal(s, "labelease: warning: odd input\n");
    free(s);
    s = captured(say_long);
    size_t n = strlen(s);
    assert_true(n > 4000 && n < 4096);
    assert_true(s[n - 1] == '\n' && s[n - 2] == 'x' && !strncmp(s, "labelease: xxx", 14));
    free(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(lines_whole)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
