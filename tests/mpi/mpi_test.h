/* mpi_test.h: the start and the end that every MPI test's main shares, so
 * the tests run on communicators set up as labelease's main sets them up
 * (errors returned, not fatal: comm.h) and fail on every rank together. */
#ifndef LE_MPI_TEST_H
#define LE_MPI_TEST_H

#include <mpi.h>
#include <stdio.h>

#include "comm.h"

/* MPI_Init and le_world_init; non-zero (with the message printed) when
 * either fails. */
static inline int le_test_mpi_begin(int *argc, char ***argv)
{
    int rc = LE_MPI_RC(MPI_Init(argc, argv));
    if (!rc) rc = le_world_init();
    if (rc) fprintf(stderr, "%s\n", le_errmsg());
    return rc;
}

/* The worst cmocka result over the ranks (a failure on one rank fails the
 * test on all of them), then MPI_Finalize. */
static inline int le_test_mpi_end(int rc)
{
    int mrc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &rc, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD));
    int frc = LE_MPI_RC(MPI_Finalize());
    if (mrc || frc) {
        fprintf(stderr, "%s\n", le_errmsg());
        return rc ? rc : 1;
    }
    return rc;
}

#endif
