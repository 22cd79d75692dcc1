/* The checks of a corpus on open (io/corpus_check.h, docs/corpus.md). The
 * dataset names in the messages are those of io/corpus.c. */
#include "corpus_check.h"

#include <stdlib.h>

#include "comm.h"
#include "h5util.h"

#define WINDOW "the time window 1970-01-01..2200-01-01 (0..7258118400000000 microseconds since the epoch)"

/* Traces read at a time by le_corpus_check: bounded memory per rank. */
#define CHECK_CHUNK 65536

static int index_in(int64_t v, int64_t lo, int64_t hi) { return v >= lo && v < hi; }

static int check_time(const char *path, const char *ds, int64_t i, int64_t t)
{
    if (le_time_ok(t)) return 0;
    return le_fail(LE_ERR_FORMAT, "%s: %s[%lld] = %lld is outside %s", path, ds, (long long)i, (long long)t, WINDOW);
}

static int check_faults(const le_corpus_meta *m, const char *path)
{
    for (int32_t i = 0; i < m->n_faults; i++) {
        const le_fault *f = &m->faults[i];
        if (!index_in(f->service, -1, m->n_services))
            return le_fail(LE_ERR_FORMAT, "%s: /ground_truth/faults/service[%d] = %d is not -1 or an index of %s (0..%d)",
                           path, i, f->service, "/tables/services", m->n_services - 1);
        LE_CHECK(check_time(path, "/ground_truth/faults/start_us", i, f->start_us));
        LE_CHECK(check_time(path, "/ground_truth/faults/end_us", i, f->end_us));
        if (f->end_us < f->start_us)
            return le_fail(LE_ERR_FORMAT, "%s: /ground_truth/faults/end_us[%d] = %lld is before its start_us %lld", path, i,
                           (long long)f->end_us, (long long)f->start_us);
    }
    return 0;
}

int le_corpus_check_tables(const le_corpus_meta *m, const char *path)
{
    if (m->n_traces < 0 || m->n_spans < 0)
        return le_fail(LE_ERR_FORMAT, "%s: the root attributes say %lld traces and %lld spans", path, (long long)m->n_traces,
                       (long long)m->n_spans);
    if (m->n_spans > 0 && m->n_services == 0)
        return le_fail(LE_ERR_FORMAT, "%s: /tables/services is empty, but the corpus has %lld spans", path,
                       (long long)m->n_spans);
    if (m->n_spans > 0 && m->n_operations == 0)
        return le_fail(LE_ERR_FORMAT, "%s: /tables/operations is empty, but the corpus has %lld spans", path,
                       (long long)m->n_spans);
    for (int32_t i = 0; i < m->n_operations; i++)
        if (!index_in(m->operation_service[i], 0, m->n_services))
            return le_fail(LE_ERR_FORMAT, "%s: /tables/operation_service[%d] = %d is not an index of %s (0..%d)", path, i,
                           m->operation_service[i], "/tables/services", m->n_services - 1);
    return m->has_ground_truth ? check_faults(m, path) : 0;
}

/* CSR offsets so[0..nt] of traces t0..t0+nt, global ones being so[i] + base:
 * within 0..n_spans, the first trace starting at span 0, the last ending at
 * n_spans, each trace with at least one span. */
static int check_offsets(const le_corpus_meta *m, int64_t t0, int64_t nt, const int64_t *so, int64_t base, const char *path)
{
    const char *ds = "/traces/span_offset";
    for (int64_t i = 0; i <= nt; i++)
        if (!index_in(so[i], -base, m->n_spans - base + 1))
            return le_fail(LE_ERR_FORMAT, "%s: %s[%lld] = %lld is outside 0..n_spans (%lld)", path, ds, (long long)(t0 + i),
                           (long long)(so[i] + base), (long long)m->n_spans);
    if (t0 == 0 && so[0] + base != 0)
        return le_fail(LE_ERR_FORMAT, "%s: %s[0] = %lld, expected 0", path, ds, (long long)(so[0] + base));
    if (t0 + nt == m->n_traces && so[nt] + base != m->n_spans)
        return le_fail(LE_ERR_FORMAT, "%s: %s[%lld] = %lld, expected n_spans = %lld", path, ds, (long long)m->n_traces,
                       (long long)(so[nt] + base), (long long)m->n_spans);
    for (int64_t t = 0; t < nt; t++) {
        int64_t lo = so[t] + base, hi = so[t + 1] + base, g = t0 + t;
        if (hi < lo)
            return le_fail(LE_ERR_FORMAT, "%s: %s[%lld] = %lld is less than [%lld] = %lld", path, ds, (long long)(g + 1),
                           (long long)hi, (long long)g, (long long)lo);
        if (hi == lo)
            return le_fail(LE_ERR_FORMAT, "%s: %s[%lld] = [%lld] = %lld: trace %lld has no spans", path, ds,
                           (long long)(g + 1), (long long)g, (long long)lo, (long long)g);
    }
    return 0;
}

/* What a trace holds besides its spans: start time, label, fault. */
static int check_trace_fields(const le_corpus_meta *m, const le_corpus_block *b, int64_t t, const char *path)
{
    int64_t g = b->trace_begin + t;
    LE_CHECK(check_time(path, "/traces/start_us", g, b->trace_start_us[t]));
    if (b->label && !index_in(b->label[t], -1, 2))
        return le_fail(LE_ERR_FORMAT, "%s: /ground_truth/trace_label[%lld] = %d, expected -1, 0 or 1", path, (long long)g,
                       b->label[t]);
    if (b->fault && !index_in(b->fault[t], -1, m->n_faults))
        return le_fail(LE_ERR_FORMAT, "%s: /ground_truth/trace_fault[%lld] = %d is not -1 or a fault index (0..%d)", path,
                       (long long)g, b->fault[t], m->n_faults - 1);
    return 0;
}

/* Span k of a trace whose spans start at global index s0: the root (k = 0)
 * has parent -1, every other span an earlier span of its trace. */
static int check_parent(const char *path, int64_t s0, int64_t k, int32_t p, int64_t trace)
{
    if (k == 0 && p != -1)
        return le_fail(LE_ERR_FORMAT, "%s: /spans/parent[%lld] = %d, expected -1: it is the root (first span) of trace %lld",
                       path, (long long)s0, p, (long long)trace);
    if (k > 0 && !index_in(p, 0, k))
        return le_fail(LE_ERR_FORMAT,
                       "%s: /spans/parent[%lld] = %d is out of range: span %lld of trace %lld needs an earlier span of its "
                       "trace (0..%lld)",
                       path, (long long)(s0 + k), p, (long long)k, (long long)trace, (long long)(k - 1));
    return 0;
}

static int check_span(const le_corpus_meta *m, const le_corpus_block *b, int64_t i, const char *path)
{
    int64_t g = b->span_begin + i;
    if (!index_in(b->service[i], 0, m->n_services))
        return le_fail(LE_ERR_FORMAT, "%s: /spans/service[%lld] = %d is not an index of /tables/services (0..%d)", path,
                       (long long)g, b->service[i], m->n_services - 1);
    if (!index_in(b->operation[i], 0, m->n_operations))
        return le_fail(LE_ERR_FORMAT, "%s: /spans/operation[%lld] = %d is not an index of /tables/operations (0..%d)", path,
                       (long long)g, b->operation[i], m->n_operations - 1);
    LE_CHECK(check_time(path, "/spans/start_us", g, b->start_us[i]));
    if (b->duration_us[i] < 0 || b->duration_us[i] > LE_TIME_MAX_US - b->start_us[i])
        return le_fail(LE_ERR_FORMAT, "%s: /spans/duration_us[%lld] = %lld: the span would end outside %s", path,
                       (long long)g, (long long)b->duration_us[i], WINDOW);
    return 0;
}

static int check_trace_spans(const le_corpus_meta *m, const le_corpus_block *b, int64_t t, const char *path)
{
    int64_t lo = b->span_offset[t], n = b->span_offset[t + 1] - lo;
    for (int64_t k = 0; k < n; k++) {
        LE_CHECK(check_parent(path, b->span_begin + lo, k, b->parent[lo + k], b->trace_begin + t));
        LE_CHECK(check_span(m, b, lo + k, path));
    }
    return 0;
}

int le_corpus_check_block(const le_corpus_meta *m, const le_corpus_block *b, const char *path)
{
    LE_CHECK(check_offsets(m, b->trace_begin, b->n_traces, b->span_offset, b->span_begin, path));
    for (int64_t t = 0; t < b->n_traces; t++) {
        LE_CHECK(check_trace_fields(m, b, t, path));
        LE_CHECK(check_trace_spans(m, b, t, path));
    }
    return 0;
}

static int read_slice(le_corpus *c, const char *ds, hid_t mtype, int64_t off, int64_t n, void *buf)
{
    hid_t d;
    LE_CHECK(le_h5_open((hid_t)c->hid_file, ds, c->path, &d));
    int rc = le_h5_read_1d(d, mtype, off, n, buf, ds);
    H5Dclose(d);
    return rc ? le_fail(rc, "%s: cannot read %s [%lld, %lld)", c->path, ds, (long long)off, (long long)(off + n)) : 0;
}

/* The per-trace datasets of traces [t0, t0 + nt): offsets (global), start
 * times, labels and faults; the spans are checked as blocks are read. */
static int check_traces(le_corpus *c, int64_t t0, int64_t nt)
{
    const le_corpus_meta *m = &c->meta;
    le_corpus_block b = {.trace_begin = t0, .n_traces = nt};
    b.span_offset = le_malloc(sizeof(int64_t) * (size_t)(nt + 1));
    b.trace_start_us = le_malloc(sizeof(int64_t) * (size_t)(nt + 1));
    b.label = m->has_ground_truth ? le_malloc((size_t)(nt + 1)) : NULL;
    b.fault = m->has_ground_truth ? le_malloc(sizeof(int32_t) * (size_t)(nt + 1)) : NULL;
    int rc = read_slice(c, "/traces/span_offset", H5T_NATIVE_INT64, t0, nt + 1, b.span_offset);
    if (!rc) rc = check_offsets(m, t0, nt, b.span_offset, 0, c->path);
    if (!rc) rc = read_slice(c, "/traces/start_us", H5T_NATIVE_INT64, t0, nt, b.trace_start_us);
    if (!rc && b.label) rc = read_slice(c, "/ground_truth/trace_label", H5T_NATIVE_INT8, t0, nt, b.label);
    if (!rc && b.fault) rc = read_slice(c, "/ground_truth/trace_fault", H5T_NATIVE_INT32, t0, nt, b.fault);
    for (int64_t t = 0; t < nt && !rc; t++) rc = check_trace_fields(m, &b, t, c->path);
    free(b.span_offset), free(b.trace_start_us), free(b.label),
        free(b.fault); /* not le_block_free: io/corpus.c calls here */
    return rc;
}

/* This rank's equal share of the traces, CHECK_CHUNK at a time (chunks
 * overlap by one offset, so the order is checked across them too). */
static int check_slice(le_corpus *c, int64_t a, int64_t z)
{
    for (int64_t t = a; t < z; t += CHECK_CHUNK) LE_CHECK(check_traces(c, t, t + CHECK_CHUNK < z ? CHECK_CHUNK : z - t));
    return 0;
}

int le_corpus_check(le_corpus *c, MPI_Comm comm)
{
    int rank, p;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    LE_MPI(MPI_Comm_size(comm, &p));
    int rc = le_corpus_check_tables(&c->meta, c->path);
    int64_t N = c->meta.n_traces;
    if (!rc) rc = check_slice(c, N * rank / p, N * (rank + 1) / p);
    if (!rc && N == 0 && rank == 0) rc = check_traces(c, 0, 0); /* span_offset[0] = n_spans = 0 */
    return le_agree_on(comm, rc);
}
