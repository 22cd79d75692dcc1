/* labelease eval: score per-trace labels against the corpus ground truth
 * (abnormal is the positive class, the paper's Eq. 4). Each rank counts its
 * shard in chunks; one reduction adds the confusion counts. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "corpus.h"
#include "driver.h"
#include "labelsfile.h"

static const char usage[] =
    "usage: labelease eval CORPUS.h5 LABELS.h5 [ROOTCAUSE.h5] [options]\n"
    "\n"
    "Compare LABELS.h5 (from propagate) with the corpus ground truth: precision,\n"
    "recall and f1 with abnormal as the positive class, labeled (labels a person\n"
    "gave), and the confusion counts. Traces whose truth is unknown are skipped.\n"
    "ROOTCAUSE.h5 is accepted and not yet scored (issue #6).\n"
    "\n"
    "options:\n"
    "  --chunk N       traces read at a time per rank (default 65536)\n" LE_COMMON_HELP
    "\n"
    "example:\n"
    "  mpirun -np 2 labelease eval corpus.h5 labels.h5\n";

enum { TP, FP, FN, TN, SKIPPED, NCOUNT };

static int count_shard(le_corpus *c, const char *path, int64_t chunk, int64_t counts[NCOUNT], le_labelsfile_info *info)
{
    int64_t t0, t1;
    LE_CHECK(le_corpus_shard(c, le_world.comm, &t0, &t1));
    int8_t *mine = le_malloc((size_t)(t1 - t0 ? t1 - t0 : 1));
    LE_CHECK(le_labelsfile_read(le_world.comm, path, c->meta.n_traces, t0, t1 - t0, mine, NULL, NULL, info));
    for (int64_t a = t0; a < t1; a += chunk) {
        le_corpus_block b;
        int64_t e = a + chunk < t1 ? a + chunk : t1;
        LE_CHECK(le_corpus_read_block(c, a, e, &b));
        for (int64_t t = 0; t < b.n_traces; t++) {
            int truth = b.label[t], got = mine[a - t0 + t] == LE_LABEL_ABNORMAL;
            if (truth == LE_LABEL_UNKNOWN) counts[SKIPPED]++;
            else if (truth == LE_LABEL_ABNORMAL) counts[got ? TP : FN]++;
            else counts[got ? FP : TN]++;
        }
        le_block_free(&b);
    }
    free(mine);
    return 0;
}

static double ratio(int64_t a, int64_t b) { return b ? (double)a / (double)b : 0; }

int le_cmd_eval(int argc, char **argv)
{
    static const struct option opts[] = {{"chunk", required_argument, 0, 'c'}, LE_COMMON_LONGOPTS, {0}};
    int64_t chunk = 65536;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        if (c == 'h') return le_usage(usage, 0);
        if (c == 'c') LE_CHECK(le_parse_count("--chunk", optarg, &chunk));
        else return le_usage(usage, 1);
    }
    if (optind + 2 != argc && optind + 3 != argc) return le_usage(usage, 1);
    if (chunk < 1) return le_fail(LE_ERR_USAGE, "--chunk must be at least 1");
    const char *cpath = argv[optind], *lpath = argv[optind + 1];
    if (optind + 3 == argc) le_warn("%s: root-cause scoring is not built yet (issue #6); ignored\n", argv[optind + 2]);
    le_corpus *corpus = NULL;
    int rc = le_agree(le_corpus_open(le_world.comm, cpath, &corpus));
    if (rc) return rc;
    if (!corpus->meta.has_ground_truth) {
        le_corpus_close(corpus);
        return le_agree(le_fail(LE_ERR_USAGE, "%s has no ground truth to score against", cpath));
    }
    int64_t k[NCOUNT] = {0};
    le_labelsfile_info info = {0};
    rc = le_agree(count_shard(corpus, lpath, chunk, k, &info));
    if (!rc) {
        MPI_Allreduce(MPI_IN_PLACE, k, NCOUNT, MPI_INT64_T, MPI_SUM, le_world.comm);
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
        le_report_end();
    }
    le_corpus_close(corpus);
    return rc;
}
