#include "labeled_dist.h"

#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "exchange.h"
#include "fingerprint.h"
#include "groundtruth.h"

typedef struct id_ref {
    const char *id;
    int64_t row;
} id_ref;

static int cmp_id_ref(const void *a, const void *b) { return strcmp(((const id_ref *)a)->id, ((const id_ref *)b)->id); }

/* Rank 0's labels CSV to every rank, as "id\0" strings and labels; a
 * file label wrote for another corpus is refused (its corpus_fingerprint).
 * Only a corpus without traces may come with a labels file without rows. */
static int share_labels(MPI_Comm comm, const le_corpus *c, const char *csv, le_labels *l)
{
    int rank;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    int read = rank ? 0 : c->meta.n_traces == 0 ? le_labels_read(csv, l) : le_labels_read_nonempty(csv, l);
    if (rank == 0 && !read && (read = le_fp_check(csv, l->corpus_fp, NULL, c->path, c->meta.fingerprint))) le_labels_free(l);
    int rc = le_agree_on(comm, read);
    if (rc) {
        if (rank == 0 && !read) le_labels_free(l); /* read here, but failed elsewhere or in the agreement */
        return rc;
    }
    char *buf = NULL;
    uint64_t len = 0;
    if (rank == 0) {
        for (int64_t i = 0; i < l->n; i++) len += strlen(l->trace_id[i]) + 2;
        buf = le_malloc(len);
        char *p = buf;
        for (int64_t i = 0; i < l->n; i++) {
            *p++ = (char)(l->label[i] + '0');
            size_t m = strlen(l->trace_id[i]) + 1;
            memcpy(p, l->trace_id[i], m), p += m;
        }
        le_labels_free(l);
    }
    memset(l, 0, sizeof *l);
    if ((rc = le_bcast_bytes(comm, &buf, &len, 0))) goto cleanup;
    for (uint64_t o = 0; o < len; o += strlen(buf + o + 1) + 2) l->n++;
    l->trace_id = le_malloc(sizeof(char *) * (size_t)l->n);
    l->label = le_malloc((size_t)l->n);
    int64_t i = 0;
    for (uint64_t o = 0; o < len; o += strlen(buf + o + 1) + 2, i++)
        l->label[i] = (int8_t)(buf[o] - '0'), l->trace_id[i] = le_strdup(buf + o + 1);
cleanup:
    free(buf);
    return rc;
}

/* A list of up to 5 ids for an error message. */
static void list_ids(char *msg, size_t cap, const id_ref *r, const int64_t *which, int64_t n)
{
    size_t used = 0;
    msg[0] = 0;
    for (int64_t i = 0; i < n && i < 5 && used < cap; i++)
        used += (size_t)snprintf(msg + used, cap - used, "%s%s", i ? ", " : "", r[which[i]].id);
    if (n > 5 && used < cap) snprintf(msg + used, cap - used, " and %lld more", (long long)(n - 5));
}

static int check_duplicates(const char *csv, const id_ref *ref, int64_t n)
{
    int64_t *dup = le_malloc(sizeof(int64_t) * (size_t)n), nd = 0;
    for (int64_t i = 1; i < n; i++)
        if (!strcmp(ref[i].id, ref[i - 1].id) && (nd == 0 || strcmp(ref[dup[nd - 1]].id, ref[i].id))) dup[nd++] = i;
    char msg[1024];
    list_ids(msg, sizeof msg, ref, dup, nd);
    free(dup);
    if (nd) return le_fail(LE_ERR_FORMAT, "%s: %lld trace ids given more than once: %s", csv, (long long)nd, msg);
    return 0;
}

int le_labeled_load(MPI_Comm comm, le_corpus *c, const le_shard *s, const char *csv, le_labeled *out)
{
    memset(out, 0, sizeof *out);
    le_labels l;
    LE_CHECK(share_labels(comm, c, csv, &l));
    int64_t n = l.n;
    id_ref *ref = le_malloc(sizeof(id_ref) * (size_t)n);
    for (int64_t i = 0; i < n; i++) ref[i] = (id_ref){l.trace_id[i], i};
    qsort(ref, (size_t)n, sizeof *ref, cmp_id_ref);
    int rc = check_duplicates(csv, ref, n);
    /* Each rank finds the ids among its traces: index and vector. */
    out->n = n;
    out->index = le_malloc(sizeof(int64_t) * (size_t)n);
    out->label = le_malloc((size_t)n);
    out->x = le_calloc((size_t)n * (size_t)s->dim, sizeof(float));
    for (int64_t i = 0; i < n; i++) out->index[i] = -1, out->label[i] = l.label[i];
    for (int64_t t = 0; !rc && t < s->n; t++) {
        id_ref key = {le_block_id(&s->b, t), 0}, *hit = bsearch(&key, ref, (size_t)n, sizeof *ref, cmp_id_ref);
        if (!hit) continue;
        out->index[hit->row] = s->t0 + t;
        memcpy(out->x + hit->row * s->dim, s->x + t * s->dim, sizeof(float) * (size_t)s->dim);
    }
    if (!rc) rc = le_allreduce_big(comm, out->index, n, MPI_INT64_T, MPI_MAX);
    if (!rc) rc = le_allreduce_big(comm, out->x, n * s->dim, MPI_FLOAT, MPI_SUM);
    int64_t *missing = le_malloc(sizeof(int64_t) * (size_t)n), nm = 0;
    for (int64_t i = 0; !rc && i < n; i++)
        if (out->index[ref[i].row] < 0) missing[nm++] = i;
    if (nm) {
        char msg[1024];
        list_ids(msg, sizeof msg, ref, missing, nm);
        rc = le_fail(LE_ERR_FORMAT, "%s: %lld trace ids are not in the corpus %s: %s", csv, (long long)nm, c->path, msg);
    }
    free(missing), free(ref);
    for (int64_t i = 0; i < n; i++) free(l.trace_id[i]);
    free(l.trace_id), free(l.label);
    return rc;
}

void le_labeled_free(le_labeled *l)
{
    free(l->index), free(l->label), free(l->x);
    memset(l, 0, sizeof *l);
}
