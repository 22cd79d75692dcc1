/* Fault lists (io/groundtruth.h): the Nezha fault_list.json, read whole
 * with yajl_tree (the file is a few KB), or a CSV service,type,start,end
 * read with libcsv. The layout is chosen by the first non-blank byte: '{'
 * is JSON, anything else CSV.
 *
 * Nezha's fault_list.json gives each fault twice: "inject_time" (a
 * wall-clock "YYYY-MM-DD HH:MM:SS") and "inject_timestamp" (unix seconds).
 * In the published TrainTicket 2023-01-29 file they disagree: for the 24
 * faults of 08:00-11:59, inject_timestamp is inject_time read as UTC+8
 * (China), off by 8 h, and sometimes a further 20-90 s (two faults even
 * share one timestamp 9 minutes apart in inject_time); for the 4 faults
 * after 13:00 they agree exactly with inject_time read as UTC. The trace
 * files settle it: they are named by UTC minute (09_12_trace.csv for the
 * 09:12:56 fault) and their span start times fall in those UTC minutes. So
 * inject_time, read as UTC, is trusted; inject_timestamp is used only when
 * inject_time is absent, and disagreements are reported in one warning. */
#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <yajl/yajl_tree.h>

#include "groundtruth.h"
#include "ingest.h"
#include "le_base.h"

typedef struct fault_list {
    le_fault *f;
    size_t n, cap;
} fault_list;

/* ---- times ---- */

/* Fraction digits after a '.', as microseconds (extra digits truncated). */
static int fraction_us(const char *s, int64_t *us, const char **end)
{
    int64_t v = 0, scale = 100000;
    const char *p = s;
    if (*p < '0' || *p > '9') return -1;
    for (; *p >= '0' && *p <= '9'; p++, scale /= 10) v += (*p - '0') * scale;
    *us = v;
    *end = p;
    return 0;
}

/* ISO-8601 UTC (le_parse_utc_datetime_ns) to unix microseconds. */
static int parse_iso_utc(const char *s, int64_t *us)
{
    int64_t ns;
    if (le_parse_utc_datetime_ns(s, strlen(s), &ns)) return -1;
    *us = ns / 1000;
    return 0;
}

/* Unix seconds, maybe fractional ("1674953044", "1674953044.25"), exactly. */
static int parse_unix_seconds(const char *s, int64_t *us)
{
    char *end;
    errno = 0;
    long long sec = strtoll(s, &end, 10);
    if (end == s || errno || sec < 0 || sec > INT64_MAX / 1000000 - 1) return -1;
    int64_t frac = 0;
    const char *p = end;
    if (*p == '.' && fraction_us(p + 1, &frac, &p)) return -1;
    if (*p) return -1;
    *us = (int64_t)sec * 1000000 + frac;
    return 0;
}

/* Either form; an empty string is "absent" (returns 1). */
static int parse_time(const char *s, int64_t *us)
{
    while (*s == ' ') s++;
    if (!*s) return 1;
    if (strlen(s) >= 19 && s[4] == '-') return parse_iso_utc(s, us);
    return parse_unix_seconds(s, us);
}

/* ---- the list ---- */

static le_fault *add_fault(fault_list *L)
{
    LE_RESERVE(L->f, L->cap, L->n + 1);
    le_fault *f = &L->f[L->n++];
    memset(f, 0, sizeof *f);
    f->service = -1;
    return f;
}

static int set_name(char *dst, size_t cap, const char *s, size_t n)
{
    if (n >= cap) return -1;
    memcpy(dst, s, n);
    dst[n] = 0;
    return 0;
}

/* Stable, so faults with one start keep the file's order; lists are small. */
static void sort_by_start(le_fault *f, size_t n)
{
    for (size_t i = 1; i < n; i++) {
        le_fault x = f[i];
        size_t j = i;
        while (j > 0 && f[j - 1].start_us > x.start_us) {
            f[j] = f[j - 1];
            j--;
        }
        f[j] = x;
    }
}

/* ---- Nezha JSON ---- */

static const char *tree_string(yajl_val obj, const char *key, char *num_buf, size_t cap)
{
    const char *path[] = {key, NULL};
    yajl_val v = yajl_tree_get(obj, path, yajl_t_any);
    if (YAJL_IS_STRING(v)) return YAJL_GET_STRING(v);
    if (YAJL_IS_NUMBER(v)) {
        snprintf(num_buf, cap, "%s", YAJL_GET_NUMBER(v));
        return num_buf;
    }
    return NULL;
}

typedef struct nezha_check {
    int disagree;    /* faults whose two times differ by over a second */
    char first[160]; /* the first of them, for the warning */
} nezha_check;

static int nezha_time(const char *path, const char *where, yajl_val e, int64_t *start, nezha_check *chk)
{
    char nb[64];
    const char *t = tree_string(e, "inject_time", nb, sizeof nb);
    int64_t from_time = 0, from_stamp = 0;
    int has_time = t && *t, has_stamp = 0;
    if (has_time && parse_iso_utc(t, &from_time))
        return le_fail(LE_ERR_FORMAT, "%s: %s: inject_time \"%s\" is not YYYY-MM-DD HH:MM:SS", path, where, t);
    const char *ts = tree_string(e, "inject_timestamp", nb, sizeof nb);
    if (ts && *ts) {
        if (parse_unix_seconds(ts, &from_stamp))
            return le_fail(LE_ERR_FORMAT, "%s: %s: inject_timestamp \"%s\" is not unix seconds", path, where, ts);
        has_stamp = 1;
    }
    if (!has_time && !has_stamp)
        return le_fail(LE_ERR_FORMAT, "%s: %s: neither inject_time nor inject_timestamp", path, where);
    *start = has_time ? from_time : from_stamp;
    if (has_time && has_stamp && llabs(from_time - from_stamp) > 1000000 && chk->disagree++ == 0)
        snprintf(chk->first, sizeof chk->first, "%s: inject_time %s UTC = %lld, inject_timestamp %s", where, t,
                 (long long)(from_time / 1000000), ts);
    return 0;
}

static int nezha_fault(const char *path, const char *where, yajl_val e, int64_t dur, fault_list *L, nezha_check *chk)
{
    char nb[64];
    if (!YAJL_IS_OBJECT(e)) return le_fail(LE_ERR_FORMAT, "%s: %s: a fault is not an object", path, where);
    const char *pod = tree_string(e, "inject_pod", nb, sizeof nb);
    if (!pod || !*pod) return le_fail(LE_ERR_FORMAT, "%s: %s: no inject_pod", path, where);
    le_fault *f = add_fault(L);
    if (set_name(f->service_name, sizeof f->service_name, pod, le_service_from_pod(pod, strlen(pod))))
        return le_fail(LE_ERR_FORMAT, "%s: %s: inject_pod is over %zu bytes", path, where, sizeof f->service_name - 1);
    const char *type = tree_string(e, "inject_type", nb, sizeof nb);
    if (!type || !*type) return le_fail(LE_ERR_FORMAT, "%s: %s: no inject_type", path, where);
    if (set_name(f->type, sizeof f->type, type, strlen(type)))
        return le_fail(LE_ERR_FORMAT, "%s: %s: inject_type is over %zu bytes", path, where, sizeof f->type - 1);
    LE_CHECK(nezha_time(path, where, e, &f->start_us, chk));
    f->end_us = f->start_us + dur;
    return 0;
}

static int read_nezha(const char *path, const char *text, int64_t dur, fault_list *L)
{
    char err[256];
    yajl_val root = yajl_tree_parse(text, err, sizeof err);
    if (!root) {
        size_t n = strlen(err);
        while (n && err[n - 1] == '\n') err[--n] = 0;
        return le_fail(LE_ERR_FORMAT, "%s: not valid JSON (yajl: %s)", path, err);
    }
    int rc = 0;
    nezha_check chk = {0};
    if (!YAJL_IS_OBJECT(root)) rc = le_fail(LE_ERR_FORMAT, "%s: top level is not an object of hour keys", path);
    for (size_t k = 0; !rc && k < YAJL_GET_OBJECT(root)->len; k++) {
        const char *hour = YAJL_GET_OBJECT(root)->keys[k];
        yajl_val list = YAJL_GET_OBJECT(root)->values[k];
        if (!YAJL_IS_ARRAY(list)) {
            rc = le_fail(LE_ERR_FORMAT, "%s: key \"%s\": not an array of faults", path, hour);
            break;
        }
        for (size_t i = 0; !rc && i < YAJL_GET_ARRAY(list)->len; i++) {
            char where[96];
            snprintf(where, sizeof where, "key \"%.40s\"[%zu]", hour, i);
            rc = nezha_fault(path, where, YAJL_GET_ARRAY(list)->values[i], dur, L, &chk);
        }
    }
    yajl_tree_free(root);
    if (!rc && chk.disagree)
        le_warn(
            "%s: %d faults have an inject_timestamp that disagrees with inject_time read as UTC (first: %s); "
            "using inject_time, which matches the trace timestamps (docs/formats-json.md)",
            path, chk.disagree, chk.first);
    return rc;
}

/* ---- CSV ---- */

enum { COL_SERVICE, COL_TYPE, COL_START, COL_END, COL_N };
static const char *const col_names[COL_N] = {"service", "type", "start", "end"};

typedef struct csv_state {
    const char *path;
    int64_t dur;
    fault_list *L;
    int col[COL_N];      /* column index of each name, -1 absent */
    char *field[COL_N];  /* this row's values */
    int nfield;          /* fields seen in this row */
    long line, row_line; /* line being fed; line where the row began */
    int header_done;
    int rc;
} csv_state;

static void csv_field(void *s, size_t n, void *data)
{
    csv_state *C = data;
    if (C->rc) return;
    if (C->nfield == 0) C->row_line = C->line;
    int idx = C->nfield++;
    if (!C->header_done) {
        if (idx == 0 && n >= 3 && memcmp(s, "\xEF\xBB\xBF", 3) == 0) s = (char *)s + 3, n -= 3; /* spreadsheet BOM */
        for (int c = 0; c < COL_N; c++)
            if (strlen(col_names[c]) == n && strncasecmp(s, col_names[c], n) == 0) C->col[c] = idx;
        return;
    }
    for (int c = 0; c < COL_N; c++)
        if (C->col[c] == idx) C->field[c] = le_strndup(s, n);
}

static int check_header(csv_state *C)
{
    for (int c = 0; c < COL_END; c++)
        if (C->col[c] < 0)
            return le_fail(LE_ERR_FORMAT, "%s:%ld: header has no \"%s\" column (expected service,type,start,end)", C->path,
                           C->row_line, col_names[c]);
    return 0;
}

static int csv_fault(csv_state *C)
{
    const char *svc = C->field[COL_SERVICE] ? C->field[COL_SERVICE] : "";
    const char *type = C->field[COL_TYPE] ? C->field[COL_TYPE] : "";
    const char *start = C->field[COL_START] ? C->field[COL_START] : "";
    const char *end = C->field[COL_END] ? C->field[COL_END] : "";
    long ln = C->row_line;
    if (!*svc) return le_fail(LE_ERR_FORMAT, "%s:%ld: empty service", C->path, ln);
    le_fault *f = add_fault(C->L);
    if (set_name(f->service_name, sizeof f->service_name, svc, strlen(svc)))
        return le_fail(LE_ERR_FORMAT, "%s:%ld: service is over %zu bytes", C->path, ln, sizeof f->service_name - 1);
    if (set_name(f->type, sizeof f->type, type, strlen(type)))
        return le_fail(LE_ERR_FORMAT, "%s:%ld: type is over %zu bytes", C->path, ln, sizeof f->type - 1);
    int r = parse_time(start, &f->start_us);
    if (r)
        return le_fail(LE_ERR_FORMAT, "%s:%ld: start \"%s\" is %s", C->path, ln, start,
                       r > 0 ? "empty" : "not unix seconds or YYYY-MM-DD HH:MM:SS[.fff] (UTC)");
    r = parse_time(end, &f->end_us);
    if (r < 0)
        return le_fail(LE_ERR_FORMAT, "%s:%ld: end \"%s\" is not unix seconds or YYYY-MM-DD HH:MM:SS[.fff] (UTC)", C->path,
                       ln, end);
    if (r > 0) f->end_us = f->start_us + C->dur;
    if (f->end_us < f->start_us) return le_fail(LE_ERR_FORMAT, "%s:%ld: end %s is before start %s", C->path, ln, end, start);
    return 0;
}

static void csv_row(int c, void *data)
{
    csv_state *C = data;
    if (C->rc) return;
    if (!C->header_done) {
        C->header_done = 1;
        C->rc = check_header(C);
    } else {
        C->rc = csv_fault(C);
    }
    for (int k = 0; k < COL_N; k++) {
        free(C->field[k]);
        C->field[k] = NULL;
    }
    C->nfield = 0;
}

static int read_csv_faults(const char *path, FILE *fp, int64_t dur, fault_list *L)
{
    struct csv_parser p;
    if (csv_init(&p, CSV_APPEND_NULL) != 0) return le_fail(LE_ERR_NOMEM, "csv_init failed");
    csv_state C = {.path = path, .dur = dur, .L = L, .col = {-1, -1, -1, -1}};
    char *line = NULL;
    size_t cap = 0;
    ssize_t got;
    /* Fed line by line so a message can name the line a row began on. */
    while (!C.rc && (got = getline(&line, &cap, fp)) > 0) {
        C.line++;
        if (csv_parse(&p, line, (size_t)got, csv_field, csv_row, &C) != (size_t)got && !C.rc)
            C.rc = le_fail(LE_ERR_FORMAT, "%s:%ld: %s", path, C.line, csv_strerror(csv_error(&p)));
    }
    if (!C.rc) csv_fini(&p, csv_field, csv_row, &C);
    if (!C.rc && !C.header_done)
        C.rc = le_fail(LE_ERR_FORMAT, "%s: empty file (expected header service,type,start,end)", path);
    for (int k = 0; k < COL_N; k++) free(C.field[k]);
    free(line);
    csv_free(&p);
    return C.rc;
}

/* ---- entry ---- */

static int slurp(FILE *fp, const char *path, char **out)
{
    size_t n = 0, cap = 0;
    char *buf = NULL;
    for (;;) {
        LE_RESERVE(buf, cap, n + 65536 + 1);
        size_t got = fread(buf + n, 1, 65536, fp);
        n += got;
        if (got < 65536) break;
    }
    if (ferror(fp)) {
        free(buf);
        return le_fail(LE_ERR_IO, "%s: read failed: %s", path, strerror(errno));
    }
    buf[n] = 0;
    *out = buf;
    return 0;
}

static int first_byte(FILE *fp)
{
    int c;
    while ((c = fgetc(fp)) == ' ' || c == '\t' || c == '\r' || c == '\n') {}
    rewind(fp);
    return c;
}

int le_faults_read(const char *path, int64_t default_duration_us, le_fault **faults, int32_t *n)
{
    *faults = NULL;
    *n = 0;
    FILE *fp = fopen(path, "rb");
    if (!fp) return le_fail(LE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    fault_list L = {0};
    int rc;
    if (first_byte(fp) == '{') {
        char *text = NULL;
        rc = slurp(fp, path, &text);
        if (!rc) rc = read_nezha(path, text, default_duration_us, &L);
        free(text);
    } else {
        rc = read_csv_faults(path, fp, default_duration_us, &L);
    }
    fclose(fp);
    if (!rc && L.n > INT32_MAX) rc = le_fail(LE_ERR_FORMAT, "%s: more than 2^31 faults", path);
    if (rc) {
        free(L.f);
        return rc;
    }
    sort_by_start(L.f, L.n);
    *faults = L.f;
    *n = (int32_t)L.n;
    return 0;
}
