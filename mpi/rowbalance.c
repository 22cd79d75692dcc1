#include "rowbalance.h"

#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "exchange.h"

/* dest[i]: the rank row i goes to; non-decreasing in i, since the global
 * cost positions are. */
static void destinations(const int32_t *len, int64_t n, int64_t before, int64_t total, int p, int *dest)
{
    int64_t pos = before;
    for (int64_t i = 0; i < n; i++) {
        int64_t c = (int64_t)len[i] + LE_ROW_COST_FIXED;
        /* midpoint, doubled to stay in integers: 2 pos + c over 2 C */
        int r = (int)((__int128)(2 * pos + c) * p / (2 * total));
        dest[i] = r < p ? r : p - 1;
        pos += c;
    }
}

/* One array of rows of `width` bytes each, sent by dest; received rows land
 * in source-rank order, which is global order. */
static int move(MPI_Comm comm, const void *src, size_t width, const uint64_t *rows_to, int p, void **dst, int64_t *n_out)
{
    uint64_t *bytes = le_malloc(sizeof(uint64_t) * (size_t)p), *rbytes = le_malloc(sizeof(uint64_t) * (size_t)p), total;
    for (int r = 0; r < p; r++) bytes[r] = rows_to[r] * width;
    char *recv = NULL;
    int rc = le_alltoallv_bytes(comm, (const char *)src, bytes, &recv, rbytes, &total);
    free(bytes), free(rbytes);
    if (rc) return rc;
    *dst = recv;
    *n_out = (int64_t)(total / width);
    return 0;
}

int le_rows_balance(MPI_Comm comm, const float *x, const int64_t *gidx, const int32_t *len, int64_t n, int d, le_rows *out)
{
    int p, rank;
    memset(out, 0, sizeof *out); /* first: callers free *out on any failure */
    LE_MPI(MPI_Comm_size(comm, &p));
    LE_MPI(MPI_Comm_rank(comm, &rank));
    int64_t mine = 0, before, total;
    for (int64_t i = 0; i < n; i++) mine += (int64_t)len[i] + LE_ROW_COST_FIXED;
    LE_CHECK(le_prefix_and_total(comm, mine, &before, &total));
    int *dest = le_malloc(sizeof(int) * (size_t)n);
    uint64_t *rows_to = le_calloc((size_t)p, sizeof(uint64_t));
    if (total > 0)
        destinations(len, n, before, total, p, dest);
    else
        for (int64_t i = 0; i < n; i++) dest[i] = rank;
    for (int64_t i = 0; i < n; i++) rows_to[dest[i]]++;
    free(dest);
    void *vx = NULL, *vg = NULL, *vl = NULL;
    int rc = move(comm, x, sizeof(float) * (size_t)d, rows_to, p, &vx, &out->n);
    if (!rc) rc = move(comm, gidx, sizeof(int64_t), rows_to, p, &vg, &out->n);
    if (!rc) rc = move(comm, len, sizeof(int32_t), rows_to, p, &vl, &out->n);
    free(rows_to);
    out->x = vx, out->gidx = vg, out->len = vl;
    if (rc) le_rows_free(out);
    return rc;
}

void le_rows_free(le_rows *r)
{
    free(r->x), free(r->gidx), free(r->len);
    memset(r, 0, sizeof *r);
}
