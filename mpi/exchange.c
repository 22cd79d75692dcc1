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

/* Elements of esize bytes one MPI call may move: ROUND_BYTES' worth (at
 * least one), never past an int count. */
static int64_t round_elems(int esize)
{
    uint64_t n = ROUND_BYTES / (uint64_t)(esize > 0 ? esize : 1);
    return n < 1 ? 1 : n > INT32_MAX ? INT32_MAX : (int64_t)n;
}

/* One round of a gather in pieces: rank r's elements [lo, lo + per) of its
 * cnt[r] (fewer at its end, none past it) at pd[r] of the round's buffer;
 * returns the round's total. */
static int64_t round_pieces(const int64_t *cnt, int p, int64_t lo, int64_t per, int *pc, int *pd)
{
    int64_t total = 0;
    for (int r = 0; r < p; r++) {
        int64_t left = cnt[r] > lo ? cnt[r] - lo : 0;
        pc[r] = (int)(left < per ? left : per);
        pd[r] = (int)total;
        total += pc[r];
    }
    return total;
}

/* The rounds of le_gather_bytes / le_allgatherv_append when the whole does
 * not fit one call: each round moves at most ROUND_BYTES in all (per
 * elements a rank) through tmp, then copies every piece to its place in out
 * (segments at off[r], elements of esize bytes). On non-roots of a gather
 * out is NULL. */
static int gather_rounds(MPI_Comm comm, const char *mine, const int64_t *cnt, const int64_t *off, int esize,
                         MPI_Datatype type, int root, char *out)
{
    int p, rank, rc = 0;
    LE_MPI(MPI_Comm_size(comm, &p));
    LE_MPI(MPI_Comm_rank(comm, &rank));
    int64_t most = 0, per = round_elems(esize) / p;
    if (per < 1) per = 1;
    for (int r = 0; r < p; r++) most = cnt[r] > most ? cnt[r] : most;
    int *pc = le_malloc(sizeof(int) * (size_t)p), *pd = le_malloc(sizeof(int) * (size_t)p);
    char *tmp = out ? le_malloc((size_t)esize * (size_t)per * (size_t)p) : NULL;
    for (int64_t lo = 0; lo < most && !rc; lo += per) {
        round_pieces(cnt, p, lo, per, pc, pd);
        const char *send = pc[rank] ? mine + (size_t)esize * (size_t)lo : mine;
        if (root < 0)
            rc = LE_MPI_RC(MPI_Allgatherv(send, pc[rank], type, tmp, pc, pd, type, comm));
        else
            rc = LE_MPI_RC(MPI_Gatherv(send, pc[rank], type, tmp, pc, pd, type, root, comm));
        for (int r = 0; out && !rc && r < p; r++)
            memcpy(out + (size_t)esize * (size_t)(off[r] + lo), tmp + (size_t)esize * (size_t)pd[r],
                   (size_t)esize * (size_t)pc[r]);
    }
    free(pc), free(pd), free(tmp);
    return rc;
}

/* Every rank's count on every rank (so all agree on the rounds), their
 * offsets and total. */
static int gather_counts(MPI_Comm comm, int64_t n, int64_t *cnt, int64_t *off, int64_t *total)
{
    int p;
    LE_MPI(MPI_Comm_size(comm, &p));
    LE_MPI(MPI_Allgather(&n, 1, MPI_INT64_T, cnt, 1, MPI_INT64_T, comm));
    *total = 0;
    for (int r = 0; r < p; r++) off[r] = *total, *total += cnt[r];
    return 0;
}

int le_gather_bytes(MPI_Comm comm, const char *buf, uint64_t len, char **out, uint64_t *out_len, int root)
{
    int rank, p;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    LE_MPI(MPI_Comm_size(comm, &p));
    int64_t *cnt = le_calloc((size_t)p, sizeof *cnt), *off = le_calloc((size_t)p, sizeof *off), total = 0;
    int *counts = le_malloc((size_t)p * sizeof *counts), *displ = le_malloc((size_t)p * sizeof *displ);
    int rc = gather_counts(comm, (int64_t)len, cnt, off, &total);
    *out = NULL;
    if (!rc && rank == root) *out = le_malloc((size_t)total);
    if (!rc && (uint64_t)total <= ROUND_BYTES) { /* common case: one call, no copies */
        round_pieces(cnt, p, 0, total, counts, displ);
        rc = LE_MPI_RC(MPI_Gatherv(buf, (int)len, MPI_BYTE, *out, counts, displ, MPI_BYTE, root, comm));
    } else if (!rc) {
        rc = gather_rounds(comm, buf, cnt, off, 1, MPI_BYTE, root, *out);
    }
    free(cnt), free(off), free(counts), free(displ);
    if (rc) free(*out), *out = NULL;
    *out_len = rank == root ? (uint64_t)total : 0; /* the others get nothing */
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
    (void)what; /* counts of any size go in rounds: nothing to refuse */
    int p, esize;
    LE_MPI(MPI_Comm_size(comm, &p));
    LE_MPI(MPI_Type_size(type, &esize));
    int64_t *cnt = le_malloc(sizeof(int64_t) * (size_t)p), *off = le_malloc(sizeof(int64_t) * (size_t)p), add = 0;
    int *pc = le_malloc(sizeof(int) * (size_t)p), *pd = le_malloc(sizeof(int) * (size_t)p);
    int rc = gather_counts(comm, n, cnt, off, &add);
    if (!rc) {
        if (*len + add > *cap || !*buf) {
            *cap = *len + add;
            *buf = le_realloc(*buf, (size_t)esize * (size_t)*cap);
        }
        char *dst = (char *)*buf + (size_t)esize * (size_t)*len;
        if (add <= round_elems(esize)) { /* common case: one call, no copies */
            round_pieces(cnt, p, 0, add, pc, pd);
            rc = LE_MPI_RC(MPI_Allgatherv(mine, (int)n, type, dst, pc, pd, type, comm));
        } else {
            rc = gather_rounds(comm, mine, cnt, off, esize, type, -1, dst);
        }
        if (!rc) *len += add;
    }
    free(cnt), free(off), free(pc), free(pd);
    return rc;
}

int le_allreduce_big(MPI_Comm comm, void *buf, int64_t n, MPI_Datatype type, MPI_Op op)
{
    int esize;
    LE_MPI(MPI_Type_size(type, &esize));
    int64_t step = round_elems(esize);
    for (int64_t o = 0; o < n; o += step) {
        int len = (int)(n - o < step ? n - o : step);
        LE_MPI(MPI_Allreduce(MPI_IN_PLACE, (char *)buf + (size_t)esize * (size_t)o, len, type, op, comm));
    }
    return 0;
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
