/* run_manifest: DIR/manifest.json of labelease run (docs/run.md, "Manifest
 * and restart"): what each stage ran with, its files' fingerprints, how it
 * ended, and from that why a stage must run again. Rank 0 alone reads and
 * writes it. */
#ifndef LE_RUN_MANIFEST_H
#define LE_RUN_MANIFEST_H

#include "run_plan.h"

/* One stage's entry. Paths are relative to DIR ("${DIR}/corpus.h5"). */
typedef struct run_mentry {
    int used;
    char *name, *status, *section;
    double seconds;
    int exit;
    run_strv argv, in_path, in_fp, out_path, out_fp;
} run_mentry;

void run_mentry_free(run_mentry *e);

/* The entries of DIR/manifest.json matched to the plan's n stages by name
 * into e[0..n-1]. A missing manifest is an empty one; an unreadable one too
 * (warned). */
void run_manifest_read(const char *dir, const run_stage *st, int n, run_mentry *e);

/* The used entries of e[0..n-1] as DIR/manifest.json: temporary, fsync,
 * rename, so a kill leaves the old or the new manifest, never half of one. */
int run_manifest_write(const char *dir, const char *config_path, const run_mentry *e, int n);

/* Why stage st must run (a message to free()), or NULL when its entry e
 * shows it completed with the same section, command line and files. */
char *run_why_rerun(const char *dir, const run_stage *st, const run_mentry *e);

/* 1 when e is st's entry from a run that did not complete but had the same
 * command line, section and inputs: train's checkpoint of it may be resumed. */
int run_same_unfinished(const char *dir, const run_stage *st, const run_mentry *e);

/* e becomes st's entry with status "running" and its inputs' fingerprints. */
void run_mentry_begin(run_mentry *e, const char *dir, const run_stage *st);

/* st ended with status and exit after seconds; a completed stage's outputs
 * are fingerprinted. */
void run_mentry_end(run_mentry *e, const char *dir, const run_stage *st, const char *status, int exit, double seconds);

#endif
