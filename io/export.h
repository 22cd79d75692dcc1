/* export: the root-cause labels a person confirmed (rootcause-labels.csv,
 * from the page or label-rootcause) and the period table of the exported
 * dataset (docs/dataset.md). Small: one process reads, every rank may. */
#ifndef LE_EXPORT_H
#define LE_EXPORT_H

#include <stdint.h>

typedef struct le_period_label {
    int64_t period, start_us, end_us;
    char service[256], fault_type[160], note[512];
    char source[16]; /* "confirmed" (a person) or "suggested" (rank 1 of rootcause) */
} le_period_label;

/* Read rootcause-labels.csv: header period,start_us,end_us,service,fault_type,note
 * (RFC 4180 quoting, libcsv). Errors name the file and line. */
int le_period_labels_read(const char *path, le_period_label **out, int64_t *n);

/* Write the same layout (temp file + rename). */
int le_period_labels_write(const char *path, const le_period_label *v, int64_t n);

#endif
