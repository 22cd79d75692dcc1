/* labelease run: the whole pipeline in one MPI job from an INI config,
 * restartable (docs/run.md). This file is the command: its options, and the
 * report at the end. The config is read and checked in run_config.c, the
 * stages' command lines are built in run_plan.c, the manifest (what ran,
 * fingerprints, why a stage runs again) is run_manifest.c, and the stages
 * run in run_exec.c. */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "driver.h"
#include "run_config.h"
#include "run_exec.h"
#include "run_plan.h"

static const char usage[] =
    "usage: labelease run CONFIG.ini --out DIR [--force] [--dry-run] [-v | -q]\n"
    "\n"
    "Run the whole pipeline in one MPI job: synth or ingest, info, (train, embed:\n"
    "with a GAT representation), select, label, (select-R, label-R for each later\n"
    "round of [select] rounds, 2 by default), propagate, rootcause, eval, export.\n"
    "CONFIG has one INI section a stage; each key = value becomes --key value on\n"
    "that stage's command line (an empty value, `true` or `yes` gives the flag\n"
    "alone, `false` or `no` leaves it out; `_` in a key reads as `-`). A bad\n"
    "config is an error naming CONFIG:LINE before any stage runs. The outputs go\n"
    "to DIR under fixed names (corpus.h5, model.h5, embeddings.h5, reps.h5,\n"
    "labels.csv, reps-R.h5, labels-R.csv, labels.h5, rootcause.h5, dataset/, and\n"
    "STAGE.txt, each stage's report; without the GAT, vector-stats.bin: the\n"
    "statistics round 1's select fits and the later rounds and propagate make\n"
    "the vectors from (vectors.h5, the vectors, for the other model-free ones)).\n"
    "DIR/manifest.json records each finished stage; a re-run skips a stage whose\n"
    "command line, config section, input and output files are unchanged, and\n"
    "redoes the first changed one and everything after it.\n"
    "\n"
    "[label] mode = oracle takes labels from the corpus truth; labels = FILE.csv\n"
    "takes a person's labels, every round in one file. With neither, run stops\n"
    "after select: label DIR/reps.h5 (page DIR/reps.html, or labelease label\n"
    "DIR/reps.h5 --tui -o LABELS.csv; not DIR/labels*.csv, which run writes),\n"
    "set labels = LABELS.csv and run again; it stops again for each later round.\n"
    "\n"
    "options:\n"
    "  -o, --out DIR   work directory (created if absent; required)\n"
    "  --force         redo every stage\n"
    "  --dry-run       print each stage's command line and whether it would run\n"
    "  -v, --verbose   more progress on stderr (passed on to every stage)\n"
    "  -q, --quiet     errors only on stderr\n"
    "  -h, --help      this help\n"
    "\n"
    "exit status: 0 done (or stopped for labeling), 3 bad command line or config,\n"
    "75 stopped by SIGUSR1/SIGTERM (train with a checkpoint, or run after the\n"
    "stage in progress; re-run to resume), otherwise the failing stage's status\n"
    "(docs/run.md).\n"
    "\n"
    "example:\n"
    "  mpirun -np 2 labelease run configs/demo.ini --out demo-run\n";

static int parse(int argc, char **argv, run_opts *o, char *dirbuf, size_t cap)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'},
                                         {"force", no_argument, 0, 'f'},
                                         {"dry-run", no_argument, 0, 'n'},
                                         LE_COMMON_LONGOPTS,
                                         {0}};
    *o = (run_opts){0};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "o:vqh", opts, NULL)) != -1) {
        if (c == 1000) return le_fail(LE_ERR_USAGE, "run has no --json (each stage's report is DIR/STAGE.txt)");
        if (le_common_opt(c)) continue;
        if (c == 'h') return le_usage(usage, 0) ? LE_ERR_USAGE : -1;
        if (c == 'o')
            o->dir = optarg;
        else if (c == 'f')
            o->force = 1;
        else if (c == 'n')
            o->dry = 1;
        else
            return le_usage(usage, 1);
    }
    static const char *const args[] = {"CONFIG.ini"};
    LE_CHECK(le_check_args(usage, argc - optind, argv + optind, args, 1, 1, o->dir ? NULL : "--out DIR"));
    o->config = argv[optind];
    snprintf(dirbuf, cap, "%s", o->dir);
    size_t n = strlen(dirbuf);
    while (n > 1 && dirbuf[n - 1] == '/') dirbuf[--n] = 0;
    if (!n) return le_fail(LE_ERR_USAGE, "--out wants a directory");
    o->dir = dirbuf;
    return 0;
}

static void print_eval(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/eval.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) return;
    static const char *const keys[] = {"labeled",          "precision",     "recall", "f1",
                                       "period_precision", "period_recall", "hr@1",   "hr@3"};
    char line[1024];
    printf("eval (%s):\n", path);
    while (fgets(line, sizeof line, f))
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            size_t n = strlen(keys[k]);
            if (!strncmp(line, keys[k], n) && line[n] == ':') printf("  %s", line);
        }
    fclose(f);
}

/* label-R stopped: the person's file labels none of round R's
 * representatives yet. */
static void print_waiting(const run_stage *w)
{
    const char *file = w->inputs.v[w->inputs.n > 1 ? 1 : 0];
    char reps[4200];
    snprintf(reps, sizeof reps, "%s", w->inputs.v[0]); /* argv: getopt may have permuted it */
    printf(
        "\nstopped for labeling (%s): %s labels none of the representatives in %s yet.\n"
        "Label them in a browser (%.*s.html; add the saved rows to %s) or at a terminal,\n"
        "which keeps the rows already in the file:\n"
        "  labelease label %s --tui -o %s\n"
        "then run again.\n",
        w->name, file, reps, (int)(strlen(reps) > 3 ? strlen(reps) - 3 : strlen(reps)), reps, file, reps, file);
}

/* The plan ended with select: round 1 needs a person's labels. */
static void print_stop_for_labels(const run_opts *o)
{
    const char *dir = o->dir;
    printf(
        "\nstopped for labeling: label the representatives in %s/reps.h5, either in a browser\n"
        "(open %s/reps.html, label, save the labels CSV) or at a terminal:\n"
        "  labelease label %s/reps.h5 --tui -o LABELS.csv\n"
        "then set `labels = LABELS.csv` under [label] in %s and run again (keep the file\n"
        "outside %s or name it other than labels*.csv there: run writes those). With more\n"
        "than one round ([select] rounds), run stops again for each round's representatives.\n",
        dir, dir, dir, o->config, dir);
}

/* Rank 0: how the run ended, after the stage table. */
static void report(const run_opts *o, const run_stage *st, int n, int stop_for_labels, const run_result *res, int rc)
{
    if (res->interrupted)
        fprintf(stderr, "labelease run: stopped by a signal (exit 75): run the same command again to resume\n");
    else if (!rc && res->wait_at >= 0)
        print_waiting(&st[res->wait_at]);
    else if (!rc && stop_for_labels)
        print_stop_for_labels(o);
    else if (!rc) {
        for (int i = 0; i < n; i++)
            if (!strcmp(st[i].def->name, "eval")) print_eval(o->dir);
        printf("outputs in %s (manifest.json; dataset/ is the labeled dataset)\n", o->dir);
    }
    fflush(stdout);
}

int le_cmd_run(int argc, char **argv)
{
    run_opts o;
    char dir[4096];
    int rc = parse(argc, argv, &o, dir, sizeof dir);
    if (rc) return rc < 0 ? 0 : rc;
    le_ini cfg;
    LE_CHECK(run_config_read(o.config, &cfg));
    run_stage st[RUN_MAX_STAGES];
    int stop = 0, n = run_plan_build(&cfg, o.dir, st, &stop, 0);
    rc = le_agree(le_world.rank == 0 ? run_plan_check_labels(&cfg, st, n) : 0);
    run_result res = {.wait_at = -1};
    if (!rc) rc = run_exec(&o, &cfg, st, &n, stop, &res);
    if (le_world.rank == 0 && !o.dry) report(&o, st, n, stop, &res, rc);
    run_plan_free(st, n);
    le_ini_free(&cfg);
    return rc;
}
