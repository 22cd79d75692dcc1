/* labelease info FILE.h5: what a labelease file holds. For a corpus, every
 * rank scans its shard in bounded chunks and one reduction combines them. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "corpus.h"
#include "driver.h"

static const char usage[] =
    "usage: labelease info FILE.h5 [--json] [--faults]\n"
    "\n"
    "Summarise a labelease HDF5 file. For a trace corpus: traces, spans, services,\n"
    "operations, the time range, spans per trace, error spans and, when the corpus\n"
    "has ground truth, abnormal_traces and faults. Runs on any number of ranks;\n"
    "each rank scans its shard (balanced by span count) in chunks.\n"
    "\n"
    "options:\n"
    "  --faults        also list every fault (service, type, start, end)\n"
    "  --chunk N       traces read at a time per rank (default 65536)\n" LE_COMMON_HELP
    "\n"
    "example:\n"
    "  mpirun -np 2 labelease info corpus.h5\n";

typedef struct scan {
    int64_t t_min, t_max;          /* earliest span start, latest span end (us) */
    int64_t max_spans;             /* largest trace */
    int64_t error_spans;
    int64_t error_traces;          /* traces with at least one error span */
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
            if (b->label[t] == LE_LABEL_ABNORMAL) s->abnormal++;
            else if (b->label[t] == LE_LABEL_NORMAL) s->normal++;
            else s->unlabeled++;
        }
    }
}

static int scan_shard(le_corpus *c, int64_t chunk, scan *s)
{
    int64_t t0, t1;
    LE_CHECK(le_corpus_shard(c, le_world.comm, &t0, &t1));
    for (int64_t a = t0; a < t1; a += chunk) {
        le_corpus_block b;
        LE_CHECK(le_corpus_read_block(c, a, a + chunk < t1 ? a + chunk : t1, &b));
        scan_block(&b, s);
        le_block_free(&b);
    }
    return 0;
}

static void iso_time(int64_t us, char *buf, size_t cap)
{
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, cap - n, ".%06lldZ", (long long)(us % 1000000 + (us % 1000000 < 0 ? 1000000 : 0)));
}

static void report_faults(const le_corpus_meta *m)
{
    for (int32_t i = 0; i < m->n_faults; i++) {
        const le_fault *f = &m->faults[i];
        char key[32], start[40], val[512];
        iso_time(f->start_us, start, sizeof start);
        snprintf(key, sizeof key, "fault_%d", i);
        int n = snprintf(val, sizeof val, "%s %s start=%s duration_s=%.1f", f->service_name, f->type, start,
                         (double)(f->end_us - f->start_us) / 1e6);
        if (f->intensity > 0 && n > 0 && (size_t)n < sizeof val) snprintf(val + n, sizeof val - (size_t)n, " intensity=%.2f", f->intensity);
        le_report_str(key, val);
    }
}

static int info_corpus(le_corpus *c, const char *path, int64_t chunk, int list_faults)
{
    const le_corpus_meta *m = &c->meta;
    scan s = {.t_min = INT64_MAX, .t_max = INT64_MIN};
    int rc = le_agree(scan_shard(c, chunk, &s));
    if (rc) return rc;
    int64_t mins[1] = {s.t_min}, maxs[2] = {s.t_max, s.max_spans};
    int64_t sums[5] = {s.error_spans, s.error_traces, s.abnormal, s.normal, s.unlabeled};
    MPI_Allreduce(MPI_IN_PLACE, mins, 1, MPI_INT64_T, MPI_MIN, le_world.comm);
    MPI_Allreduce(MPI_IN_PLACE, maxs, 2, MPI_INT64_T, MPI_MAX, le_world.comm);
    MPI_Allreduce(MPI_IN_PLACE, sums, 5, MPI_INT64_T, MPI_SUM, le_world.comm);

    le_report_begin();
    le_report_str("file", path);
    le_report_str("kind", "corpus");
    le_report_int("schema_version", LE_CORPUS_VERSION);
    le_report_str("source", m->source);
    le_report_int("traces", m->n_traces);
    le_report_int("spans", m->n_spans);
    le_report_int("services", m->n_services);
    le_report_int("operations", m->n_operations);
    if (m->n_spans > 0) {
        char a[40], b[40];
        iso_time(mins[0], a, sizeof a);
        iso_time(maxs[0], b, sizeof b);
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
        le_report_int("faults", m->n_faults);
        if (list_faults) report_faults(m);
    }
    le_report_end();
    return 0;
}

int le_cmd_info(int argc, char **argv)
{
    static const struct option opts[] = {{"faults", no_argument, 0, 'f'}, {"chunk", required_argument, 0, 'c'}, LE_COMMON_LONGOPTS, {0}};
    int list_faults = 0, c;
    int64_t chunk = 65536;
    optind = 1;
    while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        if (c == 'h') return le_usage(usage, 0);
        if (c == 'f') list_faults = 1;
        else if (c == 'c') LE_CHECK(le_parse_count("--chunk", optarg, &chunk));
        else return le_usage(usage, 1);
    }
    if (optind + 1 != argc) return le_usage(usage, 1);
    if (chunk < 1) return le_fail(LE_ERR_USAGE, "--chunk must be at least 1");
    const char *path = argv[optind];
    le_corpus *corpus = NULL;
    int rc = le_agree(le_corpus_open(le_world.comm, path, &corpus));
    if (rc) return rc;
    rc = info_corpus(corpus, path, chunk, list_faults);
    le_corpus_close(corpus);
    return rc;
}
