/* The per-operation tail block (algos/tail.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>

#include "tail.h"

static void value_beyond_threshold_only(void **state)
{
    (void)state;
    assert_true(le_tail_value(100, 100.0) == 0); /* at the threshold: ordinary */
    assert_true(le_tail_value(99, 100.0) == 0);
    assert_true(fabsf(le_tail_value(101, 100.0) - (1 + log2f(1.01f))) < 1e-6); /* just beyond: about 1 */
    assert_true(fabsf(le_tail_value(800, 100.0) - 4) < 1e-6);                  /* 8x: 1 + 3 */
    assert_true(le_tail_value(5, INFINITY) == 0);                              /* no threshold */
    assert_true(fabsf(le_tail_value(2, 0.0) - 2) < 1e-6);                      /* thresholds below 1 us count as 1 */
}

static void bursting_cells(void **state)
{
    (void)state;
    double q = LE_TAIL_DETECT_QUANTILE;               /* 1% expected above it */
    assert_false(le_tail_cell_bursting(1000, 2, q));  /* too few to say */
    assert_false(le_tail_cell_bursting(1000, 50, q)); /* 5% = 5x expected: not over */
    assert_true(le_tail_cell_bursting(1000, 51, q));
    assert_true(le_tail_cell_bursting(20, 3, q)); /* few spans, 3 of them: bursting */
}

static void rare_structures(void **state)
{
    (void)state;
    assert_true(le_tail_rare(2, 1000000));
    assert_false(le_tail_rare(3, 100));
    assert_true(le_tail_rare(99, 10000)); /* under 1% of the operation's spans */
    assert_false(le_tail_rare(100, 10000));
}

/* Trace of 4 spans over 3 operations: blocks take the largest per operation. */
static void row_maxima_per_block(void **state)
{
    (void)state;
    int32_t op[] = {0, 1, 1, 2};
    int64_t self[] = {50, 400, 3200, 10};
    int8_t failed[] = {0, 0, 1, 0};
    uint8_t rare[] = {0, 0, 0, 1};
    double thr[] = {100, 200, 100};
    float out[3 * LE_TAIL_BLOCKS];
    le_tail_row(op, self, failed, rare, 4, thr, 3, out);
    assert_true(out[0] == 0);              /* op 0 within its tail */
    assert_true(fabsf(out[1] - 5) < 1e-6); /* op 1: max(1 + 1, 1 + log2 16) */
    assert_true(out[2] == 0);
    assert_true(out[3] == 0 && out[4] == 1 && out[5] == 0); /* errors */
    assert_true(out[6] == 0 && out[7] == 0 && out[8] == 1); /* rare */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(value_beyond_threshold_only),
        cmocka_unit_test(bursting_cells),
        cmocka_unit_test(rare_structures),
        cmocka_unit_test(row_maxima_per_block),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
