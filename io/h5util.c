#include "h5util.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <string.h>
#include <sys/statvfs.h>
#include <sys/stat.h>
#include <unistd.h>

#include "comm.h"

enum { CHUNK_ELEMS = 1 << 16 };

void le_h5_quiet(void)
{
    if (le_log_level < 3) H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
}

hid_t le_h5_fapl(MPI_Comm comm)
{
    hid_t fapl = H5Pcreate(H5P_FILE_ACCESS);
    if (fapl < 0) return fapl;
    H5Pset_fapl_mpio(fapl, comm, MPI_INFO_NULL);
    /* Metadata written collectively: fewer small writes from every rank.
     * Reads stay independent so a rank may read any block on its own. */
    H5Pset_coll_metadata_write(fapl, 1);
    return fapl;
}

hid_t le_h5_create_1d(hid_t loc, const char *name, hid_t type, int64_t n, int compress)
{
    hsize_t dims[1] = {(hsize_t)n};
    hid_t space = H5Screate_simple(1, dims, NULL);
    hid_t dcpl = H5Pcreate(H5P_DATASET_CREATE);
    if (n > 0 && compress) {
        hsize_t chunk[1] = {(hsize_t)(n < CHUNK_ELEMS ? n : CHUNK_ELEMS)};
        H5Pset_chunk(dcpl, 1, chunk);
        H5Pset_shuffle(dcpl);
        H5Pset_deflate(dcpl, 1);
    }
    /* Fill values would cost a full extra write pass on creation. */
    H5Pset_fill_time(dcpl, H5D_FILL_TIME_NEVER);
    hid_t d = H5Dcreate2(loc, name, type, space, H5P_DEFAULT, dcpl, H5P_DEFAULT);
    H5Pclose(dcpl);
    H5Sclose(space);
    return d;
}

void le_io_reason(const char *path, int err, char *buf, size_t cap)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    struct statvfs fs;
    if (err == ENOSPC || err == EDQUOT || err == EFBIG || err == EIO || err == EROFS)
        snprintf(buf, cap, ": %s", strerror(err));
    else if (!statvfs(dirname(dir), &fs) && fs.f_bavail == 0)
        snprintf(buf, cap, ": %s", strerror(ENOSPC));
    else
        buf[0] = 0;
}

int le_h5_write_error(const char *path, const char *what, int err)
{
    char why[300];
    le_io_reason(path, err, why, sizeof why);
    return le_fail(LE_ERR_IO, "%s: cannot write %s%s", path, what, why);
}

/* A failed write of elements of dset: the message names the file. */
static int write_failed(hid_t dset, int err, int64_t offset, int64_t count, const char *what)
{
    char file[4096] = "?", elems[4400];
    if (H5Fget_name(dset, file, sizeof file) < 0) snprintf(file, sizeof file, "?");
    size_t n = strlen(file);
    if (!strncmp(what, file, n) && !strncmp(what + n, ": ", 2)) what += n + 2; /* "FILE: NAME" from the caller */
    snprintf(elems, sizeof elems, "%s elements %lld..%lld", what, (long long)offset, (long long)(offset + count));
    return le_h5_write_error(file, elems, err);
}

/* The ranks that share obj's file agree on status (collective on them; a
 * file of one process has nothing to agree on). In collective MPI-IO the
 * ranks that gather the data do the writing, so a full disk fails the
 * write on them alone; the others would go on to the next collective call
 * and wait there for ever. */
static int agree_on_file(hid_t obj, int status)
{
    hid_t file = H5Iget_file_id(obj), fapl = file < 0 ? -1 : H5Fget_access_plist(file);
    MPI_Comm comm = MPI_COMM_NULL;
    MPI_Info info = MPI_INFO_NULL;
    if (fapl >= 0 && H5Pget_driver(fapl) == H5FD_MPIO && H5Pget_fapl_mpio(fapl, &comm, &info) < 0) comm = MPI_COMM_NULL;
    if (fapl >= 0) H5Pclose(fapl);
    if (file >= 0) H5Fclose(file); /* the id H5Iget_file_id added, not the file */
    if (comm == MPI_COMM_NULL) return status;
    int rc = le_agree_on(comm, status);
    int frc = LE_MPI_RC(MPI_Comm_free(&comm));
    if (info != MPI_INFO_NULL && !frc) frc = LE_MPI_RC(MPI_Info_free(&info));
    return rc ? rc : frc;
}

static int slab_io(hid_t dset, hid_t memtype, int64_t offset, int64_t count, void *buf, int write, const char *what)
{
    hid_t fspace = H5Dget_space(dset);
    if (fspace >= 0 && H5Sget_simple_extent_npoints(fspace) == 0) {
        /* An empty dataset (no traces, no periods): nothing to move, and a
         * collective H5Dwrite of it fails. Every rank sees the same extent. */
        H5Sclose(fspace);
        return count > 0 ? le_fail(LE_ERR_HDF5, "%s: elements %lld..%lld of an empty dataset", what, (long long)offset,
                                   (long long)(offset + count))
                         : 0;
    }
    hsize_t mdims[1] = {(hsize_t)(count > 0 ? count : 1)};
    hid_t mspace = H5Screate_simple(1, mdims, NULL);
    if (count > 0) {
        hsize_t off[1] = {(hsize_t)offset}, cnt[1] = {(hsize_t)count};
        H5Sselect_hyperslab(fspace, H5S_SELECT_SET, off, NULL, cnt, NULL);
    } else {
        H5Sselect_none(fspace);
        H5Sselect_none(mspace);
    }
    hid_t dxpl = H5Pcreate(H5P_DATASET_XFER);
    if (write) H5Pset_dxpl_mpio(dxpl, H5FD_MPIO_COLLECTIVE);
    errno = 0;
    herr_t rc =
        write ? H5Dwrite(dset, memtype, mspace, fspace, dxpl, buf) : H5Dread(dset, memtype, mspace, fspace, dxpl, buf);
    int err = errno;
    H5Pclose(dxpl);
    H5Sclose(mspace);
    H5Sclose(fspace);
    if (rc < 0 && write) return write_failed(dset, err, offset, count, what);
    if (rc < 0)
        return le_fail(LE_ERR_HDF5, "%s: cannot read elements %lld..%lld", what, (long long)offset,
                       (long long)(offset + count));
    return 0;
}

int le_h5_write_1d(hid_t dset, hid_t memtype, int64_t offset, int64_t count, const void *buf, const char *what)
{
    return agree_on_file(dset, slab_io(dset, memtype, offset, count, (void *)buf, 1, what));
}

int64_t le_h5_read_piece_bytes = INT64_C(1) << 30;

int le_h5_read_1d(hid_t dset, hid_t memtype, int64_t offset, int64_t count, void *buf, const char *what)
{
    size_t esize = H5Tget_size(memtype);
    int64_t step = le_h5_read_piece_bytes / (int64_t)(esize ? esize : 1);
    if (step < 1) step = 1;
    for (int64_t i = 0; i < count; i += step) {
        int64_t n = count - i < step ? count - i : step;
        LE_CHECK(slab_io(dset, memtype, offset + i, n, (char *)buf + (size_t)i * esize, 0, what));
    }
    return 0;
}

int64_t le_h5_len(hid_t dset)
{
    hid_t s = H5Dget_space(dset);
    if (s < 0) return -1;
    hsize_t dims[1] = {0};
    int nd = H5Sget_simple_extent_ndims(s);
    if (nd == 1) H5Sget_simple_extent_dims(s, dims, NULL);
    H5Sclose(s);
    return nd == 1 ? (int64_t)dims[0] : -1;
}

hid_t le_h5_strtype(size_t len)
{
    hid_t t = H5Tcopy(H5T_C_S1);
    H5Tset_size(t, len ? len : 1);
    H5Tset_strpad(t, H5T_STR_NULLTERM);
    return t;
}

int le_h5_attr_str(hid_t obj, const char *name, const char *value)
{
    hid_t t = le_h5_strtype(strlen(value) + 1);
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, t, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, t, value);
    if (a >= 0) H5Aclose(a);
    H5Sclose(s);
    H5Tclose(t);
    return rc < 0 ? le_fail(LE_ERR_HDF5, "cannot write attribute %s", name) : 0;
}

/* A scalar attribute of file type ftype from a value of memory type mtype. */
static int attr_scalar(hid_t obj, const char *name, hid_t ftype, hid_t mtype, const void *value)
{
    hid_t s = H5Screate(H5S_SCALAR);
    hid_t a = H5Acreate2(obj, name, ftype, s, H5P_DEFAULT, H5P_DEFAULT);
    herr_t rc = a < 0 ? -1 : H5Awrite(a, mtype, value);
    if (a >= 0) H5Aclose(a);
    H5Sclose(s);
    return rc < 0 ? le_fail(LE_ERR_HDF5, "cannot write attribute %s", name) : 0;
}

int le_h5_attr_i64(hid_t obj, const char *name, int64_t value)
{
    return attr_scalar(obj, name, H5T_STD_I64LE, H5T_NATIVE_INT64, &value);
}

int le_h5_attr_f64(hid_t obj, const char *name, double value)
{
    return attr_scalar(obj, name, H5T_IEEE_F64LE, H5T_NATIVE_DOUBLE, &value);
}

/* Reads fixed-length strings of any padding (ours, h5py's np.bytes_) and
 * variable-length ones (h5py's default for str). */
int le_h5_get_attr_str(hid_t obj, const char *name, char *buf, size_t cap, const char *path)
{
    if (H5Aexists(obj, name) <= 0) return le_fail(LE_ERR_FORMAT, "%s: attribute '%s' missing", path, name);
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t ft = H5Aget_type(a);
    herr_t rc = -1;
    if (H5Tget_class(ft) == H5T_STRING && H5Tis_variable_str(ft)) {
        hid_t t = H5Tcopy(H5T_C_S1);
        H5Tset_size(t, H5T_VARIABLE);
        H5Tset_cset(t, H5Tget_cset(ft)); /* HDF5 does not convert between ASCII and UTF-8 */
        char *p = NULL;
        rc = H5Aread(a, t, &p);
        if (rc >= 0 && p && strlen(p) < cap)
            strcpy(buf, p);
        else
            rc = -1;
        if (p) H5free_memory(p);
        H5Tclose(t);
    } else if (H5Tget_class(ft) == H5T_STRING) {
        size_t len = H5Tget_size(ft);
        if (len < cap) { /* one byte more than stored, so no character gives way to the NUL */
            hid_t t = le_h5_strtype(len + 1);
            H5Tset_cset(t, H5Tget_cset(ft));
            rc = H5Aread(a, t, buf);
            H5Tclose(t);
            buf[len] = 0;
        }
    }
    H5Tclose(ft);
    H5Aclose(a);
    return rc < 0 ? le_fail(LE_ERR_FORMAT, "%s: attribute '%s' is not a string shorter than %zu bytes", path, name, cap) : 0;
}

/* A scalar attribute read as memory type mtype; `kind` names it in the error. */
static int get_attr_scalar(hid_t obj, const char *name, hid_t mtype, void *value, const char *path, const char *kind)
{
    if (H5Aexists(obj, name) <= 0) return le_fail(LE_ERR_FORMAT, "%s: attribute '%s' missing", path, name);
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    herr_t rc = H5Aread(a, mtype, value);
    H5Aclose(a);
    return rc < 0 ? le_fail(LE_ERR_FORMAT, "%s: attribute '%s' is not %s", path, name, kind) : 0;
}

int le_h5_get_attr_i64(hid_t obj, const char *name, int64_t *value, const char *path)
{
    return get_attr_scalar(obj, name, H5T_NATIVE_INT64, value, path, "an integer");
}

int le_h5_get_attr_f64(hid_t obj, const char *name, double *value, const char *path)
{
    return get_attr_scalar(obj, name, H5T_NATIVE_DOUBLE, value, path, "a number");
}

int le_h5_open(hid_t file, const char *name, const char *path, hid_t *out)
{
    if (H5Lexists(file, name, H5P_DEFAULT) <= 0) {
        /* H5Lexists fails on a missing intermediate group: check the parent too */
        return le_fail(LE_ERR_FORMAT, "%s: dataset %s missing", path, name);
    }
    *out = H5Dopen2(file, name, H5P_DEFAULT);
    if (*out < 0) return le_fail(LE_ERR_FORMAT, "%s: cannot open dataset %s", path, name);
    return 0;
}

void le_h5_partial(const char *path, char *buf, size_t cap) { snprintf(buf, cap, "%s.partial", path); }

int le_h5_publish(MPI_Comm comm, const char *path, int rc)
{
    int rank, worst = rc;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_INT, MPI_MAX, comm));
    int mine = 0;
    if (rank == 0) {
        char partial[4096];
        le_h5_partial(path, partial, sizeof partial);
        if (worst)
            remove(partial);
        else if (rename(partial, path))
            mine = le_fail(LE_ERR_IO, "%s: cannot rename to %s: %s", partial, path, strerror(errno));
    }
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &mine, 1, MPI_INT, MPI_MAX, comm));
    return worst ? worst : mine;
}

/* Room kept for HDF5's last writes: RESERVE_BYTES in a file beside the
 * output (PATH.reserve, rank 0), given back just before the close. A close
 * that cannot write leaves HDF5 1.10 a half-closed file (MPI_Finalize then
 * crashes) and, at several ranks, ranks waiting in different collectives
 * (a hang); with this room the close writes whatever HDF5 still holds. */
enum { RESERVE_BYTES = 1 << 20 };

static void reserve_name(const char *path, char *buf, size_t cap) { snprintf(buf, cap, "%s.reserve", path); }

static int reserve_room(const char *path)
{
    char r[4200];
    reserve_name(path, r, sizeof r);
    int fd = open(r, O_CREAT | O_WRONLY | O_TRUNC, 0644);
    if (fd < 0 && errno != ENOSPC && errno != EDQUOT) return 0; /* H5Fcreate fails beside it, saying why */
    if (fd < 0) return le_fail(LE_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    int err = posix_fallocate(fd, 0, RESERVE_BYTES);
    close(fd);
    if (!err) return 0;
    unlink(r);
    if (err != ENOSPC && err != EDQUOT && err != EFBIG) return 0; /* a file system that cannot: write without */
    return le_fail(LE_ERR_IO, "%s: cannot create: %s (%d KiB are kept free for its last writes)", path, strerror(err),
                   RESERVE_BYTES / 1024);
}

static void release_room(const char *path)
{
    char r[4200];
    reserve_name(path, r, sizeof r);
    unlink(r);
}

int le_h5_create(MPI_Comm comm, const char *path, const char *what, hid_t fapl, hid_t *out)
{
    int rank;
    *out = -1;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    LE_CHECK(le_agree_on(comm, rank == 0 ? reserve_room(path) : 0));
    /* A one-process file (sec2) would keep small writes in a sieve buffer
     * that H5Dclose writes out, and a failed H5Dclose leaves a dataset HDF5
     * cannot close again: without it every write fails where it is made. */
    hid_t own = fapl == H5P_DEFAULT ? H5Pcreate(H5P_FILE_ACCESS) : -1;
    if (own >= 0) H5Pset_sieve_buf_size(own, 0);
    *out = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, own >= 0 ? own : fapl);
    if (own >= 0) H5Pclose(own);
    int rc = *out < 0 ? le_h5_create_failed(path, what) : 0;
    rc = le_agree_on(comm, rc);
    if (rc && *out >= 0) H5Fclose(*out), *out = -1;
    if (rc && rank == 0) release_room(path), unlink(path);
    return rc;
}

int le_h5_finish(MPI_Comm comm, hid_t file, const char *file_path, int status)
{
    int rank;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    int rc = le_agree_on(comm, status);
    errno = 0;
    if (!rc && H5Fflush(file, H5F_SCOPE_GLOBAL) < 0) /* collective: every rank or none gets here */
        rc = le_h5_write_error(file_path, "(flush)", errno);
    rc = le_agree_on(comm, rc);
    if (rank == 0) {
        release_room(file_path);
        /* A failed file is discarded: empty it too, for more room. */
        if (rc && truncate(file_path, 0)) le_debug("%s: truncate: %s", file_path, strerror(errno));
    }
    LE_MPI(MPI_Barrier(comm)); /* the room is there before any rank writes */
    errno = 0;
    int crc = 0;
    if (H5Fclose(file) < 0) crc = le_h5_write_error(file_path, "(close)", errno);
    crc = le_agree_on(comm, crc);
    return rc ? rc : crc;
}

int le_h5_create_failed(const char *path, const char *what)
{
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else
        slash[slash == dir] = 0; /* "/x" -> "/" */
    struct stat st;
    errno = 0;
    if (!stat(dir, &st) && !S_ISDIR(st.st_mode)) errno = ENOTDIR;
    if (!errno) access(dir, W_OK | X_OK);
    if (!errno) errno = EIO; /* the directory is fine: HDF5 says no more than that */
    return le_fail_errno(LE_ERR_IO, "%s: cannot create %s", path, what);
}
