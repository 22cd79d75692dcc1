/* fmt_csv: CSV trace files -> le_spanbuf records, driven by a column mapping
 * read from an INI file (configs/formats/NAME.ini; every key is documented
 * there and in docs/formats.md, "CSV layouts").
 *
 * Parsing is libcsv's; this file only feeds it and turns rows into spans.
 * The file is read in large blocks through io/infile (plain, gzip, zstd or
 * stdin; lines count in the uncompressed text), but each block is handed to csv_parse one
 * physical line at a time (memchr for '\n'): that is how a row learns the line
 * it starts on, quoted newlines included, which libcsv does not report.
 * Memory is bounded by the longest row, whatever the file size: fields of the
 * current row are copied into one reused buffer, and a field that grows past
 * LE_CSV_MAX_FIELD (an unterminated quote) is dropped and parsing resyncs at
 * the next line.
 *
 * Mapping rules (decided here, documented in docs/formats.md):
 *  - [csv] header = yes (default): columns are named by the header row,
 *    matched case-insensitively, and every row must have exactly as many
 *    columns as the header. header = no: columns are 1-based numbers and
 *    rows need [csv] columns columns (or at least the highest one mapped).
 *  - trace_id and label may list several columns: trace ids are joined with
 *    '-', a row is abnormal when any label column is; service, pod and
 *    operation take the first column holding a name ([values] unknown_names
 *    count as empty).
 *  - "column:key.path" takes a value out of a structured cell (io/cellpath.h).
 *  - the parent is a root when empty or equal to one of [values] root_parent;
 *    a references column names it first (first child-of of the trace);
 *    rpc_id gives span and parent at once (0.1.2 under 0.1).
 *  - duration wins over end - start when both are mapped.
 *  - times are parsed to nanoseconds (int64, exact) and floored to µs.
 *  - a file that fails (a header lacking a column, corrupt gzip) is rolled
 *    back whole (le_parse_roll_back), as in the JSON readers. */
#include "ingest.h"

#include <csv.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cellpath.h"
#include "infile.h"
#include "ini.h"
#include "le_base.h"

#define LE_CSV_BLOCK (4u << 20)     /* read() size */
#define LE_CSV_MAX_FIELD (1u << 20) /* longer fields are an unterminated quote */

/* ------------------------------------------------------------------ */
/* the mapping                                                         */

typedef enum csv_field {
    F_TRACE,
    F_SPAN,
    F_PARENT,
    F_SERVICE,
    F_POD,
    F_OPERATION,
    F_START,
    F_START_FRAC,
    F_END,
    F_DURATION,
    F_STATUS,
    F_ERROR,
    F_LABEL,
    F_REFS,
    F_RPC,
    F_N
} csv_field;

static const char *const field_key[F_N] = {
    [F_TRACE] = "trace_id", [F_SPAN] = "span_id",        [F_PARENT] = "parent_id",   [F_SERVICE] = "service",
    [F_POD] = "pod",        [F_OPERATION] = "operation", [F_START] = "start",        [F_START_FRAC] = "start_fraction",
    [F_END] = "end",        [F_DURATION] = "duration",   [F_STATUS] = "status_code", [F_ERROR] = "error",
    [F_LABEL] = "label",    [F_REFS] = "references",     [F_RPC] = "rpc_id",
};

/* A unit is the power of ten that turns it into nanoseconds. */
enum { U_NS = 0, U_US = 3, U_MS = 6, U_S = 9, U_DATETIME = 100, U_UNSET = -1 };

typedef struct str_list {
    char **v;
    int n;
} str_list;

struct le_csv_map {
    char *source; /* the INI file, for messages */
    unsigned char delim;
    int header;        /* 1: columns named by the header row */
    int ncols;         /* header = 0: exact column count, 0 = at least the highest mapped */
    str_list ref[F_N]; /* column names (header) or 1-based numbers as text */
    int unit_start, unit_frac, unit_end, unit_duration;
    str_list root;     /* parent values that mean "no parent" (besides empty) */
    str_list optional; /* columns that may be absent from a header */
    str_list unknown;  /* service and operation values that mean "not recorded" */
    int abs_duration;  /* [values] negative_duration = absolute */
};

static void list_free(str_list *l)
{
    for (int i = 0; i < l->n; i++) free(l->v[i]);
    free(l->v);
    l->v = NULL;
    l->n = 0;
}

/* [sec] key of the mapping, or def when absent. */
static const char *map_str(const le_ini *ini, const char *sec, const char *key, const char *def)
{
    const char *v = le_ini_get(le_ini_section_of(ini, sec), key);
    return v ? v : def;
}

/* "a, b ,c" -> {"a","b","c"}; empty items are skipped. */
static void list_split(str_list *l, const char *s)
{
    while (*s) {
        while (*s == ' ' || *s == '\t') s++;
        const char *e = s;
        while (*e && *e != ',') e++;
        const char *t = e;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t')) t--;
        if (t > s) {
            l->v = le_realloc(l->v, (size_t)(l->n + 1) * sizeof *l->v);
            l->v[l->n++] = le_strndup(s, (size_t)(t - s));
        }
        s = *e ? e + 1 : e;
    }
}

static int list_has(const str_list *l, const char *s)
{
    for (int i = 0; i < l->n; i++)
        if (!strcasecmp(l->v[i], s)) return 1;
    return 0;
}

void le_csv_map_free(le_csv_map *m)
{
    if (!m) return;
    for (int f = 0; f < F_N; f++) list_free(&m->ref[f]);
    list_free(&m->root);
    list_free(&m->optional);
    list_free(&m->unknown);
    free(m->source);
    free(m);
}

static const char *const csv_keys[] = {"header", "delimiter", "columns", NULL};
static const char *const value_keys[] = {"root_parent",   "start_unit",    "start_fraction_unit", "end_unit",
                                         "duration_unit", "unknown_names", "negative_duration",   NULL};

static int key_known(const char *section, const char *key)
{
    if (!strcmp(section, "columns")) {
        for (int f = 0; f < F_N; f++)
            if (!strcmp(key, field_key[f])) return 1;
        return !strcmp(key, "optional");
    }
    const char *const *k = !strcmp(section, "csv") ? csv_keys : !strcmp(section, "values") ? value_keys : NULL;
    for (; k && *k; k++)
        if (!strcmp(key, *k)) return 1;
    return 0;
}

/* Typos in a mapping file would otherwise silently drop a column. */
static int check_known_keys(const le_ini *ini)
{
    for (int i = 0; i < ini->nsec; i++) {
        const le_ini_section *sec = &ini->sec[i];
        if (strcmp(sec->name, "csv") && strcmp(sec->name, "columns") && strcmp(sec->name, "values"))
            return le_fail(LE_ERR_FORMAT, "%s:%d: unknown section [%s] (known: [csv], [columns], [values])", ini->path,
                           sec->line, sec->name);
        for (int k = 0; k < sec->n; k++)
            if (!key_known(sec->name, sec->kv[k].key))
                return le_fail(LE_ERR_FORMAT, "%s:%d: unknown key '%s' in [%s] (see docs/formats.md)", ini->path,
                               sec->kv[k].line, sec->kv[k].key, sec->name);
    }
    return 0;
}

static int parse_unit(const char *path, const char *key, const char *v, int *unit)
{
    static const struct {
        const char *name;
        int unit;
    } units[] = {{"s", U_S}, {"ms", U_MS}, {"us", U_US}, {"µs", U_US}, {"ns", U_NS}, {"datetime", U_DATETIME}};
    *unit = U_UNSET;
    if (!v || !*v) return 0;
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (!strcasecmp(v, units[i].name)) {
            *unit = units[i].unit;
            return 0;
        }
    return le_fail(LE_ERR_FORMAT, "%s: [values] %s = %s: expected s, ms, us, ns or datetime", path, key, v);
}

static int parse_delimiter(const char *path, const char *v, unsigned char *delim)
{
    static const struct {
        const char *name;
        char c;
    } named[] = {{"comma", ','}, {"tab", '\t'}, {"semicolon", ';'}, {"pipe", '|'}, {"\\t", '\t'}};
    *delim = ',';
    if (!v || !*v) return 0;
    for (size_t i = 0; i < sizeof named / sizeof *named; i++)
        if (!strcasecmp(v, named[i].name)) {
            *delim = (unsigned char)named[i].c;
            return 0;
        }
    if (strlen(v) == 1 && v[0] != '"' && v[0] != '\n' && v[0] != '\r') {
        *delim = (unsigned char)v[0];
        return 0;
    }
    return le_fail(LE_ERR_FORMAT, "%s: [csv] delimiter = %s: one character, or comma|tab|semicolon|pipe", path, v);
}

/* Column numbers and [csv] columns stop here: the reader allocates per column. */
#define MAX_COLUMNS 10000

static int is_column_number(const char *s)
{
    if (!*s || *s == '0' || strlen(s) > 5) return 0;
    for (const char *c = s; *c; c++)
        if (!isdigit((unsigned char)*c)) return 0;
    return atoi(s) <= MAX_COLUMNS;
}

static int csv_header_flag(const le_ini *ini, const char *path, int *out)
{
    const char *v = map_str(ini, "csv", "header", NULL);
    if (!v || !*v) {
        *out = 1;
        return 0;
    }
    if (!strcasecmp(v, "yes") || !strcasecmp(v, "true") || !strcmp(v, "1")) {
        *out = 1;
        return 0;
    }
    if (!strcasecmp(v, "no") || !strcasecmp(v, "false") || !strcmp(v, "0")) {
        *out = 0;
        return 0;
    }
    return le_fail(LE_ERR_FORMAT, "%s: [csv] header = %s: expected yes or no", path, v);
}

/* "process:service_name" names column process and the key path
 * service_name inside its cells (docs/formats.md, "Structured cells"): the
 * length of the column part. A header column whose whole name has a ':' is
 * still found by that name first (bind_header). */
static size_t column_part(const char *ref)
{
    const char *colon = strchr(ref, ':');
    return colon && colon > ref && colon[1] ? (size_t)(colon - ref) : strlen(ref);
}

/* Which columns give the span and its parent: span_id with parent_id and/or
 * references, or rpc_id alone (the parent is in the id). */
static int validate_identity(const le_csv_map *m, const char *path)
{
    if (m->ref[F_RPC].n) {
        if (m->ref[F_SPAN].n || m->ref[F_PARENT].n || m->ref[F_REFS].n)
            return le_fail(LE_ERR_FORMAT,
                           "%s: [columns] rpc_id gives the span and its parent: no span_id, parent_id "
                           "or references beside it",
                           path);
        return 0;
    }
    if (!m->ref[F_SPAN].n) return le_fail(LE_ERR_FORMAT, "%s: [columns] span_id (or rpc_id) is required", path);
    if (!m->ref[F_PARENT].n && !m->ref[F_REFS].n)
        return le_fail(LE_ERR_FORMAT, "%s: [columns] parent_id or references (or both) is required", path);
    return 0;
}

static int is_list_field(csv_field f)
{
    return f == F_TRACE || f == F_LABEL || f == F_SERVICE || f == F_POD || f == F_OPERATION;
}

/* The checks that make a map usable on any file: required keys, units
 * beside the times they qualify, one column where only one makes sense. */
static int validate_map(const le_csv_map *m, const char *path)
{
    static const csv_field required[] = {F_TRACE, F_START};
    for (size_t i = 0; i < sizeof required / sizeof *required; i++)
        if (!m->ref[required[i]].n)
            return le_fail(LE_ERR_FORMAT, "%s: [columns] %s is required", path, field_key[required[i]]);
    LE_CHECK(validate_identity(m, path));
    if (!m->ref[F_SERVICE].n == !m->ref[F_POD].n)
        return le_fail(LE_ERR_FORMAT, "%s: [columns] needs exactly one of service and pod", path);
    if (!m->ref[F_END].n && !m->ref[F_DURATION].n)
        return le_fail(LE_ERR_FORMAT, "%s: [columns] needs end or duration (or both)", path);
    for (int f = 0; f < F_N; f++)
        if (!is_list_field((csv_field)f) && m->ref[f].n > 1)
            return le_fail(LE_ERR_FORMAT,
                           "%s: [columns] %s names %d columns; only trace_id, label, service, pod and operation take a "
                           "list",
                           path, field_key[f], m->ref[f].n);
    const struct {
        csv_field f;
        int unit;
        const char *key;
    } units[] = {{F_START, m->unit_start, "start_unit"},
                 {F_START_FRAC, m->unit_frac, "start_fraction_unit"},
                 {F_END, m->unit_end, "end_unit"},
                 {F_DURATION, m->unit_duration, "duration_unit"}};
    for (size_t i = 0; i < sizeof units / sizeof *units; i++)
        if (m->ref[units[i].f].n && units[i].unit == U_UNSET)
            return le_fail(LE_ERR_FORMAT, "%s: [values] %s is required with [columns] %s", path, units[i].key,
                           field_key[units[i].f]);
    if (m->unit_duration == U_DATETIME || m->unit_frac == U_DATETIME)
        return le_fail(LE_ERR_FORMAT, "%s: [values] a duration or fraction cannot be a datetime", path);
    if (m->ref[F_END].n && !m->ref[F_DURATION].n && (m->unit_start == U_DATETIME) != (m->unit_end == U_DATETIME))
        return le_fail(LE_ERR_FORMAT, "%s: [values] start_unit and end_unit must both be datetime or both numbers", path);
    if (!m->header)
        for (int f = 0; f < F_N; f++)
            for (int k = 0; k < m->ref[f].n; k++) {
                char *ref = le_strndup(m->ref[f].v[k], column_part(m->ref[f].v[k]));
                int ok = is_column_number(ref);
                free(ref);
                ref = m->ref[f].v[k];
                if (!ok)
                    return le_fail(LE_ERR_FORMAT,
                                   "%s: [columns] %s = %s: with header = no, columns are 1-based numbers up to %d", path,
                                   field_key[f], ref, MAX_COLUMNS);
                if (m->ncols && strtol(ref, NULL, 10) > m->ncols)
                    return le_fail(LE_ERR_FORMAT, "%s: [columns] %s = %s: beyond [csv] columns = %d", path, field_key[f],
                                   ref, m->ncols);
            }
    return 0;
}

/* drop (default): a negative duration is an error of the source; absolute:
 * the sign carries a meaning and the length is the absolute value (Alibaba's
 * rt is negative on the callee's record of a call). */
static int parse_negative_duration(const char *path, const char *v, int *abs_duration)
{
    *abs_duration = 0;
    if (!v || !*v || !strcasecmp(v, "drop")) return 0;
    if (!strcasecmp(v, "absolute")) {
        *abs_duration = 1;
        return 0;
    }
    return le_fail(LE_ERR_FORMAT, "%s: [values] negative_duration = %s: expected drop or absolute", path, v);
}

static int map_from_ini(const le_ini *ini, const char *path, le_csv_map *m)
{
    LE_CHECK(check_known_keys(ini));
    LE_CHECK(csv_header_flag(ini, path, &m->header));
    LE_CHECK(parse_delimiter(path, map_str(ini, "csv", "delimiter", NULL), &m->delim));
    m->ncols =
        (int)strtol(map_str(ini, "csv", "columns", "0"), NULL, 0); /* base 0 (0x10 too), as iniparser_getint read it */
    if (m->ncols < 0 || m->ncols > MAX_COLUMNS)
        return le_fail(LE_ERR_FORMAT, "%s: [csv] columns must be between 1 and %d", path, MAX_COLUMNS);
    for (int f = 0; f < F_N; f++) list_split(&m->ref[f], map_str(ini, "columns", field_key[f], ""));
    list_split(&m->optional, map_str(ini, "columns", "optional", ""));
    list_split(&m->root, map_str(ini, "values", "root_parent", ""));
    list_split(&m->unknown, map_str(ini, "values", "unknown_names", ""));
    LE_CHECK(parse_negative_duration(path, map_str(ini, "values", "negative_duration", NULL), &m->abs_duration));
    LE_CHECK(parse_unit(path, "start_unit", map_str(ini, "values", "start_unit", NULL), &m->unit_start));
    LE_CHECK(parse_unit(path, "start_fraction_unit", map_str(ini, "values", "start_fraction_unit", "ns"), &m->unit_frac));
    LE_CHECK(parse_unit(path, "end_unit", map_str(ini, "values", "end_unit", NULL), &m->unit_end));
    LE_CHECK(parse_unit(path, "duration_unit", map_str(ini, "values", "duration_unit", NULL), &m->unit_duration));
    return validate_map(m, path);
}

int le_csv_map_load(const char *path, le_csv_map **out)
{
    *out = NULL;
    if (access(path, R_OK) != 0) return le_fail(LE_ERR_IO, "%s: cannot read mapping file: %s", path, strerror(errno));
    le_ini ini;
    int rc = le_ini_load(&ini, path, LE_INI_LOWER); /* names in lower case, as iniparser read them */
    if (rc == LE_ERR_FORMAT) {
        char why[1024];
        snprintf(why, sizeof why, "%s", le_errmsg());
        return le_fail(LE_ERR_FORMAT, "%s (not a valid INI file)", why);
    }
    if (rc) return rc;
    le_csv_map *m = le_calloc(1, sizeof *m);
    m->source = le_strdup(path);
    rc = map_from_ini(&ini, path, m);
    le_ini_free(&ini);
    if (rc) {
        le_csv_map_free(m);
        return rc;
    }
    *out = m;
    return 0;
}

/* ---- named layouts ---- */

static int count_dirs(const char **dirs)
{
    int n = 0;
    const char *env = getenv("LABELEASE_FORMATS_DIR");
    if (env && *env) dirs[n++] = env;
#ifdef LE_FORMATS_DIR
    dirs[n++] = LE_FORMATS_DIR;
#endif
#ifdef LE_INSTALL_FORMATS_DIR
    dirs[n++] = LE_INSTALL_FORMATS_DIR;
#endif
    return n;
}

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* "aiops2022, nezha, ..." from the *.ini files of every formats directory. */
static char *known_layout_names(const char **dirs, int ndirs)
{
    str_list names = {0};
    for (int i = 0; i < ndirs; i++) {
        DIR *dir = opendir(dirs[i]);
        if (!dir) continue;
        for (struct dirent *e; (e = readdir(dir));) {
            size_t n = strlen(e->d_name);
            if (n <= 4 || strcmp(e->d_name + n - 4, ".ini")) continue;
            char *name = le_strndup(e->d_name, n - 4);
            if (list_has(&names, name)) {
                free(name);
                continue;
            }
            names.v = le_realloc(names.v, (size_t)(names.n + 1) * sizeof *names.v);
            names.v[names.n++] = name;
        }
        closedir(dir);
    }
    qsort(names.v, (size_t)names.n, sizeof *names.v, name_cmp);
    size_t len = 1;
    for (int i = 0; i < names.n; i++) len += strlen(names.v[i]) + 2;
    char *s = le_calloc(len, 1);
    for (int i = 0; i < names.n; i++) {
        if (i) strcat(s, ", ");
        strcat(s, names.v[i]);
    }
    list_free(&names);
    return s;
}

static int layout_name_ok(const char *name)
{
    if (!*name) return 0;
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '_' && *p != '-' && *p != '.') return 0;
    return name[0] != '.';
}

int le_csv_map_named(const char *name, le_csv_map **out)
{
    *out = NULL;
    const char *dirs[3];
    int ndirs = count_dirs(dirs);
    if (layout_name_ok(name)) {
        for (int i = 0; i < ndirs; i++) {
            size_t n = strlen(dirs[i]) + strlen(name) + 6;
            char *path = le_malloc(n);
            snprintf(path, n, "%s/%s.ini", dirs[i], name);
            struct stat sb;
            if (stat(path, &sb) == 0 && S_ISREG(sb.st_mode)) {
                int rc = le_csv_map_load(path, out);
                free(path);
                return rc;
            }
            free(path);
        }
    }
    char *known = known_layout_names(dirs, ndirs);
    char searched[1024] = "";
    for (int i = 0; i < ndirs; i++)
        snprintf(searched + strlen(searched), sizeof searched - strlen(searched), "%s%s", i ? ", " : "", dirs[i]);
    int rc = le_fail(LE_ERR_USAGE,
                     "unknown CSV layout '%s'; known layouts: %s (searched: %s); "
                     "or describe your own layout with --map FILE.ini (docs/formats.md)",
                     name, *known ? known : "none", ndirs ? searched : "no formats directory");
    free(known);
    return rc;
}

/* ------------------------------------------------------------------ */
/* field parsers: (pointer, length), no NUL needed                     */

static void trim(const char **s, size_t *n)
{
    while (*n && ((*s)[0] == ' ' || (*s)[0] == '\t')) (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t')) (*n)--;
}

static const int64_t pow10_i64[10] = {1, 10, 100, 1000, 10000, 100000, 1000000, 10000000, 100000000, 1000000000};

/* A signed decimal "[-]digits[.digits]" times 10^exp, exactly, with fraction
 * digits past exp truncated: ("1.5", 3) -> 1500. 0 on success. */
static int parse_scaled(const char *s, size_t n, int exp, int64_t *out)
{
    trim(&s, &n);
    size_t i = 0;
    int neg = 0;
    if (i < n && (s[i] == '-' || s[i] == '+')) neg = s[i++] == '-';
    int64_t whole = 0;
    size_t digits = 0;
    for (; i < n && (unsigned)(s[i] - '0') < 10; i++, digits++)
        if (__builtin_mul_overflow(whole, 10, &whole) || __builtin_add_overflow(whole, s[i] - '0', &whole)) return -1;
    int64_t frac = 0;
    int fdigits = 0;
    if (i < n && s[i] == '.') {
        for (i++; i < n && (unsigned)(s[i] - '0') < 10; i++, digits++)
            if (fdigits < exp) frac = frac * 10 + (s[i] - '0'), fdigits++;
    }
    if (!digits || i != n) return -1;
    int64_t v;
    if (__builtin_mul_overflow(whole, pow10_i64[exp], &v) || __builtin_add_overflow(v, frac * pow10_i64[exp - fdigits], &v))
        return -1;
    *out = neg ? -v : v;
    return 0;
}

static int parse_i64(const char *s, size_t n, int64_t *out) { return parse_scaled(s, n, 0, out); }

static int parse_time_ns(const char *s, size_t n, int unit, int64_t *ns)
{
    return unit == U_DATETIME ? le_parse_utc_datetime_ns(s, n, ns) : parse_scaled(s, n, unit, ns);
}

static int64_t floor_div(int64_t a, int64_t b) { return a / b - (a % b != 0 && (a < 0) != (b < 0)); }

static int word_is(const char *s, size_t n, const char *w) { return strlen(w) == n && !strncasecmp(s, w, n); }

/* True/False, 1/0, yes/no, any case; empty = not an error. */
static int parse_flag(const char *s, size_t n, int8_t *out)
{
    trim(&s, &n);
    if (!n || word_is(s, n, "false") || word_is(s, n, "0") || word_is(s, n, "no")) {
        *out = 0;
        return 0;
    }
    if (word_is(s, n, "true") || word_is(s, n, "1") || word_is(s, n, "yes")) {
        *out = 1;
        return 0;
    }
    return -1;
}

/* A label cell: empty -> unknown (-1); 0, normal, false -> 0; any other
 * number, abnormal, true -> 1. Numbers may be written "1.0". */
static int parse_label_cell(const char *s, size_t n, int8_t *out)
{
    trim(&s, &n);
    if (!n) {
        *out = -1;
        return 0;
    }
    if (word_is(s, n, "normal") || word_is(s, n, "false")) {
        *out = 0;
        return 0;
    }
    if (word_is(s, n, "abnormal") || word_is(s, n, "true")) {
        *out = 1;
        return 0;
    }
    int64_t v;
    if (parse_scaled(s, n, 9, &v)) return -1;
    *out = v != 0;
    return 0;
}

/* A status cell: an integer, or a gRPC status name in any case ("OK" and
 * "Ok" both occur in the AIOps-2022 export beside 0 and 200). */
static int parse_status(const char *s, size_t n, int32_t *out)
{
    static const char *const grpc_names[] = {
        "ok",        "cancelled",      "unknown",           "invalid_argument",   "deadline_exceeded",
        "not_found", "already_exists", "permission_denied", "resource_exhausted", "failed_precondition",
        "aborted",   "out_of_range",   "unimplemented",     "internal",           "unavailable",
        "data_loss", "unauthenticated"};
    int64_t v;
    trim(&s, &n);
    if (!n) {
        *out = 0;
        return 0;
    }
    if (!parse_i64(s, n, &v)) {
        if (v < INT32_MIN || v > INT32_MAX) return -1;
        *out = (int32_t)v;
        return 0;
    }
    for (size_t i = 0; i < sizeof grpc_names / sizeof *grpc_names; i++)
        if (word_is(s, n, grpc_names[i])) {
            *out = (int32_t)i;
            return 0;
        }
    return -1;
}

/* ------------------------------------------------------------------ */
/* the reader                                                          */

typedef struct csv_reader {
    le_parse_ctx *ctx;
    const le_csv_map *map;
    struct csv_parser parser;
    uint64_t line;     /* 1-based physical line being fed to libcsv */
    uint64_t row_line; /* line the current row started on */
    int in_header;     /* the next row is the header */
    int skip_to_eol;   /* after a broken row: ignore input up to the next '\n' */
    int line_ended;    /* the input so far ends with '\n' (or is empty) */
    int long_field;    /* the current row has a field longer than LE_CSV_MAX_FIELD */
    size_t col;        /* columns seen so far in the current row */
    size_t ncols;      /* columns a row must have */
    int exact;         /* 1: exactly ncols; 0: at least ncols (header = no, no count) */
    uint8_t *keep;     /* [ncols] copy this column for the row */
    size_t *off, *len; /* [ncols] where a kept column's text is in row */
    size_t cols_cap;
    char *row; /* the current row's kept fields, each NUL-terminated */
    size_t row_len, row_cap;
    int *bound[F_N];          /* column indexes of each field */
    const char **subkey[F_N]; /* per bound column: key path into its cells, NULL: the whole cell */
    int nbound[F_N];
    const char *val[F_N]; /* this row's value of each single-valued field (row_values) */
    size_t val_len[F_N];
    char *sub[F_N]; /* sub-field values taken out of structured cells */
    size_t sub_cap[F_N];
    char *scratch; /* composite trace ids */
    size_t scratch_cap;
    char *rpc_parent; /* the parent taken from a references cell */
    size_t rpc_parent_cap;
    int rc;
} csv_reader;

enum { CSV_OPTIONS = CSV_STRICT | CSV_STRICT_FINI };

static void reserve_columns(csv_reader *r, size_t n)
{
    if (n <= r->cols_cap) return;
    size_t cap = r->cols_cap, cap2 = r->cols_cap, cap3 = r->cols_cap;
    LE_RESERVE(r->off, cap, n);
    LE_RESERVE(r->len, cap2, n);
    uint8_t *keep = r->keep;
    LE_RESERVE(keep, cap3, n);
    memset(keep + r->cols_cap, 0, cap3 - r->cols_cap);
    r->keep = keep;
    r->cols_cap = cap;
}

static void store_field(csv_reader *r, size_t c, const char *s, size_t n)
{
    if (r->row_len + n + 1 > r->row_cap) LE_RESERVE(r->row, r->row_cap, r->row_len + n + 1);
    memcpy(r->row + r->row_len, s, n);
    r->row[r->row_len + n] = 0;
    r->off[c] = r->row_len;
    r->len[c] = n;
    r->row_len += n + 1;
}

static uint64_t count_newlines(const void *s, size_t n)
{
    uint64_t k = 0;
    for (const char *p = s, *e = p + n; (p = memchr(p, '\n', (size_t)(e - p))); p++) k++;
    return k;
}

/* libcsv field callback: the first field fixes the row's start line; only
 * mapped columns are copied (every column while reading the header). */
static void on_field(void *data, size_t n, void *arg)
{
    csv_reader *r = arg;
    size_t c = r->col++;
    if (c == 0) r->row_line = r->line - count_newlines(data, n);
    if (n > LE_CSV_MAX_FIELD) { /* a field that ended within one fed line: the cap holds as for the others */
        r->long_field = 1;
        return;
    }
    if (r->in_header) {
        reserve_columns(r, c + 1);
        store_field(r, c, data, n);
    } else if (c < r->ncols && r->keep[c]) {
        store_field(r, c, data, n);
    }
}

static inline const char *cell(const csv_reader *r, int c, size_t *n)
{
    *n = r->len[c];
    return r->row + r->off[c];
}

/* Count a row that never reaches le_ingest_span (which counts its own). */
static int drop_row(csv_reader *r, le_drop why, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static int drop_row(csv_reader *r, le_drop why, const char *fmt, ...)
{
    r->ctx->st->rows_read++;
    char detail[256];
    detail[0] = 0;
    if (r->ctx->strict) { /* the detail only shows in the --strict message */
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(detail, sizeof detail, fmt, ap);
        va_end(ap);
    }
    return le_ingest_drop(r->ctx, why, r->row_line, LE_POS_LINE, detail[0] ? detail : NULL);
}

static int find_header_column(const csv_reader *r, const char *name, size_t ncols, int *col)
{
    *col = -1;
    for (size_t c = 0; c < ncols; c++) {
        size_t n;
        const char *h = cell(r, (int)c, &n);
        if (strlen(name) != n || strncasecmp(h, name, n)) continue;
        if (*col >= 0)
            return le_fail(LE_ERR_FORMAT, "%s:%llu: column '%s' appears twice in the header", r->ctx->path,
                           (unsigned long long)r->row_line, name);
        *col = (int)c;
    }
    return 0;
}

static void bind_column(csv_reader *r, csv_field f, int col, const char *subkey)
{
    r->bound[f] = le_realloc(r->bound[f], (size_t)(r->nbound[f] + 1) * sizeof *r->bound[f]);
    r->subkey[f] = le_realloc(r->subkey[f], (size_t)(r->nbound[f] + 1) * sizeof *r->subkey[f]);
    r->subkey[f][r->nbound[f]] = subkey;
    r->bound[f][r->nbound[f]++] = col;
    r->keep[col] = 1;
}

/* The key path of "column:path", NULL without one. */
static const char *subkey_of(const char *ref)
{
    size_t n = column_part(ref);
    return ref[n] == ':' ? ref + n + 1 : NULL;
}

/* A header column by the map's name: the whole name first ("a:b" may be a
 * column's real name), then the column part of "column:key.path". */
static int find_mapped_column(const csv_reader *r, const char *ref, size_t ncols, int *col, const char **subkey)
{
    *subkey = NULL;
    LE_CHECK(find_header_column(r, ref, ncols, col));
    if (*col >= 0 || !subkey_of(ref)) return 0;
    char *name = le_strndup(ref, column_part(ref));
    int rc = find_header_column(r, name, ncols, col);
    free(name);
    if (*col >= 0) *subkey = subkey_of(ref);
    return rc;
}

static char *header_names(const csv_reader *r, size_t ncols)
{
    size_t total = 1;
    for (size_t c = 0; c < ncols; c++) total += r->len[c] + 2;
    char *s = le_calloc(total, 1);
    for (size_t c = 0; c < ncols; c++) {
        if (c) strcat(s, ", ");
        strcat(s, r->row + r->off[c]);
    }
    return s;
}

static int missing_column_error(const csv_reader *r, size_t ncols, const char *name, csv_field f)
{
    char *names = header_names(r, ncols);
    int n = (int)column_part(name); /* "tags:[key=error].value_bool" looks for tags */
    int rc = le_fail(LE_ERR_FORMAT, "%s:%llu: column '%.*s' ([columns] %s = %s in %s) is not in the header: %s",
                     r->ctx->path, (unsigned long long)r->row_line, n, name, field_key[f], name, r->map->source, names);
    free(names);
    return rc;
}

/* After binding, the fields a span cannot do without must have a column
 * (a column listed as optional may be absent, but not all of them). */
static int check_bound(const csv_reader *r)
{
    static const csv_field need[] = {F_TRACE, F_START};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++)
        if (!r->nbound[need[i]])
            return le_fail(LE_ERR_FORMAT, "%s: no column for [columns] %s", r->ctx->path, field_key[need[i]]);
    if (!r->nbound[F_RPC] && !r->nbound[F_SPAN])
        return le_fail(LE_ERR_FORMAT, "%s: no column for [columns] span_id", r->ctx->path);
    if (!r->nbound[F_RPC] && !r->nbound[F_PARENT] && !r->nbound[F_REFS])
        return le_fail(LE_ERR_FORMAT, "%s: no column for [columns] parent_id (or references)", r->ctx->path);
    if (!r->nbound[F_SERVICE] && !r->nbound[F_POD])
        return le_fail(LE_ERR_FORMAT, "%s: no column for the service (or pod)", r->ctx->path);
    if (!r->nbound[F_END] && !r->nbound[F_DURATION])
        return le_fail(LE_ERR_FORMAT, "%s: no column for end or duration", r->ctx->path);
    return 0;
}

/* rpc_id spans: a parent missing from the trace is looked for among its
 * own ancestors by the join (spanbuf.h, path_sep). */
static void note_hierarchy(csv_reader *r)
{
    if (r->nbound[F_RPC]) r->ctx->out->path_sep = '.';
}

/* [columns] optional names the column ("tags") or the whole reference
 * ("tags:[key=error].value_bool"). */
static int is_optional(const le_csv_map *m, const char *ref)
{
    char *column = le_strndup(ref, column_part(ref));
    int yes = list_has(&m->optional, ref) || list_has(&m->optional, column);
    free(column);
    return yes;
}

/* The header row is in r->row: turn the map's column names into indexes. */
static int bind_header(csv_reader *r)
{
    size_t ncols = r->col;
    /* a BOM that did not sit at the very start of the first read() */
    if (ncols && r->len[0] >= 3 && !memcmp(r->row + r->off[0], "\xEF\xBB\xBF", 3)) r->off[0] += 3, r->len[0] -= 3;
    const le_csv_map *m = r->map;
    for (int f = 0; f < F_N; f++)
        for (int k = 0; k < m->ref[f].n; k++) {
            int col;
            const char *subkey;
            LE_CHECK(find_mapped_column(r, m->ref[f].v[k], ncols, &col, &subkey));
            if (col >= 0)
                bind_column(r, (csv_field)f, col, subkey);
            else if (!is_optional(m, m->ref[f].v[k]))
                return missing_column_error(r, ncols, m->ref[f].v[k], (csv_field)f);
        }
    r->ncols = ncols;
    r->exact = 1;
    r->in_header = 0;
    note_hierarchy(r);
    return check_bound(r);
}

/* header = no: the map's 1-based numbers are the indexes. */
static void bind_numbers(csv_reader *r)
{
    const le_csv_map *m = r->map;
    size_t highest = 0;
    for (int f = 0; f < F_N; f++)
        for (int k = 0; k < m->ref[f].n; k++) {
            size_t c = (size_t)strtoul(m->ref[f].v[k], NULL, 10);
            if (c > highest) highest = c;
        }
    r->ncols = m->ncols ? (size_t)m->ncols : highest;
    r->exact = m->ncols > 0;
    reserve_columns(r, r->ncols > highest ? r->ncols : highest);
    for (int f = 0; f < F_N; f++)
        for (int k = 0; k < m->ref[f].n; k++)
            bind_column(r, (csv_field)f, (int)strtoul(m->ref[f].v[k], NULL, 10) - 1, subkey_of(m->ref[f].v[k]));
    r->in_header = 0;
    note_hierarchy(r);
}

/* The value of field f from its k-th column: the cell, or the sub-field its
 * key path names (absent: empty). -1 when the cell is not a readable map. */
static int value_of(csv_reader *r, csv_field f, int k, const char **s, size_t *n)
{
    *s = cell(r, r->bound[f][k], n);
    const char *key = r->subkey[f][k];
    if (!key) return 0;
    int rc = le_cell_path(*s, *n, key, &r->sub[f], &r->sub_cap[f], n);
    if (rc < 0) return -1;
    *s = rc ? r->sub[f] : "";
    if (!rc) *n = 0;
    return 0;
}

/* The trace id: one column as is, several joined with '-'. Empty when any
 * part is empty. */
static int trace_id_of(csv_reader *r, const char **id, size_t *len)
{
    if (r->nbound[F_TRACE] == 1) return value_of(r, F_TRACE, 0, id, len);
    size_t at = 0;
    for (int k = 0; k < r->nbound[F_TRACE]; k++) {
        const char *s;
        size_t n;
        if (value_of(r, F_TRACE, k, &s, &n)) return -1;
        if (!n) {
            *id = "", *len = 0;
            return 0;
        }
        LE_RESERVE(r->scratch, r->scratch_cap, at + n + 2);
        if (k) r->scratch[at++] = '-';
        memcpy(r->scratch + at, s, n);
        at += n;
    }
    *id = r->scratch;
    *len = at;
    return 0;
}

static int listed(const str_list *l, const char *s, size_t n)
{
    for (int i = 0; i < l->n; i++)
        if (strlen(l->v[i]) == n && !memcmp(l->v[i], s, n)) return 1;
    return 0;
}

static int is_root_parent(const le_csv_map *m, const char *s, size_t n) { return !n || listed(&m->root, s, n); }

static int is_name_field(csv_field f) { return f == F_SERVICE || f == F_POD || f == F_OPERATION; }

/* A service, pod or operation: the first of its columns that holds a name
 * ([values] unknown_names, e.g. Alibaba's "(?)", count as empty). */
static int name_of(csv_reader *r, csv_field f, const char **s, size_t *n)
{
    for (int k = 0; k < r->nbound[f]; k++) {
        if (value_of(r, f, k, s, n)) return -1;
        if (!*n) continue;
        if (!listed(&r->map->unknown, *s, *n)) return 0;
        r->ctx->st->unknown_names++;
    }
    *s = "", *n = 0;
    return 0;
}

/* Every single-valued field's value for this row, sub-fields taken out.
 * -1 with *bad naming the field whose structured cell does not read. */
static int row_values(csv_reader *r, csv_field *bad)
{
    for (int f = 0; f < F_N; f++) {
        r->val[f] = "", r->val_len[f] = 0;
        if (!r->nbound[f] || f == F_TRACE || f == F_LABEL) continue;
        int rc = is_name_field((csv_field)f) ? name_of(r, (csv_field)f, &r->val[f], &r->val_len[f])
                                             : value_of(r, (csv_field)f, 0, &r->val[f], &r->val_len[f]);
        if (rc) {
            *bad = (csv_field)f;
            return -1;
        }
    }
    return 0;
}

/* Empty required cells, checked before any parsing so the drop names them. */
static int first_empty_required(const csv_reader *r, csv_field *which)
{
    static const csv_field need[] = {F_SPAN, F_RPC, F_START, F_START_FRAC, F_DURATION, F_END};
    for (size_t i = 0; i < sizeof need / sizeof *need; i++) {
        csv_field f = need[i];
        if (f == F_END && r->nbound[F_DURATION]) continue; /* end unused when duration is there */
        if (r->nbound[f] && !r->val_len[f]) {
            *which = f;
            return 1;
        }
    }
    return 0;
}

/* start and duration in µs from start[+fraction] and duration or end. */
static int parse_times(csv_reader *r, le_span_in *s, csv_field *bad)
{
    const le_csv_map *m = r->map;
    int64_t start_ns, x;
    if (parse_time_ns(r->val[F_START], r->val_len[F_START], m->unit_start, &start_ns)) {
        *bad = F_START;
        return -1;
    }
    if (r->nbound[F_START_FRAC] && (parse_scaled(r->val[F_START_FRAC], r->val_len[F_START_FRAC], m->unit_frac, &x) ||
                                    __builtin_add_overflow(start_ns, x, &start_ns))) {
        *bad = F_START_FRAC;
        return -1;
    }
    int64_t duration_ns;
    if (r->nbound[F_DURATION]) {
        if (parse_scaled(r->val[F_DURATION], r->val_len[F_DURATION], m->unit_duration, &duration_ns)) {
            *bad = F_DURATION;
            return -1;
        }
    } else if (parse_time_ns(r->val[F_END], r->val_len[F_END], m->unit_end, &x) ||
               __builtin_sub_overflow(x, start_ns, &duration_ns)) {
        *bad = F_END;
        return -1;
    }
    if (m->abs_duration && duration_ns < 0) { /* parse_scaled never gives INT64_MIN */
        duration_ns = -duration_ns;
        r->ctx->st->abs_durations++;
    }
    s->start_us = floor_div(start_ns, 1000);
    s->duration_us = floor_div(duration_ns, 1000);
    return 0;
}

/* status code, error flag and label: optional cells, empty = default. */
static int parse_extras(csv_reader *r, le_span_in *s, csv_field *bad)
{
    if (r->nbound[F_STATUS] && parse_status(r->val[F_STATUS], r->val_len[F_STATUS], &s->status_code)) {
        *bad = F_STATUS;
        return -1;
    }
    if (r->nbound[F_ERROR] && parse_flag(r->val[F_ERROR], r->val_len[F_ERROR], &s->error)) {
        *bad = F_ERROR;
        return -1;
    }
    s->label = -1;
    for (int k = 0; k < r->nbound[F_LABEL]; k++) {
        int8_t l;
        const char *v;
        size_t n;
        if (value_of(r, F_LABEL, k, &v, &n) || parse_label_cell(v, n, &l)) {
            *bad = F_LABEL;
            return -1;
        }
        if (l > s->label) s->label = l;
    }
    return 0;
}

static void names_of(const csv_reader *r, le_span_in *s)
{
    if (r->nbound[F_SERVICE]) {
        s->service = r->val[F_SERVICE], s->service_len = r->val_len[F_SERVICE];
    } else {
        s->service = r->val[F_POD];
        s->service_len = le_service_from_pod(s->service, r->val_len[F_POD]);
    }
    s->operation = r->val[F_OPERATION], s->operation_len = r->val_len[F_OPERATION];
}

static int bad_value(csv_reader *r, csv_field f)
{
    size_t n = f == F_LABEL || f == F_TRACE ? 0 : r->val_len[f];
    const char *v = n ? r->val[f] : "";
    return drop_row(r, LE_DROP_UNPARSABLE, "[columns] %s: '%.*s'", field_key[f], (int)(n > 64 ? 64 : n), v);
}

/* The span and its parent: rpc_id "0.1.2" is span 0.1.2 under 0.1 (a
 * dot-free id is a root); otherwise span_id, and the parent named by the
 * references cell, else the parent_id column. */
static int identity_of(csv_reader *r, le_span_in *s, csv_field *bad)
{
    if (r->nbound[F_RPC]) {
        s->span_id = r->val[F_RPC], s->span_id_len = r->val_len[F_RPC];
        size_t cut = s->span_id_len;
        while (cut && s->span_id[cut - 1] != '.') cut--;
        s->parent_id = cut ? s->span_id : NULL;
        s->parent_id_len = cut ? cut - 1 : 0;
        return 0;
    }
    s->span_id = r->val[F_SPAN], s->span_id_len = r->val_len[F_SPAN];
    if (r->nbound[F_REFS]) {
        int rc = le_cell_parent_ref(r->val[F_REFS], r->val_len[F_REFS], s->trace_id, s->trace_id_len, &r->rpc_parent,
                                    &r->rpc_parent_cap, &s->parent_id_len);
        if (rc < 0) {
            *bad = F_REFS;
            return -1;
        }
        if (rc) {
            s->parent_id = r->rpc_parent;
            return 0;
        }
    }
    s->parent_id = r->val[F_PARENT], s->parent_id_len = r->val_len[F_PARENT];
    if (is_root_parent(r->map, s->parent_id, s->parent_id_len)) s->parent_id = NULL, s->parent_id_len = 0;
    return 0;
}

/* One data row -> one span (or one counted drop). */
static int take_row(csv_reader *r)
{
    if (r->exact ? r->col != r->ncols : r->col < r->ncols)
        return drop_row(r, LE_DROP_BAD_ROW, "%zu columns, expected %s%zu", r->col, r->exact ? "" : "at least ", r->ncols);
    le_span_in s;
    memset(&s, 0, sizeof s);
    csv_field f = F_TRACE;
    if (trace_id_of(r, &s.trace_id, &s.trace_id_len) || row_values(r, &f)) return bad_value(r, f);
    if (!s.trace_id_len) return drop_row(r, LE_DROP_MISSING_FIELD, "empty [columns] trace_id");
    if (first_empty_required(r, &f)) return drop_row(r, LE_DROP_MISSING_FIELD, "empty [columns] %s", field_key[f]);
    if (identity_of(r, &s, &f)) return bad_value(r, f);
    names_of(r, &s);
    if (parse_times(r, &s, &f) || parse_extras(r, &s, &f)) return bad_value(r, f);
    return le_ingest_span(r->ctx, &s, r->row_line, LE_POS_LINE);
}

/* libcsv row callback. */
static void on_row(int term, void *arg)
{
    (void)term;
    csv_reader *r = arg;
    if (!r->rc && r->long_field)
        r->rc = r->in_header ? le_fail(LE_ERR_FORMAT, "%s:%llu: a header field is longer than 1 MiB", r->ctx->path,
                                       (unsigned long long)r->row_line)
                             : drop_row(r, LE_DROP_BAD_ROW, "a field longer than 1 MiB");
    else if (!r->rc)
        r->rc = r->in_header ? bind_header(r) : take_row(r);
    r->col = 0;
    r->row_len = 0;
    r->long_field = 0;
}

/* libcsv grows a field's buffer by its block size (128 bytes by default): a
 * field of a few MiB then cost tens of thousands of reallocations, minutes
 * under ASan. 64 KiB blocks make it a few dozen. */
static void parser_init(csv_reader *r)
{
    csv_init(&r->parser, CSV_OPTIONS);
    csv_set_delim(&r->parser, r->map->delim);
    csv_set_blk_size(&r->parser, 1u << 16);
}

/* The lines a row libcsv choked on took, up to last: one malformed row
 * each (a quote left open swallows the rows of every line up to where
 * parsing fails, and they are lost); a run of several is kept for the
 * summary (le_stats_swallow). */
static int drop_swallowed(csv_reader *r, uint64_t last, const char *why)
{
    unsigned long long first = r->row_line, lines = last > first ? last - first + 1 : 1;
    if (lines == 1) return drop_row(r, LE_DROP_BAD_ROW, "%s", why);
    le_stats_swallow(r->ctx->st, (le_swallow){r->ctx->file, first, last});
    int rc = 0;
    for (unsigned long long k = 0; k < lines && !rc; k++)
        rc = drop_row(r, LE_DROP_BAD_ROW,
                      "%s: a quoted field opened on line %llu is not closed; lines %llu-%llu (%llu lines) dropped", why,
                      first, first, (unsigned long long)last, lines);
    return rc;
}

/* The row libcsv choked on (broken quoting, or a runaway quoted field)
 * ending on line last: count its lines, restart the parser and resume at
 * the next line. */
static int abandon_row(csv_reader *r, const char *why, uint64_t last)
{
    if (r->col == 0 && r->parser.entry_buf)
        r->row_line = r->line - count_newlines(r->parser.entry_buf, r->parser.entry_pos);
    else if (r->col == 0)
        r->row_line = r->line;
    if (r->in_header)
        return le_fail(LE_ERR_FORMAT, "%s:%llu: the header row is not valid CSV (%s)", r->ctx->path,
                       (unsigned long long)r->row_line, why);
    int rc = drop_swallowed(r, last, why);
    csv_free(&r->parser);
    parser_init(r);
    r->col = 0;
    r->row_len = 0;
    return rc;
}

/* Feed one piece of a line (the whole line, or what a block holds of it). */
static int feed(csv_reader *r, const char *p, size_t n)
{
    if (r->skip_to_eol) return 0;
    size_t used = csv_parse(&r->parser, p, n, on_field, on_row, r);
    if (r->rc) return r->rc;
    if (used < n) {
        if (csv_error(&r->parser) != CSV_EPARSE)
            return le_fail(LE_ERR_NOMEM, "%s:%llu: libcsv: %s", r->ctx->path, (unsigned long long)r->line,
                           csv_strerror(csv_error(&r->parser)));
        r->skip_to_eol = 1;
        return abandon_row(r, "broken quoting", r->line);
    }
    if (r->parser.entry_pos > LE_CSV_MAX_FIELD) {
        r->skip_to_eol = 1;
        return abandon_row(r, "field longer than 1 MiB (unterminated quote?)", r->line);
    }
    return 0;
}

/* Feed the lines of [*p, end) to feed(), up to the line after which
 * ctx->out holds rows rows; *p is left where the next call goes on. A line
 * cut by the block end is continued by the next block (libcsv keeps its
 * state). */
static int feed_lines(csv_reader *r, const char **p, const char *end, size_t rows)
{
    while (*p < end && r->ctx->out->n < rows) {
        const char *nl = memchr(*p, '\n', (size_t)(end - *p));
        const char *stop = nl ? nl + 1 : end;
        LE_CHECK(feed(r, *p, (size_t)(stop - *p)));
        if (nl) r->line++, r->skip_to_eol = 0;
        r->line_ended = nl != NULL;
        *p = stop;
    }
    return 0;
}

static int finish(csv_reader *r)
{
    if (r->skip_to_eol) return 0;
    if (csv_fini(&r->parser, on_field, on_row, r) != 0 && !r->rc)
        return abandon_row(r, "unterminated quote at end of file", r->line_ended ? r->line - 1 : r->line);
    return r->rc;
}

static void reader_init(csv_reader *r, le_parse_ctx *ctx, const le_csv_map *map)
{
    memset(r, 0, sizeof *r);
    r->ctx = ctx;
    r->map = map;
    r->line = 1;
    r->line_ended = 1;
    r->in_header = map->header;
    parser_init(r);
    if (!map->header) bind_numbers(r);
}

static void reader_free(csv_reader *r)
{
    csv_free(&r->parser);
    free(r->keep);
    free(r->off);
    free(r->len);
    free(r->row);
    free(r->scratch);
    free(r->rpc_parent);
    for (int f = 0; f < F_N; f++) free(r->bound[f]), free(r->subkey[f]), free(r->sub[f]);
}

/* The reader's state (libcsv's, the line count, the header's columns) lives
 * between calls, so a file read in several calls gives the rows one call
 * gives. The stream keeps its own copy of the context. */
struct le_csv_stream {
    le_parse_ctx ctx;
    csv_reader r;
    le_infile *in;
    char *buf;              /* [LE_CSV_BLOCK] the block being parsed */
    const char *next, *end; /* its lines not fed yet */
    int first, done;
};

int le_csv_stream_open(const le_parse_ctx *ctx, const le_csv_map *map, le_csv_stream **out)
{
    *out = NULL;
    le_infile *in;
    LE_CHECK(le_infile_open(ctx->path, &in));
    le_csv_stream *s = le_calloc(1, sizeof *s);
    s->ctx = *ctx;
    s->in = in;
    s->buf = le_malloc(LE_CSV_BLOCK);
    s->next = s->end = s->buf;
    s->first = 1;
    reader_init(&s->r, &s->ctx, map);
    *out = s;
    return 0;
}

/* The next block into buf; at the end of the file, the last row. */
static int next_block(le_csv_stream *s)
{
    size_t got;
    LE_CHECK(le_infile_read(s->in, s->buf, LE_CSV_BLOCK, &got));
    if (got == 0) {
        s->done = 1;
        return finish(&s->r);
    }
    s->ctx.st->bytes_read += (uint64_t)got;
    s->next = s->buf, s->end = s->buf + got;
    if (s->first && got >= 3 && !memcmp(s->buf, "\xEF\xBB\xBF", 3)) s->next += 3; /* UTF-8 BOM */
    s->first = 0;
    return 0;
}

int le_csv_stream_read(le_csv_stream *s, size_t rows, int *done)
{
    int rc = 0;
    while (!s->done && s->ctx.out->n < rows && !rc)
        rc = s->next < s->end ? feed_lines(&s->r, &s->next, s->end, rows) : next_block(s);
    if (!rc && !s->done && s->next == s->end) rc = next_block(s); /* the rows ended with the file: say so now */
    *done = s->done;
    return rc;
}

uint64_t le_csv_stream_disk_bytes(const le_csv_stream *s)
{
    uint64_t read = le_infile_pos(s->in), ahead = (uint64_t)(s->end - s->next);
    if (!read) return 0;
    return (uint64_t)((double)le_infile_disk_pos(s->in) * (double)(read - ahead) / (double)read);
}

void le_csv_stream_close(le_csv_stream *s)
{
    if (!s) return;
    reader_free(&s->r);
    le_infile_close(s->in);
    free(s->buf);
    free(s);
}

int le_read_csv(le_parse_ctx *ctx, const le_csv_map *map)
{
    le_parse_mark mark;
    le_parse_mark_take(ctx, &mark);
    le_csv_stream *s;
    LE_CHECK(le_csv_stream_open(ctx, map, &s));
    int done;
    int rc = le_csv_stream_read(s, SIZE_MAX, &done);
    le_csv_stream_close(s);
    if (rc) le_parse_roll_back(ctx, &mark); /* all-or-nothing, as the JSON readers */
    return rc;
}
