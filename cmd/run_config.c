/* run_config: the stage table and the run config's checks (run_config.h).
 *
 * run parses no stage option itself: it only checks that each key names an
 * option the stage has (the table below), to report a typo with CONFIG:LINE
 * before any stage starts. */
#include "run_config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "budget.h"
#include "driver.h"
#include "stv_dist.h"

/* The key lists follow each command's --help; tests/e2e/run_kill.sh checks
 * every name against it so the table cannot drift silently. */
static const run_stage_def defs[] = {
    {"synth", le_cmd_synth, "traces days seed config chunk", "config", "", "", "corpus.h5", "", ""},
    {"ingest", le_cmd_ingest,
     "format map label-by-filename labels faults fault-duration max-duration strict keep-going allow-drops max-rows "
     "spill-dir",
     "map labels faults", "inputs", "", "corpus.h5", "", "inputs"},
    {"info", le_cmd_info, "faults chunk", "", "skip", "corpus.h5", "", "", ""},
    {"train", le_cmd_train,
     "seed steps epochs batch micro window pool pool-steps chunk lr margin far hard hidden heads layers "
     "embed-dims buckets log-every checkpoint-every",
     "", "", "corpus.h5", "model.h5", "", ""},
    {"embed", le_cmd_embed, "chunk batch", "", "", "corpus.h5 model.h5", "embeddings.h5", "", ""},
    {"select", le_cmd_select,
     "budget budget-share first-round round-picks max-labels stable disagree rounds method representation sample seed "
     "max-iter no-page tol chunk",
     "", "", "corpus.h5 embeddings.h5", "reps.h5", "reps.html", ""},
    {"label", le_cmd_label, "", "", "mode labels", "reps.h5", "labels.csv", "", ""},
    {"propagate", le_cmd_propagate, "knn representation chunk", "", "", "corpus.h5 embeddings.h5 labels.csv", "labels.h5",
     "", ""},
    {"rootcause", le_cmd_rootcause, "window gap min-traces score tie page no-page chunk", "", "", "corpus.h5 labels.h5",
     "rootcause.h5", "rootcause.html", ""},
    {"eval", le_cmd_eval, "chunk", "", "skip", "corpus.h5 labels.h5 rootcause.h5", "", "", ""},
    {"export", le_cmd_export, "chunk", "", "rootcause-labels", "corpus.h5 labels.h5 rootcause.h5", "dataset", "",
     "rootcause-labels"},
};
enum { NDEFS = sizeof defs / sizeof *defs };
static const char common_keys[] = "verbose quiet";
_Static_assert(LE_STABLE_ROUNDS_DEFAULT <= RUN_MAX_ROUNDS, "the default budget's rounds must fit a run's plan");

int run_word_in(const char *w, const char *list)
{
    size_t n = strlen(w);
    for (const char *p = list; *p;) {
        while (*p == ' ') p++;
        const char *e = p;
        while (*e && *e != ' ') e++;
        if ((size_t)(e - p) == n && n && !strncmp(p, w, n)) return 1;
        p = e;
    }
    return 0;
}

const run_stage_def *run_stage_def_of(const char *name)
{
    for (int i = 0; i < NDEFS; i++)
        if (!strcmp(defs[i].name, name)) return &defs[i];
    return NULL;
}

int run_truthy(const char *v) { return v && (!*v || !strcmp(v, "true") || !strcmp(v, "yes")); }

int run_fixed_budget(const le_ini *cfg)
{
    const le_ini_section *sel = le_ini_section_of(cfg, "select");
    return le_ini_get(sel, "budget") || le_ini_get(sel, "budget-share");
}

int run_rounds(const le_ini *cfg)
{
    const char *r = le_ini_get(le_ini_section_of(cfg, "select"), "rounds");
    return r ? atoi(r) : run_fixed_budget(cfg) ? LE_ROUNDS_DEFAULT : LE_STABLE_ROUNDS_DEFAULT;
}

const char *run_representation(const le_ini *cfg)
{
    const char *r = le_ini_get(le_ini_section_of(cfg, "select"), "representation");
    return r ? r : LE_REPRESENTATION_DEFAULT;
}

static int unknown_section(const le_ini *cfg, const le_ini_section *s)
{
    char known[512] = "";
    for (int i = 0; i < NDEFS; i++)
        snprintf(known + strlen(known), sizeof known - strlen(known), "%s[%s]", i ? ", " : "", defs[i].name);
    return le_fail(LE_ERR_USAGE, "%s:%d: unknown section [%s] (known: %s)", cfg->path, s->line, s->name, known);
}

/* The message lists the keys the section accepts: tests/e2e/run_kill.sh
 * reads that list back to check it against the stage's --help. */
static int unknown_key(const le_ini *cfg, const le_ini_section *s, const le_ini_kv *e)
{
    const run_stage_def *d = run_stage_def_of(s->name);
    char known[1024];
    snprintf(known, sizeof known, "%s%s%s%s%s", d->keys, *d->keys ? " " : "", d->run_keys, *d->run_keys ? " " : "",
             common_keys);
    const char *k = known;
    while (*k == ' ') k++;
    return le_fail(LE_ERR_USAGE, "%s:%d: unknown key '%s' in [%s] (known: %s; see labelease %s --help)", cfg->path, e->line,
                   e->key, s->name, k, !strcmp(s->name, "label") ? "run" : s->name);
}

/* Every section a stage, every key one of its options or of run's. */
static int check_names(const le_ini *cfg)
{
    for (int i = 0; i < cfg->nsec; i++) {
        const le_ini_section *s = &cfg->sec[i];
        const run_stage_def *d = run_stage_def_of(s->name);
        if (!d) return unknown_section(cfg, s);
        for (int k = 0; k < s->n; k++) {
            const char *key = s->kv[k].key;
            if (!run_word_in(key, d->keys) && !run_word_in(key, d->run_keys) && !run_word_in(key, common_keys))
                return unknown_key(cfg, s, &s->kv[k]);
        }
    }
    return 0;
}

/* One kind of budget in [select] (select refuses both too, but only once
 * the corpus is made). */
static int check_budget_keys(const le_ini *cfg, const le_ini_section *sel)
{
    static const char *const dflt[] = {"first-round", "round-picks", "max-labels", "stable", "disagree"};
    if (le_ini_get(sel, "budget") && le_ini_get(sel, "budget-share"))
        return le_fail(LE_ERR_USAGE, "%s:%d: [select] has budget and budget-share: give one", cfg->path, sel->line);
    for (size_t i = 0; run_fixed_budget(cfg) && i < sizeof dflt / sizeof *dflt; i++)
        if (le_ini_get(sel, dflt[i]))
            return le_fail(LE_ERR_USAGE,
                           "%s:%d: [select] %s belongs to the default budget (rounds until the labels are stable), "
                           "budget%s to a fixed one: give one kind (docs/labeling.md, Budget)",
                           cfg->path, sel->line, dflt[i], le_ini_get(sel, "budget") ? "" : "-share");
    return 0;
}

/* The checks that span keys: one input section, rounds in range, one
 * representation, one way to get labels. */
static int check_values(const le_ini *cfg)
{
    const char *path = cfg->path;
    const le_ini_section *in = le_ini_section_of(cfg, "ingest"), *sel = le_ini_section_of(cfg, "select");
    if (!le_ini_section_of(cfg, "synth") == !in)
        return le_fail(LE_ERR_USAGE, "%s: give exactly one input section, [synth] or [ingest]", path);
    if (in && !le_ini_get(in, "inputs"))
        return le_fail(LE_ERR_USAGE, "%s:%d: [ingest] needs inputs = FILE-OR-DIR ...", path, in->line);
    const char *rounds = le_ini_get(sel, "rounds");
    char *end = NULL;
    long nr = rounds ? strtol(rounds, &end, 10) : 1;
    if (rounds && (end == rounds || *end || nr < 1 || nr > RUN_MAX_ROUNDS))
        return le_fail(LE_ERR_USAGE, "%s:%d: [select] rounds = %s: 1 to %d in a run", path, sel->line, rounds,
                       RUN_MAX_ROUNDS);
    LE_CHECK(check_budget_keys(cfg, sel));
    const le_ini_section *prop = le_ini_section_of(cfg, "propagate");
    const char *rs = le_ini_get(sel, "representation"), *rp = le_ini_get(prop, "representation");
    if (rs && rp && strcmp(rs, rp))
        return le_fail(
            LE_ERR_USAGE,
            "%s:%d: [propagate] representation = %s, but [select] has %s: they must agree (or leave it out of [propagate])",
            path, prop->line, rp, rs);
    const le_ini_section *l = le_ini_section_of(cfg, "label");
    const char *mode = le_ini_get(l, "mode");
    if (mode && strcmp(mode, "oracle"))
        return le_fail(LE_ERR_USAGE, "%s:%d: [label] mode = %s: the only mode is oracle (or give labels = FILE.csv)", path,
                       l->line, mode);
    if (mode && le_ini_get(l, "labels"))
        return le_fail(LE_ERR_USAGE, "%s:%d: [label] has both mode = oracle and labels =: give one", path, l->line);
    return 0;
}

/* Rank 0 reads CONFIG, every rank gets the text. */
static int read_text(const char *path, char **text)
{
    long len = 0;
    int rc = 0;
    *text = NULL;
    if (le_world.rank == 0) {
        FILE *f = fopen(path, "rb");
        if (!f)
            rc = le_fail(LE_ERR_IO, "%s: cannot read the config: %s", path, strerror(errno));
        else {
            fseek(f, 0, SEEK_END);
            len = ftell(f);
            fseek(f, 0, SEEK_SET);
            *text = le_malloc((size_t)len + 1);
            if (fread(*text, 1, (size_t)len, f) != (size_t)len) rc = le_fail(LE_ERR_IO, "%s: read failed", path);
            (*text)[len] = 0;
            fclose(f);
        }
    }
    rc = le_agree(rc);
    if (rc) return free(*text), *text = NULL, rc;
    rc = LE_MPI_RC(MPI_Bcast(&len, 1, MPI_LONG, 0, le_world.comm));
    if (!rc && le_world.rank) *text = le_malloc((size_t)len + 1);
    if (!rc) rc = LE_MPI_RC(MPI_Bcast(*text, (int)len + 1, MPI_CHAR, 0, le_world.comm));
    if (rc) free(*text), *text = NULL;
    return rc;
}

int run_config_read(const char *path, le_ini *cfg)
{
    char *text = NULL;
    *cfg = (le_ini){.path = path};
    LE_CHECK(read_text(path, &text));
    /* '_' reads as '-': keys are option names (max_iter = max-iter) */
    int rc = le_ini_parse(cfg, text, path, LE_INI_DASH) ? LE_ERR_USAGE : 0;
    if (!rc) rc = check_names(cfg);
    if (!rc) rc = check_values(cfg);
    /* every rank parsed the same text: rank 0's verdict, and its message */
    rc = le_agree(le_world.rank == 0 ? rc : 0);
    if (rc) le_ini_free(cfg);
    return rc;
}
