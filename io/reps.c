/* The representatives file (layout in io/reps.h and docs/labeling.md):
 * small, so rank 0 writes and reads it with plain serial HDF5. */
#include "reps.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "h5util.h"

/* A whole small dataset of n elements (n may be 0), dims rows x cols. */
static int put(hid_t loc, const char *name, hid_t type, int64_t rows, int64_t cols, const void *buf, const char *path)
{
    hsize_t dims[2] = {(hsize_t)rows, (hsize_t)cols};
    hid_t s = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    hid_t d = H5Dcreate2(loc, name, type, s, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Sclose(s);
    LE_H5(d, "%s: cannot create %s", path, name);
    errno = 0;
    herr_t rc = rows > 0 ? H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
    int err = errno;
    H5Dclose(d);
    if (rc < 0) return le_h5_write_error(path, name, err);
    return 0;
}

static int put_strings(hid_t loc, const char *name, char *const *s, int64_t n, const char *path)
{
    size_t w = 1;
    for (int64_t i = 0; i < n; i++)
        if (strlen(s[i]) + 1 > w) w = strlen(s[i]) + 1;
    char *buf = le_calloc((size_t)n, w);
    for (int64_t i = 0; i < n; i++) memcpy(buf + (size_t)i * w, s[i], strlen(s[i]));
    hid_t t = le_h5_strtype(w);
    int rc = put(loc, name, t, n, 0, buf, path);
    H5Tclose(t), free(buf);
    return rc;
}

/* /reps/trace_id keeps its fixed-length strings (as wide as the longest
 * representative's id): a few hundred ids, each at most LE_TRACE_ID_MAX. */
static int put_ids(hid_t loc, const le_corpus_block *b, const char *path)
{
    size_t w = 1;
    for (int64_t t = 0; t < b->n_traces; t++)
        if (le_block_id_len(b, t) + 1 > w) w = le_block_id_len(b, t) + 1;
    char *buf = le_calloc((size_t)(b->n_traces ? b->n_traces : 1), w);
    for (int64_t t = 0; t < b->n_traces; t++) memcpy(buf + (size_t)t * w, le_block_id(b, t), le_block_id_len(b, t));
    hid_t idt = le_h5_strtype(w);
    int rc = put(loc, "trace_id", idt, b->n_traces, 0, buf, path);
    H5Tclose(idt), free(buf);
    return rc;
}

static int put_sample(hid_t f, const le_reps *r, const char *path)
{
    hid_t g = H5Gcreate2(f, "sample", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    LE_H5(g, "%s: cannot create /sample", path);
    int rc = le_h5_attr_f64(g, "share", r->sample_share);
    if (!rc) rc = le_h5_attr_i64(g, "key", (int64_t)r->sample_key);
    if (!rc) rc = le_h5_attr_i64(g, "dim", r->sample_dim);
    if (!rc) rc = put(g, "trace_index", H5T_NATIVE_INT64, r->n_sample, 0, r->sample_index, path);
    if (!rc) rc = put(g, "rows", H5T_NATIVE_FLOAT, r->n_sample, r->sample_dim, r->sample_rows, path);
    H5Gclose(g);
    return rc;
}

static int write_body(hid_t f, const le_reps *r, const le_corpus_meta *m, const char *path)
{
    const le_corpus_block *b = &r->traces;
    int64_t k = r->k, ns = b->n_spans;
    LE_CHECK(le_h5_attr_str(f, "schema", LE_REPS_SCHEMA));
    LE_CHECK(le_h5_attr_i64(f, "schema_version", LE_REPS_VERSION));
    LE_CHECK(le_h5_attr_str(f, "corpus", r->corpus));
    LE_CHECK(le_fp_write_attr(f, r->corpus_fp));
    LE_CHECK(le_h5_attr_str(f, "embeddings", r->embeddings));
    LE_CHECK(le_h5_attr_str(f, "method", r->method));
    LE_CHECK(le_h5_attr_str(f, "representation", r->representation));
    LE_CHECK(le_h5_attr_i64(f, "round", r->round));
    LE_CHECK(le_h5_attr_i64(f, "n_corpus_traces", r->n_corpus_traces));
    hid_t g = H5Gcreate2(f, "reps", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t gs = H5Gcreate2(g, "spans", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    hid_t gt = H5Gcreate2(f, "tables", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    LE_H5(g < 0 || gs < 0 || gt < 0 ? -1 : 0, "%s: cannot create groups", path);
    int rc = put(g, "trace_index", H5T_NATIVE_INT64, k, 0, r->trace_index, path);
    if (!rc) rc = put(g, "cluster_size", H5T_NATIVE_INT64, k, 0, r->cluster_size, path);
    if (!rc) rc = put_ids(g, b, path);
    if (!rc) rc = put(g, "span_offset", H5T_NATIVE_INT64, k + 1, 0, b->span_offset, path);
    if (!rc) rc = put(g, "trace_start_us", H5T_NATIVE_INT64, k, 0, b->trace_start_us, path);
    if (!rc) rc = put(gs, "parent", H5T_NATIVE_INT32, ns, 0, b->parent, path);
    if (!rc) rc = put(gs, "service", H5T_NATIVE_INT32, ns, 0, b->service, path);
    if (!rc) rc = put(gs, "operation", H5T_NATIVE_INT32, ns, 0, b->operation, path);
    if (!rc) rc = put(gs, "start_us", H5T_NATIVE_INT64, ns, 0, b->start_us, path);
    if (!rc) rc = put(gs, "duration_us", H5T_NATIVE_INT64, ns, 0, b->duration_us, path);
    if (!rc) rc = put(gs, "status_code", H5T_NATIVE_INT32, ns, 0, b->status_code, path);
    if (!rc) rc = put(gs, "error", H5T_NATIVE_INT8, ns, 0, b->error, path);
    if (!rc) rc = put(gs, "path_count", H5T_NATIVE_INT64, ns, 0, r->path_count, path);
    if (!rc) rc = put(gs, "path_mean_us", H5T_NATIVE_DOUBLE, ns, 0, r->path_mean_us, path);
    if (!rc) rc = put(gs, "path_std_us", H5T_NATIVE_DOUBLE, ns, 0, r->path_std_us, path);
    if (!rc && r->centroids && r->dim > 0) rc = put(g, "centroids", H5T_NATIVE_FLOAT, k, r->dim, r->centroids, path);
    if (!rc && r->suggested_label) rc = put(g, "suggested_label", H5T_NATIVE_INT8, k, 0, r->suggested_label, path);
    if (!rc && r->suggested_label && r->suggested_margin)
        rc = put(g, "suggested_margin", H5T_NATIVE_FLOAT, k, 0, r->suggested_margin, path);
    if (!rc && r->n_sample > 0) rc = put_sample(f, r, path);
    if (!rc) rc = put_strings(gt, "services", m->services, m->n_services, path);
    if (!rc) rc = put_strings(gt, "operations", m->operations, m->n_operations, path);
    if (!rc) rc = put(gt, "operation_service", H5T_NATIVE_INT32, m->n_operations, 0, m->operation_service, path);
    H5Gclose(gt), H5Gclose(gs), H5Gclose(g);
    return rc;
}

int le_reps_write(const char *path, const le_reps *r, const le_corpus_meta *meta)
{
    le_h5_quiet();
    char partial[4096];
    le_h5_partial(path, partial, sizeof partial); /* published under path only when complete */
    hid_t f;
    LE_CHECK(le_h5_create(MPI_COMM_SELF, partial, "the representatives file", H5P_DEFAULT, &f));
    int rc = le_h5_finish(MPI_COMM_SELF, f, partial, write_body(f, r, meta, path));
    int published = le_h5_publish(MPI_COMM_SELF, path, rc);
    return rc ? rc : published;
}

/* ------------------------------------------------------------------ read */

/* Dataset `name` of exactly n elements (of rows x cols when cols > 0). */
static int get(hid_t loc, const char *name, hid_t type, size_t elem, int64_t n, void **out, const char *path)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return le_fail(LE_ERR_FORMAT, "%s: no dataset %s", path, name);
    hid_t s = H5Dget_space(d);
    hssize_t have = H5Sget_simple_extent_npoints(s);
    H5Sclose(s);
    if (have != n) {
        H5Dclose(d);
        return le_fail(LE_ERR_FORMAT, "%s: %s has %lld elements, expected %lld", path, name, (long long)have, (long long)n);
    }
    *out = le_calloc((size_t)n, elem);
    herr_t rc = n > 0 ? H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, *out) : 0;
    H5Dclose(d);
    LE_H5(rc, "%s: cannot read %s", path, name);
    return 0;
}

static int get_strings(hid_t loc, const char *name, int64_t *n, char ***out, const char *path)
{
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    if (d < 0) return le_fail(LE_ERR_FORMAT, "%s: no dataset %s", path, name);
    hid_t s = H5Dget_space(d), ft = H5Dget_type(d);
    *n = H5Sget_simple_extent_npoints(s);
    size_t w = H5Tget_size(ft);
    H5Sclose(s), H5Tclose(ft);
    char *buf = le_calloc((size_t)(*n), w);
    hid_t t = le_h5_strtype(w);
    herr_t rc = *n > 0 ? H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
    H5Tclose(t), H5Dclose(d);
    *out = le_malloc(sizeof(char *) * (size_t)(*n));
    for (int64_t i = 0; i < *n; i++) (*out)[i] = le_strndup(buf + (size_t)i * w, strnlen(buf + (size_t)i * w, w));
    free(buf);
    LE_H5(rc, "%s: cannot read %s", path, name);
    return 0;
}

static int read_ids(hid_t f, le_reps *r, const char *path)
{
    hid_t d = H5Dopen2(f, "reps/trace_id", H5P_DEFAULT);
    if (d < 0) return le_fail(LE_ERR_FORMAT, "%s: no dataset /reps/trace_id", path);
    hid_t ft = H5Dget_type(d);
    size_t w = H5Tget_size(ft);
    H5Tclose(ft);
    char *buf = le_calloc((size_t)(r->k ? r->k : 1), w);
    hid_t t = le_h5_strtype(w);
    herr_t rc = r->k > 0 ? H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
    H5Tclose(t), H5Dclose(d);
    le_corpus_block *b = &r->traces;
    b->id_offset = le_calloc((size_t)r->k + 1, sizeof *b->id_offset);
    for (int64_t i = 0; i < r->k; i++) le_block_put_id(b, i, buf + (size_t)i * w, strnlen(buf + (size_t)i * w, w));
    free(buf);
    LE_H5(rc, "%s: cannot read /reps/trace_id", path);
    return 0;
}

/* The root attributes: what select was run with. */
static int read_attrs(hid_t f, le_reps *r, const char *path)
{
    char schema[64];
    int64_t v, round;
    LE_CHECK(le_h5_get_attr_str(f, "schema", schema, sizeof schema, path));
    if (strcmp(schema, LE_REPS_SCHEMA))
        return le_fail(LE_ERR_FORMAT, "%s: schema '%s' is not %s", path, schema, LE_REPS_SCHEMA);
    LE_CHECK(le_h5_get_attr_i64(f, "schema_version", &v, path));
    if (v != LE_REPS_VERSION)
        return le_fail(LE_ERR_FORMAT, "%s: reps schema_version %lld, expected %d", path, (long long)v, LE_REPS_VERSION);
    LE_CHECK(le_h5_get_attr_str(f, "corpus", r->corpus, sizeof r->corpus, path));
    LE_CHECK(le_fp_read_attr(f, r->corpus_fp, path));
    LE_CHECK(le_h5_get_attr_str(f, "embeddings", r->embeddings, sizeof r->embeddings, path));
    LE_CHECK(le_h5_get_attr_str(f, "method", r->method, sizeof r->method, path));
    LE_CHECK(le_h5_get_attr_str(f, "representation", r->representation, sizeof r->representation, path));
    LE_CHECK(le_h5_get_attr_i64(f, "round", &round, path));
    LE_CHECK(le_h5_get_attr_i64(f, "n_corpus_traces", &r->n_corpus_traces, path));
    r->round = (int32_t)round;
    return 0;
}

static int read_body(hid_t f, le_reps *r, le_corpus_meta *m, const char *path)
{
    LE_CHECK(read_attrs(f, r, path));
    hid_t d = H5Dopen2(f, "reps/trace_index", H5P_DEFAULT);
    if (d < 0) return le_fail(LE_ERR_FORMAT, "%s: no dataset /reps/trace_index", path);
    hid_t s = H5Dget_space(d);
    r->k = H5Sget_simple_extent_npoints(s);
    H5Sclose(s), H5Dclose(d);
    le_corpus_block *b = &r->traces;
    int64_t k = r->k;
    LE_CHECK(get(f, "reps/trace_index", H5T_NATIVE_INT64, 8, k, (void **)&r->trace_index, path));
    LE_CHECK(get(f, "reps/cluster_size", H5T_NATIVE_INT64, 8, k, (void **)&r->cluster_size, path));
    LE_CHECK(get(f, "reps/span_offset", H5T_NATIVE_INT64, 8, k + 1, (void **)&b->span_offset, path));
    LE_CHECK(get(f, "reps/trace_start_us", H5T_NATIVE_INT64, 8, k, (void **)&b->trace_start_us, path));
    LE_CHECK(read_ids(f, r, path));
    int64_t ns = b->n_spans = b->span_offset[k];
    b->n_traces = k;
    LE_CHECK(get(f, "reps/spans/parent", H5T_NATIVE_INT32, 4, ns, (void **)&b->parent, path));
    LE_CHECK(get(f, "reps/spans/service", H5T_NATIVE_INT32, 4, ns, (void **)&b->service, path));
    LE_CHECK(get(f, "reps/spans/operation", H5T_NATIVE_INT32, 4, ns, (void **)&b->operation, path));
    LE_CHECK(get(f, "reps/spans/start_us", H5T_NATIVE_INT64, 8, ns, (void **)&b->start_us, path));
    LE_CHECK(get(f, "reps/spans/duration_us", H5T_NATIVE_INT64, 8, ns, (void **)&b->duration_us, path));
    LE_CHECK(get(f, "reps/spans/status_code", H5T_NATIVE_INT32, 4, ns, (void **)&b->status_code, path));
    LE_CHECK(get(f, "reps/spans/error", H5T_NATIVE_INT8, 1, ns, (void **)&b->error, path));
    LE_CHECK(get(f, "reps/spans/path_count", H5T_NATIVE_INT64, 8, ns, (void **)&r->path_count, path));
    LE_CHECK(get(f, "reps/spans/path_mean_us", H5T_NATIVE_DOUBLE, 8, ns, (void **)&r->path_mean_us, path));
    LE_CHECK(get(f, "reps/spans/path_std_us", H5T_NATIVE_DOUBLE, 8, ns, (void **)&r->path_std_us, path));
    if (H5Lexists(f, "reps/centroids", H5P_DEFAULT) > 0) {
        hid_t c = H5Dopen2(f, "reps/centroids", H5P_DEFAULT);
        hid_t cs = H5Dget_space(c);
        hsize_t dims[2] = {0, 0};
        H5Sget_simple_extent_dims(cs, dims, NULL);
        H5Sclose(cs), H5Dclose(c);
        r->dim = (int32_t)dims[1];
        LE_CHECK(get(f, "reps/centroids", H5T_NATIVE_FLOAT, 4, k * r->dim, (void **)&r->centroids, path));
    }
    /* optional (rounds >= 2 since the suggestions; older files have none) */
    if (H5Lexists(f, "reps/suggested_label", H5P_DEFAULT) > 0) {
        LE_CHECK(get(f, "reps/suggested_label", H5T_NATIVE_INT8, 1, k, (void **)&r->suggested_label, path));
        if (H5Lexists(f, "reps/suggested_margin", H5P_DEFAULT) > 0)
            LE_CHECK(get(f, "reps/suggested_margin", H5T_NATIVE_FLOAT, 4, k, (void **)&r->suggested_margin, path));
    }
    int64_t n;
    LE_CHECK(get_strings(f, "tables/services", &n, &m->services, path));
    m->n_services = (int32_t)n;
    LE_CHECK(get_strings(f, "tables/operations", &n, &m->operations, path));
    m->n_operations = (int32_t)n;
    LE_CHECK(get(f, "tables/operation_service", H5T_NATIVE_INT32, 4, n, (void **)&m->operation_service, path));
    return 0;
}

static int open_reps(const char *path, hid_t *f)
{
    le_h5_quiet();
    if (H5Fis_hdf5(path) <= 0) return le_fail(LE_ERR_IO, "%s: cannot open (missing, unreadable or not HDF5)", path);
    *f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (*f < 0) return le_fail(LE_ERR_FORMAT, "%s: HDF5 cannot open it", path);
    return 0;
}

int le_reps_read(const char *path, le_reps *r, le_corpus_meta *meta)
{
    memset(r, 0, sizeof *r);
    memset(meta, 0, sizeof *meta);
    hid_t f;
    int rc = open_reps(path, &f); /* its message as it is: no "from" line */
    if (rc) return rc;
    rc = read_body(f, r, meta, path);
    H5Fclose(f);
    return rc;
}

int le_reps_read_attrs(const char *path, le_reps *r)
{
    memset(r, 0, sizeof *r);
    hid_t f;
    int rc = open_reps(path, &f);
    if (rc) return rc;
    rc = read_attrs(f, r, path);
    H5Fclose(f);
    return rc;
}

void le_reps_free(le_reps *r)
{
    free(r->trace_index), free(r->cluster_size), free(r->path_count), free(r->path_mean_us), free(r->path_std_us);
    free(r->centroids), free(r->suggested_label), free(r->suggested_margin);
    free(r->sample_index), free(r->sample_rows);
    le_block_free(&r->traces);
    memset(r, 0, sizeof *r);
}

void le_reps_trace_id(const le_reps *r, const le_corpus_meta *m, int64_t t, char *buf, size_t cap)
{
    (void)m; /* ids are packed in the block since corpus schema 2 */
    snprintf(buf, cap, "%s", le_block_id(&r->traces, t));
}

/* Where each of g [m] (ascending) is in index [n] (ascending): pos [m], or
 * 0 when one is missing. */
static int positions(const int64_t *index, int64_t n, const int64_t *g, int64_t m, int64_t *pos)
{
    int64_t j = 0;
    for (int64_t i = 0; i < m; i++) {
        while (j < n && index[j] < g[i]) j++;
        if (j == n || index[j] != g[i]) return 0;
        pos[i] = j;
    }
    return 1;
}

static int sample_matches(hid_t s, double share, uint64_t key, int32_t dim, const char *path)
{
    double sh;
    int64_t k, d;
    return !le_h5_get_attr_f64(s, "share", &sh, path) && sh == share && !le_h5_get_attr_i64(s, "key", &k, path) &&
           (uint64_t)k == key && !le_h5_get_attr_i64(s, "dim", &d, path) && d == dim;
}

/* Rows [p0, p1) of /sample/rows (dim floats each) into buf. */
static int read_row_range(hid_t s, int64_t p0, int64_t p1, int32_t dim, float *buf)
{
    hid_t d = H5Dopen2(s, "rows", H5P_DEFAULT);
    if (d < 0) return 0;
    hid_t fs = H5Dget_space(d);
    hsize_t off[2] = {(hsize_t)p0, 0}, cnt[2] = {(hsize_t)(p1 - p0), (hsize_t)dim};
    hid_t ms = H5Screate_simple(2, cnt, NULL);
    herr_t e = H5Sselect_hyperslab(fs, H5S_SELECT_SET, off, NULL, cnt, NULL);
    if (e >= 0) e = H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, buf);
    H5Sclose(ms), H5Sclose(fs), H5Dclose(d);
    return e >= 0;
}

int le_reps_read_sample(const char *path, double share, uint64_t key, int32_t dim, const int64_t *g, int64_t m, float *out)
{
    le_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return 0;
    int hit = 0;
    hid_t s = H5Lexists(f, "sample", H5P_DEFAULT) > 0 ? H5Gopen2(f, "sample", H5P_DEFAULT) : -1;
    if (s >= 0 && sample_matches(s, share, key, dim, path)) {
        hid_t d = H5Dopen2(s, "trace_index", H5P_DEFAULT);
        int64_t n = -1;
        if (d >= 0) {
            hid_t sp = H5Dget_space(d);
            n = H5Sget_simple_extent_npoints(sp);
            H5Sclose(sp), H5Dclose(d);
        }
        int64_t *index = NULL, *pos = le_malloc(sizeof(int64_t) * (size_t)(m ? m : 1));
        if (n >= 0 && !get(s, "trace_index", H5T_NATIVE_INT64, sizeof(int64_t), n, (void **)&index, path) &&
            positions(index, n, g, m, pos)) {
            int64_t p0 = m ? pos[0] : 0, p1 = m ? pos[m - 1] + 1 : 0;
            float *buf = le_malloc_big(sizeof(float) * (size_t)(p1 - p0 ? p1 - p0 : 1) * (size_t)dim);
            hit = m == 0 || read_row_range(s, p0, p1, dim, buf);
            for (int64_t i = 0; hit && i < m; i++)
                memcpy(out + i * dim, buf + (pos[i] - p0) * dim, sizeof(float) * (size_t)dim);
            free(buf);
        }
        free(index), free(pos);
    }
    if (s >= 0) H5Gclose(s);
    H5Fclose(f);
    le_err_clear(); /* a sample that cannot be used is no error: the rows are made again */
    return hit;
}
