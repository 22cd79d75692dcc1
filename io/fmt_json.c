/* STUB until the JSON readers land: keeps the tree linking. */
#include "ingest.h"
#include "le_base.h"
int le_read_jaeger(le_parse_ctx *ctx) { return le_fail(LE_ERR_USAGE, "%s: JSON not built yet", ctx->path); }
int le_read_zipkin(le_parse_ctx *ctx) { return le_fail(LE_ERR_USAGE, "%s: JSON not built yet", ctx->path); }
int le_read_otlp(le_parse_ctx *ctx) { return le_fail(LE_ERR_USAGE, "%s: JSON not built yet", ctx->path); }
