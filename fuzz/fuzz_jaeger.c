/* libFuzzer target: the Jaeger JSON reader (io/fmt_jaeger.c, le_read_jaeger).
 * Seeds: tests/fixtures/jaeger. The low bit of the size picks strict mode. */
#define FUZZ_DEFAULT_INIT
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_spans(fuzz_write(data, size), (int)(size & 1), le_read_jaeger, NULL);
    return 0;
}
