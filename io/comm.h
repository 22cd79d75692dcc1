/* comm: what every file that talks MPI shares — the job's communicator, the
 * one checked MPI call, and agreement on errors across ranks.
 *
 * The communicators return errors (MPI_ERRORS_RETURN, set by le_world_init)
 * instead of aborting the job, so a failed MPI call comes back through
 * LE_MPI as an ordinary error: one message naming the call and the stage,
 * agreed across ranks by le_agree_on, and a clean non-zero exit. The
 * distributed layer includes this header, not the command layer's driver.h;
 * io/ includes it too, since parallel HDF5 needs communicators. */
#ifndef LE_COMM_H
#define LE_COMM_H

#include <mpi.h>

#include "le_base.h"

typedef struct le_job {
    MPI_Comm comm;
    int rank, size;
    int json; /* --json: the command layer reports as one JSON object */
} le_job;

extern le_job le_world;

/* What the program is doing when an MPI call fails ("select", "train"),
 * named at the start of every MPI failure message. The driver sets it as a
 * subcommand starts; NULL (no prefix) in programs without the driver. */
extern const char *le_stage;

/* Right after MPI_Init, in main and in every MPI test's main: makes
 * MPI_COMM_WORLD and MPI_COMM_SELF return errors, then fills le_world (for
 * MPI_COMM_WORLD) and le_log_rank. */
int le_world_init(void);

/* comm returns MPI errors to the caller from now on. Communicators made
 * from it (dup, split, create; HDF5's duplicates of it) inherit that; each
 * predefined communicator (WORLD, SELF) needs its own call. */
int le_comm_init_errors(MPI_Comm comm);

/* 0 when mpirc is MPI_SUCCESS; otherwise records "STAGE: CALL failed:
 * MPI's error string" and returns LE_ERR_MPI. Use it through the macros. */
int le_mpi_check(int mpirc, const char *call) __attribute__((warn_unused_result));

/* Every MPI call goes through one of these two spellings of the same
 * check: LE_MPI returns the error from the enclosing function (like
 * LE_CHECK); LE_MPI_RC is the check as an expression, 0 or LE_ERR_MPI, for
 * a function that must reach its cleanup first:
 *     if ((rc = LE_MPI_RC(MPI_Allreduce(...)))) goto cleanup;
 *     if (!rc) rc = LE_MPI_RC(MPI_Bcast(...)); */
#define LE_MPI_RC(call) le_mpi_check((call), #call)
/* Not through LE_MPI_RC: the call would reach its # with MPI_IN_PLACE and
 * the other handles already expanded, and the message name their innards. */
#define LE_MPI(call)                                 \
    do {                                             \
        int le_mpirc_ = le_mpi_check((call), #call); \
        if (le_mpirc_) {                             \
            le_err_from(__func__);                   \
            return le_mpirc_;                        \
        }                                            \
    } while (0)

/* Collective on comm: every rank passes its local status, all return the
 * worst one. On a failure the first failed rank's message goes to every
 * rank (one more Allreduce and a Bcast, on failure only): a rank whose own
 * status was 0 gets "rank R failed: MESSAGE" and le_failed_elsewhere()
 * turns 1, so it says it stopped, not that it failed. le_agree is
 * le_agree_on(le_world.comm, rc). */
int le_agree_on(MPI_Comm comm, int rc);
int le_agree(int rc);
int le_failed_elsewhere(void);

#endif
