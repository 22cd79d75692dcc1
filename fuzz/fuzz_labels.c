/* libFuzzer target: the labels CSV reader (io/labels.c, le_labels_read).
 * Seeds: tests/fixtures/csv (labels_*.csv among them). */
#define FUZZ_DEFAULT_INIT
#include "fuzz_common.h"
#include "groundtruth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    le_labels l;
    if (le_labels_read(fuzz_write(data, size), &l) == 0) le_labels_free(&l);
    le_err_clear();
    return 0;
}
