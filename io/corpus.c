#include "corpus.h"

#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "corpus_check.h"
#include "corpus_ids.h"
#include "fingerprint.h"
#include "h5util.h"

/* Dataset names: docs/corpus.md is the reference, this is the one place in
 * the code that spells them. */
#define DS_SPAN_OFFSET "/traces/span_offset"
#define DS_TRACE_START "/traces/start_us"
#define DS_PARENT "/spans/parent"
#define DS_SERVICE "/spans/service"
#define DS_OPERATION "/spans/operation"
#define DS_START "/spans/start_us"
#define DS_DURATION "/spans/duration_us"
#define DS_STATUS "/spans/status_code"
#define DS_ERROR "/spans/error"
#define DS_SERVICES "/tables/services"
#define DS_OPERATIONS "/tables/operations"
#define DS_OP_SERVICE "/tables/operation_service"
#define DS_LABEL "/ground_truth/trace_label"
#define DS_FAULT "/ground_truth/trace_fault"
#define DS_F_SERVICE "/ground_truth/faults/service"
#define DS_F_SERVICE_NAME "/ground_truth/faults/service_name"
#define DS_F_TYPE "/ground_truth/faults/type"
#define DS_F_START "/ground_truth/faults/start_us"
#define DS_F_END "/ground_truth/faults/end_us"
#define DS_F_INTENSITY "/ground_truth/faults/intensity"
#define DS_F_VISIBLE "/ground_truth/faults/visible_traces"
#define DS_F_CHANCE_TRACES "/ground_truth/faults/chance_traces"
#define DS_F_CHANCE_FLAGGED "/ground_truth/faults/chance_flagged"
#define GR_VISIBLE "/ground_truth/visible"
#define DS_V_THRESHOLD "/ground_truth/visible/threshold_us"

enum {
    D_SPAN_OFFSET,
    D_TRACE_START,
    D_PARENT,
    D_SERVICE,
    D_OPERATION,
    D_START,
    D_DURATION,
    D_STATUS,
    D_ERROR,
    D_LABEL,
    D_FAULT,
    D_N
};

struct le_corpus_writer {
    MPI_Comm comm;
    char *path; /* final name; the file is written as path.partial */
    int failed; /* a write failed on this rank: discard at close */
    hid_t file;
    hid_t dset[D_N];
    hid_t ids[2]; /* trace id offsets and bytes (corpus_ids.h) */
    int gt;
    int64_t n_traces, n_spans, n_id_bytes;
    uint64_t fp_sum; /* fingerprint of the traces this rank wrote (le_fp_block) */
};

void le_block_alloc(le_corpus_block *b, int64_t n_traces, int64_t n_spans, size_t id_bytes, int gt)
{
    memset(b, 0, sizeof *b);
    b->n_traces = n_traces;
    b->n_spans = n_spans;
    size_t t = (size_t)n_traces, s = (size_t)n_spans;
    b->span_offset = le_calloc(t + 1, sizeof *b->span_offset);
    b->id_cap = id_bytes ? id_bytes : 1;
    b->trace_id = le_calloc(b->id_cap, 1);
    b->id_offset = le_calloc(t + 1, sizeof *b->id_offset);
    b->trace_start_us = le_malloc(t * sizeof *b->trace_start_us);
    b->parent = le_malloc(s * sizeof *b->parent);
    b->service = le_malloc(s * sizeof *b->service);
    b->operation = le_malloc(s * sizeof *b->operation);
    b->start_us = le_malloc(s * sizeof *b->start_us);
    b->duration_us = le_malloc(s * sizeof *b->duration_us);
    b->status_code = le_malloc(s * sizeof *b->status_code);
    b->error = le_malloc(s * sizeof *b->error);
    if (gt) {
        b->label = le_malloc(t * sizeof *b->label);
        b->fault = le_malloc(t * sizeof *b->fault);
    }
}

void le_block_free(le_corpus_block *b)
{
    free(b->span_offset);
    free(b->trace_id);
    free(b->id_offset);
    free(b->trace_start_us);
    free(b->parent);
    free(b->service);
    free(b->operation);
    free(b->start_us);
    free(b->duration_us);
    free(b->status_code);
    free(b->error);
    free(b->label);
    free(b->fault);
    memset(b, 0, sizeof *b);
}

void le_meta_free(le_corpus_meta *m)
{
    for (int32_t i = 0; i < m->n_services; i++) free(m->services[i]);
    for (int32_t i = 0; i < m->n_operations; i++) free(m->operations[i]);
    free(m->services);
    free(m->operations);
    free(m->operation_service);
    free(m->faults);
    free(m->vis.threshold_us);
    memset(m, 0, sizeof *m);
}

/* ---------------------------------------------------------------- write */

/* Width of a string dataset: one past the longest string, so every
 * stored string is NUL-terminated and h5dump prints it cleanly. */
static size_t str_width(char *const *s, int32_t n)
{
    size_t m = 0;
    for (int32_t i = 0; i < n; i++) {
        size_t l = strlen(s[i]);
        if (l > m) m = l;
    }
    return m + 1;
}

/* Pack n strings into a fixed-width buffer for a string dataset. */
static char *pack_strings(const char *(*get)(const void *, int32_t), const void *ctx, int32_t n, size_t width)
{
    char *buf = le_calloc((size_t)(n > 0 ? n : 1), width);
    for (int32_t i = 0; i < n; i++) strncpy(buf + (size_t)i * width, get(ctx, i), width);
    return buf;
}

static const char *get_strv(const void *ctx, int32_t i) { return ((char *const *)ctx)[i]; }
static const char *get_fault_service(const void *ctx, int32_t i) { return ((const le_fault *)ctx)[i].service_name; }
static const char *get_fault_type(const void *ctx, int32_t i) { return ((const le_fault *)ctx)[i].type; }

/* A small table written by rank 0 (others select nothing): collective call. */
static int write_table(hid_t file, const char *name, hid_t ftype, hid_t mtype, int64_t n, const void *buf, int rank,
                       const char *path)
{
    hid_t d = le_h5_create_1d(file, name, ftype, n, 0);
    LE_H5(d, "%s: cannot create %s", path, name);
    int rc = n ? le_h5_write_1d(d, mtype, 0, rank == 0 ? n : 0, buf, name) : 0; /* nothing to write to an empty dataset */
    H5Dclose(d);
    return rc;
}

static int write_string_table(hid_t file, const char *name, const char *(*get)(const void *, int32_t), const void *ctx,
                              int32_t n, size_t width, int rank, const char *path)
{
    hid_t t = le_h5_strtype(width);
    char *buf = pack_strings(get, ctx, n, width);
    int rc = write_table(file, name, t, t, n, buf, rank, path);
    free(buf);
    H5Tclose(t);
    return rc;
}

static int write_faults(hid_t file, const le_corpus_meta *m, int rank, const char *path)
{
    int32_t n = m->n_faults;
    int32_t *svc = le_malloc((size_t)n * sizeof *svc);
    int64_t *start = le_malloc((size_t)n * sizeof *start);
    int64_t *end = le_malloc((size_t)n * sizeof *end);
    double *intensity = le_malloc((size_t)n * sizeof *intensity);
    size_t wsvc = 0, wtype = 0;
    for (int32_t i = 0; i < n; i++) {
        svc[i] = m->faults[i].service;
        start[i] = m->faults[i].start_us;
        end[i] = m->faults[i].end_us;
        intensity[i] = m->faults[i].intensity;
        size_t a = strnlen(m->faults[i].service_name, sizeof m->faults[i].service_name);
        size_t b = strnlen(m->faults[i].type, sizeof m->faults[i].type);
        if (a > wsvc) wsvc = a;
        if (b > wtype) wtype = b;
    }
    wsvc++, wtype++; /* room for the terminator */
    int rc = write_table(file, DS_F_SERVICE, H5T_STD_I32LE, H5T_NATIVE_INT32, n, svc, rank, path);
    if (!rc) rc = write_table(file, DS_F_START, H5T_STD_I64LE, H5T_NATIVE_INT64, n, start, rank, path);
    if (!rc) rc = write_table(file, DS_F_END, H5T_STD_I64LE, H5T_NATIVE_INT64, n, end, rank, path);
    if (!rc) rc = write_table(file, DS_F_INTENSITY, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, n, intensity, rank, path);
    if (!rc) rc = write_string_table(file, DS_F_SERVICE_NAME, get_fault_service, m->faults, n, wsvc, rank, path);
    if (!rc) rc = write_string_table(file, DS_F_TYPE, get_fault_type, m->faults, n, wtype, rank, path);
    free(svc);
    free(start);
    free(end);
    free(intensity);
    return rc;
}

/* The visible truth's per-fault counts, thresholds and reference sizes
 * (meta->vis, mpi/truth_dist.h). */
static int write_visible(hid_t file, const le_corpus_meta *m, int rank, const char *path)
{
    int32_t F = m->n_faults;
    int64_t *v = le_malloc(sizeof(int64_t) * 3 * (size_t)F);
    for (int32_t i = 0; i < F; i++)
        v[i] = m->faults[i].visible_traces, v[F + i] = m->faults[i].chance_traces,
        v[2 * F + i] = m->faults[i].chance_flagged;
    int rc = write_table(file, DS_F_VISIBLE, H5T_STD_I64LE, H5T_NATIVE_INT64, F, v, rank, path);
    if (!rc) rc = write_table(file, DS_F_CHANCE_TRACES, H5T_STD_I64LE, H5T_NATIVE_INT64, F, v + F, rank, path);
    if (!rc) rc = write_table(file, DS_F_CHANCE_FLAGGED, H5T_STD_I64LE, H5T_NATIVE_INT64, F, v + 2 * F, rank, path);
    free(v);
    LE_CHECK(rc);
    hid_t g = H5Gcreate2(file, GR_VISIBLE, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    LE_H5(g, "%s: cannot create group %s", path, GR_VISIBLE);
    rc = le_h5_attr_f64(g, "quantile", m->vis.quantile);
    if (!rc) rc = le_h5_attr_i64(g, "reference_traces", m->vis.ref_traces);
    if (!rc) rc = le_h5_attr_i64(g, "reference_flagged", m->vis.ref_flagged);
    if (!rc) rc = le_h5_attr_i64(g, "reference_structures", m->vis.ref_structures);
    H5Gclose(g);
    LE_CHECK(rc);
    LE_CHECK(write_table(file, DS_V_THRESHOLD, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, m->n_operations, m->vis.threshold_us, rank,
                         path));
    return le_h5_attr_str(file, "fault_truth", "visible");
}

static int create_groups(hid_t file, int gt, const char *path)
{
    const char *groups[] = {"/traces", "/spans", "/tables", "/ground_truth", "/ground_truth/faults"};
    int ng = gt ? 5 : 3;
    for (int i = 0; i < ng; i++) {
        hid_t g = H5Gcreate2(file, groups[i], H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
        LE_H5(g, "%s: cannot create group %s", path, groups[i]);
        H5Gclose(g);
    }
    return 0;
}

static int write_root_attrs(hid_t file, const le_corpus_meta *m)
{
    LE_CHECK(le_h5_attr_str(file, "schema", LE_CORPUS_SCHEMA));
    LE_CHECK(le_h5_attr_i64(file, "schema_version", LE_CORPUS_VERSION));
    LE_CHECK(le_h5_attr_i64(file, "n_traces", m->n_traces));
    LE_CHECK(le_h5_attr_i64(file, "n_spans", m->n_spans));
    LE_CHECK(le_h5_attr_i64(file, "has_ground_truth", m->has_ground_truth));
    LE_CHECK(le_h5_attr_str(file, "source", m->source[0] ? m->source : "unknown"));
    LE_CHECK(le_h5_attr_str(file, "time_unit", "us (microseconds since the unix epoch; durations in microseconds)"));
    return 0;
}

static int create_big_datasets(le_corpus_writer *w, const le_corpus_meta *m)
{
    struct {
        int id;
        const char *name;
        hid_t type;
        int64_t n;
        int gt;
    } spec[] = {
        {D_SPAN_OFFSET, DS_SPAN_OFFSET, H5T_STD_I64LE, m->n_traces + 1, 0},
        {D_TRACE_START, DS_TRACE_START, H5T_STD_I64LE, m->n_traces, 0},
        {D_PARENT, DS_PARENT, H5T_STD_I32LE, m->n_spans, 0},
        {D_SERVICE, DS_SERVICE, H5T_STD_I32LE, m->n_spans, 0},
        {D_OPERATION, DS_OPERATION, H5T_STD_I32LE, m->n_spans, 0},
        {D_START, DS_START, H5T_STD_I64LE, m->n_spans, 0},
        {D_DURATION, DS_DURATION, H5T_STD_I64LE, m->n_spans, 0},
        {D_STATUS, DS_STATUS, H5T_STD_I32LE, m->n_spans, 0},
        {D_ERROR, DS_ERROR, H5T_STD_I8LE, m->n_spans, 0},
        {D_LABEL, DS_LABEL, H5T_STD_I8LE, m->n_traces, 1},
        {D_FAULT, DS_FAULT, H5T_STD_I32LE, m->n_traces, 1},
    };
    for (size_t i = 0; i < sizeof spec / sizeof spec[0]; i++) {
        if (spec[i].gt && !m->has_ground_truth) continue;
        w->dset[spec[i].id] = le_h5_create_1d(w->file, spec[i].name, spec[i].type, spec[i].n, 1);
        LE_H5(w->dset[spec[i].id], "%s: cannot create dataset %s", w->path, spec[i].name);
    }
    /* The last CSR offset is the total span count: rank 0 writes it now. */
    int rank;
    LE_MPI(MPI_Comm_rank(w->comm, &rank));
    LE_CHECK(le_ids_create(w->file, m, rank, w->path, w->ids));
    return le_h5_write_1d(w->dset[D_SPAN_OFFSET], H5T_NATIVE_INT64, m->n_traces, rank == 0 ? 1 : 0, &m->n_spans,
                          DS_SPAN_OFFSET);
}

static int writer_setup(le_corpus_writer *w, const le_corpus_meta *m, int rank)
{
    LE_CHECK(create_groups(w->file, m->has_ground_truth, w->path));
    LE_CHECK(write_root_attrs(w->file, m));
    LE_CHECK(write_string_table(w->file, DS_SERVICES, get_strv, m->services, m->n_services,
                                str_width(m->services, m->n_services), rank, w->path));
    LE_CHECK(write_string_table(w->file, DS_OPERATIONS, get_strv, m->operations, m->n_operations,
                                str_width(m->operations, m->n_operations), rank, w->path));
    LE_CHECK(write_table(w->file, DS_OP_SERVICE, H5T_STD_I32LE, H5T_NATIVE_INT32, m->n_operations, m->operation_service,
                         rank, w->path));
    if (m->has_ground_truth) LE_CHECK(write_faults(w->file, m, rank, w->path));
    if (m->has_ground_truth && m->vis.present) LE_CHECK(write_visible(w->file, m, rank, w->path));
    LE_CHECK(create_big_datasets(w, m));
    return 0;
}

int le_corpus_create(MPI_Comm comm, const char *path, const le_corpus_meta *meta, le_corpus_writer **out)
{
    le_h5_quiet();
    int rank;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    le_corpus_writer *w = le_calloc(1, sizeof *w);
    for (int i = 0; i < D_N; i++) w->dset[i] = -1;
    w->ids[0] = w->ids[1] = -1;
    w->comm = comm;
    w->path = le_strdup(path);
    w->gt = meta->has_ground_truth;
    w->n_traces = meta->n_traces;
    w->n_spans = meta->n_spans;
    w->n_id_bytes = meta->n_id_bytes;
    char partial[4096];
    le_h5_partial(path, partial, sizeof partial);
    hid_t fapl = le_h5_fapl(comm);
    int rc = le_h5_create(comm, partial, "the corpus file", fapl, &w->file);
    H5Pclose(fapl);
    if (!rc) rc = writer_setup(w, meta, rank);
    if (rc) { /* every rank fails here alike: creation is collective */
        char msg[4096];
        snprintf(msg, sizeof msg, "%s", le_errmsg());
        le_corpus_close_writer(w, rc);
        return le_fail(rc, "%s", msg);
    }
    *out = w;
    return 0;
}

static int write_block(le_corpus_writer *w, const le_corpus_block *b)
{
    int64_t nt = b->n_traces, ns = b->n_spans;
    if (b->trace_begin < 0 || b->trace_begin + nt > w->n_traces || b->span_begin < 0 || b->span_begin + ns > w->n_spans)
        return le_fail(LE_ERR_INTERNAL,
                       "%s: block traces %lld+%lld spans %lld+%lld outside the corpus (%lld traces, %lld spans)", w->path,
                       (long long)b->trace_begin, (long long)nt, (long long)b->span_begin, (long long)ns,
                       (long long)w->n_traces, (long long)w->n_spans);
    /* CSR offsets become global: shift by the block's first span. */
    int64_t *off = le_malloc((size_t)nt * sizeof *off);
    for (int64_t i = 0; i < nt; i++) off[i] = b->span_offset[i] + b->span_begin;
    int rc = le_h5_write_1d(w->dset[D_SPAN_OFFSET], H5T_NATIVE_INT64, b->trace_begin, nt, off, DS_SPAN_OFFSET);
    free(off);
    LE_CHECK(rc);
    LE_CHECK(le_ids_write(w->ids, b, w->n_id_bytes, w->path));
    LE_CHECK(
        le_h5_write_1d(w->dset[D_TRACE_START], H5T_NATIVE_INT64, b->trace_begin, nt, b->trace_start_us, DS_TRACE_START));
    LE_CHECK(le_h5_write_1d(w->dset[D_PARENT], H5T_NATIVE_INT32, b->span_begin, ns, b->parent, DS_PARENT));
    LE_CHECK(le_h5_write_1d(w->dset[D_SERVICE], H5T_NATIVE_INT32, b->span_begin, ns, b->service, DS_SERVICE));
    LE_CHECK(le_h5_write_1d(w->dset[D_OPERATION], H5T_NATIVE_INT32, b->span_begin, ns, b->operation, DS_OPERATION));
    LE_CHECK(le_h5_write_1d(w->dset[D_START], H5T_NATIVE_INT64, b->span_begin, ns, b->start_us, DS_START));
    LE_CHECK(le_h5_write_1d(w->dset[D_DURATION], H5T_NATIVE_INT64, b->span_begin, ns, b->duration_us, DS_DURATION));
    LE_CHECK(le_h5_write_1d(w->dset[D_STATUS], H5T_NATIVE_INT32, b->span_begin, ns, b->status_code, DS_STATUS));
    LE_CHECK(le_h5_write_1d(w->dset[D_ERROR], H5T_NATIVE_INT8, b->span_begin, ns, b->error, DS_ERROR));
    if (w->gt) {
        if (nt && (!b->label || !b->fault)) return le_fail(LE_ERR_INTERNAL, "%s: block lacks ground truth", w->path);
        LE_CHECK(le_h5_write_1d(w->dset[D_LABEL], H5T_NATIVE_INT8, b->trace_begin, nt, b->label, DS_LABEL));
        LE_CHECK(le_h5_write_1d(w->dset[D_FAULT], H5T_NATIVE_INT32, b->trace_begin, nt, b->fault, DS_FAULT));
    }
    return 0;
}

int le_corpus_write_block(le_corpus_writer *w, const le_corpus_block *b)
{
    int rc = write_block(w, b);
    if (rc) w->failed = rc;
    w->fp_sum += le_fp_block(b);
    return rc;
}

/* Collective (one allreduce), on every rank whatever its status, so the
 * calls stay in step; a failed write discards the file anyway. */
static int write_fingerprint(le_corpus_writer *w)
{
    uint64_t sum = w->fp_sum;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_UINT64_T, MPI_SUM, w->comm));
    char fp[LE_FP_LEN];
    le_fp_finish(sum, w->n_traces, w->n_spans, fp);
    return le_h5_attr_str(w->file, "fingerprint", fp);
}

int le_corpus_close_writer(le_corpus_writer *w, int status)
{
    if (!w) return 0;
    /* the fingerprint's allreduce first, on every rank whatever failed: it is collective */
    int frc = w->file >= 0 ? write_fingerprint(w) : 0;
    int rc = w->failed ? w->failed : status ? status : frc;
    for (int i = 0; i < D_N; i++)
        if (w->dset[i] >= 0 && H5Dclose(w->dset[i]) < 0 && !rc)
            rc = le_fail(LE_ERR_HDF5, "%s: cannot close a dataset", w->path);
    for (int i = 0; i < 2; i++)
        if (w->ids[i] >= 0 && H5Dclose(w->ids[i]) < 0 && !rc)
            rc = le_fail(LE_ERR_HDF5, "%s: cannot close a dataset", w->path);
    char partial[4096];
    le_h5_partial(w->path, partial, sizeof partial);
    rc = w->file >= 0 ? le_h5_finish(w->comm, w->file, partial, rc) : le_agree_on(w->comm, rc);
    char msg[4096];
    snprintf(msg, sizeof msg, "%s", le_errmsg()); /* publish may only add a rename error */
    int published = le_h5_publish(w->comm, w->path, rc);
    if (published && rc) le_fail(published, "%s", msg);
    free(w->path);
    free(w);
    return rc ? rc : published;
}

/* ----------------------------------------------------------------- read */

static int read_string_table(hid_t file, const char *name, const char *path, int64_t *n_out, char ***out)
{
    hid_t d;
    LE_CHECK(le_h5_open(file, name, path, &d));
    int64_t n = le_h5_len(d);
    hid_t ft = H5Dget_type(d);
    size_t width = H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft) ? H5Tget_size(ft) : 0;
    H5Tclose(ft);
    if (n < 0 || !width) {
        H5Dclose(d);
        return le_fail(LE_ERR_FORMAT, "%s: %s is not a 1-D fixed-length string dataset", path, name);
    }
    char *buf = le_calloc((size_t)n, width);
    hid_t t = le_h5_strtype(width);
    int rc = le_h5_read_1d(d, t, 0, n, buf, name);
    H5Tclose(t);
    H5Dclose(d);
    if (rc) {
        free(buf);
        return le_fail(rc, "%s: cannot read %s", path, name);
    }
    char **s = le_malloc((size_t)n * sizeof *s);
    for (int64_t i = 0; i < n; i++) s[i] = le_strndup(buf + (size_t)i * width, strnlen(buf + (size_t)i * width, width));
    free(buf);
    *n_out = n;
    *out = s;
    return 0;
}

static int read_table(hid_t file, const char *name, const char *path, hid_t mtype, size_t elem, int64_t expect, void **out)
{
    hid_t d;
    LE_CHECK(le_h5_open(file, name, path, &d));
    int64_t n = le_h5_len(d);
    if (n != expect) {
        H5Dclose(d);
        return le_fail(LE_ERR_FORMAT, "%s: %s has %lld elements, expected %lld", path, name, (long long)n,
                       (long long)expect);
    }
    void *buf = le_malloc((size_t)n * elem);
    int rc = le_h5_read_1d(d, mtype, 0, n, buf, name);
    H5Dclose(d);
    if (rc) {
        free(buf);
        return le_fail(rc, "%s: cannot read %s", path, name);
    }
    *out = buf;
    return 0;
}

static int read_faults(le_corpus *c, hid_t file)
{
    le_corpus_meta *m = &c->meta;
    int64_t n = 0, n2 = 0;
    char **svc = NULL, **type = NULL;
    int32_t *sid = NULL;
    int64_t *start = NULL, *end = NULL;
    double *intensity = NULL;
    int rc = read_string_table(file, DS_F_SERVICE_NAME, c->path, &n, &svc);
    if (!rc) rc = read_string_table(file, DS_F_TYPE, c->path, &n2, &type);
    if (!rc && n2 != n) rc = le_fail(LE_ERR_FORMAT, "%s: fault tables disagree in length", c->path);
    if (!rc) rc = read_table(file, DS_F_SERVICE, c->path, H5T_NATIVE_INT32, 4, n, (void **)&sid);
    if (!rc) rc = read_table(file, DS_F_START, c->path, H5T_NATIVE_INT64, 8, n, (void **)&start);
    if (!rc) rc = read_table(file, DS_F_END, c->path, H5T_NATIVE_INT64, 8, n, (void **)&end);
    if (!rc) rc = read_table(file, DS_F_INTENSITY, c->path, H5T_NATIVE_DOUBLE, 8, n, (void **)&intensity);
    if (!rc) {
        m->n_faults = (int32_t)n;
        m->faults = le_calloc((size_t)n, sizeof *m->faults);
        for (int64_t i = 0; i < n; i++) {
            le_fault *f = &m->faults[i];
            f->service = sid[i];
            f->start_us = start[i];
            f->end_us = end[i];
            f->intensity = intensity[i];
            snprintf(f->service_name, sizeof f->service_name, "%s", svc[i]);
            snprintf(f->type, sizeof f->type, "%s", type[i]);
        }
    }
    for (int64_t i = 0; svc && i < n; i++) free(svc[i]);
    for (int64_t i = 0; type && i < n2; i++) free(type[i]);
    free(svc);
    free(type);
    free(sid);
    free(start);
    free(end);
    free(intensity);
    return rc;
}

/* The visible truth, where ingest wrote it (corpora of older versions
 * have none: their fault-list traces are judged by the approximation). */
static int read_visible(le_corpus *c, hid_t file)
{
    le_corpus_meta *m = &c->meta;
    char rule[32] = "";
    if (H5Aexists(file, "fault_truth") <= 0) return 0;
    LE_CHECK(le_h5_get_attr_str(file, "fault_truth", rule, sizeof rule, c->path));
    if (strcmp(rule, "visible"))
        return le_fail(LE_ERR_FORMAT, "%s: fault_truth is '%s', this labelease knows 'visible'", c->path, rule);
    int32_t F = m->n_faults;
    int64_t *v[3] = {NULL, NULL, NULL};
    const char *ds[3] = {DS_F_VISIBLE, DS_F_CHANCE_TRACES, DS_F_CHANCE_FLAGGED};
    for (int k = 0; k < 3; k++) LE_CHECK(read_table(file, ds[k], c->path, H5T_NATIVE_INT64, 8, F, (void **)&v[k]));
    for (int32_t i = 0; i < F; i++)
        m->faults[i].visible_traces = v[0][i], m->faults[i].chance_traces = v[1][i], m->faults[i].chance_flagged = v[2][i];
    free(v[0]), free(v[1]), free(v[2]);
    LE_CHECK(
        read_table(file, DS_V_THRESHOLD, c->path, H5T_NATIVE_DOUBLE, 8, m->n_operations, (void **)&m->vis.threshold_us));
    hid_t g = H5Gopen2(file, GR_VISIBLE, H5P_DEFAULT);
    LE_H5(g, "%s: cannot open group %s", c->path, GR_VISIBLE);
    int rc = le_h5_get_attr_f64(g, "quantile", &m->vis.quantile, c->path);
    if (!rc) rc = le_h5_get_attr_i64(g, "reference_traces", &m->vis.ref_traces, c->path);
    if (!rc) rc = le_h5_get_attr_i64(g, "reference_flagged", &m->vis.ref_flagged, c->path);
    if (!rc) rc = le_h5_get_attr_i64(g, "reference_structures", &m->vis.ref_structures, c->path);
    H5Gclose(g);
    m->vis.present = !rc;
    return rc;
}

static int open_datasets_check(le_corpus *c, hid_t file)
{
    /* Every big dataset must exist with the length the header promises:
     * a truncated or hand-edited file fails here, naming the dataset. */
    le_corpus_meta *m = &c->meta;
    struct {
        const char *name;
        int64_t n;
        int gt;
    } want[] = {
        {DS_SPAN_OFFSET, m->n_traces + 1, 0}, {DS_TRACE_START, m->n_traces, 0}, {DS_PARENT, m->n_spans, 0},
        {DS_SERVICE, m->n_spans, 0},          {DS_OPERATION, m->n_spans, 0},    {DS_START, m->n_spans, 0},
        {DS_DURATION, m->n_spans, 0},         {DS_STATUS, m->n_spans, 0},       {DS_ERROR, m->n_spans, 0},
        {DS_LABEL, m->n_traces, 1},           {DS_FAULT, m->n_traces, 1},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        if (want[i].gt && !m->has_ground_truth) continue;
        hid_t d;
        LE_CHECK(le_h5_open(file, want[i].name, c->path, &d));
        int64_t n = le_h5_len(d);
        H5Dclose(d);
        if (n != want[i].n)
            return le_fail(LE_ERR_FORMAT, "%s: %s has %lld elements, the header says %lld", c->path, want[i].name,
                           (long long)n, (long long)want[i].n);
    }
    return le_ids_check(file, m, c->path);
}

static int read_header(le_corpus *c, hid_t file)
{
    le_corpus_meta *m = &c->meta;
    char schema[64];
    int64_t version, n_services, n_ops, gt;
    LE_CHECK(le_h5_get_attr_str(file, "schema", schema, sizeof schema, c->path));
    if (strcmp(schema, LE_CORPUS_SCHEMA))
        return le_fail(LE_ERR_FORMAT, "%s: schema is '%s', not a labelease corpus (%s)", c->path, schema, LE_CORPUS_SCHEMA);
    LE_CHECK(le_h5_get_attr_i64(file, "schema_version", &version, c->path));
    if (version != 1 && version != LE_CORPUS_VERSION)
        return le_fail(LE_ERR_FORMAT,
                       "%s: corpus schema version %lld, this labelease reads versions 1 and %d (re-run ingest or synth)",
                       c->path, (long long)version, LE_CORPUS_VERSION);
    m->version = version;
    LE_CHECK(le_fp_read_named(file, "fingerprint", m->fingerprint, c->path)); /* "" in version 1: computed on open */
    LE_CHECK(le_h5_get_attr_i64(file, "n_traces", &m->n_traces, c->path));
    LE_CHECK(le_h5_get_attr_i64(file, "n_spans", &m->n_spans, c->path));
    LE_CHECK(le_h5_get_attr_i64(file, "has_ground_truth", &gt, c->path));
    m->has_ground_truth = (int)gt;
    H5Aexists(file, "source") > 0 ? le_h5_get_attr_str(file, "source", m->source, sizeof m->source, c->path) : 0;
    LE_CHECK(read_string_table(file, DS_SERVICES, c->path, &n_services, &m->services));
    m->n_services = (int32_t)n_services;
    LE_CHECK(read_string_table(file, DS_OPERATIONS, c->path, &n_ops, &m->operations));
    m->n_operations = (int32_t)n_ops;
    LE_CHECK(read_table(file, DS_OP_SERVICE, c->path, H5T_NATIVE_INT32, 4, n_ops, (void **)&m->operation_service));
    if (m->has_ground_truth) LE_CHECK(read_faults(c, file));
    if (m->has_ground_truth) LE_CHECK(read_visible(c, file));
    LE_CHECK(open_datasets_check(c, file));
    return 0;
}

static int compute_fingerprint(le_corpus *c, MPI_Comm comm);

int le_corpus_open(MPI_Comm comm, const char *path, le_corpus **out)
{
    le_h5_quiet();
    if (H5Fis_hdf5(path) <= 0) {
        FILE *f = fopen(path, "rb");
        if (!f) return le_fail(LE_ERR_IO, "%s: cannot open (no such file or not readable)", path);
        fclose(f);
        return le_fail(LE_ERR_FORMAT, "%s: not an HDF5 file (or truncated)", path);
    }
    le_corpus *c = le_calloc(1, sizeof *c);
    c->path = le_strdup(path);
    hid_t fapl = le_h5_fapl(comm);
    hid_t file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    c->hid_file = file;
    int rc =
        file < 0 ? le_fail(LE_ERR_FORMAT, "%s: HDF5 cannot open it (truncated or corrupted?)", path) : read_header(c, file);
    if (!rc) rc = le_corpus_check(c, comm); /* tables and per-trace datasets; spans: as blocks are read */
    if (!rc && !c->meta.fingerprint[0]) rc = compute_fingerprint(c, comm); /* a version 1 file has none */
    if (rc) {
        le_corpus_close(c);
        return rc;
    }
    *out = c;
    return 0;
}

void le_corpus_close(le_corpus *c)
{
    if (!c) return;
    if (c->hid_file >= 0) H5Fclose((hid_t)c->hid_file);
    le_meta_free(&c->meta);
    free(c->path);
    free(c);
}

int64_t le_corpus_shard_piece = INT64_C(1) << 20;
#define SHARD_PIECE le_corpus_shard_piece

int le_corpus_shard(le_corpus *c, MPI_Comm comm, int64_t *t0, int64_t *t1)
{
    int rank, p;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    LE_MPI(MPI_Comm_size(comm, &p));
    int64_t N = c->meta.n_traces, M = c->meta.n_spans;
    /* Rank r reads offsets[a..b] (an equal slice by trace count), a piece at
     * a time (a slice is N/p offsets: 400 MB a rank for 1e8 traces on 2),
     * and finds, for every boundary k*M/p, the first trace starting at or
     * after it: in the first piece whose last offset reaches it. */
    int64_t a = N * rank / p, b = N * (rank + 1) / p;
    int64_t *so = le_malloc((size_t)(b - a + 1 < SHARD_PIECE ? b - a + 1 : SHARD_PIECE) * sizeof *so);
    int64_t *bound = le_malloc((size_t)(p + 1) * sizeof *bound);
    for (int k = 0; k <= p; k++) bound[k] = -1;
    hid_t d = -1;
    int rc = le_h5_open((hid_t)c->hid_file, DS_SPAN_OFFSET, c->path, &d);
    for (int64_t x = a; !rc && x <= b; x += SHARD_PIECE) {
        int64_t y = x + SHARD_PIECE - 1 < b ? x + SHARD_PIECE - 1 : b;
        rc = le_h5_read_1d(d, H5T_NATIVE_INT64, x, y - x + 1, so, DS_SPAN_OFFSET);
        for (int k = 0; !rc && k <= p; k++) {
            int64_t target = k == 0 ? 0 : (int64_t)((double)M * k / p);
            if (bound[k] >= 0 || so[y - x] < target) continue; /* found, or past this piece */
            int64_t lo = x, hi = y;                            /* smallest t in [x, y] with so[t] >= target */
            while (lo < hi) {
                int64_t mid = lo + (hi - lo) / 2;
                if (so[mid - x] >= target)
                    hi = mid;
                else
                    lo = mid + 1;
            }
            bound[k] = lo;
        }
    }
    if (d >= 0) H5Dclose(d);
    for (int k = 0; k <= p; k++)
        if (bound[k] < 0) bound[k] = N; /* the boundary is past this slice */
    free(so);
    int worst = rc, mrc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_INT, MPI_MAX, comm));
    if (!rc) rc = mrc ? mrc : worst ? le_fail(worst, "reading %s failed on another rank", c->path) : 0;
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, bound, p + 1, MPI_INT64_T, MPI_MIN, comm));
    if (!rc) {
        bound[0] = 0;
        bound[p] = N;
        *t0 = bound[rank];
        *t1 = bound[rank + 1] > *t0 ? bound[rank + 1] : *t0;
    }
    free(bound);
    return rc;
}

static int read_span_array(le_corpus *c, const char *name, hid_t mtype, int64_t off, int64_t n, void *buf)
{
    hid_t d;
    LE_CHECK(le_h5_open((hid_t)c->hid_file, name, c->path, &d));
    int rc = le_h5_read_1d(d, mtype, off, n, buf, name);
    H5Dclose(d);
    if (rc) return le_fail(rc, "%s: cannot read %s [%lld, %lld)", c->path, name, (long long)off, (long long)(off + n));
    return 0;
}

static int check_range(const le_corpus *c, int64_t t0, int64_t t1)
{
    if (t0 < 0 || t1 < t0 || t1 > c->meta.n_traces)
        return le_fail(LE_ERR_USAGE, "%s: trace range [%lld, %lld) outside [0, %lld)", c->path, (long long)t0, (long long)t1,
                       (long long)c->meta.n_traces);
    return 0;
}

/* A block of traces [t0, t1) with their ids alone (no spans): what
 * matching ids against a labels file needs, a chunk at a time. */
int le_corpus_read_ids(le_corpus *c, int64_t t0, int64_t t1, le_corpus_block *b)
{
    const le_corpus_meta *m = &c->meta;
    LE_CHECK(check_range(c, t0, t1));
    le_block_alloc(b, t1 - t0, 0, (size_t)(t1 - t0) * 33, 0);
    b->trace_begin = t0;
    int rc = le_ids_read((hid_t)c->hid_file, m, c->path, t0, t1 - t0, b);
    if (rc) le_block_free(b);
    return rc;
}

int le_corpus_read_starts(le_corpus *c, int64_t t0, int64_t t1, int64_t *start)
{
    LE_CHECK(check_range(c, t0, t1));
    return read_span_array(c, DS_TRACE_START, H5T_NATIVE_INT64, t0, t1 - t0, start);
}

int le_corpus_read_block(le_corpus *c, int64_t t0, int64_t t1, le_corpus_block *b)
{
    const le_corpus_meta *m = &c->meta;
    LE_CHECK(check_range(c, t0, t1));
    int64_t bounds[2];
    int64_t nt = t1 - t0;
    int64_t *so = le_malloc((size_t)(nt + 1) * sizeof *so);
    int rc = read_span_array(c, DS_SPAN_OFFSET, H5T_NATIVE_INT64, t0, nt + 1, so);
    if (rc) {
        free(so);
        return rc;
    }
    bounds[0] = so[0];
    bounds[1] = so[nt];
    if (bounds[0] < 0 || bounds[1] < bounds[0] || bounds[1] > m->n_spans) {
        free(so);
        return le_fail(LE_ERR_FORMAT, "%s: %s is corrupt near trace %lld", c->path, DS_SPAN_OFFSET, (long long)t0);
    }
    int64_t ns = bounds[1] - bounds[0];
    le_block_alloc(b, nt, ns, (size_t)nt * 33, m->has_ground_truth); /* room for 32-byte ids, grown if longer */
    b->trace_begin = t0;
    b->span_begin = bounds[0];
    for (int64_t i = 0; i <= nt; i++) b->span_offset[i] = so[i] - bounds[0];
    free(so);
    rc = le_ids_read((hid_t)c->hid_file, m, c->path, t0, nt, b);
    int64_t s0 = bounds[0];
    if (!rc) rc = read_span_array(c, DS_TRACE_START, H5T_NATIVE_INT64, t0, nt, b->trace_start_us);
    if (!rc) rc = read_span_array(c, DS_PARENT, H5T_NATIVE_INT32, s0, ns, b->parent);
    if (!rc) rc = read_span_array(c, DS_SERVICE, H5T_NATIVE_INT32, s0, ns, b->service);
    if (!rc) rc = read_span_array(c, DS_OPERATION, H5T_NATIVE_INT32, s0, ns, b->operation);
    if (!rc) rc = read_span_array(c, DS_START, H5T_NATIVE_INT64, s0, ns, b->start_us);
    if (!rc) rc = read_span_array(c, DS_DURATION, H5T_NATIVE_INT64, s0, ns, b->duration_us);
    if (!rc) rc = read_span_array(c, DS_STATUS, H5T_NATIVE_INT32, s0, ns, b->status_code);
    if (!rc) rc = read_span_array(c, DS_ERROR, H5T_NATIVE_INT8, s0, ns, b->error);
    if (!rc && m->has_ground_truth) rc = read_span_array(c, DS_LABEL, H5T_NATIVE_INT8, t0, nt, b->label);
    if (!rc && m->has_ground_truth) rc = read_span_array(c, DS_FAULT, H5T_NATIVE_INT32, t0, nt, b->fault);
    if (!rc) rc = le_corpus_check_block(m, b, c->path); /* callers agree on it before their next collective */
    if (rc) le_block_free(b);
    return rc;
}

/* The fingerprint of a corpus written without one (version 1), as the
 * writer would have made it: each rank hashes an equal slice of the traces
 * (ids, starts, span offsets only, in chunks) and one allreduce adds them. */
static int compute_fingerprint(le_corpus *c, MPI_Comm comm)
{
    int rank, p;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    LE_MPI(MPI_Comm_size(comm, &p));
    const le_corpus_meta *m = &c->meta;
    int64_t a = m->n_traces * rank / p, end = m->n_traces * (rank + 1) / p, chunk = 65536;
    uint64_t sum = 0;
    int rc = 0;
    for (; a < end && !rc; a += chunk) {
        int64_t nt = end - a < chunk ? end - a : chunk;
        le_corpus_block b;
        le_block_alloc(&b, nt, 0, (size_t)nt * 33, 0);
        b.trace_begin = a;
        rc = read_span_array(c, DS_SPAN_OFFSET, H5T_NATIVE_INT64, a, nt + 1, b.span_offset);
        if (!rc) rc = read_span_array(c, DS_TRACE_START, H5T_NATIVE_INT64, a, nt, b.trace_start_us);
        if (!rc) rc = le_ids_read((hid_t)c->hid_file, m, c->path, a, nt, &b);
        if (!rc) sum += le_fp_block(&b);
        le_block_free(&b);
    }
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &sum, 1, MPI_UINT64_T, MPI_SUM, comm));
    LE_CHECK(le_agree_on(comm, rc));
    le_fp_finish(sum, m->n_traces, m->n_spans, c->meta.fingerprint);
    le_debug("%s: no fingerprint stored (schema version %lld), computed %s", c->path, (long long)m->version,
             c->meta.fingerprint);
    return 0;
}
