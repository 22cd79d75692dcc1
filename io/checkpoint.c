#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <hdf5.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "h5util.h"
#include "model.h"

static void add_key(le_ckpt *c, const char *name, int is_real, int64_t i, double x)
{
    if (c->n_keys >= LE_CKPT_MAX_KEYS) abort(); /* a programming error: raise LE_CKPT_MAX_KEYS */
    c->key[c->n_keys++] = (le_ckpt_key){.name = name, .is_real = is_real, .i = i, .x = x};
}

void le_ckpt_key_int(le_ckpt *c, const char *name, int64_t v) { add_key(c, name, 0, v, 0); }
void le_ckpt_key_real(le_ckpt *c, const char *name, double v) { add_key(c, name, 1, 0, v); }

static int write_body(hid_t f, const le_ckpt *c, const char *path)
{
    LE_CHECK(le_h5_attr_str(f, "schema", LE_CKPT_SCHEMA));
    LE_CHECK(le_h5_attr_i64(f, "schema_version", LE_CKPT_VERSION));
    LE_CHECK(le_h5_attr_i64(f, "next_step", c->next_step));
    LE_CHECK(le_h5_attr_i64(f, "adam_t", c->adam_t));
    LE_CHECK(le_h5_attr_i64(f, "n_params", c->n_params));
    LE_CHECK(le_h5_attr_i64(f, "log_n", c->log_n));
    LE_CHECK(le_h5_attr_f64(f, "log_loss_sum", c->log_loss_sum));
    LE_CHECK(le_h5_attr_f64(f, "log_acc_sum", c->log_acc_sum));
    LE_CHECK(le_h5_attr_f64(f, "last_loss", c->last_loss));
    LE_CHECK(le_h5_attr_f64(f, "last_acc", c->last_acc));
    LE_CHECK(le_h5_attr_str(f, "corpus", c->corpus));
    hid_t run = H5Gcreate2(f, "run", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    LE_H5(run, "%s: cannot create /run", path);
    int rc = 0;
    for (int k = 0; k < c->n_keys && !rc; k++)
        rc = c->key[k].is_real ? le_h5_attr_f64(run, c->key[k].name, c->key[k].x)
                               : le_h5_attr_i64(run, c->key[k].name, c->key[k].i);
    H5Gclose(run);
    if (rc) return rc;
    LE_CHECK(le_h5_put_small(f, "weights", H5T_NATIVE_FLOAT, (hsize_t)c->n_params, 0, c->params, path));
    LE_H5(H5Gclose(H5Gcreate2(f, "adam", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)), "%s: cannot create /adam", path);
    LE_CHECK(le_h5_put_small(f, "adam/m", H5T_NATIVE_FLOAT, (hsize_t)c->n_params, 0, c->adam_m, path));
    LE_CHECK(le_h5_put_small(f, "adam/v", H5T_NATIVE_FLOAT, (hsize_t)c->n_params, 0, c->adam_v, path));
    return 0;
}

/* fsync a file or directory by name; the rename that follows must not reach
 * the disk before the data it names. */
static int sync_path(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return le_fail(LE_ERR_IO, "%s: cannot open to sync: %s", path, strerror(errno));
    int bad = fsync(fd) && errno != EINVAL && errno != EROFS; /* some file systems cannot sync directories */
    int err = errno;
    close(fd);
    return bad ? le_fail(LE_ERR_IO, "%s: fsync failed: %s", path, strerror(err)) : 0;
}

int le_ckpt_write(const char *path, const le_ckpt *c)
{
    le_h5_quiet();
    char partial[4096];
    le_h5_partial(path, partial, sizeof partial);
    hid_t f;
    LE_CHECK(le_h5_create(MPI_COMM_SELF, partial, "the checkpoint file", H5P_DEFAULT, &f));
    int rc = le_h5_finish(MPI_COMM_SELF, f, partial, write_body(f, c, path));
    if (!rc) rc = sync_path(partial);
    int published = le_h5_publish(MPI_COMM_SELF, path, rc);
    if (rc || published) return rc ? rc : published;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    return sync_path(dirname(dir));
}

static int get_floats(hid_t f, const char *name, int64_t n, float *buf, const char *path)
{
    hid_t ds;
    LE_CHECK(le_h5_open(f, name, path, &ds));
    hid_t sp = H5Dget_space(ds);
    hssize_t got = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    herr_t rc = got != n ? -2 : (n ? H5Dread(ds, H5T_NATIVE_FLOAT, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0);
    H5Dclose(ds);
    if (rc == -2)
        return le_fail(LE_ERR_FORMAT, "%s: %s has %lld elements, expected %lld", path, name, (long long)got, (long long)n);
    LE_H5(rc, "%s: cannot read %s", path, name);
    return 0;
}

/* The first key of want that differs from the file's, named in the error. */
static int check_keys(hid_t f, const le_ckpt *want, const le_ckpt *c, const char *path)
{
    hid_t run;
    if (H5Lexists(f, "run", H5P_DEFAULT) <= 0 || (run = H5Gopen2(f, "run", H5P_DEFAULT)) < 0)
        return le_fail(LE_ERR_FORMAT, "%s: group /run missing", path);
    int rc = 0;
    for (int k = 0; k < want->n_keys && !rc; k++) {
        const le_ckpt_key *w = &want->key[k];
        if (H5Aexists(run, w->name) <= 0) {
            rc = le_fail(LE_ERR_USAGE,
                         "%s: the checkpoint has no '%s' (written by another labelease version?); delete it to start over",
                         path, w->name);
        } else if (w->is_real) {
            double x = 0;
            rc = le_h5_get_attr_f64(run, w->name, &x, path);
            if (!rc && x != w->x)
                rc = le_fail(
                    LE_ERR_USAGE,
                    "%s: checkpoint of another run (%s, step %lld): %s is %.17g there, %.17g here; resume with "
                    "the corpus and options that wrote it, or delete it (or give another --checkpoint) to start over",
                    path, c->corpus, (long long)c->next_step, w->name, x, w->x);
        } else {
            int64_t v = 0;
            rc = le_h5_get_attr_i64(run, w->name, &v, path);
            if (!rc && v != w->i)
                rc = le_fail(
                    LE_ERR_USAGE,
                    "%s: checkpoint of another run (%s, step %lld): %s is %lld there, %lld here; resume with "
                    "the corpus and options that wrote it, or delete it (or give another --checkpoint) to start over",
                    path, c->corpus, (long long)c->next_step, w->name, (long long)v, (long long)w->i);
        }
    }
    H5Gclose(run);
    return rc;
}

static int read_body(hid_t f, const le_ckpt *want, le_ckpt *c, const char *path)
{
    char schema[64];
    int64_t ver;
    LE_CHECK(le_h5_get_attr_str(f, "schema", schema, sizeof schema, path));
    if (strcmp(schema, LE_CKPT_SCHEMA))
        return le_fail(LE_ERR_FORMAT, "%s is a '%s' file, not a training checkpoint", path, schema);
    LE_CHECK(le_h5_get_attr_i64(f, "schema_version", &ver, path));
    if (ver != LE_CKPT_VERSION)
        return le_fail(LE_ERR_FORMAT, "%s: checkpoint schema version %lld, this labelease reads %d", path, (long long)ver,
                       LE_CKPT_VERSION);
    LE_CHECK(le_h5_get_attr_str(f, "corpus", c->corpus, sizeof c->corpus, path));
    LE_CHECK(le_h5_get_attr_i64(f, "next_step", &c->next_step, path));
    LE_CHECK(check_keys(f, want, c, path));
    LE_CHECK(le_h5_get_attr_i64(f, "n_params", &c->n_params, path));
    if (c->n_params != want->n_params)
        return le_fail(LE_ERR_USAGE, "%s: checkpoint of another run: n_params is %lld there, %lld here", path,
                       (long long)c->n_params, (long long)want->n_params);
    LE_CHECK(le_h5_get_attr_i64(f, "adam_t", &c->adam_t, path));
    LE_CHECK(le_h5_get_attr_i64(f, "log_n", &c->log_n, path));
    LE_CHECK(le_h5_get_attr_f64(f, "log_loss_sum", &c->log_loss_sum, path));
    LE_CHECK(le_h5_get_attr_f64(f, "log_acc_sum", &c->log_acc_sum, path));
    LE_CHECK(le_h5_get_attr_f64(f, "last_loss", &c->last_loss, path));
    LE_CHECK(le_h5_get_attr_f64(f, "last_acc", &c->last_acc, path));
    if (c->next_step < 0 || c->adam_t < 0 || c->log_n < 0) return le_fail(LE_ERR_FORMAT, "%s: negative step count", path);
    const size_t n = (size_t)(c->n_params ? c->n_params : 1);
    c->params = le_malloc(sizeof(float) * n), c->adam_m = le_malloc(sizeof(float) * n),
    c->adam_v = le_malloc(sizeof(float) * n);
    LE_CHECK(get_floats(f, "weights", c->n_params, c->params, path));
    LE_CHECK(get_floats(f, "adam/m", c->n_params, c->adam_m, path));
    LE_CHECK(get_floats(f, "adam/v", c->n_params, c->adam_v, path));
    return 0;
}

int le_ckpt_read(const char *path, const le_ckpt *want, le_ckpt *out)
{
    memset(out, 0, sizeof *out);
    le_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return le_fail(LE_ERR_IO, "%s: cannot open the checkpoint file (not HDF5? delete it to start over)", path);
    int rc = read_body(f, want, out, path);
    H5Fclose(f);
    if (rc) le_ckpt_free(out);
    return rc;
}

void le_ckpt_free(le_ckpt *c)
{
    free(c->params), free(c->adam_m), free(c->adam_v);
    c->params = c->adam_m = c->adam_v = NULL;
}
