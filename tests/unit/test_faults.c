/* Fault lists (io/faults.c): the Nezha fault_list.json and the CSV
 * service,type,start,end layout, fixtures in tests/fixtures/faults/; with
 * $LE_SHARED/data, the real TrainTicket 2023-01-29 list (28 faults). */
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

#include "groundtruth.h"
#include "le_base.h"

#define S INT64_C(1000000)
#define DEFAULT_US (300 * S)

static const char *fixture(const char *rel)
{
    static char path[4096];
    const char *src = getenv("LE_SRC");
    snprintf(path, sizeof path, "%s/tests/fixtures/faults/%s", src ? src : ".", rel);
    return path;
}

static void check_fault(const le_fault *f, const char *service, const char *type, int64_t start_us, int64_t end_us)
{
    assert_int_equal(f->service, -1);
    assert_string_equal(f->service_name, service);
    assert_string_equal(f->type, type);
    assert_int_equal(f->start_us, start_us);
    assert_int_equal(f->end_us, end_us);
}

static void expect_error(const char *rel, int code, const char *needle)
{
    le_fault *f = (le_fault *)1;
    int32_t n = -1;
    le_err_clear();
    assert_int_equal(le_faults_read(fixture(rel), DEFAULT_US, &f, &n), code);
    if (!strstr(le_errmsg(), needle)) fail_msg("error \"%s\" lacks \"%s\"", le_errmsg(), needle);
    assert_null(f);
    assert_int_equal(n, 0);
}

static void nezha_json(void **state)
{
    le_fault *f;
    int32_t n;
    assert_int_equal(le_faults_read(fixture("nezha_small.json"), DEFAULT_US, &f, &n), 0);
    assert_int_equal(n, 4);
    /* sorted by start; inject_time read as UTC wins over inject_timestamp
     * (the two 09:xx faults share one timestamp); a fault with only a
     * timestamp uses it; StatefulSet pod redis-cart-0 -> redis-cart */
    check_fault(&f[0], "redis-cart", "network_delay", 1674981784 * S, 1674981784 * S + DEFAULT_US);
    check_fault(&f[1], "ts-basic-service", "return", 1674983033 * S, 1674983033 * S + DEFAULT_US);
    check_fault(&f[2], "ts-basic-service", "return", 1674983576 * S, 1674983576 * S + DEFAULT_US);
    check_fault(&f[3], "ts-contacts-service", "cpu_contention", 1674999114 * S, 1674999114 * S + DEFAULT_US);
    free(f);
}

static void csv_layout(void **state)
{
    le_fault *f;
    int32_t n;
    assert_int_equal(le_faults_read(fixture("faults.csv"), DEFAULT_US, &f, &n), 0);
    assert_int_equal(n, 4);
    check_fault(&f[0], "frontend", "network_delay", 1674950400 * S, 1674950460 * S);
    /* fractional seconds, ISO with T and Z, quoted service */
    check_fault(&f[1], "ts-price-service", "exception", 1674962399 * S + 250000, 1674991260 * S + 500000);
    /* ISO start, empty end -> default duration */
    check_fault(&f[2], "ts-route-service", "exception", 1674989805 * S, 1674989805 * S + DEFAULT_US);
    check_fault(&f[3], "ts-food-service", "cpu_contention", 1675003797 * S, 1675003917 * S);
    free(f);
}

static void csv_errors_name_line(void **state)
{
    expect_error("bad_time.csv", LE_ERR_FORMAT, "bad_time.csv:3: start \"29/01/2023 10:56\" is not unix seconds");
    expect_error("missing_column.csv", LE_ERR_FORMAT, "missing_column.csv:1: header has no \"type\" column");
    expect_error("end_before_start.csv", LE_ERR_FORMAT, "end_before_start.csv:2: end 1675003797 is before start 1675003917");
}

static void json_errors_name_key(void **state)
{
    expect_error("nezha_no_pod.json", LE_ERR_FORMAT, "nezha_no_pod.json: key \"10\"[1]: no inject_pod");
    expect_error("no_such_file.json", LE_ERR_IO, "no_such_file.json: cannot open");
}

/* The published file: 28 faults, all at distinct instants once inject_time
 * is trusted, services without pod suffixes. */
static void real_trainticket_faults(void **state)
{
    const char *shared = getenv("LE_SHARED");
    char tarball[4096], dir[] = "/tmp/le_test_faults_XXXXXX", cmd[8192], path[4096];
    snprintf(tarball, sizeof tarball, "%s/data/real/trainticket-2023-01-29.tar.xz", shared ? shared : "/nonexistent");
    struct stat sb;
    if (stat(tarball, &sb) != 0) {
        printf("SKIP real fault list: %s absent\n", tarball);
        skip();
    }
    assert_non_null(mkdtemp(dir));
    snprintf(cmd, sizeof cmd, "tar -xJf '%s' -C '%s' trainticket-2023-01-29/fault_list.json", tarball, dir);
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/trainticket-2023-01-29/fault_list.json", dir);

    le_fault *f;
    int32_t n;
    int rc = le_faults_read(path, DEFAULT_US, &f, &n);
    unlink(path);
    snprintf(path, sizeof path, "%s/trainticket-2023-01-29", dir);
    rmdir(path);
    rmdir(dir);
    assert_int_equal(rc, 0);
    assert_int_equal(n, 28);
    check_fault(&f[0], "ts-contacts-service", "return", 1674981784 * S, 1674981784 * S + DEFAULT_US); /* 08:43:04 */
    check_fault(&f[4], "ts-basic-service", "return", 1674983576 * S, 1674983576 * S + DEFAULT_US);    /* 09:12:56 */
    check_fault(&f[27], "ts-preserve-service", "cpu_contention", 1675006920 * S, 1675006920 * S + DEFAULT_US);
    for (int i = 1; i < n; i++) assert_true(f[i].start_us > f[i - 1].start_us);
    for (int i = 0; i < n; i++) assert_null(strstr(f[i].service_name, "-866bd68c97"));
    free(f);
}

int main(void)
{
    const char *shared = getenv("LE_SHARED");
    char data[4096];
    snprintf(data, sizeof data, "%s/data", shared ? shared : "/nonexistent");
    struct stat sb;
    int have_data = stat(data, &sb) == 0;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(nezha_json),
        cmocka_unit_test(csv_layout),
        cmocka_unit_test(csv_errors_name_line),
        cmocka_unit_test(json_errors_name_key),
        cmocka_unit_test(real_trainticket_faults),
    };
    int failed = cmocka_run_group_tests(tests, NULL, NULL);
    if (failed) return failed;
    if (!have_data) {
        printf("SKIP real TrainTicket fault list: %s absent (fixture tests passed)\n", data);
        return 77;
    }
    return 0;
}
