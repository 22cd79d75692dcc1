/* cellpath: values inside one structured CSV cell (docs/formats.md,
 * "Structured cells"). Tracing systems dump whole records into one column:
 * Jaeger's Cassandra table has the process as a CQL literal
 * ({service_name: 'cart', tags: [...]}) and the references as a list of them;
 * other exports write JSON objects or key=value lists. Three shapes are read:
 *
 *   {"serviceName": "cart", "tags": [...]}      JSON object
 *   {service_name: 'cart', tags: [...]}          CQL literal as cqlsh writes it
 *   service=cart;pod=cart-1                      key=value pairs (, ; or &)
 *
 * Single-process, no allocation but the caller's growable buffer. */
#ifndef LE_CELLPATH_H
#define LE_CELLPATH_H

#include <stddef.h>

/* The scalar at a dotted key path ("service_name", "process.serviceName") of
 * the map in cell[0..n): strings unquoted and unescaped ('' in CQL, \" and
 * \uXXXX in JSON), other scalars as written, into *buf (grown as needed,
 * NUL-terminated), its length in *len. Keys match exactly. A segment
 * "[key=error]" picks the first map of a list whose key is "error":
 * "tags.[key=error].value_bool" reads Jaeger's error tag. Returns 1 when
 * found, 0 when the path names nothing (a missing key, a map or list
 * value, a cell that is not a map), -1 when the cell is malformed. */
int le_cell_path(const char *cell, size_t n, const char *path, char **buf, size_t *cap, size_t *len);

/* The parent span id a references cell names: a list of references, each a
 * map with a type, a trace id and a span id (keys compared in any case,
 * without '_': ref_type/refType, trace_id/traceID, span_id/spanID) or a
 * (type, trace id, span id) tuple. The first child-of reference of the same
 * trace wins (Jaeger's own rule), then the first follows-from one (Jaeger UI
 * draws a span under it); types compared in any case without '-' and '_'
 * (child-of, CHILD_OF). A reference without a trace id counts as the same
 * trace. The span id goes to *buf as written. Returns 1 found, 0 none (an
 * empty cell or list), -1 malformed. */
int le_cell_parent_ref(const char *cell, size_t n, const char *trace_id, size_t trace_len, char **buf, size_t *cap,
                       size_t *len);

#endif
