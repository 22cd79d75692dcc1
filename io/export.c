#include "export.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "csvout.h"
#include "le_base.h"

int le_csv_split(char *line, char **field, int max)
{
    int n = 0;
    char *r = line, *w = line;
    for (;;) {
        if (n == max) return n;
        field[n++] = w;
        if (*r == '"') {
            r++;
            for (;;) {
                if (!*r) return -1;
                if (*r == '"' && r[1] == '"') *w++ = '"', r += 2;
                else if (*r == '"') { r++; break; }
                else *w++ = *r++;
            }
        }
        while (*r && *r != ',') *w++ = *r++;
        if (!*r) { *w = 0; return n; }
        *w++ = 0, r++;
    }
}

static void trim_eol(char *s)
{
    size_t n = strlen(s);
    while (n && (s[n - 1] == '\n' || s[n - 1] == '\r')) s[--n] = 0;
}

int le_period_labels_read(const char *path, le_period_label **out, int64_t *n)
{
    FILE *f = fopen(path, "r");
    if (!f) return le_fail(LE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    char *line = NULL;
    size_t cap = 0, cap_v = 0;
    int64_t lineno = 0;
    int rc = 0;
    *out = NULL, *n = 0;
    while (getline(&line, &cap, f) > 0) {
        lineno++;
        trim_eol(line);
        char *fl[8];
        int k = le_csv_split(line, fl, 8);
        if (lineno == 1) {
            if (k < 5 || strcmp(fl[0], "period") || strcmp(fl[3], "service") || strcmp(fl[4], "fault_type")) {
                rc = le_fail(LE_ERR_FORMAT, "%s:1: header must be period,start_us,end_us,service,fault_type,note", path);
                break;
            }
            continue;
        }
        if (!line[0]) continue;
        if (k < 5) {
            rc = le_fail(LE_ERR_FORMAT, "%s:%lld: %s", path, (long long)lineno, k < 0 ? "unterminated quote" : "fewer than 5 fields");
            break;
        }
        LE_RESERVE(*out, cap_v, (size_t)*n + 1);
        le_period_label *p = &(*out)[(*n)++];
        memset(p, 0, sizeof *p);
        char *e1, *e2, *e3;
        p->period = strtoll(fl[0], &e1, 10), p->start_us = strtoll(fl[1], &e2, 10), p->end_us = strtoll(fl[2], &e3, 10);
        if (*e1 || *e2 || *e3 || !*fl[0]) {
            rc = le_fail(LE_ERR_FORMAT, "%s:%lld: period, start_us and end_us must be integers", path, (long long)lineno);
            break;
        }
        snprintf(p->service, sizeof p->service, "%s", fl[3]);
        snprintf(p->fault_type, sizeof p->fault_type, "%s", fl[4]);
        snprintf(p->note, sizeof p->note, "%s", k > 5 ? fl[5] : "");
        snprintf(p->source, sizeof p->source, "confirmed");
    }
    free(line);
    fclose(f);
    return rc;
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
