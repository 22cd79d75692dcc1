/* rcfile: rootcause.h5 writer and reader (schema in rcfile.h), and the
 * approximate ground truth for corpora with a fault list only. */
#include "rcfile.h"

#include <errno.h>
#include <hdf5.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fingerprint.h"
#include "h5util.h"

void le_rc_alloc(le_rc *rc, int64_t P, int32_t S, int32_t O)
{
    size_t ps = (size_t)(P * S > 0 ? P * S : 1), po = (size_t)(P * O > 0 ? P * O : 1), p = (size_t)(P ? P : 1);
    rc->n_periods = P, rc->n_services = S, rc->n_operations = O;
    rc->periods = le_calloc(p, sizeof *rc->periods);
    rc->n_normal = le_calloc(p, sizeof(int64_t));
    rc->w_abnormal = le_calloc(p, sizeof(double)), rc->w_normal = le_calloc(p, sizeof(double));
    rc->all_count = le_calloc((size_t)S, sizeof(int64_t));
    rc->all_mean_us = le_calloc((size_t)S, sizeof(double));
    rc->all_std_us = le_calloc((size_t)S, sizeof(double));
    int64_t **i64[] = {&rc->ef, &rc->ep, &rc->nf, &rc->np, &rc->votes, &rc->count};
    for (size_t i = 0; i < sizeof i64 / sizeof *i64; i++) *i64[i] = le_calloc(ps, sizeof(int64_t));
    double **f64[] = {&rc->score, &rc->evidence, &rc->mean_us, &rc->std_us, &rc->wef, &rc->wep};
    for (size_t i = 0; i < sizeof f64 / sizeof *f64; i++) *f64[i] = le_calloc(ps, sizeof(double));
    rc->depth = le_calloc(ps, sizeof(int32_t));
    rc->order = le_calloc(ps, sizeof(int32_t));
    rc->op_ef = le_calloc(po, sizeof(int64_t));
    rc->op_ep = le_calloc(po, sizeof(int64_t));
    rc->op_score = le_calloc(po, sizeof(double));
}

void le_rc_parts_whole(le_rc *rc)
{
    free(rc->parts), free(rc->part_period);
    rc->n_parts = le_parts_whole(rc->periods, rc->n_periods, &rc->parts, &rc->part_period);
}

int64_t le_rc_period_of(const le_rc *rc, int64_t t_us)
{
    int64_t k = le_periods_find(rc->parts, rc->n_parts, t_us);
    return k < 0 ? -1 : rc->part_period[k];
}

static void free_names(char **v, int32_t n)
{
    for (int32_t i = 0; v && i < n; i++) free(v[i]);
    free(v);
}

void le_rc_free(le_rc *rc)
{
    free_names(rc->services, rc->n_services);
    free_names(rc->operations, rc->n_operations);
    free(rc->parts), free(rc->part_period);
    free(rc->w_abnormal), free(rc->w_normal);
    void *all[] = {rc->periods,    rc->n_normal,    rc->operation_service,
                   rc->all_count,  rc->all_mean_us, rc->all_std_us,
                   rc->ef,         rc->ep,          rc->nf,
                   rc->np,         rc->votes,       rc->count,
                   rc->score,      rc->evidence,    rc->mean_us,
                   rc->std_us,     rc->depth,       rc->order,
                   rc->wef,        rc->wep,         rc->op_ef,
                   rc->op_ep,      rc->op_score,    rc->edge_period,
                   rc->edge_count, rc->edge_caller, rc->edge_callee};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
    memset(rc, 0, sizeof *rc);
}

int32_t le_rc_rank_of(const le_rc *rc, int64_t p, int32_t s)
{
    for (int32_t r = 0; r < rc->n_services; r++)
        if (rc->order[p * rc->n_services + r] == s) return r;
    return -1;
}

const char *le_truth_name(int kinds)
{
    static const char *name[8] = {"none",
                                  "exact",
                                  "visible",
                                  "exact+visible",
                                  "approximate",
                                  "exact+approximate",
                                  "visible+approximate",
                                  "exact+visible+approximate"};
    return name[kinds & 7];
}

int le_truth_option(const char *arg, int *approximate)
{
    if (!strcmp(arg, "visible"))
        *approximate = 0;
    else if (!strcmp(arg, "approximate"))
        *approximate = 1;
    else
        return le_fail(LE_ERR_USAGE, "--truth: '%s' is neither visible nor approximate", arg);
    return 0;
}

static int approximate_truth(const le_corpus_meta *m, const le_corpus_block *b, int64_t t)
{
    int64_t start = b->trace_start_us[t];
    for (int32_t f = 0; f < m->n_faults; f++) {
        const le_fault *x = &m->faults[f];
        if (x->service < 0 || start < x->start_us || start > x->end_us) continue;
        for (int64_t i = b->span_offset[t]; i < b->span_offset[t + 1]; i++)
            if (b->service[i] == x->service) return LE_LABEL_ABNORMAL;
    }
    return LE_LABEL_NORMAL;
}

int le_trace_truth(const le_corpus_meta *m, const le_corpus_block *b, int64_t t, int approximate, int *kinds)
{
    int known = b->label && b->label[t] != LE_LABEL_UNKNOWN;
    if (m->n_faults > 0 && ((approximate && (!known || m->vis.present)) || !known)) {
        *kinds |= LE_TRUTH_APPROXIMATE;
        return approximate_truth(m, b, t);
    }
    if (!known) return LE_LABEL_UNKNOWN;
    *kinds |= m->vis.present ? LE_TRUTH_VISIBLE : LE_TRUTH_EXACT;
    return b->label[t];
}

/* ---- writing ---- */

/* A dataset of rank 1 or 2 (cols 0: 1-D) written whole. */
static int put(hid_t g, const char *name, hid_t type, int64_t rows, int64_t cols, const void *buf, const char *path)
{
    hsize_t dims[2] = {(hsize_t)rows, (hsize_t)cols};
    hid_t sp = H5Screate_simple(cols ? 2 : 1, dims, NULL);
    hid_t d = H5Dcreate2(g, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    errno = 0;
    herr_t rc = d < 0 ? -1 : rows * (cols ? cols : 1) > 0 ? H5Dwrite(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
    int err = errno;
    if (d >= 0) H5Dclose(d);
    H5Sclose(sp);
    if (rc < 0) return le_h5_write_error(path, name, err);
    return 0;
}

static int put_names(hid_t g, const char *name, char **v, int32_t n, const char *path)
{
    size_t w = 2;
    for (int32_t i = 0; i < n; i++) w = strlen(v[i]) + 1 > w ? strlen(v[i]) + 1 : w;
    char *buf = le_calloc((size_t)n, w);
    for (int32_t i = 0; i < n; i++) memcpy(buf + (size_t)i * w, v[i], strlen(v[i]));
    hid_t t = le_h5_strtype(w);
    int rc = put(g, name, t, n, 0, buf, path);
    H5Tclose(t);
    free(buf);
    return rc;
}

static int write_attrs(hid_t f, const le_rc *rc)
{
    LE_CHECK(le_h5_attr_str(f, "schema", LE_RC_SCHEMA));
    LE_CHECK(le_h5_attr_i64(f, "schema_version", LE_RC_VERSION));
    LE_CHECK(le_h5_attr_str(f, "corpus", rc->corpus));
    LE_CHECK(le_fp_write_attr(f, rc->corpus_fp));
    LE_CHECK(le_h5_attr_str(f, "labels", rc->labels));
    LE_CHECK(le_h5_attr_str(f, "score", rc->score_name));
    LE_CHECK(le_h5_attr_str(f, "counts", rc->counts[0] ? rc->counts : "plain"));
    LE_CHECK(le_h5_attr_str(f, "truth", rc->truth));
    LE_CHECK(le_h5_attr_i64(f, "window_us", rc->window_us));
    LE_CHECK(le_h5_attr_i64(f, "gap_us", rc->gap_us));
    LE_CHECK(le_h5_attr_i64(f, "min_traces", rc->min_traces));
    LE_CHECK(le_h5_attr_i64(f, "tie_ppm", (int64_t)(rc->tie * 1e6 + 0.5)));
    LE_CHECK(le_h5_attr_i64(f, "n_periods", rc->n_periods));
    LE_CHECK(le_h5_attr_i64(f, "n_services", rc->n_services));
    LE_CHECK(le_h5_attr_i64(f, "n_operations", rc->n_operations));
    return 0;
}

#define I64 H5T_NATIVE_INT64
#define F64 H5T_NATIVE_DOUBLE
#define I32 H5T_NATIVE_INT32

static int write_parts(hid_t g, const le_rc *rc, const char *path)
{
    int64_t K = rc->n_parts, *col = le_malloc(sizeof *col * (size_t)(2 * K + 1));
    for (int64_t k = 0; k < K; k++) col[k] = rc->parts[k].start_us, col[K + k] = rc->parts[k].end_us;
    int r = put(g, "part_start_us", I64, K, 0, col, path);
    if (!r) r = put(g, "part_end_us", I64, K, 0, col + K, path);
    if (!r) r = put(g, "part_period", I64, K, 0, rc->part_period, path);
    free(col);
    return r;
}

static int write_groups(hid_t f, const le_rc *rc, const char *path)
{
    int64_t P = rc->n_periods, S = rc->n_services, O = rc->n_operations;
    int64_t *col = le_malloc(sizeof *col * (size_t)P * 3);
    int rc_ = 0;
    hid_t g = H5Gcreate2(f, "periods", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    for (int64_t p = 0; p < P; p++)
        col[p] = rc->periods[p].start_us, col[P + p] = rc->periods[p].end_us, col[2 * P + p] = rc->periods[p].n_traces;
    if (!rc_) rc_ = put(g, "start_us", I64, P, 0, col, path);
    if (!rc_) rc_ = put(g, "end_us", I64, P, 0, col + P, path);
    if (!rc_) rc_ = put(g, "n_abnormal", I64, P, 0, col + 2 * P, path);
    if (!rc_) rc_ = put(g, "n_normal", I64, P, 0, rc->n_normal, path);
    if (!rc_) rc_ = put(g, "w_abnormal", F64, P, 0, rc->w_abnormal, path);
    if (!rc_) rc_ = put(g, "w_normal", F64, P, 0, rc->w_normal, path);
    free(col);
    if (!rc_) rc_ = write_parts(g, rc, path);
    H5Gclose(g);
    g = H5Gcreate2(f, "services", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (!rc_) rc_ = put_names(g, "name", rc->services, rc->n_services, path);
    if (!rc_) rc_ = put(g, "count", I64, S, 0, rc->all_count, path);
    if (!rc_) rc_ = put(g, "mean_us", F64, S, 0, rc->all_mean_us, path);
    if (!rc_) rc_ = put(g, "std_us", F64, S, 0, rc->all_std_us, path);
    H5Gclose(g);
    g = H5Gcreate2(f, "operations", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (!rc_) rc_ = put_names(g, "name", rc->operations, rc->n_operations, path);
    if (!rc_) rc_ = put(g, "service", I32, O, 0, rc->operation_service, path);
    H5Gclose(g);
    g = H5Gcreate2(f, "rank", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    const char *in[] = {"ef", "ep", "nf", "np", "votes", "count"};
    const int64_t *iv[] = {rc->ef, rc->ep, rc->nf, rc->np, rc->votes, rc->count};
    for (int i = 0; i < 6 && !rc_; i++) rc_ = put(g, in[i], I64, P, S, iv[i], path);
    const char *fn[] = {"score", "evidence", "mean_us", "std_us", "wef", "wep"};
    const double *fv[] = {rc->score, rc->evidence, rc->mean_us, rc->std_us, rc->wef, rc->wep};
    for (int i = 0; i < 6 && !rc_; i++) rc_ = put(g, fn[i], F64, P, S, fv[i], path);
    if (!rc_) rc_ = put(g, "depth", I32, P, S, rc->depth, path);
    if (!rc_) rc_ = put(g, "order", I32, P, S, rc->order, path);
    H5Gclose(g);
    g = H5Gcreate2(f, "rank_ops", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (!rc_) rc_ = put(g, "ef", I64, P, O, rc->op_ef, path);
    if (!rc_) rc_ = put(g, "ep", I64, P, O, rc->op_ep, path);
    if (!rc_) rc_ = put(g, "score", F64, P, O, rc->op_score, path);
    H5Gclose(g);
    g = H5Gcreate2(f, "edges", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (!rc_) rc_ = put(g, "period", I64, rc->n_edges, 0, rc->edge_period, path);
    if (!rc_) rc_ = put(g, "count", I64, rc->n_edges, 0, rc->edge_count, path);
    if (!rc_) rc_ = put(g, "caller", I32, rc->n_edges, 0, rc->edge_caller, path);
    if (!rc_) rc_ = put(g, "callee", I32, rc->n_edges, 0, rc->edge_callee, path);
    H5Gclose(g);
    return rc_;
}

int le_rc_write(const char *path, const le_rc *rc)
{
    le_h5_quiet();
    char tmp[4200];
    if (snprintf(tmp, sizeof tmp, "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof tmp)
        return le_fail(LE_ERR_USAGE, "%s: path too long", path);
    hid_t f;
    LE_CHECK(le_h5_create(MPI_COMM_SELF, tmp, "the rootcause file", H5P_DEFAULT, &f));
    int r = write_attrs(f, rc);
    if (!r) r = write_groups(f, rc, path);
    r = le_h5_finish(MPI_COMM_SELF, f, tmp, r);
    if (!r && rename(tmp, path)) r = le_fail(LE_ERR_IO, "%s: cannot rename to %s", tmp, path);
    if (r) unlink(tmp);
    return r;
}

/* ---- reading ---- */

/* Read a dataset whole into buf, checking it holds want elements. */
static int get(hid_t f, const char *name, hid_t type, int64_t want, void *buf, const char *path)
{
    hid_t d;
    LE_CHECK(le_h5_open(f, name, path, &d));
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    herr_t r = n == want ? (want ? H5Dread(d, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0) : -2;
    H5Dclose(d);
    if (r == -2)
        return le_fail(LE_ERR_FORMAT, "%s: %s has %lld elements, expected %lld", path, name, (long long)n, (long long)want);
    LE_H5(r, "%s: cannot read %s", path, name);
    return 0;
}

static int get_names(hid_t f, const char *name, int32_t n, char ***out, const char *path)
{
    hid_t d;
    LE_CHECK(le_h5_open(f, name, path, &d));
    hid_t ft = H5Dget_type(d);
    size_t w = H5Tget_size(ft);
    H5Tclose(ft);
    hid_t t = le_h5_strtype(w + 1);
    char *buf = le_calloc((size_t)n, w + 1);
    herr_t r = n ? H5Dread(d, t, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0;
    H5Tclose(t);
    H5Dclose(d);
    if (r < 0) return free(buf), le_fail(LE_ERR_HDF5, "%s: cannot read %s", path, name);
    *out = le_malloc(sizeof(char *) * (size_t)n);
    for (int32_t i = 0; i < n; i++) (*out)[i] = le_strndup(buf + (size_t)i * (w + 1), w);
    free(buf);
    return 0;
}

static int read_attrs(hid_t f, const char *path, le_rc *rc, int64_t *P, int64_t *S, int64_t *O)
{
    char schema[64];
    int64_t v;
    LE_CHECK(le_h5_get_attr_str(f, "schema", schema, sizeof schema, path));
    if (strcmp(schema, LE_RC_SCHEMA))
        return le_fail(LE_ERR_FORMAT, "%s: schema '%s' is not a root-cause file (%s)", path, schema, LE_RC_SCHEMA);
    LE_CHECK(le_h5_get_attr_i64(f, "schema_version", &v, path));
    if (v != LE_RC_VERSION)
        return le_fail(LE_ERR_FORMAT, "%s: rootcause schema_version %lld, expected %d", path, (long long)v, LE_RC_VERSION);
    LE_CHECK(le_h5_get_attr_str(f, "corpus", rc->corpus, sizeof rc->corpus, path));
    LE_CHECK(le_fp_read_attr(f, rc->corpus_fp, path));
    LE_CHECK(le_h5_get_attr_str(f, "labels", rc->labels, sizeof rc->labels, path));
    LE_CHECK(le_h5_get_attr_str(f, "score", rc->score_name, sizeof rc->score_name, path));
    LE_CHECK(le_h5_get_attr_str(f, "truth", rc->truth, sizeof rc->truth, path));
    LE_CHECK(le_h5_get_attr_i64(f, "window_us", &rc->window_us, path));
    LE_CHECK(le_h5_get_attr_i64(f, "gap_us", &rc->gap_us, path));
    LE_CHECK(le_h5_get_attr_i64(f, "min_traces", &rc->min_traces, path));
    LE_CHECK(le_h5_get_attr_i64(f, "tie_ppm", &v, path));
    rc->tie = (double)v / 1e6;
    LE_CHECK(le_h5_get_attr_i64(f, "n_periods", P, path));
    LE_CHECK(le_h5_get_attr_i64(f, "n_services", S, path));
    LE_CHECK(le_h5_get_attr_i64(f, "n_operations", O, path));
    if (*P < 0 || *S < 0 || *O < 0 || *S > 1 << 20 || *O > 1 << 24)
        return le_fail(LE_ERR_FORMAT, "%s: implausible sizes (periods %lld, services %lld, operations %lld)", path,
                       (long long)*P, (long long)*S, (long long)*O);
    return 0;
}

/* Parts, or one part a period in files written before parts existed. */
static int read_parts(hid_t f, const char *path, le_rc *rc)
{
    if (H5Lexists(f, "periods/part_period", H5P_DEFAULT) <= 0) return le_rc_parts_whole(rc), 0;
    hid_t d;
    LE_CHECK(le_h5_open(f, "periods/part_period", path, &d));
    hid_t sp = H5Dget_space(d);
    int64_t K = (int64_t)H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp), H5Dclose(d);
    if (K < 0 || K > INT64_C(1) << 40) return le_fail(LE_ERR_FORMAT, "%s: periods/part_period: implausible size", path);
    int64_t *col = le_malloc(sizeof *col * (size_t)(2 * K + 1));
    rc->n_parts = K;
    rc->parts = le_malloc(sizeof *rc->parts * (size_t)(K + 1));
    rc->part_period = le_malloc(sizeof *rc->part_period * (size_t)(K + 1));
    int r = get(f, "periods/part_start_us", I64, K, col, path);
    if (!r) r = get(f, "periods/part_end_us", I64, K, col + K, path);
    if (!r) r = get(f, "periods/part_period", I64, K, rc->part_period, path);
    for (int64_t k = 0; !r && k < K; k++) {
        rc->parts[k] = (le_period){col[k], col[K + k], 0};
        int64_t p = rc->part_period[k];
        /* le_rc_period_of relies on sorted parts and valid periods */
        if (p < 0 || p >= rc->n_periods || (k && (p < rc->part_period[k - 1] || col[k] <= col[K + k - 1])) ||
            col[K + k] < col[k])
            r = le_fail(LE_ERR_FORMAT, "%s: periods/part_*: part %lld out of order or of no period", path, (long long)k);
    }
    free(col);
    return r;
}

/* The weighted counts, or the plain ones in files written before them. */
static int read_weighted(hid_t f, const char *path, le_rc *rc)
{
    int64_t n = rc->n_periods * rc->n_services;
    snprintf(rc->counts, sizeof rc->counts, "plain");
    if (H5Aexists(f, "counts") > 0) LE_CHECK(le_h5_get_attr_str(f, "counts", rc->counts, sizeof rc->counts, path));
    if (H5Lexists(f, "rank/wef", H5P_DEFAULT) <= 0) {
        for (int64_t i = 0; i < n; i++) rc->wef[i] = (double)rc->ef[i], rc->wep[i] = (double)rc->ep[i];
        for (int64_t p = 0; p < rc->n_periods; p++)
            rc->w_abnormal[p] = (double)rc->periods[p].n_traces, rc->w_normal[p] = (double)rc->n_normal[p];
        return 0;
    }
    LE_CHECK(get(f, "periods/w_abnormal", F64, rc->n_periods, rc->w_abnormal, path));
    LE_CHECK(get(f, "periods/w_normal", F64, rc->n_periods, rc->w_normal, path));
    LE_CHECK(get(f, "rank/wef", F64, n, rc->wef, path));
    return get(f, "rank/wep", F64, n, rc->wep, path);
}

static int read_groups(hid_t f, const char *path, le_rc *rc)
{
    int64_t P = rc->n_periods, S = rc->n_services, O = rc->n_operations;
    int64_t *col = le_malloc(sizeof *col * (size_t)P * 3);
    int r = get(f, "periods/start_us", I64, P, col, path);
    if (!r) r = get(f, "periods/end_us", I64, P, col + P, path);
    if (!r) r = get(f, "periods/n_abnormal", I64, P, col + 2 * P, path);
    for (int64_t p = 0; !r && p < P; p++) rc->periods[p] = (le_period){col[p], col[P + p], col[2 * P + p]};
    free(col);
    LE_CHECK(r);
    LE_CHECK(get(f, "periods/n_normal", I64, P, rc->n_normal, path));
    LE_CHECK(read_parts(f, path, rc));
    LE_CHECK(get_names(f, "services/name", rc->n_services, &rc->services, path));
    LE_CHECK(get(f, "services/count", I64, S, rc->all_count, path));
    LE_CHECK(get(f, "services/mean_us", F64, S, rc->all_mean_us, path));
    LE_CHECK(get(f, "services/std_us", F64, S, rc->all_std_us, path));
    LE_CHECK(get_names(f, "operations/name", rc->n_operations, &rc->operations, path));
    rc->operation_service = le_malloc(sizeof(int32_t) * (size_t)O);
    LE_CHECK(get(f, "operations/service", I32, O, rc->operation_service, path));
    const char *in[] = {"rank/ef", "rank/ep", "rank/nf", "rank/np", "rank/votes", "rank/count"};
    int64_t *iv[] = {rc->ef, rc->ep, rc->nf, rc->np, rc->votes, rc->count};
    for (int i = 0; i < 6; i++) LE_CHECK(get(f, in[i], I64, P * S, iv[i], path));
    const char *fn[] = {"rank/score", "rank/evidence", "rank/mean_us", "rank/std_us"};
    double *fv[] = {rc->score, rc->evidence, rc->mean_us, rc->std_us};
    for (int i = 0; i < 4; i++) LE_CHECK(get(f, fn[i], F64, P * S, fv[i], path));
    LE_CHECK(read_weighted(f, path, rc));
    LE_CHECK(get(f, "rank/depth", I32, P * S, rc->depth, path));
    LE_CHECK(get(f, "rank/order", I32, P * S, rc->order, path));
    LE_CHECK(get(f, "rank_ops/ef", I64, P * O, rc->op_ef, path));
    LE_CHECK(get(f, "rank_ops/ep", I64, P * O, rc->op_ep, path));
    LE_CHECK(get(f, "rank_ops/score", F64, P * O, rc->op_score, path));
    hid_t d;
    LE_CHECK(le_h5_open(f, "edges/period", path, &d));
    rc->n_edges = le_h5_len(d);
    H5Dclose(d);
    size_t e = (size_t)(rc->n_edges > 0 ? rc->n_edges : 1);
    rc->edge_period = le_malloc(e * 8), rc->edge_count = le_malloc(e * 8);
    rc->edge_caller = le_malloc(e * 4), rc->edge_callee = le_malloc(e * 4);
    LE_CHECK(get(f, "edges/period", I64, rc->n_edges, rc->edge_period, path));
    LE_CHECK(get(f, "edges/count", I64, rc->n_edges, rc->edge_count, path));
    LE_CHECK(get(f, "edges/caller", I32, rc->n_edges, rc->edge_caller, path));
    LE_CHECK(get(f, "edges/callee", I32, rc->n_edges, rc->edge_callee, path));
    for (int64_t i = 0; i < P * S; i++)
        if (rc->order[i] < 0 || rc->order[i] >= S)
            return le_fail(LE_ERR_FORMAT, "%s: rank/order holds %d", path, rc->order[i]);
    return 0;
}

int le_rc_read(const char *path, le_rc *rc)
{
    le_h5_quiet();
    memset(rc, 0, sizeof *rc);
    if (H5Fis_hdf5(path) <= 0) return le_fail(LE_ERR_IO, "%s: cannot open (missing, unreadable or not HDF5)", path);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return le_fail(LE_ERR_FORMAT, "%s: HDF5 cannot open it", path);
    le_rc tmp = {0};
    int64_t P, S, O;
    int r = read_attrs(f, path, &tmp, &P, &S, &O);
    if (!r) {
        le_rc_alloc(rc, P, (int32_t)S, (int32_t)O);
        memcpy(rc->corpus, tmp.corpus, sizeof rc->corpus);
        memcpy(rc->labels, tmp.labels, sizeof rc->labels);
        memcpy(rc->score_name, tmp.score_name, sizeof rc->score_name);
        memcpy(rc->truth, tmp.truth, sizeof rc->truth);
        memcpy(rc->corpus_fp, tmp.corpus_fp, sizeof rc->corpus_fp);
        rc->window_us = tmp.window_us, rc->gap_us = tmp.gap_us, rc->min_traces = tmp.min_traces, rc->tie = tmp.tie;
        r = read_groups(f, path, rc);
    }
    H5Fclose(f);
    if (r) le_rc_free(rc);
    return r;
}
