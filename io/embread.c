#include "embread.h"

#include <hdf5.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "embfile.h"
#include "fingerprint.h"
#include "h5util.h"

static int check_header(le_embreader *r)
{
    hid_t f = (hid_t)r->hid_file;
    char schema[64];
    int64_t version, dim;
    LE_CHECK(le_h5_get_attr_str(f, "schema", schema, sizeof schema, r->path));
    if (strcmp(schema, LE_EMB_SCHEMA))
        return le_fail(LE_ERR_FORMAT, "%s: schema is '%s', not an embeddings file (%s)", r->path, schema, LE_EMB_SCHEMA);
    LE_CHECK(le_h5_get_attr_i64(f, "schema_version", &version, r->path));
    if (version != LE_EMB_VERSION)
        return le_fail(LE_ERR_FORMAT, "%s: embeddings schema_version %lld, this labelease reads %d", r->path,
                       (long long)version, LE_EMB_VERSION);
    LE_CHECK(le_h5_get_attr_i64(f, "dim", &dim, r->path));
    LE_CHECK(le_h5_get_attr_str(f, "model", r->model, sizeof r->model, r->path));
    if (H5Aexists(f, "corpus") > 0) LE_CHECK(le_h5_get_attr_str(f, "corpus", r->corpus, sizeof r->corpus, r->path));
    LE_CHECK(le_fp_read_attr(f, r->corpus_fp, r->path));
    hid_t d;
    LE_CHECK(le_h5_open(f, "embeddings", r->path, &d));
    r->hid_dset = d;
    hid_t s = H5Dget_space(d);
    hsize_t dims[2] = {0, 0};
    int nd = H5Sget_simple_extent_ndims(s);
    if (nd == 2) H5Sget_simple_extent_dims(s, dims, NULL);
    H5Sclose(s);
    if (nd != 2 || (int64_t)dims[1] != dim)
        return le_fail(LE_ERR_FORMAT, "%s: /embeddings is not N x %lld", r->path, (long long)dim);
    r->n = (int64_t)dims[0];
    r->dim = (int)dim;
    return 0;
}

int le_emb_open(MPI_Comm comm, const char *path, int64_t n_expected, le_embreader *r)
{
    le_h5_quiet();
    memset(r, 0, sizeof *r);
    r->hid_file = r->hid_dset = -1;
    snprintf(r->path, sizeof r->path, "%s", path);
    if (H5Fis_hdf5(path) <= 0) return le_fail(LE_ERR_IO, "%s: cannot open (missing, unreadable or not HDF5)", path);
    hid_t fapl = le_h5_fapl(comm);
    r->hid_file = H5Fopen(path, H5F_ACC_RDONLY, fapl);
    H5Pclose(fapl);
    if (r->hid_file < 0) return le_fail(LE_ERR_FORMAT, "%s: HDF5 cannot open it", path);
    LE_CHECK(check_header(r));
    if (n_expected >= 0 && r->n != n_expected)
        return le_fail(LE_ERR_FORMAT, "%s: %lld embeddings for a corpus of %lld traces (made from another corpus?)", path,
                       (long long)r->n, (long long)n_expected);
    return 0;
}

/* A NaN or infinite coordinate (a model trained into NaN, a damaged file)
 * would make every distance NaN and k-means pick nothing: refused with the
 * row, which is the trace's index in the corpus. */
static int check_finite(const le_embreader *r, int64_t row0, int64_t nrows, const float *buf)
{
    for (int64_t i = 0; i < nrows * r->dim; i++)
        if (!isfinite(buf[i]))
            return le_fail(LE_ERR_FORMAT, "%s: /embeddings row %lld (trace %lld), column %d is %s: not a usable vector",
                           r->path, (long long)(row0 + i / r->dim), (long long)(row0 + i / r->dim), (int)(i % r->dim),
                           isnan(buf[i]) ? "NaN" : "infinite");
    return 0;
}

/* Rows [row0, row0 + nrows) in one H5Dread: under le_h5_read_piece_bytes. */
static int read_rows_once(const le_embreader *r, int64_t row0, int64_t nrows, float *buf)
{
    hid_t d = (hid_t)r->hid_dset;
    hsize_t start[2] = {(hsize_t)row0, 0}, count[2] = {(hsize_t)nrows, (hsize_t)r->dim};
    hid_t fs = H5Dget_space(d), ms = H5Screate_simple(2, count, NULL);
    H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    herr_t rc = H5Dread(d, H5T_NATIVE_FLOAT, ms, fs, H5P_DEFAULT, buf);
    H5Sclose(ms), H5Sclose(fs);
    LE_H5(rc, "%s: cannot read /embeddings rows %lld..%lld", r->path, (long long)row0, (long long)(row0 + nrows));
    return 0;
}

int le_emb_read_rows(const le_embreader *r, int64_t row0, int64_t nrows, float *buf)
{
    int64_t step = le_h5_read_piece_bytes / ((int64_t)sizeof(float) * (r->dim > 0 ? r->dim : 1));
    if (step < 1) step = 1;
    for (int64_t i = 0; i < nrows; i += step)
        LE_CHECK(read_rows_once(r, row0 + i, nrows - i < step ? nrows - i : step, buf + i * r->dim));
    return nrows > 0 ? check_finite(r, row0, nrows, buf) : 0;
}

void le_emb_close_reader(le_embreader *r)
{
    if (r->hid_dset >= 0) H5Dclose((hid_t)r->hid_dset);
    if (r->hid_file >= 0) H5Fclose((hid_t)r->hid_file);
    r->hid_dset = r->hid_file = -1;
}
