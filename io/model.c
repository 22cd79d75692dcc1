#include "model.h"

#include <errno.h>
#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "fingerprint.h"
#include "h5util.h"
#include "strtab.h"

/* Small contiguous dataset of rank 1 or 2 (dims[1] = 0 for rank 1). */
int le_h5_put_small(hid_t f, const char *name, hid_t type, hsize_t d0, hsize_t d1, const void *buf, const char *path)
{
    hsize_t dims[2] = {d0, d1};
    hid_t sp = H5Screate_simple(d1 ? 2 : 1, dims, NULL);
    hid_t ds = H5Dcreate2(f, name, type, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    errno = 0;
    herr_t rc = ds < 0 ? -1 : (d0 ? H5Dwrite(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0);
    int err = errno;
    if (ds >= 0) H5Dclose(ds);
    H5Sclose(sp);
    if (rc < 0) return le_h5_write_error(path, name, err);
    return 0;
}

static int get(hid_t f, const char *name, hid_t type, hsize_t want, void *buf, const char *path)
{
    hid_t ds;
    LE_CHECK(le_h5_open(f, name, path, &ds));
    hid_t sp = H5Dget_space(ds);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    H5Sclose(sp);
    herr_t rc = (hsize_t)n != want ? -2 : (want ? H5Dread(ds, type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buf) : 0);
    H5Dclose(ds);
    if (rc == -2)
        return le_fail(LE_ERR_FORMAT, "%s: %s has %lld elements, expected %llu", path, name, (long long)n,
                       (unsigned long long)want);
    LE_H5(rc, "%s: cannot read %s", path, name);
    return 0;
}

static double get_f64(hid_t obj, const char *name)
{
    double v = 0;
    if (H5Aexists(obj, name) <= 0) return 0;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    H5Aread(a, H5T_NATIVE_DOUBLE, &v);
    H5Aclose(a);
    return v;
}

static int put_strings(hid_t f, const char *name, char *const *s, int64_t n, const char *path)
{
    size_t w = 2;
    for (int64_t i = 0; i < n; i++)
        if (strlen(s[i]) + 1 > w) w = strlen(s[i]) + 1;
    char *buf = le_calloc((size_t)n, w);
    for (int64_t i = 0; i < n; i++) memcpy(buf + (size_t)i * w, s[i], strlen(s[i]));
    hid_t t = le_h5_strtype(w);
    int rc = le_h5_put_small(f, name, t, (hsize_t)n, 0, buf, path);
    H5Tclose(t);
    free(buf);
    return rc;
}

static int get_strings(hid_t f, const char *name, int64_t n, char ***out, const char *path)
{
    hid_t ds;
    LE_CHECK(le_h5_open(f, name, path, &ds));
    hid_t ft = H5Dget_type(ds);
    size_t w = H5Tget_size(ft);
    H5Tclose(ft);
    H5Dclose(ds);
    char *buf = le_calloc((size_t)n, w + 1);
    hid_t t = le_h5_strtype(w);
    int rc = get(f, name, t, (hsize_t)n, buf, path);
    H5Tclose(t);
    *out = le_calloc((size_t)n, sizeof(char *));
    for (int64_t i = 0; !rc && i < n; i++) (*out)[i] = le_strndup(buf + (size_t)i * w, w);
    free(buf);
    return rc;
}

static const char *const int_attrs[] = {"n_vocab", "d_op",    "d_tok", "n_buckets", "layers", "heads",
                                        "hidden",  "out_dim", "seed",  "steps",     "batch"};

static int write_attrs(hid_t f, const le_model *m)
{
    const le_enc_cfg *c = &m->enc.cfg;
    int64_t v[] = {c->feat.n_vocab, c->feat.d_op, c->feat.d_tok, c->feat.n_buckets, c->layers, c->heads,
                   c->hc,           c->out_dim,   m->seed,       m->steps,          m->batch};
    LE_CHECK(le_h5_attr_str(f, "schema", LE_MODEL_SCHEMA));
    LE_CHECK(le_h5_attr_i64(f, "schema_version", LE_MODEL_VERSION));
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) LE_CHECK(le_h5_attr_i64(f, int_attrs[i], v[i]));
    char salt[32];
    snprintf(salt, sizeof salt, "%016llx", (unsigned long long)c->feat.salt); /* u64 does not fit an i64 attribute */
    LE_CHECK(le_h5_attr_str(f, "token_salt", salt));
    LE_CHECK(le_h5_attr_str(f, "corpus", m->corpus));
    LE_CHECK(le_fp_write_attr(f, m->corpus_fp));
    LE_CHECK(le_h5_attr_str(f, "normalisation", "layernorm"));
    LE_CHECK(le_h5_attr_f64(f, "lr", m->lr));
    LE_CHECK(le_h5_attr_f64(f, "margin", m->margin));
    LE_CHECK(le_h5_attr_f64(f, "final_loss", m->final_loss));
    LE_CHECK(le_h5_attr_f64(f, "final_triplet_accuracy", m->final_accuracy));
    return 0;
}

static int write_tensors(hid_t f, const le_model *m, const char *path)
{
    const le_encoder *e = &m->enc;
    char *names[LE_MAX_TENSORS];
    int64_t off[LE_MAX_TENSORS], shape[2 * LE_MAX_TENSORS];
    for (int k = 0; k < e->n_tensors; k++) {
        names[k] = (char *)e->t[k].name;
        off[k] = e->t[k].offset, shape[2 * k] = e->t[k].rows, shape[2 * k + 1] = e->t[k].cols;
    }
    LE_CHECK(le_h5_put_small(f, "weights", H5T_NATIVE_FLOAT, (hsize_t)e->n_params, 0, m->params, path));
    LE_H5(H5Gclose(H5Gcreate2(f, "tensors", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)), "%s: cannot create /tensors", path);
    LE_CHECK(put_strings(f, "tensors/name", names, e->n_tensors, path));
    LE_CHECK(le_h5_put_small(f, "tensors/offset", H5T_NATIVE_INT64, (hsize_t)e->n_tensors, 0, off, path));
    LE_CHECK(le_h5_put_small(f, "tensors/shape", H5T_NATIVE_INT64, (hsize_t)e->n_tensors, 2, shape, path));
    return 0;
}

static int write_body(hid_t f, const le_model *m, const char *path)
{
    const int32_t V = m->enc.cfg.feat.n_vocab;
    LE_CHECK(write_attrs(f, m));
    LE_CHECK(write_tensors(f, m, path));
    LE_H5(H5Gclose(H5Gcreate2(f, "vocab", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)), "%s: cannot create /vocab", path);
    LE_CHECK(put_strings(f, "vocab/services", m->vocab_services, V, path));
    LE_CHECK(put_strings(f, "vocab/operations", m->vocab_operations, V, path));
    LE_H5(H5Gclose(H5Gcreate2(f, "features", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT)), "%s: cannot create /features", path);
    LE_CHECK(le_h5_put_small(f, "features/time_mean", H5T_NATIVE_FLOAT, (hsize_t)V + 1, LE_NTIME, m->mean, path));
    LE_CHECK(le_h5_put_small(f, "features/time_std", H5T_NATIVE_FLOAT, (hsize_t)V + 1, LE_NTIME, m->std, path));
    return 0;
}

/* A weight that is NaN or infinite (training diverged) makes every
 * embedding NaN: refused when written and when read. */
static int check_weights(const le_model *m, const char *path)
{
    for (int64_t i = 0; i < m->enc.n_params; i++)
        if (!isfinite(m->params[i]))
            return le_fail(LE_ERR_FORMAT, "%s: weight %lld is %s: the training diverged (train again with a smaller --lr)",
                           path, (long long)i, isnan(m->params[i]) ? "NaN" : "infinite");
    return 0;
}

int le_model_write(const char *path, const le_model *m)
{
    LE_CHECK(check_weights(m, path));
    le_h5_quiet();
    char partial[4096];
    le_h5_partial(path, partial, sizeof partial); /* published under path only when complete */
    hid_t f;
    LE_CHECK(le_h5_create(MPI_COMM_SELF, partial, "the model file", H5P_DEFAULT, &f));
    int rc = le_h5_finish(MPI_COMM_SELF, f, partial, write_body(f, m, path));
    int published = le_h5_publish(MPI_COMM_SELF, path, rc);
    return rc ? rc : published;
}

static int read_cfg(hid_t f, le_model *m, const char *path)
{
    char schema[64], salt[32];
    int64_t ver, v[sizeof int_attrs / sizeof int_attrs[0]];
    LE_CHECK(le_h5_get_attr_str(f, "schema", schema, sizeof schema, path));
    if (strcmp(schema, LE_MODEL_SCHEMA)) return le_fail(LE_ERR_FORMAT, "%s is a '%s' file, not a model", path, schema);
    LE_CHECK(le_h5_get_attr_i64(f, "schema_version", &ver, path));
    if (ver != LE_MODEL_VERSION)
        return le_fail(LE_ERR_FORMAT, "%s: model schema version %lld, this labelease reads %d", path, (long long)ver,
                       LE_MODEL_VERSION);
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) LE_CHECK(le_h5_get_attr_i64(f, int_attrs[i], &v[i], path));
    LE_CHECK(le_h5_get_attr_str(f, "token_salt", salt, sizeof salt, path));
    le_enc_cfg c = {.feat = {.n_vocab = (int32_t)v[0],
                             .d_op = (int32_t)v[1],
                             .d_tok = (int32_t)v[2],
                             .n_buckets = (int32_t)v[3],
                             .salt = strtoull(salt, NULL, 16)},
                    .layers = (int32_t)v[4],
                    .heads = (int32_t)v[5],
                    .hc = (int32_t)v[6],
                    .out_dim = (int32_t)v[7]};
    m->seed = v[8], m->steps = v[9], m->batch = v[10];
    LE_CHECK(le_h5_get_attr_str(f, "corpus", m->corpus, sizeof m->corpus, path));
    LE_CHECK(le_fp_read_attr(f, m->corpus_fp, path));
    m->lr = get_f64(f, "lr"), m->margin = get_f64(f, "margin");
    m->final_loss = get_f64(f, "final_loss"), m->final_accuracy = get_f64(f, "final_triplet_accuracy");
    LE_CHECK(le_enc_layout(&m->enc, &c));
    return 0;
}

static int read_body(hid_t f, le_model *m, const char *path)
{
    LE_CHECK(read_cfg(f, m, path));
    const int32_t V = m->enc.cfg.feat.n_vocab;
    m->params = le_malloc(sizeof(float) * (size_t)m->enc.n_params);
    m->mean = le_malloc(sizeof(float) * LE_NTIME * (size_t)(V + 1));
    m->std = le_malloc(sizeof(float) * LE_NTIME * (size_t)(V + 1));
    LE_CHECK(get(f, "weights", H5T_NATIVE_FLOAT, (hsize_t)m->enc.n_params, m->params, path));
    LE_CHECK(check_weights(m, path));
    int64_t off[LE_MAX_TENSORS];
    LE_CHECK(get(f, "tensors/offset", H5T_NATIVE_INT64, (hsize_t)m->enc.n_tensors, off, path));
    for (int k = 0; k < m->enc.n_tensors; k++)
        if (off[k] != m->enc.t[k].offset)
            return le_fail(LE_ERR_FORMAT, "%s: tensor %s is not where its config puts it", path, m->enc.t[k].name);
    LE_CHECK(get(f, "features/time_mean", H5T_NATIVE_FLOAT, (hsize_t)(V + 1) * LE_NTIME, m->mean, path));
    LE_CHECK(get(f, "features/time_std", H5T_NATIVE_FLOAT, (hsize_t)(V + 1) * LE_NTIME, m->std, path));
    LE_CHECK(get_strings(f, "vocab/services", V, &m->vocab_services, path));
    LE_CHECK(get_strings(f, "vocab/operations", V, &m->vocab_operations, path));
    return 0;
}

int le_model_read(const char *path, le_model *m)
{
    memset(m, 0, sizeof *m);
    le_h5_quiet();
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return le_fail(LE_ERR_IO, "%s: cannot open the model file", path);
    int rc = read_body(f, m, path);
    H5Fclose(f);
    return rc;
}

void le_model_free(le_model *m)
{
    for (int32_t i = 0; m->vocab_services && i < m->enc.cfg.feat.n_vocab; i++) free(m->vocab_services[i]);
    for (int32_t i = 0; m->vocab_operations && i < m->enc.cfg.feat.n_vocab; i++) free(m->vocab_operations[i]);
    free(m->vocab_services), free(m->vocab_operations), free(m->params), free(m->mean), free(m->std);
    memset(m, 0, sizeof *m);
}

/* key = "service\0operation" so that names with any bytes stay unambiguous */
static size_t op_key(char *buf, size_t cap, const char *svc, const char *op)
{
    size_t a = strlen(svc), b = strlen(op);
    if (a + 1 + b > cap) b = cap > a + 1 ? cap - a - 1 : 0, a = a < cap ? a : cap;
    memcpy(buf, svc, a);
    if (a < cap) buf[a] = 0;
    memcpy(buf + a + 1, op, b);
    return a + 1 + b;
}

void le_model_vocab_map(const le_model *m, const le_corpus_meta *meta, int32_t *vocab_of)
{
    const int32_t V = m->enc.cfg.feat.n_vocab;
    le_strtab t;
    le_strtab_init(&t);
    char key[1024];
    for (int32_t v = 0; v < V; v++)
        le_strtab_intern(&t, key, op_key(key, sizeof key, m->vocab_services[v], m->vocab_operations[v]));
    for (int32_t i = 0; i < meta->n_operations; i++) {
        size_t n = op_key(key, sizeof key, meta->services[meta->operation_service[i]], meta->operations[i]);
        uint32_t id = le_strtab_find(&t, key, n);
        vocab_of[i] = id == UINT32_MAX ? V : (int32_t)id;
    }
    le_strtab_free(&t);
}
