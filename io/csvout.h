/* csvout: writing CSV the way every labelease CSV is written (labels.csv,
 * rootcause-labels.csv, periods.csv, traces.csv), so that libcsv (io/labels.c,
 * io/export.c) and spreadsheets read them all back as they were. */
#ifndef LE_CSVOUT_H
#define LE_CSVOUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One field, RFC 4180 and neutralised against formula injection (OWASP):
 * - a field that a spreadsheet would run as a formula (its first character
 *   one of = + - @ TAB CR) gets a leading ': "=1+1" is written '=1+1; so does
 *   a field of quotes ' before such a character ("'=x" -> ''=x), so that
 *   le_csv_unguard can tell the two apart;
 * - then quoted, with "" for ", when it holds a comma, a quote, a line break,
 *   or starts or ends with a space or tab (libcsv trims those), so plain ids
 *   and names stay readable. */
void le_csv_write_field(FILE *f, const char *s);
/* The same into dst, which must hold le_csv_field_max(n) bytes: s is n bytes
 * (no NUL needed). Returns the length written (no NUL added). */
size_t le_csv_format_field(char *dst, const char *s, size_t n);
static inline size_t le_csv_field_max(size_t n) { return 2 * n + 3; }

/* The reader's half: a field le_csv_write_field guarded loses its leading '
 * (in place; *n updated). A field a person wrote, "'abc", is left alone:
 * only a ' before ' or = + - @ TAB CR is the writer's. */
void le_csv_unguard(char *s, size_t *n);

/* Line breaks in s [n]: the readers (io/labels.c, io/export.c) subtract the
 * ones inside a row's quoted fields to name the line the row starts on. */
uint64_t le_csv_newlines(const void *s, size_t n);

#endif
