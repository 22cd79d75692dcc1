/* Global name tables and the global trace order of an ingested corpus. */
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "exchange.h"
#include "ingest.h"
#include "ingest_stages.h"

/* --------------------------------------------------------- name tables */

typedef struct bstr {
    const char *s;
    uint32_t n;
} bstr;

static int bstr_cmp(const void *pa, const void *pb)
{
    const bstr *a = pa, *b = pb;
    uint32_t n = a->n < b->n ? a->n : b->n;
    int c = memcmp(a->s, b->s, n);
    return c ? c : (a->n > b->n) - (a->n < b->n);
}

/* Pack a strtab as [u32 len][bytes]... */
static char *pack_strtab(const le_strtab *t, uint64_t *len)
{
    uint64_t n = 0;
    for (size_t i = 0; i < t->n; i++) n += 4 + t->len[i];
    char *buf = le_malloc(n), *p = buf;
    for (size_t i = 0; i < t->n; i++) {
        memcpy(p, &t->len[i], 4);
        memcpy(p + 4, le_strtab_str(t, (uint32_t)i), t->len[i]);
        p += 4 + t->len[i];
    }
    *len = n;
    return buf;
}

static size_t unpack_bstrs(const char *buf, uint64_t len, bstr **out)
{
    size_t n = 0, cap = 0;
    bstr *v = NULL;
    for (uint64_t off = 0; off < len;) {
        uint32_t l;
        memcpy(&l, buf + off, 4);
        LE_RESERVE(v, cap, n + 1);
        v[n++] = (bstr){buf + off + 4, l};
        off += 4 + l;
    }
    *out = v;
    return n;
}

/* Every rank's names -> one sorted, unique table on every rank (packed). */
static int global_table(MPI_Comm comm, const le_strtab *local, char **table, uint64_t *table_len)
{
    int rank;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    uint64_t len, all_len = 0;
    char *mine = pack_strtab(local, &len), *all = NULL;
    int rc = le_gather_bytes(comm, mine, len, &all, &all_len, 0);
    free(mine);
    LE_CHECK(rc);
    *table = NULL;
    *table_len = 0;
    if (rank == 0) {
        bstr *v;
        size_t n = unpack_bstrs(all, all_len, &v), u = 0;
        if (n) qsort(v, n, sizeof *v, bstr_cmp); /* v may be NULL: no names at all */
        for (size_t i = 0; i < n; i++)
            if (!u || bstr_cmp(&v[u - 1], &v[i])) v[u++] = v[i];
        le_strtab t;
        le_strtab_init(&t);
        for (size_t i = 0; i < u; i++) le_strtab_intern(&t, v[i].s, v[i].n);
        *table = pack_strtab(&t, table_len);
        le_strtab_free(&t);
        free(v);
    }
    free(all);
    rc = le_bcast_bytes(comm, table, table_len, 0);
    if (rc) free(*table), *table = NULL; /* rank 0's, which the broadcast leaves to its caller */
    return rc;
}

static int32_t find_sorted(const bstr *v, size_t n, const char *s, uint32_t len)
{
    bstr key = {s, len};
    const bstr *hit = bsearch(&key, v, n, sizeof *v, bstr_cmp);
    return hit ? (int32_t)(hit - v) : -1;
}

int le_unify_names(MPI_Comm comm, le_asm *a, le_corpus_meta *meta)
{
    int32_t *svc_map, *op_map;
    LE_CHECK(le_unify_names_map(comm, a, meta, &svc_map, &op_map));
    for (size_t s = 0; s < a->m; s++) {
        a->service[s] = svc_map[a->service[s]];
        a->operation[s] = op_map[a->operation[s]];
    }
    free(svc_map);
    free(op_map);
    return 0;
}

int le_unify_names_map(MPI_Comm comm, const le_asm *a, le_corpus_meta *meta, int32_t **svc_map_out, int32_t **op_map_out)
{
    char *svc_buf, *op_buf;
    uint64_t svc_len, op_len;
    LE_CHECK(global_table(comm, &a->services, &svc_buf, &svc_len));
    int rc = global_table(comm, &a->operations, &op_buf, &op_len);
    if (rc) {
        free(svc_buf);
        return rc;
    }
    bstr *svc, *ops;
    size_t ns = unpack_bstrs(svc_buf, svc_len, &svc), no = unpack_bstrs(op_buf, op_len, &ops);

    meta->n_services = (int32_t)ns;
    meta->services = le_malloc(ns * sizeof *meta->services);
    for (size_t i = 0; i < ns; i++) meta->services[i] = le_strndup(svc[i].s, svc[i].n);
    meta->n_operations = (int32_t)no;
    meta->operations = le_malloc(no * sizeof *meta->operations);
    meta->operation_service = le_malloc(no * sizeof *meta->operation_service);
    for (size_t i = 0; i < no; i++) {
        uint32_t cut = (uint32_t)strnlen(ops[i].s, ops[i].n); /* key is service NUL operation */
        meta->operation_service[i] = find_sorted(svc, ns, ops[i].s, cut);
        meta->operations[i] = le_strndup(ops[i].s + cut + 1, ops[i].n - cut - 1);
    }

    int32_t *svc_map = le_malloc((a->services.n + 1) * sizeof *svc_map);
    int32_t *op_map = le_malloc((a->operations.n + 1) * sizeof *op_map);
    for (size_t i = 0; i < a->services.n; i++)
        svc_map[i] = find_sorted(svc, ns, le_strtab_str(&a->services, (uint32_t)i), a->services.len[i]);
    for (size_t i = 0; i < a->operations.n; i++)
        op_map[i] = find_sorted(ops, no, le_strtab_str(&a->operations, (uint32_t)i), a->operations.len[i]);
    *svc_map_out = svc_map, *op_map_out = op_map;
    free(svc);
    free(ops);
    free(svc_buf);
    free(op_buf);
    return 0;
}

/* --------------------------------------------------------- trace order */

typedef le_tkey tkey;

int le_tkey_cmp(le_tkey a, le_tkey b)
{
    if (a.start != b.start) return a.start < b.start ? -1 : 1;
    if (a.hash != b.hash) return a.hash < b.hash ? -1 : 1;
    return 0;
}

static int tkey_qcmp(const void *a, const void *b) { return le_tkey_cmp(*(const tkey *)a, *(const tkey *)b); }

/* Wire format of one trace in the order exchange. */
typedef struct wire_trace {
    int64_t start;
    uint64_t hash;
    uint32_t id_len, n_spans;
    int8_t label;
} wire_trace;

typedef struct wire_span {
    int64_t start_us, duration_us;
    int32_t parent, service, operation, status;
    int8_t error;
} wire_span;

static const le_asm *g_asm;

static int asm_trace_cmp(const void *pa, const void *pb)
{
    size_t x = *(const size_t *)pa, y = *(const size_t *)pb;
    const le_asm *a = g_asm;
    int c = le_tkey_cmp((tkey){a->start[x], a->hash[x]}, (tkey){a->start[y], a->hash[y]});
    if (c) return c;
    bstr bx = {le_strtab_str(&a->ids, a->id[x]), a->ids.len[a->id[x]]},
         by = {le_strtab_str(&a->ids, a->id[y]), a->ids.len[a->id[y]]};
    return bstr_cmp(&bx, &by);
}

/* Splitters for p buckets from a regular sample of every rank's sorted keys. */
static int choose_splitters(MPI_Comm comm, const le_asm *a, const size_t *sorted, tkey *split)
{
    int rank, p;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    LE_MPI(MPI_Comm_size(comm, &p));
    size_t s = a->n < 64 ? a->n : 64;
    tkey *sample = le_malloc(s * sizeof *sample);
    for (size_t j = 0; j < s; j++) {
        size_t i = sorted[(size_t)(((double)j + 0.5) * (double)a->n / (double)s)];
        sample[j] = (tkey){a->start[i], a->hash[i]};
    }
    char *all = NULL;
    uint64_t all_len = 0;
    int rc = le_gather_bytes(comm, (const char *)sample, s * sizeof *sample, &all, &all_len, 0);
    free(sample);
    LE_CHECK(rc);
    if (rank == 0) {
        size_t n = all_len / sizeof(tkey);
        tkey *v = (tkey *)all;
        if (n) qsort(v, n, sizeof *v, tkey_qcmp); /* 64 samples a rank: p log p, not p^2 */
        for (int k = 1; k < p; k++) split[k - 1] = n ? v[(size_t)k * n / (size_t)p] : (tkey){INT64_MAX, UINT64_MAX};
    }
    free(all);
    LE_MPI(MPI_Bcast(split, (int)((size_t)(p > 1 ? p - 1 : 0) * sizeof *split), MPI_BYTE, 0, comm));
    return 0;
}

size_t le_trace_pack(const le_asm *a, size_t t, char *dst)
{
    int64_t s0 = a->span_off[t], s1 = a->span_off[t + 1];
    wire_trace w = {a->start[t], a->hash[t], a->ids.len[a->id[t]], (uint32_t)(s1 - s0), a->label[t]};
    size_t n = sizeof w + w.id_len + (size_t)(s1 - s0) * sizeof(wire_span);
    if (!dst) return n;
    memcpy(dst, &w, sizeof w);
    memcpy(dst + sizeof w, le_strtab_str(&a->ids, a->id[t]), w.id_len);
    char *p = dst + sizeof w + w.id_len;
    for (int64_t s = s0; s < s1; s++, p += sizeof(wire_span)) {
        wire_span ws = {a->start_us[s],  a->duration_us[s], a->parent[s], a->service[s],
                        a->operation[s], a->status[s],      a->error[s]};
        memcpy(p, &ws, sizeof ws);
    }
    return n;
}

typedef struct recv_trace {
    const char *rec;
    wire_trace w;
} recv_trace;

static int recv_cmp(const void *pa, const void *pb)
{
    const recv_trace *x = pa, *y = pb;
    int c = le_tkey_cmp((tkey){x->w.start, x->w.hash}, (tkey){y->w.start, y->w.hash});
    if (c) return c;
    bstr bx = {x->rec + sizeof(wire_trace), x->w.id_len}, by = {y->rec + sizeof(wire_trace), y->w.id_len};
    return bstr_cmp(&bx, &by);
}

static void fill_block(recv_trace *v, size_t n, int gt, le_corpus_block *b)
{
    int64_t spans = 0;
    size_t id_bytes = 0;
    for (size_t i = 0; i < n; i++) spans += v[i].w.n_spans, id_bytes += v[i].w.id_len + 1;
    le_block_alloc(b, (int64_t)n, spans, id_bytes, gt);
    int64_t s = 0;
    for (size_t i = 0; i < n; i++) {
        b->span_offset[i] = s;
        b->trace_start_us[i] = v[i].w.start;
        le_block_put_id(b, (int64_t)i, v[i].rec + sizeof(wire_trace), v[i].w.id_len);
        if (gt) {
            b->label[i] = v[i].w.label;
            b->fault[i] = -1;
        }
        const char *p = v[i].rec + sizeof(wire_trace) + v[i].w.id_len;
        for (uint32_t j = 0; j < v[i].w.n_spans; j++, s++, p += sizeof(wire_span)) {
            wire_span ws;
            memcpy(&ws, p, sizeof ws);
            b->parent[s] = ws.parent;
            b->service[s] = ws.service;
            b->operation[s] = ws.operation;
            b->start_us[s] = ws.start_us;
            b->duration_us[s] = ws.duration_us;
            b->status_code[s] = ws.status;
            b->error[s] = ws.error;
        }
    }
    b->span_offset[n] = s;
}

static int exchange_traces(MPI_Comm comm, const le_asm *a, const size_t *sorted, const tkey *split, char **recv,
                           uint64_t *rtotal)
{
    int p;
    LE_MPI(MPI_Comm_size(comm, &p));
    uint64_t *count = le_calloc((size_t)p, sizeof *count), *rcount = le_calloc((size_t)p, sizeof *rcount);
    int *dest = le_malloc(a->n * sizeof *dest);
    int d = 0;
    for (size_t k = 0; k < a->n; k++) { /* sorted: the bucket only moves forward */
        size_t t = sorted[k];
        while (d < p - 1 && le_tkey_cmp((tkey){a->start[t], a->hash[t]}, split[d]) >= 0) d++;
        dest[k] = d;
        count[d] += le_trace_pack(a, t, NULL);
    }
    uint64_t total = 0;
    for (int r = 0; r < p; r++) total += count[r];
    char *send = le_malloc(total), *q = send;
    for (size_t k = 0; k < a->n; k++) q += le_trace_pack(a, sorted[k], q);
    free(dest);
    int rc = le_alltoallv_bytes(comm, send, count, recv, rcount, rtotal);
    free(send);
    free(count);
    free(rcount);
    return rc;
}

size_t le_trace_head_size(void) { return sizeof(wire_trace); }

size_t le_trace_size(const char *rec)
{
    wire_trace w;
    memcpy(&w, rec, sizeof w);
    return sizeof w + w.id_len + (size_t)w.n_spans * sizeof(wire_span);
}

le_tkey le_trace_key(const char *rec)
{
    wire_trace w;
    memcpy(&w, rec, sizeof w);
    return (le_tkey){w.start, w.hash};
}

void le_trace_remap(char *rec, const int32_t *svc_map, const int32_t *op_map)
{
    wire_trace w;
    memcpy(&w, rec, sizeof w);
    char *p = rec + sizeof w + w.id_len;
    for (uint32_t j = 0; j < w.n_spans; j++, p += sizeof(wire_span)) {
        wire_span ws;
        memcpy(&ws, p, sizeof ws);
        ws.service = svc_map[ws.service], ws.operation = op_map[ws.operation];
        memcpy(p, &ws, sizeof ws);
    }
}

/* This rank's received traces, sorted, as a block (no global offsets yet). */
static void sort_received(const char *recv, uint64_t rtotal, int gt, le_corpus_block *block)
{
    size_t n = 0, cap = 0;
    recv_trace *v = NULL;
    for (uint64_t off = 0; off < rtotal; off += le_trace_size(recv + off)) {
        LE_RESERVE(v, cap, n + 1);
        v[n].rec = recv + off;
        memcpy(&v[n].w, recv + off, sizeof v[n].w);
        n++;
    }
    if (n) qsort(v, n, sizeof *v, recv_cmp); /* v is NULL on a rank that received no trace */
    fill_block(v, n, gt, block);
    free(v);
}

int le_order_packed(MPI_Comm comm, const char *send, const uint64_t *count, int gt, le_corpus_block *block)
{
    int p;
    LE_MPI(MPI_Comm_size(comm, &p));
    uint64_t *rcount = le_calloc((size_t)p, sizeof *rcount), rtotal = 0;
    char *recv = NULL;
    int rc = le_alltoallv_bytes(comm, send, count, &recv, rcount, &rtotal);
    free(rcount);
    LE_CHECK(rc);
    sort_received(recv, rtotal, gt, block);
    free(recv);
    return 0;
}

int le_block_place(MPI_Comm comm, le_corpus_block *block, const int64_t base[3], int64_t total[3])
{
    int rank;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    /* Ids are stored without their terminators (docs/corpus.md). */
    int64_t mine[3] = {block->n_traces, block->n_spans, block->id_offset[block->n_traces] - block->n_traces};
    int64_t before[3] = {0, 0, 0};
    LE_MPI(MPI_Exscan(mine, before, 3, MPI_INT64_T, MPI_SUM, comm));
    LE_MPI(MPI_Allreduce(mine, total, 3, MPI_INT64_T, MPI_SUM, comm));
    if (!rank) before[0] = before[1] = before[2] = 0;
    block->trace_begin = base[0] + before[0];
    block->span_begin = base[1] + before[1];
    block->id_byte_begin = base[2] + before[2];
    return 0;
}

int le_order_traces(MPI_Comm comm, const le_asm *a, le_corpus_meta *meta, le_corpus_block *block)
{
    int p;
    LE_MPI(MPI_Comm_size(comm, &p));
    size_t *sorted = le_malloc(a->n * sizeof *sorted);
    for (size_t i = 0; i < a->n; i++) sorted[i] = i;
    g_asm = a;
    qsort(sorted, a->n, sizeof *sorted, asm_trace_cmp);
    tkey *split = le_malloc((size_t)(p > 1 ? p - 1 : 1) * sizeof *split);
    int rc = choose_splitters(comm, a, sorted, split);
    char *recv = NULL;
    uint64_t rtotal = 0;
    if (!rc) rc = exchange_traces(comm, a, sorted, split, &recv, &rtotal);
    free(split);
    free(sorted);
    LE_CHECK(rc);
    sort_received(recv, rtotal, meta->has_ground_truth, block);
    free(recv);
    int64_t base[3] = {0, 0, 0}, total[3];
    LE_CHECK(le_block_place(comm, block, base, total));
    meta->n_traces = total[0];
    meta->n_spans = total[1];
    meta->n_id_bytes = total[2];
    return 0;
}
