#include "export.h"

#include <csv.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "csvout.h"
#include "le_base.h"

/* rootcause-labels.csv through libcsv: the whole file is one stream (a note
 * may hold a quoted line break, as le_csv_write_field writes it), fed a line
 * at a time so that each row knows the line it starts on. */
enum { PL_COLS = 6 };

typedef struct period_reader {
    const char *path;
    uint64_t line, row_line, rows;
    size_t col;
    char *cell[PL_COLS];
    size_t cell_cap[PL_COLS];
    le_period_label **out;
    int64_t *n;
    size_t cap;
    int rc;
} period_reader;

/* Fields as they are: libcsv would trim spaces and tabs. */
static int no_space(unsigned char c)
{
    (void)c;
    return 0;
}

static void on_field(void *data, size_t n, void *arg)
{
    period_reader *r = arg;
    size_t c = r->col++;
    if (c == 0) r->row_line = r->line - le_csv_newlines(data, n);
    if (c >= PL_COLS) return;
    LE_RESERVE(r->cell[c], r->cell_cap[c], n + 1);
    memcpy(r->cell[c], data, n);
    r->cell[c][n] = 0;
}

static int take_row(period_reader *r)
{
    char **fl = r->cell;
    size_t k = r->col;
    if (r->rows++ == 0) {
        if (k < 5 || strcmp(fl[0], "period") || strcmp(fl[3], "service") || strcmp(fl[4], "fault_type"))
            return le_fail(LE_ERR_FORMAT, "%s:1: header must be period,start_us,end_us,service,fault_type,note", r->path);
        return 0;
    }
    if (k < 5) return le_fail(LE_ERR_FORMAT, "%s:%llu: fewer than 5 fields", r->path, (unsigned long long)r->row_line);
    LE_RESERVE(*r->out, r->cap, (size_t)*r->n + 1);
    le_period_label *p = &(*r->out)[(*r->n)++];
    memset(p, 0, sizeof *p);
    char *e1, *e2, *e3;
    p->period = strtoll(fl[0], &e1, 10), p->start_us = strtoll(fl[1], &e2, 10), p->end_us = strtoll(fl[2], &e3, 10);
    if (*e1 || *e2 || *e3 || !*fl[0])
        return le_fail(LE_ERR_FORMAT, "%s:%llu: period, start_us and end_us must be integers", r->path,
                       (unsigned long long)r->row_line);
    for (size_t c = 3; c < k && c < PL_COLS; c++) { /* our writer's guard against formulas off (csvout.h) */
        size_t len = strlen(fl[c]);
        le_csv_unguard(fl[c], &len);
    }
    snprintf(p->service, sizeof p->service, "%s", fl[3]);
    snprintf(p->fault_type, sizeof p->fault_type, "%s", fl[4]);
    snprintf(p->note, sizeof p->note, "%s", k > 5 ? fl[5] : "");
    snprintf(p->source, sizeof p->source, "confirmed");
    return 0;
}

static void on_row(int term, void *arg)
{
    (void)term;
    period_reader *r = arg;
    if (!r->rc) r->rc = take_row(r);
    r->col = 0;
}

int le_period_labels_read(const char *path, le_period_label **out, int64_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) return le_fail(LE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    period_reader r = {.path = path, .line = 1, .out = out, .n = n};
    *out = NULL, *n = 0;
    struct csv_parser parser;
    csv_init(&parser, CSV_STRICT | CSV_STRICT_FINI); /* as io/labels.c: a stray quote is an error */
    csv_set_space_func(&parser, no_space);
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    while (!r.rc && (len = getline(&line, &cap, f)) > 0) {
        if (csv_parse(&parser, line, (size_t)len, on_field, on_row, &r) < (size_t)len && !r.rc) {
            if (r.col == 0) r.row_line = r.line - le_csv_newlines(parser.entry_buf, parser.entry_pos);
            r.rc = le_fail(LE_ERR_FORMAT, "%s:%llu: broken quoting", path, (unsigned long long)r.row_line);
        }
        if (line[len - 1] == '\n') r.line++;
    }
    if (!r.rc && ferror(f)) r.rc = le_fail(LE_ERR_IO, "%s: read failed: %s", path, strerror(errno));
    if (!r.rc && csv_fini(&parser, on_field, on_row, &r) != 0 && !r.rc) {
        if (r.col == 0) r.row_line = r.line - le_csv_newlines(parser.entry_buf, parser.entry_pos);
        r.rc = le_fail(LE_ERR_FORMAT, "%s:%llu: unterminated quote", path, (unsigned long long)r.row_line);
    }
    csv_free(&parser);
    free(line);
    for (int c = 0; c < PL_COLS; c++) free(r.cell[c]);
    fclose(f);
    return r.rc;
}

int le_period_labels_write(const char *path, const le_period_label *v, int64_t n)
{
    le_atomic a;
    int rc = le_atomic_open(&a, path, 0);
    if (rc) return rc;
    FILE *f = a.f;
    fputs("period,start_us,end_us,service,fault_type,note\n", f);
    for (int64_t i = 0; i < n; i++) {
        fprintf(f, "%lld,%lld,%lld,", (long long)v[i].period, (long long)v[i].start_us, (long long)v[i].end_us);
        le_csv_write_field(f, v[i].service);
        fputc(',', f);
        le_csv_write_field(f, v[i].fault_type);
        fputc(',', f);
        le_csv_write_field(f, v[i].note);
        fputc('\n', f);
    }
    return le_atomic_commit(&a);
}
