#include "comm.h"

#include <stdio.h>
#include <string.h>

le_job le_world;
const char *le_stage;
static int failed_elsewhere;

int le_comm_init_errors(MPI_Comm comm)
{
    LE_MPI(MPI_Comm_set_errhandler(comm, MPI_ERRORS_RETURN));
    return 0;
}

int le_world_init(void)
{
    le_world.comm = MPI_COMM_WORLD;
    /* first, so that even the calls below report instead of aborting */
    LE_CHECK(le_comm_init_errors(MPI_COMM_WORLD));
    LE_CHECK(le_comm_init_errors(MPI_COMM_SELF)); /* one-process HDF5 writers (le_h5_publish) */
    LE_MPI(MPI_Comm_rank(MPI_COMM_WORLD, &le_world.rank));
    LE_MPI(MPI_Comm_size(MPI_COMM_WORLD, &le_world.size));
    le_log_rank = le_world.rank;
    return 0;
}

int le_mpi_check(int mpirc, const char *call)
{
    if (mpirc == MPI_SUCCESS) return 0;
    char why[MPI_MAX_ERROR_STRING];
    int len = 0;
    if (MPI_Error_string(mpirc, why, &len) != MPI_SUCCESS) snprintf(why, sizeof why, "MPI error code %d", mpirc);
    if (le_stage) return le_fail(LE_ERR_MPI, "%s: %s failed: %s", le_stage, call, why);
    return le_fail(LE_ERR_MPI, "%s failed: %s", call, why);
}

/* After the ranks agreed that one failed: the first failed rank's message
 * (mine there) into why on every rank, so a rank that did not fail can say
 * why it stopped (a rank 0 that failed alone left the others no reason). */
static int share_reason(MPI_Comm comm, int rc, const char *mine, char *why, size_t cap, int *who)
{
    int rank = 0, size = 1;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    LE_MPI(MPI_Comm_size(comm, &size));
    *who = rc ? rank : size;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, who, 1, MPI_INT, MPI_MIN, comm));
    if (*who >= size) return LE_ERR_INTERNAL; /* no rank failed: the caller checked worst */
    if (rank == *who) snprintf(why, cap, "%s", mine);
    LE_MPI(MPI_Bcast(why, (int)cap, MPI_CHAR, *who, comm));
    why[cap - 1] = 0;
    return 0;
}

int le_agree_on(MPI_Comm comm, int rc)
{
    /* When the agreement itself fails, a rank that had already failed keeps
     * its own message: that error is what the user must see first. */
    char mine[4096] = "", why[4096] = "";
    if (rc) snprintf(mine, sizeof mine, "%s", le_errmsg());
    int worst = rc, mrc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_INT, MPI_MAX, comm));
    if (mrc) return rc ? le_fail(rc, "%s", mine) : mrc;
    if (!worst) return 0;
    int who = 0, shared = share_reason(comm, rc, mine, why, sizeof why, &who);
    if (rc) return le_fail(rc, "%s", mine), worst; /* its own message, as before the sharing */
    failed_elsewhere = 1;
    if (shared) return le_fail(worst, "another rank failed (its message did not arrive)");
    return le_fail(worst, "rank %d failed: %s", who, why);
}

int le_agree(int rc) { return le_agree_on(le_world.comm, rc); }

int le_failed_elsewhere(void) { return failed_elsewhere; }
