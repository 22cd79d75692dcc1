/* libFuzzer target: the Zipkin JSON reader (io/fmt_zipkin.c, le_read_zipkin).
 * Seeds: tests/fixtures/zipkin. The low bit of the size picks strict mode. */
#define FUZZ_DEFAULT_INIT
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_spans(fuzz_write(data, size), (int)(size & 1), le_read_zipkin, NULL);
    return 0;
}
