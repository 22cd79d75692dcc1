/* libFuzzer target: the fault-list reader, Nezha JSON and CSV layouts
 * (io/faults.c, le_faults_read). Seeds: tests/fixtures/faults. */
#define FUZZ_DEFAULT_INIT
#include "fuzz_common.h"
#include "groundtruth.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    le_fault *f = NULL;
    int32_t n = 0;
    le_faults_read(fuzz_write(data, size), 600000000, &f, &n);
    free(f);
    le_err_clear();
    return 0;
}
