/* groundtruth: readers for the files that carry ground truth beside traces —
 * fault lists and per-trace labels. Small files: one rank reads them. */
#ifndef LE_GROUNDTRUTH_H
#define LE_GROUNDTRUTH_H

#include <stdint.h>

#include "corpus.h"

/* Fault list, either layout (chosen by content, see docs/ingest.md):
 *  - the Nezha fault_list.json: {"HH": [{inject_time, inject_timestamp (unix s),
 *    inject_pod, inject_type}, ...], ...}; service from the pod name;
 *  - CSV with header service,type,start,end (start/end: unix seconds, may be
 *    fractional, or ISO-8601 "YYYY-MM-DD HH:MM:SS[.fff]" in UTC); empty end allowed.
 * A fault without an end lasts default_duration_us. f->service is set to -1;
 * the caller maps service_name to its service table. Sorted by start. */
int le_faults_read(const char *path, int64_t default_duration_us, le_fault **faults, int32_t *n);

/* Labels CSV: header trace_id,label[,note][,corpus_fingerprint]; label is
 * normal|abnormal|0|1 (case-insensitive). Unknown labels, duplicates with
 * different labels, rows of two corpus fingerprints: an error that lists
 * them (first few, with line numbers). */
typedef struct le_labels {
    int64_t n;
    char **trace_id;           /* [n] */
    int8_t *label;             /* [n] LE_LABEL_NORMAL or LE_LABEL_ABNORMAL */
    char **note;               /* [n] may be NULL entries */
    char corpus_fp[LE_FP_LEN]; /* the corpus_fingerprint column (label writes it), "" without */
} le_labels;
int le_labels_read(const char *path, le_labels *out);
/* le_labels_read for a file that must label something (propagate, select's
 * later rounds, ingest --labels): a header without rows is LE_ERR_FORMAT
 * naming the file, not "no labels" taken for an answer. (A labels file
 * being written, the terminal's resumed -o, may still be empty.) */
int le_labels_read_nonempty(const char *path, le_labels *out);
void le_labels_free(le_labels *l);

#endif
