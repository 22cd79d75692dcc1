/* labelease rootcause: fault periods from the abnormal traces, then per
 * period and per service the SBFL spectrum, evidence and latency that rank
 * the suspects (LabelEase §III-D, §IV-B; docs/rootcause.md).
 *
 * Two streaming passes over each rank's shard. Pass A: each rank merges its
 * abnormal traces' intervals, learns which service each client operation
 * calls, and summarises latencies (Welford); rank 0 merges the gathered
 * intervals into periods and broadcasts them; summaries merge by Chan in
 * rank order. Pass B: every count of every period in one buffer, reduced
 * once; the calls between services, sparse (only the pairs that occur),
 * summed by le_allreduce_pairs. Memory is O(periods x (services +
 * operations) + calls that occur), whatever the traces. Ranks then hold
 * the same integers, so scores and the order are the same at any rank
 * count; rank 0 writes rootcause.h5 and rootcause.html. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "confweight.h"
#include "corpus.h"
#include "driver.h"
#include "exchange.h"
#include "fingerprint.h"
#include "labelsfile.h"
#include "page.h"
#include "samefile.h"
#include "periods.h"
#include "rcfile.h"
#include "sbfl.h"
#include "support.h"

static const char usage[] =
    "usage: labelease rootcause CORPUS.h5 (LABELS.h5 | --from-truth) -o ROOTCAUSE.h5 [options]\n"
    "\n"
    "Group the abnormal traces of LABELS.h5 (from propagate) into fault periods:\n"
    "time bins where abnormal traces are more than the normal share of the\n"
    "traffic explains (--periods rate, the default), runs of such bins at most\n"
    "--gap apart merged; or the paper's rule (--periods window). In each period every service gets the\n"
    "SBFL counts ef/ep/nf/np, a score, the share of abnormal traces whose own\n"
    "anomalous span points at it (evidence), its latency in the period against the\n"
    "whole corpus, and a rank (docs/rootcause.md). Writes ROOTCAUSE.h5 and the\n"
    "root-cause page beside it (ROOTCAUSE.html), where a person confirms each\n"
    "period's root cause and fault type and exports rootcause-labels.csv.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE  the root-cause file to write (required)\n"
    "  --periods P        rate (default): bins whose abnormal count is improbable\n"
    "                     (Poisson tail under --alpha) at the normal abnormal share\n"
    "                     (the larger of the bins' 0.25-quantile and the share in bins\n"
    "                     with no abnormal neighbour);\n"
    "                     window: each abnormal trace opens [start, start + --window]\n"
    "  --bin S            rate: bin width in seconds (default: about 30 traces a bin,\n"
    "                     5 to 300 s)\n"
    "  --alpha A          rate: the tail probability that makes a bin hot (default 0.01)\n"
    "  --window S         window: seconds an abnormal trace covers (default 300, the paper's)\n"
    "  --gap S            merge periods at most S seconds apart (default 0)\n"
    "  --min-traces N     abnormal traces a period needs (default 2 for rate, 1 for window)\n"
    "  --support-z Z      rate: a period's abnormal traces (confidence-weighted) must\n"
    "                     reach mu + Z sqrt(mu), mu = what its traffic holds at the\n"
    "                     normal share (0: mu). Default: more than normal traffic\n"
    "                     makes with chance --alpha anywhere in the corpus (Poisson\n"
    "                     tail under alpha / bins)\n"
    "  --counts C         confidence (default): an abnormal trace counts by its\n"
    "                     label's confidence (1 for given labels, else 1 - exp(-margin /\n"
    "                     the median abnormal margin)), a normal one 1; plain: all 1\n"
    "  --score F          ochiai (default, the paper's Eq. 3), tarantula, dstar, jaccard\n"
    "  --tie T            the implicated (evidence >= 0.5) first, deeper first; then\n"
    "                     scores within T (relative) of a group's leader are ordered\n"
    "                     by evidence and depth, not by score (default 0.2; 0: the\n"
    "                     plain score order, exact ties only)\n"
    "  --from-truth       abnormal traces from the corpus ground truth instead of a\n"
    "                     labels file (for a fault-list corpus its visible truth)\n"
    "  --truth T          with --from-truth on a fault-list corpus: visible (default)\n"
    "                     or approximate (window and faulty service alone)\n"
    "  --page FILE        where the page goes (default: ROOTCAUSE with .html)\n"
    "  --no-page          write no page\n"
    "  --chunk N          traces read at a time per rank (default 65536)\n" LE_COMMON_HELP
    "\n"
    "example:\n"
    "  mpirun -np 2 labelease rootcause corpus.h5 labels.h5 -o rootcause.h5\n";

typedef struct rc_opts {
    const char *corpus, *labels, *out, *page;
    int64_t window_s, gap_s, min_traces, chunk, bin_s;
    int formula, from_truth, no_page, approximate, window_rule, plain_counts;
    double tie, alpha, support_z;
} rc_opts;

/* Neither the rootcause file nor its page may be the corpus or the labels. */
static int refuse_overwrites(const rc_opts *o)
{
    const char *const inputs[] = {o->corpus, o->labels};
    char page[4200];
    if (o->page)
        snprintf(page, sizeof page, "%s", o->page);
    else
        le_page_path(o->out, page, sizeof page);
    LE_CHECK(le_refuse_input_as_output("-o", o->out, inputs, 2));
    return o->no_page ? 0 : le_refuse_input_as_output("--page", page, inputs, 2);
}

static int parse(int argc, char **argv, rc_opts *o)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"window", required_argument, 0, 'w'},
                                         {"gap", required_argument, 0, 'g'},
                                         {"min-traces", required_argument, 0, 'm'},
                                         {"score", required_argument, 0, 's'},
                                         {"tie", required_argument, 0, 't'},
                                         {"from-truth", no_argument, 0, 'T'},
                                         {"page", required_argument, 0, 'p'},
                                         {"no-page", no_argument, 0, 'P'},
                                         {"chunk", required_argument, 0, 'c'},
                                         {"truth", required_argument, 0, 'R'},
                                         {"periods", required_argument, 0, 'E'},
                                         {"bin", required_argument, 0, 'B'},
                                         {"alpha", required_argument, 0, 'A'},
                                         {"counts", required_argument, 0, 'C'},
                                         {"support-z", required_argument, 0, 'Z'},
                                         LE_COMMON_LONGOPTS,
                                         {0}};
    *o = (rc_opts){.window_s = 300, .min_traces = -1, .chunk = 65536, .tie = 0.2, .alpha = 0.01, .support_z = -1};
    int c;
    optind = 0; /* 0, not 1: glibc then resets all its state (commands may run in-process) */
    while ((c = getopt_long(argc, argv, "o:vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        if (c == 'h') return le_usage(usage, 0) ? LE_ERR_USAGE : -1;
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'w': LE_CHECK(le_parse_range("--window", optarg, 1, 1000000000, &o->window_s)); break;
        case 'g': LE_CHECK(le_parse_range("--gap", optarg, 0, 1000000000, &o->gap_s)); break;
        case 'm': LE_CHECK(le_parse_count("--min-traces", optarg, &o->min_traces)); break;
        case 'c': LE_CHECK(le_parse_count("--chunk", optarg, &o->chunk)); break;
        case 'T': o->from_truth = 1; break;
        case 'p': o->page = optarg; break;
        case 'P': o->no_page = 1; break;
        case 'R': LE_CHECK(le_truth_option(optarg, &o->approximate)); break;
        case 'B': LE_CHECK(le_parse_count("--bin", optarg, &o->bin_s)); break;
        case 'E':
            if (strcmp(optarg, "rate") && strcmp(optarg, "window"))
                return le_fail(LE_ERR_USAGE, "--periods '%s': rate or window", optarg);
            o->window_rule = !strcmp(optarg, "window");
            break;
        case 'A': LE_CHECK(le_parse_double("--alpha", optarg, 0, 0.5, 1, &o->alpha)); break;
        case 'Z': LE_CHECK(le_parse_double("--support-z", optarg, 0, 100, 0, &o->support_z)); break;
        case 'C':
            if (strcmp(optarg, "confidence") && strcmp(optarg, "plain"))
                return le_fail(LE_ERR_USAGE, "--counts '%s': confidence or plain", optarg);
            o->plain_counts = !strcmp(optarg, "plain");
            break;
        case 's':
            if ((o->formula = le_sbfl_parse(optarg)) < 0)
                return le_fail(LE_ERR_USAGE, "--score '%s': ochiai, tarantula, dstar or jaccard", optarg);
            break;
        case 't':
            LE_CHECK(le_parse_double("--tie", optarg, 0, 1, 0, &o->tie));
            if (o->tie >= 1) return le_fail(LE_ERR_USAGE, "--tie '%s': a number in [0, 1)", optarg);
            break;
        default: return le_usage(usage, 1);
        }
    }
    static const char *const args[] = {"CORPUS.h5", "LABELS.h5 (or --from-truth)"};
    int n_args = o->from_truth ? 1 : 2;
    LE_CHECK(le_check_args(usage, argc - optind, argv + optind, args, n_args, n_args, o->out ? NULL : "-o ROOTCAUSE.h5"));
    o->corpus = argv[optind];
    o->labels = o->from_truth ? NULL : argv[optind + 1];
    if (o->chunk < 1) return le_fail(LE_ERR_USAGE, "--chunk must be at least 1");
    if (o->min_traces < 0) o->min_traces = o->window_rule ? 1 : 2;
    if (o->min_traces < 1) o->min_traces = 1;
    return refuse_overwrites(o);
}

/* ---- the shard and what both passes share ---- */

typedef struct rc_job {
    const rc_opts *o;
    le_corpus *c;
    int32_t S, O;
    int64_t t0, t1;
    int8_t *label;      /* [t1 - t0] abnormal = 1, from labels.h5 or the truth */
    float *conf;        /* [t1 - t0] propagate's margin; NULL: every trace counts 1 */
    int8_t *given;      /* [t1 - t0] a person gave the label */
    double scale[2];    /* median margin of the normal, abnormal labels */
    int64_t n_bad_conf; /* margins that are NaN or negative: weight 0 */
    int kinds;          /* LE_TRUTH_* bits of the truth used (--from-truth) */
    /* pass A */
    le_countmap bins;    /* rate rule: key fine bin << 1 | abnormal, traces that start in it */
    le_countmap wbins;   /* rate rule: key fine bin, weights of its abnormal traces */
    double w_mean;       /* rate rule: mean weight of an abnormal trace (LE_W_ONE units) */
    int64_t unsupported; /* periods dropped by the support rule */
    int64_t bin_us;      /* rate rule: the bin width used */
    double baseline;     /* rate rule: the normal abnormal share */
    int64_t n_bins;      /* rate rule: time bins with traffic */
    le_period *iv;       /* window rule: local intervals, merged as they grow */
    le_period *part;     /* the times each period counts (rate rule: its hot runs) */
    int64_t *part_per, n_part;
    int64_t n_iv;
    size_t cap_iv;
    le_countmap callee_n; /* key op*S + s: how often op's span has a child in service s */
    int32_t *callee;      /* [O] the service an operation calls, -1 none */
    le_welford *all_svc;  /* [S] span durations, whole corpus */
    le_welford *op_self;  /* [O] self time of spans in normal traces */
    int64_t *thr;         /* [O] self-time threshold (us), -1 none */
    /* periods */
    le_period *per;
    int64_t P;
    /* pass B */
    int64_t *cnt; /* [P * stride] see slot() */
    int64_t stride;
    le_countmap edge_map; /* key (p*S + caller)*S + callee: calls between services */
    le_kc *edges;         /* [n_edges] edge_map summed over the ranks, by key */
    int64_t n_edges;
    le_welford *per_svc; /* [P*S] */
    /* per-trace scratch */
    int64_t *child_sum;
    int8_t *child_err, *n_child;
    int64_t *seen_s, *seen_o, *seen_v, *seen_g, *gap, stamp;
    size_t cap_span;
} rc_job;

/* Offsets inside one period's slice of the count buffer: traces, then the
 * same counts weighted by confidence (LE_W_ONE units, algos/confweight.h). */
enum { C_ABN = 0, C_NORM = 1, C_WABN = 2, C_WNORM = 3, C_EF = 4 };
#define EF(j) (C_EF)
#define EP(j) (C_EF + (j)->S)
#define VOTES(j) (C_EF + 2 * (j)->S)
#define OP_EF(j) (C_EF + 3 * (j)->S)
#define OP_EP(j) (C_EF + 3 * (j)->S + (j)->O)
#define WEIGHTED(j) (3 * (j)->S + 2 * (j)->O) /* from a count to its weighted sum */
#define WEF(j) (EF(j) + WEIGHTED(j))
#define WEP(j) (EP(j) + WEIGHTED(j))
#define STRIDE(j) (C_EF + 2 * WEIGHTED(j)) /* the votes' twin stays 0 */
#define EDGE_KEY(j, p, a, b) (((uint64_t)(p) * (uint64_t)(j)->S + (uint64_t)(a)) * (uint64_t)(j)->S + (uint64_t)(b))

/* Each label's margin scale: the median margin of the traces that carry it
 * and were not given by a person (a histogram of integers, one reduction:
 * the same at any rank count; algos/confweight.h). The abnormal one weighs;
 * the normal one is reported. */
static int label_scales(rc_job *j)
{
    int64_t *h = le_calloc(2 * LE_MARGIN_BUCKETS, sizeof *h), bad = 0;
    for (int64_t i = 0; i < j->t1 - j->t0; i++) {
        int32_t b = le_margin_bucket(j->conf[i]);
        bad += !(j->conf[i] >= 0);
        if (b >= 0 && !j->given[i]) h[(j->label[i] != 0) * LE_MARGIN_BUCKETS + b]++;
    }
    int rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, h, 2 * LE_MARGIN_BUCKETS, MPI_INT64_T, MPI_SUM, le_world.comm));
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(&bad, &j->n_bad_conf, 1, MPI_INT64_T, MPI_SUM, le_world.comm));
    for (int l = 0; l < 2; l++) j->scale[l] = le_margin_quantile(h + l * LE_MARGIN_BUCKETS, 0.5);
    free(h);
    return rc;
}

/* What trace i of the shard adds to the counts, in LE_W_ONE units: an
 * abnormal label its confidence weight, a normal one 1 (the wrong labels
 * that move a ranking are false positives spread over every service; and
 * most normal traces repeat a representative, so their margins are one
 * value: weighting them too ranked worse, docs/rootcause.md). */
static int64_t trace_weight(const rc_job *j, int64_t i)
{
    if (!j->conf || !j->label[i]) return LE_W_ONE;
    return le_label_weight(j->conf[i], j->given[i], j->scale[1]);
}

static int read_labels(rc_job *j)
{
    int64_t n = j->t1 - j->t0;
    j->label = le_calloc((size_t)n, 1);
    if (j->o->labels) {
        le_labelsfile_info info;
        if (!j->o->plain_counts) j->conf = le_malloc(sizeof *j->conf * (size_t)(n + 1)), j->given = le_malloc((size_t)n + 1);
        LE_CHECK(le_labelsfile_read(le_world.comm, j->o->labels, j->c->meta.n_traces, j->t0, n, j->label, j->conf, j->given,
                                    &info));
        LE_CHECK(le_fp_check(j->o->labels, info.corpus_fp, info.corpus, j->o->corpus, j->c->meta.fingerprint));
        return j->conf ? label_scales(j) : 0;
    }
    if (!j->c->meta.has_ground_truth && j->c->meta.n_faults == 0)
        return le_fail(LE_ERR_USAGE, "%s has no ground truth: --from-truth needs labels or a fault list", j->o->corpus);
    int rc = 0;
    for (int64_t a = j->t0; a < j->t1 && !rc; a += j->o->chunk) {
        le_corpus_block b;
        int64_t e = a + j->o->chunk < j->t1 ? a + j->o->chunk : j->t1;
        if ((rc = le_corpus_read_block(j->c, a, e, &b))) break;
        for (int64_t t = 0; t < b.n_traces; t++)
            j->label[a - j->t0 + t] = le_trace_truth(&j->c->meta, &b, t, j->o->approximate, &j->kinds) == LE_LABEL_ABNORMAL;
        le_block_free(&b);
    }
    return le_agree(rc); /* a corrupt block on one rank stops every rank */
}

/* Children of each span of trace t: count, duration sum, any error. */
static void scan_children(rc_job *j, const le_corpus_block *b, int64_t t)
{
    int64_t lo = b->span_offset[t], n = b->span_offset[t + 1] - lo;
    LE_RESERVE(j->child_sum, j->cap_span, (size_t)n + 1);
    j->child_err = le_realloc(j->child_err, j->cap_span), j->n_child = le_realloc(j->n_child, j->cap_span);
    memset(j->child_sum, 0, sizeof *j->child_sum * (size_t)n);
    memset(j->child_err, 0, (size_t)n), memset(j->n_child, 0, (size_t)n);
    for (int64_t k = 1; k < n; k++) {
        int32_t p = b->parent[lo + k];
        if (p < 0 || p >= k) continue;
        j->child_sum[p] += b->duration_us[lo + k];
        j->child_err[p] |= b->error[lo + k] != 0;
        j->n_child[p] = 1;
    }
}

static int64_t self_us(const rc_job *j, const le_corpus_block *b, int64_t lo, int64_t k)
{
    int64_t s = b->duration_us[lo + k] - j->child_sum[k];
    return s > 0 ? s : 0;
}

typedef void (*block_fn)(rc_job *j, const le_corpus_block *b);

static int each_block(rc_job *j, block_fn fn)
{
    int rc = 0;
    for (int64_t a = j->t0; a < j->t1 && !rc; a += j->o->chunk) {
        le_corpus_block b;
        int64_t e = a + j->o->chunk < j->t1 ? a + j->o->chunk : j->t1;
        if ((rc = le_corpus_read_block(j->c, a, e, &b))) break;
        fn(j, &b);
        le_block_free(&b);
    }
    return le_agree(rc); /* a corrupt block on one rank stops every rank */
}

/* ---- pass A ---- */

/* The rate rule counts traces in fine bins of BIN_BASE_US; the bins are
 * widened once the whole time line is known (bins that occur only: a
 * sparse map, memory O(time span / 5 s), not traces). */
#define BIN_BASE_US INT64_C(5000000)
#define BIN_ORIGIN (INT64_C(1) << 44)
#define BIN_TARGET 30 /* traces a bin holds on average (auto width) */
#define BIN_MAX_US INT64_C(300000000)
#define BASELINE_QUANTILE 0.25 /* of the bins' abnormal shares: the normal share */
#define BASELINE_FLOOR 1e-4
#define MAX_HOLE_US INT64_C(600000000) /* a hole in a period: at most 10 minutes */
/* The isolated bins that read a thin background must hold this many
 * traces: a background of 0.5% wrong labels shows as 5 of them. */
#define ISOLATED_MIN_TRAFFIC 1000

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b < 0); }

static uint64_t bin_key(int64_t start_us, int abn)
{
    return ((uint64_t)(floor_div(start_us, BIN_BASE_US) + BIN_ORIGIN) << 1) | (uint64_t)(abn != 0);
}

static void pass_a(rc_job *j, const le_corpus_block *b)
{
    int64_t W = j->o->window_s * 1000000;
    for (int64_t t = 0; t < b->n_traces; t++) {
        int64_t i = b->trace_begin - j->t0 + t;
        int abn = j->label[i];
        int64_t lo = b->span_offset[t], n = b->span_offset[t + 1] - lo;
        if (!j->o->window_rule) {
            le_countmap_add(&j->bins, bin_key(b->trace_start_us[t], abn), 1);
            if (abn) le_countmap_add(&j->wbins, bin_key(b->trace_start_us[t], 0) >> 1, trace_weight(j, i));
        } else if (abn) {
            LE_RESERVE(j->iv, j->cap_iv, (size_t)j->n_iv + 1);
            j->iv[j->n_iv++] = (le_period){b->trace_start_us[t], b->trace_start_us[t] + W, 1};
            /* Keep memory bounded: merging early gives the same periods. */
            if (j->n_iv >= 1 << 20) j->n_iv = le_periods_merge(j->iv, j->n_iv, j->o->gap_s * 1000000);
        }
        scan_children(j, b, t);
        for (int64_t k = 0; k < n; k++) {
            int32_t s = b->service[lo + k], op = b->operation[lo + k], p = b->parent[lo + k];
            if (s >= 0 && s < j->S) le_welford_add(&j->all_svc[s], (double)b->duration_us[lo + k]);
            if (p >= 0 && p < k) {
                int32_t pop = b->operation[lo + p];
                if (pop >= 0 && pop < j->O && s >= 0 && s < j->S && s != b->service[lo + p])
                    le_countmap_add(&j->callee_n, (uint64_t)pop * (uint64_t)j->S + (uint64_t)s, 1);
            }
            if (!abn && op >= 0 && op < j->O) le_welford_add(&j->op_self[op], (double)self_us(j, b, lo, k));
        }
    }
}

static int periods_from_ranks(rc_job *j)
{
    int64_t gap = j->o->gap_s * 1000000;
    j->n_iv = le_periods_merge(j->iv, j->n_iv, gap);
    char *all = NULL;
    uint64_t len = 0;
    LE_CHECK(le_gather_bytes(le_world.comm, (const char *)j->iv, sizeof *j->iv * (uint64_t)j->n_iv, &all, &len, 0));
    if (le_world.rank == 0) {
        int64_t n = (int64_t)(len / sizeof(le_period));
        n = le_periods_merge((le_period *)all, n, gap);
        n = le_periods_filter((le_period *)all, n, j->o->min_traces);
        len = sizeof(le_period) * (uint64_t)n;
    }
    int rc = le_bcast_bytes(le_world.comm, &all, &len, 0);
    if (rc) {
        free(all); /* rank 0's, which the broadcast leaves to its caller */
        return rc;
    }
    j->per = (le_period *)all, j->P = (int64_t)(len / sizeof(le_period));
    return 0;
}

/* Fine bins (sorted pairs) widened to width_us: the coarse bins in order. */
static int64_t widen_bins(const le_kc *v, int64_t n, int64_t width_us, le_bin *b)
{
    int64_t nb = 0;
    for (int64_t i = 0; i < n; i++) {
        int64_t fine = (int64_t)(v[i].key >> 1) - BIN_ORIGIN, idx = floor_div(fine * BIN_BASE_US, width_us);
        if (!nb || b[nb - 1].index != idx) b[nb++] = (le_bin){idx, 0, 0};
        b[nb - 1].n += v[i].count;
        if (v[i].key & 1) b[nb - 1].abnormal += v[i].count;
    }
    return nb;
}

/* A part ends where its abnormal traces do, to the fine bin: wide bins
 * (sparse traffic) would otherwise add the normal traffic around a fault. */
static void trim_parts(le_period *part, int64_t n_part, const le_kc *v, int64_t n)
{
    int64_t i = 0;
    for (int64_t k = 0; k < n_part; k++) {
        int64_t first = -1, last = -1;
        for (; i < n; i++) {
            int64_t t = ((int64_t)(v[i].key >> 1) - BIN_ORIGIN) * BIN_BASE_US;
            if (t < part[k].start_us) continue;
            if (t > part[k].end_us) break;
            if (v[i].key & 1) last = t, first = first < 0 ? t : first;
        }
        if (first >= 0) part[k].start_us = first, part[k].end_us = last + BIN_BASE_US - 1;
    }
}

/* Each part's traffic (traces that start in it) and the weights of its
 * abnormal traces (LE_W_ONE units), from the fine bins v (key bin << 1 |
 * abnormal) and wv (key bin). */
static void part_weights(const rc_job *j, const le_kc *v, int64_t n, const le_kc *wv, int64_t nw, int64_t *traffic,
                         double *weight)
{
    int64_t i = 0, w = 0;
    for (int64_t k = 0; k < j->n_part; k++) {
        int64_t sum = 0;
        traffic[k] = 0;
        for (; i < n && ((int64_t)(v[i].key >> 1) - BIN_ORIGIN) * BIN_BASE_US <= j->part[k].end_us; i++)
            if (((int64_t)(v[i].key >> 1) - BIN_ORIGIN) * BIN_BASE_US >= j->part[k].start_us) traffic[k] += v[i].count;
        for (; w < nw && ((int64_t)wv[w].key - BIN_ORIGIN) * BIN_BASE_US <= j->part[k].end_us; w++)
            if (((int64_t)wv[w].key - BIN_ORIGIN) * BIN_BASE_US >= j->part[k].start_us) sum += wv[w].count;
        weight[k] = (double)sum;
    }
}

/* The mean weight of the background's abnormal traces, those outside every
 * part (LE_W_ONE units): the unit of support, so that a period is measured
 * in what the normal traffic's wrong labels weigh. Without background, the
 * mean over all abnormal traces; without any, 1. */
static double background_weight(const rc_job *j, const le_kc *v, int64_t n, const le_kc *wv, int64_t nw,
                                const double *weight)
{
    int64_t abn = 0, w = 0;
    double in_w = 0;
    for (int64_t i = 0; i < n; i++) abn += (v[i].key & 1) ? v[i].count : 0;
    for (int64_t i = 0; i < nw; i++) w += wv[i].count;
    int64_t in_abn = 0;
    for (int64_t k = 0; k < j->n_part; k++) in_abn += j->part[k].n_traces, in_w += weight[k];
    if (abn > in_abn && (double)w > in_w) return ((double)w - in_w) / (double)(abn - in_abn);
    return abn && w ? (double)w / (double)abn : (double)LE_W_ONE;
}

/* Periods whose confidence-weighted abnormal traces fall short of what
 * their traffic needs are dropped (algos/support.h); counted. */
static int keep_supported(rc_job *j, const le_kc *v, int64_t n)
{
    le_kc *wv = NULL;
    int64_t nw = le_countmap_pairs(&j->wbins, &wv);
    le_countmap_free(&j->wbins);
    int rc = le_allreduce_pairs(le_world.comm, &wv, &nw);
    if (rc) return free(wv), rc;
    int64_t *traffic = le_malloc(sizeof *traffic * (size_t)(j->n_part + 1));
    double *support = le_malloc(sizeof *support * (size_t)(j->n_part + 1));
    part_weights(j, v, n, wv, nw, traffic, support);
    j->w_mean = background_weight(j, v, n, wv, nw, support);
    for (int64_t k = 0; k < j->n_part; k++) support[k] /= j->w_mean;
    /* the tail rule unless --support-z: alpha over the bins a period could start in */
    double p = j->o->support_z < 0 ? j->o->alpha / (double)(j->n_bins > 1 ? j->n_bins : 1) : 0;
    j->n_part = le_groups_keep_supported(j->part, j->part_per, support, traffic, j->n_part, j->baseline, j->o->support_z, p,
                                         j->o->min_traces, &j->unsupported);
    free(wv), free(traffic), free(support);
    return 0;
}

/* The rate rule (docs/rootcause.md, "Fault periods"): every rank gets the
 * same bins and so the same periods. */
static int periods_from_rates(rc_job *j)
{
    le_kc *v = NULL;
    int64_t n = le_countmap_pairs(&j->bins, &v);
    le_countmap_free(&j->bins);
    int rc = le_allreduce_pairs(le_world.comm, &v, &n);
    if (rc) return free(v), rc;
    int64_t span = n ? ((int64_t)(v[n - 1].key >> 1) - (int64_t)(v[0].key >> 1) + 1) * BIN_BASE_US : 0;
    j->bin_us = j->o->bin_s ? (j->o->bin_s * 1000000 + BIN_BASE_US - 1) / BIN_BASE_US * BIN_BASE_US
                            : le_bin_width(span, j->c->meta.n_traces, BIN_TARGET, BIN_BASE_US, BIN_MAX_US);
    le_bin *b = le_malloc(sizeof *b * (size_t)(n + 1));
    int64_t nb = widen_bins(v, n, j->bin_us, b);
    j->baseline =
        le_bins_normal_share(b, nb, BASELINE_QUANTILE, BASELINE_FLOOR, MAX_HOLE_US / j->bin_us, ISOLATED_MIN_TRAFFIC);
    j->n_bins = nb;
    j->n_part =
        le_periods_from_bins(b, nb, j->bin_us, j->baseline, j->o->alpha, MAX_HOLE_US / j->bin_us, &j->part, &j->part_per);
    free(b);
    trim_parts(j->part, j->n_part, v, n);
    /* evidence needs more than one trace: in every part, not only in sum */
    j->n_part = le_parts_filter(j->part, j->part_per, j->n_part, j->o->min_traces);
    le_groups_merge_gap(j->part, j->part_per, j->n_part, j->o->gap_s * 1000000);
    rc = keep_supported(j, v, n);
    free(v);
    LE_CHECK(rc);
    j->P = le_groups_extent(j->part, j->part_per, j->n_part, &j->per);
    return 0;
}

static int finish_a(rc_job *j)
{
    le_kc *pairs = NULL;
    int64_t n = le_countmap_pairs(&j->callee_n, &pairs);
    le_countmap_free(&j->callee_n);
    int rc = le_allreduce_pairs(le_world.comm, &pairs, &n);
    /* Each operation's most called service, the lowest index on a tie. */
    int64_t *best = le_calloc((size_t)j->O + 1, sizeof *best);
    for (int32_t op = 0; op < j->O; op++) j->callee[op] = -1;
    for (int64_t i = 0; !rc && i < n; i++) {
        int32_t op = (int32_t)(pairs[i].key / (uint64_t)j->S), s = (int32_t)(pairs[i].key % (uint64_t)j->S);
        if (pairs[i].count > best[op]) best[op] = pairs[i].count, j->callee[op] = s;
    }
    free(best), free(pairs);
    LE_CHECK(rc);
    LE_CHECK(le_allreduce_welford(le_world.comm, j->all_svc, j->S));
    LE_CHECK(le_allreduce_welford(le_world.comm, j->op_self, j->O));
    for (int32_t op = 0; op < j->O; op++) {
        const le_welford *w = &j->op_self[op];
        /* Whole microseconds: a threshold that differs in the last bit
         * between rank counts cannot flip a comparison with integer times. */
        j->thr[op] = w->n >= 5 ? (int64_t)floor(w->mean + 3 * le_welford_std(w)) : -1;
    }
    if (!j->o->window_rule) return periods_from_rates(j);
    LE_CHECK(periods_from_ranks(j));
    j->n_part = le_parts_whole(j->per, j->P, &j->part, &j->part_per); /* each period counts its whole extent */
    return 0;
}

/* ---- pass B ---- */

static void mark(int64_t *seen, int32_t i, int64_t stamp, int64_t *count)
{
    if (seen[i] == stamp) return;
    seen[i] = stamp;
    if (count) (*count)++;
}

/* The trace covers item i once: 1 to the count at slice[at], its weight to
 * the weighted sum WEIGHTED slots on. */
static void cover(const rc_job *j, int64_t *seen, int32_t i, int64_t *slice, int64_t at, int64_t w)
{
    if (seen[i] == j->stamp) return;
    seen[i] = j->stamp;
    slice[at + i]++;
    slice[at + WEIGHTED(j) + i] += w;
}

/* The services the trace's own anomalous spans point at, one vote each
 * (docs/rootcause.md, "Evidence"). A client span is a span inside its own
 * service's span that calls another service (its parent has its service).
 * A failed span none of whose children failed is where the error began; a
 * failed client span with no server span below it is a call the callee
 * refused (a pod that is down), so the callee gets the vote. A span whose
 * self time passes its operation's mean + 3 std in normal traces
 * (TraceAnomaly's rule) votes for its service, except a client span: its
 * self time is the network between caller and callee, so such pairs are
 * tallied and the service in most of them gets the vote (a delayed pod is
 * in every slow pair: calls into it and calls it makes). */
static void votes(rc_job *j, const le_corpus_block *b, int64_t t, int64_t *slice)
{
    int64_t lo = b->span_offset[t], n = b->span_offset[t + 1] - lo, pairs = 0;
    for (int64_t k = 0; k < n; k++) {
        int32_t s = b->service[lo + k], op = b->operation[lo + k], par = b->parent[lo + k];
        if (s < 0 || s >= j->S || op < 0 || op >= j->O) continue;
        int32_t callee = j->callee[op] != s ? j->callee[op] : -1;
        int client = callee >= 0 && par >= 0 && par < k && b->service[lo + par] == s;
        if (b->error[lo + k] && !j->child_err[k]) {
            int32_t who = client && !j->n_child[k] ? callee : s;
            mark(j->seen_v, who, j->stamp, &slice[VOTES(j) + who]);
        }
        if (j->thr[op] < 0 || self_us(j, b, lo, k) <= j->thr[op]) continue;
        if (!client) {
            mark(j->seen_v, s, j->stamp, &slice[VOTES(j) + s]);
            continue;
        }
        if (j->seen_g[s] != j->stamp) j->seen_g[s] = j->stamp, j->gap[s] = 0;
        if (j->seen_g[callee] != j->stamp) j->seen_g[callee] = j->stamp, j->gap[callee] = 0;
        j->gap[s]++, j->gap[callee]++, pairs++;
    }
    if (!pairs) return;
    int64_t most = 0;
    for (int32_t s = 0; s < j->S; s++)
        if (j->seen_g[s] == j->stamp && j->gap[s] > most) most = j->gap[s];
    for (int32_t s = 0; s < j->S; s++)
        if (j->seen_g[s] == j->stamp && j->gap[s] == most) mark(j->seen_v, s, j->stamp, &slice[VOTES(j) + s]);
}

static void pass_b(rc_job *j, const le_corpus_block *b)
{
    for (int64_t t = 0; t < b->n_traces; t++) {
        int64_t part = le_periods_find(j->part, j->n_part, b->trace_start_us[t]);
        if (part < 0) continue;
        int64_t p = j->part_per[part];
        int64_t i = b->trace_begin - j->t0 + t, w = trace_weight(j, i);
        int abn = j->label[i];
        int64_t *slice = j->cnt + p * j->stride, lo = b->span_offset[t], n = b->span_offset[t + 1] - lo;
        slice[abn ? C_ABN : C_NORM]++;
        slice[abn ? C_WABN : C_WNORM] += w;
        j->stamp++;
        scan_children(j, b, t);
        int64_t svc = abn ? EF(j) : EP(j), opc = abn ? OP_EF(j) : OP_EP(j);
        for (int64_t k = 0; k < n; k++) {
            int32_t s = b->service[lo + k], op = b->operation[lo + k], par = b->parent[lo + k];
            if (s < 0 || s >= j->S || op < 0 || op >= j->O) continue;
            le_welford_add(&j->per_svc[p * j->S + s], (double)b->duration_us[lo + k]);
            cover(j, j->seen_s, s, slice, svc, w);
            cover(j, j->seen_o, op, slice, opc, w);
            int32_t callee = j->callee[op];
            /* A call that reached no server still tried that service. */
            if (callee >= 0 && callee != s) {
                cover(j, j->seen_s, callee, slice, svc, w);
                if (!j->n_child[k]) le_countmap_add(&j->edge_map, EDGE_KEY(j, p, s, callee), 1);
            }
            if (par >= 0 && par < k && b->service[lo + par] != s && b->service[lo + par] >= 0 && b->service[lo + par] < j->S)
                le_countmap_add(&j->edge_map, EDGE_KEY(j, p, b->service[lo + par], s), 1);
        }
        if (abn) votes(j, b, t, slice);
    }
}

/* ---- results ---- */

/* The calls of period p, as keys caller*S + callee: from *e on in j->edges
 * (periods come in order, so *e moves forward only). */
static int64_t period_edges(const rc_job *j, int64_t p, int64_t *e, le_kc *out)
{
    uint64_t lo = EDGE_KEY(j, p, 0, 0), hi = EDGE_KEY(j, p + 1, 0, 0);
    int64_t n = 0;
    while (*e < j->n_edges && j->edges[*e].key < lo) ++*e;
    for (; *e < j->n_edges && j->edges[*e].key < hi; ++*e) out[n++] = (le_kc){j->edges[*e].key - lo, j->edges[*e].count};
    return n;
}

/* The spectrum of item at (EF(j) + s or OP_EF(j) + o) in a period's slice:
 * weighted (trace units) unless --counts plain. */
static le_sbfl spectrum(const rc_job *j, const int64_t *slice, int64_t ef_at, int64_t ep_at)
{
    if (j->o->plain_counts)
        return (le_sbfl){(double)slice[ef_at], (double)slice[ep_at], (double)(slice[C_ABN] - slice[ef_at]),
                         (double)(slice[C_NORM] - slice[ep_at])};
    int64_t W = WEIGHTED(j);
    double one = (double)LE_W_ONE, ef = (double)slice[ef_at + W] / one, ep = (double)slice[ep_at + W] / one;
    return (le_sbfl){ef, ep, (double)(slice[C_WABN] - slice[ef_at + W]) / one,
                     (double)(slice[C_WNORM] - slice[ep_at + W]) / one};
}

static void rank_period(const rc_job *j, le_rc *rc, int64_t p, int64_t *e, le_kc *scratch)
{
    int32_t S = j->S;
    const int64_t *slice = j->cnt + p * j->stride;
    int64_t abn = slice[C_ABN], norm = slice[C_NORM], i0 = p * S;
    uint8_t *present = le_calloc((size_t)S + 1, 1);
    for (int32_t s = 0; s < S; s++) {
        int64_t i = i0 + s;
        rc->ef[i] = slice[EF(j) + s], rc->ep[i] = slice[EP(j) + s];
        rc->nf[i] = abn - rc->ef[i], rc->np[i] = norm - rc->ep[i];
        rc->wef[i] = (double)slice[WEF(j) + s] / (double)LE_W_ONE, rc->wep[i] = (double)slice[WEP(j) + s] / (double)LE_W_ONE;
        rc->votes[i] = slice[VOTES(j) + s];
        rc->score[i] = le_sbfl_score(j->o->formula, spectrum(j, slice, EF(j) + s, EP(j) + s));
        rc->evidence[i] = abn ? (double)rc->votes[i] / (double)abn : 0;
        const le_welford *w = &j->per_svc[i];
        rc->count[i] = (int64_t)w->n, rc->mean_us[i] = w->n ? w->mean : NAN, rc->std_us[i] = le_welford_std(w);
        present[s] = rc->ef[i] + rc->ep[i] > 0;
    }
    for (int32_t o = 0; o < j->O; o++) {
        int64_t i = p * j->O + o;
        rc->op_ef[i] = slice[OP_EF(j) + o], rc->op_ep[i] = slice[OP_EP(j) + o];
        rc->op_score[i] = le_sbfl_score(j->o->formula, spectrum(j, slice, OP_EF(j) + o, OP_EP(j) + o));
    }
    le_call_depth(S, period_edges(j, p, e, scratch), scratch, present, rc->depth + i0);
    le_sbfl_order(S, rc->score + i0, rc->evidence + i0, rc->depth + i0, j->o->tie, rc->order + i0);
    free(present);
}

static void collect_edges(const rc_job *j, le_rc *rc)
{
    uint64_t S = (uint64_t)j->S;
    size_t n = (size_t)j->n_edges + 1;
    rc->edge_period = le_malloc(sizeof *rc->edge_period * n), rc->edge_count = le_malloc(sizeof *rc->edge_count * n);
    rc->edge_caller = le_malloc(sizeof *rc->edge_caller * n), rc->edge_callee = le_malloc(sizeof *rc->edge_callee * n);
    for (int64_t e = 0; e < j->n_edges; e++) {
        uint64_t key = j->edges[e].key;
        rc->edge_period[e] = (int64_t)(key / S / S), rc->edge_count[e] = j->edges[e].count;
        rc->edge_caller[e] = (int32_t)(key / S % S), rc->edge_callee[e] = (int32_t)(key % S);
    }
    rc->n_edges = j->n_edges;
}

static char **copy_names(char **v, int32_t n)
{
    char **out = le_malloc(sizeof *out * (size_t)n);
    for (int32_t i = 0; i < n; i++) out[i] = le_strdup(v[i]);
    return out;
}

static void build_rc(const rc_job *j, le_rc *rc)
{
    const le_corpus_meta *m = &j->c->meta;
    le_rc_alloc(rc, j->P, j->S, j->O);
    snprintf(rc->corpus, sizeof rc->corpus, "%s", j->o->corpus);
    memcpy(rc->corpus_fp, j->c->meta.fingerprint, sizeof rc->corpus_fp);
    snprintf(rc->labels, sizeof rc->labels, "%s", j->o->labels ? j->o->labels : "(corpus ground truth)");
    snprintf(rc->score_name, sizeof rc->score_name, "%s", le_sbfl_name(j->o->formula));
    snprintf(rc->counts, sizeof rc->counts, "%s", j->conf ? "confidence" : "plain");
    snprintf(rc->truth, sizeof rc->truth, "%s", j->o->labels ? "labels" : le_truth_name(j->kinds));
    rc->window_us = j->o->window_s * 1000000, rc->gap_us = j->o->gap_s * 1000000;
    rc->min_traces = j->o->min_traces, rc->tie = j->o->tie;
    rc->services = copy_names(m->services, j->S);
    rc->operations = copy_names(m->operations, j->O);
    rc->operation_service = le_malloc(sizeof(int32_t) * (size_t)j->O);
    memcpy(rc->operation_service, m->operation_service, sizeof(int32_t) * (size_t)j->O);
    for (int32_t s = 0; s < j->S; s++)
        rc->all_count[s] = (int64_t)j->all_svc[s].n, rc->all_mean_us[s] = j->all_svc[s].mean,
        rc->all_std_us[s] = le_welford_std(&j->all_svc[s]);
    le_kc *scratch = le_malloc(sizeof *scratch * ((size_t)j->n_edges + 1));
    int64_t e = 0;
    for (int64_t p = 0; p < j->P; p++) {
        rc->periods[p] = j->per[p];
        rc->periods[p].n_traces = j->cnt[p * j->stride + C_ABN];
        rc->n_normal[p] = j->cnt[p * j->stride + C_NORM];
        rc->w_abnormal[p] = (double)j->cnt[p * j->stride + C_WABN] / (double)LE_W_ONE;
        rc->w_normal[p] = (double)j->cnt[p * j->stride + C_WNORM] / (double)LE_W_ONE;
        rank_period(j, rc, p, &e, scratch);
    }
    free(scratch);
    rc->n_parts = j->n_part;
    rc->parts = le_malloc(sizeof *rc->parts * (size_t)(j->n_part + 1));
    rc->part_period = le_malloc(sizeof *rc->part_period * (size_t)(j->n_part + 1));
    memcpy(rc->parts, j->part, sizeof *rc->parts * (size_t)j->n_part);
    memcpy(rc->part_period, j->part_per, sizeof *rc->part_period * (size_t)j->n_part);
    collect_edges(j, rc);
}

static int run(rc_job *j)
{
    int64_t S = j->S, O = j->O;
    LE_CHECK(le_corpus_shard(j->c, le_world.comm, &j->t0, &j->t1));
    LE_CHECK(read_labels(j));
    j->callee = le_calloc((size_t)O + 1, sizeof(int32_t));
    j->thr = le_calloc((size_t)O + 1, sizeof(int64_t));
    j->all_svc = le_calloc((size_t)S + 1, sizeof(le_welford));
    j->op_self = le_calloc((size_t)O + 1, sizeof(le_welford));
    LE_CHECK(each_block(j, pass_a));
    LE_CHECK(finish_a(j));
    if (S && (uint64_t)(j->P + 1) > UINT64_MAX / (uint64_t)S / (uint64_t)S)
        return le_fail(LE_ERR_USAGE, "%s: %lld periods of %lld services are too many to key their calls", j->o->corpus,
                       (long long)j->P, (long long)S);
    j->stride = STRIDE(j);
    j->cnt = le_calloc((size_t)(j->P * j->stride + 1), sizeof(int64_t));
    j->per_svc = le_calloc((size_t)(j->P * S + 1), sizeof(le_welford));
    j->seen_s = le_calloc((size_t)S + 1, sizeof(int64_t));
    j->seen_o = le_calloc((size_t)O + 1, sizeof(int64_t));
    j->seen_v = le_calloc((size_t)S + 1, sizeof(int64_t));
    j->seen_g = le_calloc((size_t)S + 1, sizeof(int64_t));
    j->gap = le_calloc((size_t)S + 1, sizeof(int64_t));
    LE_CHECK(each_block(j, pass_b));
    j->n_edges = le_countmap_pairs(&j->edge_map, &j->edges);
    le_countmap_free(&j->edge_map);
    LE_CHECK(le_allreduce_pairs(le_world.comm, &j->edges, &j->n_edges));
    /* Every count of every period: one reduction (in pieces under INT_MAX). */
    LE_CHECK(le_allreduce_big(le_world.comm, j->cnt, j->P * j->stride, MPI_INT64_T, MPI_SUM));
    LE_CHECK(le_allreduce_welford(le_world.comm, j->per_svc, j->P * S));
    int kinds = j->kinds;
    LE_MPI(MPI_Allreduce(&kinds, &j->kinds, 1, MPI_INT, MPI_BOR, le_world.comm));
    return 0;
}

static void job_free(rc_job *j)
{
    le_countmap_free(&j->callee_n), le_countmap_free(&j->edge_map), le_countmap_free(&j->bins);
    le_countmap_free(&j->wbins);
    free(j->conf), free(j->given);
    void *all[] = {j->label,   j->iv,     j->edges,    j->callee, j->all_svc, j->op_self,   j->thr,
                   j->per,     j->part,   j->part_per, j->cnt,    j->per_svc, j->child_sum, j->child_err,
                   j->n_child, j->seen_s, j->seen_o,   j->seen_v, j->seen_g,  j->gap};
    for (size_t i = 0; i < sizeof all / sizeof *all; i++) free(all[i]);
}

static int report(const rc_job *j, const le_rc *rc, const char *page, double secs)
{
    const rc_opts *o = j->o;
    int64_t abn = 0, norm = 0;
    for (int64_t p = 0; p < rc->n_periods; p++) abn += rc->periods[p].n_traces, norm += rc->n_normal[p];
    le_report_begin();
    le_report_int("periods", rc->n_periods);
    le_report_str("period_rule", o->window_rule ? "window" : "rate");
    if (!o->window_rule) le_report_dbl("bin_s", (double)j->bin_us / 1e6), le_report_dbl("baseline", j->baseline);
    if (!o->window_rule) {
        le_report_str("support_rule", o->support_z < 0 ? "tail" : "z");
        le_report_int("periods_below_support", j->unsupported);
    }
    le_report_str("counts", rc->counts);
    if (j->conf) {
        le_report_dbl("margin_scale_normal", j->scale[0]), le_report_dbl("margin_scale_abnormal", j->scale[1]);
        if (j->n_bad_conf) le_report_int("confidence_unusable", j->n_bad_conf);
    }
    le_report_int("abnormal_in_periods", abn);
    le_report_int("normal_in_periods", norm);
    le_report_str("score", rc->score_name);
    le_report_str("truth", rc->truth);
    if (strstr(rc->truth, "approximate"))
        le_report_str("note", "abnormal traces approximated from the fault list (docs/rootcause.md)");
    le_report_str("output", o->out);
    if (page) le_report_str("page", page);
    if (rc->n_periods) le_report_str("top_service_period_0", rc->services[rc->order[0]]);
    le_report_dbl("seconds", secs);
    int err = le_report_rank_seconds("seconds", secs);
    le_report_end();
    return err;
}

int le_cmd_rootcause(int argc, char **argv)
{
    rc_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    double t0 = le_now();
    rc_job j = {.o = &o};
    rc = le_agree(le_corpus_open(le_world.comm, o.corpus, &j.c));
    if (rc) return le_corpus_close(j.c), rc;
    j.S = j.c->meta.n_services, j.O = j.c->meta.n_operations;
    rc = le_agree(run(&j));
    le_rc out = {0};
    char page[4200] = "";
    if (!rc) {
        build_rc(&j, &out);
        if (o.page && !o.no_page)
            snprintf(page, sizeof page, "%s", o.page);
        else if (!o.no_page)
            le_page_path(o.out, page, sizeof page);
        int w = 0;
        if (le_world.rank == 0) {
            w = le_rc_write(o.out, &out);
            if (!w && page[0]) w = le_rc_page_write(page, &out);
        }
        rc = le_agree(w);
    }
    if (!rc) {
        le_info("rootcause: %lld periods, %s, %.2f s\n", (long long)out.n_periods, out.score_name, le_now() - t0);
        rc = report(&j, &out, page[0] ? page : NULL, le_now() - t0);
    }
    le_rc_free(&out);
    job_free(&j);
    le_corpus_close(j.c);
    return rc;
}
