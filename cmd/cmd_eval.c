/* labelease eval: score per-trace labels against the corpus ground truth
 * (abnormal is the positive class, the paper's Eq. 4). Each rank counts its
 * shard in chunks; one reduction adds the confusion counts. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "driver.h"
#include "fingerprint.h"
#include "labelsfile.h"
#include "rcfile.h"

static const char usage[] =
    "usage: labelease eval CORPUS.h5 LABELS.h5 [ROOTCAUSE.h5] [options]\n"
    "\n"
    "Compare LABELS.h5 (from propagate) with the corpus ground truth: precision,\n"
    "recall and f1 with abnormal as the positive class, labeled (labels a person\n"
    "gave), and the confusion counts. Traces whose truth is unknown are skipped.\n"
    "A corpus with a fault list but no per-trace labels is scored against its\n"
    "visible truth (docs/rootcause.md: the trace starts in a fault's window and a\n"
    "span of the faulty service shows the fault; truth: visible in the report).\n"
    "With ROOTCAUSE.h5 (from rootcause), against the corpus fault list:\n"
    "period_precision and period_recall (point-wise over traces, point-adjusted),\n"
    "and hr@1, hr@3, hr@5 of the injected service in the ranking of the period\n"
    "that overlaps each fault most (docs/rootcause.md).\n"
    "\n"
    "options:\n"
    "  --truth T       for a fault-list corpus: visible (default) or approximate (every\n"
    "                  trace that starts in a fault's window and passes through the\n"
    "                  faulty service is abnormal)\n"
    "  --chunk N       traces read at a time per rank (default 65536)\n"
    "  -v              also each fault's visible traces and chance rate\n" LE_COMMON_HELP
    "\n"
    "example:\n"
    "  mpirun -np 2 labelease eval corpus.h5 labels.h5\n";

enum { TP, FP, FN, TN, SKIPPED, NCOUNT };

static int count_shard(le_corpus *c, const char *path, int64_t chunk, int approximate, int64_t counts[NCOUNT],
                       le_labelsfile_info *info, int *kinds)
{
    int64_t t0, t1;
    LE_CHECK(le_corpus_shard(c, le_world.comm, &t0, &t1));
    int8_t *mine = le_malloc((size_t)(t1 - t0));
    int rc = le_labelsfile_read(le_world.comm, path, c->meta.n_traces, t0, t1 - t0, mine, NULL, NULL, info);
    if (!rc) rc = le_fp_check(path, info->corpus_fp, info->corpus, c->path, c->meta.fingerprint);
    for (int64_t a = t0; !rc && a < t1; a += chunk) {
        le_corpus_block b;
        int64_t e = a + chunk < t1 ? a + chunk : t1;
        if ((rc = le_corpus_read_block(c, a, e, &b))) break;
        for (int64_t t = 0; t < b.n_traces; t++) {
            int truth = le_trace_truth(&c->meta, &b, t, approximate, kinds), got = mine[a - t0 + t] == LE_LABEL_ABNORMAL;
            if (truth == LE_LABEL_UNKNOWN)
                counts[SKIPPED]++;
            else if (truth == LE_LABEL_ABNORMAL)
                counts[got ? TP : FN]++;
            else
                counts[got ? FP : TN]++;
        }
        le_block_free(&b);
    }
    free(mine);
    return rc;
}

static double ratio(int64_t a, int64_t b) { return b ? (double)a / (double)b : 0; }

/* ---- root cause (issue #6): periods against the fault list, hit rates ---- */

typedef struct rc_scores {
    double precision, recall, hr[3], hr_all[3];
    int64_t faults, faults_visible, faults_found, faults_ranked, periods, periods_matched;
} rc_scores;

/* Point-wise over traces: a trace is a point, truly positive when it starts
 * inside a fault's window, predicted when it starts inside a period. Point
 * adjustment (the paper's PA): a fault with any predicted point counts all
 * its points as found. pt[2f] = points of fault f, pt[2f+1] = predicted ones,
 * pt[2F] = predicted points outside every fault. */
static int rc_points(le_corpus *c, const le_rc *rc, int64_t chunk, int64_t *pt)
{
    int64_t t0, t1, F = c->meta.n_faults;
    LE_CHECK(le_corpus_shard(c, le_world.comm, &t0, &t1));
    for (int64_t a = t0; a < t1; a += chunk) {
        le_corpus_block b;
        LE_CHECK(le_corpus_read_block(c, a, a + chunk < t1 ? a + chunk : t1, &b));
        for (int64_t t = 0; t < b.n_traces; t++) {
            int64_t s = b.trace_start_us[t], f = 0;
            int pred = le_rc_period_of(rc, s) >= 0;
            /* The first fault whose window holds it: overlapping faults count once. */
            while (f < F && !(c->meta.faults[f].start_us <= s && s <= c->meta.faults[f].end_us)) f++;
            if (f < F)
                pt[2 * f]++, pt[2 * f + 1] += pred;
            else
                pt[2 * F] += pred;
        }
        le_block_free(&b);
    }
    return 0;
}

static void rc_hits(const le_corpus_meta *m, const le_rc *rc, rc_scores *r)
{
    static const int K[3] = {1, 3, 5};
    int64_t hit[3] = {0};
    for (int32_t f = 0; f < m->n_faults; f++) {
        const le_fault *x = &m->faults[f];
        /* Under the visible truth a fault that left no visible trace has
         * nothing in the traces to rank it by: a period over it is a
         * neighbour's, so it is not scored (hr@k_all_faults still counts it). */
        if (m->vis.present && x->visible_traces == 0) continue;
        r->faults_visible++;
        int64_t p = le_periods_best_overlap(rc->periods, rc->n_periods, x->start_us, x->end_us);
        if (p < 0) continue;
        r->faults_found++;
        int32_t s = -1; /* by name: the root-cause file keeps its own service table */
        for (int32_t i = 0; i < rc->n_services && s < 0; i++)
            if (!strcmp(rc->services[i], x->service_name)) s = i;
        if (s < 0) continue;
        r->faults_ranked++;
        int32_t rank = le_rc_rank_of(rc, p, s);
        for (int k = 0; k < 3; k++) hit[k] += rank >= 0 && rank < K[k];
    }
    for (int k = 0; k < 3; k++) r->hr[k] = ratio(hit[k], r->faults_ranked), r->hr_all[k] = ratio(hit[k], r->faults);
    for (int64_t p = 0; p < rc->n_periods; p++) {
        int matched = 0;
        for (int32_t f = 0; f < m->n_faults && !matched; f++)
            matched = le_overlap_us(rc->periods[p].start_us, rc->periods[p].end_us, m->faults[f].start_us,
                                    m->faults[f].end_us) > 0;
        r->periods_matched += matched;
    }
}

static int rc_score(le_corpus *c, const char *path, int64_t chunk, rc_scores *r)
{
    le_rc rc = {0};
    LE_CHECK(le_rc_read(path, &rc));
    int e = le_fp_check(path, rc.corpus_fp, rc.corpus, c->path, c->meta.fingerprint);
    if (e) return le_rc_free(&rc), e;
    int64_t F = c->meta.n_faults, *pt = le_calloc((size_t)(2 * F + 1), sizeof *pt);
    e = le_agree(rc_points(c, &rc, chunk, pt)); /* a corrupt block on one rank stops every rank */
    if (!e) e = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, pt, (int)(2 * F + 1), MPI_INT64_T, MPI_SUM, le_world.comm));
    if (!e) {
        int64_t tp = 0, fn = 0, fp = pt[2 * F];
        for (int64_t f = 0; f < F; f++) *(pt[2 * f + 1] ? &tp : &fn) += pt[2 * f];
        r->precision = ratio(tp, tp + fp), r->recall = ratio(tp, tp + fn);
        r->faults = F, r->periods = rc.n_periods;
        rc_hits(&c->meta, &rc, r);
    }
    free(pt);
    le_rc_free(&rc);
    return e;
}

static void rc_report(const rc_scores *r)
{
    le_report_int("periods", r->periods);
    le_report_int("periods_matched", r->periods_matched);
    le_report_int("faults", r->faults);
    if (r->faults_visible < r->faults) le_report_int("faults_visible", r->faults_visible);
    le_report_int("faults_found", r->faults_found);
    le_report_dbl("period_precision", r->precision);
    le_report_dbl("period_recall", r->recall);
    le_report_int("faults_ranked", r->faults_ranked);
    le_report_dbl("hr@1", r->hr[0]);
    le_report_dbl("hr@3", r->hr[1]);
    le_report_dbl("hr@5", r->hr[2]);
    le_report_dbl("hr@1_all_faults", r->hr_all[0]);
    le_report_dbl("hr@3_all_faults", r->hr_all[1]);
}

int le_cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {
        {"chunk", required_argument, 0, 'c'}, {"truth", required_argument, 0, 't'}, LE_COMMON_LONGOPTS, {0}};
    int64_t chunk = 65536;
    int c, approximate = 0;
    optind = 0; /* 0, not 1: glibc then resets all its state (commands may run in-process) */
    while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        if (c == 'h') return le_usage(usage, 0);
        if (c == 'c')
            LE_CHECK(le_parse_count("--chunk", optarg, &chunk));
        else if (c == 't')
            LE_CHECK(le_truth_option(optarg, &approximate));
        else
            return le_usage(usage, 1);
    }
    static const char *const args[] = {"CORPUS.h5", "LABELS.h5"};
    LE_CHECK(le_check_args(usage, argc - optind, argv + optind, args, 2, 3, NULL));
    if (chunk < 1) return le_fail(LE_ERR_USAGE, "--chunk must be at least 1");
    const char *cpath = argv[optind], *lpath = argv[optind + 1];
    const char *rcpath = optind + 3 == argc ? argv[optind + 2] : NULL;
    le_corpus *corpus = NULL;
    int rc = le_agree(le_corpus_open(le_world.comm, cpath, &corpus));
    if (rc) return le_corpus_close(corpus), rc;
    if (!corpus->meta.has_ground_truth) {
        le_corpus_close(corpus);
        return le_agree(le_fail(LE_ERR_USAGE, "%s has no ground truth to score against", cpath));
    }
    int64_t k[NCOUNT] = {0};
    le_labelsfile_info info = {0};
    int kinds = 0;
    rc_scores rs = {0};
    rc = le_agree(count_shard(corpus, lpath, chunk, approximate, k, &info, &kinds));
    if (!rc && rcpath) rc = le_agree(rc_score(corpus, rcpath, chunk, &rs));
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &kinds, 1, MPI_INT, MPI_BOR, le_world.comm));
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, k, NCOUNT, MPI_INT64_T, MPI_SUM, le_world.comm));
    if (!rc) {
        double p = ratio(k[TP], k[TP] + k[FP]), r = ratio(k[TP], k[TP] + k[FN]);
        le_report_begin();
        le_report_int("traces", corpus->meta.n_traces);
        le_report_dbl("precision", p);
        le_report_dbl("recall", r);
        le_report_dbl("f1", p + r > 0 ? 2 * p * r / (p + r) : 0);
        le_report_int("labeled", info.n_given);
        le_report_dbl("labeled_share", ratio(info.n_given, corpus->meta.n_traces));
        le_report_int("tp", k[TP]);
        le_report_int("fp", k[FP]);
        le_report_int("fn", k[FN]);
        le_report_int("tn", k[TN]);
        le_report_int("unknown_truth", k[SKIPPED]);
        le_report_str("truth", le_truth_name(kinds));
        if (le_log_level >= 2 && corpus->meta.n_faults) le_report_faults(&corpus->meta);
        if (rcpath) rc_report(&rs);
        rc = le_report_rank_peak_rss(); /* collective: every rank is here */
        le_report_end();
    }
    le_corpus_close(corpus);
    return rc;
}
