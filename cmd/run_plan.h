/* run_plan: labelease run's stages, in order, built from the config: each
 * stage's command line, the files it reads and writes (docs/run.md, "Files
 * in DIR" and "Rounds"). Every rank builds the same plan. */
#ifndef LE_RUN_PLAN_H
#define LE_RUN_PLAN_H

#include <stddef.h>

#include "run_config.h"

#define RUN_MAX_STAGES 32
/* DIR/vectors.h5: round 1's select writes the model-free vectors once, the
 * later rounds and propagate read them. */
#define RUN_VECTORS "vectors.h5"
/* DIR/vector-stats.bin: with the default representation (tail, streamed) and
 * method, round 1's select writes the statistics its vectors are made from
 * (a few MB, mpi/tailvec_dist.h), the later rounds and propagate read them
 * and make each chunk's vectors as they go. */
#define RUN_VECTOR_STATS "vector-stats.bin"

/* A NULL-terminated list of strings (an argv). */
typedef struct run_strv {
    char **v;
    int n;
    size_t cap;
} run_strv;

void run_sv_add(run_strv *a, const char *s);
void run_sv_free(run_strv *a);
int run_sv_eq(const run_strv *a, const run_strv *b);

typedef struct run_stage {
    const run_stage_def *def;
    char name[24]; /* def->name, or select-R / label-R for round R >= 2 */
    const le_ini_section *sec;
    run_strv argv;    /* argv[0] is the command name; paths in DIR start with DIR as given */
    run_strv inputs;  /* files (or directories) the stage reads */
    run_strv outputs; /* files (or directories) it writes, its report last */
    char *sectext;    /* the section as the manifest records it */
    int copy_labels;  /* one round and [label] labels = DIR/labels.csv itself: nothing to do */
} run_stage;

/* The pipeline from the config: the stages in order into st (room for
 * RUN_MAX_STAGES). Returns their number; *stop_for_labels when [label] says
 * neither oracle nor a file (the list then ends with select). stop_round S
 * >= 2: select-S stopped the labeling (its report says stop:), so the rounds
 * end with select-S and propagate reads round S-1's labels; 0: every round
 * of [select] rounds. */
int run_plan_build(const le_ini *cfg, const char *dir, run_stage *st, int *stop_for_labels, int stop_round);
void run_plan_free(run_stage *st, int n);

/* Rank 0: LE_ERR_USAGE when [label] labels names a file the plan writes. */
int run_plan_check_labels(const le_ini *cfg, const run_stage *st, int n);

/* The stage's command line as one string (for logs and --dry-run). */
void run_stage_line(const run_stage *st, char *buf, size_t cap);

#endif
