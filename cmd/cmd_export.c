/* labelease export: the labeled dataset a user takes away (docs/dataset.md):
 * per-trace labels and confidence with the fault period each trace falls
 * in, and the periods with their root-cause service and fault type, as HDF5
 * (dataset.h5), CSV (traces.csv, periods.csv) and JSON (dataset.json).
 * Trace rows stream: each rank reads its shard a chunk at a time, twice.
 * The first pass counts the CSV bytes and the longest id; one exclusive
 * scan gives each rank its offset in traces.csv; the second pass formats
 * the chunk again and writes it there and into dataset.h5's columns. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "corpus.h"
#include "csvout.h"
#include "driver.h"
#include "export.h"
#include "fingerprint.h"
#include "h5util.h"
#include "labelsfile.h"
#include "page.h"
#include "rcfile.h"
#include "samefile.h"

static const char usage[] =
    "usage: labelease export CORPUS.h5 LABELS.h5 [ROOTCAUSE.h5] [ROOTCAUSE-LABELS.csv] -o DIR\n"
    "\n"
    "Write the labeled dataset into DIR: dataset.h5, traces.csv, periods.csv and\n"
    "dataset.json (layout in docs/dataset.md). Periods and their suggested root\n"
    "cause (rank 1) come from ROOTCAUSE.h5; the root causes a person confirmed\n"
    "(the root-cause page's export) from ROOTCAUSE-LABELS.csv, which\n"
    "override the suggestions of the same period.\n"
    "\n"
    "options:\n"
    "  -o, --output DIR   directory to write (created if absent)\n"
    "  --chunk N          traces read and written at a time per rank (default 65536):\n"
    "                     memory grows with it, not with the corpus\n" LE_COMMON_HELP
    "\n"
    "example:\n"
    "  mpirun -np 2 labelease export corpus.h5 labels.h5 rootcause.h5 rootcause-labels.csv -o dataset/\n";

typedef struct ex_opts {
    const char *corpus, *labels, *rc, *csv, *dir;
    int64_t chunk;
} ex_opts;

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static int parse(int argc, char **argv, ex_opts *o)
{
    static const struct option opts[] = {
        {"output", required_argument, 0, 'o'}, {"chunk", required_argument, 0, 'c'}, LE_COMMON_LONGOPTS, {0}};
    *o = (ex_opts){.chunk = 65536};
    int c;
    optind = 0; /* 0, not 1: glibc then resets all its state (commands may run in-process) */
    while ((c = getopt_long(argc, argv, "o:c:vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        if (c == 'h') return le_usage(usage, 0) ? LE_ERR_USAGE : -1;
        if (c == 'o')
            o->dir = optarg;
        else if (c == 'c') {
            LE_CHECK(le_parse_count("--chunk", optarg, &o->chunk));
            if (o->chunk < 1) return le_fail(LE_ERR_USAGE, "--chunk must be at least 1 trace");
        } else
            return le_usage(usage, 1);
    }
    int n = argc - optind;
    static const char *const args[] = {"CORPUS.h5", "LABELS.h5"};
    LE_CHECK(le_check_args(usage, n, argv + optind, args, 2, 4, o->dir ? NULL : "-o DIR"));
    o->corpus = argv[optind], o->labels = argv[optind + 1];
    for (int i = 2; i < n; i++) {
        const char *a = argv[optind + i];
        if (ends_with(a, ".csv"))
            o->csv = a;
        else
            o->rc = a;
    }
    return 0;
}

/* ---- the period table ---- */

typedef struct ex_periods {
    int64_t n;
    le_period *per;
    int64_t *n_normal;
    le_period_label *label; /* [n] source "" when nobody labelled it and no suggestion */
} ex_periods;

static int load_periods(const ex_opts *o, const le_corpus *c, ex_periods *ep, int64_t *confirmed)
{
    le_rc rc = {0};
    le_period_label *csv = NULL;
    int64_t n_csv = 0;
    *ep = (ex_periods){0};
    if (o->rc) LE_CHECK(le_rc_read(o->rc, &rc));
    if (o->rc) LE_CHECK(le_fp_check(o->rc, rc.corpus_fp, rc.corpus, o->corpus, c->meta.fingerprint));
    if (o->csv) LE_CHECK(le_period_labels_read(o->csv, &csv, &n_csv));
    /* Without ROOTCAUSE.h5 the labelled rows are the periods. */
    ep->n = o->rc ? rc.n_periods : n_csv;
    size_t n = (size_t)(ep->n ? ep->n : 1);
    ep->per = le_calloc(n, sizeof *ep->per), ep->n_normal = le_calloc(n, sizeof(int64_t));
    ep->label = le_calloc(n, sizeof *ep->label);
    for (int64_t p = 0; p < ep->n; p++) {
        le_period_label *l = &ep->label[p];
        if (o->rc) {
            ep->per[p] = rc.periods[p], ep->n_normal[p] = rc.n_normal[p];
            snprintf(l->service, sizeof l->service, "%s", rc.services[rc.order[p * rc.n_services]]);
            snprintf(l->fault_type, sizeof l->fault_type, "unlabeled");
            snprintf(l->source, sizeof l->source, "suggested");
        } else {
            ep->per[p] = (le_period){csv[p].start_us, csv[p].end_us, 0};
        }
        l->period = p, l->start_us = ep->per[p].start_us, l->end_us = ep->per[p].end_us;
    }
    *confirmed = 0;
    for (int64_t i = 0; i < n_csv; i++) {
        int64_t p = o->rc ? csv[i].period : i;
        if (p < 0 || p >= ep->n || csv[i].start_us != ep->per[p].start_us || csv[i].end_us != ep->per[p].end_us) {
            int e = le_fail(LE_ERR_FORMAT, "%s: period %lld [%lld, %lld] is not a period of %s", o->csv,
                            (long long)csv[i].period, (long long)csv[i].start_us, (long long)csv[i].end_us, o->rc);
            free(csv); /* after the message, which names the row */
            le_rc_free(&rc);
            return e;
        }
        ep->label[p] = csv[i];
        ep->label[p].period = p;
        (*confirmed)++;
    }
    free(csv);
    le_rc_free(&rc);
    return 0;
}

/* ---- writers ---- */

/* ---- the trace rows, a chunk at a time ---- */

/* This rank's traces [t0, t1) in steps chunks that start at multiples of
 * chunk: with the default chunk, dataset.h5's compressed chunks are written
 * whole, except the one each rank boundary cuts. Every rank makes as many
 * steps, some empty: dataset.h5 writes collectively. The labels file is
 * open for both passes. */
typedef struct ex_shard {
    int64_t t0, t1, chunk, steps;
    le_labelsfile_reader labels;
} ex_shard;

/* One step's rows: traces [a, a + n). */
typedef struct ex_chunk {
    int64_t a, n;
    le_corpus_block ids; /* ids alone */
    int64_t *start, *period;
    int8_t *label, *given;
    float *conf;
    char *padded; /* [n * id_len] NUL-padded: dataset.h5 stores fixed-length ids */
    char *csv;    /* the rows as traces.csv lines */
    size_t csv_cap, csv_len;
} ex_chunk;

/* Collective: the shard, its steps, the labels file opened and checked. */
static int plan_shard(le_corpus *c, const ex_opts *o, ex_shard *s)
{
    int64_t chunk = o->chunk;
    s->labels.file = -1;
    LE_CHECK(le_corpus_shard(c, le_world.comm, &s->t0, &s->t1));
    s->chunk = chunk;
    s->steps = s->t1 > s->t0 ? (s->t1 - 1) / chunk - s->t0 / chunk + 1 : 0;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &s->steps, 1, MPI_INT64_T, MPI_MAX, le_world.comm));
    le_labelsfile_info info;
    int rc = le_labelsfile_open(le_world.comm, o->labels, c->meta.n_traces, &s->labels, &info);
    if (!rc) rc = le_fp_check(o->labels, info.corpus_fp, info.corpus, o->corpus, c->meta.fingerprint);
    return le_agree(rc);
}

static void chunk_alloc(ex_chunk *ch, int64_t chunk)
{
    size_t n = (size_t)chunk;
    *ch = (ex_chunk){0};
    ch->start = le_malloc(n * sizeof *ch->start), ch->period = le_malloc(n * sizeof *ch->period);
    ch->label = le_malloc(n), ch->given = le_malloc(n), ch->conf = le_malloc(n * sizeof *ch->conf);
}

static void chunk_free(ex_chunk *ch)
{
    le_block_free(&ch->ids);
    void *all[] = {ch->start, ch->period, ch->label, ch->given, ch->conf, ch->padded, ch->csv};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
    *ch = (ex_chunk){0};
}

/* Collective (the ranks agree): step k's traces with their labels, start
 * times and periods. */
static int read_chunk(le_corpus *c, const ex_periods *ep, const ex_shard *s, int64_t k, ex_chunk *ch)
{
    int64_t a = (s->t0 / s->chunk + k) * s->chunk, e = a + s->chunk;
    a = a < s->t0 ? s->t0 : a > s->t1 ? s->t1 : a, e = e > s->t1 ? s->t1 : e < a ? a : e;
    ch->a = a, ch->n = e - a;
    int rc = le_labelsfile_read_rows(&s->labels, a, ch->n, ch->label, ch->conf, ch->given);
    le_block_free(&ch->ids);
    if (!rc) rc = le_corpus_read_ids(c, a, e, &ch->ids);
    if (!rc) rc = le_corpus_read_starts(c, a, e, ch->start);
    LE_CHECK(le_agree(rc)); /* a corrupt chunk stops every rank before the next collective */
    for (int64_t t = 0; t < ch->n; t++) ch->period[t] = le_periods_find(ep->per, ep->n, ch->start[t]);
    return 0;
}

static const char csv_head[] = "trace_id,start_us,label,confidence,given,period\n";

static void format_csv(ex_chunk *ch)
{
    ch->csv_len = 0;
    for (int64_t t = 0; t < ch->n; t++) {
        size_t idn = le_block_id_len(&ch->ids, t);
        LE_RESERVE(ch->csv, ch->csv_cap, ch->csv_len + le_csv_field_max(idn) + 96);
        char *p = ch->csv + ch->csv_len;
        p += le_csv_format_field(p, le_block_id(&ch->ids, t), idn);
        p += sprintf(p, ",%" PRId64 ",%s,%.6g,%d,%" PRId64 "\n", ch->start[t], ch->label[t] == 1 ? "abnormal" : "normal",
                     (double)ch->conf[t], ch->given[t], ch->period[t]);
        ch->csv_len = (size_t)(p - ch->csv);
    }
}

static void pad_ids(ex_chunk *ch, int32_t w)
{
    ch->padded = le_realloc(ch->padded, (size_t)(ch->n ? ch->n : 1) * (size_t)w);
    memset(ch->padded, 0, (size_t)ch->n * (size_t)w);
    for (int64_t t = 0; t < ch->n; t++) memcpy(ch->padded + t * w, le_block_id(&ch->ids, t), le_block_id_len(&ch->ids, t));
}

/* What the first pass over the shard finds: the width of dataset.h5's ids
 * (the corpus's longest + 1; ids are capped: LE_TRACE_ID_MAX), where this
 * rank's lines start in traces.csv, and the abnormal traces. */
typedef struct ex_sizes {
    int32_t id_len;
    int64_t csv_off, abnormal;
} ex_sizes;

/* Collective: the first pass, which formats the lines to count their bytes. */
static int measure_rows(le_corpus *c, const ex_periods *ep, const ex_shard *s, ex_chunk *ch, ex_sizes *z)
{
    int64_t bytes = le_world.rank == 0 ? (int64_t)strlen(csv_head) : 0;
    *z = (ex_sizes){.id_len = 1};
    for (int64_t k = 0; k < s->steps; k++) {
        LE_CHECK(read_chunk(c, ep, s, k, ch));
        format_csv(ch);
        bytes += (int64_t)ch->csv_len;
        for (int64_t t = 0; t < ch->n; t++) {
            int32_t w = (int32_t)le_block_id_len(&ch->ids, t) + 1;
            z->id_len = w > z->id_len ? w : z->id_len;
            z->abnormal += ch->label[t] == 1;
        }
    }
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &z->id_len, 1, MPI_INT32_T, MPI_MAX, le_world.comm));
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &z->abnormal, 1, MPI_INT64_T, MPI_SUM, le_world.comm));
    LE_MPI(MPI_Exscan(&bytes, &z->csv_off, 1, MPI_INT64_T, MPI_SUM, le_world.comm));
    if (le_world.rank == 0) z->csv_off = 0;
    return 0;
}

/* Independent: len bytes at off, in pieces an int counts. */
static int write_bytes(MPI_File fh, const char *path, int64_t off, const char *buf, int64_t len)
{
    int rc = 0;
    for (int64_t done = 0; done < len && !rc;) {
        int piece = (int)(len - done < (1 << 30) ? len - done : 1 << 30), wrote = 0;
        MPI_Status st;
        errno = 0;
        rc = LE_MPI_RC(MPI_File_write_at(fh, off + done, buf + done, piece, MPI_BYTE, &st));
        int err = errno;
        if (!rc) rc = LE_MPI_RC(MPI_Get_count(&st, MPI_BYTE, &wrote));
        /* Open MPI's OMPIO reports a full disk as a short write, not an error */
        if (!rc && wrote != piece) rc = le_h5_write_error(path, "(MPI-IO: a short write)", err);
        done += piece;
    }
    return rc;
}

/* Collective: traces.csv created empty (an older one removed first). */
static int open_csv(const char *path, MPI_File *fh)
{
    if (le_world.rank == 0) remove(path);
    LE_MPI(MPI_Barrier(le_world.comm));
    LE_MPI(MPI_File_open(le_world.comm, path, MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, fh));
    return 0;
}

enum { EX_NCOLS = 6 };
static const char *const trace_cols[EX_NCOLS] = {"traces/trace_id",   "traces/start_us", "traces/label",
                                                 "traces/confidence", "traces/given",    "traces/period"};

/* dataset.h5's trace columns, open for writing. */
typedef struct ex_columns {
    hid_t d[EX_NCOLS], type[EX_NCOLS]; /* type[0]: the ids' string type, closed with the columns */
} ex_columns;

/* Collective: the trace columns of dataset.h5, N rows each. */
static int create_columns(hid_t f, int64_t N, int32_t id_len, const char *path, ex_columns *x)
{
    hid_t types[EX_NCOLS] = {le_h5_strtype((size_t)id_len),
                             H5T_NATIVE_INT64,
                             H5T_NATIVE_INT8,
                             H5T_NATIVE_FLOAT,
                             H5T_NATIVE_INT8,
                             H5T_NATIVE_INT64};
    int rc = 0;
    for (int i = 0; i < EX_NCOLS; i++) x->d[i] = -1, x->type[i] = types[i];
    for (int i = 0; i < EX_NCOLS && !rc; i++)
        if ((x->d[i] = le_h5_create_1d(f, trace_cols[i], types[i], N, 1)) < 0)
            rc = le_fail(LE_ERR_IO, "%s: cannot create %s", path, trace_cols[i]);
    return rc;
}

static void close_columns(ex_columns *x)
{
    for (int i = 0; i < EX_NCOLS; i++)
        if (x->d[i] >= 0) H5Dclose(x->d[i]);
    if (x->type[0] >= 0) H5Tclose(x->type[0]);
}

/* Collective: the second pass, which writes each step's lines at this
 * rank's offset in traces.csv and its rows into dataset.h5's columns. */
static int write_rows(le_corpus *c, const ex_opts *o, const ex_periods *ep, const ex_shard *s, ex_chunk *ch,
                      const ex_sizes *z, MPI_File fh, const ex_columns *x)
{
    char csv_path[4200], h5_path[4200], what[4300];
    snprintf(csv_path, sizeof csv_path, "%s/traces.csv", o->dir);
    snprintf(h5_path, sizeof h5_path, "%s/dataset.h5", o->dir);
    int64_t off = z->csv_off;
    int rc = 0;
    if (le_world.rank == 0) rc = write_bytes(fh, csv_path, 0, csv_head, (int64_t)strlen(csv_head));
    off += le_world.rank == 0 ? (int64_t)strlen(csv_head) : 0;
    LE_CHECK(le_agree(rc));
    for (int64_t k = 0; k < s->steps && !rc; k++) {
        rc = read_chunk(c, ep, s, k, ch);
        if (rc) break;
        format_csv(ch);
        rc = le_agree(write_bytes(fh, csv_path, off, ch->csv, (int64_t)ch->csv_len));
        off += (int64_t)ch->csv_len;
        pad_ids(ch, z->id_len);
        const void *bufs[EX_NCOLS] = {ch->padded, ch->start, ch->label, ch->conf, ch->given, ch->period};
        for (int i = 0; i < EX_NCOLS && !rc; i++) {
            snprintf(what, sizeof what, "%s: %s", h5_path, trace_cols[i]);
            rc = le_h5_write_1d(x->d[i], x->type[i], ch->a, ch->n, bufs[i], what);
        }
    }
    return rc;
}

static int h5_column(hid_t f, const char *name, hid_t type, int64_t total, int64_t mine, const void *buf, const char *path)
{
    hid_t d = le_h5_create_1d(f, name, type, total, 1);
    LE_H5(d, "%s: cannot create %s", path, name);
    char what[4300];
    snprintf(what, sizeof what, "%s: %s", path, name);
    int rc = le_h5_write_1d(d, type, 0, mine, buf, what);
    H5Dclose(d);
    return rc;
}

/* Periods: small, identical on every rank; rank 0 writes the rows. */
static int h5_periods(hid_t f, const ex_periods *ep, const char *path)
{
    int64_t n = ep->n, mine = le_world.rank == 0 ? n : 0;
    int64_t *a = le_malloc(sizeof *a * (size_t)n * 4);
    for (int64_t p = 0; p < n; p++)
        a[p] = ep->per[p].start_us, a[n + p] = ep->per[p].end_us, a[2 * n + p] = ep->per[p].n_traces,
        a[3 * n + p] = ep->n_normal[p];
    const char *cols[] = {"periods/start_us", "periods/end_us", "periods/n_abnormal", "periods/n_normal"};
    int rc = 0;
    for (int i = 0; i < 4 && !rc; i++) rc = h5_column(f, cols[i], H5T_NATIVE_INT64, n, mine, a + i * n, path);
    free(a);
    const char *scol[] = {"periods/service", "periods/fault_type", "periods/note", "periods/source"};
    size_t width[] = {sizeof ep->label->service, sizeof ep->label->fault_type, sizeof ep->label->note,
                      sizeof ep->label->source};
    for (int i = 0; i < 4 && !rc; i++) {
        char *s = le_calloc((size_t)n, width[i]);
        for (int64_t p = 0; p < n; p++) {
            const le_period_label *l = &ep->label[p];
            const char *v = i == 0 ? l->service : i == 1 ? l->fault_type : i == 2 ? l->note : l->source;
            memcpy(s + (size_t)p * width[i], v, strlen(v));
        }
        hid_t t = le_h5_strtype(width[i]);
        rc = h5_column(f, scol[i], t, n, mine, s, path);
        H5Tclose(t);
        free(s);
    }
    return rc;
}

static int h5_attrs(hid_t f, const le_corpus *c, const ex_opts *o, const ex_periods *ep, int64_t confirmed)
{
    int rc = le_h5_attr_str(f, "schema", "labelease-dataset");
    if (!rc) rc = le_h5_attr_i64(f, "schema_version", 1);
    if (!rc) rc = le_h5_attr_str(f, "corpus", o->corpus);
    if (!rc) rc = le_fp_write_attr(f, c->meta.fingerprint);
    if (!rc) rc = le_h5_attr_str(f, "labels", o->labels);
    if (!rc) rc = le_h5_attr_str(f, "rootcause", o->rc ? o->rc : "");
    if (!rc) rc = le_h5_attr_i64(f, "n_traces", c->meta.n_traces);
    if (!rc) rc = le_h5_attr_i64(f, "n_periods", ep->n);
    if (!rc) rc = le_h5_attr_i64(f, "n_confirmed", confirmed);
    hid_t g1 = H5Gcreate2(f, "traces", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          g2 = H5Gcreate2(f, "periods", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g1), H5Gclose(g2);
    return rc;
}

/* Collective: dataset.h5 and traces.csv, written together in the second
 * pass over the shard. */
static int write_dataset(le_corpus *c, const ex_opts *o, const ex_periods *ep, const ex_shard *s, ex_chunk *ch,
                         const ex_sizes *z, int64_t confirmed)
{
    char path[4200], csv_path[4200];
    snprintf(path, sizeof path, "%s/dataset.h5", o->dir);
    snprintf(csv_path, sizeof csv_path, "%s/traces.csv", o->dir);
    le_h5_quiet();
    hid_t fapl = le_h5_fapl(le_world.comm), f;
    int created = le_h5_create(le_world.comm, path, "the dataset file", fapl, &f);
    H5Pclose(fapl);
    if (created) return created;
    ex_columns x = {{-1, -1, -1, -1, -1, -1}, {-1}};
    int rc = h5_attrs(f, c, o, ep, confirmed);
    if (!rc) rc = le_agree(create_columns(f, c->meta.n_traces, z->id_len, path, &x));
    MPI_File fh;
    if (!rc) rc = le_agree(open_csv(csv_path, &fh));
    if (!rc) {
        rc = write_rows(c, o, ep, s, ch, z, fh, &x);
        int crc = LE_MPI_RC(MPI_File_close(&fh)); /* collective: every rank closes, a failed writer too */
        rc = rc ? rc : crc;
    }
    close_columns(&x);
    if (!rc) rc = h5_periods(f, ep, path);
    return le_h5_finish(le_world.comm, f, path, rc);
}

static int write_small(const char *dir, const ex_opts *o, const ex_periods *ep, int64_t n_traces, int64_t n_abn)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/periods.csv", dir);
    FILE *f = fopen(path, "w");
    if (!f) return le_fail(LE_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    fputs("period,start_us,end_us,n_abnormal,n_normal,service,fault_type,note,source\n", f);
    for (int64_t p = 0; p < ep->n; p++) {
        const le_period_label *l = &ep->label[p];
        fprintf(f, "%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",%" PRId64 ",", p, ep->per[p].start_us, ep->per[p].end_us,
                ep->per[p].n_traces, ep->n_normal[p]);
        const char *v[] = {l->service, l->fault_type, l->note, l->source};
        for (int i = 0; i < 4; i++) {
            le_csv_write_field(f, v[i]);
            fputc(i < 3 ? ',' : '\n', f);
        }
    }
    if (fclose(f)) return le_h5_write_error(path, "(close)", errno);
    snprintf(path, sizeof path, "%s/dataset.json", dir);
    if (!(f = fopen(path, "w"))) return le_fail(LE_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    fputs("{\"schema\":\"labelease-dataset\",\"schema_version\":1,\"corpus\":", f);
    le_json_string(f, o->corpus, SIZE_MAX);
    fputs(",\"labels\":", f);
    le_json_string(f, o->labels, SIZE_MAX);
    fprintf(f,
            ",\"n_traces\":%" PRId64 ",\"n_abnormal\":%" PRId64
            ",\"files\":{\"traces\":\"traces.csv\",\"periods\":\"periods.csv\",\"hdf5\":\"dataset.h5\"},\n\"periods\":[",
            n_traces, n_abn);
    for (int64_t p = 0; p < ep->n; p++) {
        const le_period_label *l = &ep->label[p];
        fprintf(f,
                "%s\n{\"period\":%" PRId64 ",\"start_us\":%" PRId64 ",\"end_us\":%" PRId64 ",\"n_abnormal\":%" PRId64
                ",\"n_normal\":%" PRId64 ",\"service\":",
                p ? "," : "", p, ep->per[p].start_us, ep->per[p].end_us, ep->per[p].n_traces, ep->n_normal[p]);
        le_json_string(f, l->service, sizeof l->service);
        fputs(",\"fault_type\":", f);
        le_json_string(f, l->fault_type, sizeof l->fault_type);
        fputs(",\"note\":", f);
        le_json_string(f, l->note, sizeof l->note);
        fputs(",\"source\":", f);
        le_json_string(f, l->source, sizeof l->source);
        fputc('}', f);
    }
    fputs("]}\n", f);
    if (fclose(f)) return le_h5_write_error(path, "(close)", errno);
    return 0;
}

static int prepare(const ex_opts *o, le_corpus *c, ex_periods *ep, int64_t *confirmed)
{
    int made = le_world.rank == 0 && mkdir(o->dir, 0777) && errno != EEXIST
                   ? le_fail(LE_ERR_IO, "%s: cannot create the directory: %s", o->dir, strerror(errno))
                   : 0;
    LE_CHECK(le_agree(made)); /* before the collective reads: the others must not wait for rank 0 */
    return load_periods(o, c, ep, confirmed);
}

/* Collective: every file of the dataset into o->dir. */
static int export_all(const ex_opts *o, le_corpus *c, ex_periods *ep, int64_t *confirmed, ex_sizes *z)
{
    LE_CHECK(le_agree(prepare(o, c, ep, confirmed)));
    ex_shard s;
    int rc = plan_shard(c, o, &s);
    if (rc) return le_labelsfile_close_reader(&s.labels), rc;
    ex_chunk ch;
    chunk_alloc(&ch, s.t1 - s.t0 < o->chunk ? (s.t1 > s.t0 ? s.t1 - s.t0 : 1) : o->chunk);
    double t = MPI_Wtime();
    rc = measure_rows(c, ep, &s, &ch, z);
    if (!rc)
        le_info("export: first pass over %lld traces, %lld steps of %lld a rank (%.1f s)", (long long)c->meta.n_traces,
                (long long)s.steps, (long long)s.chunk, MPI_Wtime() - t);
    if (!rc) rc = write_dataset(c, o, ep, &s, &ch, z, *confirmed);
    chunk_free(&ch);
    le_labelsfile_close_reader(&s.labels);
    if (!rc) rc = le_agree(le_world.rank == 0 ? write_small(o->dir, o, ep, c->meta.n_traces, z->abnormal) : 0);
    return rc;
}

/* The files export writes into DIR. */
static const char *const ex_files[] = {"dataset.h5", "traces.csv", "periods.csv", "dataset.json"};
enum { EX_NFILES = sizeof ex_files / sizeof *ex_files };

/* Neither DIR nor a file export writes into it may be an input. */
static int refuse_overwrites(const ex_opts *o)
{
    const char *const inputs[] = {o->corpus, o->labels, o->rc, o->csv};
    return le_refuse_input_in_dir("-o", o->dir, ex_files, EX_NFILES, inputs, 4);
}

/* 1 when DIR holds nothing but export's files (a dataset written before). */
static int only_ours(const char *dir)
{
    DIR *d = opendir(dir);
    if (!d) return 0;
    int ours = 1;
    for (struct dirent *e; ours && (e = readdir(d));) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        int k = 0;
        while (k < EX_NFILES && strcmp(e->d_name, ex_files[k])) k++;
        ours = k < EX_NFILES;
    }
    closedir(d);
    return ours;
}

static int move_files(const char *from, const char *to)
{
    char a[4400], b[4400];
    for (int k = 0; k < EX_NFILES; k++) {
        snprintf(a, sizeof a, "%s/%s", from, ex_files[k]);
        snprintf(b, sizeof b, "%s/%s", to, ex_files[k]);
        if (rename(a, b) && errno != ENOENT) return le_fail(LE_ERR_IO, "cannot rename %s to %s: %s", a, b, strerror(errno));
    }
    return 0;
}

/* A failed export leaves no DIR.partial behind (a full disk, say). */
static void discard_dir(const char *partial)
{
    char f[4400];
    for (int k = 0; k < EX_NFILES; k++) snprintf(f, sizeof f, "%s/%s", partial, ex_files[k]), unlink(f);
    rmdir(partial);
}

/* DIR appears complete or not at all (a killed export leaves DIR.partial):
 * the files are written into DIR.partial, which then takes DIR's place; an
 * older DIR holding only an earlier export is moved aside and removed. A DIR
 * that holds other files too (export -o into a shared directory) gets the
 * files renamed in one by one instead, and keeps the rest. */
static int publish_dir(const char *partial, const char *dir)
{
    struct stat sb;
    if (!stat(dir, &sb) && !only_ours(dir)) {
        LE_CHECK(move_files(partial, dir));
        rmdir(partial);
        return 0;
    }
    char old[4300];
    snprintf(old, sizeof old, "%s.old%ld", dir, (long)getpid());
    int moved = !stat(dir, &sb);
    if (moved && rename(dir, old)) return le_fail(LE_ERR_IO, "cannot move %s aside to %s: %s", dir, old, strerror(errno));
    if (rename(partial, dir)) return le_fail(LE_ERR_IO, "cannot rename %s to %s: %s", partial, dir, strerror(errno));
    if (moved) {
        char f[4400];
        for (int k = 0; k < EX_NFILES; k++) snprintf(f, sizeof f, "%s/%s", old, ex_files[k]), unlink(f);
        rmdir(old);
    }
    return 0;
}

int le_cmd_export(int argc, char **argv)
{
    ex_opts o;
    int rc = parse(argc, argv, &o);
    if (!rc) rc = refuse_overwrites(&o);
    if (rc) return rc < 0 ? 0 : rc;
    char final[4000], partial[4096];
    snprintf(final, sizeof final, "%s", o.dir);
    for (size_t k = strlen(final); k > 1 && final[k - 1] == '/';) final[--k] = 0;
    snprintf(partial, sizeof partial, "%s.partial", final);
    o.dir = partial;
    le_corpus *c = NULL;
    rc = le_agree(le_corpus_open(le_world.comm, o.corpus, &c));
    if (rc) return le_corpus_close(c), rc;
    ex_periods ep = {0};
    ex_sizes z = {0};
    int64_t confirmed = 0;
    rc = export_all(&o, c, &ep, &confirmed, &z);
    if (!rc) rc = le_agree(le_world.rank == 0 ? publish_dir(partial, final) : 0);
    if (rc && le_world.rank == 0) discard_dir(partial);
    o.dir = final;
    if (!rc) {
        le_report_begin();
        le_report_int("traces", c->meta.n_traces);
        le_report_int("abnormal", z.abnormal);
        le_report_int("periods", ep.n);
        le_report_int("confirmed", confirmed);
        le_report_int("suggested", o.rc ? ep.n - confirmed : 0);
        le_report_str("output", o.dir);
        rc = le_report_rank_peak_rss(); /* collective: every rank is here */
        le_report_end();
    }
    void *all[] = {ep.per, ep.n_normal, ep.label};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
    le_corpus_close(c);
    return rc;
}
