/* labels: the per-trace labels CSV, header trace_id,label[,note] (columns
 * found by name, any order, case-insensitive; other columns are ignored).
 *
 * A labels file is written by people, so the reader does not stop at the
 * first mistake: it reads the whole file, collects every problem (unknown
 * label, one trace labelled both ways, broken rows) and fails once with the
 * first few and a count, so one edit fixes them all. A trace id listed twice
 * is a problem even with the same label: a labels file is one decision per
 * trace, and a repeat usually means two files were pasted together.
 *
 * libcsv parses; lines are fed to it one at a time so that each row knows
 * the physical line it starts on (quoted newlines included). */
#include "csvout.h"
#include "groundtruth.h"

#include <csv.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "le_base.h"
#include "strtab.h"

#define LABEL_PROBLEMS_SHOWN 5

enum { COL_ID, COL_LABEL, COL_NOTE, COL_FP, COL_N };
static const char *const col_name[COL_N] = {"trace_id", "label", "note", "corpus_fingerprint"};

typedef struct labels_reader {
    const char *path;
    struct csv_parser parser;
    uint64_t line, row_line;
    int in_header, skip_to_eol;
    size_t col, ncols;
    int at[COL_N];     /* column index of each wanted column, -1 absent */
    char *cell[COL_N]; /* the current row's wanted cells */
    size_t cell_len[COL_N], cell_cap[COL_N];
    le_labels *out;
    size_t cap;           /* of out->trace_id / label / note */
    uint64_t *first_line; /* [cap] line where each trace was labelled */
    uint64_t fp_line;     /* the first row with a corpus_fingerprint */
    le_strtab ids;        /* trace id -> index in out (dense, same order) */
    uint64_t problems;
    char shown[LABEL_PROBLEMS_SHOWN][200];
    int rc; /* a fatal error (not a problem) */
} labels_reader;

static void problem(labels_reader *r, uint64_t line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void problem(labels_reader *r, uint64_t line, const char *fmt, ...)
{
    if (r->problems < LABEL_PROBLEMS_SHOWN) {
        char *s = r->shown[r->problems];
        int n = snprintf(s, sizeof r->shown[0], "line %llu: ", (unsigned long long)line);
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s + n, sizeof r->shown[0] - (size_t)n, fmt, ap);
        va_end(ap);
    }
    r->problems++;
}

static void keep_cell(labels_reader *r, int which, const void *data, size_t n)
{
    LE_RESERVE(r->cell[which], r->cell_cap[which], n + 1);
    memcpy(r->cell[which], data, n);
    r->cell[which][n] = 0;
    r->cell_len[which] = n;
}

/* The header: stores every name in turn, matched at the end of the row. */
static void header_field(labels_reader *r, size_t c, const char *s, size_t n)
{
    if (c == 0 && n >= 3 && !memcmp(s, "\xEF\xBB\xBF", 3)) s += 3, n -= 3; /* UTF-8 BOM */
    for (int k = 0; k < COL_N; k++)
        if (strlen(col_name[k]) == n && !strncasecmp(s, col_name[k], n) && r->at[k] < 0) r->at[k] = (int)c;
}

static void on_field(void *data, size_t n, void *arg)
{
    labels_reader *r = arg;
    size_t c = r->col++;
    if (c == 0) r->row_line = r->line - le_csv_newlines(data, n);
    if (r->in_header) {
        header_field(r, c, data, n);
        return;
    }
    for (int k = 0; k < COL_N; k++)
        if (r->at[k] == (int)c) keep_cell(r, k, data, n);
}

static int check_header(labels_reader *r)
{
    r->in_header = 0;
    r->ncols = r->col;
    if (r->at[COL_ID] < 0 || r->at[COL_LABEL] < 0)
        return le_fail(LE_ERR_FORMAT, "%s:%llu: the labels file needs a header row with columns trace_id,label[,note]",
                       r->path, (unsigned long long)r->row_line);
    return 0;
}

/* normal|abnormal|0|1, any case, surrounding spaces ignored; -1 otherwise. */
static int label_value(const char *s, size_t n)
{
    s = le_trim_blanks(s, &n);
    if ((n == 6 && !strncasecmp(s, "normal", 6)) || (n == 1 && *s == '0')) return LE_LABEL_NORMAL;
    if ((n == 8 && !strncasecmp(s, "abnormal", 8)) || (n == 1 && *s == '1')) return LE_LABEL_ABNORMAL;
    return -1;
}

static const char *label_word(int l) { return l == LE_LABEL_ABNORMAL ? "abnormal" : "normal"; }

static void append_label(labels_reader *r, int label)
{
    le_labels *o = r->out;
    if ((size_t)o->n == r->cap) {
        size_t c1 = r->cap, c2 = r->cap, c3 = r->cap, c4 = r->cap;
        LE_RESERVE(o->trace_id, c1, r->cap + 1);
        LE_RESERVE(o->label, c2, c1);
        LE_RESERVE(o->note, c3, c1);
        LE_RESERVE(r->first_line, c4, c1);
        r->cap = c1;
    }
    int64_t i = o->n++;
    o->trace_id[i] = le_strndup(r->cell[COL_ID], r->cell_len[COL_ID]);
    o->label[i] = (int8_t)label;
    o->note[i] = r->at[COL_NOTE] >= 0 && r->cell_len[COL_NOTE] ? le_strndup(r->cell[COL_NOTE], r->cell_len[COL_NOTE]) : NULL;
    r->first_line[i] = r->row_line;
}

/* Every row label wrote carries its corpus's fingerprint: one file, one
 * corpus (an empty cell, as a person may add, is fine). */
static int take_fingerprint(labels_reader *r)
{
    const char *fp = r->cell[COL_FP];
    size_t n = r->at[COL_FP] >= 0 ? r->cell_len[COL_FP] : 0;
    if (!n) return 0;
    if (n != LE_FP_LEN - 1 || strspn(fp, "0123456789abcdef") != n) {
        problem(r, r->row_line, "corpus_fingerprint '%.40s' is not %d hex digits", fp, LE_FP_LEN - 1);
        return -1;
    }
    if (!r->fp_line) {
        memcpy(r->out->corpus_fp, fp, LE_FP_LEN);
        r->fp_line = r->row_line;
    } else if (strcmp(fp, r->out->corpus_fp)) {
        problem(r, r->row_line, "corpus_fingerprint %s, but %s at line %llu: rows of two corpora", fp, r->out->corpus_fp,
                (unsigned long long)r->fp_line);
        return -1;
    }
    return 0;
}

static void take_row(labels_reader *r)
{
    /* A row added by hand to label's file may leave out its last column,
     * the fingerprint (as if empty). */
    int fp_left_out = r->at[COL_FP] == (int)r->ncols - 1 && r->col + 1 == r->ncols;
    if (r->col != r->ncols && !fp_left_out) {
        problem(r, r->row_line, "%zu columns, the header has %zu", r->col, r->ncols);
        return;
    }
    /* our writer's guard against formulas off (csvout.h): ids come back exact */
    le_csv_unguard(r->cell[COL_ID], &r->cell_len[COL_ID]);
    if (r->at[COL_NOTE] >= 0) le_csv_unguard(r->cell[COL_NOTE], &r->cell_len[COL_NOTE]);
    if (take_fingerprint(r)) return;
    const char *lab = r->cell[COL_LABEL];
    size_t id_len = r->cell_len[COL_ID];
    const char *id = le_trim_blanks(r->cell[COL_ID], &id_len); /* quoted or not, as ingest takes ids */
    if (id_len != r->cell_len[COL_ID]) {
        memmove(r->cell[COL_ID], id, id_len);
        r->cell[COL_ID][id_len] = 0, r->cell_len[COL_ID] = id_len;
    }
    id = r->cell[COL_ID];
    int label = label_value(lab, r->cell_len[COL_LABEL]);
    if (!id_len) {
        problem(r, r->row_line, "empty trace_id");
        return;
    }
    if (label < 0) {
        problem(r, r->row_line, "trace %.*s: unknown label '%.40s' (expected normal, abnormal, 0 or 1)",
                (int)(id_len > 64 ? 64 : id_len), id, lab);
        return;
    }
    size_t before = r->ids.n;
    uint32_t k = le_strtab_intern(&r->ids, id, id_len);
    if (r->ids.n > before) {
        append_label(r, label);
    } else if (r->out->label[k] != label) {
        problem(r, r->row_line, "trace %.*s labelled %s, but %s at line %llu", (int)(id_len > 64 ? 64 : id_len), id,
                label_word(label), label_word(r->out->label[k]), (unsigned long long)r->first_line[k]);
    } else {
        problem(r, r->row_line, "trace %.*s listed again (first at line %llu)", (int)(id_len > 64 ? 64 : id_len), id,
                (unsigned long long)r->first_line[k]);
    }
}

static void on_row(int term, void *arg)
{
    (void)term;
    labels_reader *r = arg;
    if (!r->rc) {
        if (r->in_header)
            r->rc = check_header(r);
        else
            take_row(r);
    }
    r->col = 0;
    for (int k = 0; k < COL_N; k++) r->cell_len[k] = 0;
}

/* Broken quoting in the row that ends on line last: note it (and the
 * lines a quote left open swallowed), restart libcsv, resume at the next
 * line. */
static void broken_row(labels_reader *r, const char *why, uint64_t last)
{
    if (r->col == 0) r->row_line = r->line - le_csv_newlines(r->parser.entry_buf, r->parser.entry_pos);
    if (r->in_header) {
        r->rc = le_fail(LE_ERR_FORMAT, "%s:%llu: the header row is not valid CSV (%s)", r->path,
                        (unsigned long long)r->row_line, why);
        return;
    }
    unsigned long long first = r->row_line;
    if (last > first)
        problem(r, r->row_line, "%s: a quoted field opened here is not closed; lines %llu-%llu (%llu lines) dropped", why,
                first, (unsigned long long)last, (unsigned long long)last - first + 1);
    else
        problem(r, r->row_line, "%s", why);
    csv_free(&r->parser);
    csv_init(&r->parser, CSV_STRICT | CSV_STRICT_FINI);
    r->col = 0;
}

static void feed_line(labels_reader *r, const char *s, size_t n)
{
    if (r->skip_to_eol) return;
    if (csv_parse(&r->parser, s, n, on_field, on_row, r) < n && !r->rc) {
        r->skip_to_eol = 1;
        broken_row(r, "broken quoting", r->line);
    }
}

static int read_lines(labels_reader *r, FILE *f)
{
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int ended = 1; /* the file so far ends with a line break */
    while (!r->rc && (n = getline(&line, &cap, f)) > 0) {
        feed_line(r, line, (size_t)n);
        ended = line[n - 1] == '\n';
        if (ended) r->line++, r->skip_to_eol = 0;
    }
    free(line);
    if (ferror(f)) return le_fail(LE_ERR_IO, "%s: read failed: %s", r->path, strerror(errno));
    if (!r->rc && !r->skip_to_eol && csv_fini(&r->parser, on_field, on_row, r) != 0 && !r->rc)
        broken_row(r, "unterminated quote at end of file", ended ? r->line - 1 : r->line);
    if (!r->rc && r->in_header)
        return le_fail(LE_ERR_FORMAT, "%s: empty labels file: expected a header trace_id,label[,note]", r->path);
    return r->rc;
}

static int report_problems(const labels_reader *r)
{
    char msg[LABEL_PROBLEMS_SHOWN * 210 + 128];
    int len = snprintf(msg, sizeof msg, "%s: %llu problem%s in the labels:", r->path, (unsigned long long)r->problems,
                       r->problems == 1 ? "" : "s");
    for (uint64_t i = 0; i < r->problems && i < LABEL_PROBLEMS_SHOWN; i++)
        len += snprintf(msg + len, sizeof msg - (size_t)len, "\n  %s", r->shown[i]);
    if (r->problems > LABEL_PROBLEMS_SHOWN)
        snprintf(msg + len, sizeof msg - (size_t)len, "\n  ... and %llu more",
                 (unsigned long long)(r->problems - LABEL_PROBLEMS_SHOWN));
    return le_fail(LE_ERR_FORMAT, "%s", msg);
}

int le_labels_read(const char *path, le_labels *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "r");
    if (!f) return le_fail(LE_ERR_IO, "%s: cannot open labels: %s", path, strerror(errno));
    labels_reader r;
    memset(&r, 0, sizeof r);
    r.path = path;
    r.line = 1;
    r.in_header = 1;
    r.out = out;
    for (int k = 0; k < COL_N; k++) r.at[k] = -1;
    le_strtab_init(&r.ids);
    csv_init(&r.parser, CSV_STRICT | CSV_STRICT_FINI);
    int rc = read_lines(&r, f);
    if (!rc && r.problems) rc = report_problems(&r);
    fclose(f);
    csv_free(&r.parser);
    le_strtab_free(&r.ids);
    free(r.first_line);
    for (int k = 0; k < COL_N; k++) free(r.cell[k]);
    if (rc) le_labels_free(out);
    return rc;
}

int le_labels_read_nonempty(const char *path, le_labels *out)
{
    LE_CHECK(le_labels_read(path, out));
    if (out->n > 0) return 0;
    le_labels_free(out);
    return le_fail(LE_ERR_FORMAT,
                   "%s: no labels in it (a header and no rows): label the representatives first (labelease label)", path);
}

void le_labels_free(le_labels *l)
{
    if (!l) return;
    for (int64_t i = 0; i < l->n; i++) {
        free(l->trace_id[i]);
        if (l->note) free(l->note[i]);
    }
    free(l->trace_id);
    free(l->label);
    free(l->note);
    memset(l, 0, sizeof *l);
}
