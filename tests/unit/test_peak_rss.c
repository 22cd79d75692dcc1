/* Peak RSS per command (cmd/driver.h): le_cmd_call starts a new peak, so
 * the stages of `labelease run`, called in one process, each report their
 * own and not the largest of the stages before them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cmocka.h>

#include "driver.h"

#define BIG_MIB 256

static double seen_mib; /* le_peak_rss_mib as the command ended */

/* Touch BIG_MIB MiB and give them back: mmap, not malloc, so that no
 * allocator (or ASan's quarantine) keeps them resident. */
static int cmd_big(int argc, char **argv)
{
    (void)argc, (void)argv;
    size_t n = (size_t)BIG_MIB << 20;
    char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    for (size_t i = 0; i < n; i += 4096) p[i] = 1;
    munmap(p, n);
    seen_mib = le_peak_rss_mib();
    return 0;
}

static int cmd_small(int argc, char **argv)
{
    (void)argc, (void)argv;
    seen_mib = le_peak_rss_mib();
    return 0;
}

static void test_each_command_has_its_own_peak(void **state)
{
    (void)state;
    if (access("/proc/self/clear_refs", W_OK)) skip(); /* not Linux: one peak for the process */
    char *argv[] = {"big", NULL};
    assert_int_equal(le_cmd_call(cmd_big, 1, argv), 0);
    double big = seen_mib;
    assert_true(big >= BIG_MIB);
    argv[0] = "small";
    assert_int_equal(le_cmd_call(cmd_small, 1, argv), 0);
    /* the second command never held the big block */
    assert_true(seen_mib < big - BIG_MIB / 2);
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_each_command_has_its_own_peak)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
