#include "embfile.h"

#include <errno.h>
#include <hdf5.h>
#include <stdlib.h>

#include "comm.h"
#include "fingerprint.h"
#include "h5util.h"

struct le_embfile {
    hid_t file, dset;
    int64_t n;
    int dim;
    char *path; /* final name; written as path.partial until closed */
    MPI_Comm comm;
    int failed; /* a write failed on this rank: discard at close */
};

static int create_body(le_embfile *f, const char *corpus, const char *corpus_fp, const char *model)
{
    hsize_t dims[2] = {(hsize_t)f->n, (hsize_t)f->dim}, chunk[2] = {4096, (hsize_t)f->dim};
    if (chunk[0] > dims[0]) chunk[0] = dims[0] ? dims[0] : 1;
    hid_t sp = H5Screate_simple(2, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (f->n > 0) H5Pset_chunk(dcpl, 2, chunk);
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    f->dset = H5Dcreate2(f->file, "embeddings", H5T_NATIVE_FLOAT, sp, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(sp);
    LE_H5(f->dset, "%s: cannot create /embeddings", f->path);
    LE_CHECK(le_h5_attr_str(f->file, "schema", LE_EMB_SCHEMA));
    LE_CHECK(le_h5_attr_i64(f->file, "schema_version", LE_EMB_VERSION));
    LE_CHECK(le_h5_attr_i64(f->file, "n_traces", f->n));
    LE_CHECK(le_h5_attr_i64(f->file, "dim", f->dim));
    LE_CHECK(le_h5_attr_str(f->file, "corpus", corpus));
    LE_CHECK(le_fp_write_attr(f->file, corpus_fp));
    LE_CHECK(le_h5_attr_str(f->file, "model", model));
    return 0;
}

int le_emb_create(MPI_Comm comm, const char *path, int64_t n, int dim, const char *corpus, const char *corpus_fp,
                  const char *model, le_embfile **out)
{
    le_h5_quiet();
    le_embfile *f = le_calloc(1, sizeof *f);
    f->n = n, f->dim = dim, f->path = le_strdup(path), f->dset = -1, f->comm = comm;
    char partial[4096];
    le_h5_partial(path, partial, sizeof partial);
    hid_t fapl = le_h5_fapl(comm);
    int rc = le_h5_create(comm, partial, "the embeddings file", fapl, &f->file);
    H5Pclose(fapl);
    *out = f;
    if (rc) return f->failed = rc;
    rc = create_body(f, corpus, corpus_fp, model);
    if (rc) f->failed = rc;
    return rc;
}

/* The 2-D counterpart of le_h5_write_1d: a row slab, collective transfer. */
int le_emb_write(le_embfile *f, int64_t row0, int64_t nrows, const float *buf)
{
    hsize_t start[2] = {(hsize_t)row0, 0}, count[2] = {(hsize_t)nrows, (hsize_t)f->dim};
    hid_t fs = H5Dget_space(f->dset), ms = H5Screate_simple(2, count, NULL);
    if (nrows > 0)
        H5Sselect_hyperslab(fs, H5S_SELECT_SET, start, NULL, count, NULL);
    else
        H5Sselect_none(fs), H5Sselect_none(ms);
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    static const float dummy = 0;
    errno = 0;
    herr_t rc = H5Dwrite(f->dset, H5T_NATIVE_FLOAT, ms, fs, dxpl, nrows > 0 ? buf : &dummy);
    int err = errno;
    H5Pclose(dxpl), H5Sclose(ms), H5Sclose(fs);
    int bad = 0;
    if (rc < 0) {
        char partial[4096], why[300];
        le_h5_partial(f->path, partial, sizeof partial);
        le_io_reason(partial, err, why, sizeof why);
        bad = le_fail(LE_ERR_IO, "%s: cannot write /embeddings rows %lld..%lld%s", partial, (long long)row0,
                      (long long)(row0 + nrows), why);
    }
    /* agreed before the next collective call: a failed write shows on the
     * ranks that wrote only (h5util.h) */
    bad = le_agree_on(f->comm, bad);
    if (bad) f->failed = bad;
    return bad;
}

int le_emb_close(le_embfile *f, int status)
{
    if (!f) return 0;
    int rc = f->failed ? f->failed : status;
    if (f->dset >= 0 && H5Dclose(f->dset) < 0 && !rc) rc = le_fail(LE_ERR_IO, "%s: cannot close /embeddings", f->path);
    char partial[4096];
    le_h5_partial(f->path, partial, sizeof partial);
    rc = f->file >= 0 ? le_h5_finish(f->comm, f->file, partial, rc) : le_agree_on(f->comm, rc);
    int published = le_h5_publish(f->comm, f->path, rc);
    free(f->path), free(f);
    return rc ? rc : published;
}
