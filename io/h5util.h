/* h5util: the thin layer over parallel HDF5 that every labelease file uses —
 * one checking macro, collective 1-D slab writes, attribute helpers. */
#ifndef LE_H5UTIL_H
#define LE_H5UTIL_H

#include <hdf5.h>
#include <mpi.h>
#include <stdint.h>

#include "le_base.h"

/* Check an HDF5 call returning a negative value on failure. `what` names
 * the file and dataset so the user knows where to look. */
#define LE_H5(expr, ...)                                          \
    do {                                                          \
        if ((expr) < 0) return le_fail(LE_ERR_HDF5, __VA_ARGS__); \
    } while (0)

/* Quiet HDF5's own error printing (labelease reports its own), unless -vv. */
void le_h5_quiet(void);

/* File access list for MPI-IO on comm. */
hid_t le_h5_fapl(MPI_Comm comm);

/* Create a 1-D dataset of n elements. Chunked + shuffle + deflate when
 * n > 0 (chunk = min(n, chunk_elems)); contiguous and unfiltered for the
 * small tables (compress = 0). Returns the dataset id or negative. */
hid_t le_h5_create_1d(hid_t loc, const char *name, hid_t type, int64_t n, int compress);

/* Collective write of count elements at offset (count may be 0 on some ranks;
 * every rank must call). buf holds count elements of memtype. The ranks
 * agree on the outcome before returning (a failed write shows on the ranks
 * that wrote only), so all return the same status and the same message,
 * which names the file and, on a full disk, says so. */
int le_h5_write_1d(hid_t dset, hid_t memtype, int64_t offset, int64_t count, const void *buf, const char *what);

/* Independent read of count elements at offset, in pieces of at most
 * le_h5_read_piece_bytes: HDF5 1.10 (Debian 12's) cannot read 2 GiB or
 * more through MPI-IO in one independent H5Dread (fixed in 1.12.3). Tests
 * lower it to exercise the pieces. */
extern int64_t le_h5_read_piece_bytes;
int le_h5_read_1d(hid_t dset, hid_t memtype, int64_t offset, int64_t count, void *buf, const char *what);

/* Number of elements of a 1-D dataset, or negative on error. */
int64_t le_h5_len(hid_t dset);

/* Fixed-length string type of len bytes, NUL-terminated when shorter
 * (writers size it one past the longest string). Caller closes it. */
hid_t le_h5_strtype(size_t len);

/* Attributes on an object (collective in parallel: same value on all ranks). */
int le_h5_attr_str(hid_t obj, const char *name, const char *value);
int le_h5_attr_i64(hid_t obj, const char *name, int64_t value);
int le_h5_attr_f64(hid_t obj, const char *name, double value);
/* Read; return LE_ERR_FORMAT naming file and attribute when absent. */
int le_h5_get_attr_str(hid_t obj, const char *name, char *buf, size_t cap, const char *path);
int le_h5_get_attr_i64(hid_t obj, const char *name, int64_t *value, const char *path);
int le_h5_get_attr_f64(hid_t obj, const char *name, double *value, const char *path);

/* Open a dataset that must exist; the error names file and dataset. */
int le_h5_open(hid_t file, const char *name, const char *path, hid_t *out);

/* Outputs appear under their final name only when complete (a killed job
 * leaves NAME.partial, never a NAME that looks finished): writers create
 * le_h5_partial(path) and, after closing it, call le_h5_publish. */
void le_h5_partial(const char *path, char *buf, size_t cap);
/* H5Fcreate of path failed: LE_ERR_IO "PATH: cannot create WHAT: REASON",
 * the reason from the directory it goes in (missing, not a directory, not
 * writable), since HDF5's MPI-IO driver leaves no errno that says it. */
int le_h5_create_failed(const char *path, const char *what);
/* Collective on comm (MPI_COMM_SELF for a one-process writer): when rc is 0
 * on every rank, rank 0 renames the partial file to path, else removes it.
 * Returns the worst rc over the ranks (LE_ERR_IO when the rename fails). */
int le_h5_publish(MPI_Comm comm, const char *path, int rc);

/* ": No space left on device" (strerror) when err, the errno of a failed
 * write, names a storage problem, or when the file system holding path has
 * no space left; "" otherwise (HDF5 does not always leave errno set). */
void le_io_reason(const char *path, int err, char *buf, size_t cap);

/* le_fail(LE_ERR_IO, "PATH: cannot write WHAT: REASON") with le_io_reason's
 * reason; err is errno right after the failed call. */
int le_h5_write_error(const char *path, const char *what, int err);

/* Create the HDF5 file path (TRUNC; fapl: le_h5_fapl(comm) for MPI-IO,
 * H5P_DEFAULT for a one-process writer with comm MPI_COMM_SELF), first
 * setting aside room for the last writes of its close (le_h5_finish gives
 * it back); a disk without that room fails here, cleanly. Collective on
 * comm; the error names the file, what it is ("the corpus file") and the
 * reason. */
int le_h5_create(MPI_Comm comm, const char *path, const char *what, hid_t fapl, hid_t *out);

/* Close file, being written at file_path, collectively on comm (the
 * communicator it was created on; MPI_COMM_SELF for a one-process writer),
 * every object in it closed before. The ranks agree on status (the
 * caller's: a write may have failed), flush, agree on that, close and agree
 * again, so a full disk surfaces at one step on every rank, with its reason,
 * whether HDF5 meets it at a write, the flush or the close. The room
 * le_h5_create set aside is given back before the close, and a failed file
 * emptied too, so that the close itself can write (a failed H5Fclose leaves
 * HDF5 1.10 a half-closed file that crashes MPI_Finalize, and ranks in
 * different collectives); a failed file is left for the caller to remove
 * (le_h5_publish does). Returns the first failure, the same on every rank. */
int le_h5_finish(MPI_Comm comm, hid_t file, const char *file_path, int status);

#endif
