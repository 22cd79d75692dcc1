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
#include "rowsource_dist.h"

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
    "                          corpus and representation) instead of building them\n"
    "  --vector-stats FILE     the default representation: read the corpus statistics\n"
    "                          its vectors are made from from FILE (select\n"
    "                          --save-vector-stats of this corpus) instead of fitting them\n"
    "  --chunk C               traces labelled and written at a time per rank (default\n"
    "                          65536, rounded up to a multiple of 256; k/M suffixes\n"
    "                          work). With the default representation (tail), --vectors\n"
    "                          or gat the vectors are read or made a chunk at a time too,\n"
    "                          so memory per rank follows C, not the corpus; the other\n"
    "                          (ablation) representations still build the rank's whole\n"
    "                          shard (docs/labeling.md, Memory).\n"
    "                          The labels are the same bits at any C\n" LE_COMMON_HELP
    "\n"
    "example:\n"
    "  mpirun -np 2 labelease propagate corpus.h5 labels.csv -o labels.h5 --reps reps.h5\n"
    "  mpirun -np 2 labelease propagate corpus.h5 labels.csv -o labels.h5 --vectors vec.h5   # select --dump-vectors\n"
    "  mpirun -np 2 labelease propagate corpus.h5 labels.csv -o labels.h5 --reps reps.h5   # select --representation gat "
    "emb.h5\n";

/* Traces a rank labels (and, from a file, reads) at a time. */
#define LE_PROP_CHUNK_DEFAULT LE_ROWSRC_CHUNK_DEFAULT

typedef struct prop_opts {
    const char *corpus, *emb, *csv, *out, *repr, *vectors, *reps, *stats_in;
    int knn, repr_given;
    int64_t chunk;
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
                                         {"chunk", required_argument, 0, 'C'},
                                         {"vector-stats", required_argument, 0, 'x'},
                                         LE_COMMON_LONGOPTS,
                                         {0}};
    *o = (prop_opts){.repr = LE_REPRESENTATION_DEFAULT, .knn = 1, .chunk = LE_PROP_CHUNK_DEFAULT};
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
        else if (c == 'x')
            o->stats_in = optarg;
        else if (c == 'C') {
            LE_CHECK(le_parse_count("--chunk", optarg, &o->chunk));
            if (o->chunk < 1) return le_fail(LE_ERR_USAGE, "--chunk must be at least 1 trace");
            o->chunk = le_rowsrc_align_chunk(o->chunk);
        } else if (c == 'k') {
            LE_CHECK(le_parse_range("--knn", optarg, 1, 64, &v));
            o->knn = (int)v;
        } else
            return le_usage(usage, 1);
    }
    static const char *const args[] = {"CORPUS.h5", "LABELS.csv (after the corpus and the optional EMBEDDINGS.h5)"};
    LE_CHECK(le_check_args(usage, argc - optind, argv + optind, args, 2, 3, o->out ? NULL : "-o LABELS.h5"));
    o->corpus = argv[optind], o->csv = argv[argc - 1], o->emb = optind + 3 == argc ? argv[optind + 1] : "-";
    if (!o->reps) LE_CHECK(need_embeddings(o)); /* with --reps, once it is read */
    const char *const inputs[] = {o->corpus, o->emb, o->csv, o->vectors, o->reps, o->stats_in};
    return le_refuse_input_as_output("-o", o->out, inputs, 6);
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

/* Phase durations (wall, MPI_Wtime; cpu: this rank's). */
typedef struct prop_times {
    double read, prop, write, total;
    double cpu_prop;
} prop_times;

/* Labels and margins of rows x of traces [a, a + n); given traces keep the
 * person's label. Returns how many are abnormal. */
static int64_t label_rows(const float *x, int64_t a, int64_t n, int dim, const le_labeled *lab, int knn, float *work,
                          int8_t *label, float *conf, int8_t *given)
{
    le_prop_label_rows(x, n, dim, lab->x, lab->label, lab->n, knn, work, label, conf);
    memset(given, 0, (size_t)n);
    for (int64_t i = 0; i < lab->n; i++) {
        int64_t t = lab->index[i] - a;
        if (t < 0 || t >= n) continue;
        label[t] = lab->label[i], conf[t] = INFINITY, given[t] = 1;
    }
    int64_t abnormal = 0;
    for (int64_t t = 0; t < n; t++) abnormal += label[t] == 1;
    return abnormal;
}

/* Collective: every rank labels and writes its traces a chunk at a time,
 * as many writes on every rank (the last ones empty where a shard is
 * shorter). */
static int label_chunks(le_rowsrc *src, const le_labeled *lab, const prop_opts *o, le_labelsfile_writer *w,
                        int64_t *abnormal, prop_times *tm)
{
    int64_t cap = src->chunk < src->n ? src->chunk : src->n > 0 ? src->n : 1;
    int8_t *label = le_malloc((size_t)cap), *given = le_malloc((size_t)cap);
    float *conf = le_malloc(sizeof(float) * (size_t)cap);
    float *work = le_malloc(sizeof(float) * (size_t)LE_KM_BLOCK * (size_t)(lab->n > 0 ? lab->n : 1));
    int rc = 0;
    *abnormal = 0;
    for (int64_t k = 0; k < src->steps && !rc; k++) {
        int64_t a, n;
        le_rowsrc_chunk(src, k, &a, &n);
        const float *x = NULL;
        rc = le_agree(n ? le_rowsrc_rows(src, a, n, &x, NULL) : 0);
        double t0 = MPI_Wtime(), c0 = le_cpu_seconds();
        if (!rc) *abnormal += label_rows(x, a, n, src->dim, lab, o->knn, work, label, conf, given);
        double t1 = MPI_Wtime();
        tm->prop += t1 - t0, tm->cpu_prop += le_cpu_seconds() - c0;
        if (!rc) rc = le_labelsfile_write_rows(w, a, n, label, conf, given);
        tm->write += MPI_Wtime() - t1;
    }
    free(label), free(given), free(conf), free(work);
    return rc;
}

/* Collective: the labels file, written a chunk at a time. */
static int write_labels(const le_corpus *c, const prop_opts *o, le_rowsrc *src, const le_labeled *lab, int64_t *abnormal,
                        prop_times *tm)
{
    le_labelsfile_info info = {.n_traces = c->meta.n_traces, .n_given = lab->n};
    snprintf(info.corpus, sizeof info.corpus, "%s", o->corpus);
    memcpy(info.corpus_fp, c->meta.fingerprint, sizeof info.corpus_fp);
    snprintf(info.method, sizeof info.method, o->knn > 1 ? "knn%d" : "nearest", o->knn);
    double t0 = MPI_Wtime();
    le_labelsfile_writer w;
    LE_CHECK(le_labelsfile_create(le_world.comm, o->out, &info, &w));
    tm->write += MPI_Wtime() - t0;
    int rc = label_chunks(src, lab, o, &w, abnormal, tm);
    double t1 = MPI_Wtime();
    rc = le_labelsfile_close(&w, rc);
    tm->write += MPI_Wtime() - t1;
    return rc;
}

/* The rows' reads of a streamed source (the file's, the model kind's
 * corpus blocks): I/O, reported with seconds_read. */
static double rows_read(const le_rowsrc *src)
{
    return src->kind == LE_ROWSRC_SHARD ? 0 : src->seconds_emb + src->seconds_rows_read;
}

static int report(const le_corpus *c, const prop_opts *o, const le_labeled *lab, int64_t abnormal, const le_rowsrc *src,
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
    if (o->stats_in) le_report_str("vector_stats", o->stats_in);
    le_report_int("chunk", o->chunk);
    le_report_int("streamed", src->kind != LE_ROWSRC_SHARD);
    /* the norms and thresholds' sample (mpi/tailvec_dist.h) */
    if (src->kind == LE_ROWSRC_MODEL)
        le_report_int("vector_sample_traces", src->m.sample_traces), le_report_int("call_structures", src->m.n_struct);
    le_report_dbl("seconds_read", t->read + rows_read(src));
    le_report_dbl("seconds_read_embeddings", o->vectors ? 0 : src->seconds_emb);
    le_report_dbl("seconds_vectors", src->seconds_vec + src->seconds_rows_vec);
    le_report_dbl("seconds_propagate", t->prop);
    le_report_dbl("seconds_write", t->write);
    le_report_dbl("cpu_seconds_read_embeddings", o->vectors ? 0 : src->cpu_emb);
    le_report_dbl("cpu_seconds_vectors", src->cpu_vec + src->cpu_rows_vec);
    le_report_dbl("cpu_seconds_propagate", t->cpu_prop);
    le_report_dbl("seconds", t->total);
    int rc = le_report_rank_seconds("seconds", t->total);
    le_report_end();
    return rc;
}

/* Collective: the source of every rank's vectors (mpi/rowsource_dist.h)
 * and the labeled rows; tm->read: what of it is not the vectors' build nor
 * the rows' reads. */
static int prepare(le_corpus *c, const prop_opts *o, le_rowsrc *src, le_labeled *lab, prop_times *tm)
{
    double t0 = MPI_Wtime();
    const le_rowsrc_opts ro = {
        .repr = o->repr, .emb = o->emb, .vectors = o->vectors, .chunk = o->chunk, .stats_in = o->stats_in};
    int rc = le_rowsrc_open(le_world.comm, c, &ro, src);
    if (!rc) rc = le_rowsrc_labeled(le_world.comm, src, o->csv, lab);
    tm->read = MPI_Wtime() - t0 - src->seconds_vec - src->seconds_rows_vec - rows_read(src);
    return rc;
}

static int run(le_corpus *c, const prop_opts *o)
{
    double t0 = MPI_Wtime();
    prop_times tm = {0};
    le_rowsrc src;
    le_labeled lab = {0};
    int64_t abnormal = 0;
    int rc = prepare(c, o, &src, &lab, &tm);
    if (!rc) rc = write_labels(c, o, &src, &lab, &abnormal, &tm);
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &abnormal, 1, MPI_INT64_T, MPI_SUM, le_world.comm));
    tm.total = MPI_Wtime() - t0;
    if (!rc) rc = report(c, o, &lab, abnormal, &src, &tm);
    le_labeled_free(&lab);
    le_rowsrc_free(&src);
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
    /* with --reps, the representation is known only now */
    if (!rc)
        rc =
            le_agree(le_rowsrc_check_stats(&(le_rowsrc_opts){.repr = o.repr, .vectors = o.vectors, .stats_in = o.stats_in}));
    if (!rc) rc = run(c, &o);
    le_corpus_close(c);
    return rc;
}
