/* mpi_fail: a PMPI interposer that makes one of labelease's collectives
 * fail, for tests/e2e/mpi_fail.sh (preloaded with LD_PRELOAD; built for the
 * tests only, never linked into labelease).
 *
 *   LE_MPI_FAIL=NAME:N         the N-th call (from 1) of collective NAME
 *                              (e.g. MPI_Allreduce) fails on every rank
 *   LE_MPI_FAIL_COUNTS=FILE    rank 0 writes "NAME CALLS" lines at MPI_Finalize
 *
 * Only calls made by the program itself (not by HDF5 or MPI-IO inside it)
 * over a communicator of every rank are counted: then the N-th call is the
 * same collective on every rank, all of them fail it, and none waits for
 * another. The failure is raised as MPI raises its own, through the
 * communicator's error handler: under MPI_ERRORS_ARE_FATAL that aborts the
 * job; under MPI_ERRORS_RETURN the call returns MPI_ERR_OTHER, without
 * having communicated. */
#define _GNU_SOURCE
#include <link.h>
#include <mpi.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { NAMES = 11 };
static const char *const names[NAMES] = {"MPI_Allgather", "MPI_Allgatherv", "MPI_Allreduce", "MPI_Alltoall",
                                         "MPI_Alltoallv", "MPI_Barrier",    "MPI_Bcast",     "MPI_Exscan",
                                         "MPI_Gather",    "MPI_Gatherv",    "MPI_Reduce"};
static long calls[NAMES];
static char target[64];
static long nth;
static uintptr_t prog_lo, prog_hi; /* the program's own code and data */

/* The first object dl_iterate_phdr reports is the program. */
static int program_range(struct dl_phdr_info *info, size_t size, void *data)
{
    (void)size, (void)data;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD) continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (!prog_lo || lo < prog_lo) prog_lo = lo;
        if (hi > prog_hi) prog_hi = hi;
    }
    return 1;
}

__attribute__((constructor)) static void setup(void)
{
    const char *spec = getenv("LE_MPI_FAIL");
    const char *colon = spec ? strchr(spec, ':') : NULL;
    if (colon && (size_t)(colon - spec) < sizeof target) {
        memcpy(target, spec, (size_t)(colon - spec));
        nth = atol(colon + 1);
    }
    dl_iterate_phdr(program_range, NULL);
}

static int name_index(const char *name)
{
    for (int i = 0; i < NAMES; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}

/* 1 with *rc set when this call is the one to fail. */
static int inject(const char *name, MPI_Comm comm, const void *caller, int *rc)
{
    int world, size;
    uintptr_t at = (uintptr_t)caller;
    if (at < prog_lo || at >= prog_hi) return 0;
    PMPI_Comm_size(MPI_COMM_WORLD, &world);
    PMPI_Comm_size(comm, &size);
    if (size != world) return 0; /* e.g. rank 0 alone on MPI_COMM_SELF: counts would part */
    int i = name_index(name);
    if (++calls[i] != nth || strcmp(name, target)) return 0;
    PMPI_Comm_call_errhandler(comm, MPI_ERR_OTHER);
    *rc = MPI_ERR_OTHER;
    return 1;
}

#define FAIL_OR(name, comm, call)                                               \
    do {                                                                        \
        int rc_;                                                                \
        if (inject(#name, comm, __builtin_return_address(0), &rc_)) return rc_; \
        return call;                                                            \
    } while (0)

int MPI_Allgather(const void *s, int sn, MPI_Datatype st, void *r, int rn, MPI_Datatype rt, MPI_Comm comm)
{
    FAIL_OR(MPI_Allgather, comm, PMPI_Allgather(s, sn, st, r, rn, rt, comm));
}

int MPI_Allgatherv(const void *s, int sn, MPI_Datatype st, void *r, const int *rn, const int *rd, MPI_Datatype rt,
                   MPI_Comm comm)
{
    FAIL_OR(MPI_Allgatherv, comm, PMPI_Allgatherv(s, sn, st, r, rn, rd, rt, comm));
}

int MPI_Allreduce(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm comm)
{
    FAIL_OR(MPI_Allreduce, comm, PMPI_Allreduce(s, r, n, t, op, comm));
}

int MPI_Alltoall(const void *s, int sn, MPI_Datatype st, void *r, int rn, MPI_Datatype rt, MPI_Comm comm)
{
    FAIL_OR(MPI_Alltoall, comm, PMPI_Alltoall(s, sn, st, r, rn, rt, comm));
}

int MPI_Alltoallv(const void *s, const int *sn, const int *sd, MPI_Datatype st, void *r, const int *rn, const int *rd,
                  MPI_Datatype rt, MPI_Comm comm)
{
    FAIL_OR(MPI_Alltoallv, comm, PMPI_Alltoallv(s, sn, sd, st, r, rn, rd, rt, comm));
}

int MPI_Barrier(MPI_Comm comm) { FAIL_OR(MPI_Barrier, comm, PMPI_Barrier(comm)); }

int MPI_Bcast(void *b, int n, MPI_Datatype t, int root, MPI_Comm comm)
{
    FAIL_OR(MPI_Bcast, comm, PMPI_Bcast(b, n, t, root, comm));
}

int MPI_Exscan(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm comm)
{
    FAIL_OR(MPI_Exscan, comm, PMPI_Exscan(s, r, n, t, op, comm));
}

int MPI_Gather(const void *s, int sn, MPI_Datatype st, void *r, int rn, MPI_Datatype rt, int root, MPI_Comm comm)
{
    FAIL_OR(MPI_Gather, comm, PMPI_Gather(s, sn, st, r, rn, rt, root, comm));
}

int MPI_Gatherv(const void *s, int sn, MPI_Datatype st, void *r, const int *rn, const int *rd, MPI_Datatype rt, int root,
                MPI_Comm comm)
{
    FAIL_OR(MPI_Gatherv, comm, PMPI_Gatherv(s, sn, st, r, rn, rd, rt, root, comm));
}

int MPI_Reduce(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, int root, MPI_Comm comm)
{
    FAIL_OR(MPI_Reduce, comm, PMPI_Reduce(s, r, n, t, op, root, comm));
}

int MPI_Finalize(void)
{
    const char *path = getenv("LE_MPI_FAIL_COUNTS");
    int rank = 0;
    PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
    FILE *f = path && rank == 0 ? fopen(path, "w") : NULL;
    for (int i = 0; f && i < NAMES; i++) fprintf(f, "%s %ld\n", names[i], calls[i]);
    if (f) fclose(f);
    return PMPI_Finalize();
}
