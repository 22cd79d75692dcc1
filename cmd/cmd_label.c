/* labelease label: the human step of LabelEase (§IV-A). Labels for the
 * representatives in reps.h5 go into one labels CSV, from the corpus ground
 * truth (--oracle, for experiments and CI) or from a person at a terminal
 * (--tui); --page writes the self-contained labeling page (select writes it
 * too). Rank 0 does the work; other ranks only join the collective corpus
 * open of --oracle and the final agreement on errors. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "driver.h"
#include "fingerprint.h"
#include "label_tui.h"
#include "labelset.h"
#include "page.h"
#include "rcfile.h"
#include "samefile.h"

static const char usage[] =
    "usage: labelease label REPS.h5 (--oracle CORPUS.h5 | --tui | --import FILE.csv) -o LABELS.csv [--keep EARLIER.csv]\n"
    "       labelease label REPS.h5 --page REPS.html\n"
    "\n"
    "Label the representative traces that 'select' picked. The labels file is CSV\n"
    "with the header trace_id,label,note (label: normal or abnormal), the input of\n"
    "'propagate'.\n"
    "\n"
    "modes:\n"
    "  --oracle CORPUS.h5  take each label from the corpus ground truth\n"
    "                      (/ground_truth/trace_label: for a fault-list corpus its\n"
    "                      visible truth, docs/rootcause.md), for experiments and CI\n"
    "  --tui               label in this terminal (works over SSH): keys n normal,\n"
    "                      a abnormal (each then the next unlabeled trace), s skip\n"
    "                      as unsure (not written), j/k or arrows next/previous,\n"
    "                      Enter next unlabeled, u undo, f filter, ? help, q quit;\n"
    "                      saves after every key and resumes from an existing -o file\n"
    "  --import FILE.csv   take each representative's label from a labels CSV (the\n"
    "                      page's export, any tool's); rows of other traces are left\n"
    "                      out. Fails (status 9) when FILE labels none of them\n"
    "  --page FILE.html    write the labeling page for a browser (no server needed)\n"
    "\n"
    "options:\n"
    "  -o, --output FILE   the labels CSV (required but with --page)\n"
    "  --keep FILE.csv     labels of earlier rounds: FILE's rows start the output (the\n"
    "                      labels of this round's representatives are then set by the\n"
    "                      mode), so -o holds every round's labels for propagate\n"
    "  --truth T           with --oracle on a fault-list corpus: visible (default) or\n"
    "                      approximate (window and faulty service alone)\n" LE_COMMON_HELP
    "\n"
    "examples:\n"
    "  labelease label reps.h5 --oracle corpus.h5 -o labels.csv\n"
    "  labelease label reps.h5 --tui -o labels.csv\n"
    "  labelease label reps-2.h5 --tui --keep labels.csv -o labels-2.csv   # round 2\n";

/* ---- --oracle ---- */

/* Each representative's label is its trace's ground truth (le_trace_truth:
 * exact with per-trace labels, the visible truth for a corpus with only a
 * fault list, or by option the approximation); the trace id is checked
 * too, so a reps file made from another corpus is caught. */
static int oracle_labels(le_corpus *c, le_labelset *s, int approximate, int64_t *unknown, int *kinds)
{
    const char *path = c->path;
    if (!c->meta.has_ground_truth)
        return le_fail(LE_ERR_FORMAT, "%s has no ground truth (/ground_truth/trace_label): --oracle needs it", path);
    char want[LE_TRACE_ID_MAX + 1], got[LE_TRACE_ID_MAX + 1];
    for (int64_t t = 0; t < s->r->k; t++) {
        int64_t idx = s->r->trace_index[t];
        if (idx < 0 || idx >= c->meta.n_traces)
            return le_fail(LE_ERR_FORMAT, "representative %lld: trace index %lld is outside %s (%lld traces)", (long long)t,
                           (long long)idx, path, (long long)c->meta.n_traces);
        le_corpus_block b;
        LE_CHECK(le_corpus_read_block(c, idx, idx + 1, &b));
        le_reps_trace_id(s->r, s->meta, t, want, sizeof want);
        snprintf(got, sizeof got, "%s", le_block_id(&b, 0));
        int label = le_trace_truth(&c->meta, &b, 0, approximate, kinds);
        le_block_free(&b);
        if (strcmp(want, got))
            return le_fail(
                LE_ERR_FORMAT,
                "representative %lld is trace %s but trace %lld of %s is %s: the reps file comes from another corpus",
                (long long)t, want, (long long)idx, path, got);
        s->label[t] = label == LE_LABEL_ABNORMAL ? LE_LABEL_ABNORMAL
                      : label == LE_LABEL_NORMAL ? LE_LABEL_NORMAL
                                                 : LE_LABEL_UNKNOWN;
        *unknown += s->label[t] == LE_LABEL_UNKNOWN;
    }
    return 0;
}

/* ---- --import ---- */

/* Each representative's label from a labels CSV (a person's export from the
 * page, a spreadsheet); rows for other traces are not this file's concern.
 * None labelled: LE_ERR_NEEDS_LABELS (run stops there for a person). */
static int import_labels(le_labelset *s, const char *path, int64_t *unknown)
{
    le_labels l;
    LE_CHECK(le_labels_read(path, &l));
    int64_t got = 0;
    for (int64_t i = 0; i < l.n; i++) {
        int64_t t = le_labelset_find(s, l.trace_id[i]);
        if (t < 0) continue;
        s->label[t] = l.label[i], got++;
        free(s->note[t]);
        s->note[t] = l.note[i] ? le_strdup(l.note[i]) : NULL;
    }
    le_labels_free(&l);
    *unknown = s->r->k - got;
    if (got == 0 && s->r->k > 0)
        return le_fail(LE_ERR_NEEDS_LABELS,
                       "%s labels none of the %lld representatives: label them first (the page beside the reps file, "
                       "or labelease label REPS.h5 --tui)",
                       path, (long long)s->r->k);
    if (*unknown)
        le_warn("%s labels %lld of the %lld representatives; the other %lld stay unlabelled", path, (long long)got,
                (long long)s->r->k, (long long)*unknown);
    return 0;
}

/* ---- the command ---- */

typedef struct label_opts {
    const char *reps, *oracle, *page, *out, *keep, *import;
    int tui, approximate;
} label_opts;

static int parse(int argc, char **argv, label_opts *o)
{
    static const struct option opts[] = {{"oracle", required_argument, 0, 'O'},
                                         {"tui", no_argument, 0, 'T'},
                                         {"page", required_argument, 0, 'P'},
                                         {"output", required_argument, 0, 'o'},
                                         {"truth", required_argument, 0, 't'},
                                         {"keep", required_argument, 0, 'K'},
                                         {"import", required_argument, 0, 'I'},
                                         LE_COMMON_LONGOPTS,
                                         {0}};
    int c;
    optind = 0; /* 0, not 1: glibc then resets all its state (commands may run in-process) */
    while ((c = getopt_long(argc, argv, "o:vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        if (c == 'h') return -1;
        if (c == 'O')
            o->oracle = optarg;
        else if (c == 'T')
            o->tui = 1;
        else if (c == 'P')
            o->page = optarg;
        else if (c == 'o')
            o->out = optarg;
        else if (c == 't')
            LE_CHECK(le_truth_option(optarg, &o->approximate));
        else if (c == 'K')
            o->keep = optarg;
        else if (c == 'I')
            o->import = optarg;
        else
            return le_usage(usage, 1);
    }
    static const char *const args[] = {"REPS.h5"};
    LE_CHECK(le_check_args(usage, argc - optind, argv + optind, args, 1, 1, NULL));
    o->reps = argv[optind];
    if ((o->oracle != NULL) + o->tui + (o->page != NULL) + (o->import != NULL) != 1)
        return le_fail(LE_ERR_USAGE, "give one of --oracle, --tui, --import and --page (labelease label --help)");
    if (!o->page && !o->out)
        return le_fail(LE_ERR_USAGE, "-o LABELS.csv is required with --%s",
                       o->tui      ? "tui"
                       : o->import ? "import"
                                   : "oracle");
    if (o->page && o->keep) return le_fail(LE_ERR_USAGE, "--keep goes with --oracle, --tui or --import, not --page");
    /* --keep may be the output: its rows are kept (the terminal resumes -o) */
    const char *const inputs[] = {o->reps, o->oracle, o->import};
    LE_CHECK(le_refuse_input_as_output("-o", o->out, inputs, 3));
    return le_refuse_input_as_output("--page", o->page, inputs, 3);
}

static void report(const label_opts *o, const le_labelset *s, int64_t unknown, int kinds)
{
    le_report_begin();
    le_report_str("reps", o->reps);
    le_report_str("mode", o->oracle ? "oracle" : o->import ? "import" : "tui");
    if (o->keep) le_report_str("kept_from", o->keep);
    le_report_str("labels", o->out);
    le_report_int("representatives", s->r->k);
    le_report_int("labeled", le_labelset_count(s, LE_LABEL_NORMAL) + le_labelset_count(s, LE_LABEL_ABNORMAL));
    le_report_int("normal", le_labelset_count(s, LE_LABEL_NORMAL));
    le_report_int("abnormal", le_labelset_count(s, LE_LABEL_ABNORMAL));
    if (o->oracle || o->import) le_report_int("unknown", unknown);
    if (o->oracle) le_report_str("truth", le_truth_name(kinds));
    le_report_end();
}

/* Rank 0's whole job once the reps file is read. */
static int label_rank0(const label_opts *o, le_corpus *corpus, const le_reps *r, const le_corpus_meta *m)
{
    if (o->page) {
        LE_CHECK(le_page_labeling_write(o->page, r, m));
        le_report_begin();
        le_report_str("reps", o->reps);
        le_report_str("page", o->page);
        le_report_int("representatives", r->k);
        le_report_end();
        return 0;
    }
    le_labelset s;
    int64_t unknown = 0;
    int kinds = 0;
    /* The oracle and an import start from --keep (earlier rounds) or nothing;
     * a person at the terminal resumes the output, else starts from --keep. */
    const char *from = o->tui && !access(o->out, F_OK) ? o->out : o->keep;
    int rc = le_labelset_open(&s, r, m, o->out, from);
    if (!rc && o->oracle)
        rc = oracle_labels(corpus, &s, o->approximate, &unknown, &kinds);
    else if (!rc && o->import)
        rc = import_labels(&s, o->import, &unknown);
    else if (!rc)
        rc = le_label_tui(&s, o->reps);
    if (!rc && !o->tui) rc = le_labelset_save(&s);
    if (!rc) report(o, &s, unknown, kinds);
    le_labelset_free(&s);
    return rc;
}

static int label_root(const label_opts *o, le_corpus *corpus)
{
    le_reps r;
    le_corpus_meta m;
    memset(&r, 0, sizeof r);
    memset(&m, 0, sizeof m);
    int rc = le_reps_read(o->reps, &r, &m);
    if (!rc && corpus) rc = le_fp_check(o->reps, r.corpus_fp, r.corpus, corpus->path, corpus->meta.fingerprint);
    if (!rc) rc = label_rank0(o, corpus, &r, &m);
    le_reps_free(&r);
    le_meta_free(&m);
    return rc;
}

int le_cmd_label(int argc, char **argv)
{
    label_opts o = {0};
    int rc = parse(argc, argv, &o);
    if (rc < 0) return le_usage(usage, 0);
    if (rc) return rc;
    le_corpus *corpus = NULL;
    if (o.oracle) {
        rc = le_agree(le_corpus_open(le_world.comm, o.oracle, &corpus));
        if (rc) return le_corpus_close(corpus), rc;
    }
    if (le_world.rank == 0) rc = label_root(&o, corpus);
    rc = le_agree(rc);
    if (corpus) le_corpus_close(corpus);
    return rc;
}
