/* labelease run: the whole pipeline in one MPI job from an INI config,
 * restartable (docs/run.md).
 *
 * Every rank reads the config (rank 0 reads the file and broadcasts it) and
 * builds the same stage command lines; rank 0 alone reads and writes
 * DIR/manifest.json, fingerprints files and decides which stages to skip,
 * and broadcasts the plan. Each stage is the existing le_cmd_* function
 * called in-process with argv built from its config section, so run parses
 * no stage option itself: it only checks that each key names an option the
 * stage has (the table below), to report a typo with CONFIG:LINE before any
 * stage starts. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "driver.h"
#include "atomicfile.h"
#include "interrupt.h"
#include "jsonesc.h"
#include "propagate.h"
#include "sel_common.h"

#define RUN_INTERRUPTED LE_EXIT_INTERRUPTED /* a stage, or run between stages, stopped by a signal */
#define FP_EDGE (1 << 20)  /* fingerprint hashes the first and last 1 MiB */
#define MAX_STAGES 32
#define MAX_ROUNDS 10

static const char usage[] =
    "usage: labelease run CONFIG.ini --out DIR [--force] [--dry-run]\n"
    "\n"
    "Run the whole pipeline in one MPI job: synth or ingest, info, train, embed,\n"
    "select, label, propagate, rootcause, eval, export. CONFIG has one INI section\n"
    "a stage; each key = value becomes --key value on that stage's command line\n"
    "(an empty value or `true` gives the flag alone, `false` leaves it out). The\n"
    "outputs go to DIR under fixed names (corpus.h5, model.h5, embeddings.h5,\n"
    "reps.h5, labels.csv, labels.h5, rootcause.h5, dataset/, and STAGE.txt, each\n"
    "stage's report). DIR/manifest.json records each finished stage; a re-run\n"
    "skips a stage whose command line, config section, input and output files are\n"
    "unchanged, and redoes the first changed one and everything after it.\n"
    "\n"
    "[label] mode = oracle takes labels from the corpus truth; labels = FILE.csv\n"
    "takes a person's labels. With neither, run stops after select: label\n"
    "DIR/reps.h5 (page DIR/reps.html, or labelease label DIR/reps.h5 --tui\n"
    "-o DIR/labels.csv), set labels = ... and run again.\n"
    "\n"
    "options:\n"
    "  -o, --out DIR   work directory (created if absent; required)\n"
    "  --force         redo every stage\n"
    "  --dry-run       print each stage's command line and whether it would run\n"
    "  -v, --verbose   more progress on stderr (passed on to every stage)\n"
    "  -q, --quiet     errors only on stderr\n"
    "  -h, --help      this help\n"
    "\n"
    "exit status: 0 done (or stopped for labeling), 75 a stage was interrupted\n"
    "(re-run to resume), otherwise the failing stage's status (docs/run.md).\n"
    "\n"
    "example:\n"
    "  mpirun -np 2 labelease run configs/demo.ini --out demo-run\n";

/* ------------------------------------------------------------ the stages */

typedef struct stage_def {
    const char *name;
    int (*fn)(int, char **);
    const char *keys;     /* stage options a config key may name (space-separated) */
    const char *in_keys;  /* those whose value is an input file (fingerprinted) */
    const char *run_keys; /* keys run reads itself (not passed on) */
    const char *reads;    /* files of DIR given as the first arguments, in order */
    const char *writes;   /* the file or directory of DIR given to -o ("": none) */
    const char *page;     /* the page written beside it unless no-page / page = FILE */
    const char *args_key; /* run key whose paths are the last arguments (and inputs) */
} stage_def;

/* The key lists follow each command's --help; tests/e2e/run_kill.sh checks
 * every name against it so the table cannot drift silently. */
static const stage_def defs[] = {
    {"synth", le_cmd_synth, "traces seed config chunk", "config", "", "", "corpus.h5", "", ""},
    {"ingest", le_cmd_ingest, "format map label-by-filename labels faults fault-duration max-duration strict",
     "map labels faults", "inputs", "", "corpus.h5", "", "inputs"},
    {"info", le_cmd_info, "faults chunk", "", "skip", "corpus.h5", "", "", ""},
    {"train", le_cmd_train,
     "seed steps epochs batch micro window pool pool-steps chunk lr margin far hard hidden heads layers "
     "embed-dims buckets log-every checkpoint-every",
     "", "", "corpus.h5", "model.h5", "", ""},
    {"embed", le_cmd_embed, "chunk batch", "", "", "corpus.h5 model.h5", "embeddings.h5", "", ""},
    {"select", le_cmd_select, "budget rounds method representation sample seed max-iter no-page tol", "", "",
     "corpus.h5 embeddings.h5", "reps.h5", "reps.html", ""},
    {"label", le_cmd_label, "", "", "mode labels", "reps.h5", "labels.csv", "", ""},
    {"propagate", le_cmd_propagate, "knn representation", "", "", "corpus.h5 embeddings.h5 labels.csv", "labels.h5", "", ""},
    {"rootcause", le_cmd_rootcause, "window gap min-traces score tie page no-page chunk", "", "", "corpus.h5 labels.h5",
     "rootcause.h5", "rootcause.html", ""},
    {"eval", le_cmd_eval, "chunk", "", "skip", "corpus.h5 labels.h5 rootcause.h5", "", "", ""},
    {"export", le_cmd_export, "", "", "rootcause-labels", "corpus.h5 labels.h5 rootcause.h5", "dataset", "",
     "rootcause-labels"},
};
enum { NDEFS = sizeof defs / sizeof *defs };
static const char common_keys[] = "verbose quiet";

static int word_in(const char *w, const char *list)
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

/* ------------------------------------------------------------ the config */

typedef struct kv {
    char *key, *val;
    int line;
} kv;
typedef struct section {
    char *name;
    int line;
    kv *kv;
    int n;
    size_t cap;
} section;
typedef struct config {
    const char *path;
    section sec[NDEFS];
    int nsec;
} config;

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = 0;
    return s;
}

static const stage_def *def_of(const char *name)
{
    for (int i = 0; i < NDEFS; i++)
        if (!strcmp(defs[i].name, name)) return &defs[i];
    return NULL;
}

static const section *sec_of(const config *c, const char *name)
{
    for (int i = 0; i < c->nsec; i++)
        if (!strcmp(c->sec[i].name, name)) return &c->sec[i];
    return NULL;
}

static const char *get(const section *s, const char *key)
{
    for (int i = 0; s && i < s->n; i++)
        if (!strcmp(s->kv[i].key, key)) return s->kv[i].val;
    return NULL;
}

/* A flag: key with an empty value, or true/yes. */
static int truthy(const char *v) { return v && (!*v || !strcmp(v, "true") || !strcmp(v, "yes")); }

/* INI: [section], key = value, # or ; comments (whole line, or after
 * whitespace at the end of a value), "double quotes" around a value kept
 * literally. '_' in a key reads as '-'. Everything is checked here, before
 * any stage runs. */
static int config_parse(char *text, const char *path, config *c)
{
    memset(c, 0, sizeof *c);
    c->path = path;
    section *cur = NULL;
    int line = 0;
    for (char *p = text; p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        line++;
        char *s = trim(p);
        p = nl ? nl + 1 : NULL;
        if (!*s || *s == '#' || *s == ';') continue;
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (!e || *trim(e + 1)) return le_fail(LE_ERR_USAGE, "%s:%d: malformed section header '%s'", path, line, s);
            *e = 0;
            char *name = trim(s + 1);
            if (!def_of(name)) {
                char known[512] = "";
                for (int i = 0; i < NDEFS; i++) snprintf(known + strlen(known), sizeof known - strlen(known), "%s[%s]", i ? ", " : "", defs[i].name);
                return le_fail(LE_ERR_USAGE, "%s:%d: unknown section [%s] (known: %s)", path, line, name, known);
            }
            if (sec_of(c, name)) return le_fail(LE_ERR_USAGE, "%s:%d: section [%s] appears twice", path, line, name);
            cur = &c->sec[c->nsec++];
            cur->name = name, cur->line = line;
            continue;
        }
        char *eq = strchr(s, '=');
        if (!cur) return le_fail(LE_ERR_USAGE, "%s:%d: '%s' is outside any [section]", path, line, s);
        if (!eq) return le_fail(LE_ERR_USAGE, "%s:%d: expected key = value, got '%s'", path, line, s);
        *eq = 0;
        char *key = trim(s), *val = trim(eq + 1);
        for (char *k = key; *k; k++)
            if (*k == '_') *k = '-';
        if (*val == '"') {
            char *q = strrchr(val + 1, '"');
            if (!q) return le_fail(LE_ERR_USAGE, "%s:%d: unterminated quote", path, line);
            *q = 0, val++;
        } else {
            for (char *h = val; *h; h++)
                if ((*h == '#' || *h == ';') && h > val && (h[-1] == ' ' || h[-1] == '\t')) {
                    *h = 0;
                    val = trim(val);
                    break;
                }
        }
        const stage_def *d = def_of(cur->name);
        if (!word_in(key, d->keys) && !word_in(key, d->run_keys) && !word_in(key, common_keys)) {
            char known[1024];
            snprintf(known, sizeof known, "%s%s%s%s%s", d->keys, *d->keys ? " " : "", d->run_keys, *d->run_keys ? " " : "", common_keys);
            return le_fail(LE_ERR_USAGE, "%s:%d: unknown key '%s' in [%s] (known: %s; see labelease %s --help)", path,
                           line, key, cur->name, trim(known), !strcmp(cur->name, "label") ? "run" : cur->name);
        }
        if (get(cur, key)) return le_fail(LE_ERR_USAGE, "%s:%d: key '%s' appears twice in [%s]", path, line, key, cur->name);
        LE_RESERVE(cur->kv, cur->cap, (size_t)cur->n + 1);
        cur->kv[cur->n++] = (kv){key, val, line};
    }
    int has_synth = sec_of(c, "synth") != NULL, has_ingest = sec_of(c, "ingest") != NULL;
    if (has_synth == has_ingest)
        return le_fail(LE_ERR_USAGE, "%s: give exactly one input section, [synth] or [ingest]", path);
    if (has_ingest && !get(sec_of(c, "ingest"), "inputs"))
        return le_fail(LE_ERR_USAGE, "%s:%d: [ingest] needs inputs = FILE-OR-DIR ...", path, sec_of(c, "ingest")->line);
    const char *rounds = get(sec_of(c, "select"), "rounds");
    if (rounds && (atoi(rounds) < 1 || atoi(rounds) > MAX_ROUNDS))
        return le_fail(LE_ERR_USAGE, "%s:%d: [select] rounds = %s: 1 to %d in a run", path, sec_of(c, "select")->line, rounds, MAX_ROUNDS);
    const char *rs = get(sec_of(c, "select"), "representation"), *rp = get(sec_of(c, "propagate"), "representation");
    if (rs && rp && strcmp(rs, rp))
        return le_fail(LE_ERR_USAGE, "%s:%d: [propagate] representation = %s, but [select] has %s: they must agree (or leave it out of [propagate])",
                       path, sec_of(c, "propagate")->line, rp, rs);
    const section *l = sec_of(c, "label");
    const char *mode = get(l, "mode");
    if (mode && strcmp(mode, "oracle"))
        return le_fail(LE_ERR_USAGE, "%s:%d: [label] mode = %s: the only mode is oracle (or give labels = FILE.csv)", path,
                       l->line, mode);
    if (mode && get(l, "labels"))
        return le_fail(LE_ERR_USAGE, "%s:%d: [label] has both mode = oracle and labels =: give one", path, l->line);
    return 0;
}

/* ------------------------------------------------------------ a stage's plan */

typedef struct strv {
    char **v;
    int n;
    size_t cap;
} strv;

static void sv_add(strv *a, const char *s)
{
    LE_RESERVE(a->v, a->cap, (size_t)a->n + 2);
    a->v[a->n++] = le_strdup(s);
    a->v[a->n] = NULL;
}
static void sv_addf(strv *a, const char *dir, const char *name)
{
    char buf[4200];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    sv_add(a, buf);
}
static void sv_free(strv *a)
{
    for (int i = 0; i < a->n; i++) free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}
static int sv_eq(const strv *a, const strv *b)
{
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i])) return 0;
    return 1;
}

typedef struct stage {
    const stage_def *def;
    char name[24]; /* def->name, or select-R / label-R for round R >= 2 */
    const section *sec;
    strv argv;    /* argv[0] is the command name; paths in DIR start with DIR as given */
    strv inputs;  /* files (or directories) the stage reads */
    strv outputs; /* files (or directories) it writes, its report last */
    char *sectext;
    int copy_labels; /* one round and [label] labels = DIR/labels.csv itself: nothing to do */
} stage;

/* Paths are recorded in the manifest relative to DIR ("${DIR}/corpus.h5"), so
 * that moving DIR or spelling --out differently is no change. */
static const char *rel(const char *dir, const char *path, char *buf, size_t cap)
{
    size_t n = strlen(dir);
    if (!strncmp(path, dir, n) && path[n] == '/') snprintf(buf, cap, "${DIR}%s", path + n);
    else snprintf(buf, cap, "%s", path);
    return buf;
}

static void add_options(stage *st)
{
    const section *s = st->sec;
    for (int i = 0; s && i < s->n; i++) {
        const kv *e = &s->kv[i];
        if (word_in(e->key, st->def->run_keys)) continue;
        if (!strcmp(e->val, "false") || !strcmp(e->val, "no")) continue;
        char opt[256];
        snprintf(opt, sizeof opt, "--%s", e->key);
        sv_add(&st->argv, opt);
        if (!truthy(e->val)) sv_add(&st->argv, e->val);
        if (word_in(e->key, st->def->in_keys)) sv_add(&st->inputs, e->val);
    }
}

/* Whitespace-separated list of paths (ingest inputs). */
static void add_words(strv *a, const char *list)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t') p++;
        const char *e = p;
        while (*e && *e != ' ' && *e != '\t') e++;
        if (e > p) {
            char *w = le_strndup(p, (size_t)(e - p));
            sv_add(a, w);
            free(w);
        }
        p = e;
    }
}

/* "a b c" -> DIR/a, DIR/b, DIR/c appended to each of the lists given. */
static void add_dir_files(const char *dir, const char *names, strv *x, strv *y)
{
    strv w = {0};
    add_words(&w, names);
    for (int i = 0; i < w.n; i++) {
        sv_addf(x, dir, w.v[i]);
        if (y) sv_addf(y, dir, w.v[i]);
    }
    sv_free(&w);
}

/* A stage's command line, inputs and outputs from its table row and section:
 * NAME READS... [-o WRITES] OPTIONS... [ARGS_KEY paths...]. */
/* The representation select (and propagate) use: [select]'s, or the default. */
static const char *plan_representation(const config *c)
{
    const char *r = get(sec_of(c, "select"), "representation");
    return r ? r : LE_REPRESENTATION_DEFAULT;
}

/* "a b c" without the word `drop` (NULL: all of them). */
static void words_without(const char *list, const char *drop, char *buf, size_t cap)
{
    strv w = {0};
    size_t n = 0;
    buf[0] = 0;
    add_words(&w, list);
    for (int i = 0; i < w.n; i++)
        if (!drop || strcmp(w.v[i], drop)) n += (size_t)snprintf(buf + n, cap > n ? cap - n : 0, "%s%s", n ? " " : "", w.v[i]);
    sv_free(&w);
}

static void json_str(FILE *f, const char *s) { le_json_escape(f, s, SIZE_MAX, LE_JSON_BYTES); }

/* Rounds of labeling (docs/run.md "Rounds"): [select] rounds, or select's default. */
static int plan_rounds(const config *c)
{
    const char *r = get(sec_of(c, "select"), "rounds");
    return r ? atoi(r) : LE_ROUNDS_DEFAULT;
}

/* Round r's files in DIR: reps.h5 / labels.csv for round 1, reps-R.h5 / labels-R.csv after. */
static void round_file(char *buf, size_t cap, const char *stem, int r, const char *ext)
{
    if (r <= 1) snprintf(buf, cap, "%s.%s", stem, ext);
    else snprintf(buf, cap, "%s-%d.%s", stem, r, ext);
}

static void build_stage(const config *c, stage *t, const char *dir, int r)
{
    const stage_def *d = t->def;
    const section *s = t->sec;
    strv *a = &t->argv;
    sv_add(a, d->name);
    char reps[32], html[32], labels[32], prev[32];
    round_file(reps, sizeof reps, "reps", r, "h5"), round_file(html, sizeof html, "reps", r, "html");
    round_file(labels, sizeof labels, "labels", r, "csv"), round_file(prev, sizeof prev, "labels", r - 1, "csv");
    int is_select = !strcmp(d->name, "select"), is_label = !strcmp(d->name, "label");
    const char *file = is_label ? get(s, "labels") : NULL;
    if (file && plan_rounds(c) == 1) { /* the person labelled the output itself: nothing to do */
        char x[4200], y[4200], own[4200];
        snprintf(own, sizeof own, "%s/%s", dir, labels);
        if (realpath(file, x) && realpath(own, y) && !strcmp(x, y)) {
            t->copy_labels = 1;
            sv_add(a, "(labelled in place)"), sv_add(&t->inputs, file), sv_add(&t->outputs, file);
            return;
        }
    }
    /* A representation without the GAT reads no embeddings (train and
     * embed are then not in the plan); propagate reads the last round's labels. */
    char reads[256], last[32];
    words_without(d->reads, le_repr_uses_model(plan_representation(c)) ? NULL : "embeddings.h5", reads, sizeof reads);
    round_file(last, sizeof last, "labels", plan_rounds(c), "csv");
    strv w = {0};
    add_words(&w, reads);
    for (int i = 0; i < w.n; i++) {
        const char *f = w.v[i];
        if (!strcmp(f, "reps.h5")) f = reps;
        else if (!strcmp(f, "labels.csv")) f = last;
        sv_addf(a, dir, f), sv_addf(&t->inputs, dir, f);
    }
    sv_free(&w);
    if (is_label) {
        if (file) sv_add(a, "--import"), sv_add(a, file), sv_add(&t->inputs, file);
        else sv_add(a, "--oracle"), add_dir_files(dir, "corpus.h5", a, &t->inputs);
        if (r > 1) sv_add(a, "--keep"), sv_addf(a, dir, prev), sv_addf(&t->inputs, dir, prev);
    }
    if (*d->writes) {
        const char *out = is_select ? reps : is_label ? labels : d->writes;
        sv_add(a, "-o"), sv_addf(a, dir, out), sv_addf(&t->outputs, dir, out);
    }
    if (is_select && r > 1) {
        char num[16];
        snprintf(num, sizeof num, "%d", r);
        sv_add(a, "--round"), sv_add(a, num), sv_add(a, "--labels"), sv_addf(a, dir, prev), sv_addf(&t->inputs, dir, prev);
    }
    /* train resumes from the checkpoint when it exists and exits 75 when a
     * signal stopped it after writing one (docs/model.md). */
    if (!strcmp(d->name, "train")) sv_add(a, "--checkpoint"), sv_addf(a, dir, "train.ckpt.h5");
    add_options(t);
    /* propagate takes select's representation unless it names one (the same, checked) */
    if (!strcmp(d->name, "propagate") && !get(s, "representation") && get(sec_of(c, "select"), "representation"))
        sv_add(a, "--representation"), sv_add(a, get(sec_of(c, "select"), "representation"));
    if (*d->args_key && get(s, d->args_key)) {
        strv aw = {0};
        add_words(&aw, get(s, d->args_key));
        for (int i = 0; i < aw.n; i++) sv_add(a, aw.v[i]), sv_add(&t->inputs, aw.v[i]);
        sv_free(&aw);
    }
    const char *page = is_select ? html : d->page;
    if (*d->page && get(s, "page")) sv_add(&t->outputs, get(s, "page"));
    else if (*d->page && !truthy(get(s, "no-page"))) sv_addf(&t->outputs, dir, page);
}

static char *section_text(const section *s)
{
    size_t cap = 64;
    for (int i = 0; s && i < s->n; i++) cap += strlen(s->kv[i].key) + strlen(s->kv[i].val) + 8;
    char *t = le_malloc(cap);
    size_t n = (size_t)snprintf(t, cap, "[%s]\n", s ? s->name : "");
    for (int i = 0; s && i < s->n; i++) n += (size_t)snprintf(t + n, cap - n, "%s = %s\n", s->kv[i].key, s->kv[i].val);
    return t;
}

/* The pipeline from the config: stage list in order. Returns the number of
 * stages; *stop_for_labels when [label] says neither oracle nor a file
 * (the list then ends with select). */
/* Stage NAME (its command def_name, its config section sec) of round r into
 * *t, with its report NAME.txt among the outputs. */
static void add_stage(const config *c, const char *dir, stage *t, const char *def_name, const section *sec,
                      const char *name, int r)
{
    memset(t, 0, sizeof *t);
    t->def = def_of(def_name), t->sec = sec, t->sectext = section_text(sec);
    snprintf(t->name, sizeof t->name, "%s", name);
    build_stage(c, t, dir, r);
    char rep[64];
    snprintf(rep, sizeof rep, "%s.txt", name);
    sv_addf(&t->outputs, dir, rep);
}

static int build_plan(const config *c, const char *dir, stage *st, int *stop_for_labels)
{
    static const char *const order[] = {"input", "info", "train", "embed", "select", "label", "rounds",
                                        "propagate", "rootcause", "eval", "export"};
    int n = 0, R = plan_rounds(c);
    *stop_for_labels = 0;
    for (size_t o = 0; o < sizeof order / sizeof *order; o++) {
        const char *name = order[o];
        if (!strcmp(name, "rounds")) { /* select-R, label-R for rounds 2..R */
            for (int r = 2; r <= R; r++)
                for (int k = 0; k < 2; k++) {
                    const char *def = k ? "label" : "select";
                    char name_r[24];
                    snprintf(name_r, sizeof name_r, "%s-%d", def, r);
                    add_stage(c, dir, &st[n++], def, sec_of(c, def), name_r, r);
                }
            continue;
        }
        if (!strcmp(name, "input")) name = sec_of(c, "synth") ? "synth" : "ingest";
        const section *s = sec_of(c, name);
        if ((!strcmp(name, "info") || !strcmp(name, "eval")) && truthy(get(s, "skip"))) continue;
        if ((!strcmp(name, "train") || !strcmp(name, "embed")) && !le_repr_uses_model(plan_representation(c))) {
            if (s) le_warn("%s:%d: [%s] is not run: representation %s needs no model", c->path, s->line, name, plan_representation(c));
            continue;
        }
        if (!strcmp(name, "label") && !get(s, "mode") && !get(s, "labels")) {
            *stop_for_labels = 1;
            break;
        }
        add_stage(c, dir, &st[n++], name, s, name, 1);
    }
    return n;
}

/* ------------------------------------------------------------ fingerprints */

/* size + mtime (ns) + FNV-1a 64 of the first and last 1 MiB: cheap on a
 * terabyte file, and it sees every rewrite that goes through rename or
 * changes the size, the mtime or either end. It misses an in-place edit in
 * the middle that keeps size and mtime (touch -d, or a clock set back). */
static uint64_t fnv(uint64_t h, const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++) h = (h ^ b[i]) * 0x100000001b3ULL;
    return h;
}

static int fp_file(const char *path, const struct stat *sb, uint64_t *h)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0) return -1;
    char *buf = le_malloc(FP_EDGE);
    ssize_t got = pread(fd, buf, FP_EDGE, 0);
    *h = fnv(0xcbf29ce484222325ULL, buf, got > 0 ? (size_t)got : 0);
    if (sb->st_size > FP_EDGE) {
        off_t off = sb->st_size - FP_EDGE > FP_EDGE ? sb->st_size - FP_EDGE : FP_EDGE;
        got = pread(fd, buf, (size_t)(sb->st_size - off), off);
        *h = fnv(*h, buf, got > 0 ? (size_t)got : 0);
    }
    free(buf);
    close(fd);
    return 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* A directory: every regular file under it, by relative name, in order. */
static void fp_dir(const char *path, const char *relname, uint64_t *h, int64_t *nfiles, int64_t *bytes)
{
    DIR *d = opendir(path);
    if (!d) return;
    strv names = {0};
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) sv_add(&names, e->d_name);
    closedir(d);
    if (names.n) qsort(names.v, (size_t)names.n, sizeof *names.v, cmp_str);
    for (int i = 0; i < names.n; i++) {
        char p[4200], r[4200];
        snprintf(p, sizeof p, "%s/%s", path, names.v[i]);
        snprintf(r, sizeof r, "%s%s%s", relname, *relname ? "/" : "", names.v[i]);
        struct stat sb;
        if (stat(p, &sb)) continue;
        if (S_ISDIR(sb.st_mode)) {
            fp_dir(p, r, h, nfiles, bytes);
        } else if (S_ISREG(sb.st_mode)) {
            uint64_t fh = 0;
            fp_file(p, &sb, &fh);
            char line[4400];
            int n = snprintf(line, sizeof line, "%s %lld %lld %016" PRIx64 "\n", r, (long long)sb.st_size,
                             (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec, fh);
            *h = fnv(*h, line, (size_t)n);
            (*nfiles)++, *bytes += sb.st_size;
        }
    }
    sv_free(&names);
}

static char *fingerprint(const char *path)
{
    struct stat sb;
    char out[256];
    if (stat(path, &sb)) return le_strdup("absent");
    if (S_ISDIR(sb.st_mode)) {
        uint64_t h = 0xcbf29ce484222325ULL;
        int64_t nf = 0, bytes = 0;
        fp_dir(path, "", &h, &nf, &bytes);
        snprintf(out, sizeof out, "dir files=%" PRId64 " bytes=%" PRId64 " fnv=%016" PRIx64, nf, bytes, h);
    } else {
        uint64_t h = 0;
        if (fp_file(path, &sb, &h)) return le_strdup("unreadable");
        snprintf(out, sizeof out, "size=%lld mtime_ns=%lld fnv=%016" PRIx64, (long long)sb.st_size,
                 (long long)sb.st_mtim.tv_sec * 1000000000LL + sb.st_mtim.tv_nsec, h);
    }
    return le_strdup(out);
}

/* ------------------------------------------------------------ the manifest */

typedef struct mentry {
    int used;
    char *name, *status, *section;
    double seconds;
    int exit;
    strv argv, in_path, in_fp, out_path, out_fp;
} mentry;

static void me_free(mentry *e)
{
    free(e->name), free(e->status), free(e->section);
    sv_free(&e->argv), sv_free(&e->in_path), sv_free(&e->in_fp), sv_free(&e->out_path), sv_free(&e->out_fp);
    memset(e, 0, sizeof *e);
}


static void json_files(FILE *f, const strv *path, const strv *fp)
{
    fputc('[', f);
    for (int i = 0; i < path->n; i++) {
        fputs(i ? ",\n      {\"path\": " : "\n      {\"path\": ", f);
        json_str(f, path->v[i]);
        fputs(", \"fingerprint\": ", f);
        json_str(f, fp->v[i]);
        fputc('}', f);
    }
    fputs(path->n ? "]" : "]", f);
}

/* Tests only (tests/e2e/run_kill.sh kills a rank inside a manifest write):
 * LE_RUN_TEST_MANIFEST_PAUSE=STAGE holds the write that records STAGE
 * completed for 60 s between the complete temporary file and the rename. */
static void test_pause_before_rename(const mentry *e, int n, const char *tmp)
{
    const char *when = getenv("LE_RUN_TEST_MANIFEST_PAUSE");
    int last = n - 1;
    while (last >= 0 && !e[last].used) last--;
    if (!when || last < 0 || strcmp(e[last].name, when) || strcmp(e[last].status, "completed")) return;
    fprintf(stderr, "labelease: run: test pause: %s written, not yet renamed\n", tmp);
    fflush(stderr);
    sleep(60);
}

/* Rank 0: DIR/manifest.json.tmp, fsync, rename: a kill leaves the old or the
 * new manifest, never half of one. */
static int manifest_write(const char *dir, const char *config_path, const mentry *e, int n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    le_atomic af;
    int rc = le_atomic_open(&af, path, 1); /* manifest.json.tmp: the next write replaces one a kill left */
    if (rc) return rc;
    FILE *f = af.f;
    fputs("{\"schema\": \"labelease-run-manifest\", \"schema_version\": 1,\n \"config\": ", f);
    json_str(f, config_path);
    fprintf(f, ",\n \"ranks\": %d,\n \"fingerprint\": \"size + mtime_ns + FNV-1a 64 of the first and last 1 MiB\",\n \"stages\": [", le_world.size);
    int first = 1;
    for (int i = 0; i < n; i++) {
        if (!e[i].used) continue;
        fputs(first ? "\n  {\"name\": " : ",\n  {\"name\": ", f);
        first = 0;
        json_str(f, e[i].name);
        fputs(", \"status\": ", f);
        json_str(f, e[i].status);
        fprintf(f, ", \"exit\": %d, \"seconds\": %.3f,\n    \"argv\": [", e[i].exit, e[i].seconds);
        for (int a = 0; a < e[i].argv.n; a++) {
            if (a) fputs(", ", f);
            json_str(f, e[i].argv.v[a]);
        }
        fputs("],\n    \"section\": ", f);
        json_str(f, e[i].section);
        fputs(",\n    \"inputs\": ", f);
        json_files(f, &e[i].in_path, &e[i].in_fp);
        fputs(",\n    \"outputs\": ", f);
        json_files(f, &e[i].out_path, &e[i].out_fp);
        fputc('}', f);
    }
    fputs("\n ]}\n", f);
    if ((rc = le_atomic_close(&af))) return rc;
    test_pause_before_rename(e, n, af.tmp);
    return le_atomic_rename(&af);
}

static const char *jstr(yajl_val v, const char *key)
{
    const char *p[] = {key, NULL};
    yajl_val s = yajl_tree_get(v, p, yajl_t_string);
    return s ? YAJL_GET_STRING(s) : NULL;
}

static void jstrv(yajl_val v, const char *key, strv *out)
{
    const char *p[] = {key, NULL};
    yajl_val a = yajl_tree_get(v, p, yajl_t_array);
    for (size_t i = 0; a && i < YAJL_GET_ARRAY(a)->len; i++)
        if (YAJL_IS_STRING(YAJL_GET_ARRAY(a)->values[i])) sv_add(out, YAJL_GET_STRING(YAJL_GET_ARRAY(a)->values[i]));
}

static void jfiles(yajl_val v, const char *key, strv *path, strv *fp)
{
    const char *p[] = {key, NULL};
    yajl_val a = yajl_tree_get(v, p, yajl_t_array);
    for (size_t i = 0; a && i < YAJL_GET_ARRAY(a)->len; i++) {
        const char *ps = jstr(YAJL_GET_ARRAY(a)->values[i], "path"), *fs = jstr(YAJL_GET_ARRAY(a)->values[i], "fingerprint");
        if (ps && fs) sv_add(path, ps), sv_add(fp, fs);
    }
}

/* Rank 0: the entries of an existing manifest, matched to the plan's stages
 * by name. A missing or unreadable manifest is an empty one (warned). */
static void manifest_read(const char *dir, const stage *st, int n, mentry *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    FILE *f = fopen(path, "r");
    if (!f) return;
    char *text = NULL;
    size_t len = 0, cap = 0;
    char buf[65536];
    for (size_t got; (got = fread(buf, 1, sizeof buf, f)) > 0;) {
        LE_RESERVE(text, cap, len + got + 1);
        memcpy(text + len, buf, got);
        len += got;
    }
    fclose(f);
    if (!text) return;
    text[len] = 0;
    char err[256];
    yajl_val root = yajl_tree_parse(text, err, sizeof err);
    free(text);
    const char *sp[] = {"stages", NULL};
    yajl_val stages = root ? yajl_tree_get(root, sp, yajl_t_array) : NULL;
    if (!stages) {
        le_warn("run: %s is not a manifest (%s): every stage runs", path, root ? "no stages" : err);
        if (root) yajl_tree_free(root);
        return;
    }
    for (size_t k = 0; k < YAJL_GET_ARRAY(stages)->len; k++) {
        yajl_val v = YAJL_GET_ARRAY(stages)->values[k];
        const char *name = jstr(v, "name"), *status = jstr(v, "status"), *sec = jstr(v, "section");
        for (int i = 0; name && status && sec && i < n; i++) {
            if (strcmp(st[i].name, name) || e[i].used) continue;
            e[i].used = 1;
            e[i].name = le_strdup(name), e[i].status = le_strdup(status), e[i].section = le_strdup(sec);
            const char *xp[] = {"seconds", NULL};
            yajl_val s = yajl_tree_get(v, xp, yajl_t_number);
            e[i].seconds = s ? YAJL_GET_DOUBLE(s) : 0;
            jstrv(v, "argv", &e[i].argv);
            jfiles(v, "inputs", &e[i].in_path, &e[i].in_fp);
            jfiles(v, "outputs", &e[i].out_path, &e[i].out_fp);
        }
    }
    yajl_tree_free(root);
}

/* ------------------------------------------------------------ deciding */

static void rel_strv(const char *dir, const strv *in, strv *out)
{
    char buf[4300];
    for (int i = 0; i < in->n; i++) sv_add(out, rel(dir, in->v[i], buf, sizeof buf));
}

/* Why stage st must run, or NULL when the manifest entry e shows it done
 * with the same command line, section and files. */
static char *why_run(const char *dir, const stage *st, const mentry *e)
{
    char why[4400];
    if (!e->used) return le_strdup("not run before");
    if (strcmp(e->status, "completed")) {
        snprintf(why, sizeof why, "last status %s", e->status);
        return le_strdup(why);
    }
    if (strcmp(e->section, st->sectext)) {
        snprintf(why, sizeof why, "config section [%s] changed", st->sec ? st->sec->name : st->def->name);
        return le_strdup(why);
    }
    strv a = {0};
    rel_strv(dir, &st->argv, &a);
    int same = sv_eq(&a, &e->argv);
    sv_free(&a);
    if (!same) return le_strdup("its command line changed (labelease run itself changed)");
    const strv *want[2] = {&st->inputs, &st->outputs};
    const strv *have_p[2] = {&e->in_path, &e->out_path}, *have_f[2] = {&e->in_fp, &e->out_fp};
    for (int k = 0; k < 2; k++) {
        if (want[k]->n != have_p[k]->n) return le_strdup(k ? "its outputs changed" : "its inputs changed");
        for (int i = 0; i < want[k]->n; i++) {
            char r[4300];
            rel(dir, want[k]->v[i], r, sizeof r);
            char *fp = fingerprint(want[k]->v[i]);
            int ok = !strcmp(r, have_p[k]->v[i]) && !strcmp(fp, have_f[k]->v[i]);
            if (!ok) snprintf(why, sizeof why, "%s %s %s", k ? "output" : "input", want[k]->v[i],
                              !strcmp(fp, "absent") ? "is missing" : "changed");
            free(fp);
            if (!ok) return le_strdup(why);
        }
    }
    return NULL;
}

static void fp_strv(const char *dir, const strv *files, strv *path, strv *fp)
{
    sv_free(path), sv_free(fp);
    char r[4300];
    for (int i = 0; i < files->n; i++) {
        char *f = fingerprint(files->v[i]);
        sv_add(path, rel(dir, files->v[i], r, sizeof r));
        sv_add(fp, f);
        free(f);
    }
}

/* ------------------------------------------------------------ running one */

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

static void print_eval(const char *dir)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/eval.txt", dir);
    FILE *f = fopen(path, "r");
    if (!f) return;
    static const char *const keys[] = {"labeled", "precision", "recall", "f1", "period_precision", "period_recall", "hr@1", "hr@3"};
    char line[1024];
    printf("eval (%s):\n", path);
    while (fgets(line, sizeof line, f))
        for (size_t k = 0; k < sizeof keys / sizeof *keys; k++) {
            size_t n = strlen(keys[k]);
            if (!strncmp(line, keys[k], n) && line[n] == ':') printf("  %s", line);
        }
    fclose(f);
}

/* ------------------------------------------------------------ the command */

typedef struct run_opts {
    const char *config, *dir;
    int force, dry;
} run_opts;

static int parse(int argc, char **argv, run_opts *o, char *dirbuf, size_t cap)
{
    static const struct option opts[] = {{"out", required_argument, 0, 'o'}, {"force", no_argument, 0, 'f'},
                                         {"dry-run", no_argument, 0, 'n'}, LE_COMMON_LONGOPTS, {0}};
    *o = (run_opts){0};
    int c;
    optind = 0;
    while ((c = getopt_long(argc, argv, "o:vqh", opts, NULL)) != -1) {
        if (c == 1000) return le_fail(LE_ERR_USAGE, "run has no --json (each stage's report is DIR/STAGE.txt)");
        if (le_common_opt(c)) continue;
        if (c == 'h') return le_usage(usage, 0) ? LE_ERR_USAGE : -1;
        if (c == 'o') o->dir = optarg;
        else if (c == 'f') o->force = 1;
        else if (c == 'n') o->dry = 1;
        else return le_usage(usage, 1);
    }
    if (argc - optind != 1 || !o->dir) return le_usage(usage, 1);
    o->config = argv[optind];
    snprintf(dirbuf, cap, "%s", o->dir);
    size_t n = strlen(dirbuf);
    while (n > 1 && dirbuf[n - 1] == '/') dirbuf[--n] = 0;
    if (!n) return le_fail(LE_ERR_USAGE, "--out wants a directory");
    o->dir = dirbuf;
    return 0;
}

/* Rank 0 reads CONFIG, every rank gets the text. */
static int read_config(const char *path, char **text)
{
    long len = 0;
    int rc = 0;
    *text = NULL;
    if (le_world.rank == 0) {
        FILE *f = fopen(path, "rb");
        if (!f) rc = le_fail(LE_ERR_IO, "%s: cannot read the config: %s", path, strerror(errno));
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

static void argv_line(const stage *st, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < st->argv.n && n < cap; i++) n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? " " : "", st->argv.v[i]);
}

static int run_all(const run_opts *o, stage *st, int n, int stop_for_labels)
{
    const char *dir = o->dir;
    int root = le_world.rank == 0, rc = 0;
    mentry ent[MAX_STAGES] = {{0}};
    int plan[MAX_STAGES] = {0}; /* 1: run */
    char *why[MAX_STAGES] = {0};
    if (root && !o->dry) rc = mkdir_p(dir);
    if (root && !o->dry && !rc) rc = lock_dir(dir);
    rc = le_agree(rc);
    if (rc) return rc;

    /* ---- the plan: the first stage that cannot be skipped and every one after it */
    if (root) {
        manifest_read(dir, st, n, ent);
        const char *redone = NULL;
        for (int i = 0; i < n; i++) {
            char buf[256];
            if (o->force) why[i] = le_strdup("--force");
            else if (redone) snprintf(buf, sizeof buf, "%s before it runs", redone), why[i] = le_strdup(buf);
            else why[i] = why_run(dir, &st[i], &ent[i]);
            plan[i] = why[i] != NULL;
            if (plan[i] && !redone) redone = st[i].name;
        }
    }
    if ((rc = LE_MPI_RC(MPI_Bcast(plan, MAX_STAGES, MPI_INT, 0, le_world.comm)))) {
        for (int i = 0; i < n; i++) free(why[i]), me_free(&ent[i]);
        return rc;
    }

    if (root) {
        printf("labelease run %s --out %s (%d rank%s)\n", o->config, dir, le_world.size, le_world.size > 1 ? "s" : "");
        if (o->dry) {
            for (int i = 0; i < n; i++) {
                char line[8192];
                argv_line(&st[i], line, sizeof line);
                printf("  %-10s %-6s %s\n             labelease %s\n", st[i].name, plan[i] ? "run" : "skip",
                       plan[i] ? why[i] : "(completed, unchanged)", line);
            }
            if (stop_for_labels) printf("  (then stops for labeling: [label] gives neither mode = oracle nor labels =)\n");
        }
        fflush(stdout);
    }
    if (o->dry) {
        for (int i = 0; i < n; i++) free(why[i]), me_free(&ent[i]);
        return 0;
    }
    if (root) {
        for (int i = 0; i < n; i++)
            if (plan[i]) le_info("run: %s will run: %s", st[i].name, why[i]);
        printf("  %-10s %-8s %8s\n", "stage", "status", "seconds");
        fflush(stdout);
    }

    int saved_level = le_log_level, interrupted = 0, wait_at = -1;
    /* SIGUSR1/SIGTERM (Slurm's --signal warning, preemption) stop the run at
     * the next safe point: train checks at every step and checkpoints, any
     * other stage finishes first and run stops after it. */
    le_interrupt_install();
    for (int i = 0; i < n && !rc; i++) {
        stage *s = &st[i];
        if (!plan[i]) {
            if (root) printf("  %-10s %-8s %8s\n", s->name, "skipped", "-"), fflush(stdout);
            continue;
        }
        redirect red;
        int prc = 0;
        char report[4200];
        snprintf(report, sizeof report, "%s/%s.txt", dir, s->name);
        if (root) {
            if (!strcmp(s->def->name, "train")) {
                /* A checkpoint is kept only for the same training (command
                 * line, section, corpus) that was stopped; anything else
                 * starts over. */
                char ck[4200];
                snprintf(ck, sizeof ck, "%s/train.ckpt.h5", dir);
                mentry *e = &ent[i];
                int keep = 0;
                if (e->used && strcmp(e->status, "completed")) {
                    strv a = {0};
                    rel_strv(dir, &s->argv, &a);
                    keep = sv_eq(&a, &e->argv) && !strcmp(e->section, s->sectext);
                    sv_free(&a);
                    strv p = {0}, f = {0};
                    fp_strv(dir, &s->inputs, &p, &f);
                    keep = keep && sv_eq(&p, &e->in_path) && sv_eq(&f, &e->in_fp);
                    sv_free(&p), sv_free(&f);
                }
                if (!keep && !unlink(ck)) le_info("run: removed %s (from another training)", ck);
                else if (keep && !access(ck, F_OK)) le_info("run: train resumes from %s", ck);
            }
            /* this stage is running, the ones after it are not valid any more */
            for (int j = i; j < n; j++) me_free(&ent[j]);
            mentry *e = &ent[i];
            e->used = 1;
            e->name = le_strdup(s->name), e->status = le_strdup("running"), e->section = le_strdup(s->sectext);
            rel_strv(dir, &s->argv, &e->argv);
            fp_strv(dir, &s->inputs, &e->in_path, &e->in_fp);
            prc = manifest_write(dir, o->config, ent, n);
            if (!prc) prc = redirect_begin(&red, report);
            char line[8192];
            argv_line(s, line, sizeof line);
            if (!prc) le_info("run: %s: starting: labelease %s", s->name, line);
        }
        rc = le_agree(prc);
        if (rc) break;
        double t0 = MPI_Wtime();
        /* a stage may catch SIGTERM/SIGUSR1 (train, to checkpoint): the
         * stages after it get the dispositions run started with */
        static const int sigs[] = {SIGTERM, SIGUSR1, SIGINT};
        struct sigaction sa[3];
        for (int k = 0; k < 3; k++) sigaction(sigs[k], NULL, &sa[k]);
        int src;
        const char *sig_at = getenv("LE_RUN_TEST_SIGNAL"); /* tests only: a real SIGUSR1 to the last rank as STAGE starts */
        if (sig_at && !strcmp(sig_at, s->name) && le_world.rank == le_world.size - 1) raise(SIGUSR1);
        if (s->copy_labels) src = root ? printf("mode: labelled in place\nlabels: %s\n", s->inputs.v[0]) < 0 : 0;
        else src = le_cmd_call(s->def->fn, s->argv.n, s->argv.v);
        for (int k = 0; k < 3; k++) sigaction(sigs[k], &sa[k], NULL);
        le_log_level = saved_level, le_world.json = 0;
        int any75 = src == RUN_INTERRUPTED;
        int mpirc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &any75, 1, MPI_INT, MPI_MAX, le_world.comm));
        int worst = le_agree(src ? src : mpirc);
        if (any75) worst = RUN_INTERRUPTED;
        /* label --import of a person's file that does not label this round's
         * representatives yet: run stops here for them (not a failure) */
        int waiting = worst == LE_ERR_NEEDS_LABELS;
        double secs = MPI_Wtime() - t0;
        if (root) {
            int wrc = redirect_end(&red, !worst);
            if (!worst && wrc) worst = wrc;
            mentry *e = &ent[i];
            free(e->status);
            e->status = le_strdup(!worst ? "completed" : any75 ? "interrupted" : waiting ? "waiting for labels" : "failed");
            e->exit = worst, e->seconds = secs;
            if (!worst) {
                fp_strv(dir, &s->outputs, &e->out_path, &e->out_fp);
                if (!strcmp(s->def->name, "train")) {
                    char ck[4200];
                    snprintf(ck, sizeof ck, "%s/train.ckpt.h5", dir);
                    unlink(ck);
                }
            }
            char msg[4096];
            snprintf(msg, sizeof msg, "%s", le_errmsg()); /* a manifest error must not hide the stage's */
            int mrc = manifest_write(dir, o->config, ent, n);
            if (worst && !waiting) le_fail(worst, "%s", msg);
            else if (mrc) worst = mrc, waiting = 0;
            char sec[32];
            snprintf(sec, sizeof sec, "%.1f", secs);
            printf("  %-10s %-8s %8s\n", s->name, !worst ? "ran" : any75 ? "STOPPED" : waiting ? "WAITING" : "FAILED", sec);
            fflush(stdout);
        }
        if ((rc = LE_MPI_RC(MPI_Bcast(&waiting, 1, MPI_INT, 0, le_world.comm)))) break;
        if (waiting) {
            le_err_clear();
            wait_at = i;
            break;
        }
        interrupted = any75;
        rc = le_agree(worst);
        if (rc && interrupted) rc = RUN_INTERRUPTED;
        if (!rc && i + 1 < n) {
            int sig = 0;
            rc = le_interrupt_agree(le_world.comm, &sig);
            if (!rc && sig) {
                rc = RUN_INTERRUPTED, interrupted = 1;
                le_fail(rc, "run: stopped by %s after %s; run the same command again to continue", le_interrupt_name(sig),
                        s->name);
            }
        }
    }
    le_interrupt_restore();
    if (root) {
        if (interrupted)
            fprintf(stderr, "labelease run: stopped by a signal (exit 75): run the same command again to resume\n");
        else if (!rc && wait_at >= 0) {
            const char *file = st[wait_at].inputs.v[st[wait_at].inputs.n > 1 ? 1 : 0];
            char reps[4200];
            snprintf(reps, sizeof reps, "%s", st[wait_at].inputs.v[0]); /* argv: getopt may have permuted it */
            printf("\nstopped for labeling (%s): %s labels none of the representatives in %s yet.\n"
                   "Label them in a browser (%.*s.html; add the saved rows to %s) or at a terminal,\n"
                   "which keeps the rows already in the file:\n"
                   "  labelease label %s --tui -o %s\n"
                   "then run again.\n",
                   st[wait_at].name, file, reps, (int)(strlen(reps) > 3 ? strlen(reps) - 3 : strlen(reps)), reps, file, reps, file);
        } else if (!rc && stop_for_labels) {
            printf("\nstopped for labeling: label the representatives in %s/reps.h5, either in a browser\n"
                   "(open %s/reps.html, label, save the labels CSV) or at a terminal:\n"
                   "  labelease label %s/reps.h5 --tui -o LABELS.csv\n"
                   "then set `labels = LABELS.csv` under [label] in %s and run again (keep the file\n"
                   "outside %s or name it other than labels*.csv there: run writes those). With more\n"
                   "than one round ([select] rounds), run stops again for each round's representatives.\n",
                   dir, dir, dir, o->config, dir);
        } else if (!rc) {
            for (int i = 0; i < n; i++)
                if (!strcmp(st[i].def->name, "eval")) print_eval(dir);
            printf("outputs in %s (manifest.json; dataset/ is the labeled dataset)\n", dir);
        }
        fflush(stdout);
    }
    for (int i = 0; i < n; i++) free(why[i]), me_free(&ent[i]);
    return rc;
}

/* A person's labels file must not be one run writes: the rounds rewrite
 * those with only their own rows. */
static int check_label_files(const config *c, const stage *st, int n)
{
    const char *file = get(sec_of(c, "label"), "labels");
    char a[4200], b[4200];
    if (!file || !realpath(file, a)) return 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; !st[i].copy_labels && k < st[i].outputs.n; k++)
            if (realpath(st[i].outputs.v[k], b) && !strcmp(a, b))
                return le_fail(LE_ERR_USAGE, "%s:%d: [label] labels = %s is what run writes for stage %s: keep your labels in "
                               "another file (e.g. DIR/given-labels.csv)", c->path, sec_of(c, "label")->line, file, st[i].name);
    return 0;
}

int le_cmd_run(int argc, char **argv)
{
    run_opts o;
    char dir[4096];
    int rc = parse(argc, argv, &o, dir, sizeof dir);
    if (rc) return rc < 0 ? 0 : rc;
    char *text = NULL;
    LE_CHECK(read_config(o.config, &text));
    config c;
    rc = config_parse(text, o.config, &c);
    rc = le_agree(le_world.rank == 0 ? rc : 0);
    stage st[MAX_STAGES];
    int n = 0, stop = 0;
    if (!rc) n = build_plan(&c, o.dir, st, &stop);
    if (!rc) rc = le_agree(le_world.rank == 0 ? check_label_files(&c, st, n) : 0);
    if (!rc) rc = run_all(&o, st, n, stop);
    for (int i = 0; i < n; i++) sv_free(&st[i].argv), sv_free(&st[i].inputs), sv_free(&st[i].outputs), free(st[i].sectext);
    for (int i = 0; i < c.nsec; i++) free(c.sec[i].kv);
    free(text);
    return rc;
}
