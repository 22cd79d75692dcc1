#include "exchange.h"

#include <stdlib.h>
#include <string.h>

#include "comm.h"

uint64_t le_exchange_round_bytes = (uint64_t)1 << 30;
#define ROUND_BYTES le_exchange_round_bytes

int le_alltoallv_bytes(MPI_Comm comm, const char *send, const uint64_t *count, char **recv, uint64_t *rcount,
                       uint64_t *rtotal)
{
    int p;
    LE_MPI(MPI_Comm_size(comm, &p));
    LE_MPI(MPI_Alltoall(count, 1, MPI_UINT64_T, rcount, 1, MPI_UINT64_T, comm));
    uint64_t *sdispl = le_calloc((size_t)p, sizeof *sdispl), *rdispl = le_calloc((size_t)p, sizeof *rdispl);
    uint64_t total = 0, maxc = 0;
    for (int r = 0; r < p; r++) {
        sdispl[r] = r ? sdispl[r - 1] + count[r - 1] : 0;
        rdispl[r] = total;
        total += rcount[r];
        if (count[r] > maxc) maxc = count[r];
    }
    int err = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &maxc, 1, MPI_UINT64_T, MPI_MAX, comm));
    char *out = le_malloc(total);
    int *sc = le_malloc((size_t)p * sizeof *sc), *sd = le_malloc((size_t)p * sizeof *sd);
    int *rc = le_malloc((size_t)p * sizeof *rc), *rd = le_malloc((size_t)p * sizeof *rd);
    /* Each round r moves bytes [r*ROUND, (r+1)*ROUND) of every peer's
     * segment, packed contiguously in temporary buffers. */
    uint64_t rounds = err ? 0 : (maxc + ROUND_BYTES - 1) / ROUND_BYTES;
    char *sbuf = NULL, *rbuf = NULL;
    for (uint64_t k = 0; k < rounds && !err; k++) {
        uint64_t lo = k * ROUND_BYTES, st = 0, rt = 0;
        for (int r = 0; r < p; r++) {
            uint64_t s = count[r] > lo ? count[r] - lo : 0, q = rcount[r] > lo ? rcount[r] - lo : 0;
            sc[r] = (int)(s < ROUND_BYTES ? s : ROUND_BYTES);
            rc[r] = (int)(q < ROUND_BYTES ? q : ROUND_BYTES);
            sd[r] = (int)st;
            rd[r] = (int)rt;
            st += (uint64_t)sc[r];
            rt += (uint64_t)rc[r];
        }
        if (rounds == 1) { /* common case: no copies */
            for (int r = 0; r < p; r++) sd[r] = (int)sdispl[r], rd[r] = (int)rdispl[r];
            err = LE_MPI_RC(MPI_Alltoallv(send, sc, sd, MPI_BYTE, out, rc, rd, MPI_BYTE, comm));
            break;
        }
        sbuf = le_realloc(sbuf, st);
        rbuf = le_realloc(rbuf, rt);
        for (int r = 0; r < p; r++) memcpy(sbuf + sd[r], send + sdispl[r] + lo, (size_t)sc[r]);
        err = LE_MPI_RC(MPI_Alltoallv(sbuf, sc, sd, MPI_BYTE, rbuf, rc, rd, MPI_BYTE, comm));
        for (int r = 0; r < p; r++) memcpy(out + rdispl[r] + lo, rbuf + rd[r], (size_t)rc[r]);
    }
    free(sbuf);
    free(rbuf);
    free(sc);
    free(sd);
    free(rc);
    free(rd);
    free(sdispl);
    free(rdispl);
    if (err) {
        free(out);
        return err;
    }
    *recv = out;
    *rtotal = total;
    return 0;
}

int le_bcast_bytes(MPI_Comm comm, char **buf, uint64_t *len, int root)
{
    int rank, rc = 0;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    LE_MPI(MPI_Bcast(len, 1, MPI_UINT64_T, root, comm));
    if (rank != root) *buf = le_malloc(*len);
    for (uint64_t off = 0; off < *len && !rc; off += ROUND_BYTES) {
        uint64_t n = *len - off < ROUND_BYTES ? *len - off : ROUND_BYTES;
        rc = LE_MPI_RC(MPI_Bcast(*buf + off, (int)n, MPI_BYTE, root, comm));
    }
    if (rc && rank != root) free(*buf), *buf = NULL; /* the root's buffer stays its caller's */
    return rc;
}

int le_gather_bytes(MPI_Comm comm, const char *buf, uint64_t len, char **out, uint64_t *out_len, int root)
{
    int rank, p;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    LE_MPI(MPI_Comm_size(comm, &p));
    if (len > ROUND_BYTES)
        return le_fail(LE_ERR_INTERNAL, "gather of %llu bytes from one rank is too large", (unsigned long long)len);
    int n = (int)len;
    int *counts = rank == root ? le_malloc((size_t)p * sizeof *counts) : NULL;
    int *displ = rank == root ? le_malloc((size_t)p * sizeof *displ) : NULL;
    int rc = LE_MPI_RC(MPI_Gather(&n, 1, MPI_INT, counts, 1, MPI_INT, root, comm));
    uint64_t total = 0;
    *out = NULL;
    if (!rc && rank == root) {
        for (int r = 0; r < p; r++) {
            displ[r] = (int)total;
            total += (uint64_t)counts[r];
        }
        if (total > INT32_MAX)
            rc = le_fail(LE_ERR_INTERNAL, "gathered tables exceed 2 GiB");
        else
            *out = le_malloc(total);
    }
    if (!rc) rc = LE_MPI_RC(MPI_Gatherv(buf, n, MPI_BYTE, rank == root ? *out : NULL, counts, displ, MPI_BYTE, root, comm));
    free(counts);
    free(displ);
    if (rc) free(*out), *out = NULL;
    *out_len = total;
    return rc;
}

/* MPI reduction of Welford triples: inout = in (lower ranks) merged with inout. */
static void welford_op(void *in, void *inout, int *len, MPI_Datatype *type)
{
    (void)type;
    le_welford *a = in, *b = inout;
    for (int i = 0; i < *len; i++) {
        le_welford m = a[i];
        le_welford_merge(&m, &b[i]);
        b[i] = m;
    }
}

int le_allreduce_welford(MPI_Comm comm, le_welford *w, int64_t n)
{
    MPI_Datatype t = MPI_DATATYPE_NULL;
    MPI_Op op = MPI_OP_NULL;
    int rc, frc;
    if ((rc = LE_MPI_RC(MPI_Type_contiguous(3, MPI_DOUBLE, &t)))) goto cleanup;
    if ((rc = LE_MPI_RC(MPI_Type_commit(&t)))) goto cleanup;
    if ((rc = LE_MPI_RC(MPI_Op_create(welford_op, 0, &op)))) goto cleanup; /* not commutative: merged in rank order */
    /* In pieces: a count is an int (P x S summaries pass INT_MAX long before memory runs out). */
    for (int64_t off = 0; off < n && !rc; off += 1 << 26) {
        int len = (int)(n - off < (1 << 26) ? n - off : 1 << 26);
        rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, w + off, len, t, op, comm));
    }
cleanup:
    /* a failure to free is reported only when nothing failed before it */
    if (op != MPI_OP_NULL && (frc = LE_MPI_RC(MPI_Op_free(&op))) && !rc) rc = frc;
    if (t != MPI_DATATYPE_NULL && (frc = LE_MPI_RC(MPI_Type_free(&t))) && !rc) rc = frc;
    return rc;
}

int le_allgatherv_append(MPI_Comm comm, const void *mine, int64_t n, MPI_Datatype type, void **buf, int64_t *len,
                         int64_t *cap, const char *what)
{
    int p, esize;
    LE_MPI(MPI_Comm_size(comm, &p));
    LE_MPI(MPI_Type_size(type, &esize));
    int *cnt = le_malloc(sizeof(int) * (size_t)p), *disp = le_malloc(sizeof(int) * (size_t)p);
    int count = (int)n, rc = 0;
    if (n > INT32_MAX) rc = le_fail(LE_ERR_USAGE, "%s: %lld on one rank, past an MPI count", what, (long long)n);
    if (!rc) rc = LE_MPI_RC(MPI_Allgather(&count, 1, MPI_INT, cnt, 1, MPI_INT, comm));
    int64_t add = 0;
    for (int r = 0; !rc && r < p; r++) {
        if (add > INT32_MAX) rc = le_fail(LE_ERR_USAGE, "%s: too many (%lld), past an MPI offset", what, (long long)add);
        disp[r] = (int)add, add += cnt[r];
    }
    if (!rc) {
        if (*len + add > *cap || !*buf) {
            *cap = *len + add;
            *buf = le_realloc(*buf, (size_t)esize * (size_t)*cap);
        }
        rc =
            LE_MPI_RC(MPI_Allgatherv(mine, count, type, (char *)*buf + (size_t)esize * (size_t)*len, cnt, disp, type, comm));
        if (!rc) *len += add;
    }
    free(cnt), free(disp);
    return rc;
}

int le_allgather_unique_u64(MPI_Comm comm, const uint64_t *mine, int64_t n, uint64_t **out, int64_t *n_out, const char *what)
{
    uint64_t *own = le_malloc(sizeof(uint64_t) * (size_t)n);
    memcpy(own, mine, sizeof(uint64_t) * (size_t)n);
    n = le_callpath_unique(own, n);
    void *all = NULL;
    int64_t tot = 0, cap = 0;
    int rc = le_allgatherv_append(comm, own, n, MPI_UINT64_T, &all, &tot, &cap, what);
    free(own);
    *out = all;
    if (rc) return rc;
    *n_out = le_callpath_unique(*out, tot);
    return 0;
}

int le_prefix_and_total(MPI_Comm comm, int64_t mine, int64_t *before, int64_t *total)
{
    int rank;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    MPI_Request req[2];
    *before = 0;
    LE_MPI(MPI_Iexscan(&mine, before, 1, MPI_INT64_T, MPI_SUM, comm, &req[0]));
    /* the exscan is under way: it must complete whatever befalls the allreduce */
    int rc = LE_MPI_RC(MPI_Iallreduce(&mine, total, 1, MPI_INT64_T, MPI_SUM, comm, &req[1]));
    if (rc) req[1] = MPI_REQUEST_NULL;
    int wrc = LE_MPI_RC(MPI_Waitall(2, req, MPI_STATUSES_IGNORE));
    if (rc || wrc) return rc ? rc : wrc;
    if (rank == 0) *before = 0; /* MPI_Exscan leaves rank 0's undefined */
    return 0;
}

/* Point to point of a byte buffer of any size: the length, then pieces. */
static int send_bytes(MPI_Comm comm, const char *buf, uint64_t len, int to)
{
    LE_MPI(MPI_Send(&len, 1, MPI_UINT64_T, to, 0, comm));
    for (uint64_t off = 0; off < len; off += ROUND_BYTES) {
        uint64_t n = len - off < ROUND_BYTES ? len - off : ROUND_BYTES;
        LE_MPI(MPI_Send(buf + off, (int)n, MPI_BYTE, to, 0, comm));
    }
    return 0;
}

static int recv_bytes(MPI_Comm comm, char **buf, uint64_t *len, int from)
{
    LE_MPI(MPI_Recv(len, 1, MPI_UINT64_T, from, 0, comm, MPI_STATUS_IGNORE));
    *buf = le_malloc(*len + 1);
    for (uint64_t off = 0; off < *len; off += ROUND_BYTES) {
        uint64_t n = *len - off < ROUND_BYTES ? *len - off : ROUND_BYTES;
        int rc = LE_MPI_RC(MPI_Recv(*buf + off, (int)n, MPI_BYTE, from, 0, comm, MPI_STATUS_IGNORE));
        if (rc) return free(*buf), *buf = NULL, rc;
    }
    return 0;
}

int le_allreduce_pairs(MPI_Comm comm, le_kc **v, int64_t *n)
{
    int rank, p, rc = 0;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    LE_MPI(MPI_Comm_size(comm, &p));
    *n = le_kc_sum_sorted(*v, *n);
    /* Step s: a rank that is an odd multiple of s hands its sums to rank - s
     * and is done; the even multiples take them in. */
    for (int s = 1; s < p && !rc; s *= 2) {
        if (rank % (2 * s) == s) {
            rc = send_bytes(comm, (const char *)*v, sizeof(le_kc) * (uint64_t)*n, rank - s);
            break;
        }
        if (rank % (2 * s) || rank + s >= p) continue;
        char *in = NULL;
        uint64_t len = 0;
        if ((rc = recv_bytes(comm, &in, &len, rank + s))) break;
        int64_t m = (int64_t)(len / sizeof(le_kc));
        *v = le_realloc(*v, sizeof(le_kc) * (size_t)(*n + m + 1));
        memcpy(*v + *n, in, sizeof(le_kc) * (size_t)m);
        free(in);
        *n = le_kc_sum_sorted(*v, *n + m);
    }
    /* Every rank takes part in the broadcast, a failed one too: the others
     * would wait for it forever; the agreement after it reports the failure. */
    uint64_t len = rank == 0 ? sizeof(le_kc) * (uint64_t)*n : 0;
    char *buf = rank == 0 ? (char *)*v : NULL;
    int brc = le_bcast_bytes(comm, &buf, &len, 0);
    if (rank != 0 && !brc) free(*v), *v = (le_kc *)buf, *n = (int64_t)(len / sizeof(le_kc));
    return rc ? rc : brc;
}
