/* atomicfile: temporary, fsync, rename (see atomicfile.h). */
#include "atomicfile.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "le_base.h"

int le_atomic_open(le_atomic *a, const char *path, int shared_tmp)
{
    a->f = NULL;
    if (snprintf(a->path, sizeof a->path, "%s", path) >= (int)sizeof a->path ||
        snprintf(a->tmp, sizeof a->tmp, shared_tmp ? "%s.tmp" : "%s.tmp%ld", path, (long)getpid()) >= (int)sizeof a->tmp)
        return le_fail(LE_ERR_USAGE, "%s: path too long", path);
    a->f = fopen(a->tmp, "w");
    if (!a->f) return le_fail(LE_ERR_IO, "%s: cannot create: %s", a->tmp, strerror(errno));
    return 0;
}

int le_atomic_close(le_atomic *a)
{
    /* fflush before fsync: the rows still in stdio's buffer are not on disk
     * otherwise, and a crash could leave the new name on a short file. */
    int bad = fflush(a->f) || ferror(a->f) || fsync(fileno(a->f));
    int err = errno;
    if (fclose(a->f) && !bad) bad = 1, err = errno;
    a->f = NULL;
    if (bad) {
        unlink(a->tmp);
        return le_fail(LE_ERR_IO, "%s: write failed: %s", a->tmp, strerror(err));
    }
    return 0;
}

int le_atomic_rename(le_atomic *a)
{
    if (rename(a->tmp, a->path)) {
        int err = errno;
        unlink(a->tmp);
        return le_fail(LE_ERR_IO, "%s: cannot rename to %s: %s", a->tmp, a->path, strerror(err));
    }
    return 0;
}

int le_atomic_commit(le_atomic *a)
{
    int rc = le_atomic_close(a);
    return rc ? rc : le_atomic_rename(a);
}

void le_atomic_abort(le_atomic *a)
{
    if (a->f) fclose(a->f);
    a->f = NULL;
    unlink(a->tmp);
}
