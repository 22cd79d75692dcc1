/* labelease select: pick the representative traces a person labels
 * (LabelEase's hybrid representative selection, paper section III-C), and
 * write them with the corpus reference statistics to reps.h5 (+ reps.html). */
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "exchange.h"
#include "embfile.h"
#include "kmeans.h"
#include "kmeans_dist.h"
#include "page.h"
#include "propagate.h"
#include "reps.h"
#include "samefile.h"
#include "labeled_dist.h"
#include "spectral_dist.h"

static const char usage[] =
    "usage: labelease select CORPUS.h5 [EMBEDDINGS.h5] -o REPS.h5 [options]\n"
    "\n"
    "Pick the traces a person should label: a share of the labeling budget in each\n"
    "round (two by default; a person labels between them). Round 1: each rank\n"
    "samples a share of its traces (keyed by trace index and seed, so the same at\n"
    "any rank count); distributed k-means (k-means|| start, sgemm Lloyd steps, one\n"
    "allreduce each) clusters the sample into as many clusters as the round picks,\n"
    "and each cluster's representative is its member nearest the centre over the\n"
    "whole corpus. Round 2: the traces the labels so far leave least certain. The representatives' traces, cluster\n"
    "sizes and per-call-path latency statistics of the corpus go to REPS.h5, and\n"
    "the labeling page to REPS.html beside it.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE       representatives file to write (required)\n"
    "  --budget K              labels of the whole labeling, every round included (default\n"
    "                          0.1% of the traces, at least 10); at least the corpus's\n"
    "                          traces: every trace is a representative (round 1)\n"
    "  --rounds R              rounds the budget is spread over (default 2): round 1 picks\n"
    "                          60%, the later rounds the rest (docs/labeling.md, Rounds)\n"
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
    "                          a centre, at least 0.1)\n"
    "  --seed N                sample and initialisation (default 1)\n"
    "  --max-iter N            Lloyd iterations at most (default 100)\n"
    "  --tol X                 converged when at most this share of the sample changes\n"
    "                          cluster in an iteration (default 0.001; 0 = none changes)\n"
    "  --round N --labels CSV  round N >= 2: the next share of the budget, where the\n"
    "                          labels so far (CSV: every earlier round's) are least\n"
    "                          certain (low margin), spread by k-means\n"
    "  --no-page               do not write REPS.html\n"
    "  --dump-vectors FILE     also write every trace's vector (N x dim) to FILE as an\n"
    "                          embeddings file: for --vectors, or to study a run offline\n"
    "  --vectors FILE          read the vectors from FILE (a --dump-vectors of this corpus\n"
    "                          and representation) instead of building them: later rounds\n"
    "                          and propagate then skip the representation's cost\n" LE_COMMON_HELP
    "\n"
    "example (the default two rounds, 500 labels: 300 then 200):\n"
    "  mpirun -np 2 labelease select corpus.h5 -o reps.h5 --budget 500 --dump-vectors vec.h5\n"
    "  labelease label reps.h5 --tui -o labels.csv\n"
    "  mpirun -np 2 labelease select corpus.h5 -o reps2.h5 --budget 500 --round 2 --labels labels.csv --vectors vec.h5\n"
    "  labelease label reps2.h5 --tui -o labels.csv       # keeps round 1's rows\n"
    "  mpirun -np 2 labelease propagate corpus.h5 labels.csv -o labels.h5 --vectors vec.h5\n"
    "the paper's one round over its GAT embeddings:\n"
    "  mpirun -np 2 labelease select corpus.h5 emb.h5 -o reps.h5 --representation gat --rounds 1\n";

/* The last Lloyd iterations move a handful of boundary traces and hardly
 * ever change a representative; stopping there halves the select time. */
#define TOL_DEFAULT 1e-3

typedef struct sel_opts {
    const char *corpus, *emb, *out, *method, *repr, *labels, *dump, *vectors;
    int64_t budget, picks; /* the whole labeling's budget; this round's picks when given */
    int rounds;
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
    int64_t sample_rows, candidates;
    double sample_share;
    int iterations;
    double inertia;
    double seconds_init, seconds_lloyd; /* of seconds_select, k-means only */
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
                                                LE_COMMON_LONGOPTS,
                                                {0}};

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
    if (o->rounds < 1) return le_fail(LE_ERR_USAGE, "--rounds must be at least 1");
    if (o->round > 1 && !o->labels) return le_fail(LE_ERR_USAGE, "--round %d needs --labels (the labels so far)", o->round);
    if (strcmp(o->method, "kmeans") && strcmp(o->method, "random") && strcmp(o->method, "spectral"))
        return le_fail(LE_ERR_USAGE, "--method must be kmeans, random or spectral, not '%s'", o->method);
    return 0;
}

/* No output (the reps file, its page, --dump-vectors) may be an input. */
static int refuse_overwrites(const sel_opts *o)
{
    const char *const inputs[] = {o->corpus, o->emb, o->labels, o->vectors};
    char page[600];
    le_page_path(o->out, page, sizeof page);
    LE_CHECK(le_refuse_input_as_output("-o", o->out, inputs, 4));
    if (o->page) LE_CHECK(le_refuse_input_as_output("the page", page, inputs, 4));
    return le_refuse_input_as_output("--dump-vectors", o->dump, inputs, 4);
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
                    .rounds = LE_ROUNDS_DEFAULT};
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
        case 'N':
            LE_CHECK(le_parse_range("--rounds", optarg, 1, 1000000, &v));
            o->rounds = (int)v;
            break;
        case 'k': LE_CHECK(le_parse_count("--picks", optarg, &o->picks)); break;
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
 * the rare abnormal groups it was to find), at least LE_SAMPLE_MIN. */
#define LE_SAMPLE_PER_CENTRE 30.0
#define LE_SAMPLE_MIN 0.1
static double sample_share(double given, int64_t k, int64_t N)
{
    if (given > 0) return given;
    double x = N > 0 ? LE_SAMPLE_PER_CENTRE * (double)k / (double)N : 1;
    return x < LE_SAMPLE_MIN ? LE_SAMPLE_MIN : x > 1 ? 1 : x;
}

/* Local rows whose draw falls under the share (keyed by global index). */
static int64_t pick_sample(const le_shard *s, double share, uint64_t seed, int64_t *gidx, float *xs)
{
    int64_t m = 0;
    for (int64_t t = 0; t < s->n; t++) {
        if (share < 1 && le_km_uniform(seed, (uint64_t)(s->t0 + t), LE_KM_DRAW_SAMPLE, 0) >= share) continue;
        gidx[m] = s->t0 + t;
        memcpy(xs + m * s->dim, s->x + t * s->dim, sizeof(float) * (size_t)s->dim);
        m++;
    }
    return m;
}

static void result_alloc(sel_result *r, int k)
{
    r->k = k;
    r->rep = le_malloc(sizeof(int64_t) * (size_t)k);
    r->size = le_malloc(sizeof(int64_t) * (size_t)k);
}

/* k-means over rows xs (global indices g), representatives over rows
 * (x_rep, g_rep): the whole shard for round 1, the candidates later. */
static int cluster_rows(const float *xs, const int64_t *g, int64_t m, const float *x_rep, const int64_t *g_rep,
                        int64_t first_rep, int64_t n_rep, int dim, int k, const sel_opts *o, sel_result *r)
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
    return le_kmeans_assign_reps(le_world.comm, x_rep, g_rep, first_rep, n_rep, dim, kr.centroids, k, r->size, r->rep, NULL,
                                 NULL);
}

static int select_kmeans(const le_shard *s, int k, const sel_opts *o, sel_result *r)
{
    int64_t *g = le_malloc(sizeof(int64_t) * (size_t)s->n);
    float *xs = le_malloc_big(sizeof(float) * (size_t)s->n * (size_t)s->dim); /* touched for the sample only */
    int64_t m = pick_sample(s, o->sample, o->seed, g, xs), total = m;
    int rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &total, 1, MPI_INT64_T, MPI_SUM, le_world.comm));
    if (rc) goto cleanup;
    if (total < k) m = pick_sample(s, 1.0, o->seed, g, xs), total = -1; /* a tiny corpus: cluster it all */
    r->sample_rows = total;
    rc = cluster_rows(xs, g, m, s->x, NULL, s->t0, s->n, s->dim, k, o, r);
cleanup:
    free(g), free(xs);
    return rc;
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
 * are those of `propagate` whatever the rank count. The rank holding the
 * trace computes; a max-reduction gives everyone the result. */
static int suggest_picks(const le_shard *s, const le_labeled *lab, sel_result *r)
{
    r->sugg = le_malloc((size_t)(r->k ? r->k : 1));
    r->sugg_margin = le_malloc(sizeof(float) * (size_t)(r->k ? r->k : 1));
    float *work = le_malloc(sizeof(float) * (size_t)(lab->n ? lab->n : 1));
    for (int j = 0; j < r->k; j++) {
        r->sugg[j] = -1, r->sugg_margin[j] = -INFINITY;
        int64_t g = r->rep[j];
        if (lab->n <= 0 || g < s->t0 || g >= s->t1) continue;
        le_prop_label_rows(s->x + (g - s->t0) * s->dim, 1, s->dim, lab->x, lab->label, lab->n, 1, work, &r->sugg[j],
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

/* Round >= 2: margins of every sampled trace under the labels so far; the
 * least certain (about 20 per new label) are clustered into k groups, so
 * the new picks are uncertain and unlike each other. */
static int select_uncertain(le_corpus *c, const le_shard *s, int64_t K, const sel_opts *o, sel_result *r, int64_t *given)
{
    le_labeled lab;
    LE_CHECK(le_labeled_load(le_world.comm, c, s, o->labels, &lab));
    *given = lab.n;
    int64_t want = o->picks ? o->picks : le_round_budget(K, o->rounds, o->round, lab.n);
    sel_opts eff = *o;
    eff.sample = r->sample_share = sample_share(o->sample, want, c->meta.n_traces);
    o = &eff;
    if (want <= 0) {
        le_labeled_free(&lab);
        return le_fail(LE_ERR_USAGE,
                       "round %d: the budget of %lld labels is spent (%s holds %lld): give a larger --budget (the "
                       "whole labeling's, every round included) or --picks N",
                       o->round, (long long)K, o->labels, (long long)*given);
    }
    int k = (int)(want < INT32_MAX ? want : INT32_MAX);
    /* The sampled, unlabelled traces (rows packed into xs) and their
     * margins: only they can enter the pool, so only theirs are computed. */
    size_t nn = (size_t)(s->n ? s->n : 1);
    uint8_t *given_here = le_calloc(nn, 1);
    for (int64_t i = 0; i < lab.n; i++)
        if (lab.index[i] >= s->t0 && lab.index[i] < s->t1) given_here[lab.index[i] - s->t0] = 1;
    int64_t *g = le_malloc(sizeof(int64_t) * nn), m = 0;
    for (int64_t t = 0; t < s->n; t++)
        if (!given_here[t] && le_km_uniform(o->seed, (uint64_t)(s->t0 + t), LE_KM_DRAW_SAMPLE, 0) < o->sample)
            g[m++] = s->t0 + t;
    float *xs = le_malloc_big(sizeof(float) * (size_t)m * (size_t)s->dim), *ms = le_malloc(sizeof(float) * (size_t)m);
    for (int64_t i = 0; i < m; i++) memcpy(xs + i * s->dim, s->x + (g[i] - s->t0) * s->dim, sizeof(float) * (size_t)s->dim);
    int8_t *label = le_malloc((size_t)m);
    float *work = le_malloc(sizeof(float) * (size_t)LE_KM_BLOCK * (size_t)lab.n);
    le_prop_label_rows(xs, m, s->dim, lab.x, lab.label, lab.n, 1, work, label, ms);
    /* Threshold: the pool-th smallest sampled margin over all ranks. */
    void *all = NULL;
    int64_t tot = 0, cap = 0;
    int rc = le_allgatherv_append(le_world.comm, ms, m, MPI_FLOAT, &all, &tot, &cap, "sampled margins");
    if (rc) goto cleanup;
    float *allm = all;
    qsort(allm, (size_t)tot, sizeof(float), cmp_float);
    int64_t pool = 20 * (int64_t)k < tot ? 20 * (int64_t)k : tot;
    float tau = pool > 0 ? allm[pool - 1] : 0;
    int64_t mp = 0; /* the pool: packed in place, in trace order */
    for (int64_t i = 0; i < m; i++) {
        if (!(ms[i] <= tau)) continue;
        if (mp != i) g[mp] = g[i], memcpy(xs + mp * s->dim, xs + i * s->dim, sizeof(float) * (size_t)s->dim);
        mp++;
    }
    m = mp;
    if (k > pool) k = (int)pool;
    r->sample_rows = pool;
    rc = k > 0 ? cluster_rows(xs, g, m, xs, g, 0, m, s->dim, k, o, r)
               : le_fail(LE_ERR_USAGE, "round %d: no unlabeled traces left", o->round);
    rc = le_agree(rc);
    if (!rc) rc = suggest_picks(s, &lab, r);
cleanup:
    free(given_here), free(label), free(work), free(g), free(xs), free(ms), free(all);
    le_labeled_free(&lab);
    return rc;
}

/* Collective: the shard's vectors in corpus order, in the embeddings file
 * format, so a run's exact vectors can be inspected offline. */
static int dump_vectors(le_corpus *c, const le_shard *s, const sel_opts *o)
{
    le_embfile *f = NULL;
    int rc = le_agree(
        le_emb_create(le_world.comm, o->dump, c->meta.n_traces, s->dim, o->corpus, c->meta.fingerprint, o->repr, &f));
    if (!rc) rc = le_emb_write(f, s->t0, s->n, s->x);
    int rc2 = le_emb_close(f, rc);
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

/* Collective: the representatives' whole traces to rank 0, from the shards
 * that hold them already (reading them back from the compressed corpus
 * inflated a chunk of every column per representative: 1.3 s for 90). On
 * rank 0, tb[j] is cluster j's trace (clusters without a member: empty). */
static int collect_rep_traces(const le_shard *s, const sel_result *sr, le_corpus_block *tb)
{
    const le_corpus_block *b = &s->b;
    size_t len = 0;
    for (int j = 0; j < sr->k; j++)
        if (sr->rep[j] >= s->t0 && sr->rep[j] < s->t1) {
            int64_t t = sr->rep[j] - s->t0;
            len += rep_bytes(b->span_offset[t + 1] - b->span_offset[t], le_block_id_len(b, t));
        }
    char *buf = le_malloc(len), *p = buf;
    for (int j = 0; j < sr->k; j++) {
        if (!(sr->rep[j] >= s->t0 && sr->rep[j] < s->t1)) continue;
        int64_t t = sr->rep[j] - s->t0, lo = b->span_offset[t], m = b->span_offset[t + 1] - lo;
        rep_head h = {j, m, b->trace_start_us[t], (int64_t)le_block_id_len(b, t)};
        p = PACK(p, &h, 1), p = PACK(p, le_block_id(b, t), h.id_len);
        p = PACK(p, b->parent + lo, m), p = PACK(p, b->service + lo, m), p = PACK(p, b->operation + lo, m);
        p = PACK(p, b->start_us + lo, m), p = PACK(p, b->duration_us + lo, m), p = PACK(p, b->status_code + lo, m);
        p = PACK(p, b->error + lo, m);
    }
    char *all = NULL;
    uint64_t all_len = 0;
    int rc = le_gather_bytes(le_world.comm, buf, len, &all, &all_len, 0);
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
static int gather_reps(le_corpus *c, const le_callpaths *cp, const sel_result *sr, const sel_opts *o, const le_shard *s,
                       const le_corpus_block *traces, le_reps *r)
{
    memset(r, 0, sizeof *r);
    int64_t k = 0, ns = 0;
    r->trace_index = le_malloc(sizeof(int64_t) * (size_t)sr->k);
    r->cluster_size = le_malloc(sizeof(int64_t) * (size_t)sr->k);
    if (sr->centroids) r->centroids = le_malloc(sizeof(float) * (size_t)sr->k * (size_t)s->dim), r->dim = s->dim;
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
        if (sr->centroids)
            memcpy(r->centroids + k * s->dim, sr->centroids + (int64_t)j * s->dim, sizeof(float) * (size_t)s->dim);
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
static int write_reps(le_corpus *c, const le_callpaths *cp, const sel_result *sr, const sel_opts *o, const le_shard *s,
                      const le_corpus_block *traces, int64_t *n_reps, char *page, size_t page_cap)
{
    le_reps r;
    int rc = gather_reps(c, cp, sr, o, s, traces, &r);
    if (!rc) rc = le_reps_write(o->out, &r, &c->meta);
    if (!rc && o->page) {
        le_page_path(o->out, page, page_cap);
        rc = le_page_labeling_write(page, &r, &c->meta);
    }
    *n_reps = r.k;
    le_reps_free(&r);
    return rc;
}

/* Collective. */
static int write_outputs(le_corpus *c, const le_callpaths *cp, const sel_result *sr, const sel_opts *o, const le_shard *s,
                         int64_t *n_reps, char *page, size_t page_cap)
{
    page[0] = 0;
    le_corpus_block *traces = le_calloc((size_t)sr->k, sizeof *traces);
    int rc = le_agree(collect_rep_traces(s, sr, traces));
    if (!rc && le_world.rank == 0) rc = write_reps(c, cp, sr, o, s, traces, n_reps, page, page_cap);
    for (int j = 0; j < sr->k; j++) le_block_free(&traces[j]);
    free(traces);
    return le_agree(rc);
}

/* Wall and CPU clocks at the steps of run(), for the report. */
typedef struct sel_times {
    double start, read, vec, sel0, sel, end, dump; /* dump: writing --dump-vectors, not select's */
    double c_read, c_vec, c_sel0, c_sel;
} sel_times;

/* Collective (the ranks' seconds): the key: value report on rank 0. */
static int report(const le_corpus *c, const sel_opts *o, int64_t K, int64_t given, int64_t n_reps, const le_shard *s,
                  const le_callpaths *cp, const sel_result *sr, const char *page, const sel_times *t)
{
    int64_t N = c->meta.n_traces;
    le_report_begin();
    le_report_str("corpus", o->corpus);
    le_report_int("traces", N);
    le_report_int("ranks", le_world.size);
    le_report_str("method", o->round > 1 ? "uncertainty" : o->method);
    le_report_str("representation", o->repr);
    le_report_int("round", o->round);
    le_report_int("dim", s->dim);
    le_report_int("call_paths", cp->n);
    le_report_int("budget", K > N ? N : K);
    if (o->budget > N) le_report_int("budget_requested", o->budget);
    le_report_int("rounds", o->rounds);
    if (o->round > 1) le_report_int("labels_before", given);
    le_report_int("representatives", n_reps);
    int64_t next = le_round_budget(K, o->rounds, o->round + 1, given + n_reps);
    if (o->round < o->rounds && next > 0) {
        le_report_int("next_round_picks", next);
        le_info(
            "next: label %s, then select --round %d --labels LABELS.csv (same --budget, --representation, --seed) "
            "picks the next %lld",
            o->out, o->round + 1, (long long)next);
    }
    if (sr->sample_share > 0) le_report_dbl("sample_share", sr->sample_share);
    if (sr->sample_rows) le_report_int(o->round > 1 ? "uncertain_pool" : "sample_rows", sr->sample_rows);
    if (sr->iterations) le_report_int("lloyd_iterations", sr->iterations), le_report_int("init_candidates", sr->candidates);
    if (sr->iterations) le_report_dbl("inertia", sr->inertia);
    le_report_str("output", o->out);
    if (o->vectors) le_report_str("vectors", o->vectors);
    if (o->dump) le_report_str("dump_vectors", o->dump);
    if (page[0]) le_report_str("page", page);
    /* the embeddings file is read inside le_shard_vectors: I/O, not the vectors' compute */
    le_report_dbl("seconds_read", t->read - t->start + s->seconds_emb_read);
    le_report_dbl("seconds_read_embeddings", s->seconds_emb_read);
    le_report_dbl("seconds_vectors", t->vec - t->read - s->seconds_emb_read);
    le_report_dbl("seconds_select", t->sel - t->sel0);
    if (sr->iterations)
        le_report_dbl("seconds_kmeans_init", sr->seconds_init), le_report_dbl("seconds_lloyd", sr->seconds_lloyd);
    le_report_dbl("seconds_write", t->end - t->sel + t->dump);
    if (o->dump) le_report_dbl("seconds_dump_vectors", t->dump);
    le_report_dbl("cpu_seconds_read_embeddings", s->cpu_emb_read);
    le_report_dbl("cpu_seconds_vectors", t->c_vec - t->c_read - s->cpu_emb_read);
    le_report_dbl("cpu_seconds_select", t->c_sel - t->c_sel0);
    le_report_dbl("seconds", t->end - t->start);
    int rc = le_report_rank_seconds("seconds", t->end - t->start);
    le_report_end();
    return rc;
}

static int run(le_corpus *c, const sel_opts *o)
{
    double t_start = MPI_Wtime();
    le_shard s;
    le_callpaths cp = {0};
    int rc = le_agree(le_shard_load(le_world.comm, c, &s));
    if (!rc && o->vectors) rc = le_agree(le_shard_vectors_read(le_world.comm, c, o->repr, o->vectors, &s));
    double t_read = MPI_Wtime(), c_read = le_cpu_seconds();
    /* the path statistics are for reps.h5 whether the vectors are built or read */
    if (!rc) rc = le_agree(le_callpaths_build(le_world.comm, &s, &cp));
    if (!rc && !o->vectors) rc = le_agree(le_shard_vectors(le_world.comm, c, o->repr, o->emb, &cp, &s));
    double t_vec = MPI_Wtime(), c_vec = le_cpu_seconds();
    if (!rc && o->dump) rc = dump_vectors(c, &s, o);
    if (rc) {
        le_shard_free(&s), le_callpaths_free(&cp);
        return rc;
    }
    double t_sel0 = MPI_Wtime(), c_sel0 = le_cpu_seconds(), t_dump = t_sel0 - t_vec; /* a write: not select's */
    /* the floor of 10 is for the default only: an explicit --budget is taken as given */
    int64_t N = c->meta.n_traces, K = o->budget ? o->budget : (int64_t)llround(0.001 * (double)N);
    if (!o->budget && K < 10) K = 10;
    /* round 1 picks its share of the budget (docs/labeling.md "Rounds") */
    int64_t k1 = o->picks ? o->picks : le_round_budget(K, o->rounds, 1, 0), given = 0;
    int whole = o->round == 1 && (K >= N || k1 >= N);
    if (whole && o->budget > N)
        le_warn("--budget %lld is more than the %lld traces of %s: every trace is a representative", (long long)o->budget,
                (long long)N, o->corpus);
    if (k1 > N) k1 = N;
    sel_opts eff = *o;
    sel_result sr = {0};
    if (o->round == 1) eff.sample = sr.sample_share = sample_share(o->sample, k1, N), o = &eff;
    if (o->round > 1)
        rc = select_uncertain(c, &s, K, o, &sr, &given);
    else if (whole)
        select_all(N, &sr);
    else if (!strcmp(o->method, "random"))
        rc = select_random(&s, (int)k1, o, &sr);
    else if (!strcmp(o->method, "spectral"))
        rc = select_spectral(&s, (int)k1, o, &sr);
    else
        rc = select_kmeans(&s, (int)k1, o, &sr);
    rc = le_agree(rc);
    double t_sel = MPI_Wtime(), c_sel = le_cpu_seconds();
    int64_t n_reps = 0;
    char page[600] = "";
    if (!rc) rc = write_outputs(c, &cp, &sr, o, &s, &n_reps, page, sizeof page);
    double t_end = MPI_Wtime();
    const sel_times t = {.start = t_start,
                         .read = t_read,
                         .vec = t_vec,
                         .sel0 = t_sel0,
                         .sel = t_sel,
                         .end = t_end,
                         .dump = t_dump,
                         .c_read = c_read,
                         .c_vec = c_vec,
                         .c_sel0 = c_sel0,
                         .c_sel = c_sel};
    if (!rc) rc = report(c, o, K, given, n_reps, &s, &cp, &sr, page, &t);
    free(sr.rep), free(sr.size), free(sr.centroids), free(sr.sugg), free(sr.sugg_margin);
    le_shard_free(&s);
    le_callpaths_free(&cp);
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
