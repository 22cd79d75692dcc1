/* labelease select: pick the representative traces a person labels
 * (LabelEase's hybrid representative selection, paper section III-C), and
 * write them with the corpus reference statistics to reps.h5 (+ reps.html). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "driver.h"
#include "exchange.h"
#include "embfile.h"
#include "fingerprint.h"
#include "hash.h"
#include "kmeans.h"
#include "kmeans_dist.h"
#include "page.h"
#include "propagate.h"
#include "reps.h"
#include "samefile.h"
#include "labeled_dist.h"
#include "rowsource_dist.h"
#include "spectral_dist.h"

static const char usage[] =
    "usage: labelease select CORPUS.h5 [EMBEDDINGS.h5] -o REPS.h5 [options]\n"
    "\n"
    "Pick the traces a person should label, in rounds (a person labels between them).\n"
    "Round 1: each rank samples a share of its traces (keyed by trace index and\n"
    "seed, so the same at any rank count); distributed k-means (k-means|| start,\n"
    "sgemm Lloyd steps, one allreduce each) clusters the sample into as many clusters\n"
    "as the round picks, and each cluster's representative is its member nearest the\n"
    "centre over the whole corpus. Later rounds: the traces the labels so far leave\n"
    "least certain. The representatives' traces, cluster sizes and per-call-path\n"
    "latency statistics of the corpus go to REPS.h5, and the labeling page to\n"
    "REPS.html beside it.\n"
    "\n"
    "The default budget follows behaviours, not traces (docs/labeling.md, Budget):\n"
    "round 1 picks 100, each later round 30, until the labels are stable (the\n"
    "previous round's labels moved under 1% of the traces labelled abnormal, and\n"
    "under 10% of its picks were labelled otherwise than suggested: --previous gives\n"
    "that round's REPS.h5) or 400 labels are reached; a round that\n"
    "stops picks nothing and says why (report key stop: stable, max-labels, rounds).\n"
    "\n"
    "options:\n"
    "  -o, --output FILE       representatives file to write (required)\n"
    "  --first-round K         the default budget: round 1's picks (default 100)\n"
    "  --round-picks K         the default budget: each later round's picks (default 30)\n"
    "  --max-labels M          the default budget: labels in all, every round included\n"
    "                          (default 400); the round that reaches it picks the rest\n"
    "  --stable X              the default budget: stop when the previous round moved the\n"
    "                          propagated labels of less than this share of the sampled\n"
    "                          traces labelled abnormal before or after it (default 0.01)\n"
    "  --disagree X            the default budget: stable also needs under this share of the\n"
    "                          previous round's picks labelled otherwise than suggested\n"
    "                          (default 0.1; 1: the change alone)\n"
    "  --previous REPS.h5      round N >= 3: round N-1's representatives file, whose labels\n"
    "                          the stopping rule measures (without it round N only picks)\n"
    "  --budget K              a fixed budget instead: K labels in all, every round\n"
    "                          included; at least the corpus's traces: every trace is a\n"
    "                          representative (round 1)\n"
    "  --budget-share X        a fixed budget of X of the traces (the paper's 0.1%: 0.001;\n"
    "                          at least 10)\n"
    "  --rounds R              a fixed budget: the rounds it is spread over (default 2):\n"
    "                          round 1 picks 60%, the later rounds the rest; the default\n"
    "                          budget: the most rounds (default 10)\n"
    "  --picks P               this round picks exactly P, whatever the split\n"
    "  --method M              kmeans (default), random, or spectral (U-SPEC)\n"
    "  --representation R      tail (default, no model): per operation, self time beyond\n"
    "                          the far tail of its usual times, failures and rare call\n"
    "                          structures, how bursty each is in the trace's 5 minutes,\n"
    "                          then per call path the deviation, its burst and the\n"
    "                          call-count burst (docs/labeling.md). Ablations, measured\n"
    "                          below it on every corpus: gat (the paper's GAT embeddings,\n"
    "                          give EMBEDDINGS.h5), stv, dev, dev-burst, dev-burst-count,\n"
    "                          hybrid, hybrid-burst, hybrid-burst-count\n"
    "  --sample X              share of traces k-means clusters (default: enough for 30\n"
    "                          a centre, at least 0.1 or 131,072 traces over all ranks,\n"
    "                          whichever is fewer; the default budget's later rounds:\n"
    "                          13,000 traces at any N)\n"
    "  --seed N                sample and initialisation (default 1)\n"
    "  --max-iter N            Lloyd iterations at most (default 100)\n"
    "  --tol X                 converged when at most this share of the sample changes\n"
    "                          cluster in an iteration (default 0.001; 0 = none changes)\n"
    "  --round N --labels CSV  round N >= 2: the next picks, where the labels so far\n"
    "                          (CSV: every earlier round's) are least certain (low\n"
    "                          margin), spread by k-means\n"
    "  --no-page               do not write REPS.html\n"
    "  --dump-vectors FILE     also write every trace's vector (N x dim) to FILE as an\n"
    "                          embeddings file: for --vectors, or to study a run offline\n"
    "  --vectors FILE          read the vectors from FILE (a --dump-vectors of this corpus\n"
    "                          and representation) instead of building them: later rounds\n"
    "                          and propagate then skip the representation's cost\n"
    "  --save-vector-stats FILE  the default representation: also write the corpus\n"
    "                          statistics its vectors are made from (a few MB) to FILE\n"
    "  --vector-stats FILE     read them from FILE (a --save-vector-stats of this corpus)\n"
    "                          instead of fitting them: later rounds and propagate skip\n"
    "                          two passes over the corpus (labelease run does this)\n"
    "  --chunk C               traces a rank reads and represents at a time (default\n"
    "                          65536, rounded up to a multiple of 256; k/M suffixes\n"
    "                          work): with the default representation, --vectors or gat,\n"
    "                          memory per rank follows C and the sample, not the corpus;\n"
    "                          the other representations and --method random or spectral\n"
    "                          still hold the rank's whole shard (docs/labeling.md,\n"
    "                          Memory). The picks are the same at any C\n" LE_COMMON_HELP
    "\n"
    "example (the default budget: rounds until the labels are stable):\n"
    "  mpirun -np 2 labelease select corpus.h5 -o reps.h5 --dump-vectors vec.h5     # 100\n"
    "  labelease label reps.h5 --tui -o labels.csv\n"
    "  mpirun -np 2 labelease select corpus.h5 -o reps-2.h5 --round 2 --labels labels.csv --previous reps.h5 --vectors "
    "vec.h5\n"
    "  labelease label reps-2.h5 --tui -o labels.csv     # keeps round 1's rows; round 3 likewise\n"
    "  mpirun -np 2 labelease select corpus.h5 -o reps-3.h5 --round 3 --labels labels.csv --previous reps-2.h5 --vectors "
    "vec.h5\n"
    "  ...                                               # until it reports stop: stable\n"
    "  mpirun -np 2 labelease propagate corpus.h5 labels.csv -o labels.h5 --vectors vec.h5\n"
    "the paper's 0.1% in two rounds (--budget-share 0.001), or a fixed 500 (300 then 200):\n"
    "  mpirun -np 2 labelease select corpus.h5 -o reps.h5 --budget 500\n"
    "the paper's one round over its GAT embeddings:\n"
    "  mpirun -np 2 labelease select corpus.h5 emb.h5 -o reps.h5 --representation gat --rounds 1\n";

/* The last Lloyd iterations move a handful of boundary traces and hardly
 * ever change a representative; stopping there halves the select time. */
#define TOL_DEFAULT 1e-3

typedef struct sel_opts {
    const char *corpus, *emb, *out, *method, *repr, *labels, *dump, *vectors, *previous;
    const char *stats_in, *stats_out;      /* --vector-stats, --save-vector-stats */
    int64_t chunk;                         /* traces at a time (mpi/rowsource_dist.h) */
    int64_t budget, picks;                 /* a fixed budget, the whole labeling's; this round's picks when given */
    int64_t first, per_round, max_labels;  /* the default budget's; 0: not given */
    int rounds;                            /* 0: not given */
    double budget_share, stable, disagree; /* < 0: not given */
    double sample, tol;
    uint64_t seed;
    int max_iter, round, page;
} sel_opts;

typedef struct sel_result {
    int k;
    int64_t *rep, *size; /* [k] */
    float *centroids;    /* [k x dim] or NULL */
    int8_t *sugg;        /* [k] round >= 2: the label the labels so far propagate to rep[j] (-1: none), or NULL */
    float *sugg_margin;  /* [k] its margin */
    le_stop stop;        /* round >= 2: why it picked nothing */
    int64_t prev_picks, prev_disagreed, changed, abnormal_either; /* what the previous round's labels did */
    double changed_share;                                         /* < 0: not measured */
    int64_t sample_rows, candidates;
    double sample_share;
    int iterations;
    double inertia;
    double seconds_init, seconds_lloyd; /* of seconds_select, k-means only */
    /* round >= 2 with --vector-stats: the sampled unlabelled rows, gathered
     * on rank 0 for the reps file's /sample (io/reps.h) */
    uint64_t sample_key; /* 0: none kept */
    int sample_cached;   /* 1: read from --previous's /sample, not made */
    int64_t n_sample;
    int64_t *sample_index; /* rank 0 */
    float *sample_x;       /* rank 0: [n_sample x dim] */
} sel_result;

static const struct option select_longopts[] = {{"output", required_argument, 0, 'o'},
                                                {"budget", required_argument, 0, 'b'},
                                                {"method", required_argument, 0, 'm'},
                                                {"representation", required_argument, 0, 'r'},
                                                {"sample", required_argument, 0, 's'},
                                                {"seed", required_argument, 0, 'S'},
                                                {"max-iter", required_argument, 0, 'i'},
                                                {"round", required_argument, 0, 'R'},
                                                {"labels", required_argument, 0, 'l'},
                                                {"no-page", no_argument, 0, 'P'},
                                                {"tol", required_argument, 0, 't'},
                                                {"dump-vectors", required_argument, 0, 'D'},
                                                {"vectors", required_argument, 0, 'V'},
                                                {"rounds", required_argument, 0, 'N'},
                                                {"picks", required_argument, 0, 'k'},
                                                {"budget-share", required_argument, 0, 'B'},
                                                {"first-round", required_argument, 0, 'F'},
                                                {"round-picks", required_argument, 0, 'p'},
                                                {"max-labels", required_argument, 0, 'M'},
                                                {"stable", required_argument, 0, 'T'},
                                                {"disagree", required_argument, 0, 'G'},
                                                {"previous", required_argument, 0, 'Q'},
                                                {"chunk", required_argument, 0, 'C'},
                                                {"vector-stats", required_argument, 0, 'x'},
                                                {"save-vector-stats", required_argument, 0, 'X'},
                                                LE_COMMON_LONGOPTS,
                                                {0}};

/* One kind of budget: a fixed one (--budget, --budget-share) or the
 * default's options, not both. */
static int check_budget_opts(const sel_opts *o)
{
    if (o->budget && o->budget_share >= 0) return le_fail(LE_ERR_USAGE, "--budget and --budget-share: give one");
    const char *fixed = o->budget ? "--budget" : o->budget_share >= 0 ? "--budget-share" : NULL;
    const char *dflt = o->first           ? "--first-round"
                       : o->per_round     ? "--round-picks"
                       : o->max_labels    ? "--max-labels"
                       : o->stable >= 0   ? "--stable"
                       : o->disagree >= 0 ? "--disagree"
                                          : NULL;
    if (fixed && dflt)
        return le_fail(LE_ERR_USAGE,
                       "%s belongs to the default budget (rounds until the labels are stable), %s is a fixed one: give "
                       "one kind (docs/labeling.md, Budget)",
                       dflt, fixed);
    if (o->previous && o->round < 3)
        return le_fail(LE_ERR_USAGE, "--previous is round N-1's representatives for round N >= 3, not round %d", o->round);
    return 0;
}

/* The options that only make sense together. */
static int check_opts(const sel_opts *o)
{
    if (le_repr_uses_model(o->repr) && !strcmp(o->emb, "-") && !o->vectors)
        return le_fail(LE_ERR_USAGE,
                       "--representation %s reads the GAT embeddings: give EMBEDDINGS.h5 (labelease embed) after the corpus",
                       o->repr);
    if (!(o->sample >= 0 && o->sample <= 1)) return le_fail(LE_ERR_USAGE, "--sample must be in (0, 1] (0: the default)");
    if (!(o->tol >= 0 && o->tol < 1)) return le_fail(LE_ERR_USAGE, "--tol must be in [0, 1)");
    if (o->dump && o->vectors)
        return le_fail(LE_ERR_USAGE, "--vectors and --dump-vectors: the vectors are in %s already", o->vectors);
    if (o->round < 1) return le_fail(LE_ERR_USAGE, "--round must be at least 1");
    LE_CHECK(le_rowsrc_check_stats(&(le_rowsrc_opts){.repr = o->repr,
                                                     .vectors = o->vectors,
                                                     .whole = o->round == 1 && strcmp(o->method, "kmeans"),
                                                     .stats_in = o->stats_in,
                                                     .stats_out = o->stats_out}));
    LE_CHECK(check_budget_opts(o));
    if (o->round > 1 && !o->labels) return le_fail(LE_ERR_USAGE, "--round %d needs --labels (the labels so far)", o->round);
    if (strcmp(o->method, "kmeans") && strcmp(o->method, "random") && strcmp(o->method, "spectral"))
        return le_fail(LE_ERR_USAGE, "--method must be kmeans, random or spectral, not '%s'", o->method);
    return 0;
}

/* No output (the reps file, its page, --dump-vectors) may be an input. */
static int refuse_overwrites(const sel_opts *o)
{
    const char *const inputs[] = {o->corpus, o->emb, o->labels, o->vectors, o->previous, o->stats_in};
    char page[600];
    le_page_path(o->out, page, sizeof page);
    LE_CHECK(le_refuse_input_as_output("-o", o->out, inputs, 6));
    if (o->page) LE_CHECK(le_refuse_input_as_output("the page", page, inputs, 6));
    LE_CHECK(le_refuse_input_as_output("--save-vector-stats", o->stats_out, inputs, 6));
    const char *const outputs[] = {o->out, o->page ? page : NULL, o->dump};
    for (int i = 0; o->stats_out && i < 3; i++)
        if (outputs[i] && !strcmp(o->stats_out, outputs[i]))
            return le_fail(LE_ERR_USAGE, "--save-vector-stats %s is also another output of select", o->stats_out);
    return le_refuse_input_as_output("--dump-vectors", o->dump, inputs, 6);
}

static int parse(int argc, char **argv, sel_opts *o)
{
    *o = (sel_opts){.method = "kmeans",
                    .repr = LE_REPRESENTATION_DEFAULT,
                    .sample = 0,
                    .seed = 1,
                    .max_iter = 100,
                    .tol = TOL_DEFAULT,
                    .round = 1,
                    .page = 1,
                    .budget_share = -1,
                    .stable = -1,
                    .disagree = -1,
                    .chunk = LE_ROWSRC_CHUNK_DEFAULT};
    int c;
    int64_t v;
    optind = 0; /* 0, not 1: glibc then resets all its state (commands may run in-process) */
    while ((c = getopt_long(argc, argv, "o:vqh", select_longopts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        switch (c) {
        case 'h': return le_usage(usage, 0) ? LE_ERR_USAGE : -1;
        case 'o': o->out = optarg; break;
        case 'b': LE_CHECK(le_parse_count("--budget", optarg, &o->budget)); break;
        case 'm': o->method = optarg; break;
        case 'r': o->repr = optarg; break;
        case 's': LE_CHECK(le_parse_double("--sample", optarg, 0, 1, 0, &o->sample)); break;
        case 'S':
            LE_CHECK(le_parse_count("--seed", optarg, &v));
            o->seed = (uint64_t)v;
            break;
        case 'i':
            LE_CHECK(le_parse_range("--max-iter", optarg, 0, 10000000, &v));
            o->max_iter = (int)v;
            break;
        case 'R':
            LE_CHECK(le_parse_range("--round", optarg, 1, 1000000, &v));
            o->round = (int)v;
            break;
        case 'l': o->labels = optarg; break;
        case 'P': o->page = 0; break;
        case 't': LE_CHECK(le_parse_double("--tol", optarg, 0, 1, 0, &o->tol)); break;
        case 'D': o->dump = optarg; break;
        case 'V': o->vectors = optarg; break;
        case 'x': o->stats_in = optarg; break;
        case 'X': o->stats_out = optarg; break;
        case 'N':
            LE_CHECK(le_parse_range("--rounds", optarg, 1, 1000000, &v));
            o->rounds = (int)v;
            break;
        case 'k': LE_CHECK(le_parse_count("--picks", optarg, &o->picks)); break;
        case 'B': LE_CHECK(le_parse_double("--budget-share", optarg, 0, 1, 1, &o->budget_share)); break;
        case 'F': LE_CHECK(le_parse_range("--first-round", optarg, 1, INT32_MAX, &o->first)); break;
        case 'p': LE_CHECK(le_parse_range("--round-picks", optarg, 1, INT32_MAX, &o->per_round)); break;
        case 'M': LE_CHECK(le_parse_range("--max-labels", optarg, 1, INT64_MAX, &o->max_labels)); break;
        case 'T': LE_CHECK(le_parse_double("--stable", optarg, 0, 1, 0, &o->stable)); break;
        case 'G': LE_CHECK(le_parse_double("--disagree", optarg, 0, 1, 0, &o->disagree)); break;
        case 'Q': o->previous = optarg; break;
        case 'C':
            LE_CHECK(le_parse_count("--chunk", optarg, &o->chunk));
            if (o->chunk < 1) return le_fail(LE_ERR_USAGE, "--chunk must be at least 1 trace");
            o->chunk = le_rowsrc_align_chunk(o->chunk);
            break;
        default: return le_usage(usage, 1);
        }
    }
    static const char *const args[] = {"CORPUS.h5"};
    LE_CHECK(le_check_args(usage, argc - optind, argv + optind, args, 1, 2, o->out ? NULL : "-o REPS.h5"));
    o->corpus = argv[optind], o->emb = optind + 2 == argc ? argv[optind + 1] : "-";
    if (!strcmp(o->corpus, "-"))
        return le_fail(LE_ERR_USAGE,
                       "select: '-' is not a corpus: CORPUS.h5 comes first, then EMBEDDINGS.h5 or - for none%s",
                       le_repr_uses_model(o->repr) ? " (--representation gat and hybrid* need EMBEDDINGS.h5)" : "");
    LE_CHECK(check_opts(o));
    return refuse_overwrites(o);
}

/* The share of traces k-means clusters for k centres out of N traces: the
 * one given, or enough for LE_SAMPLE_PER_CENTRE sampled traces a centre
 * (with 10 a centre, k-means over a 10% sample of 57,000 traces split
 * the rare abnormal groups it was to find), at least LE_SAMPLE_MIN, or
 * LE_SAMPLE_MAX_ROWS rows over all ranks when that is fewer (issue 19: the
 * sample is held whole; 10% of 1e8 traces would be 1e7 rows). Corpora under
 * 1.31e6 traces keep the 10%. */
#define LE_SAMPLE_PER_CENTRE 30.0
#define LE_SAMPLE_MIN 0.1
#define LE_SAMPLE_MAX_ROWS 131072.0
static double sample_share(double given, int64_t k, int64_t N)
{
    if (given > 0) return given;
    double x = N > 0 ? LE_SAMPLE_PER_CENTRE * (double)k / (double)N : 1;
    double floor = N > 0 && LE_SAMPLE_MAX_ROWS / (double)N < LE_SAMPLE_MIN ? LE_SAMPLE_MAX_ROWS / (double)N : LE_SAMPLE_MIN;
    return x < floor ? floor : x > 1 ? 1 : x;
}

/* The default budget's later rounds: a sample of LE_ROUND_SAMPLE_TRACES
 * traces (or 30 a pick) whatever N (algos/budget.h). */
static double round_sample_share(int64_t k, int64_t N)
{
    double want = LE_SAMPLE_PER_CENTRE * (double)k > LE_ROUND_SAMPLE_TRACES ? LE_SAMPLE_PER_CENTRE * (double)k
                                                                            : LE_ROUND_SAMPLE_TRACES;
    return N > 0 && want < (double)N ? want / (double)N : 1;
}

/* --dump-vectors: the file, written during the first pass over the rows
 * (done), and the seconds its writes took (not select's). */
typedef struct sel_dump {
    le_embfile *f;
    int done;
    double seconds;
} sel_dump;

typedef void (*chunk_fn)(void *ctx, const float *x, int64_t a, int64_t n, int dim);

/* Collective: one pass over this rank's rows, a chunk at a time, as many
 * steps on every rank (the dump's writes are collective): each chunk to
 * fn (may be NULL) and, unless done, to the dump file. */
static int each_chunk(le_rowsrc *src, sel_dump *d, chunk_fn fn, void *ctx)
{
    int rc = 0, dump = d && d->f && !d->done;
    for (int64_t k = 0; k < src->steps && !rc; k++) {
        int64_t a, n;
        const float *x = NULL;
        le_rowsrc_chunk(src, k, &a, &n);
        rc = le_agree(n ? le_rowsrc_rows(src, a, n, &x, NULL) : 0);
        double t0 = MPI_Wtime();
        if (!rc && dump) rc = le_agree(le_emb_write(d->f, a, n, x));
        if (dump) d->seconds += MPI_Wtime() - t0;
        if (!rc && n && fn) fn(ctx, x, a, n, src->dim);
    }
    if (dump) d->done = 1;
    return rc;
}

/* The sampled rows: traces whose draw falls under the share (keyed by
 * global index), but those of skip [n_skip] (sorted); m rows of g, xs. */
typedef struct sample_acc {
    double share;
    uint64_t seed;
    const int64_t *skip;
    int64_t n_skip;
    int64_t n; /* traces sampled, listed in g (ascending) */
    int64_t m; /* of them, those whose rows are in xs so far */
    int64_t *g;
    float *xs;
} sample_acc;

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static int sampled(const sample_acc *sa, int64_t t)
{
    if (sa->share < 1 && le_km_uniform(sa->seed, (uint64_t)t, LE_KM_DRAW_SAMPLE, 0) >= sa->share) return 0;
    return !sa->n_skip || !bsearch(&t, sa->skip, (size_t)sa->n_skip, sizeof(int64_t), cmp_i64);
}

/* The sampled traces of [t0, t1), from the draws alone before any row is
 * read, and room for their rows. */
static void sample_alloc(sample_acc *sa, int64_t t0, int64_t t1, int dim)
{
    size_t cap = 0;
    sa->g = NULL, sa->n = 0, sa->m = 0;
    for (int64_t t = t0; t < t1; t++)
        if (sampled(sa, t)) {
            LE_RESERVE(sa->g, cap, (size_t)sa->n + 1);
            sa->g[sa->n++] = t;
        }
    if (!sa->g) sa->g = le_malloc(sizeof(int64_t));
    sa->xs = le_malloc_big(sizeof(float) * (size_t)(sa->n ? sa->n : 1) * (size_t)dim);
}

static void sample_free(sample_acc *sa) { free(sa->g), free(sa->xs), sa->g = NULL, sa->xs = NULL; }

/* A pass's chunk of rows [a, a + n): those of the sampled traces in it. */
static void sample_rows(void *ctx, const float *x, int64_t a, int64_t n, int dim)
{
    sample_acc *sa = ctx;
    for (; sa->m < sa->n && sa->g[sa->m] < a + n; sa->m++)
        memcpy(sa->xs + sa->m * dim, x + (sa->g[sa->m] - a) * dim, sizeof(float) * (size_t)dim);
}

/* The sampled rows alone (le_rowsrc_rows_at) rather than every row of a
 * pass over the chunks: a later round makes 13,000 rows at any N. A dump
 * still to write needs the pass. */
static int sample_read(le_rowsrc *src, sel_dump *d, sample_acc *sa)
{
    if (d && d->f && !d->done) return each_chunk(src, d, sample_rows, sa);
    sa->m = sa->n;
    return le_agree(le_rowsrc_rows_at(src, sa->g, sa->m, sa->xs));
}

static void result_alloc(sel_result *r, int k)
{
    r->k = k;
    r->rep = le_malloc(sizeof(int64_t) * (size_t)k);
    r->size = le_malloc(sizeof(int64_t) * (size_t)k);
}

/* Collective: k-means over rows xs (global indices g): r's centroids. */
static int kmeans_centroids(const float *xs, const int64_t *g, int64_t m, int dim, int k, const sel_opts *o, sel_result *r)
{
    le_kmd_opts ko;
    le_kmd_defaults(&ko, k, o->seed);
    ko.max_iter = o->max_iter;
    ko.tol_changed = o->tol;
    le_kmd_result kr;
    LE_CHECK(le_kmeans_dist(le_world.comm, xs, g, m, dim, &ko, &kr));
    result_alloc(r, k);
    r->centroids = kr.centroids, r->iterations = kr.iterations, r->inertia = kr.inertia, r->candidates = kr.candidates;
    r->seconds_init = kr.seconds_init, r->seconds_lloyd = kr.seconds_lloyd;
    return 0;
}

/* k-means over rows xs (global indices g) and the representatives among
 * the same rows (the later rounds' pool). */
static int cluster_rows(const float *xs, const int64_t *g, int64_t m, int dim, int k, const sel_opts *o, sel_result *r)
{
    LE_CHECK(kmeans_centroids(xs, g, m, dim, k, o, r));
    return le_kmeans_assign_reps(le_world.comm, xs, g, 0, m, dim, r->centroids, k, r->size, r->rep, NULL, NULL);
}

static void reps_add(void *ctx, const float *x, int64_t a, int64_t n, int dim)
{
    (void)dim;
    le_km_reps_add(ctx, x, NULL, a, n, NULL, NULL);
}

/* Collective: every trace to its nearest centroid, a chunk at a time:
 * r's cluster sizes and representatives over the whole corpus. */
static int assign_chunks(le_rowsrc *src, sel_dump *d, sel_result *r)
{
    le_km_reps acc;
    le_km_reps_begin(&acc, r->centroids, r->k, src->dim);
    int rc = each_chunk(src, d, reps_add, &acc);
    int rc2 = le_km_reps_end(le_world.comm, &acc, r->size, r->rep);
    return rc ? rc : rc2;
}

/* Round 1: a pass for the sample (and the dump), k-means over it, a pass
 * for the representatives. */
static int select_kmeans(le_rowsrc *src, int k, const sel_opts *o, sel_dump *d, sel_result *r)
{
    sample_acc sa = {.share = o->sample, .seed = o->seed};
    sample_alloc(&sa, src->t0, src->t1, src->dim);
    int64_t total = sa.n;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_INT64_T, MPI_SUM, le_world.comm));
    if (total < k) { /* a tiny corpus: cluster it all */
        sample_free(&sa), sa.share = 1.0, total = -1;
        sample_alloc(&sa, src->t0, src->t1, src->dim);
    }
    r->sample_rows = total;
    int rc = each_chunk(src, d, sample_rows, &sa);
    if (!rc) rc = le_agree(kmeans_centroids(sa.xs, sa.g, sa.m, src->dim, k, o, r));
    sample_free(&sa);
    return rc ? rc : assign_chunks(src, d, r);
}

/* The k traces with the smallest draws over all ranks; cluster sizes are
 * the Voronoi cells of the picked traces. */
static int select_random(const le_shard *s, int k, const sel_opts *o, sel_result *r)
{
    typedef struct {
        double u;
        int64_t g;
    } draw;
    draw *mine = le_malloc(sizeof(draw) * (size_t)k);
    int have = 0;
    for (int64_t t = 0; t < s->n; t++) { /* keep the k smallest, sorted */
        draw d = {le_km_uniform(o->seed, (uint64_t)(s->t0 + t), LE_KM_DRAW_RANDOM, 0), s->t0 + t};
        if (have == k && d.u >= mine[k - 1].u) continue;
        int p = have < k ? have++ : k - 1;
        while (p > 0 && mine[p - 1].u > d.u) mine[p] = mine[p - 1], p--;
        mine[p] = d;
    }
    for (int i = have; i < k; i++) mine[i] = (draw){2.0, -1};
    void *gathered = NULL;
    int64_t n_bytes = 0, cap = 0, *nearest = NULL;
    int rc = le_allgatherv_append(le_world.comm, mine, (int64_t)k * (int64_t)sizeof(draw), MPI_BYTE, &gathered, &n_bytes,
                                  &cap, "random draws");
    draw *all = gathered;
    if (rc) goto cleanup;
    result_alloc(r, k);
    r->centroids = le_calloc((size_t)k * (size_t)s->dim, sizeof(float));
    for (int j = 0; j < k; j++) { /* k-way pick of the smallest by selection: k and ranks are small */
        int64_t bi = 0;
        for (int64_t i = 1; i < (int64_t)k * le_world.size; i++)
            if (all[i].u < all[bi].u) bi = i;
        r->rep[j] = all[bi].g, all[bi].u = 3.0;
        if (r->rep[j] >= s->t0 && r->rep[j] < s->t1)
            memcpy(r->centroids + (int64_t)j * s->dim, s->x + (r->rep[j] - s->t0) * s->dim, sizeof(float) * (size_t)s->dim);
    }
    if ((rc = le_allreduce_big(le_world.comm, r->centroids, (int64_t)k * s->dim, MPI_FLOAT, MPI_SUM))) goto cleanup;
    nearest = le_malloc(sizeof(int64_t) * (size_t)k);
    rc =
        le_kmeans_assign_reps(le_world.comm, s->x, NULL, s->t0, s->n, s->dim, r->centroids, k, r->size, nearest, NULL, NULL);
cleanup:
    free(mine), free(all), free(nearest);
    return rc;
}

/* The budget covers the corpus (round 1): every trace represents itself,
 * whatever the method (docs/labeling.md). */
static void select_all(int64_t n, sel_result *r)
{
    result_alloc(r, (int)n);
    for (int64_t j = 0; j < n; j++) r->rep[j] = j, r->size[j] = 1;
}

static int select_spectral(const le_shard *s, int k, const sel_opts *o, sel_result *r)
{
    result_alloc(r, k);
    return le_spectral_select(le_world.comm, s->x, s->n, s->t0, s->dim, k, 0, 0, o->seed, r->rep, r->size, NULL);
}

/* Collective, round >= 2: for each pick, the label the labels so far
 * propagate to it and its margin, by propagate's rule (le_prop_label_rows,
 * nearest labelled vector) on the pick's own vector alone, so the numbers
 * are those of `propagate` whatever the rank count. The picks are in the
 * pool (rows xs, sorted global indices g [m]); the rank holding the trace
 * computes, a max-reduction gives everyone the result. */
static int suggest_picks(const float *xs, const int64_t *g, int64_t m, int dim, const le_labeled *lab, sel_result *r)
{
    r->sugg = le_malloc((size_t)(r->k ? r->k : 1));
    r->sugg_margin = le_malloc(sizeof(float) * (size_t)(r->k ? r->k : 1));
    float *work = le_malloc(sizeof(float) * (size_t)(lab->n ? lab->n : 1));
    for (int j = 0; j < r->k; j++) {
        r->sugg[j] = -1, r->sugg_margin[j] = -INFINITY;
        const int64_t *hit = m > 0 ? bsearch(&r->rep[j], g, (size_t)m, sizeof(int64_t), cmp_i64) : NULL;
        if (lab->n <= 0 || !hit) continue;
        le_prop_label_rows(xs + (hit - g) * dim, 1, dim, lab->x, lab->label, lab->n, 1, work, &r->sugg[j],
                           &r->sugg_margin[j]);
    }
    free(work);
    int rc = le_allreduce_big(le_world.comm, r->sugg, r->k, MPI_INT8_T, MPI_MAX);
    if (!rc) rc = le_allreduce_big(le_world.comm, r->sugg_margin, r->k, MPI_FLOAT, MPI_MAX);
    return rc;
}

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return x < y ? -1 : x > y;
}

/* Rank 0: the trace indices of the previous round's picks (--previous),
 * sorted; the file must be of this corpus and round o->round - 1. */
static int read_previous_root(const le_corpus *c, const sel_opts *o, int64_t **idx, int64_t *n)
{
    le_reps r;
    le_corpus_meta m;
    memset(&r, 0, sizeof r), memset(&m, 0, sizeof m);
    int rc = le_reps_read(o->previous, &r, &m);
    if (!rc) rc = le_fp_check(o->previous, r.corpus_fp, r.corpus, o->corpus, c->meta.fingerprint);
    if (!rc && r.round != o->round - 1)
        rc = le_fail(LE_ERR_USAGE, "--previous %s holds round %d's representatives; round %d needs round %d's", o->previous,
                     (int)r.round, o->round, o->round - 1);
    if (!rc) {
        *n = r.k, *idx = le_malloc(sizeof(int64_t) * (size_t)(r.k ? r.k : 1));
        memcpy(*idx, r.trace_index, sizeof(int64_t) * (size_t)r.k);
        qsort(*idx, (size_t)r.k, sizeof(int64_t), cmp_i64);
    }
    le_reps_free(&r), le_meta_free(&m);
    return rc;
}

/* Collective: read_previous_root's indices on every rank. */
static int read_previous(const le_corpus *c, const sel_opts *o, int64_t **idx, int64_t *n)
{
    *idx = NULL, *n = 0;
    int rc = le_agree(le_world.rank == 0 ? read_previous_root(c, o, idx, n) : 0);
    if (!rc) rc = LE_MPI_RC(MPI_Bcast(n, 1, MPI_INT64_T, 0, le_world.comm));
    if (!rc && le_world.rank) *idx = le_malloc(sizeof(int64_t) * (size_t)(*n ? *n : 1));
    if (!rc) rc = LE_MPI_RC(MPI_Bcast(*idx, (int)*n, MPI_INT64_T, 0, le_world.comm));
    return rc;
}

/* The labels so far without the previous round's picks (keep[i] = 0): the
 * references the previous round started from, into x [n x dim] and l. */
static int64_t labels_before(const le_labeled *lab, const uint8_t *prev, int dim, float *x, int8_t *l)
{
    int64_t n = 0;
    for (int64_t i = 0; i < lab->n; i++) {
        if (prev[i]) continue;
        memcpy(x + n * dim, lab->x + i * dim, sizeof(float) * (size_t)dim);
        l[n++] = lab->label[i];
    }
    return n;
}

/* Collective, --previous: what the previous round's labels did. Against the
 * labels before it, the sampled unlabelled rows xs [m x dim] (labelled
 * `label` now) changed label (r->changed of r->abnormal_either abnormal
 * before or after: r->changed_share), and r->prev_disagreed of its picks got
 * another label than the one suggested to them. Round 1's picks had nothing
 * before them: changed_share stays -1. */
static int previous_round(const le_corpus *c, const le_labeled *lab, const float *xs, const int8_t *label, int64_t m,
                          int dim, const sel_opts *o, sel_result *r)
{
    int64_t *idx, n_idx;
    LE_CHECK(read_previous(c, o, &idx, &n_idx));
    uint8_t *prev = le_calloc((size_t)(lab->n ? lab->n : 1), 1);
    for (int64_t i = 0; i < lab->n; i++)
        prev[i] = bsearch(&lab->index[i], idx, (size_t)n_idx, sizeof(int64_t), cmp_i64) != NULL, r->prev_picks += prev[i];
    float *x = le_malloc(sizeof(float) * (size_t)(lab->n ? lab->n : 1) * (size_t)dim);
    int8_t *l = le_malloc((size_t)(lab->n ? lab->n : 1)), *l2 = le_malloc((size_t)(m ? m : 1)), one;
    int64_t nb = labels_before(lab, prev, dim, x, l), cnt[2] = {0, 0};
    float *work = le_malloc(sizeof(float) * (size_t)LE_KM_BLOCK * (size_t)(nb ? nb : 1)),
          *mg = le_malloc(sizeof(float) * (size_t)(m ? m : 1)), m1;
    int rc = 0;
    if (nb > 0 && r->prev_picks > 0) {
        for (int64_t i = 0; i < lab->n; i++)
            if (prev[i])
                le_prop_label_rows(lab->x + i * dim, 1, dim, x, l, nb, 1, work, &one, &m1),
                    r->prev_disagreed += one != lab->label[i];
        le_prop_label_rows(xs, m, dim, x, l, nb, 1, work, l2, mg);
        le_changed_count(l2, label, m, &cnt[0], &cnt[1]);
        rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, cnt, 2, MPI_INT64_T, MPI_SUM, le_world.comm));
        r->changed = cnt[0], r->abnormal_either = cnt[1], r->changed_share = le_changed_share(cnt[0], cnt[1]);
    }
    free(idx), free(prev), free(x), free(l), free(l2), free(work), free(mg);
    return rc;
}

/* The key of a later round's sample rows, which --previous's /sample must
 * carry to be used: the seed and the vector statistics file's bytes (the
 * rows are made from them, le_tailvec.file_hash), 0 without --vector-stats. */
static uint64_t sample_key_of(const sel_opts *o, const le_rowsrc *src)
{
    if (o->round < 2 || !o->stats_in || src->kind != LE_ROWSRC_MODEL || !src->m.file_hash) return 0;
    uint64_t h = src->m.file_hash ^ (le_hash64(&o->seed, sizeof o->seed) * 0x9e3779b97f4a7c15ULL);
    return h ? h : 1;
}

/* Collective: the sampled rows read from --previous's /sample when every
 * rank finds all of its own there (r->sample_cached); the same rows a pass
 * would make, without the pass. */
static int sample_from_previous(le_rowsrc *src, const sel_dump *d, const sel_opts *o, sample_acc *sa, sel_result *r)
{
    r->sample_cached = 0;
    if (!r->sample_key || !o->previous || (d && d->f && !d->done)) return 0;
    int hit = le_reps_read_sample(o->previous, sa->share, r->sample_key, (int32_t)src->dim, sa->g, sa->n, sa->xs);
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &hit, 1, MPI_INT, MPI_MIN, le_world.comm));
    if (hit) sa->m = sa->n;
    r->sample_cached = hit;
    return 0;
}

/* Collective: this round's sampled rows gathered on rank 0 (before the pool
 * packs them), for the reps file and the next round. */
static int keep_sample(const int64_t *g, const float *xs, int64_t m, int dim, sel_result *r)
{
    if (!r->sample_key) return 0;
    char *gi = NULL, *gx = NULL;
    uint64_t ni = 0, nx = 0;
    LE_CHECK(le_gather_bytes(le_world.comm, (const char *)g, sizeof(int64_t) * (uint64_t)m, &gi, &ni, 0));
    int rc = le_gather_bytes(le_world.comm, (const char *)xs, sizeof(float) * (uint64_t)m * (uint64_t)dim, &gx, &nx, 0);
    if (rc) return free(gi), rc;
    r->n_sample = (int64_t)(ni / sizeof(int64_t)), r->sample_index = (int64_t *)gi, r->sample_x = (float *)gx;
    return 0;
}

/* Collective: the sampled, unlabelled traces of this rank (rows packed
 * into *xs, global indices *g; only they can enter the pool), only their
 * rows made, and their labels and margins under the labels so far. Returns
 * their number. */
static int64_t sampled_unlabelled(le_rowsrc *src, const le_labeled *lab, const sel_opts *o, sel_dump *d, sel_result *r,
                                  int64_t **g, float **xs, int8_t **label, float **ms, int *rc)
{
    int64_t *given = le_malloc(sizeof(int64_t) * (size_t)(lab->n ? lab->n : 1));
    memcpy(given, lab->index, sizeof(int64_t) * (size_t)lab->n);
    qsort(given, (size_t)lab->n, sizeof(int64_t), cmp_i64);
    sample_acc sa = {.share = o->sample, .seed = o->seed, .skip = given, .n_skip = lab->n};
    sample_alloc(&sa, src->t0, src->t1, src->dim);
    *rc = sample_from_previous(src, d, o, &sa, r);
    if (!*rc && !r->sample_cached) *rc = sample_read(src, d, &sa);
    int64_t m = sa.m;
    *g = sa.g, *xs = sa.xs, *ms = le_malloc(sizeof(float) * (size_t)(m ? m : 1));
    *label = le_malloc((size_t)(m ? m : 1));
    float *work = le_malloc(sizeof(float) * (size_t)LE_KM_BLOCK * (size_t)(lab->n ? lab->n : 1));
    le_prop_label_rows(*xs, m, src->dim, lab->x, lab->label, lab->n, 1, work, *label, *ms);
    free(given), free(work);
    return m;
}

/* Collective: the k least certain of the m sampled rows (about 20 per new
 * label: margins ms) clustered into k groups, so the new picks are
 * uncertain and unlike each other. xs and g are packed in place: the
 * pool's *m_io rows. */
static int cluster_uncertain(int dim, float *xs, int64_t *g, const float *ms, int64_t *m_io, int k, const sel_opts *o,
                             sel_result *r)
{
    /* Threshold: the pool-th smallest sampled margin over all ranks. */
    void *all = NULL;
    int64_t tot = 0, cap = 0, m = *m_io;
    int rc = le_allgatherv_append(le_world.comm, ms, m, MPI_FLOAT, &all, &tot, &cap, "sampled margins");
    if (rc) return free(all), rc;
    float *allm = all;
    qsort(allm, (size_t)tot, sizeof(float), cmp_float);
    int64_t pool = 20 * (int64_t)k < tot ? 20 * (int64_t)k : tot;
    float tau = pool > 0 ? allm[pool - 1] : 0;
    int64_t mp = 0; /* the pool: packed in place, in trace order */
    for (int64_t i = 0; i < m; i++) {
        if (!(ms[i] <= tau)) continue;
        if (mp != i) g[mp] = g[i], memcpy(xs + mp * dim, xs + i * dim, sizeof(float) * (size_t)dim);
        mp++;
    }
    free(all);
    if (k > pool) k = (int)pool;
    r->sample_rows = pool;
    *m_io = mp;
    rc = k > 0 ? cluster_rows(xs, g, mp, dim, k, o, r)
               : le_fail(LE_ERR_USAGE, "round %d: no unlabeled traces left", o->round);
    return le_agree(rc);
}

/* Round >= 2: margins of every sampled trace under the labels so far; the
 * least certain are clustered into this round's picks (cluster_uncertain),
 * unless the budget's rule stops the labeling here (r->stop: no picks). */
static int select_uncertain(le_corpus *c, le_rowsrc *src, const le_budget *b, const sel_opts *o, sel_dump *d, sel_result *r,
                            int64_t *given)
{
    le_labeled lab;
    LE_CHECK(le_rowsrc_labeled(le_world.comm, src, o->labels, &lab));
    *given = lab.n;
    int64_t want = o->picks ? o->picks : le_budget_picks(b, o->round, lab.n);
    sel_opts eff = *o;
    int64_t k_sample = want > 0 ? want : b->per_round, N = c->meta.n_traces;
    eff.sample = r->sample_share =
        b->fixed || o->sample > 0 ? sample_share(o->sample, k_sample, N) : round_sample_share(k_sample, N);
    o = &eff;
    r->changed_share = -1;
    r->stop = le_budget_stop(b, o->round, lab.n, -1, -1);
    if (!r->stop && want <= 0) {
        le_labeled_free(&lab);
        return le_fail(LE_ERR_USAGE,
                       "round %d: the budget of %lld labels is spent (%s holds %lld): give a larger --budget (the "
                       "whole labeling's, every round included) or --picks N",
                       o->round, (long long)b->fixed, o->labels, (long long)*given);
    }
    int64_t *g = NULL;
    float *xs = NULL, *ms = NULL;
    int8_t *label = NULL;
    int rc = 0;
    int64_t m = r->stop ? 0 : sampled_unlabelled(src, &lab, o, d, r, &g, &xs, &label, &ms, &rc);
    if (!rc && !r->stop) rc = keep_sample(g, xs, m, src->dim, r);
    if (!rc && !r->stop && o->previous) rc = previous_round(c, &lab, xs, label, m, src->dim, o, r);
    if (!rc && !r->stop)
        r->stop = le_budget_stop(b, o->round, lab.n, r->changed_share,
                                 r->prev_picks > 0 ? (double)r->prev_disagreed / (double)r->prev_picks : -1);
    if (!rc && r->stop)
        result_alloc(r, 0);
    else if (!rc)
        rc = cluster_uncertain(src->dim, xs, g, ms, &m, (int)(want < INT32_MAX ? want : INT32_MAX), o, r);
    if (!rc) rc = suggest_picks(xs, g, m, src->dim, &lab, r);
    free(label), free(g), free(xs), free(ms);
    le_labeled_free(&lab);
    return rc;
}

/* Collective: --dump-vectors created (every trace's vector in corpus
 * order, in the embeddings file format, so a run's exact vectors can be
 * inspected offline or read back with --vectors); the rows are written
 * during the first pass over them (each_chunk). */
static int dump_open(le_corpus *c, const le_rowsrc *src, const sel_opts *o, sel_dump *d)
{
    if (!o->dump) return 0;
    double t0 = MPI_Wtime();
    int rc = le_agree(
        le_emb_create(le_world.comm, o->dump, c->meta.n_traces, src->dim, o->corpus, c->meta.fingerprint, o->repr, &d->f));
    d->seconds += MPI_Wtime() - t0;
    return rc;
}

/* Collective: the rows no pass wrote yet (the methods that hold the whole
 * shard, the rounds that stop), and the file published, or removed when
 * rc is not 0. */
static int dump_close(le_rowsrc *src, sel_dump *d, int rc)
{
    if (!d->f) return rc;
    if (!rc && !d->done) rc = each_chunk(src, d, NULL, NULL);
    double t0 = MPI_Wtime();
    int rc2 = le_emb_close(d->f, rc);
    d->f = NULL, d->seconds += MPI_Wtime() - t0;
    return le_agree(rc ? rc : rc2);
}

/* A representative's trace as it travels to rank 0: cluster j, its spans
 * m, its start, its id (id_len bytes), then its span columns. */
typedef struct rep_head {
    int64_t j, m, start_us, id_len;
} rep_head;

#define SPAN_WIRE_BYTES (3 * sizeof(int32_t) + 2 * sizeof(int64_t) + sizeof(int32_t) + sizeof(int8_t))
static size_t rep_bytes(int64_t m, size_t id_len) { return sizeof(rep_head) + id_len + (size_t)m * SPAN_WIRE_BYTES; }

#define PACK(p, src, n) (memcpy((p), (src), sizeof(*(src)) * (size_t)(n)), (p) + sizeof(*(src)) * (size_t)(n))
#define UNPACK(dst, p, n) (memcpy((dst), (p), sizeof(*(dst)) * (size_t)(n)), (p) + sizeof(*(dst)) * (size_t)(n))

/* Representative j's trace t of block b packed at *buf + *len (grown). */
static void pack_rep(const le_corpus_block *b, int64_t t, int j, char **buf, size_t *len, size_t *cap)
{
    int64_t lo = b->span_offset[t], m = b->span_offset[t + 1] - lo;
    rep_head h = {j, m, b->trace_start_us[t], (int64_t)le_block_id_len(b, t)};
    size_t need = rep_bytes(m, (size_t)h.id_len);
    if (*len + need > *cap) *cap = 2 * (*len + need), *buf = le_realloc(*buf, *cap);
    char *p = *buf + *len;
    p = PACK(p, &h, 1), p = PACK(p, le_block_id(b, t), h.id_len);
    p = PACK(p, b->parent + lo, m), p = PACK(p, b->service + lo, m), p = PACK(p, b->operation + lo, m);
    p = PACK(p, b->start_us + lo, m), p = PACK(p, b->duration_us + lo, m), p = PACK(p, b->status_code + lo, m);
    p = PACK(p, b->error + lo, m);
    *len += need;
}

/* This rank's representatives' traces packed for rank 0: from the shard
 * that holds them already (reading them back from the compressed corpus
 * inflated a chunk of every column per representative: 1.3 s for 90), or,
 * from a streamed source, each read alone. */
static int pack_rep_traces(le_rowsrc *src, const sel_result *sr, char **buf, size_t *len)
{
    size_t cap = 0;
    int rc = 0;
    *buf = NULL, *len = 0;
    for (int j = 0; j < sr->k && !rc; j++) {
        int64_t g = sr->rep[j];
        if (g < src->t0 || g >= src->t1) continue;
        if (src->kind == LE_ROWSRC_SHARD) {
            pack_rep(&src->s.b, g - src->t0, j, buf, len, &cap);
            continue;
        }
        le_corpus_block one;
        if ((rc = le_corpus_read_block(src->c, g, g + 1, &one))) break;
        pack_rep(&one, 0, j, buf, len, &cap);
        le_block_free(&one);
    }
    return rc;
}

/* Collective: the representatives' whole traces to rank 0. On rank 0,
 * tb[j] is cluster j's trace (clusters without a member: empty). */
static int collect_rep_traces(le_rowsrc *src, const sel_result *sr, le_corpus_block *tb)
{
    char *buf;
    size_t len;
    int rc = le_agree(pack_rep_traces(src, sr, &buf, &len));
    if (rc) return free(buf), rc;
    char *all = NULL;
    uint64_t all_len = 0;
    rc = le_gather_bytes(le_world.comm, buf, len, &all, &all_len, 0);
    free(buf);
    for (const char *q = all, *end = all + all_len; !rc && q < end;) {
        rep_head h;
        q = UNPACK(&h, q, 1);
        le_corpus_block *x = &tb[h.j];
        le_block_alloc(x, 1, h.m, (size_t)h.id_len + 1, 0);
        x->span_offset[0] = 0, x->span_offset[1] = h.m, x->trace_start_us[0] = h.start_us;
        le_block_put_id(x, 0, q, (size_t)h.id_len), q += h.id_len;
        q = UNPACK(x->parent, q, h.m), q = UNPACK(x->service, q, h.m), q = UNPACK(x->operation, q, h.m);
        q = UNPACK(x->start_us, q, h.m), q = UNPACK(x->duration_us, q, h.m), q = UNPACK(x->status_code, q, h.m);
        q = UNPACK(x->error, q, h.m);
    }
    free(all);
    return rc;
}

/* Rank 0: the representatives (traces from collect_rep_traces) with each
 * span's call-path statistics. Clusters without members drop out; the rest
 * are stored in trace order (le_km_clusters_by_rep: any k). */
static int gather_reps(le_corpus *c, const le_callpaths *cp, const sel_result *sr, const sel_opts *o, int dim,
                       const le_corpus_block *traces, le_reps *r)
{
    memset(r, 0, sizeof *r);
    int64_t k = 0, ns = 0;
    r->trace_index = le_malloc(sizeof(int64_t) * (size_t)sr->k);
    r->cluster_size = le_malloc(sizeof(int64_t) * (size_t)sr->k);
    if (sr->centroids) r->centroids = le_malloc(sizeof(float) * (size_t)sr->k * (size_t)dim), r->dim = dim;
    if (sr->sugg) {
        r->suggested_label = le_malloc((size_t)sr->k);
        r->suggested_margin = le_malloc(sizeof(float) * (size_t)sr->k);
    }
    int *order = le_malloc(sizeof(int) * (size_t)sr->k);
    int64_t n_ok = le_km_clusters_by_rep(sr->rep, sr->k, order);
    for (int64_t i = 0; i < n_ok; i++) ns += traces[order[i]].n_spans;
    le_block_alloc(&r->traces, n_ok, ns, 0, 0);
    r->path_count = le_malloc(sizeof(int64_t) * (size_t)ns);
    r->path_mean_us = le_malloc(sizeof(double) * (size_t)ns);
    r->path_std_us = le_malloc(sizeof(double) * (size_t)ns);
    le_corpus_block *b = &r->traces;
    b->span_offset[0] = 0;
    uint64_t *ids = le_malloc(sizeof(uint64_t) * (size_t)ns);
    for (k = 0; k < n_ok; k++) {
        int j = order[k];
        const le_corpus_block *x = &traces[j];
        r->trace_index[k] = sr->rep[j], r->cluster_size[k] = sr->size[j];
        if (sr->sugg) r->suggested_label[k] = sr->sugg[j], r->suggested_margin[k] = sr->sugg_margin[j];
        if (sr->centroids) memcpy(r->centroids + k * dim, sr->centroids + (int64_t)j * dim, sizeof(float) * (size_t)dim);
        int64_t o0 = b->span_offset[k], m = x->n_spans;
        b->span_offset[k + 1] = o0 + m;
        le_block_put_id(b, k, le_block_id(x, 0), le_block_id_len(x, 0));
        b->trace_start_us[k] = x->trace_start_us[0];
#define COPY(f) memcpy(b->f + o0, x->f, sizeof(*b->f) * (size_t)m)
        COPY(parent), COPY(service), COPY(operation), COPY(start_us), COPY(duration_us), COPY(status_code), COPY(error);
#undef COPY
        le_callpath_ids(x->parent, x->operation, m, ids + o0);
        for (int64_t i = o0; i < o0 + m; i++) {
            int64_t p = le_callpath_find(cp->id, cp->n, ids[i]);
            const le_welford *st = &cp->stat[p];
            r->path_count[i] = (int64_t)st->n, r->path_mean_us[i] = st->mean, r->path_std_us[i] = le_welford_std(st);
        }
    }
    r->k = k;
    free(ids), free(order);
    snprintf(r->corpus, sizeof r->corpus, "%s", o->corpus);
    memcpy(r->corpus_fp, c->meta.fingerprint, sizeof r->corpus_fp);
    snprintf(r->embeddings, sizeof r->embeddings, "%s", le_repr_uses_model(o->repr) ? o->emb : "");
    snprintf(r->method, sizeof r->method, "%s", o->round > 1 ? "uncertainty" : o->method);
    snprintf(r->representation, sizeof r->representation, "%s", o->repr);
    r->round = o->round;
    r->n_corpus_traces = c->meta.n_traces;
    return 0;
}

/* Rank 0 writes reps.h5 (and the page) from the other ranks' traces. */
static int write_reps(le_corpus *c, const sel_result *sr, const sel_opts *o, const le_rowsrc *src,
                      const le_corpus_block *traces, int64_t *n_reps, char *page, size_t page_cap)
{
    le_reps r;
    int rc = gather_reps(c, src->paths, sr, o, src->dim, traces, &r);
    if (sr->n_sample > 0) /* lent for the write, not r's to free */
        r.n_sample = sr->n_sample, r.sample_index = sr->sample_index, r.sample_rows = sr->sample_x,
        r.sample_dim = (int32_t)src->dim, r.sample_share = sr->sample_share, r.sample_key = sr->sample_key;
    if (!rc) rc = le_reps_write(o->out, &r, &c->meta);
    r.sample_index = NULL, r.sample_rows = NULL;
    if (!rc && o->page) {
        le_page_path(o->out, page, page_cap);
        rc = le_page_labeling_write(page, &r, &c->meta);
    }
    *n_reps = r.k;
    le_reps_free(&r);
    return rc;
}

/* Collective. */
static int write_outputs(le_corpus *c, const sel_result *sr, const sel_opts *o, le_rowsrc *src, int64_t *n_reps, char *page,
                         size_t page_cap)
{
    page[0] = 0;
    le_corpus_block *traces = le_calloc((size_t)(sr->k ? sr->k : 1), sizeof *traces);
    int rc = collect_rep_traces(src, sr, traces);
    if (!rc && le_world.rank == 0) rc = write_reps(c, sr, o, src, traces, n_reps, page, page_cap);
    for (int j = 0; j < sr->k; j++) le_block_free(&traces[j]);
    free(traces);
    return le_agree(rc);
}

/* Wall and CPU clocks at the steps of run(), for the report. */
typedef struct sel_times {
    double start, opened, sel, end;
    double dump, dump_sel;       /* writing --dump-vectors (not select's): in all, by the end of the selection */
    double rows_sel, c_rows_sel; /* the rows' reads and build by the end of the selection (not select's) */
    double c_opened, c_sel;
} sel_times;

/* The rows' reads of a streamed source (the file's, the model kind's
 * corpus blocks) so far: I/O, reported with seconds_read. */
static double rows_read(const le_rowsrc *src)
{
    return src->kind == LE_ROWSRC_SHARD ? 0 : src->seconds_emb + src->seconds_rows_read;
}

/* The budget's keys of the report: a fixed one's K (budget) and rounds, or
 * the default's round sizes, cap and stopping threshold. */
static void report_budget(const sel_opts *o, const le_budget *b, int64_t N)
{
    le_report_str("budget_kind", b->fixed ? "fixed" : "until-stable");
    if (b->fixed) {
        le_report_int("budget", b->fixed > N ? N : b->fixed);
        if (o->budget > N) le_report_int("budget_requested", o->budget);
    } else {
        le_report_int("first_round", b->first), le_report_int("round_picks", b->per_round);
        le_report_int("max_labels", b->max_labels), le_report_dbl("stable_below", b->stable);
        le_report_dbl("disagreed_below", b->disagree);
    }
    le_report_int("rounds", b->rounds);
}

/* Round >= 2: what the previous round found (with --previous) and whether
 * the labeling stops here, and why (stop: no, stable, max-labels, rounds). */
static void report_stop(const sel_opts *o, const le_budget *b, const sel_result *sr)
{
    if (o->previous) {
        le_report_int("previous_picks", sr->prev_picks);
        if (sr->changed_share >= 0) {
            le_report_int("previous_disagreed", sr->prev_disagreed);
            le_report_int("changed_traces", sr->changed), le_report_int("abnormal_sampled", sr->abnormal_either);
            le_report_dbl("changed_share", sr->changed_share);
        }
    }
    le_report_str("stop", le_stop_name(sr->stop));
    if (!sr->stop) return;
    char why[300];
    if (sr->stop == LE_STOP_STABLE)
        snprintf(why, sizeof why,
                 "round %d's labels moved %.4f of the traces labelled abnormal, under %g, and %lld of its %lld picks "
                 "were labelled otherwise than suggested",
                 o->round - 1, sr->changed_share, b->stable, (long long)sr->prev_disagreed, (long long)sr->prev_picks);
    else if (sr->stop == LE_STOP_MAX_LABELS)
        snprintf(why, sizeof why, "the labels so far reach --max-labels %lld", (long long)b->max_labels);
    else
        snprintf(why, sizeof why, "round %d is past --rounds %d", o->round, b->rounds);
    le_report_str("stop_reason", why);
    le_info("stopped before round %d's picks: %s; propagate the labels so far (%s)", o->round, why, o->labels);
}

/* Collective (the ranks' seconds): the key: value report on rank 0. */
static int report(const le_corpus *c, const sel_opts *o, const le_budget *b, int64_t given, int64_t n_reps,
                  const le_rowsrc *src, const sel_result *sr, const char *page, const sel_times *t)
{
    int64_t N = c->meta.n_traces;
    le_report_begin();
    le_report_str("corpus", o->corpus);
    le_report_int("traces", N);
    le_report_int("ranks", le_world.size);
    le_report_str("method", o->round > 1 ? "uncertainty" : o->method);
    le_report_str("representation", o->repr);
    le_report_int("round", o->round);
    le_report_int("dim", src->dim);
    le_report_int("call_paths", src->paths->n);
    report_budget(o, b, N);
    if (o->round > 1) le_report_int("labels_before", given);
    le_report_int("representatives", n_reps);
    if (o->round > 1) report_stop(o, b, sr);
    int64_t next = le_budget_picks(b, o->round + 1, given + n_reps);
    if (!sr->stop && o->round < b->rounds && next > 0) {
        le_report_int("next_round_picks", next);
        le_info(
            "next: label %s, then select --round %d --labels LABELS.csv%s (same %s, --representation, --seed) "
            "picks the next %lld%s",
            o->out, o->round + 1, o->round + 1 >= 3 ? " --previous REPS.h5 (this file)" : "",
            b->fixed ? "--budget" : "budget options", (long long)next,
            b->fixed ? "" : ", unless the labels are stable by then");
    }
    if (sr->sample_share > 0) le_report_dbl("sample_share", sr->sample_share);
    if (o->round > 1) le_report_int("sample_rows_from_previous", sr->sample_cached);
    if (sr->sample_rows) le_report_int(o->round > 1 ? "uncertain_pool" : "sample_rows", sr->sample_rows);
    if (sr->iterations) le_report_int("lloyd_iterations", sr->iterations), le_report_int("init_candidates", sr->candidates);
    if (sr->iterations) le_report_dbl("inertia", sr->inertia);
    le_report_str("output", o->out);
    if (o->vectors) le_report_str("vectors", o->vectors);
    if (o->stats_in) le_report_str("vector_stats", o->stats_in);
    if (o->stats_out) le_report_str("save_vector_stats", o->stats_out);
    if (o->dump) le_report_str("dump_vectors", o->dump);
    if (page[0]) le_report_str("page", page);
    le_report_int("chunk", src->chunk);
    le_report_int("streamed", src->kind != LE_ROWSRC_SHARD);
    /* the norms and thresholds' sample (mpi/tailvec_dist.h) */
    if (src->kind == LE_ROWSRC_MODEL)
        le_report_int("vector_sample_traces", src->m.sample_traces), le_report_int("call_structures", src->m.n_struct);
    /* the embeddings' and the streamed rows' reads are I/O, not the vectors' compute */
    le_report_dbl("seconds_read", src->seconds_read + rows_read(src));
    le_report_dbl("seconds_read_embeddings", o->vectors ? 0 : src->seconds_emb);
    le_report_dbl("seconds_vectors", src->seconds_vec + src->seconds_rows_vec);
    le_report_dbl("seconds_select", t->sel - t->opened - t->rows_sel - t->dump_sel);
    if (sr->iterations)
        le_report_dbl("seconds_kmeans_init", sr->seconds_init), le_report_dbl("seconds_lloyd", sr->seconds_lloyd);
    le_report_dbl("seconds_write", t->end - t->sel + t->dump_sel);
    if (o->dump) le_report_dbl("seconds_dump_vectors", t->dump);
    le_report_dbl("cpu_seconds_read_embeddings", o->vectors ? 0 : src->cpu_emb);
    le_report_dbl("cpu_seconds_vectors", src->cpu_vec + src->cpu_rows_vec);
    le_report_dbl("cpu_seconds_select", t->c_sel - t->c_opened - t->c_rows_sel);
    le_report_dbl("seconds", t->end - t->start);
    int rc = le_report_rank_seconds("seconds", t->end - t->start);
    le_report_end();
    return rc;
}

/* The budget the options give for N traces (algos/budget.h): a fixed one
 * (--budget, --budget-share), else the default with the options given. */
static void resolve_budget(const sel_opts *o, int64_t N, le_budget *b)
{
    le_budget_default(b);
    if (o->budget || o->budget_share >= 0) {
        b->fixed = o->budget ? o->budget : le_budget_of_share(o->budget_share, N);
        b->rounds = o->rounds ? o->rounds : LE_ROUNDS_DEFAULT;
        return;
    }
    if (o->rounds) b->rounds = o->rounds;
    if (o->rounds && o->round == 1)
        le_info(
            "--rounds %d without --budget caps the default budget's rounds (before issue 19 it spread 0.1%% of the "
            "traces over them: that is --budget-share 0.001 --rounds %d)",
            o->rounds, o->rounds);
    if (o->first) b->first = o->first;
    if (o->per_round) b->per_round = o->per_round;
    if (o->max_labels) b->max_labels = o->max_labels;
    if (o->stable >= 0) b->stable = o->stable;
    if (o->disagree >= 0) b->disagree = o->disagree;
}

/* Collective: this round's picks into sr (the method's, every trace when
 * the budget covers the corpus, or round >= 2's). */
static int select_round(le_corpus *c, le_rowsrc *src, const le_budget *b, const sel_opts *o, int64_t k1, int whole,
                        sel_dump *d, sel_result *sr, int64_t *given)
{
    int rc = 0;
    if (o->round > 1) {
        sr->sample_key = sample_key_of(o, src);
        rc = select_uncertain(c, src, b, o, d, sr, given);
    } else if (whole)
        select_all(c->meta.n_traces, sr);
    else if (!strcmp(o->method, "random"))
        rc = select_random(&src->s, (int)k1, o, sr);
    else if (!strcmp(o->method, "spectral"))
        rc = select_spectral(&src->s, (int)k1, o, sr);
    else
        rc = select_kmeans(src, (int)k1, o, d, sr);
    return le_agree(rc);
}

/* Round 1's picks: its share of a fixed budget, or the default's first
 * round (docs/labeling.md "Budget"), at most N; *whole when the budget
 * covers the corpus. */
static int64_t first_picks(const sel_opts *o, const le_budget *b, int64_t N, int *whole)
{
    int64_t k1 = o->picks ? o->picks : le_budget_picks(b, 1, 0);
    *whole = o->round == 1 && ((b->fixed && b->fixed >= N) || k1 >= N);
    if (*whole && o->budget > N)
        le_warn("--budget %lld is more than the %lld traces of %s: every trace is a representative", (long long)o->budget,
                (long long)N, o->corpus);
    return k1 > N ? N : k1;
}

static int run(le_corpus *c, const sel_opts *o)
{
    sel_times t = {.start = MPI_Wtime()};
    int64_t N = c->meta.n_traces, given = 0;
    le_budget b;
    resolve_budget(o, N, &b);
    int whole;
    int64_t k1 = first_picks(o, &b, N, &whole);
    sel_opts eff = *o;
    sel_result sr = {0};
    if (o->round == 1) eff.sample = sr.sample_share = sample_share(o->sample, k1, N), o = &eff;
    /* random and spectral need every row at once: the shard kind */
    const le_rowsrc_opts ro = {.repr = o->repr,
                               .emb = o->emb,
                               .vectors = o->vectors,
                               .stats_in = o->stats_in,
                               .stats_out = o->stats_out,
                               .chunk = o->chunk,
                               .stats = 1,
                               .whole = o->round == 1 && !whole && strcmp(o->method, "kmeans")};
    le_rowsrc src;
    sel_dump d = {0};
    int rc = le_rowsrc_open(le_world.comm, c, &ro, &src);
    if (!rc) rc = dump_open(c, &src, o, &d);
    t.opened = MPI_Wtime(), t.c_opened = le_cpu_seconds();
    if (!rc) rc = select_round(c, &src, &b, o, k1, whole, &d, &sr, &given);
    t.sel = MPI_Wtime(), t.c_sel = le_cpu_seconds(), t.dump_sel = d.seconds;
    t.rows_sel = rows_read(&src) + src.seconds_rows_vec, t.c_rows_sel = src.cpu_rows_vec;
    rc = dump_close(&src, &d, rc);
    int64_t n_reps = 0;
    char page[600] = "";
    if (!rc) rc = write_outputs(c, &sr, o, &src, &n_reps, page, sizeof page);
    t.end = MPI_Wtime(), t.dump = d.seconds;
    if (!rc) rc = report(c, o, &b, given, n_reps, &src, &sr, page, &t);
    free(sr.rep), free(sr.size), free(sr.centroids), free(sr.sugg), free(sr.sugg_margin);
    free(sr.sample_index), free(sr.sample_x);
    le_rowsrc_free(&src);
    return rc;
}

int le_cmd_select(int argc, char **argv)
{
    sel_opts o;
    int rc = parse(argc, argv, &o);
    if (rc) return rc < 0 ? 0 : rc;
    le_corpus *c = NULL;
    rc = le_agree(le_corpus_open(le_world.comm, o.corpus, &c));
    if (rc) return le_corpus_close(c), rc; /* opened here, failed elsewhere or in the agreement */
    if (c->meta.n_traces == 0)
        rc = le_agree(le_fail(LE_ERR_USAGE, "%s has no traces to select from", o.corpus));
    else
        rc = run(c, &o);
    le_corpus_close(c);
    return rc;
}
