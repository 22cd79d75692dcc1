/* ingest's spill: the join and the order of an input larger than the
 * ranks' memory, as an external sort (docs/ingest.md, Memory).
 *
 *   rows:   each batch of parsed rows is routed to the rank owning its trace
 *           and appended to one of H bucket files there (by trace hash), so
 *           every row of a trace is in one bucket on one rank;
 *   traces: bucket by bucket, the rows are assembled and the traces
 *           appended to the rank's trace file (local name ids), their keys
 *           (root start, id hash) kept, 16 bytes a trace;
 *   plan:   p * S ranges of keys from a regular sample; every trace is
 *           copied into the file of step s = range / p, its names mapped;
 *   steps:  step s's traces go to rank range % p, are sorted there and
 *           written at the offsets of the steps before.
 * A rank holds one batch, one bucket or one step at a time. The corpus is
 * the one the in-memory path writes: the same total order. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "comm.h"
#include "exchange.h"
#include "ingest_stages.h"

/* The most bucket or step files a rank opens at once (fewer under ulimit -n). */
#define LE_SPILL_MAX_FILES 4096

struct le_spill {
    MPI_Comm comm;
    int rank, p, buckets, steps;
    int file_room;      /* files a rank may hold open at once (the lowest over the ranks) */
    char path_sep;      /* the rows' (le_spanbuf.path_sep), as routing agreed it */
    int64_t step_spans; /* spans a rank takes in one step, about */
    char dir[4096];
    FILE **bucket; /* [buckets], open while rows arrive */
    FILE *traces;  /* assembled traces, open until the plan */
    le_tkey *key;  /* [n_traces] */
    int64_t n_traces, n_spans, n_id_bytes;
    size_t cap_key;
    le_tkey *split;   /* [p * steps - 1] */
    int64_t base[3];  /* traces, spans, id bytes of the steps written */
    int64_t total[3]; /* the same over every step, as the plan counted them */
};

static void file_path(const le_spill *sp, const char *what, int k, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s/r%d.%s%d", sp->dir, sp->rank, what, k);
}

static int write_error(const char *path)
{
    return le_fail(LE_ERR_IO, "%s: cannot write the spill file: %s", path, strerror(errno));
}

static FILE *open_file(const le_spill *sp, const char *what, int k, const char *mode)
{
    char path[4200];
    file_path(sp, what, k, path, sizeof path);
    FILE *f = fopen(path, mode);
    if (!f) le_fail(LE_ERR_IO, "%s: cannot open the spill file: %s", path, strerror(errno));
    return f;
}

static int close_file(const le_spill *sp, const char *what, int k, FILE **f)
{
    char path[4200];
    file_path(sp, what, k, path, sizeof path);
    int rc = *f && fclose(*f) ? write_error(path) : 0;
    *f = NULL;
    return rc;
}

/* Files this rank may open for the spill: its limit (ulimit -n) less room
 * for MPI, HDF5 and the input being read. */
static int open_file_room(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) || rl.rlim_cur == RLIM_INFINITY) return LE_SPILL_MAX_FILES;
    long room = (long)rl.rlim_cur - 64;
    return room < 2 ? 2 : room > LE_SPILL_MAX_FILES ? LE_SPILL_MAX_FILES : (int)room;
}

/* n files of a kind, or fewer (larger ones) where the open-file limit says so. */
static int within_room(const le_spill *sp, int n, const char *what)
{
    if (n < sp->file_room) return n;
    le_warn(
        "spill: %d %s files a rank would pass the open-file limit (ulimit -n): %d, each larger than "
        "--max-rows / 2",
        n, what, sp->file_room - 1);
    return sp->file_room - 1;
}

int le_spill_open(MPI_Comm comm, const char *dir, int *buckets, int64_t step_spans, le_spill **out)
{
    le_spill *sp = le_calloc(1, sizeof *sp);
    *out = sp;
    sp->comm = comm, sp->step_spans = step_spans > 0 ? step_spans : 1, sp->file_room = open_file_room();
    snprintf(sp->dir, sizeof sp->dir, "%s", dir);
    LE_MPI(MPI_Comm_rank(comm, &sp->rank));
    LE_MPI(MPI_Comm_size(comm, &sp->p));
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &sp->file_room, 1, MPI_INT, MPI_MIN, comm));
    sp->buckets = *buckets = within_room(sp, *buckets, "bucket");
    /* every rank: a node-local --spill-dir exists only where a rank made it */
    int rc = mkdir(dir, 0700) && errno != EEXIST
                 ? le_fail(LE_ERR_IO, "%s: cannot create the spill directory: %s", dir, strerror(errno))
                 : 0;
    LE_CHECK(le_agree_on(comm, rc));
    sp->bucket = le_calloc((size_t)sp->buckets, sizeof *sp->bucket);
    for (int h = 0; h < sp->buckets && !rc; h++)
        if (!(sp->bucket[h] = open_file(sp, "b", h, "wb"))) rc = LE_ERR_IO;
    if (!rc && !(sp->traces = open_file(sp, "t", 0, "wb"))) rc = LE_ERR_IO;
    return le_agree_on(comm, rc);
}

/* ---------------------------------------------------------------- rows */

int le_spill_rows(le_spill *sp, le_spanbuf *rows)
{
    le_spanbuf mine;
    LE_CHECK(le_route_rows(sp->comm, rows, &mine));
    if (mine.path_sep) sp->path_sep = mine.path_sep;
    char *buf = NULL;
    size_t cap = 0;
    int rc = 0;
    for (size_t i = 0; i < mine.n && !rc; i++) {
        uint32_t t = mine.trace[i];
        uint64_t hash = le_strtab_len(&mine.traces, t) ? mine.traces.hash[t] : 0;
        int h = (int)(hash / (uint64_t)sp->p % (uint64_t)sp->buckets); /* the owner took hash % p */
        size_t n = le_row_pack(&mine, i, NULL);
        LE_RESERVE(buf, cap, n);
        le_row_pack(&mine, i, buf);
        if (fwrite(buf, 1, n, sp->bucket[h]) != n) {
            char path[4200];
            file_path(sp, "b", h, path, sizeof path);
            rc = write_error(path);
        }
    }
    free(buf);
    le_spanbuf_free(&mine);
    return le_agree_on(sp->comm, rc);
}

/* The whole of a spill file (bounded by the bucket or the step). */
static int read_whole(const le_spill *sp, const char *what, int k, char **buf, size_t *len)
{
    char path[4200];
    file_path(sp, what, k, path, sizeof path);
    FILE *f = fopen(path, "rb");
    struct stat st;
    if (!f || fstat(fileno(f), &st)) {
        if (f) fclose(f);
        return le_fail(LE_ERR_IO, "%s: cannot read the spill file: %s", path, strerror(errno));
    }
    *len = (size_t)st.st_size;
    *buf = le_malloc(*len + 1);
    size_t got = fread(*buf, 1, *len, f);
    fclose(f);
    unlink(path); /* read once: the disk it held is free for the next files */
    if (got == *len) return 0;
    free(*buf), *buf = NULL;
    return le_fail(LE_ERR_IO, "%s: short read of the spill file", path);
}

int le_spill_rows_end(le_spill *sp)
{
    int rc = 0;
    for (int k = 0; k < sp->buckets; k++) {
        int c = close_file(sp, "b", k, &sp->bucket[k]); /* a full disk may show only here, at the flush */
        rc = rc ? rc : c;
    }
    return le_agree_on(sp->comm, rc);
}

int le_spill_bucket(le_spill *sp, int h, const uint8_t *skip_file, le_spanbuf *rows)
{
    le_spanbuf_init(rows);
    char *buf;
    size_t len;
    LE_CHECK(read_whole(sp, "b", h, &buf, &len));
    for (size_t off = 0; off < len;) {
        size_t n0 = rows->n, ids0 = rows->ids_len;
        off += le_row_unpack(buf + off, rows);
        if (skip_file && skip_file[rows->file[n0]]) rows->n = n0, rows->ids_len = ids0; /* as le_parse_roll_back */
    }
    rows->path_sep = sp->path_sep;
    free(buf);
    return 0;
}

/* -------------------------------------------------------------- traces */

int le_spill_traces(le_spill *sp, const le_asm *a)
{
    char *buf = NULL;
    size_t cap = 0;
    for (size_t t = 0; t < a->n; t++) {
        size_t n = le_trace_pack(a, t, NULL);
        LE_RESERVE(buf, cap, n);
        le_trace_pack(a, t, buf);
        if (fwrite(buf, 1, n, sp->traces) != n) {
            free(buf);
            char path[4200];
            file_path(sp, "t", 0, path, sizeof path);
            return write_error(path);
        }
        LE_RESERVE(sp->key, sp->cap_key, (size_t)sp->n_traces + 1);
        sp->key[sp->n_traces++] = (le_tkey){a->start[t], a->hash[t]};
        sp->n_spans += a->span_off[t + 1] - a->span_off[t];
        sp->n_id_bytes += a->ids.len[a->id[t]];
    }
    free(buf);
    return 0;
}

/* ---------------------------------------------------------------- plan */

static int key_qcmp(const void *a, const void *b) { return le_tkey_cmp(*(const le_tkey *)a, *(const le_tkey *)b); }

/* Collective: p * steps - 1 splitters from a regular sample of every rank's
 * sorted keys (64 a step from each rank: 64 a range over all ranks). */
static int choose_ranges(le_spill *sp)
{
    int64_t r = (int64_t)sp->p * sp->steps;
    if (sp->n_traces) qsort(sp->key, (size_t)sp->n_traces, sizeof *sp->key, key_qcmp);
    int64_t s = sp->n_traces < 64 * sp->steps ? sp->n_traces : 64 * (int64_t)sp->steps;
    le_tkey *sample = le_malloc((size_t)(s ? s : 1) * sizeof *sample);
    for (int64_t j = 0; j < s; j++) sample[j] = sp->key[(int64_t)(((double)j + 0.5) * (double)sp->n_traces / (double)s)];
    free(sp->key), sp->key = NULL;
    char *all = NULL;
    uint64_t all_len = 0;
    int rc = le_gather_bytes(sp->comm, (const char *)sample, (uint64_t)s * sizeof *sample, &all, &all_len, 0);
    free(sample);
    LE_CHECK(rc);
    char *split = NULL;
    uint64_t len = (uint64_t)(r - 1) * sizeof *sp->split;
    if (sp->rank == 0) {
        size_t n = all_len / sizeof(le_tkey);
        le_tkey *v = (le_tkey *)all, *out = le_malloc(len + 1);
        if (n) qsort(v, n, sizeof *v, key_qcmp);
        for (int64_t k = 1; k < r; k++) out[k - 1] = n ? v[(size_t)k * n / (size_t)r] : (le_tkey){INT64_MAX, UINT64_MAX};
        split = (char *)out;
    }
    free(all);
    LE_CHECK(le_bcast_bytes(sp->comm, &split, &len, 0));
    sp->split = (le_tkey *)split;
    return 0;
}

/* The range of a key: the number of splitters at or below it. */
static int64_t range_of(const le_spill *sp, le_tkey k)
{
    int64_t lo = 0, hi = (int64_t)sp->p * sp->steps - 1;
    while (lo < hi) {
        int64_t mid = lo + (hi - lo) / 2;
        if (le_tkey_cmp(k, sp->split[mid]) >= 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Each trace of the trace file into its step's file, behind its rank, its
 * names mapped. Read a piece at a time: a rank's traces need not fit. */
static int spread_traces(le_spill *sp, const int32_t *svc_map, const int32_t *op_map)
{
    char path[4200];
    file_path(sp, "t", 0, path, sizeof path);
    FILE **step = le_calloc((size_t)sp->steps, sizeof *step);
    int rc = 0;
    for (int s = 0; s < sp->steps && !rc; s++)
        if (!(step[s] = open_file(sp, "s", s, "wb"))) rc = LE_ERR_IO;
    FILE *in = rc ? NULL : open_file(sp, "t", 0, "rb");
    if (!rc && !in) rc = LE_ERR_IO;
    size_t cap = 1 << 24, have = 0, at = 0, head = le_trace_head_size();
    char *buf = le_malloc(cap);
    for (int eof = 0; !rc && !(eof && at == have);) {
        if (!eof && (have - at < head || have - at < le_trace_size(buf + at))) { /* refill */
            memmove(buf, buf + at, have - at), have -= at, at = 0;
            if (have >= head && le_trace_size(buf) > cap) LE_RESERVE(buf, cap, le_trace_size(buf));
            size_t got = fread(buf + have, 1, cap - have, in);
            if (!got && ferror(in)) rc = le_fail(LE_ERR_IO, "%s: cannot read the spill file: %s", path, strerror(errno));
            have += got, eof = got == 0;
            continue;
        }
        char *rec = buf + at;
        size_t n = have - at < head ? SIZE_MAX : le_trace_size(rec);
        if (n > have - at) {
            rc = le_fail(LE_ERR_IO, "%s: the spill file ends inside a trace", path);
            break;
        }
        int64_t r = range_of(sp, le_trace_key(rec));
        int32_t dest = (int32_t)(r % sp->p);
        le_trace_remap(rec, svc_map, op_map);
        FILE *f = step[r / sp->p];
        if (fwrite(&dest, sizeof dest, 1, f) != 1 || fwrite(rec, 1, n, f) != n) {
            file_path(sp, "s", (int)(r / sp->p), path, sizeof path);
            rc = write_error(path);
        }
        at += n;
    }
    free(buf);
    if (in) fclose(in);
    file_path(sp, "t", 0, path, sizeof path);
    unlink(path);
    for (int s = 0; s < sp->steps; s++) {
        int c = close_file(sp, "s", s, &step[s]);
        rc = rc ? rc : c;
    }
    free(step);
    return rc;
}

int le_spill_plan(le_spill *sp, const int32_t *svc_map, const int32_t *op_map, le_corpus_meta *meta, int *steps)
{
    LE_CHECK(le_agree_on(sp->comm, close_file(sp, "t", 0, &sp->traces)));
    int64_t tot[3] = {sp->n_traces, sp->n_spans, sp->n_id_bytes};
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, tot, 3, MPI_INT64_T, MPI_SUM, sp->comm));
    meta->n_traces = tot[0], meta->n_spans = tot[1], meta->n_id_bytes = tot[2];
    memcpy(sp->total, tot, sizeof tot);
    /* a step gives each rank about step_spans spans when the keys spread evenly */
    int64_t want = (tot[1] / sp->p + sp->step_spans - 1) / sp->step_spans;
    sp->steps = within_room(sp, (int)(want < 1 ? 1 : want > LE_SPILL_MAX_FILES ? LE_SPILL_MAX_FILES : want), "step");
    *steps = sp->steps;
    LE_CHECK(choose_ranges(sp));
    return le_agree_on(sp->comm, spread_traces(sp, svc_map, op_map));
}

/* ---------------------------------------------------------------- steps */

int le_spill_block(le_spill *sp, int s, int gt, le_corpus_block *block)
{
    char *buf = NULL;
    size_t len = 0;
    int rc = read_whole(sp, "s", s, &buf, &len);
    LE_CHECK(le_agree_on(sp->comm, rc));
    uint64_t *count = le_calloc((size_t)sp->p, sizeof *count), *cursor = le_calloc((size_t)sp->p, sizeof *cursor);
    for (size_t off = 0; off < len;) {
        int32_t dest;
        memcpy(&dest, buf + off, sizeof dest);
        size_t n = le_trace_size(buf + off + sizeof dest);
        count[dest] += n, off += sizeof dest + n;
    }
    for (int r = 1; r < sp->p; r++) cursor[r] = cursor[r - 1] + count[r - 1];
    char *send = le_malloc(len + 1);
    for (size_t off = 0; off < len;) {
        int32_t dest;
        memcpy(&dest, buf + off, sizeof dest);
        size_t n = le_trace_size(buf + off + sizeof dest);
        memcpy(send + cursor[dest], buf + off + sizeof dest, n);
        cursor[dest] += n, off += sizeof dest + n;
    }
    free(buf);
    free(cursor);
    rc = le_order_packed(sp->comm, send, count, gt, block);
    free(send);
    free(count);
    LE_CHECK(rc);
    int64_t total[3];
    LE_CHECK(le_block_place(sp->comm, block, sp->base, total));
    for (int k = 0; k < 3; k++) sp->base[k] += total[k];
    if (s == sp->steps - 1 && memcmp(sp->base, sp->total, sizeof sp->total)) /* nothing lost on the way */
        return le_fail(LE_ERR_INTERNAL, "spill: %lld traces, %lld spans written of %lld, %lld assembled",
                       (long long)sp->base[0], (long long)sp->base[1], (long long)sp->total[0], (long long)sp->total[1]);
    return 0;
}

int le_spill_close(le_spill *sp)
{
    if (!sp) return 0;
    char path[4200];
    for (int h = 0; sp->bucket && h < sp->buckets; h++) {
        if (sp->bucket[h]) fclose(sp->bucket[h]);
        file_path(sp, "b", h, path, sizeof path), unlink(path);
    }
    if (sp->traces) fclose(sp->traces);
    file_path(sp, "t", 0, path, sizeof path), unlink(path);
    for (int s = 0; s < sp->steps; s++) file_path(sp, "s", s, path, sizeof path), unlink(path);
    int rc = LE_MPI_RC(MPI_Barrier(sp->comm)); /* every rank's files are gone before the directory goes */
    rmdir(sp->dir);                            /* every rank: one per node when it is node-local, else the first one */
    free(sp->bucket), free(sp->key), free(sp->split);
    free(sp);
    return rc;
}
