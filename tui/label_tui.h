/* label_tui: the terminal labeler. It shows the representatives of a
 * labelset (io/labelset.h) and sets their labels, saving the set after
 * every change; cmd/cmd_label.c opens the set and runs this on rank 0. */
#ifndef LE_LABEL_TUI_H
#define LE_LABEL_TUI_H

#include "labelset.h"

/* Interactive labeling on the controlling terminal until q; saves after
 * every change. Fails when stdin or stdout is not a terminal. */
int le_label_tui(le_labelset *s, const char *reps_path);

#endif
