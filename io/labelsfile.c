#include "labelsfile.h"

#include <hdf5.h>
#include <stdio.h>
#include <string.h>

#include "fingerprint.h"
#include "h5util.h"

static int write_column(hid_t g, const char *name, hid_t type, const le_labelsfile_info *info, int64_t row0, int64_t n,
                        const void *buf, const char *path)
{
    hid_t d = le_h5_create_1d(g, name, type, info->n_traces, 1);
    LE_H5(d, "%s: cannot create /labels/%s", path, name);
    char what[600];
    snprintf(what, sizeof what, "%s: /labels/%s", path, name);
    int rc = le_h5_write_1d(d, type, row0, n, buf, what);
    H5Dclose(d);
    return rc;
}

static int write_body(hid_t f, const char *path, const le_labelsfile_info *info, int64_t row0, int64_t n,
                      const int8_t *label, const float *confidence, const int8_t *given)
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
    int rc = write_column(g, "label", H5T_NATIVE_INT8, info, row0, n, label, path);
    if (!rc) rc = write_column(g, "confidence", H5T_NATIVE_FLOAT, info, row0, n, confidence, path);
    if (!rc) rc = write_column(g, "given", H5T_NATIVE_INT8, info, row0, n, given, path);
    H5Gclose(g);
    return rc;
}

int le_labelsfile_write(MPI_Comm comm, const char *path, const le_labelsfile_info *info, int64_t row0, int64_t n,
                        const int8_t *label, const float *confidence, const int8_t *given)
{
    le_h5_quiet();
    char partial[4096];
    le_h5_partial(path, partial, sizeof partial); /* published under path only when complete */
    hid_t fapl = le_h5_fapl(comm), f;
    int created = le_h5_create(comm, partial, "the labels file", fapl, &f);
    H5Pclose(fapl);
    if (created) return created;
    int rc = le_h5_finish(comm, f, partial, write_body(f, path, info, row0, n, label, confidence, given));
    int published = le_h5_publish(comm, path, rc);
    return rc ? rc : published;
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

static int read_body(hid_t f, const char *path, int64_t n_expected, int64_t row0, int64_t n, int8_t *label,
                     float *confidence, int8_t *given, le_labelsfile_info *info)
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
    LE_CHECK(read_column(f, "labels/label", H5T_NATIVE_INT8, row0, n, label, path));
    LE_CHECK(read_column(f, "labels/confidence", H5T_NATIVE_FLOAT, row0, n, confidence, path));
    LE_CHECK(read_column(f, "labels/given", H5T_NATIVE_INT8, row0, n, given, path));
    return 0;
}

int le_labelsfile_read(MPI_Comm comm, const char *path, int64_t n_expected, int64_t row0, int64_t n, int8_t *label,
                       float *confidence, int8_t *given, le_labelsfile_info *info)
{
    le_h5_quiet();
    if (H5Fis_hdf5(path) <= 0) return le_fail(LE_ERR_IO, "%s: cannot open (missing, unreadable or not HDF5)", path);
    hid_t fapl = le_h5_fapl(comm);
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (f < 0) return le_fail(LE_ERR_FORMAT, "%s: HDF5 cannot open it", path);
    int rc = read_body(f, path, n_expected, row0, n, label, confidence, given, info);
    H5Fclose(f);
    return rc;
}
