/* labelease embed CORPUS MODEL -o EMB: one 64-d vector per trace.
 * Each rank streams its span-balanced shard in chunks of --chunk traces
 * (memory per rank is bounded by the chunk, not by N), encodes them in
 * batches of --batch traces and writes its rows of /embeddings collectively;
 * ranks with fewer chunks write empty slabs so every rank makes the same calls. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "driver.h"
#include "embfile.h"
#include "encoder.h"
#include "gat_data.h"
#include "model.h"
#include "samefile.h"

static const char usage[] =
    "usage: labelease embed CORPUS.h5 MODEL.h5 -o EMBEDDINGS.h5 [options]\n"
    "\n"
    "Encode every trace of the corpus with a model from 'labelease train'. Writes\n"
    "/embeddings (traces x 64 float32, corpus order). The model carries its\n"
    "vocabulary, token hashing and time normalisation, so any corpus is preprocessed\n"
    "as in training; operations it never saw get the unknown row plus their name tokens.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE  embeddings file to write (required)\n"
    "  --chunk N          traces read at a time per rank (default 16384)\n"
    "  --batch N          traces encoded together (default 256)\n" LE_COMMON_HELP
    "\n"
    "example:\n"
    "  mpirun -np 4 labelease embed corpus.h5 model.h5 -o emb.h5\n";

typedef struct embed_opts {
    const char *corpus, *model, *out;
    int64_t chunk, batch;
} embed_opts;

static int parse_opts(int argc, char **argv, embed_opts *o, int *help)
{
    static const struct option opts[] = {{"output", required_argument, 0, 'o'},
                                         {"chunk", required_argument, 0, 'c'},
                                         {"batch", required_argument, 0, 'b'},
                                         {"bench", required_argument, 0, 'B'},
                                         {"bench-traces", required_argument, 0, 'T'},
                                         LE_COMMON_LONGOPTS,
                                         {0}};
    *o = (embed_opts){.chunk = 16384, .batch = 256};
    int c;
    optind = 0; /* 0, not 1: glibc then resets all its state (tests call commands in-process) */
    while ((c = getopt_long(argc, argv, "o:vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        switch (c) {
        case 'h': *help = 1; return 0;
        case 'o': o->out = optarg; break;
        case 'B':
        case 'T': /* kept only to say where the benchmark went */
            return le_fail(LE_ERR_USAGE,
                           "embed %s moved out of labelease to build/bench/gat_bench CORPUS.h5 MODEL.h5 -o DUMP.h5 "
                           "[--traces N] [--batch N] (bench/gat.sh runs it; docs/benchmarks.md)",
                           c == 'B' ? "--bench" : "--bench-traces");
        case 'c': LE_CHECK(le_parse_count("--chunk", optarg, &o->chunk)); break;
        case 'b': LE_CHECK(le_parse_count("--batch", optarg, &o->batch)); break;
        default: return le_usage(usage, 1);
        }
    }
    static const char *const args[] = {"CORPUS.h5", "MODEL.h5"};
    LE_CHECK(le_check_args(usage, argc - optind, argv + optind, args, 2, 2, o->out ? NULL : "-o EMBEDDINGS.h5"));
    if (o->chunk < 1 || o->batch < 1) return le_fail(LE_ERR_USAGE, "--chunk and --batch must be at least 1");
    o->corpus = argv[optind], o->model = argv[optind + 1];
    const char *const inputs[] = {o->corpus, o->model};
    return le_refuse_input_as_output("-o", o->out, inputs, 2);
}

typedef struct embedder {
    const le_model *m;
    le_opmap map;
    le_blockfeat feat;
    le_graphbatch gb;
    le_enc_ws ws;
    float *rows;           /* [chunk × out] */
    double seconds_encode; /* this rank's time in the encoder, I/O excluded */
} embedder;

/* Encode block b into e->rows, --batch traces at a time. */
static void embed_block(embedder *e, const le_corpus_block *b, int64_t batch)
{
    const int out = e->m->enc.cfg.out_dim;
    le_blockfeat_compute(&e->feat, b);
    le_blockfeat_normalise(&e->feat, b, &e->map, e->m->mean, e->m->std);
    for (int64_t lo = 0; lo < b->n_traces; lo += batch) {
        int64_t hi = lo + batch < b->n_traces ? lo + batch : b->n_traces;
        le_gb_reset(&e->gb);
        for (int64_t t = lo; t < hi; t++) le_gb_add_block_trace(&e->gb, b, &e->feat, t);
        le_enc_infer(&e->m->enc, e->m->params, &e->map, &e->gb, &e->ws);
        memcpy(e->rows + lo * out, e->ws.O, sizeof(float) * (size_t)((hi - lo) * out));
    }
}

static int embed_shard(le_corpus *c, embedder *e, le_embfile *f, const embed_opts *o)
{
    int64_t t0, t1;
    LE_CHECK(le_corpus_shard(c, le_world.comm, &t0, &t1));
    int64_t mine = (t1 - t0 + o->chunk - 1) / o->chunk, rounds = mine;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &rounds, 1, MPI_INT64_T, MPI_MAX, le_world.comm));
    for (int64_t r = 0; r < rounds; r++) {
        int64_t a = t0 + r * o->chunk, z = a + o->chunk < t1 ? a + o->chunk : t1;
        int rc = 0;
        if (r < mine) {
            le_corpus_block b;
            rc = le_corpus_read_block(c, a, z, &b);
            double t = le_now();
            if (!rc) embed_block(e, &b, o->batch), le_block_free(&b);
            e->seconds_encode += le_now() - t;
        }
        LE_CHECK(le_agree(rc));
        LE_CHECK(le_emb_write(f, r < mine ? a : 0, r < mine ? z - a : 0, e->rows));
    }
    return 0;
}

static int embed_corpus(le_corpus *c, const le_model *m, const embed_opts *o)
{
    embedder e = {.m = m};
    int32_t *vocab_of = le_malloc(sizeof(int32_t) * ((size_t)c->meta.n_operations + 1));
    le_model_vocab_map(m, &c->meta, vocab_of);
    int64_t unseen = 0;
    for (int32_t i = 0; i < c->meta.n_operations; i++) unseen += vocab_of[i] == m->enc.cfg.feat.n_vocab;
    le_opmap_build(&e.map, &m->enc.cfg.feat, c->meta.n_operations, (const char *const *)c->meta.services,
                   (const char *const *)c->meta.operations, c->meta.operation_service, vocab_of);
    free(vocab_of);
    le_gb_init(&e.gb);
    le_enc_ws_init(&e.ws);
    e.rows = le_malloc(sizeof(float) * (size_t)(o->chunk * m->enc.cfg.out_dim));
    le_embfile *f = NULL;
    double t0 = le_now();
    int rc = le_agree(le_emb_create(le_world.comm, o->out, c->meta.n_traces, m->enc.cfg.out_dim, o->corpus,
                                    c->meta.fingerprint, o->model, &f));
    if (!rc) rc = embed_shard(c, &e, f, o);
    int rc2 = le_agree(le_emb_close(f, rc));
    rc = rc ? rc : rc2;
    double secs = le_now() - t0;
    if (!rc) {
        le_report_begin();
        le_report_str("embeddings", o->out);
        le_report_int("traces", c->meta.n_traces);
        le_report_int("dim", m->enc.cfg.out_dim);
        le_report_int("ranks", le_world.size);
        le_report_int("operations_unseen_in_training", unseen);
        le_report_dbl("seconds", secs);
        rc = le_report_rank_seconds("seconds", secs);
        if (!rc) rc = le_report_rank_seconds("seconds_encode", e.seconds_encode);
        le_report_dbl("traces_per_s", secs > 0 ? (double)c->meta.n_traces / secs : 0);
        le_report_end();
    }
    free(e.rows);
    le_opmap_free(&e.map), le_blockfeat_free(&e.feat), le_gb_free(&e.gb), le_enc_ws_free(&e.ws);
    return rc;
}

int le_cmd_embed(int argc, char **argv)
{
    embed_opts o;
    int help = 0;
    LE_CHECK(parse_opts(argc, argv, &o, &help));
    if (help) return le_usage(usage, 0);
    le_model m;
    int rc = le_agree(le_model_read(o.model, &m));
    le_corpus *corpus = NULL;
    if (!rc) rc = le_agree(le_corpus_open(le_world.comm, o.corpus, &corpus));
    if (!rc) rc = embed_corpus(corpus, &m, &o);
    if (corpus) le_corpus_close(corpus);
    le_model_free(&m);
    return rc;
}
