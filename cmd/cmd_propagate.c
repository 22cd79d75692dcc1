/* labelease propagate: every trace takes the label of its nearest labeled
 * representative (paper section III-C, "active learning"); the labeled
 * vectors go to every rank and each rank labels its own traces. */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "driver.h"
#include "fingerprint.h"
#include "kmeans.h"
#include "labelsfile.h"
#include "propagate.h"
#include "reps.h"
#include "samefile.h"
#include "labeled_dist.h"

static const char usage[] =
    "usage: labelease propagate CORPUS.h5 [EMBEDDINGS.h5] LABELS.csv -o LABELS.h5 [options]\n"
    "\n"
    "Label every trace from the labeled representatives: each trace takes the\n"
    "label of the nearest one (Euclidean distance on the representation's vectors,\n"
    "cosine on the GAT embeddings), or the majority of the --knn nearest. Writes /labels/label, /labels/confidence (the "
    "margin\n"
    "between the nearest normal and the nearest abnormal representative) and\n"
    "/labels/given (1 where a person labelled the trace). Trace ids in LABELS.csv\n"
    "that the corpus lacks, or that appear twice, are an error that lists them.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE       labels file to write (required)\n"
    "  --knn K                 majority of the K nearest representatives (default 1)\n"
    "  --reps REPS.h5          a representatives file of select on this corpus (any round):\n"
    "                          the representation, and for a model one the embeddings file,\n"
    "                          are the ones select recorded there; a --representation or\n"
    "                          EMBEDDINGS.h5 that differs is refused\n"
    "  --representation R      without --reps, as given to select: tail (default), or an\n"
    "                          ablation (gat, stv, dev, dev-burst, dev-burst-count, hybrid,\n"
    "                          hybrid-burst, hybrid-burst-count)\n"
    "  --vectors FILE          read the vectors from FILE (select --dump-vectors of this\n"
    "                          corpus and representation) instead of building them\n" LE_COMMON_HELP
    "\n"
    "example:\n"
    "  mpirun -np 2 labelease propagate corpus.h5 labels.csv -o labels.h5 --reps reps.h5\n"
    "  mpirun -np 2 labelease propagate corpus.h5 labels.csv -o labels.h5 --vectors vec.h5   # select --dump-vectors\n"
    "  mpirun -np 2 labelease propagate corpus.h5 labels.csv -o labels.h5 --reps reps.h5   # select --representation gat "
    "emb.h5\n";

typedef struct prop_opts {
    const char *corpus, *emb, *csv, *out, *repr, *vectors, *reps;
    int knn, repr_given;
    char reps_repr[32], reps_emb[512]; /* what --reps resolved repr and emb to */
} prop_opts;

/* A representation over the GAT embeddings needs their file (or --vectors). */
static int need_embeddings(const prop_opts *o)
{
    if (le_repr_uses_model(o->repr) && !strcmp(o->emb, "-") && !o->vectors)
        return le_fail(LE_ERR_USAGE,
                       "--representation %s reads the GAT embeddings: give EMBEDDINGS.h5 (labelease embed) between the "
                       "corpus and the labels",
                       o->repr);
    return 0;
}

static int parse(int argc, char **argv, prop_opts *o)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"knn", required_argument, 0, 'k'},
                                         {"representation", required_argument, 0, 'r'},
                                         {"vectors", required_argument, 0, 'V'},
                                         {"reps", required_argument, 0, 'R'},
                                         LE_COMMON_LONGOPTS,
                                         {0}};
    *o = (prop_opts){.repr = LE_REPRESENTATION_DEFAULT, .knn = 1};
    int c;
    int64_t v;
    optind = 0; /* 0, not 1: glibc then resets all its state (commands may run in-process) */
    while ((c = getopt_long(argc, argv, "o:vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        if (c == 'h') return le_usage(usage, 0) ? LE_ERR_USAGE : -1;
        if (c == 'o')
            o->out = optarg;
        else if (c == 'r')
            o->repr = optarg, o->repr_given = 1;
        else if (c == 'R')
            o->reps = optarg;
        else if (c == 'V')
            o->vectors = optarg;
        else if (c == 'k') {
            LE_CHECK(le_parse_range("--knn", optarg, 1, 64, &v));
            o->knn = (int)v;
        } else
            return le_usage(usage, 1);
    }
    static const char *const args[] = {"CORPUS.h5", "LABELS.csv (after the corpus and the optional EMBEDDINGS.h5)"};
    LE_CHECK(le_check_args(usage, argc - optind, argv + optind, args, 2, 3, o->out ? NULL : "-o LABELS.h5"));
    o->corpus = argv[optind], o->csv = argv[argc - 1], o->emb = optind + 3 == argc ? argv[optind + 1] : "-";
    if (!o->reps) LE_CHECK(need_embeddings(o)); /* with --reps, once it is read */
    const char *const inputs[] = {o->corpus, o->emb, o->csv, o->vectors, o->reps};
    return le_refuse_input_as_output("-o", o->out, inputs, 5);
}

/* ---- --reps: what select recorded ---- */

/* The embeddings file of a model representation: the one select recorded
 * when none is given. A given file that is not the recorded one is refused
 * while the recorded one exists: the vectors, and so the labels, would not
 * be those select clustered. (A recorded file that is gone, moved say,
 * leaves the given one to the user.) */
static int embeddings_from_reps(prop_opts *o, const le_reps *r)
{
    const int recorded = r->embeddings[0] && strcmp(r->embeddings, "-");
    if (!le_repr_uses_model(o->repr) || o->vectors || !recorded) return 0;
    if (!strcmp(o->emb, "-")) {
        snprintf(o->reps_emb, sizeof o->reps_emb, "%s", r->embeddings);
        o->emb = o->reps_emb;
        return 0;
    }
    struct stat given, rec;
    if (!stat(o->emb, &given) && !stat(r->embeddings, &rec) && (given.st_dev != rec.st_dev || given.st_ino != rec.st_ino))
        return le_fail(LE_ERR_USAGE,
                       "propagate: EMBEDDINGS.h5 is %s but %s was selected on %s; drop the argument or re-run select",
                       o->emb, o->reps, r->embeddings);
    return 0;
}

/* Rank 0: the representation (and embeddings) from --reps, refusing a
 * --representation that differs and a reps file of another corpus. */
static int resolve_reps_root(prop_opts *o, const le_corpus *c)
{
    le_reps r;
    int64_t n_traces = c->meta.n_traces;
    LE_CHECK(le_reps_read_attrs(o->reps, &r));
    if (r.n_corpus_traces != n_traces)
        return le_fail(
            LE_ERR_USAGE,
            "propagate: %s was selected on a corpus of %lld traces (%s), %s has %lld; give that corpus or re-run select",
            o->reps, (long long)r.n_corpus_traces, r.corpus, o->corpus, (long long)n_traces);
    LE_CHECK(le_fp_check(o->reps, r.corpus_fp, r.corpus, o->corpus, c->meta.fingerprint)); /* as many traces */
    if (o->repr_given && strcmp(o->repr, r.representation))
        return le_fail(LE_ERR_USAGE,
                       "propagate: --representation %s but %s was selected with %s; drop the option or re-run select",
                       o->repr, o->reps, r.representation);
    snprintf(o->reps_repr, sizeof o->reps_repr, "%s", r.representation);
    o->repr = o->reps_repr;
    LE_CHECK(embeddings_from_reps(o, &r));
    return need_embeddings(o);
}

/* Collective: every rank takes what rank 0 resolved from --reps. */
static int resolve_reps(prop_opts *o, const le_corpus *c)
{
    if (!o->reps) return 0;
    LE_CHECK(le_agree(le_world.rank == 0 ? resolve_reps_root(o, c) : 0));
    LE_MPI(MPI_Bcast(o->reps_repr, sizeof o->reps_repr, MPI_CHAR, 0, le_world.comm));
    LE_MPI(MPI_Bcast(o->reps_emb, sizeof o->reps_emb, MPI_CHAR, 0, le_world.comm));
    o->repr = o->reps_repr;
    if (o->reps_emb[0]) o->emb = o->reps_emb;
    return 0;
}

/* Labels and margins for the shard; given traces keep the person's label. */
static void label_shard(const le_shard *s, const le_labeled *lab, int knn, int8_t *label, float *conf, int8_t *given,
                        int64_t *abnormal)
{
    float *work = le_malloc(sizeof(float) * (size_t)LE_KM_BLOCK * (size_t)lab->n);
    le_prop_label_rows(s->x, s->n, s->dim, lab->x, lab->label, lab->n, knn, work, label, conf);
    memset(given, 0, (size_t)s->n);
    for (int64_t i = 0; i < lab->n; i++) {
        int64_t t = lab->index[i] - s->t0;
        if (t < 0 || t >= s->n) continue;
        label[t] = lab->label[i], conf[t] = INFINITY, given[t] = 1;
    }
    *abnormal = 0;
    for (int64_t t = 0; t < s->n; t++) *abnormal += label[t] == 1;
    free(work);
}

/* The clocks at each phase's end: wall (MPI_Wtime) and this rank's CPU. */
typedef struct prop_times {
    double t0, read, vec, prop, end;
    double cpu_read, cpu_vec, cpu_prop;
} prop_times;

static int report(const le_corpus *c, const prop_opts *o, const le_labeled *lab, int64_t abnormal, const le_shard *s,
                  const prop_times *t)
{
    int64_t n_lab[2] = {0, 0};
    for (int64_t i = 0; i < lab->n; i++) n_lab[lab->label[i] == 1]++;
    le_report_begin();
    le_report_int("traces", c->meta.n_traces);
    le_report_int("ranks", le_world.size);
    le_report_str("representation", o->repr);
    if (o->reps) le_report_str("reps", o->reps);
    le_report_int("given", lab->n);
    le_report_int("given_abnormal", n_lab[1]);
    le_report_int("knn", o->knn);
    le_report_int("abnormal", abnormal);
    le_report_dbl("abnormal_share", c->meta.n_traces ? (double)abnormal / (double)c->meta.n_traces : 0);
    le_report_str("output", o->out);
    if (o->vectors) le_report_str("vectors", o->vectors);
    /* the embeddings file is read inside le_shard_vectors: I/O, not the vectors' compute */
    le_report_dbl("seconds_read", t->read - t->t0 + s->seconds_emb_read);
    le_report_dbl("seconds_read_embeddings", s->seconds_emb_read);
    le_report_dbl("seconds_vectors", t->vec - t->read - s->seconds_emb_read);
    le_report_dbl("seconds_propagate", t->prop - t->vec);
    le_report_dbl("seconds_write", t->end - t->prop);
    le_report_dbl("cpu_seconds_read_embeddings", s->cpu_emb_read);
    le_report_dbl("cpu_seconds_vectors", t->cpu_vec - t->cpu_read - s->cpu_emb_read);
    le_report_dbl("cpu_seconds_propagate", t->cpu_prop - t->cpu_vec);
    le_report_dbl("seconds", t->end - t->t0);
    int rc = le_report_rank_seconds("seconds", t->end - t->t0);
    le_report_end();
    return rc;
}

static int run(le_corpus *c, const prop_opts *o)
{
    prop_times tm = {.t0 = MPI_Wtime()};
    le_shard s;
    le_callpaths cp = {0};
    le_labeled lab = {0};
    int build = !o->vectors, paths = build && le_repr_needs_paths(o->repr);
    int rc = le_agree(le_shard_load(le_world.comm, c, &s));
    if (!rc && !build) rc = le_agree(le_shard_vectors_read(le_world.comm, c, o->repr, o->vectors, &s));
    tm.read = MPI_Wtime(), tm.cpu_read = le_cpu_seconds();
    if (!rc && paths) rc = le_agree(le_callpaths_vocabulary(le_world.comm, &s, &cp));
    if (!rc && build) rc = le_agree(le_shard_vectors(le_world.comm, c, o->repr, o->emb, &cp, &s));
    if (!rc) rc = le_agree(le_labeled_load(le_world.comm, c, &s, o->csv, &lab));
    if (rc) {
        le_shard_free(&s), le_callpaths_free(&cp), le_labeled_free(&lab);
        return rc;
    }
    tm.vec = MPI_Wtime(), tm.cpu_vec = le_cpu_seconds();
    size_t nn = (size_t)(s.n ? s.n : 1);
    int8_t *label = le_malloc(nn), *given = le_malloc(nn);
    float *conf = le_malloc(sizeof(float) * nn);
    int64_t counts[2] = {0, 0};
    label_shard(&s, &lab, o->knn, label, conf, given, &counts[0]);
    tm.prop = MPI_Wtime(), tm.cpu_prop = le_cpu_seconds();
    le_labelsfile_info info = {.n_traces = c->meta.n_traces, .n_given = lab.n};
    snprintf(info.corpus, sizeof info.corpus, "%s", o->corpus);
    memcpy(info.corpus_fp, c->meta.fingerprint, sizeof info.corpus_fp);
    snprintf(info.method, sizeof info.method, o->knn > 1 ? "knn%d" : "nearest", o->knn);
    rc = le_agree(le_labelsfile_write(le_world.comm, o->out, &info, s.t0, s.n, label, conf, given));
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, counts, 1, MPI_INT64_T, MPI_SUM, le_world.comm));
    tm.end = MPI_Wtime();
    if (!rc) rc = report(c, o, &lab, counts[0], &s, &tm);
    free(label), free(given), free(conf);
    le_labeled_free(&lab);
    le_callpaths_free(&cp);
    le_shard_free(&s);
    return rc;
}

int le_cmd_propagate(int argc, char **argv)
{
    prop_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    le_corpus *c = NULL;
    rc = le_agree(le_corpus_open(le_world.comm, o.corpus, &c));
    if (rc) return le_corpus_close(c), rc;
    rc = resolve_reps(&o, c);
    if (!rc) rc = run(c, &o);
    le_corpus_close(c);
    return rc;
}
