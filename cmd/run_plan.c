/* run_plan: the stages and their command lines from the config (run_plan.h). */
#include "run_plan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "driver.h"
#include "stv_dist.h"

void run_sv_add(run_strv *a, const char *s)
{
    LE_RESERVE(a->v, a->cap, (size_t)a->n + 2);
    a->v[a->n++] = le_strdup(s);
    a->v[a->n] = NULL;
}
static void sv_addf(run_strv *a, const char *dir, const char *name)
{
    char buf[4200];
    snprintf(buf, sizeof buf, "%s/%s", dir, name);
    run_sv_add(a, buf);
}
void run_sv_free(run_strv *a)
{
    for (int i = 0; i < a->n; i++) free(a->v[i]);
    free(a->v);
    memset(a, 0, sizeof *a);
}
int run_sv_eq(const run_strv *a, const run_strv *b)
{
    if (a->n != b->n) return 0;
    for (int i = 0; i < a->n; i++)
        if (strcmp(a->v[i], b->v[i])) return 0;
    return 1;
}

static void add_options(run_stage *st)
{
    const le_ini_section *s = st->sec;
    for (int i = 0; s && i < s->n; i++) {
        const le_ini_kv *e = &s->kv[i];
        if (run_word_in(e->key, st->def->run_keys)) continue;
        if (!strcmp(e->val, "false") || !strcmp(e->val, "no")) continue;
        char opt[256];
        snprintf(opt, sizeof opt, "--%s", e->key);
        run_sv_add(&st->argv, opt);
        if (!run_truthy(e->val)) run_sv_add(&st->argv, e->val);
        if (run_word_in(e->key, st->def->in_keys)) run_sv_add(&st->inputs, e->val);
    }
}

/* Whitespace-separated list of paths (ingest inputs). */
static void add_words(run_strv *a, const char *list)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ' || *p == '\t') p++;
        const char *e = p;
        while (*e && *e != ' ' && *e != '\t') e++;
        if (e > p) {
            char *w = le_strndup(p, (size_t)(e - p));
            run_sv_add(a, w);
            free(w);
        }
        p = e;
    }
}

/* "a b c" -> DIR/a, DIR/b, DIR/c appended to each of the lists given. */
static void add_dir_files(const char *dir, const char *names, run_strv *x, run_strv *y)
{
    run_strv w = {0};
    add_words(&w, names);
    for (int i = 0; i < w.n; i++) {
        sv_addf(x, dir, w.v[i]);
        if (y) sv_addf(y, dir, w.v[i]);
    }
    run_sv_free(&w);
}

/* "a b c" without the word `drop` (NULL: all of them). */
static void words_without(const char *list, const char *drop, char *buf, size_t cap)
{
    run_strv w = {0};
    size_t n = 0;
    buf[0] = 0;
    add_words(&w, list);
    for (int i = 0; i < w.n; i++)
        if (!drop || strcmp(w.v[i], drop))
            n += (size_t)snprintf(buf + n, cap > n ? cap - n : 0, "%s%s", n ? " " : "", w.v[i]);
    run_sv_free(&w);
}

/* Round r's files in DIR: reps.h5 / labels.csv for round 1, reps-R.h5 / labels-R.csv after. */
static void round_file(char *buf, size_t cap, const char *stem, int r, const char *ext)
{
    if (r <= 1)
        snprintf(buf, cap, "%s.%s", stem, ext);
    else
        snprintf(buf, cap, "%s-%d.%s", stem, r, ext);
}

/* Model-free vectors are made once: with the default representation and
 * method, round 1's select writes the statistics they are made from and the
 * later rounds and propagate read them (RUN_VECTOR_STATS; every stage then
 * holds a chunk of vectors, never the corpus' nor a file of them); else
 * round 1's select writes the vectors themselves and the others read those
 * (RUN_VECTORS; propagate a chunk at a time). */
static void add_vectors(const le_ini *c, run_stage *t, const char *dir, int r)
{
    int is_select = !strcmp(t->def->name, "select");
    if (le_repr_uses_model(run_representation(c)) || (!is_select && strcmp(t->def->name, "propagate"))) return;
    const char *method = le_ini_get(le_ini_section_of(c, "select"), "method");
    int stats = !strcmp(run_representation(c), "tail") && (!method || !strcmp(method, "kmeans"));
    int writes = is_select && r <= 1;
    const char *file = stats ? RUN_VECTOR_STATS : RUN_VECTORS;
    run_sv_add(&t->argv, stats    ? (writes ? "--save-vector-stats" : "--vector-stats")
                         : writes ? "--dump-vectors"
                                  : "--vectors");
    sv_addf(&t->argv, dir, file);
    sv_addf(writes ? &t->outputs : &t->inputs, dir, file);
}

/* A stage's command line, inputs and outputs from its table row and section:
 * NAME READS... [-o WRITES] OPTIONS... [ARGS_KEY paths...]. */
static void build_stage(const le_ini *c, run_stage *t, const char *dir, int r, int last)
{
    const run_stage_def *d = t->def;
    const le_ini_section *s = t->sec;
    run_strv *a = &t->argv;
    run_sv_add(a, d->name);
    char reps[32], html[32], labels[32], prev[32];
    round_file(reps, sizeof reps, "reps", r, "h5"), round_file(html, sizeof html, "reps", r, "html");
    round_file(labels, sizeof labels, "labels", r, "csv"), round_file(prev, sizeof prev, "labels", r - 1, "csv");
    int is_select = !strcmp(d->name, "select"), is_label = !strcmp(d->name, "label");
    const char *file = is_label ? le_ini_get(s, "labels") : NULL;
    if (file && run_rounds(c) == 1) { /* the person labelled the output itself: nothing to do */
        char x[4200], y[4200], own[4200];
        snprintf(own, sizeof own, "%s/%s", dir, labels);
        if (realpath(file, x) && realpath(own, y) && !strcmp(x, y)) {
            t->copy_labels = 1;
            run_sv_add(a, "(labelled in place)"), run_sv_add(&t->inputs, file), run_sv_add(&t->outputs, file);
            return;
        }
    }
    /* A representation without the GAT reads no embeddings (train and
     * embed are then not in the plan); propagate reads the last round's labels. */
    char reads[256], last_csv[32];
    words_without(d->reads, le_repr_uses_model(run_representation(c)) ? NULL : "embeddings.h5", reads, sizeof reads);
    round_file(last_csv, sizeof last_csv, "labels", last, "csv");
    run_strv w = {0};
    add_words(&w, reads);
    for (int i = 0; i < w.n; i++) {
        const char *f = w.v[i];
        if (!strcmp(f, "reps.h5"))
            f = reps;
        else if (!strcmp(f, "labels.csv"))
            f = last_csv;
        sv_addf(a, dir, f), sv_addf(&t->inputs, dir, f);
    }
    run_sv_free(&w);
    if (is_label) {
        if (file)
            run_sv_add(a, "--import"), run_sv_add(a, file), run_sv_add(&t->inputs, file);
        else
            run_sv_add(a, "--oracle"), add_dir_files(dir, "corpus.h5", a, &t->inputs);
        if (r > 1) run_sv_add(a, "--keep"), sv_addf(a, dir, prev), sv_addf(&t->inputs, dir, prev);
    }
    if (*d->writes) {
        const char *out = is_select ? reps : is_label ? labels : d->writes;
        run_sv_add(a, "-o"), sv_addf(a, dir, out), sv_addf(&t->outputs, dir, out);
    }
    if (is_select && r > 1) {
        char num[16];
        snprintf(num, sizeof num, "%d", r);
        run_sv_add(a, "--round"), run_sv_add(a, num), run_sv_add(a, "--labels"), sv_addf(a, dir, prev),
            sv_addf(&t->inputs, dir, prev);
        /* the stopping rule measures what the previous round's labels did */
        char prev_reps[32];
        round_file(prev_reps, sizeof prev_reps, "reps", r - 1, "h5");
        if (r >= 3) run_sv_add(a, "--previous"), sv_addf(a, dir, prev_reps), sv_addf(&t->inputs, dir, prev_reps);
    }
    add_vectors(c, t, dir, r);
    /* train resumes from the checkpoint when it exists and exits 75 when a
     * signal stopped it after writing one (docs/model.md). */
    if (!strcmp(d->name, "train")) run_sv_add(a, "--checkpoint"), sv_addf(a, dir, "train.ckpt.h5");
    add_options(t);
    /* propagate takes select's representation unless it names one (the same, checked) */
    const char *sel_repr = le_ini_get(le_ini_section_of(c, "select"), "representation");
    if (!strcmp(d->name, "propagate") && !le_ini_get(s, "representation") && sel_repr)
        run_sv_add(a, "--representation"), run_sv_add(a, sel_repr);
    if (*d->args_key && le_ini_get(s, d->args_key)) {
        run_strv aw = {0};
        add_words(&aw, le_ini_get(s, d->args_key));
        for (int i = 0; i < aw.n; i++) run_sv_add(a, aw.v[i]), run_sv_add(&t->inputs, aw.v[i]);
        run_sv_free(&aw);
    }
    const char *page = is_select ? html : d->page;
    if (*d->page && le_ini_get(s, "page"))
        run_sv_add(&t->outputs, le_ini_get(s, "page"));
    else if (*d->page && !run_truthy(le_ini_get(s, "no-page")))
        sv_addf(&t->outputs, dir, page);
}

/* The section as the manifest records it: one normalized key = value a
 * line, so comments and spacing are no change. */
static char *section_text(const le_ini_section *s)
{
    size_t cap = 64;
    for (int i = 0; s && i < s->n; i++) cap += strlen(s->kv[i].key) + strlen(s->kv[i].val) + 8;
    char *t = le_malloc(cap);
    size_t n = (size_t)snprintf(t, cap, "[%s]\n", s ? s->name : "");
    for (int i = 0; s && i < s->n; i++) n += (size_t)snprintf(t + n, cap - n, "%s = %s\n", s->kv[i].key, s->kv[i].val);
    return t;
}

/* Stage NAME (its command def_name, its config section sec) of round r into
 * *t, with its report NAME.txt among the outputs. */
static void add_stage(const le_ini *c, const char *dir, run_stage *t, const char *def_name, const le_ini_section *sec,
                      const char *name, int r, int last)
{
    memset(t, 0, sizeof *t);
    t->def = run_stage_def_of(def_name), t->sec = sec, t->sectext = section_text(sec);
    snprintf(t->name, sizeof t->name, "%s", name);
    build_stage(c, t, dir, r, last);
    char rep[64];
    snprintf(rep, sizeof rep, "%s.txt", name);
    sv_addf(&t->outputs, dir, rep);
}

/* select-R, label-R for rounds 2..R; up to select-S alone when select-S
 * stopped the labeling (stop_round S). */
static int add_later_rounds(const le_ini *c, const char *dir, run_stage *st, int n, int stop_round, int last)
{
    int until = stop_round ? stop_round : run_rounds(c);
    for (int r = 2; r <= until; r++)
        for (int k = 0; k < (r == stop_round ? 1 : 2); k++) {
            const char *def = k ? "label" : "select";
            char name_r[24];
            snprintf(name_r, sizeof name_r, "%s-%d", def, r);
            add_stage(c, dir, &st[n++], def, le_ini_section_of(c, def), name_r, r, last);
        }
    return n;
}

int run_plan_build(const le_ini *c, const char *dir, run_stage *st, int *stop_for_labels, int stop_round)
{
    int last = stop_round ? stop_round - 1 : run_rounds(c); /* the round whose labels propagate reads */
    static const char *const order[] = {"input",  "info",      "train",     "embed", "select", "label",
                                        "rounds", "propagate", "rootcause", "eval",  "export"};
    int n = 0;
    *stop_for_labels = 0;
    for (size_t o = 0; o < sizeof order / sizeof *order; o++) {
        const char *name = order[o];
        if (!strcmp(name, "rounds")) {
            n = add_later_rounds(c, dir, st, n, stop_round, last);
            continue;
        }
        if (!strcmp(name, "input")) name = le_ini_section_of(c, "synth") ? "synth" : "ingest";
        const le_ini_section *s = le_ini_section_of(c, name);
        if ((!strcmp(name, "info") || !strcmp(name, "eval")) && run_truthy(le_ini_get(s, "skip"))) continue;
        if ((!strcmp(name, "train") || !strcmp(name, "embed")) && !le_repr_uses_model(run_representation(c))) {
            if (s)
                le_warn("%s:%d: [%s] is not run: representation %s needs no model", c->path, s->line, name,
                        run_representation(c));
            continue;
        }
        if (!strcmp(name, "label") && !le_ini_get(s, "mode") && !le_ini_get(s, "labels")) {
            *stop_for_labels = 1;
            break;
        }
        add_stage(c, dir, &st[n++], name, s, name, 1, last);
    }
    return n;
}

void run_plan_free(run_stage *st, int n)
{
    for (int i = 0; i < n; i++)
        run_sv_free(&st[i].argv), run_sv_free(&st[i].inputs), run_sv_free(&st[i].outputs), free(st[i].sectext);
}

/* A person's labels file must not be one run writes: the rounds rewrite
 * those with only their own rows. */
int run_plan_check_labels(const le_ini *c, const run_stage *st, int n)
{
    const char *file = le_ini_get(le_ini_section_of(c, "label"), "labels");
    char a[4200], b[4200];
    if (!file || !realpath(file, a)) return 0;
    for (int i = 0; i < n; i++)
        for (int k = 0; !st[i].copy_labels && k < st[i].outputs.n; k++)
            if (realpath(st[i].outputs.v[k], b) && !strcmp(a, b))
                return le_fail(LE_ERR_USAGE,
                               "%s:%d: [label] labels = %s is what run writes for stage %s: keep your labels in "
                               "another file (e.g. DIR/given-labels.csv)",
                               c->path, le_ini_section_of(c, "label")->line, file, st[i].name);
    return 0;
}

void run_stage_line(const run_stage *st, char *buf, size_t cap)
{
    size_t n = 0;
    buf[0] = 0;
    for (int i = 0; i < st->argv.n && n < cap; i++)
        n += (size_t)snprintf(buf + n, cap - n, "%s%s", i ? " " : "", st->argv.v[i]);
}
