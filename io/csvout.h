/* csvout: writing CSV the way every labelease CSV is written (labels.csv,
 * rootcause-labels.csv, periods.csv), so that libcsv (io/labels.c,
 * io/export.c) reads them all back. */
#ifndef LE_CSVOUT_H
#define LE_CSVOUT_H

#include <stdio.h>

/* One field, RFC 4180: quoted (with "" for ") only when it holds a comma,
 * a quote or a line break, so ids and plain names stay readable. */
void le_csv_write_field(FILE *f, const char *s);

#endif
