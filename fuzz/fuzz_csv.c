/* libFuzzer target: the CSV trace reader (io/fmt_csv.c, le_read_csv) under
 * each named layout of configs/formats (the first byte picks the layout).
 * Seeds: tests/fixtures/csv. */
#include "fuzz_common.h"

static const char *layouts[] = {"nezha", "aiops2022", "skywalking", "tracevae", "jaeger-cassandra", "alibaba"};
#define N_LAYOUTS (sizeof layouts / sizeof layouts[0])
static le_csv_map *maps[N_LAYOUTS];

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    for (size_t i = 0; i < N_LAYOUTS; i++)
        if (le_csv_map_named(layouts[i], &maps[i])) {
            fprintf(stderr, "fuzz_csv: layout %s: %s\n", layouts[i], le_errmsg());
            abort();
        }
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_spans(fuzz_write(data, size), (int)(size & 1), NULL, maps[size ? data[0] % N_LAYOUTS : 0]);
    return 0;
}
