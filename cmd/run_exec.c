/* run_exec: running the plan (run_exec.h).
 *
 * Each stage is the existing le_cmd_* function called in-process with the
 * argv the plan built. Rank 0 alone reads and writes DIR/manifest.json,
 * fingerprints files and decides which stages to skip, and broadcasts that
 * decision; every rank then runs the same stages. */
#include "run_exec.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"
#include "interrupt.h"
#include "run_manifest.h"

/* One run: the plan, the manifest's entries and rank 0's decision. */
typedef struct run_job {
    const run_opts *o;
    const le_ini *cfg;
    run_stage *st;
    int n, root, stop_for_labels;
    int stop_round;      /* select-R stopped the labeling: the plan ends its rounds there */
    char stop_why[1100]; /* its report's reason */
    char ran[24];        /* the first stage this run ran ("": none yet) */
    int log_level;       /* as run started: a stage's -v/-q must not outlive it */
    run_mentry ent[RUN_MAX_STAGES];
    int plan[RUN_MAX_STAGES]; /* 1: run */
    char *why[RUN_MAX_STAGES];
} run_job;

/* ------------------------------------------------------------ DIR */

static int mkdir_p(const char *dir)
{
    char p[4200];
    snprintf(p, sizeof p, "%s", dir);
    for (char *s = p + 1; *s; s++)
        if (*s == '/') {
            *s = 0;
            if (mkdir(p, 0777) && errno != EEXIST) return le_fail(LE_ERR_IO, "%s: cannot create: %s", p, strerror(errno));
            *s = '/';
        }
    if (mkdir(p, 0777) && errno != EEXIST) return le_fail(LE_ERR_IO, "%s: cannot create: %s", p, strerror(errno));
    return 0;
}

/* Two runs on one DIR would overwrite each other's files: rank 0 holds
 * flock(DIR/run.lock) until it exits (a killed run releases it). A file
 * system without flock is not an error. */
static int lock_dir(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/run.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT, 0666);
    if (fd < 0) return le_fail(LE_ERR_IO, "%s: cannot create: %s", path, strerror(errno));
    if (flock(fd, LOCK_EX | LOCK_NB) && errno == EWOULDBLOCK)
        return close(fd), le_fail(LE_ERR_IO, "%s: another labelease run is using %s (or wait for it to end)", path, dir);
    return 0; /* fd stays open: the lock lasts as long as the process */
}

/* Rank 0's stdout goes to DIR/NAME.txt.partial while a stage runs. */
typedef struct redirect {
    int saved;
    char path[4200], partial[4300];
} redirect;

static int redirect_begin(redirect *r, const char *path)
{
    snprintf(r->path, sizeof r->path, "%s", path);
    snprintf(r->partial, sizeof r->partial, "%s.partial", path);
    fflush(stdout);
    int fd = open(r->partial, O_WRONLY | O_CREAT | O_TRUNC, 0666);
    if (fd < 0) return le_fail(LE_ERR_IO, "%s: cannot create: %s", r->partial, strerror(errno));
    r->saved = dup(STDOUT_FILENO);
    dup2(fd, STDOUT_FILENO);
    close(fd);
    return 0;
}

static int redirect_end(redirect *r, int ok)
{
    fflush(stdout);
    int bad = fsync(STDOUT_FILENO) && errno != EINVAL;
    dup2(r->saved, STDOUT_FILENO);
    close(r->saved);
    if (!ok) return unlink(r->partial), 0;
    if (bad || rename(r->partial, r->path)) return le_fail(LE_ERR_IO, "cannot write %s: %s", r->path, strerror(errno));
    return 0;
}

/* ------------------------------------------------------------ the plan */

/* Rank 0 decides for stages from..n-1: the first stage that cannot be
 * skipped (or ran already) and every one after it run; every rank gets the
 * decision. */
static int decide_from(run_job *j, int from)
{
    if (j->root) {
        run_mentry fresh[RUN_MAX_STAGES];
        memset(fresh, 0, sizeof fresh);
        run_manifest_read(j->o->dir, j->st, j->n, fresh);
        const char *redone = j->ran[0] ? j->ran : NULL;
        for (int i = 0; i < j->n; i++) {
            if (i < from) {
                run_mentry_free(&fresh[i]);
                continue;
            }
            run_mentry_free(&j->ent[i]), free(j->why[i]);
            j->ent[i] = fresh[i];
            char buf[256];
            if (j->o->force)
                j->why[i] = le_strdup("--force");
            else if (redone)
                snprintf(buf, sizeof buf, "%s before it runs", redone), j->why[i] = le_strdup(buf);
            else
                j->why[i] = run_why_rerun(j->o->dir, &j->st[i], &j->ent[i]);
            j->plan[i] = j->why[i] != NULL;
            if (j->plan[i] && !redone) redone = j->st[i].name;
        }
    }
    return LE_MPI_RC(MPI_Bcast(j->plan, RUN_MAX_STAGES, MPI_INT, 0, le_world.comm));
}

/* ------------------------------------------------------------ the rounds' stop */

/* R of a stage select-R (R >= 2), else 0. */
static int later_select_round(const run_stage *s)
{
    int r = 0;
    return !strcmp(s->def->name, "select") && sscanf(s->name, "select-%d", &r) == 1 ? r : 0;
}

/* Rank 0: 1 when DIR/NAME.txt, a select's report, says the labeling stops
 * there (stop: stable, max-labels, rounds), with its reason into why. */
static int report_says_stop(const char *dir, const char *name, char *why, size_t cap)
{
    char path[4200], line[1024];
    snprintf(path, sizeof path, "%s/%s.txt", dir, name);
    FILE *f = fopen(path, "r");
    int stop = 0;
    while (f && fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = 0;
        if (!strncmp(line, "stop: ", 6)) stop = strcmp(line + 6, "no") != 0, snprintf(why, cap, "%s", line + 6);
        if (!strncmp(line, "stop_reason: ", 13)) snprintf(why, cap, "%s", line + 13);
    }
    if (f) fclose(f);
    return stop;
}

/* The plan built again with its rounds ending at select-R (stage i): the
 * stages after i are replaced. */
static void replan(run_job *j, int i, int r)
{
    run_stage *nst = le_calloc(RUN_MAX_STAGES, sizeof *nst);
    int ignore, nn = run_plan_build(j->cfg, j->o->dir, nst, &ignore, r);
    for (int k = i + 1; k < j->n; k++) free(j->why[k]), j->why[k] = NULL, run_mentry_free(&j->ent[k]);
    run_plan_free(j->st + i + 1, j->n - i - 1);
    run_plan_free(nst, i + 1); /* the same stages as st[0..i] */
    memcpy(j->st + i + 1, nst + i + 1, sizeof *nst * (size_t)(nn - i - 1));
    free(nst);
    j->n = nn, j->stop_round = r;
}

/* Collective, after select-R (stage i) completed or was skipped: when its
 * report says the labeling stops there, no round after it runs and
 * propagate reads round R-1's labels (docs/run.md "Rounds"). */
static int apply_stop(run_job *j, int i)
{
    int r = later_select_round(&j->st[i]);
    if (r < 2 || r == j->stop_round) return 0;
    char why[sizeof j->stop_why] = "";
    int stop = j->root ? report_says_stop(j->o->dir, j->st[i].name, why, sizeof why) : 0;
    LE_MPI(MPI_Bcast(&stop, 1, MPI_INT, 0, le_world.comm));
    if (!stop) return 0;
    memcpy(j->stop_why, why, sizeof why);
    replan(j, i, r);
    return decide_from(j, i + 1);
}

/* Rank 0: the line that says where the labeling stopped. */
static void print_stop(const run_job *j, int i)
{
    printf("  (%s: the labeling stops here: %s)\n", j->st[i].name, j->stop_why);
    fflush(stdout);
}

/* Collective, as the run passes stage i: the stop applied if select-R says
 * so, and announced where the rounds end. */
static int follow_stop(run_job *j, int i)
{
    LE_CHECK(apply_stop(j, i));
    int ends_here = j->stop_round && later_select_round(&j->st[i]) == j->stop_round;
    if (ends_here && j->root) {
        print_stop(j, i);
        le_info("run: %s stopped the labeling (%s): no later round; propagate reads round %d's labels", j->st[i].name,
                j->stop_why, j->stop_round - 1);
    }
    return 0;
}

/* Collective, before the plan is shown: the stops of rounds already done
 * (skipped) applied, so that the plan and --dry-run end where the labeling
 * did (a finished run resumed at export must not list rounds after it). */
static int apply_done_stops(run_job *j)
{
    for (int i = 0; i < j->n; i++)
        if (!j->plan[i]) LE_CHECK(apply_stop(j, i));
    return 0;
}

/* Rank 0: the title line, then with --dry-run every stage's command line
 * and why it runs, else the reasons on stderr and the stage table's head. */
static void print_plan(const run_job *j)
{
    const run_opts *o = j->o;
    printf("labelease run %s --out %s (%d rank%s)\n", o->config, o->dir, le_world.size, le_world.size > 1 ? "s" : "");
    if (o->dry) {
        for (int i = 0; i < j->n; i++) {
            char line[8192];
            run_stage_line(&j->st[i], line, sizeof line);
            printf("  %-10s %-6s %s\n             labelease %s\n", j->st[i].name, j->plan[i] ? "run" : "skip",
                   j->plan[i] ? j->why[i] : "(completed, unchanged)", line);
            if (j->stop_round && later_select_round(&j->st[i]) == j->stop_round) print_stop(j, i);
        }
        if (j->stop_for_labels) printf("  (then stops for labeling: [label] gives neither mode = oracle nor labels =)\n");
        fflush(stdout);
        return;
    }
    fflush(stdout);
    for (int i = 0; i < j->n; i++)
        if (j->plan[i]) le_info("run: %s will run: %s", j->st[i].name, j->why[i]);
    printf("  %-10s %-8s %8s\n", "stage", "status", "seconds");
    fflush(stdout);
}

/* ------------------------------------------------------------ one stage */

static void checkpoint_path(const char *dir, char *buf, size_t cap) { snprintf(buf, cap, "%s/train.ckpt.h5", dir); }

/* A checkpoint is kept only for the same training (command line, section,
 * corpus) that was stopped; anything else starts over. */
static void keep_or_remove_checkpoint(const run_job *j, int i)
{
    char ck[4200];
    checkpoint_path(j->o->dir, ck, sizeof ck);
    int keep = run_same_unfinished(j->o->dir, &j->st[i], &j->ent[i]);
    if (!keep && !unlink(ck))
        le_info("run: removed %s (from another training)", ck);
    else if (keep && !access(ck, F_OK))
        le_info("run: train resumes from %s", ck);
}

/* Rank 0, as stage i starts: the manifest says it is running, its report
 * file is open. */
static int stage_begin(run_job *j, int i, redirect *red)
{
    const run_stage *s = &j->st[i];
    const char *dir = j->o->dir;
    if (!strcmp(s->def->name, "train")) keep_or_remove_checkpoint(j, i);
    /* this stage is running, the ones after it are not valid any more */
    for (int k = i + 1; k < j->n; k++) run_mentry_free(&j->ent[k]);
    run_mentry_begin(&j->ent[i], dir, s);
    int rc = run_manifest_write(dir, j->o->config, j->ent, j->n);
    char report[4200];
    snprintf(report, sizeof report, "%s/%s.txt", dir, s->name);
    if (!rc) rc = redirect_begin(red, report);
    char line[8192];
    run_stage_line(s, line, sizeof line);
    if (!rc) le_info("run: %s: starting: labelease %s", s->name, line);
    return rc;
}

/* The stage itself, on every rank. A stage may catch SIGTERM/SIGUSR1
 * (train, to checkpoint): the stages after it get the dispositions run
 * started with, and run's verbosity. */
static int call_stage(const run_job *j, run_stage *s)
{
    static const int sigs[] = {SIGTERM, SIGUSR1, SIGINT};
    struct sigaction sa[3];
    for (int k = 0; k < 3; k++) sigaction(sigs[k], NULL, &sa[k]);
    int src;
    if (s->copy_labels)
        src = j->root ? printf("mode: labelled in place\nlabels: %s\n", s->inputs.v[0]) < 0 : 0;
    else
        src = le_cmd_call(s->def->fn, s->argv.n, s->argv.v);
    for (int k = 0; k < 3; k++) sigaction(sigs[k], &sa[k], NULL);
    le_log_level = j->log_level, le_world.json = 0;
    return src;
}

/* Rank 0, as stage i ends with status worst: its report published (or
 * dropped), the manifest updated, its row of the table. Returns worst, or
 * the error of writing those. */
static int stage_end(run_job *j, int i, redirect *red, int worst, int any75, int *waiting, double secs)
{
    const run_stage *s = &j->st[i];
    int wrc = redirect_end(red, !worst);
    if (!worst && wrc) worst = wrc;
    const char *status = !worst ? "completed" : any75 ? "interrupted" : *waiting ? "waiting for labels" : "failed";
    run_mentry_end(&j->ent[i], j->o->dir, s, status, worst, secs);
    if (!worst && !strcmp(s->def->name, "train")) {
        char ck[4200];
        checkpoint_path(j->o->dir, ck, sizeof ck);
        unlink(ck);
    }
    char msg[4096];
    snprintf(msg, sizeof msg, "%s", le_errmsg()); /* a manifest error must not hide the stage's */
    int mrc = run_manifest_write(j->o->dir, j->o->config, j->ent, j->n);
    if (worst && !*waiting)
        le_fail(worst, "%s", msg);
    else if (mrc)
        worst = mrc, *waiting = 0;
    char sec[32];
    snprintf(sec, sizeof sec, "%.1f", secs);
    printf("  %-10s %-8s %8s\n", s->name, !worst ? "ran" : any75 ? "STOPPED" : *waiting ? "WAITING" : "FAILED", sec);
    fflush(stdout);
    return worst;
}

/* Collective: stage i from start to end. Returns run's status so far; a
 * stop for labels is status 0 with res->wait_at = i. */
static int run_stage_at(run_job *j, int i, run_result *res)
{
    redirect red;
    int rc = le_agree(j->root ? stage_begin(j, i, &red) : 0);
    if (rc) return rc;
    double t0 = MPI_Wtime();
    int src = call_stage(j, &j->st[i]);
    int any75 = src == RUN_INTERRUPTED;
    int mpirc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &any75, 1, MPI_INT, MPI_MAX, le_world.comm));
    int worst = le_agree(src ? src : mpirc);
    if (any75) worst = RUN_INTERRUPTED;
    /* label --import of a person's file that does not label this round's
     * representatives yet: run stops here for them (not a failure) */
    int waiting = worst == LE_ERR_NEEDS_LABELS;
    double secs = MPI_Wtime() - t0;
    if (j->root) worst = stage_end(j, i, &red, worst, any75, &waiting, secs);
    if ((rc = LE_MPI_RC(MPI_Bcast(&waiting, 1, MPI_INT, 0, le_world.comm)))) return rc;
    if (waiting) {
        le_err_clear();
        res->wait_at = i;
        return 0;
    }
    res->interrupted = any75;
    rc = le_agree(worst);
    if (rc && res->interrupted) rc = RUN_INTERRUPTED;
    return rc;
}

/* Collective, between stages: a signal any rank received stops run here. */
static int stop_between_stages(const run_stage *done, run_result *res)
{
    int sig = 0;
    int rc = le_interrupt_agree(le_world.comm, &sig);
    if (rc || !sig) return rc;
    res->interrupted = 1;
    return le_fail(RUN_INTERRUPTED, "run: stopped by %s after %s; run the same command again to continue",
                   le_interrupt_name(sig), done->name);
}

static int run_stages(run_job *j, run_result *res)
{
    int rc = 0;
    /* SIGUSR1/SIGTERM (Slurm's --signal warning, preemption) stop the run at
     * the next safe point: train checks at every step and checkpoints, any
     * other stage finishes first and run stops after it. */
    le_interrupt_install();
    for (int i = 0; i < j->n && !rc; i++) {
        if (!j->plan[i]) {
            if (j->root) printf("  %-10s %-8s %8s\n", j->st[i].name, "skipped", "-"), fflush(stdout);
            rc = follow_stop(j, i);
            continue;
        }
        if (!j->ran[0]) snprintf(j->ran, sizeof j->ran, "%s", j->st[i].name);
        rc = run_stage_at(j, i, res);
        if (res->wait_at >= 0) break;
        if (!rc) rc = follow_stop(j, i);
        if (!rc && i + 1 < j->n) rc = stop_between_stages(&j->st[i], res);
    }
    le_interrupt_restore();
    return rc;
}

int run_exec(const run_opts *o, const le_ini *cfg, run_stage *st, int *n, int stop_for_labels, run_result *res)
{
    *res = (run_result){.wait_at = -1};
    run_job *j = le_calloc(1, sizeof *j);
    *j = (run_job){.o = o,
                   .cfg = cfg,
                   .st = st,
                   .n = *n,
                   .root = le_world.rank == 0,
                   .stop_for_labels = stop_for_labels,
                   .log_level = le_log_level};
    int rc = 0;
    if (j->root && !o->dry) rc = mkdir_p(o->dir);
    if (j->root && !o->dry && !rc) rc = lock_dir(o->dir);
    rc = le_agree(rc);
    if (!rc) rc = decide_from(j, 0);
    if (!rc) rc = apply_done_stops(j);
    if (!rc) {
        if (j->root) print_plan(j);
        if (!o->dry) rc = run_stages(j, res);
    }
    for (int i = 0; i < j->n; i++) free(j->why[i]), run_mentry_free(&j->ent[i]);
    *n = j->n;
    free(j);
    return rc;
}
