/* atomicfile: the one way a text file is replaced whole (labels CSVs, the
 * pages, the run manifest): written to a temporary beside it, flushed to
 * disk (fsync), then renamed over it, so a crash or kill at any point leaves
 * the old file or the new one, never half of one. */
#ifndef LE_ATOMICFILE_H
#define LE_ATOMICFILE_H

#include <stdio.h>

typedef struct le_atomic {
    FILE *f; /* write here between open and commit */
    char path[4200], tmp[4300];
} le_atomic;

/* Create the temporary for path: PATH.tmpPID, or PATH.tmp when shared_tmp
 * (a later write reuses and so clears one a kill left behind). Errors name
 * the file; returns 0 or LE_ERR_*. */
int le_atomic_open(le_atomic *a, const char *path, int shared_tmp);
/* Flush, fsync and close the temporary: le_atomic_close then le_atomic_rename.
 * On any failure the temporary is removed. */
int le_atomic_commit(le_atomic *a);
/* The two halves of commit, for a caller that must act in between. */
int le_atomic_close(le_atomic *a);
int le_atomic_rename(le_atomic *a);
/* Give up: close and remove the temporary (after an error of the caller's). */
void le_atomic_abort(le_atomic *a);

#endif
