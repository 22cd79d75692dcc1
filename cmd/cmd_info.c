/* labelease info FILE.h5: what a labelease file holds. For a corpus, every
 * rank scans its shard in bounded chunks and one reduction combines them. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "corpus.h"
#include "driver.h"
#include "h5util.h"

static const char usage[] =
    "usage: labelease info FILE.h5 [--json] [--faults]\n"
    "\n"
    "Summarise a labelease HDF5 file. For a trace corpus: traces, spans, services,\n"
    "operations, the time range, spans per trace, error spans and, when the corpus\n"
    "has ground truth, abnormal_traces and faults. Runs on any number of ranks;\n"
    "each rank scans its shard (balanced by span count) in chunks. For the other\n"
    "labelease files (model, embeddings, reps, labels) and any other HDF5 file: its\n"
    "schema, root attributes and the shape of every dataset.\n"
    "\n"
    "options:\n"
    "  --faults        list every fault (service, type, start, duration) even when\n"
    "                  there are more than 64 (up to 64 are always listed)\n"
    "  --chunk N       traces read at a time per rank (default 65536)\n" LE_COMMON_HELP
    "\n"
    "example:\n"
    "  mpirun -np 2 labelease info corpus.h5\n";

typedef struct scan {
    int64_t t_min, t_max; /* earliest span start, latest span end (us) */
    int64_t max_spans;    /* largest trace */
    int64_t error_spans;
    int64_t error_traces; /* traces with at least one error span */
    int64_t abnormal, normal, unlabeled;
    int64_t max_depth;
} scan;

static void scan_block(const le_corpus_block *b, scan *s)
{
    for (int64_t t = 0; t < b->n_traces; t++) {
        int64_t lo = b->span_offset[t], hi = b->span_offset[t + 1];
        if (hi - lo > s->max_spans) s->max_spans = hi - lo;
        int any_error = 0;
        for (int64_t i = lo; i < hi; i++) {
            int64_t end = b->start_us[i] + b->duration_us[i];
            if (b->start_us[i] < s->t_min) s->t_min = b->start_us[i];
            if (end > s->t_max) s->t_max = end;
            if (b->error[i]) s->error_spans++, any_error = 1;
        }
        s->error_traces += any_error;
        if (b->label) {
            if (b->label[t] == LE_LABEL_ABNORMAL)
                s->abnormal++;
            else if (b->label[t] == LE_LABEL_NORMAL)
                s->normal++;
            else
                s->unlabeled++;
        }
    }
}

static int scan_shard(le_corpus *c, int64_t chunk, scan *s)
{
    int64_t t0, t1;
    LE_CHECK(le_corpus_shard(c, le_world.comm, &t0, &t1));
    int rc = 0;
    for (int64_t a = t0; a < t1 && !rc; a += chunk) {
        le_corpus_block b;
        rc = le_corpus_read_block(c, a, a + chunk < t1 ? a + chunk : t1, &b);
        if (!rc) scan_block(&b, s), le_block_free(&b);
    }
    return le_agree(rc); /* a corrupt block on one rank stops every rank */
}

/* A short fault list is part of the summary; a long one only on request. */
#define FAULTS_LISTED_BY_DEFAULT 64

static int info_corpus(le_corpus *c, const char *path, int64_t chunk, int list_faults)
{
    const le_corpus_meta *m = &c->meta;
    scan s = {.t_min = INT64_MAX, .t_max = INT64_MIN};
    int rc = le_agree(scan_shard(c, chunk, &s));
    if (rc) return rc;
    int64_t mins[1] = {s.t_min}, maxs[2] = {s.t_max, s.max_spans};
    int64_t sums[5] = {s.error_spans, s.error_traces, s.abnormal, s.normal, s.unlabeled};
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, mins, 1, MPI_INT64_T, MPI_MIN, le_world.comm));
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, maxs, 2, MPI_INT64_T, MPI_MAX, le_world.comm));
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, sums, 5, MPI_INT64_T, MPI_SUM, le_world.comm));

    le_report_begin();
    le_report_str("file", path);
    le_report_str("kind", "corpus");
    le_report_int("schema_version", m->version);
    le_report_str("fingerprint", m->fingerprint);
    le_report_str("source", m->source);
    le_report_int("traces", m->n_traces);
    le_report_int("spans", m->n_spans);
    le_report_int("services", m->n_services);
    le_report_int("operations", m->n_operations);
    if (m->n_spans > 0) {
        char a[40], b[40];
        le_iso_time(mins[0], a, sizeof a);
        le_iso_time(maxs[0], b, sizeof b);
        le_report_str("time_start", a);
        le_report_str("time_end", b);
        le_report_dbl("time_span_s", (double)(maxs[0] - mins[0]) / 1e6);
    }
    le_report_dbl("spans_per_trace_mean", m->n_traces ? (double)m->n_spans / (double)m->n_traces : 0);
    le_report_int("spans_per_trace_max", maxs[1]);
    le_report_int("error_spans", sums[0]);
    le_report_int("traces_with_error_span", sums[1]);
    le_report_str("ground_truth", m->has_ground_truth ? "yes" : "no");
    if (m->has_ground_truth) {
        le_report_int("abnormal_traces", sums[2]);
        le_report_int("normal_traces", sums[3]);
        le_report_int("unlabeled_traces", sums[4]);
        le_report_dbl("abnormal_share", m->n_traces ? (double)sums[2] / (double)m->n_traces : 0);
        if (m->vis.present) {
            le_report_str("fault_truth", "visible (docs/rootcause.md)");
            le_report_int("reference_traces", m->vis.ref_traces);
            le_report_dbl("reference_flagged_share",
                          m->vis.ref_traces ? (double)m->vis.ref_flagged / (double)m->vis.ref_traces : 0);
            le_report_dbl("chance_share_mean", le_vis_chance_mean(m));
        } else if (m->n_faults > 0 && sums[2] + sums[3] == 0) {
            le_report_str("fault_truth", "approximate (ingested before the visible truth: ingest again)");
        }
        le_report_int("faults", m->n_faults);
        if (list_faults || m->n_faults <= FAULTS_LISTED_BY_DEFAULT) le_report_faults(m);
    }
    le_report_end();
    return 0;
}

/* ---- any other HDF5 file: rank 0 prints attributes and dataset shapes ---- */

static herr_t report_attr(hid_t obj, const char *name, const H5A_info_t *ai, void *path)
{
    (void)ai;
    hid_t a = H5Aopen(obj, name, H5P_DEFAULT);
    hid_t t = H5Aget_type(a), sp = H5Aget_space(a);
    char key[256];
    snprintf(key, sizeof key, "attr.%s", name);
    if (H5Sget_simple_extent_npoints(sp) == 1) {
        H5T_class_t cls = H5Tget_class(t);
        if (cls == H5T_STRING) {
            char buf[1024];
            if (!le_h5_get_attr_str(obj, name, buf, sizeof buf, path)) le_report_str(key, buf);
        } else if (cls == H5T_INTEGER) {
            int64_t v;
            if (H5Aread(a, H5T_NATIVE_INT64, &v) >= 0) le_report_int(key, v);
        } else if (cls == H5T_FLOAT) {
            double v;
            if (H5Aread(a, H5T_NATIVE_DOUBLE, &v) >= 0) le_report_dbl(key, v);
        }
    }
    H5Sclose(sp);
    H5Tclose(t);
    H5Aclose(a);
    return 0;
}

static herr_t report_dataset(hid_t loc, const char *name, const H5O_info_t *oi, void *unused)
{
    (void)unused;
    if (oi->type != H5O_TYPE_DATASET) return 0;
    hid_t d = H5Dopen2(loc, name, H5P_DEFAULT);
    hid_t sp = H5Dget_space(d);
    hsize_t dims[8] = {0};
    int nd = H5Sget_simple_extent_ndims(sp);
    char key[512], val[128] = "";
    size_t n = 0;
    for (int i = 0; i < nd && i < 8; i++) {
        H5Sget_simple_extent_dims(sp, dims, NULL);
        n += (size_t)snprintf(val + n, sizeof val - n, "%s%llu", i ? " x " : "", (unsigned long long)dims[i]);
    }
    snprintf(key, sizeof key, "dataset./%s", name);
    le_report_str(key, nd ? val : "scalar");
    H5Sclose(sp);
    H5Dclose(d);
    return 0;
}

static int info_generic(const char *path, const char *schema)
{
    if (le_world.rank != 0) return 0;
    hid_t f = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
    if (f < 0) return le_fail(LE_ERR_FORMAT, "%s: HDF5 cannot open it (truncated or corrupted?)", path);
    le_report_begin();
    le_report_str("file", path);
    le_report_str("kind", !strncmp(schema, "labelease-", 10) ? schema + 10 : "hdf5");
    H5Aiterate2(f, H5_INDEX_NAME, H5_ITER_INC, NULL, report_attr, (void *)path);
    H5Ovisit(f, H5_INDEX_NAME, H5_ITER_INC, report_dataset, NULL);
    le_report_end();
    H5Fclose(f);
    return 0;
}

/* The schema attribute of the file, read by rank 0 and broadcast. */
static int file_schema(const char *path, char *schema, size_t cap)
{
    int rc = 0;
    schema[0] = 0;
    if (le_world.rank == 0) {
        le_h5_quiet();
        if (H5Fis_hdf5(path) <= 0) {
            FILE *f = fopen(path, "rb");
            rc = f ? le_fail(LE_ERR_FORMAT, "%s: not an HDF5 file (or truncated)", path)
                   : le_fail(LE_ERR_IO, "%s: cannot open (no such file or not readable)", path);
            if (f) fclose(f);
        } else {
            hid_t h = H5Fopen(path, H5F_ACC_RDONLY, H5P_DEFAULT);
            if (h < 0)
                rc = le_fail(LE_ERR_FORMAT, "%s: HDF5 cannot open it (truncated or corrupted?)", path);
            else {
                if (H5Aexists(h, "schema") > 0) le_h5_get_attr_str(h, "schema", schema, cap, path);
                H5Fclose(h);
            }
        }
    }
    LE_CHECK(le_agree(rc));
    LE_MPI(MPI_Bcast(schema, (int)cap, MPI_CHAR, 0, le_world.comm));
    return 0;
}

int le_cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {
        {"faults", no_argument, 0, 'f'}, {"chunk", required_argument, 0, 'c'}, LE_COMMON_LONGOPTS, {0}};
    int list_faults = 0, c;
    int64_t chunk = 65536;
    optind = 0; /* 0, not 1: glibc then resets all its state (commands may run in-process) */
    while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        if (c == 'h') return le_usage(usage, 0);
        if (c == 'f')
            list_faults = 1;
        else if (c == 'c')
            LE_CHECK(le_parse_count("--chunk", optarg, &chunk));
        else
            return le_usage(usage, 1);
    }
    static const char *const args[] = {"FILE.h5"};
    LE_CHECK(le_check_args(usage, argc - optind, argv + optind, args, 1, 1, NULL));
    if (chunk < 1) return le_fail(LE_ERR_USAGE, "--chunk must be at least 1");
    const char *path = argv[optind];
    char schema[128];
    LE_CHECK(file_schema(path, schema, sizeof schema));
    if (strcmp(schema, LE_CORPUS_SCHEMA)) return info_generic(path, schema);
    le_corpus *corpus = NULL;
    int rc = le_agree(le_corpus_open(le_world.comm, path, &corpus));
    if (rc) return le_corpus_close(corpus), rc;
    rc = info_corpus(corpus, path, chunk, list_faults);
    le_corpus_close(corpus);
    return rc;
}
