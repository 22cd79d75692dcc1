/* libFuzzer target: the CSV layout (INI) loader (io/fmt_csv.c,
 * le_csv_map_load); a map that loads then reads a small Nezha CSV.
 * Seeds: configs/formats and tests/fixtures/csv (its *.ini). */
#include "fuzz_common.h"

#include <string.h>

static char csv_path[600];

static void csv_cleanup(void) { unlink(csv_path); }

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    static const char sample[] =
        "TraceID,SpanID,ParentID,PodName,OperationName,StartTimeUnixNano,EndTimeUnixNano,Duration\n"
        "t1,s1,,ts-a-service-866bd68c97-xcqfx,GET /a,1650000000000000000,1650000000002000000,2000000\n"
        "t1,s2,s1,ts-b-service-7f9c-abcde,POST /b,1650000000000500000,1650000000001000000,500000\n";
    snprintf(csv_path, sizeof csv_path, "%s.csv", fuzz_path());
    FILE *f = fopen(csv_path, "wb");
    if (!f || fwrite(sample, 1, sizeof sample - 1, f) != sizeof sample - 1 || fclose(f)) abort();
    atexit(csv_cleanup);
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    le_csv_map *m = NULL;
    if (le_csv_map_load(fuzz_write(data, size), &m) == 0) fuzz_spans(csv_path, 0, NULL, m);
    le_csv_map_free(m);
    le_err_clear();
    return 0;
}
