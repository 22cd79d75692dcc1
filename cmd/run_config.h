/* run_config: labelease run's config file (docs/run.md, "Config format"):
 * the stages a config may name, the keys each accepts, and the checks that
 * report a bad config with CONFIG:LINE before any stage runs. The INI syntax
 * itself is io/ini.h's. */
#ifndef LE_RUN_CONFIG_H
#define LE_RUN_CONFIG_H

#include "ini.h"

#define RUN_MAX_ROUNDS 10

/* What run knows about a stage: the option names a key may take, and the
 * files of DIR it reads and writes. */
typedef struct run_stage_def {
    const char *name;
    int (*fn)(int, char **);
    const char *keys;     /* stage options a config key may name (space-separated) */
    const char *in_keys;  /* those whose value is an input file (fingerprinted) */
    const char *run_keys; /* keys run reads itself (not passed on) */
    const char *reads;    /* files of DIR given as the first arguments, in order */
    const char *writes;   /* the file or directory of DIR given to -o ("": none) */
    const char *page;     /* the page written beside it unless no-page / page = FILE */
    const char *args_key; /* run key whose paths are the last arguments (and inputs) */
} run_stage_def;

/* The stage called name (synth, ..., export), or NULL. */
const run_stage_def *run_stage_def_of(const char *name);

/* Collective: rank 0 reads CONFIG and every rank gets its text, parses and
 * checks it; LE_ERR_USAGE (rank 0 names CONFIG:LINE) for a bad config,
 * LE_ERR_IO when it cannot be read (cfg then holds nothing). le_ini_free(cfg)
 * after. */
int run_config_read(const char *path, le_ini *cfg);

/* 1 when w is one of the space-separated words of list. */
int run_word_in(const char *w, const char *list);
/* A flag's value: empty, true or yes. */
int run_truthy(const char *v);
/* 1 when [select] gives a fixed budget (budget or budget-share). */
int run_fixed_budget(const le_ini *cfg);
/* [select] rounds, or select's default: 2 for a fixed budget, the most
 * rounds of the default budget (which stops when the labels are stable). */
int run_rounds(const le_ini *cfg);
/* [select] representation, or the default. */
const char *run_representation(const le_ini *cfg);

#endif
