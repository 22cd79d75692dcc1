/* labelset: the labels being made for a representatives file, kept in a
 * labels CSV (trace_id,label,note) that is rewritten whole after every
 * change. A data structure over the file, no terminal and no MPI: the label
 * command (oracle, import) and the terminal labeler (tui/label_tui.c) both
 * fill one and save it. */
#ifndef LE_LABELSET_H
#define LE_LABELSET_H

#include <stdint.h>

#include "groundtruth.h"
#include "reps.h"

typedef struct le_labelset {
    const le_reps *r;
    const le_corpus_meta *meta;
    const char *path;   /* the labels CSV */
    int8_t *label;      /* [k] LE_LABEL_NORMAL/ABNORMAL, LE_LABEL_UNKNOWN when not yet */
    char **note;        /* [k] or NULL entries */
    le_labels others;   /* rows of an existing file for traces that are not
                            representatives (an earlier round): written back as read */
    int8_t *other_kept; /* [others.n] 1 for those rows */
} le_labelset;

/* The set saved to path, started from the labels CSV `from` (its labels of
 * the representatives, and its other rows kept as they are), or empty when
 * from is NULL or does not exist. */
int le_labelset_open(le_labelset *s, const le_reps *r, const le_corpus_meta *meta, const char *path, const char *from);
/* Rewrite the file: a temporary beside it, fsync, rename over it, so a
 * crash or a dropped connection leaves the old file or the new one. */
int le_labelset_save(const le_labelset *s);
/* The representative whose trace id is id, or -1. */
int64_t le_labelset_find(const le_labelset *s, const char *id);
int64_t le_labelset_count(const le_labelset *s, int label);
void le_labelset_free(le_labelset *s);

#endif
