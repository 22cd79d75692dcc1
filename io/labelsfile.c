#include "labelsfile.h"

#include <hdf5.h>
#include <stdio.h>
#include <string.h>

#include "fingerprint.h"
#include "comm.h"
#include "h5util.h"

static const char *const column_name[3] = {"label", "confidence", "given"};

static hid_t column_type(int i) { return i == 1 ? H5T_NATIVE_FLOAT : H5T_NATIVE_INT8; }

static int write_header(hid_t f, const char *path, const le_labelsfile_info *info, hid_t dset[3])
{
    LE_CHECK(le_h5_attr_str(f, "schema", LE_LABELS_SCHEMA));
    LE_CHECK(le_h5_attr_i64(f, "schema_version", LE_LABELS_VERSION));
    LE_CHECK(le_h5_attr_str(f, "corpus", info->corpus));
    LE_CHECK(le_fp_write_attr(f, info->corpus_fp));
    LE_CHECK(le_h5_attr_str(f, "method", info->method));
    LE_CHECK(le_h5_attr_i64(f, "n_traces", info->n_traces));
    LE_CHECK(le_h5_attr_i64(f, "n_given", info->n_given));
    hid_t g = H5Gcreate2(f, "labels", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    LE_H5(g, "%s: cannot create /labels", path);
    int rc = 0;
    for (int i = 0; i < 3 && !rc; i++) {
        dset[i] = le_h5_create_1d(g, column_name[i], column_type(i), info->n_traces, 1);
        if (dset[i] < 0) rc = le_fail(LE_ERR_IO, "%s: cannot create /labels/%s", path, column_name[i]);
    }
    H5Gclose(g);
    return rc;
}

static void close_columns(le_labelsfile_writer *w)
{
    for (int i = 0; i < 3; i++)
        if (w->dset[i] > 0) H5Dclose((hid_t)w->dset[i]);
    memset(w->dset, 0, sizeof w->dset);
}

int le_labelsfile_create(MPI_Comm comm, const char *path, const le_labelsfile_info *info, le_labelsfile_writer *w)
{
    memset(w, 0, sizeof *w);
    le_h5_quiet();
    w->comm = comm;
    snprintf(w->path, sizeof w->path, "%s", path);
    le_h5_partial(path, w->partial, sizeof w->partial); /* published under path only when complete */
    hid_t fapl = le_h5_fapl(comm), f;
    int created = le_h5_create(comm, w->partial, "the labels file", fapl, &f);
    H5Pclose(fapl);
    if (created) return created;
    w->file = f;
    hid_t d[3] = {0, 0, 0};
    int rc = write_header(f, path, info, d);
    for (int i = 0; i < 3; i++) w->dset[i] = d[i];
    return le_agree_on(comm, rc) ? le_labelsfile_close(w, rc) : 0;
}

int le_labelsfile_write_rows(le_labelsfile_writer *w, int64_t row0, int64_t n, const int8_t *label, const float *confidence,
                             const int8_t *given)
{
    const void *buf[3] = {label, confidence, given};
    int rc = 0;
    for (int i = 0; i < 3 && !rc; i++) {
        char what[4200];
        snprintf(what, sizeof what, "%s: /labels/%s", w->path, column_name[i]);
        rc = le_h5_write_1d((hid_t)w->dset[i], column_type(i), row0, n, buf[i], what);
    }
    return rc;
}

int le_labelsfile_close(le_labelsfile_writer *w, int status)
{
    if (!w->file) return status;
    close_columns(w);
    int rc = le_h5_finish(w->comm, (hid_t)w->file, w->partial, status);
    w->file = 0;
    int published = le_h5_publish(w->comm, w->path, rc);
    return rc ? rc : published;
}

int le_labelsfile_write(MPI_Comm comm, const char *path, const le_labelsfile_info *info, int64_t row0, int64_t n,
                        const int8_t *label, const float *confidence, const int8_t *given)
{
    le_labelsfile_writer w;
    LE_CHECK(le_labelsfile_create(comm, path, info, &w));
    return le_labelsfile_close(&w, le_labelsfile_write_rows(&w, row0, n, label, confidence, given));
}

static int read_column(hid_t f, const char *name, hid_t type, int64_t row0, int64_t n, void *buf, const char *path)
{
    if (!buf) return 0;
    hid_t d;
    LE_CHECK(le_h5_open(f, name, path, &d));
    char what[600];
    snprintf(what, sizeof what, "%s: %s", path, name);
    int rc = le_h5_read_1d(d, type, row0, n, buf, what);
    H5Dclose(d);
    return rc;
}

static int read_info(hid_t f, const char *path, int64_t n_expected, le_labelsfile_info *info)
{
    char schema[64];
    int64_t v;
    LE_CHECK(le_h5_get_attr_str(f, "schema", schema, sizeof schema, path));
    if (strcmp(schema, LE_LABELS_SCHEMA))
        return le_fail(LE_ERR_FORMAT, "%s: schema '%s' is not a labels file (%s)", path, schema, LE_LABELS_SCHEMA);
    LE_CHECK(le_h5_get_attr_i64(f, "schema_version", &v, path));
    if (v != LE_LABELS_VERSION)
        return le_fail(LE_ERR_FORMAT, "%s: labels schema_version %lld, expected %d", path, (long long)v, LE_LABELS_VERSION);
    LE_CHECK(le_h5_get_attr_i64(f, "n_traces", &info->n_traces, path));
    LE_CHECK(le_h5_get_attr_i64(f, "n_given", &info->n_given, path));
    LE_CHECK(le_h5_get_attr_str(f, "corpus", info->corpus, sizeof info->corpus, path));
    LE_CHECK(le_fp_read_attr(f, info->corpus_fp, path));
    LE_CHECK(le_h5_get_attr_str(f, "method", info->method, sizeof info->method, path));
    if (n_expected >= 0 && info->n_traces != n_expected)
        return le_fail(LE_ERR_FORMAT, "%s: labels for %lld traces, the corpus has %lld", path, (long long)info->n_traces,
                       (long long)n_expected);
    return 0;
}

int le_labelsfile_open(MPI_Comm comm, const char *path, int64_t n_expected, le_labelsfile_reader *r,
                       le_labelsfile_info *info)
{
    le_h5_quiet();
    r->file = -1;
    snprintf(r->path, sizeof r->path, "%s", path);
    /* agreed before the collective open: a rank that cannot see the file
     * must not leave the others waiting in H5Fopen */
    int seen = H5Fis_hdf5(path) > 0;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &seen, 1, MPI_INT, MPI_MIN, comm));
    if (!seen) return le_fail(LE_ERR_IO, "%s: cannot open (missing, unreadable or not HDF5)", path);
    hid_t fapl = le_h5_fapl(comm);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0) return le_fail(LE_ERR_FORMAT, "%s: HDF5 cannot open it", path);
    r->file = f;
    int rc = read_info(f, path, n_expected, info);
    if (rc) le_labelsfile_close_reader(r);
    return rc;
}

int le_labelsfile_read_rows(const le_labelsfile_reader *r, int64_t row0, int64_t n, int8_t *label, float *confidence,
                            int8_t *given)
{
    hid_t f = (hid_t)r->file;
    LE_CHECK(read_column(f, "labels/label", H5T_NATIVE_INT8, row0, n, label, r->path));
    LE_CHECK(read_column(f, "labels/confidence", H5T_NATIVE_FLOAT, row0, n, confidence, r->path));
    return read_column(f, "labels/given", H5T_NATIVE_INT8, row0, n, given, r->path);
}

void le_labelsfile_close_reader(le_labelsfile_reader *r)
{
    if (r->file >= 0) H5Fclose((hid_t)r->file);
    r->file = -1;
}

int le_labelsfile_read(MPI_Comm comm, const char *path, int64_t n_expected, int64_t row0, int64_t n, int8_t *label,
                       float *confidence, int8_t *given, le_labelsfile_info *info)
{
    le_labelsfile_reader r;
    LE_CHECK(le_labelsfile_open(comm, path, n_expected, &r, info));
    int rc = le_labelsfile_read_rows(&r, row0, n, label, confidence, given);
    le_labelsfile_close_reader(&r);
    return rc;
}
