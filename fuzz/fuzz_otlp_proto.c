/* libFuzzer target: the OTLP protobuf reader (io/fmt_otlp_proto.c,
 * le_read_otlp_proto): one request, or length-prefixed ones (the first byte
 * decides). Seeds: tests/fixtures/otlp_proto. The low bit of the size picks
 * strict mode. */
#define FUZZ_DEFAULT_INIT
#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_spans(fuzz_write(data, size), (int)(size & 1), le_read_otlp_proto, NULL);
    return 0;
}
