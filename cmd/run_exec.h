/* run_exec: labelease run's stages, one after another in this process
 * (docs/run.md): which to skip, each stage's report redirected to
 * DIR/STAGE.txt, the manifest updated as each starts and ends, and a
 * SIGUSR1/SIGTERM honoured at the next safe point. */
#ifndef LE_RUN_EXEC_H
#define LE_RUN_EXEC_H

#include "run_plan.h"

/* Exit status of a stage, or of run between stages, stopped by a signal. */
#define RUN_INTERRUPTED 75

typedef struct run_opts {
    const char *config, *dir;
    int force, dry;
} run_opts;

/* How the stages ended, beside the status run_exec returns. */
typedef struct run_result {
    int interrupted; /* a signal stopped a stage or run after one (status 75) */
    int wait_at;     /* the label stage waiting for a person's labels, or -1 */
} run_result;

/* Collective: creates and locks DIR, decides from the manifest which stages
 * run, prints the plan (and stops there with o->dry), then runs them. When
 * a later round's select (run or skipped) reports that the labeling stops
 * there, the plan is built again from cfg without the rounds after it
 * (run_plan_build's stop_round): *n is then the new number of stages.
 * Returns 0, RUN_INTERRUPTED or the failing stage's status. */
int run_exec(const run_opts *o, const le_ini *cfg, run_stage *st, int *n, int stop_for_labels, run_result *res);

#endif
