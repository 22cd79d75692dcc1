/* label_tui: the labels being made for a representatives file, kept in a
 * labels CSV (trace_id,label,note) that is rewritten whole after every
 * change, and the terminal labeler that makes them (mpi/cmd_label.c runs
 * both on rank 0). */
#ifndef LE_LABEL_TUI_H
#define LE_LABEL_TUI_H

#include <stdint.h>

#include "groundtruth.h"
#include "reps.h"

typedef struct le_label_set {
    const le_reps *r;
    const le_corpus_meta *meta;
    const char *path;    /* the labels CSV */
    int8_t *label;       /* [k] LE_LABEL_NORMAL/ABNORMAL, LE_LABEL_UNKNOWN when not yet */
    char **note;         /* [k] or NULL entries */
    le_labels others;    /* rows of an existing file for traces that are not
                            representatives (an earlier round): written back as read */
    int8_t *other_kept;  /* [others.n] 1 for those rows */
} le_label_set;

/* The set saved to path, started from the labels CSV `from` (its labels of
 * the representatives, and its other rows kept as they are), or empty when
 * from is NULL or does not exist. */
int le_label_set_open(le_label_set *s, const le_reps *r, const le_corpus_meta *meta, const char *path, const char *from);
/* Rewrite the file: a temporary beside it, fsync, rename over it, so a
 * crash or a dropped connection leaves the old file or the new one. */
int le_label_set_save(const le_label_set *s);
int64_t le_label_set_count(const le_label_set *s, int label);
void le_label_set_free(le_label_set *s);

/* The trace id of representative t, NUL-terminated in buf. */
void le_rep_id(const le_reps *r, const le_corpus_meta *m, int64_t t, char *buf, size_t cap);

/* Interactive labeling on the controlling terminal until q; saves after
 * every change. Fails when stdin or stdout is not a terminal. */
int le_label_tui(le_label_set *s, const char *reps_path);

#endif
