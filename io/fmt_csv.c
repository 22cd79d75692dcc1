/* STUB until the CSV reader lands: keeps the tree linking. */
#include "ingest.h"
#include "le_base.h"
struct le_csv_map { int unused; };
int le_csv_map_load(const char *path, le_csv_map **out) { (void)out; return le_fail(LE_ERR_USAGE, "%s: CSV not built yet", path); }
int le_csv_map_named(const char *name, le_csv_map **out) { (void)out; return le_fail(LE_ERR_USAGE, "%s: CSV not built yet", name); }
void le_csv_map_free(le_csv_map *m) { (void)m; }
int le_read_csv(le_parse_ctx *ctx, const le_csv_map *map) { (void)map; return le_fail(LE_ERR_USAGE, "%s: CSV not built yet", ctx->path); }
