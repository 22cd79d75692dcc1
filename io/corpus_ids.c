#include "corpus_ids.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "h5util.h"
#include "hash.h"

void le_block_put_id(le_corpus_block *b, int64_t t, const char *id, size_t n)
{
    size_t at = (size_t)b->id_offset[t];
    LE_RESERVE(b->trace_id, b->id_cap, at + n + 1);
    memcpy(b->trace_id + at, id, n);
    b->trace_id[at + n] = 0;
    b->id_offset[t + 1] = (int64_t)(at + n + 1);
}

/* ---------------------------------------------------------------- write */

int le_ids_create(hid_t file, const le_corpus_meta *m, int rank, const char *path, hid_t d[2])
{
    d[0] = le_h5_create_1d(file, LE_DS_ID_OFFSET, H5T_STD_I64LE, m->n_traces + 1, 1);
    LE_H5(d[0], "%s: cannot create dataset %s", path, LE_DS_ID_OFFSET);
    d[1] = le_h5_create_1d(file, LE_DS_ID_BYTES, H5T_STD_U8LE, m->n_id_bytes, 1);
    LE_H5(d[1], "%s: cannot create dataset %s", path, LE_DS_ID_BYTES);
    return le_h5_write_1d(d[0], H5T_NATIVE_INT64, m->n_traces, rank == 0 ? 1 : 0, &m->n_id_bytes, LE_DS_ID_OFFSET);
}

int le_ids_write(const hid_t d[2], const le_corpus_block *b, int64_t n_id_bytes, const char *path)
{
    int64_t nt = b->n_traces, nb = nt ? b->id_offset[nt] - nt : 0; /* bytes without the terminators */
    if (b->id_byte_begin < 0 || b->id_byte_begin + nb > n_id_bytes)
        return le_fail(LE_ERR_INTERNAL, "%s: block ids at byte %lld+%lld outside the corpus's %lld id bytes", path,
                       (long long)b->id_byte_begin, (long long)nb, (long long)n_id_bytes);
    int64_t *off = le_malloc((size_t)(nt ? nt : 1) * sizeof *off);
    char *bytes = le_malloc((size_t)(nb ? nb : 1));
    for (int64_t t = 0, at = 0; t < nt; t++) {
        size_t n = le_block_id_len(b, t);
        off[t] = b->id_byte_begin + at;
        memcpy(bytes + at, le_block_id(b, t), n);
        at += (int64_t)n;
    }
    int rc = le_h5_write_1d(d[0], H5T_NATIVE_INT64, b->trace_begin, nt, off, LE_DS_ID_OFFSET);
    if (!rc) rc = le_h5_write_1d(d[1], H5T_NATIVE_UCHAR, b->id_byte_begin, nb, bytes, LE_DS_ID_BYTES);
    free(off);
    free(bytes);
    return rc;
}

/* ----------------------------------------------------------------- read */

static int dataset_len(hid_t file, const char *name, const char *path, int64_t *n)
{
    hid_t d;
    LE_CHECK(le_h5_open(file, name, path, &d));
    *n = le_h5_len(d);
    H5Dclose(d);
    return 0;
}

int le_ids_check(hid_t file, le_corpus_meta *m, const char *path)
{
    int64_t n;
    if (m->version == 1) {
        LE_CHECK(dataset_len(file, LE_DS_ID_V1, path, &n));
        if (n != m->n_traces)
            return le_fail(LE_ERR_FORMAT, "%s: %s has %lld elements, the header says %lld", path, LE_DS_ID_V1, (long long)n,
                           (long long)m->n_traces);
        return 0;
    }
    LE_CHECK(dataset_len(file, LE_DS_ID_OFFSET, path, &n));
    if (n != m->n_traces + 1)
        return le_fail(LE_ERR_FORMAT, "%s: %s has %lld elements, the header says %lld traces (+1)", path, LE_DS_ID_OFFSET,
                       (long long)n, (long long)m->n_traces);
    LE_CHECK(dataset_len(file, LE_DS_ID_BYTES, path, &m->n_id_bytes));
    if (m->n_id_bytes < 0) return le_fail(LE_ERR_FORMAT, "%s: %s is not a 1-D dataset", path, LE_DS_ID_BYTES);
    return 0;
}

static int read_range(hid_t file, const char *name, hid_t mtype, int64_t off, int64_t n, void *buf, const char *path)
{
    hid_t d;
    LE_CHECK(le_h5_open(file, name, path, &d));
    int rc = le_h5_read_1d(d, mtype, off, n, buf, name);
    H5Dclose(d);
    if (rc) return le_fail(rc, "%s: cannot read %s [%lld, %lld)", path, name, (long long)off, (long long)(off + n));
    return 0;
}

/* Version 1: fixed-length strings, as wide as the dataset's type. */
static int read_ids_v1(hid_t file, const char *path, int64_t t0, int64_t nt, le_corpus_block *b)
{
    hid_t d;
    LE_CHECK(le_h5_open(file, LE_DS_ID_V1, path, &d));
    hid_t ft = H5Dget_type(d);
    size_t w = H5Tget_class(ft) == H5T_STRING && !H5Tis_variable_str(ft) ? H5Tget_size(ft) : 0;
    H5Tclose(ft);
    H5Dclose(d);
    if (!w) return le_fail(LE_ERR_FORMAT, "%s: %s is not a fixed-length string dataset", path, LE_DS_ID_V1);
    char *buf = le_malloc((size_t)(nt ? nt : 1) * w);
    hid_t t = le_h5_strtype(w);
    int rc = read_range(file, LE_DS_ID_V1, t, t0, nt, buf, path);
    H5Tclose(t);
    for (int64_t i = 0; !rc && i < nt; i++) le_block_put_id(b, i, buf + (size_t)i * w, strnlen(buf + (size_t)i * w, w));
    free(buf);
    return rc;
}

/* Offsets of traces [t0, t0 + nt] must rise and stay within the bytes. */
static int check_offsets(const int64_t *o, int64_t t0, int64_t nt, int64_t n_bytes, const char *path)
{
    for (int64_t i = 0; i <= nt; i++) {
        int bad = o[i] < 0 || o[i] > n_bytes || (i > 0 && o[i] < o[i - 1]);
        if (bad)
            return le_fail(LE_ERR_FORMAT, "%s: %s[%lld] = %lld is %s (corrupt file)", path, LE_DS_ID_OFFSET,
                           (long long)(t0 + i), (long long)o[i],
                           i > 0 && o[i] < o[i - 1] ? "smaller than the one before" : "outside the id bytes");
    }
    return 0;
}

int le_ids_read(hid_t file, const le_corpus_meta *m, const char *path, int64_t t0, int64_t nt, le_corpus_block *b)
{
    if (m->version == 1) return read_ids_v1(file, path, t0, nt, b);
    int64_t *o = le_malloc((size_t)(nt + 1) * sizeof *o);
    char *bytes = NULL;
    int rc = read_range(file, LE_DS_ID_OFFSET, H5T_NATIVE_INT64, t0, nt + 1, o, path);
    if (!rc) rc = check_offsets(o, t0, nt, m->n_id_bytes, path);
    if (!rc) {
        bytes = le_malloc((size_t)(o[nt] - o[0] + 1));
        rc = read_range(file, LE_DS_ID_BYTES, H5T_NATIVE_UCHAR, o[0], o[nt] - o[0], bytes, path);
    }
    for (int64_t i = 0; !rc && i < nt; i++) le_block_put_id(b, i, bytes + (o[i] - o[0]), (size_t)(o[i + 1] - o[i]));
    free(bytes);
    free(o);
    return rc;
}

/* ---------------------------------------------------------- fingerprint */

uint64_t le_fp_block(const le_corpus_block *b)
{
    uint64_t sum = 0;
    for (int64_t t = 0; t < b->n_traces; t++) {
        uint64_t h = le_hash64(le_block_id(b, t), le_block_id_len(b, t));
        h = le_mix64(h ^ (uint64_t)(b->trace_begin + t) * 0x9e3779b97f4a7c15ULL);
        h = le_mix64(h ^ (uint64_t)b->trace_start_us[t]);
        sum += le_mix64(h ^ (uint64_t)(b->span_offset[t + 1] - b->span_offset[t]));
    }
    return sum;
}

void le_fp_finish(uint64_t sum, int64_t n_traces, int64_t n_spans, char out[LE_FP_LEN])
{
    uint64_t h = le_mix64(sum ^ le_mix64((uint64_t)n_traces) ^ le_mix64(~(uint64_t)n_spans));
    snprintf(out, LE_FP_LEN, "%016" PRIx64, h);
}
