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

int le_labeled_begin(MPI_Comm comm, le_corpus *c, const char *csv, int dim, le_labeled *out)
{
    memset(out, 0, sizeof *out);
    le_labels l;
    LE_CHECK(share_labels(comm, c, csv, &l));
    int64_t n = l.n;
    id_ref *ref = le_malloc(sizeof(id_ref) * (size_t)(n ? n : 1));
    for (int64_t i = 0; i < n; i++) ref[i] = (id_ref){l.trace_id[i], i};
    qsort(ref, (size_t)n, sizeof *ref, cmp_id_ref);
    out->n = n, out->dim = dim, out->ids = l.trace_id, out->ref = ref;
    out->index = le_malloc(sizeof(int64_t) * (size_t)(n ? n : 1));
    out->label = l.label;
    out->x = le_calloc((size_t)(n ? n : 1) * (size_t)dim, sizeof(float));
    for (int64_t i = 0; i < n; i++) out->index[i] = -1;
    return le_agree_on(comm, check_duplicates(csv, ref, n));
}

void le_labeled_match(le_labeled *l, const le_corpus_block *b, const float *x)
{
    const id_ref *ref = l->ref;
    for (int64_t t = 0; t < b->n_traces; t++) {
        id_ref key = {le_block_id(b, t), 0}, *hit = bsearch(&key, ref, (size_t)l->n, sizeof *ref, cmp_id_ref);
        if (!hit) continue;
        l->index[hit->row] = b->trace_begin + t;
        if (x) memcpy(l->x + hit->row * l->dim, x + t * l->dim, sizeof(float) * (size_t)l->dim);
    }
}

/* Ids that no rank found are an error that lists them. */
static int check_missing(const le_corpus *c, const char *csv, const le_labeled *l)
{
    const id_ref *ref = l->ref;
    int64_t *missing = le_malloc(sizeof(int64_t) * (size_t)(l->n ? l->n : 1)), nm = 0;
    for (int64_t i = 0; i < l->n; i++)
        if (l->index[ref[i].row] < 0) missing[nm++] = i;
    int rc = 0;
    if (nm) {
        char msg[1024];
        list_ids(msg, sizeof msg, ref, missing, nm);
        rc = le_fail(LE_ERR_FORMAT, "%s: %lld trace ids are not in the corpus %s: %s", csv, (long long)nm, c->path, msg);
    }
    free(missing);
    return rc;
}

int le_labeled_found(MPI_Comm comm, le_corpus *c, const char *csv, le_labeled *l)
{
    LE_CHECK(le_allreduce_big(comm, l->index, l->n, MPI_INT64_T, MPI_MAX));
    return check_missing(c, csv, l);
}

int le_labeled_vectors_done(MPI_Comm comm, le_labeled *l)
{
    LE_CHECK(le_allreduce_big(comm, l->x, l->n * l->dim, MPI_FLOAT, MPI_SUM));
    for (int64_t i = 0; i < l->n; i++) free(l->ids[i]);
    free(l->ids), free(l->ref);
    l->ids = NULL, l->ref = NULL;
    return 0;
}

int le_labeled_load(MPI_Comm comm, le_corpus *c, const le_shard *s, const char *csv, le_labeled *out)
{
    int rc = le_labeled_begin(comm, c, csv, s->dim, out);
    le_corpus_block b = s->b;
    b.trace_begin = s->t0;
    if (!rc) le_labeled_match(out, &b, s->x);
    if (!rc) rc = le_labeled_found(comm, c, csv, out);
    if (!rc) rc = le_labeled_vectors_done(comm, out);
    if (rc) le_labeled_free(out);
    return rc;
}

void le_labeled_free(le_labeled *l)
{
    for (int64_t i = 0; l->ids && i < l->n; i++) free(l->ids[i]);
    free(l->index), free(l->label), free(l->x), free(l->ids), free(l->ref);
    memset(l, 0, sizeof *l);
}
