/* labelease export: the labeled dataset a user takes away (docs/dataset.md):
 * per-trace labels and confidence with the fault period each trace falls
 * in, and the periods with their root-cause service and fault type, as HDF5
 * (dataset.h5), CSV (traces.csv, periods.csv) and JSON (dataset.json).
 * Trace rows are written collectively: each rank formats its shard and
 * writes at an offset from one exclusive scan, in HDF5 and in the CSV. */
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
    "  -o, --output DIR   directory to write (created if absent)\n" LE_COMMON_HELP
    "\n"
    "example:\n"
    "  mpirun -np 2 labelease export corpus.h5 labels.h5 rootcause.h5 rootcause-labels.csv -o dataset/\n";

typedef struct ex_opts {
    const char *corpus, *labels, *rc, *csv, *dir;
} ex_opts;

static int ends_with(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && !strcmp(s + a - b, suffix);
}

static int parse(int argc, char **argv, ex_opts *o)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'}, LE_COMMON_LONGOPTS, {0}};
    *o = (ex_opts){0};
    int c;
    optind = 0; /* 0, not 1: glibc then resets all its state (commands may run in-process) */
    while ((c = getopt_long(argc, argv, "o:vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        if (c == 'h') return le_usage(usage, 0) ? LE_ERR_USAGE : -1;
        if (c == 'o')
            o->dir = optarg;
        else
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
            free(csv);
            le_rc_free(&rc);
            return le_fail(LE_ERR_FORMAT, "%s: period %lld [%lld, %lld] is not a period of %s", o->csv,
                           (long long)csv[i].period, (long long)csv[i].start_us, (long long)csv[i].end_us, o->rc);
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

/* Write this rank's bytes at its offset in path (collective). */
static int write_at(const char *path, const char *buf, int64_t len)
{
    int64_t off = 0;
    LE_MPI(MPI_Exscan(&len, &off, 1, MPI_INT64_T, MPI_SUM, le_world.comm));
    if (le_world.rank == 0) off = 0;
    MPI_File fh;
    if (le_world.rank == 0) remove(path);
    LE_MPI(MPI_Barrier(le_world.comm));
    LE_MPI(MPI_File_open(le_world.comm, path, MPI_MODE_CREATE | MPI_MODE_WRONLY, MPI_INFO_NULL, &fh));
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
    int crc = LE_MPI_RC(MPI_File_close(&fh)); /* collective: every rank closes, a failed writer too */
    return rc ? rc : crc;
}

typedef struct ex_rows {
    int64_t t0, n;
    char *ids;      /* [n * id_len] NUL-padded: dataset.h5 stores fixed-length ids */
    int32_t id_len; /* the longest id of the corpus + 1 (ids are capped: LE_TRACE_ID_MAX) */
    int64_t *start;
    int8_t *label, *given;
    float *conf;
    int64_t *period;
} ex_rows;

/* Collective: the block's ids at the width of the corpus's longest. */
static int pad_ids(const le_corpus_block *b, ex_rows *r)
{
    int32_t w = 1;
    for (int64_t t = 0; t < b->n_traces; t++)
        if ((int32_t)le_block_id_len(b, t) + 1 > w) w = (int32_t)le_block_id_len(b, t) + 1;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &w, 1, MPI_INT32_T, MPI_MAX, le_world.comm));
    r->id_len = w;
    r->ids = le_calloc((size_t)(b->n_traces ? b->n_traces : 1), (size_t)w);
    for (int64_t t = 0; t < b->n_traces; t++) memcpy(r->ids + t * w, le_block_id(b, t), le_block_id_len(b, t));
    return 0;
}

static int read_rows(le_corpus *c, const ex_opts *o, const ex_periods *ep, ex_rows *r)
{
    int64_t t1;
    LE_CHECK(le_corpus_shard(c, le_world.comm, &r->t0, &t1));
    r->n = t1 - r->t0;
    size_t n = (size_t)(r->n ? r->n : 1);
    r->label = le_malloc(n), r->given = le_malloc(n), r->conf = le_malloc(n * sizeof(float));
    r->period = le_malloc(n * sizeof(int64_t));
    le_labelsfile_info info;
    int rc = le_labelsfile_read(le_world.comm, o->labels, c->meta.n_traces, r->t0, r->n, r->label, r->conf, r->given, &info);
    if (!rc) rc = le_fp_check(o->labels, info.corpus_fp, info.corpus, o->corpus, c->meta.fingerprint);
    le_corpus_block b;
    if (!rc) rc = le_corpus_read_block(c, r->t0, t1, &b);
    LE_CHECK(le_agree(rc)); /* a corrupt block stops every rank; pad_ids is collective */
    rc = pad_ids(&b, r);
    r->start = b.trace_start_us, b.trace_start_us = NULL;
    le_block_free(&b);
    LE_CHECK(rc);
    for (int64_t t = 0; t < r->n; t++) r->period[t] = le_periods_find(ep->per, ep->n, r->start[t]);
    return 0;
}

static int write_traces_csv(const char *dir, const ex_rows *r)
{
    char path[4200], *buf = NULL;
    size_t cap = 0, len = 0;
    snprintf(path, sizeof path, "%s/traces.csv", dir);
    if (le_world.rank == 0) {
        static const char head[] = "trace_id,start_us,label,confidence,given,period\n";
        LE_RESERVE(buf, cap, sizeof head);
        memcpy(buf, head, sizeof head - 1), len = sizeof head - 1;
    }
    for (int64_t t = 0; t < r->n; t++) {
        const char *id = r->ids + t * r->id_len;
        size_t idn = strnlen(id, (size_t)r->id_len);
        LE_RESERVE(buf, cap, len + le_csv_field_max(idn) + 96);
        len += le_csv_format_field(buf + len, id, idn);
        len += (size_t)sprintf(buf + len, ",%" PRId64 ",%s,%.6g,%d,%" PRId64 "\n", r->start[t],
                               r->label[t] == 1 ? "abnormal" : "normal", (double)r->conf[t], r->given[t], r->period[t]);
    }
    int rc = write_at(path, buf, (int64_t)len);
    free(buf);
    return rc;
}

static int h5_column(hid_t f, const char *name, hid_t type, int64_t total, const ex_rows *r, const void *buf,
                     const char *path)
{
    hid_t d = le_h5_create_1d(f, name, type, total, 1);
    LE_H5(d, "%s: cannot create %s", path, name);
    char what[4300];
    snprintf(what, sizeof what, "%s: %s", path, name);
    int rc = le_h5_write_1d(d, type, r->t0, r->n, buf, what);
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
    ex_rows r0 = {.t0 = 0, .n = mine};
    int rc = 0;
    for (int i = 0; i < 4 && !rc; i++) rc = h5_column(f, cols[i], H5T_NATIVE_INT64, n, &r0, a + i * n, path);
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
        rc = h5_column(f, scol[i], t, n, &r0, s, path);
        H5Tclose(t);
        free(s);
    }
    return rc;
}

static int write_h5(const char *dir, const le_corpus *c, const ex_opts *o, const ex_periods *ep, const ex_rows *r,
                    int64_t confirmed)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/dataset.h5", dir);
    le_h5_quiet();
    hid_t fapl = le_h5_fapl(le_world.comm), f;
    int created = le_h5_create(le_world.comm, path, "the dataset file", fapl, &f);
    H5Pclose(fapl);
    if (created) return created;
    int64_t N = c->meta.n_traces;
    int rc = le_h5_attr_str(f, "schema", "labelease-dataset");
    if (!rc) rc = le_h5_attr_i64(f, "schema_version", 1);
    if (!rc) rc = le_h5_attr_str(f, "corpus", o->corpus);
    if (!rc) rc = le_fp_write_attr(f, c->meta.fingerprint);
    if (!rc) rc = le_h5_attr_str(f, "labels", o->labels);
    if (!rc) rc = le_h5_attr_str(f, "rootcause", o->rc ? o->rc : "");
    if (!rc) rc = le_h5_attr_i64(f, "n_traces", N);
    if (!rc) rc = le_h5_attr_i64(f, "n_periods", ep->n);
    if (!rc) rc = le_h5_attr_i64(f, "n_confirmed", confirmed);
    hid_t g1 = H5Gcreate2(f, "traces", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT),
          g2 = H5Gcreate2(f, "periods", H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    H5Gclose(g1), H5Gclose(g2);
    hid_t idt = le_h5_strtype((size_t)r->id_len);
    if (!rc) rc = h5_column(f, "traces/trace_id", idt, N, r, r->ids, path);
    H5Tclose(idt);
    if (!rc) rc = h5_column(f, "traces/start_us", H5T_NATIVE_INT64, N, r, r->start, path);
    if (!rc) rc = h5_column(f, "traces/label", H5T_NATIVE_INT8, N, r, r->label, path);
    if (!rc) rc = h5_column(f, "traces/confidence", H5T_NATIVE_FLOAT, N, r, r->conf, path);
    if (!rc) rc = h5_column(f, "traces/given", H5T_NATIVE_INT8, N, r, r->given, path);
    if (!rc) rc = h5_column(f, "traces/period", H5T_NATIVE_INT64, N, r, r->period, path);
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

static int run(const ex_opts *o, le_corpus *c, ex_periods *ep, ex_rows *r, int64_t *confirmed)
{
    int made = le_world.rank == 0 && mkdir(o->dir, 0777) && errno != EEXIST
                   ? le_fail(LE_ERR_IO, "%s: cannot create the directory: %s", o->dir, strerror(errno))
                   : 0;
    LE_CHECK(le_agree(made)); /* before the collective reads: the others must not wait for rank 0 */
    LE_CHECK(load_periods(o, c, ep, confirmed));
    LE_CHECK(read_rows(c, o, ep, r));
    return 0;
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
    ex_rows r = {0};
    int64_t confirmed = 0, n_abn = 0;
    rc = le_agree(run(&o, c, &ep, &r, &confirmed));
    if (!rc) rc = le_agree(write_traces_csv(o.dir, &r));
    if (!rc) rc = le_agree(write_h5(o.dir, c, &o, &ep, &r, confirmed));
    for (int64_t t = 0; t < r.n; t++) n_abn += r.label[t] == 1;
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &n_abn, 1, MPI_INT64_T, MPI_SUM, le_world.comm));
    if (!rc) rc = le_agree(le_world.rank == 0 ? write_small(o.dir, &o, &ep, c->meta.n_traces, n_abn) : 0);
    if (!rc) rc = le_agree(le_world.rank == 0 ? publish_dir(partial, final) : 0);
    if (rc && le_world.rank == 0) discard_dir(partial);
    o.dir = final;
    if (!rc) {
        le_report_begin();
        le_report_int("traces", c->meta.n_traces);
        le_report_int("abnormal", n_abn);
        le_report_int("periods", ep.n);
        le_report_int("confirmed", confirmed);
        le_report_int("suggested", o.rc ? ep.n - confirmed : 0);
        le_report_str("output", o.dir);
        rc = le_report_rank_peak_rss(); /* collective: every rank is here */
        le_report_end();
    }
    void *all[] = {ep.per, ep.n_normal, ep.label, r.ids, r.start, r.label, r.given, r.conf, r.period};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
    le_corpus_close(c);
    return rc;
}
