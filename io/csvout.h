/* csvout: writing CSV the way every labelease CSV is written (labels.csv,
 * rootcause-labels.csv, periods.csv), so that libcsv (io/labels.c,
 * io/export.c) reads them all back. */
#ifndef LE_CSVOUT_H
#define LE_CSVOUT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* One field, RFC 4180: quoted (with "" for ") only when it holds a comma,
 * a quote or a line break, so ids and plain names stay readable. */
void le_csv_write_field(FILE *f, const char *s);

/* Line breaks in s [n]: the readers (io/labels.c, io/export.c) subtract the
 * ones inside a row's quoted fields to name the line the row starts on. */
uint64_t le_csv_newlines(const void *s, size_t n);

#endif
