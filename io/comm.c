#include "comm.h"

#include <stdio.h>

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

/* The message of the lowest rank whose status is worst, given to every
 * rank that had none of its own (a failed write shows on the rank that
 * wrote only, and "failed on another rank" would hide the reason). */
static int share_reason(MPI_Comm comm, int rc, int worst, const char *mine)
{
    int rank, pair[2];
    if (LE_MPI_RC(MPI_Comm_rank(comm, &rank))) return -1;
    pair[0] = rc, pair[1] = rank;
    if (LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, pair, 1, MPI_2INT, MPI_MAXLOC, comm))) return -1;
    char why[4096];
    snprintf(why, sizeof why, "%s", mine);
    if (LE_MPI_RC(MPI_Bcast(why, (int)sizeof why, MPI_CHAR, pair[1], comm))) return -1;
    if (!rc) le_fail(worst, "%s", why[0] ? why : "failed on another rank");
    return 0;
}

int le_agree_on(MPI_Comm comm, int rc)
{
    /* When the agreement itself fails, a rank that had already failed keeps
     * its own message: that error is what the user must see first. */
    char mine[4096] = "";
    if (rc) snprintf(mine, sizeof mine, "%s", le_errmsg());
    int worst = rc, mrc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &worst, 1, MPI_INT, MPI_MAX, comm));
    if (mrc) return rc ? le_fail(rc, "%s", mine) : mrc;
    if (!worst) return 0;
    if (share_reason(comm, rc, worst, mine)) {
        if (rc) return le_fail(rc, "%s", mine);
        failed_elsewhere = 1;
        le_fail(worst, "failed on another rank");
    }
    return worst;
}

int le_agree(int rc) { return le_agree_on(le_world.comm, rc); }

int le_failed_elsewhere(void) { return failed_elsewhere; }
