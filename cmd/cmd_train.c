/* labelease train CORPUS -o MODEL: the command line of the GAT trace
 * encoder's training. The training itself, data-parallel over the ranks and
 * the same at any rank count, is mpi/train_dist.c; this file parses the
 * options, installs the signal handlers and reports. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "driver.h"
#include "interrupt.h"
#include "samefile.h"
#include "train_dist.h"

static const char usage[] =
    "usage: labelease train CORPUS.h5 -o MODEL.h5 [options]\n"
    "\n"
    "Train the GAT trace encoder (3 GAT layers x 3 heads, tanh + LayerNorm, mean pool,\n"
    "MLP to 64) with the cosine triplet loss. Triplets come from windows of consecutive\n"
    "traces; a pool of windows is resident at a time, spread over the ranks, and moves\n"
    "through the corpus, so memory per rank does not grow with the corpus. Every rank\n"
    "computes an equal share of each global batch (the traces a micro-batch needs are\n"
    "sent to the rank computing it), and one allreduce per step gives every rank the\n"
    "same Adam update. The result does not depend on the number of ranks.\n"
    "\n"
    "options:\n"
    "  -o, --output FILE  model file to write (required)\n"
    "  --seed N           weights, triplets (default 1)\n"
    "  --steps N          optimiser steps (default 400)\n"
    "  --epochs X         instead of --steps: X passes of anchors over the corpus\n"
    "  --batch N          global batch in triplets (default 64)\n"
    "  --micro N          triplets per micro-batch, the unit of work (default 16; divides --batch);\n"
    "                     rank r computes micro-batches r, r+p, ...: keep batch/micro >= ranks\n"
    "  --window N         traces per triplet window (default 4096)\n"
    "  --pool N           windows resident at a time over all ranks (default 8; all of\n"
    "                     them when the corpus has fewer); use >= ranks to spread the reads\n"
    "  --pool-steps N     steps before the pool moves on (default or 0: pool*window/batch,\n"
    "                     about one anchor per trace of the pool)\n"
    "  --chunk N          traces read at a time for the vocabulary and time statistics\n"
    "                     (default 16384)\n"
    "  --lr X             Adam learning rate (default 1e-3)\n"
    "  --margin X         triplet margin on cosine distance (default 1.0)\n"
    "  --far X            hard negative: same structure, |log1p root latency gap| >= X (default 0.7)\n"
    "  --hard X           share of negatives drawn hard when one exists (default 0.5)\n"
    "  --hidden N         channels per head (default 32)\n"
    "  --heads N          attention heads (default 3)\n"
    "  --layers N         GAT layers (default 3)\n"
    "  --embed-dims N     width of the operation and token embeddings (default 16)\n"
    "  --buckets N        token hash buckets (default 1024)\n"
    "  --log-every N      progress line every N steps (default 50)\n"
    "  --checkpoint FILE  save the training state to FILE every --checkpoint-every steps, on\n"
    "                     SIGUSR1/SIGTERM and at the end (atomically: FILE.partial, then\n"
    "                     renamed); when FILE exists, resume from it. FILE is refused when\n"
    "                     another corpus or other training options wrote it (the error\n"
    "                     names the field). It is left in place after the model is written.\n"
    "  --checkpoint-every N  steps between checkpoints (default 100; 0: only on a signal\n"
    "                     and at the end)\n" LE_COMMON_HELP
    "\n"
    "Signals: SIGUSR1 or SIGTERM (Slurm's --signal=USR1@SECONDS, preemption, scancel;\n"
    "mpirun forwards SIGUSR1 to the ranks) stop training at the end of the step in\n"
    "progress: the checkpoint is written and the exit status is 75 (EX_TEMPFAIL); re-run\n"
    "the same command to resume. Without --checkpoint nothing is saved, the status is 75\n"
    "too. Resuming gives the weights of an uninterrupted run, at any rank count.\n"
    "\n"
    "examples:\n"
    "  mpirun -np 4 labelease train corpus.h5 -o model.h5 --steps 1000 --seed 7\n"
    "  srun labelease train corpus.h5 -o model.h5 --checkpoint train.ckpt.h5  # again after status 75\n";

static const struct option train_longopts[] = {
    {"output", required_argument, 0, 'o'},
    {"seed", required_argument, 0, 's'},
    {"steps", required_argument, 0, 'n'},
    {"epochs", required_argument, 0, 'e'},
    {"batch", required_argument, 0, 'b'},
    {"micro", required_argument, 0, 'm'},
    {"window", required_argument, 0, 'w'},
    {"pool", required_argument, 0, 'P'},
    {"pool-steps", required_argument, 0, 'S'},
    {"chunk", required_argument, 0, 'C'},
    {"lr", required_argument, 0, 'l'},
    {"margin", required_argument, 0, 'g'},
    {"far", required_argument, 0, 'f'},
    {"hard", required_argument, 0, 'H'},
    {"hidden", required_argument, 0, 'c'},
    {"heads", required_argument, 0, 'a'},
    {"layers", required_argument, 0, 'L'},
    {"embed-dims", required_argument, 0, 'd'},
    {"buckets", required_argument, 0, 'k'},
    {"log-every", required_argument, 0, 'p'},
    {"checkpoint", required_argument, 0, 'K'},
    {"checkpoint-every", required_argument, 0, 'E'},
    {"dump-reference", required_argument, 0, 'D'},    /* gone: says where it went */
    {"interrupt-at-step", required_argument, 0, 'I'}, /* gone: says how to stop training instead */
    LE_COMMON_LONGOPTS,
    {0}};

/* The defaults of le_train_opts (docs/model.md); ckpt_every -1: not given. */
static le_train_opts train_defaults(void)
{
    return (le_train_opts){.seed = 1,
                           .steps = 400,
                           .batch = 64,
                           .micro = 16,
                           .window = 4096,
                           .pool = 8,
                           .chunk = 16384,
                           .log_every = 50,
                           .hidden = 32,
                           .heads = 3,
                           .layers = 3,
                           .dims = 16,
                           .buckets = 1024,
                           .ckpt_every = -1,
                           .lr = 1e-3,
                           .margin = 1.0,
                           .far = 0.7,
                           .hard = 0.5};
}

/* The options that only make sense together. */
static int check_opts(le_train_opts *o)
{
    if (o->batch < 1 || o->micro < 1 || o->batch % o->micro)
        return le_fail(LE_ERR_USAGE, "--micro must divide --batch (got %lld, %lld)", (long long)o->micro,
                       (long long)o->batch);
    if (o->pool < 1 || o->chunk < 1) return le_fail(LE_ERR_USAGE, "--pool and --chunk must be at least 1");
    if (o->window < 2 || o->lr <= 0 || o->log_every < 1 || o->hard < 0 || o->hard > 1)
        return le_fail(LE_ERR_USAGE, "--window >= 2, --lr > 0, --log-every >= 1, 0 <= --hard <= 1");
    if (o->ckpt_every >= 0 && !o->ckpt) return le_fail(LE_ERR_USAGE, "--checkpoint-every needs --checkpoint FILE");
    if (o->ckpt_every < 0) o->ckpt_every = 100; /* 0: only on a signal and at the end */
    if (o->ckpt && (!*o->ckpt || !strcmp(o->ckpt, o->out)))
        return le_fail(LE_ERR_USAGE, "--checkpoint must name a file other than the model (-o)");
    const char *const inputs[] = {o->corpus, o->ckpt};
    LE_CHECK(le_refuse_input_as_output("-o", o->out, inputs, 2));
    return le_refuse_input_as_output("--checkpoint", o->ckpt, inputs, 1);
}

static int parse_opts(int argc, char **argv, le_train_opts *o, int *help)
{
    *o = train_defaults();
    int c;
    optind = 0; /* 0, not 1: glibc then resets all its state (tests call commands in-process) */
    while ((c = getopt_long(argc, argv, "o:vqh", train_longopts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        switch (c) {
        case 'h': *help = 1; return 0;
        case 'o': o->out = optarg; break;
        case 'D': /* kept only to say where the reference dump went */
            return le_fail(LE_ERR_USAGE,
                           "train --dump-reference moved out of labelease to build/tests/gat_reference_dump OUT.h5 "
                           "[--seed N] (tests/e2e/gat_torch.sh runs it; docs/model.md, Correctness)");
        case 'K': o->ckpt = optarg; break;
        case 'E': LE_CHECK(le_parse_count("--checkpoint-every", optarg, &o->ckpt_every)); break;
        case 'I': /* a test hook that was never a user option; say what does the job */
            return le_fail(LE_ERR_USAGE,
                           "train --interrupt-at-step is gone: to stop training at the end of a step, send SIGUSR1 "
                           "to mpirun (kill -USR1 PID) or SIGUSR1/SIGTERM to a rank; with --checkpoint it resumes "
                           "(docs/model.md, Signals)");
        case 's': LE_CHECK(le_parse_count("--seed", optarg, &o->seed)); break;
        case 'n': LE_CHECK(le_parse_range("--steps", optarg, 1, INT64_MAX / 2, &o->steps)); break;
        case 'b': LE_CHECK(le_parse_count("--batch", optarg, &o->batch)); break;
        case 'm': LE_CHECK(le_parse_count("--micro", optarg, &o->micro)); break;
        case 'w': LE_CHECK(le_parse_count("--window", optarg, &o->window)); break;
        case 'P': LE_CHECK(le_parse_count("--pool", optarg, &o->pool)); break;
        case 'S': LE_CHECK(le_parse_count("--pool-steps", optarg, &o->pool_steps)); break;
        case 'C': LE_CHECK(le_parse_count("--chunk", optarg, &o->chunk)); break;
        case 'c': LE_CHECK(le_parse_range("--hidden", optarg, 1, 4096, &o->hidden)); break;
        case 'a': LE_CHECK(le_parse_range("--heads", optarg, 1, 64, &o->heads)); break;
        case 'L': LE_CHECK(le_parse_range("--layers", optarg, 1, 64, &o->layers)); break;
        case 'd': LE_CHECK(le_parse_range("--embed-dims", optarg, 1, 4096, &o->dims)); break;
        case 'k': LE_CHECK(le_parse_range("--buckets", optarg, 1, 1 << 24, &o->buckets)); break;
        case 'p': LE_CHECK(le_parse_count("--log-every", optarg, &o->log_every)); break;
        case 'e': LE_CHECK(le_parse_double("--epochs", optarg, 0, 1e6, 1, &o->epochs)); break;
        case 'l': LE_CHECK(le_parse_double("--lr", optarg, 0, 10, 1, &o->lr)); break;
        case 'g': LE_CHECK(le_parse_double("--margin", optarg, 0, 2, 1, &o->margin)); break;
        case 'f': LE_CHECK(le_parse_double("--far", optarg, 0, 1e3, 0, &o->far)); break;
        case 'H': LE_CHECK(le_parse_double("--hard", optarg, 0, 1, 0, &o->hard)); break;
        default: return le_usage(usage, 1);
        }
    }
    static const char *const args[] = {"CORPUS.h5"};
    LE_CHECK(le_check_args(usage, argc - optind, argv + optind, args, 1, 1, o->out ? NULL : "-o MODEL.h5"));
    o->corpus = argv[optind];
    return check_opts(o);
}

static int report(const le_train_opts *o, const le_train_result *r)
{
    le_report_begin();
    le_report_str("model", o->out);
    le_report_int("steps", o->steps);
    if (o->ckpt) le_report_str("checkpoint", o->ckpt), le_report_int("resumed_at_step", r->resumed_at);
    le_report_int("batch", o->batch);
    le_report_int("ranks", le_world.size);
    le_report_int("windows", r->n_windows);
    le_report_int("pool", r->pool);
    le_report_int("pool_steps", r->pool_steps);
    le_report_int("vocabulary", r->n_vocab);
    le_report_int("parameters", r->n_params);
    le_report_dbl("final_loss", r->final_loss);
    le_report_dbl("triplet_accuracy", r->triplet_accuracy);
    le_report_dbl("seconds", r->seconds);
    int rc = le_report_rank_seconds("seconds", r->seconds);
    le_report_dbl("traces_per_s",
                  r->seconds > 0 ? 3.0 * (double)o->batch * (double)(o->steps - r->resumed_at) / r->seconds : 0);
    le_report_end();
    return rc;
}

int le_cmd_train(int argc, char **argv)
{
    le_train_opts o;
    int help = 0;
    LE_CHECK(parse_opts(argc, argv, &o, &help));
    if (help) return le_usage(usage, 0);
    le_interrupt_install(); /* from here on a signal stops training at the end of a step */
    le_corpus *corpus = NULL;
    int rc = le_agree(le_corpus_open(le_world.comm, o.corpus, &corpus));
    le_train_result res;
    if (!rc) rc = le_train(corpus, &o, &res);
    if (!rc) rc = report(&o, &res);
    le_corpus_close(corpus); /* also when opened here but not elsewhere */
    le_interrupt_restore();
    return rc;
}
