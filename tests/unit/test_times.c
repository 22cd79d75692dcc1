/* Times at ingest (issue #16, cases 9 and 13; docs/ingest.md "Times"):
 * dates that do not exist are refused, not rolled over; spans outside the
 * window 1970..2200 are dropped with their own reason; starts that look like
 * another unit are counted for the warning. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <string.h>

#include "corpus_check.h"
#include "ingest.h"

static int parses(const char *s)
{
    int64_t ns;
    return le_parse_utc_datetime_ns(s, strlen(s), &ns) == 0;
}

static void dates_that_do_not_exist(void **state)
{
    (void)state;
    assert_false(parses("2023-02-29 00:00:00"));
    assert_false(parses("2100-02-29 00:00:00")); /* a century is not a leap year... */
    assert_true(parses("2000-02-29 00:00:00"));  /* ...unless it divides by 400 */
    assert_true(parses("2024-02-29T23:59:59Z"));
    assert_false(parses("2023-04-31 12:00:00"));
    assert_false(parses("2023-11-31 12:00:00"));
    assert_true(parses("2023-12-31 12:00:00"));
    int64_t ns = 0;
    assert_int_equal(le_parse_utc_datetime_ns("2023-03-01 00:00:00", 19, &ns), 0);
    assert_int_equal(ns, INT64_C(1677628800) * 1000000000);
}

/* One root span starting at start_us through le_ingest_span. */
static int ingest_one(le_ingest_stats *st, int64_t start_us, int64_t duration_us)
{
    le_spanbuf buf;
    le_spanbuf_init(&buf);
    le_parse_ctx ctx = {.out = &buf, .st = st, .path = "t.json", .file_label = -1, .max_duration_us = INT64_MAX};
    le_span_in s = {.trace_id = "t", .trace_id_len = 1, .span_id = "a", .span_id_len = 1, .label = -1};
    s.start_us = start_us, s.duration_us = duration_us;
    int rc = le_ingest_span(&ctx, &s, 1, LE_POS_BYTE);
    le_spanbuf_free(&buf);
    return rc;
}

static void window_and_unit_hints(void **state)
{
    (void)state;
    le_ingest_stats st;
    le_stats_init(&st);
    ingest_one(&st, INT64_C(1674981768697000), 1000);     /* 2023, microseconds: kept */
    ingest_one(&st, INT64_C(9000000000000000000), 1000);  /* the issue's +9e18 */
    ingest_one(&st, -INT64_C(9000000000000000000), 1000); /* and -9e18 */
    ingest_one(&st, LE_TIME_MAX_US - 10, 11);             /* ends past 2200 */
    ingest_one(&st, LE_TIME_MAX_US - 10, 10);             /* ends at 2200: kept */
    ingest_one(&st, 0, 5);                                /* the epoch itself: kept, no hint */
    ingest_one(&st, INT64_C(1674981768), 5);              /* seconds */
    ingest_one(&st, INT64_C(1674981768697), 5);           /* milliseconds */
    ingest_one(&st, INT64_C(1674981768697000000), 5);     /* nanoseconds: also dropped */
    assert_int_equal(st.rows_read, 9);
    assert_int_equal(st.dropped[LE_DROP_TIME_RANGE], 4);
    assert_string_equal(le_drop_name(LE_DROP_TIME_RANGE), "times_out_of_range");
    assert_int_equal(st.unit_hint[LE_UNIT_SECONDS], 1);
    assert_int_equal(st.unit_hint[LE_UNIT_MILLIS], 1);
    assert_int_equal(st.unit_hint[LE_UNIT_NANOS], 2); /* 9e18 us is a date of 2255 in nanoseconds */
    le_ingest_stats other = st;
    le_stats_merge(&st, &other);
    assert_int_equal(st.unit_hint[LE_UNIT_NANOS], 4);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dates_that_do_not_exist),
        cmocka_unit_test(window_and_unit_hints),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
