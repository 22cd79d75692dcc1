/* scalapack_proto: the ScaLAPACK and BLACS entry points labelease calls.
 * Debian's libscalapack-openmpi-dev ships the library but no C header, so
 * the prototypes are declared here, checked against the symbols that
 * `nm -D libscalapack-openmpi.so` lists (Fortran ones end in _, all
 * arguments by reference; the C BLACS interface is Cblacs_*). */
#ifndef LE_SCALAPACK_PROTO_H
#define LE_SCALAPACK_PROTO_H

#include <mpi.h>

/* BLACS, C interface. A system handle names an MPI communicator; a grid
 * context is made from it and is both input and output of gridinit. */
int Csys2blacs_handle(MPI_Comm comm);
void Cfree_blacs_system_handle(int handle);
void Cblacs_gridinit(int *context, const char *order, int nprow, int npcol);
void Cblacs_gridinfo(int context, int *nprow, int *npcol, int *myrow, int *mycol);
void Cblacs_gridexit(int context);

/* ScaLAPACK tools: local extent of a block-cyclic dimension, local to
 * global index (1-based), array descriptor. */
int numroc_(const int *n, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
int indxl2g_(const int *indxloc, const int *nb, const int *iproc, const int *isrcproc, const int *nprocs);
void descinit_(int *desc, const int *m, const int *n, const int *mb, const int *nb, const int *irsrc, const int *icsrc,
               const int *context, const int *lld, int *info);

/* Symmetric eigenproblem by MRRR, a chosen range of eigenpairs. */
void pdsyevr_(const char *jobz, const char *range, const char *uplo, const int *n, double *a, const int *ia, const int *ja,
              const int *desca, const double *vl, const double *vu, const int *il, const int *iu, int *m, int *nz, double *w,
              double *z, const int *iz, const int *jz, const int *descz, double *work, const int *lwork, int *iwork,
              const int *liwork, int *info);

/* Symmetric eigenproblem by divide and conquer, all eigenpairs. */
void pdsyevd_(const char *jobz, const char *uplo, const int *n, double *a, const int *ia, const int *ja, const int *desca,
              double *w, double *z, const int *iz, const int *jz, const int *descz, double *work, const int *lwork,
              int *iwork, const int *liwork, int *info);

#endif
