/* rc_tui: the root-cause labels being confirmed for a rootcause.h5, kept in
 * rootcause-labels.csv (the layout the root-cause page exports and
 * `labelease export` reads: period,start_us,end_us,service,fault_type,note)
 * and rewritten whole after every change; and the terminal labeler that
 * confirms them (cmd/cmd_label_rootcause.c runs both on rank 0). */
#ifndef LE_RC_TUI_H
#define LE_RC_TUI_H

#include <stdint.h>

#include "export.h"
#include "rcfile.h"

typedef struct le_rc_labels {
    const le_rc *rc;
    const char *path;       /* the labels CSV */
    le_period_label *label; /* [P] the confirmed root cause of each period */
    int8_t *has;            /* [P] 1 where label[p] holds one */
} le_rc_labels;

/* Start from the file at path when it exists (resume), else empty. A row
 * that names no period of rc (by index and exact start and end) is an
 * error: the file belongs to another rootcause.h5. */
int le_rc_labels_open(le_rc_labels *l, const le_rc *rc, const char *path);
/* Rewrite the file (temporary, fsync, rename: a dropped connection leaves
 * the old file or the new one), periods in order. */
int le_rc_labels_save(const le_rc_labels *l);
int64_t le_rc_labels_count(const le_rc_labels *l);
void le_rc_labels_free(le_rc_labels *l);

/* Interactive root-cause labeling on the controlling terminal until q;
 * saves after every key that changes a label. Fails when stdin is not a
 * terminal. */
int le_rc_tui(le_rc_labels *l, const char *rc_path);

#endif
