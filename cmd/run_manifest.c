/* run_manifest: fingerprints, manifest.json, why a stage runs again
 * (run_manifest.h). */
#include "run_manifest.h"

#include <dirent.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yajl/yajl_tree.h>

#include "atomicfile.h"
#include "driver.h"
#include "jsonesc.h"

#define FP_EDGE (1 << 20) /* fingerprint hashes the first and last 1 MiB */

/* Paths are recorded in the manifest relative to DIR ("${DIR}/corpus.h5"), so
 * that moving DIR or spelling --out differently is no change. */
static const char *rel(const char *dir, const char *path, char *buf, size_t cap)
{
    size_t n = strlen(dir);
    if (!strncmp(path, dir, n) && path[n] == '/')
        snprintf(buf, cap, "${DIR}%s", path + n);
    else
        snprintf(buf, cap, "%s", path);
    return buf;
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
    run_strv names = {0};
    for (struct dirent *e; (e = readdir(d));)
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) run_sv_add(&names, e->d_name);
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
    run_sv_free(&names);
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

void run_mentry_free(run_mentry *e)
{
    free(e->name), free(e->status), free(e->section);
    run_sv_free(&e->argv), run_sv_free(&e->in_path), run_sv_free(&e->in_fp), run_sv_free(&e->out_path),
        run_sv_free(&e->out_fp);
    memset(e, 0, sizeof *e);
}

static void json_str(FILE *f, const char *s) { le_json_escape(f, s, SIZE_MAX, LE_JSON_BYTES); }

static void json_files(FILE *f, const run_strv *path, const run_strv *fp)
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

static void json_entry(FILE *f, const run_mentry *e)
{
    json_str(f, e->name);
    fputs(", \"status\": ", f);
    json_str(f, e->status);
    fprintf(f, ", \"exit\": %d, \"seconds\": %.3f,\n    \"argv\": [", e->exit, e->seconds);
    for (int a = 0; a < e->argv.n; a++) {
        if (a) fputs(", ", f);
        json_str(f, e->argv.v[a]);
    }
    fputs("],\n    \"section\": ", f);
    json_str(f, e->section);
    fputs(",\n    \"inputs\": ", f);
    json_files(f, &e->in_path, &e->in_fp);
    fputs(",\n    \"outputs\": ", f);
    json_files(f, &e->out_path, &e->out_fp);
    fputc('}', f);
}

int run_manifest_write(const char *dir, const char *config_path, const run_mentry *e, int n)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    le_atomic af;
    int rc = le_atomic_open(&af, path, 1); /* manifest.json.tmp: the next write replaces one a kill left */
    if (rc) return rc;
    FILE *f = af.f;
    fputs("{\"schema\": \"labelease-run-manifest\", \"schema_version\": 1,\n \"config\": ", f);
    json_str(f, config_path);
    fprintf(
        f,
        ",\n \"ranks\": %d,\n \"fingerprint\": \"size + mtime_ns + FNV-1a 64 of the first and last 1 MiB\",\n \"stages\": [",
        le_world.size);
    int first = 1;
    for (int i = 0; i < n; i++) {
        if (!e[i].used) continue;
        fputs(first ? "\n  {\"name\": " : ",\n  {\"name\": ", f);
        first = 0;
        json_entry(f, &e[i]);
    }
    fputs("\n ]}\n", f);
    return le_atomic_commit(&af);
}

static const char *jstr(yajl_val v, const char *key)
{
    const char *p[] = {key, NULL};
    yajl_val s = yajl_tree_get(v, p, yajl_t_string);
    return s ? YAJL_GET_STRING(s) : NULL;
}

static void jstrv(yajl_val v, const char *key, run_strv *out)
{
    const char *p[] = {key, NULL};
    yajl_val a = yajl_tree_get(v, p, yajl_t_array);
    for (size_t i = 0; a && i < YAJL_GET_ARRAY(a)->len; i++)
        if (YAJL_IS_STRING(YAJL_GET_ARRAY(a)->values[i])) run_sv_add(out, YAJL_GET_STRING(YAJL_GET_ARRAY(a)->values[i]));
}

static void jfiles(yajl_val v, const char *key, run_strv *path, run_strv *fp)
{
    const char *p[] = {key, NULL};
    yajl_val a = yajl_tree_get(v, p, yajl_t_array);
    for (size_t i = 0; a && i < YAJL_GET_ARRAY(a)->len; i++) {
        const char *ps = jstr(YAJL_GET_ARRAY(a)->values[i], "path"), *fs = jstr(YAJL_GET_ARRAY(a)->values[i], "fingerprint");
        if (ps && fs) run_sv_add(path, ps), run_sv_add(fp, fs);
    }
}

/* The whole file, NUL-terminated, or NULL when it cannot be read. */
static char *slurp(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f) return NULL;
    char *text = NULL;
    size_t len = 0, cap = 0;
    char buf[65536];
    for (size_t got; (got = fread(buf, 1, sizeof buf, f)) > 0;) {
        LE_RESERVE(text, cap, len + got + 1);
        memcpy(text + len, buf, got);
        len += got;
    }
    fclose(f);
    if (text) text[len] = 0;
    return text;
}

/* The manifest's entry v into e[i], the stage of the plan with its name. */
static void read_entry(yajl_val v, const run_stage *st, int n, run_mentry *e)
{
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

void run_manifest_read(const char *dir, const run_stage *st, int n, run_mentry *e)
{
    char path[4200];
    snprintf(path, sizeof path, "%s/manifest.json", dir);
    char *text = slurp(path);
    if (!text) return;
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
    for (size_t k = 0; k < YAJL_GET_ARRAY(stages)->len; k++) read_entry(YAJL_GET_ARRAY(stages)->values[k], st, n, e);
    yajl_tree_free(root);
}

/* ------------------------------------------------------------ deciding */

static void rel_strv(const char *dir, const run_strv *in, run_strv *out)
{
    char buf[4300];
    for (int i = 0; i < in->n; i++) run_sv_add(out, rel(dir, in->v[i], buf, sizeof buf));
}

static void fp_strv(const char *dir, const run_strv *files, run_strv *path, run_strv *fp)
{
    run_sv_free(path), run_sv_free(fp);
    char r[4300];
    for (int i = 0; i < files->n; i++) {
        char *f = fingerprint(files->v[i]);
        run_sv_add(path, rel(dir, files->v[i], r, sizeof r));
        run_sv_add(fp, f);
        free(f);
    }
}

/* NULL when every file of want has the path and fingerprint recorded, else
 * why not ("input FILE changed", "output FILE is missing", ...). */
static char *why_files(const char *dir, const run_strv *want, const run_strv *path, const run_strv *fp, const char *what)
{
    char why[4400];
    if (want->n != path->n) {
        snprintf(why, sizeof why, "its %ss changed", what);
        return le_strdup(why);
    }
    for (int i = 0; i < want->n; i++) {
        char r[4300];
        rel(dir, want->v[i], r, sizeof r);
        char *f = fingerprint(want->v[i]);
        int ok = !strcmp(r, path->v[i]) && !strcmp(f, fp->v[i]);
        if (!ok) snprintf(why, sizeof why, "%s %s %s", what, want->v[i], !strcmp(f, "absent") ? "is missing" : "changed");
        free(f);
        if (!ok) return le_strdup(why);
    }
    return NULL;
}

static int same_argv(const char *dir, const run_stage *st, const run_mentry *e)
{
    run_strv a = {0};
    rel_strv(dir, &st->argv, &a);
    int same = run_sv_eq(&a, &e->argv);
    run_sv_free(&a);
    return same;
}

char *run_why_rerun(const char *dir, const run_stage *st, const run_mentry *e)
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
    if (!same_argv(dir, st, e)) return le_strdup("its command line changed (labelease run itself changed)");
    char *w = why_files(dir, &st->inputs, &e->in_path, &e->in_fp, "input");
    return w ? w : why_files(dir, &st->outputs, &e->out_path, &e->out_fp, "output");
}

int run_same_unfinished(const char *dir, const run_stage *st, const run_mentry *e)
{
    if (!e->used || !strcmp(e->status, "completed")) return 0;
    int keep = same_argv(dir, st, e) && !strcmp(e->section, st->sectext);
    run_strv p = {0}, f = {0};
    fp_strv(dir, &st->inputs, &p, &f);
    keep = keep && run_sv_eq(&p, &e->in_path) && run_sv_eq(&f, &e->in_fp);
    run_sv_free(&p), run_sv_free(&f);
    return keep;
}

void run_mentry_begin(run_mentry *e, const char *dir, const run_stage *st)
{
    run_mentry_free(e);
    e->used = 1;
    e->name = le_strdup(st->name), e->status = le_strdup("running"), e->section = le_strdup(st->sectext);
    rel_strv(dir, &st->argv, &e->argv);
    fp_strv(dir, &st->inputs, &e->in_path, &e->in_fp);
}

void run_mentry_end(run_mentry *e, const char *dir, const run_stage *st, const char *status, int exit, double seconds)
{
    free(e->status);
    e->status = le_strdup(status);
    e->exit = exit, e->seconds = seconds;
    if (!exit) fp_strv(dir, &st->outputs, &e->out_path, &e->out_fp);
}
