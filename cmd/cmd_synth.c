/* labelease synth: the synthetic benchmark corpus (algos/synth.h, docs/synth.md).
 *
 * Each rank owns a contiguous range of trace indexes and walks it twice in
 * chunks: a counting pass (generating a trace is cheap, storing it is not)
 * gives the rank's span total, one MPI_Exscan its global span offset; then a
 * writing pass generates each chunk into one reused block and writes it
 * collectively. Memory per rank depends on --chunk, not on --traces, and
 * the file is the same at any rank count because every trace is a function
 * of (seed, index) alone. */
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "driver.h"
#include "ini.h"
#include "samefile.h"
#include "synth.h"

static const char usage[] =
    "usage: labelease synth -o corpus.h5 [--traces N] [--days D] [--seed S] [--config FILE] [--chunk N]\n"
    "\n"
    "Generate the synthetic benchmark corpus: Online Boutique traces (frontend, cart\n"
    "and redis, product catalog, currency, payment, shipping, email, checkout,\n"
    "recommendation, ad) with injected faults (pod failure, network delay, packet\n"
    "loss, CPU and memory stress, exception, wrong return) and ground truth: a\n"
    "label and a fault per trace, and the fault list. The defaults give the shape of\n"
    "the LabelEase paper's dataset D1 (130,363 traces, about 21% abnormal, 36 faults\n"
    "over 48 hours). The file is identical whatever the number of ranks.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE  the corpus to write (HDF5, docs/corpus.md); required\n"
    "  --traces N         number of traces in all (default 130363; k/M/G suffixes and 1e6 work)\n"
    "  --days D           cover D days (whole days, 1..5000) with the config's faults and\n"
    "                     traffic per day (default: 18 faults and 65,182 traces a day); with\n"
    "                     --traces, N is the total over the D days\n"
    "  --seed S           random seed: the same seed and options give the same file (default 1)\n"
    "  --config FILE      model knobs (INI), e.g. configs/synth/online-boutique.ini, whose\n"
    "                     values are the built-in defaults; --traces and --seed override it\n"
    "  --chunk N          traces generated and written at a time per rank (default 65536);\n"
    "                     memory per rank grows with it, not with --traces\n" LE_COMMON_HELP
    "\n"
    "report: traces, spans, abnormal_traces, abnormal_share, faults, seconds,\n"
    "traces_per_s_per_rank (and the generate/write split).\n"
    "\n"
    "example:\n"
    "  mpirun -np 4 labelease synth -o corpus.h5 --traces 1M --seed 7\n"
    "  mpirun -np 4 labelease synth -o month.h5 --days 30 --traces 1e8   # 540 faults\n";

typedef struct synth_opts {
    const char *output, *config;
    int64_t traces, seed, chunk, days;
    int has_traces, has_seed;
} synth_opts;

/* ------------------------------------------------------------ options */

static int parse_options(int argc, char **argv, synth_opts *o, int *help)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"traces", required_argument, 0, 't'},
                                         {"seed", required_argument, 0, 's'},
                                         {"config", required_argument, 0, 'c'},
                                         {"chunk", required_argument, 0, 'k'},
                                         {"days", required_argument, 0, 'd'},
                                         LE_COMMON_LONGOPTS,
                                         {0}};
    memset(o, 0, sizeof *o);
    o->chunk = 65536;
    *help = 0;
    optind = 0; /* 0, not 1: glibc then resets all its state (commands may run in-process) */
    int c;
    while ((c = getopt_long(argc, argv, "o:vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        switch (c) {
        case 'h': *help = 1; return 0;
        case 'o': o->output = optarg; break;
        case 't':
            LE_CHECK(le_parse_count("--traces", optarg, &o->traces));
            o->has_traces = 1;
            break;
        case 's':
            LE_CHECK(le_parse_count("--seed", optarg, &o->seed));
            o->has_seed = 1;
            break;
        case 'c': o->config = optarg; break;
        case 'k': LE_CHECK(le_parse_count("--chunk", optarg, &o->chunk)); break;
        case 'd': LE_CHECK(le_parse_range("--days", optarg, 1, SYNTH_MAX_DAYS, &o->days)); break;
        default: return le_fail(LE_ERR_USAGE, "bad option (labelease synth --help lists them)");
        }
    }
    if (optind < argc) return le_fail(LE_ERR_USAGE, "unexpected argument '%s' (labelease synth --help)", argv[optind]);
    if (!o->output) return le_fail(LE_ERR_USAGE, "-o corpus.h5 is required (labelease synth --help)");
    if (o->chunk < 1 || o->chunk > 100000000) return le_fail(LE_ERR_USAGE, "--chunk must be between 1 and 1e8");
    const char *const inputs[] = {o->config};
    return le_refuse_input_as_output("-o", o->output, inputs, 1);
}

/* ------------------------------------------------------------- config */

/* Every INI key, where it goes. Keys are "section:name" in lower case (the
 * file's names are read in lower case); docs/synth.md documents each. */
typedef enum { K_DBL, K_INT, K_I64 } key_type;
typedef struct cfg_key {
    char name[80];
    key_type type;
    void *ptr;
} cfg_key;

enum { MAX_KEYS = 128 };

static void add_key(cfg_key *k, int *n, key_type type, void *ptr, const char *section, const char *name)
{
    snprintf(k[*n].name, sizeof k[*n].name, "%s:%s", section, name);
    k[*n].type = type;
    k[*n].ptr = ptr;
    (*n)++;
}

static int config_keys(synth_params *p, cfg_key *k)
{
    int n = 0;
    add_key(k, &n, K_I64, &p->n_traces, "corpus", "traces");
    add_key(k, &n, K_I64, &p->seed, "corpus", "seed");
    add_key(k, &n, K_I64, &p->start_unix_s, "corpus", "start");
    add_key(k, &n, K_DBL, &p->hours, "corpus", "hours");
    add_key(k, &n, K_DBL, &p->load_amplitude, "load", "amplitude");
    add_key(k, &n, K_DBL, &p->peak_hour, "load", "peak_hour");
    add_key(k, &n, K_DBL, &p->load_latency_gain, "load", "latency_gain");
    for (int i = 0; i < SYNTH_N_KINDS; i++) add_key(k, &n, K_DBL, &p->mix[i], "mix", synth_kind_name(i));
    add_key(k, &n, K_INT, &p->n_products, "shop", "products");
    add_key(k, &n, K_INT, &p->n_recommendations, "shop", "recommendations");
    add_key(k, &n, K_DBL, &p->cart_items_mean, "shop", "cart_items_mean");
    add_key(k, &n, K_DBL, &p->latency_scale, "latency", "scale");
    add_key(k, &n, K_DBL, &p->tail_prob, "latency", "tail_prob");
    add_key(k, &n, K_DBL, &p->tail_alpha, "latency", "tail_alpha");
    add_key(k, &n, K_DBL, &p->noise_client_error, "noise", "client_error");
    add_key(k, &n, K_DBL, &p->noise_ad_failure, "noise", "ad_failure");
    add_key(k, &n, K_DBL, &p->noise_redis_retry, "noise", "redis_retry");
    add_key(k, &n, K_INT, &p->n_faults, "faults", "count");
    add_key(k, &n, K_DBL, &p->fault_min_minutes, "faults", "min_minutes");
    add_key(k, &n, K_DBL, &p->fault_max_minutes, "faults", "max_minutes");
    add_key(k, &n, K_DBL, &p->intensity_min, "faults", "intensity_min");
    add_key(k, &n, K_DBL, &p->intensity_max, "faults", "intensity_max");
    add_key(k, &n, K_DBL, &p->target_abnormal, "faults", "target_abnormal");
    for (int t = 0; t < SYNTH_N_FAULT_TYPES; t++) {
        add_key(k, &n, K_DBL, &p->fault_type_weight[t], "fault_types", synth_fault_type_name(t));
        add_key(k, &n, K_DBL, &p->effect_prob[t], "effect", synth_fault_type_name(t));
    }
    add_key(k, &n, K_DBL, &p->effect_prob_pod_replicated, "effect", "pod_failure_replicated");
    for (int s = 0; s < SYNTH_N_SERVICES; s++) {
        add_key(k, &n, K_DBL, &p->fault_service_weight[s], "fault_services", synth_service_name(s));
        add_key(k, &n, K_INT, &p->replicas[s], "replicas", synth_service_name(s));
    }
    return n;
}

static int set_key(const cfg_key *k, const char *v, const char *path, int line)
{
    char *end;
    errno = 0;
    if (k->type == K_DBL) {
        *(double *)k->ptr = strtod(v, &end);
    } else {
        long long x = strtoll(v, &end, 10);
        if (k->type == K_INT && (x < -2147483647LL || x > 2147483647LL)) errno = ERANGE;
        if (k->type == K_INT)
            *(int *)k->ptr = (int)x;
        else
            *(int64_t *)k->ptr = x;
    }
    if (end == v || *end || errno || (k->type == K_DBL && !isfinite(*(double *)k->ptr)))
        return le_fail(LE_ERR_USAGE, "%s:%d: %s = '%s' is not %s", path, line, k->name, v,
                       k->type == K_DBL ? "a finite number" : "a whole number");
    return 0;
}

/* Read an INI file over p. Unknown keys are errors: a misspelt knob would
 * otherwise be silently ignored. */
static int load_config(const char *path, synth_params *p)
{
    le_ini ini;
    LE_CHECK(le_ini_load(&ini, path, LE_INI_LOWER));
    cfg_key keys[MAX_KEYS];
    int nk = config_keys(p, keys), rc = 0;
    for (int s = 0; s < ini.nsec && !rc; s++)
        for (int i = 0; i < ini.sec[s].n && !rc; i++) {
            const le_ini_kv *e = &ini.sec[s].kv[i];
            char name[512];
            snprintf(name, sizeof name, "%s:%s", ini.sec[s].name, e->key);
            int found = -1;
            for (int j = 0; j < nk && found < 0; j++)
                if (!strcmp(keys[j].name, name)) found = j;
            if (found < 0)
                rc = le_fail(LE_ERR_USAGE, "%s:%d: unknown key '%s' (docs/synth.md lists the keys)", path, e->line, name);
            else
                rc = set_key(&keys[found], e->val, path, e->line);
        }
    le_ini_free(&ini);
    return rc;
}

/* --days D stretches the configured corpus (corpus.hours, faults.count,
 * corpus.traces: the defaults or --config's) to 24 D hours at the same
 * faults and traces per hour; --traces then sets the total instead. A fault
 * count that would not be whole conflicts with the config's rate. */
static int stretch_to_days(int64_t days, int has_traces, synth_params *p)
{
    double scale = 24.0 * (double)days / p->hours, faults = p->n_faults * scale;
    if (fabs(faults - nearbyint(faults)) > 1e-6)
        return le_fail(LE_ERR_USAGE,
                       "synth: --days %lld with faults.count = %d over corpus.hours = %g gives %.3g faults, not a whole "
                       "number: change --days or faults.count",
                       (long long)days, p->n_faults, p->hours, faults);
    if (faults > SYNTH_MAX_FAULTS)
        return le_fail(LE_ERR_USAGE, "synth: --days %lld gives %.0f faults, more than %d", (long long)days, faults,
                       SYNTH_MAX_FAULTS);
    p->n_faults = (int)nearbyint(faults);
    if (!has_traces) p->n_traces = llround((double)p->n_traces * scale);
    p->hours = 24.0 * (double)days;
    return 0;
}

static int make_params(const synth_opts *o, synth_params *p)
{
    synth_params_default(p);
    if (o->config) LE_CHECK(load_config(o->config, p));
    if (o->days) LE_CHECK(stretch_to_days(o->days, o->has_traces, p));
    if (o->has_traces) p->n_traces = o->traces;
    if (o->has_seed) p->seed = (uint64_t)o->seed;
    return 0;
}

/* --------------------------------------------------------------- meta */

static void make_meta(const synth_model *m, const synth_opts *o, le_corpus_meta *meta)
{
    memset(meta, 0, sizeof *meta);
    meta->n_traces = m->p.n_traces;
    meta->n_services = SYNTH_N_SERVICES;
    meta->services = le_malloc(sizeof(char *) * SYNTH_N_SERVICES);
    for (int s = 0; s < SYNTH_N_SERVICES; s++) meta->services[s] = le_strdup(synth_service_name(s));
    meta->n_operations = m->n_ops;
    meta->operations = le_malloc(sizeof(char *) * (size_t)m->n_ops);
    meta->operation_service = le_malloc(sizeof(int32_t) * (size_t)m->n_ops);
    for (int i = 0; i < m->n_ops; i++) {
        meta->operations[i] = le_strdup(m->op_name[i]);
        meta->operation_service[i] = m->op_service[i];
    }
    meta->n_id_bytes = m->p.n_traces * SYNTH_TRACE_ID_LEN; /* every synth id has the same length */
    meta->has_ground_truth = 1;
    meta->n_faults = m->n_faults;
    meta->faults = le_calloc((size_t)m->n_faults, sizeof *meta->faults);
    for (int k = 0; k < m->n_faults; k++) {
        le_fault *f = &meta->faults[k];
        f->service = m->faults[k].service;
        snprintf(f->service_name, sizeof f->service_name, "%s", synth_service_name(m->faults[k].service));
        snprintf(f->type, sizeof f->type, "%s", synth_fault_type_name(m->faults[k].type));
        f->start_us = m->faults[k].start_us;
        f->end_us = m->faults[k].end_us;
        f->intensity = m->faults[k].intensity;
    }
    const char *cfg = o->config ? strrchr(o->config, '/') : NULL;
    char days[32] = "";
    if (o->days) snprintf(days, sizeof days, " --days %lld", (long long)o->days);
    snprintf(meta->source, sizeof meta->source,
             "labelease synth --seed %llu --traces %lld%s%s%s (Online Boutique model, %d faults)",
             (unsigned long long)m->p.seed, (long long)m->p.n_traces, days, o->config ? " --config " : "",
             o->config ? (cfg ? cfg + 1 : o->config) : "", m->n_faults);
}

/* --------------------------------------------------------- generation */

/* This rank's traces and how they are cut. */
typedef struct shard {
    int64_t t0, t1, chunk;
    int64_t rounds; /* collective write calls: the largest chunk count of any rank */
} shard;

static void make_shard(int64_t n, int64_t chunk, shard *s)
{
    s->t0 = n * le_world.rank / le_world.size;
    s->t1 = n * (le_world.rank + 1) / le_world.size;
    s->chunk = chunk;
    int64_t most = (n + le_world.size - 1) / le_world.size; /* no rank has more than this */
    s->rounds = (most + chunk - 1) / chunk;
}

/* Progress on stderr for long runs, from rank 0 (its share stands for all). */
typedef struct progress {
    const char *what;
    double start, last;
} progress;

static void progress_tick(progress *pg, const shard *s, int64_t done)
{
    double now = le_now();
    if (now - pg->last < 10.0 || s->t1 == s->t0) return;
    pg->last = now;
    le_info("synth: %s %.0f%% (%.0f s)", pg->what, 100.0 * (double)(done - s->t0) / (double)(s->t1 - s->t0),
            now - pg->start);
}

typedef struct counts {
    int64_t spans, abnormal, max_chunk_spans;
} counts;

static int count_pass(const synth_model *m, const shard *s, counts *c)
{
    synth_out out = {SYNTH_MAX_SPANS,
                     le_malloc(sizeof(int32_t) * SYNTH_MAX_SPANS),
                     le_malloc(sizeof(int32_t) * SYNTH_MAX_SPANS),
                     le_malloc(sizeof(int32_t) * SYNTH_MAX_SPANS),
                     le_malloc(sizeof(int32_t) * SYNTH_MAX_SPANS),
                     le_malloc(sizeof(int64_t) * SYNTH_MAX_SPANS),
                     le_malloc(sizeof(int64_t) * SYNTH_MAX_SPANS),
                     le_malloc(SYNTH_MAX_SPANS)};
    progress pg = {"counting", le_now(), le_now()};
    memset(c, 0, sizeof *c);
    int rc = 0;
    for (int64_t a = s->t0; a < s->t1 && !rc; a += s->chunk) {
        int64_t b = a + s->chunk < s->t1 ? a + s->chunk : s->t1, spans = 0;
        for (int64_t t = a; t < b && !rc; t++) {
            synth_trace_info info;
            rc = synth_trace(m, (uint64_t)t, &out, &info);
            spans += info.n_spans;
            c->abnormal += info.label;
        }
        c->spans += spans;
        if (spans > c->max_chunk_spans) c->max_chunk_spans = spans;
        progress_tick(&pg, s, b);
    }
    free(out.parent), free(out.service), free(out.operation), free(out.status_code);
    free(out.start_us), free(out.duration_us), free(out.error);
    return rc;
}

/* Generate traces [a, b) into blk (allocated for the largest chunk). */
static int fill_block(const synth_model *m, int64_t a, int64_t b, int64_t span_cap, le_corpus_block *blk)
{
    int64_t used = 0;
    blk->id_byte_begin = a * SYNTH_TRACE_ID_LEN;
    for (int64_t t = a; t < b; t++) {
        int64_t room = span_cap - used, i = t - a;
        synth_out out = {(int32_t)(room < SYNTH_MAX_SPANS ? room : SYNTH_MAX_SPANS),
                         blk->parent + used,
                         blk->service + used,
                         blk->operation + used,
                         blk->status_code + used,
                         blk->start_us + used,
                         blk->duration_us + used,
                         blk->error + used};
        synth_trace_info info;
        LE_CHECK(synth_trace(m, (uint64_t)t, &out, &info));
        blk->span_offset[i] = used;
        le_block_put_id(blk, i, info.trace_id, SYNTH_TRACE_ID_LEN);
        blk->trace_start_us[i] = info.start_us;
        blk->label[i] = info.label ? LE_LABEL_ABNORMAL : LE_LABEL_NORMAL;
        blk->fault[i] = info.fault;
        used += info.n_spans;
    }
    blk->n_traces = b - a;
    blk->n_spans = used;
    blk->span_offset[b - a] = used;
    return 0;
}

/* The writing pass: one collective write per round on every rank. Adds
 * the time spent generating and writing to *t_gen and *t_io. */
static int write_pass(const synth_model *m, const shard *s, const counts *c, int64_t span_begin, le_corpus_writer *w,
                      double *t_gen, double *t_io)
{
    le_corpus_block blk;
    le_block_alloc(&blk, s->chunk, c->max_chunk_spans, (size_t)s->chunk * (SYNTH_TRACE_ID_LEN + 1), 1);
    progress pg = {"writing", le_now(), le_now()};
    int rc = 0;
    int64_t a = s->t0;
    for (int64_t r = 0; r < s->rounds; r++) {
        int64_t b = a + s->chunk < s->t1 ? a + s->chunk : s->t1;
        blk.trace_begin = a;
        blk.span_begin = span_begin;
        double t0 = le_now();
        if (!rc) rc = fill_block(m, a, b, c->max_chunk_spans, &blk);
        if (rc) blk.n_traces = blk.n_spans = 0; /* keep the collective calls in step */
        double t1 = le_now();
        int wrc = le_corpus_write_block(w, &blk);
        *t_gen += t1 - t0;
        *t_io += le_now() - t1;
        if (!rc) rc = wrc;
        span_begin += blk.n_spans;
        a = b;
        progress_tick(&pg, s, b);
    }
    le_block_free(&blk);
    return rc;
}

/* ------------------------------------------------------------- report */

static int report(const synth_model *m, const char *out, int64_t spans, int64_t abnormal, double t_gen, double t_write,
                  double t_all, double t_local)
{
    int64_t n = m->p.n_traces;
    le_report_begin();
    le_report_str("output", out);
    le_report_int("seed", (int64_t)m->p.seed);
    le_report_int("traces", n);
    le_report_int("spans", spans);
    le_report_int("abnormal_traces", abnormal);
    le_report_dbl("abnormal_share", n ? (double)abnormal / (double)n : 0);
    le_report_dbl("expected_abnormal_share", m->expected_abnormal);
    le_report_int("faults", m->n_faults);
    le_report_dbl("hours", m->p.hours);
    le_report_int("ranks", le_world.size);
    le_report_dbl("generate_seconds", t_gen);
    le_report_dbl("write_seconds", t_write);
    le_report_dbl("seconds", t_all);
    int rc = le_report_rank_seconds("seconds", t_local);
    le_report_dbl("traces_per_s_per_rank", t_all > 0 ? (double)n / t_all / le_world.size : 0);
    le_report_end();
    return rc;
}

static void log_faults(const synth_model *m)
{
    for (int k = 0; k < m->n_faults; k++) {
        const synth_fault *f = &m->faults[k];
        le_debug("fault %d: %s on %s, %.1f min from %lld, intensity %.2f, p_effect %.2f, expected share %.4f", k,
                 synth_fault_type_name(f->type), synth_service_name(f->service), (double)(f->end_us - f->start_us) / 6e7,
                 (long long)f->start_us, f->intensity, f->p_effect, f->expected_share);
    }
}

/* --------------------------------------------------------------- main */

static int run(const synth_opts *o)
{
    double t_start = le_now();
    synth_params p;
    synth_model m;
    memset(&m, 0, sizeof m);
    int rc = le_agree(make_params(o, &p));
    if (!rc) rc = le_agree(synth_model_build(&m, &p));
    if (rc) return rc;
    log_faults(&m);

    shard s;
    make_shard(p.n_traces, o->chunk, &s);
    counts c;
    double t_gen = le_now(), t_io = 0;
    rc = le_agree(count_pass(&m, &s, &c));
    t_gen = le_now() - t_gen;
    int64_t span_begin = 0, totals[2] = {c.spans, c.abnormal}, sums[2];
    if (!rc) {
        rc = LE_MPI_RC(MPI_Exscan(&c.spans, &span_begin, 1, MPI_INT64_T, MPI_SUM, le_world.comm));
        if (le_world.rank == 0) span_begin = 0; /* Exscan leaves rank 0's result undefined */
        if (!rc) rc = LE_MPI_RC(MPI_Allreduce(totals, sums, 2, MPI_INT64_T, MPI_SUM, le_world.comm));
    }

    le_corpus_writer *w = NULL;
    if (!rc) {
        le_corpus_meta meta;
        make_meta(&m, o, &meta);
        meta.n_spans = sums[0];
        double t0 = le_now();
        rc = le_agree(le_corpus_create(le_world.comm, o->output, &meta, &w));
        t_io += le_now() - t0;
        le_meta_free(&meta);
    }
    if (!rc) rc = write_pass(&m, &s, &c, span_begin, w, &t_gen, &t_io);
    if (w) { /* after a failure too (an agreement's): every rank closes, nothing is published */
        double t0 = le_now();
        int crc = le_corpus_close_writer(w, rc);
        t_io += le_now() - t0;
        rc = le_agree(rc ? rc : crc);
    }
    if (!rc) {
        double local[3] = {t_gen, t_io, le_now() - t_start}, worst[3];
        rc = LE_MPI_RC(MPI_Reduce(local, worst, 3, MPI_DOUBLE, MPI_MAX, 0, le_world.comm));
        if (!rc) rc = report(&m, o->output, sums[0], sums[1], worst[0], worst[1], worst[2], local[2]);
    }
    synth_model_free(&m);
    return rc;
}

int le_cmd_synth(int argc, char **argv)
{
    synth_opts o;
    int help;
    int rc = parse_options(argc, argv, &o, &help);
    if (rc) return rc;
    if (help) return le_usage(usage, 0);
    return run(&o);
}
