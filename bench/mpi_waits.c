/* bench/mpi_waits.c — a PMPI shim (LD_PRELOAD) that times every collective
 * labelease calls, per rank, and prints at MPI_Finalize, on rank 0, one
 * key: value line per rank and collective, and per rank and Allreduce size:
 *
 *   wait_s.COLLECTIVE.rankR: SECONDS   calls.COLLECTIVE.rankR: N
 *   wait_s.allreduce_COUNT.rankR: SECONDS  (the same call site repeated,
 *                                           e.g. Lloyd's k·d + k + 2 sums)
 *
 * The time in a collective is mostly waiting for the slowest rank to arrive,
 * so the rank that waits least did the most work: load imbalance shows as
 * the gap between ranks. Built and used by bench/mpi_waits.sh. */
#include <mpi.h>
#include <stdio.h>
#include <string.h>

enum {
    ALLREDUCE,
    ALLGATHER,
    ALLGATHERV,
    ALLTOALL,
    ALLTOALLV,
    BCAST,
    GATHER,
    GATHERV,
    REDUCE,
    EXSCAN,
    BARRIER,
    WAITALL,
    N_COLL
};
static const char *const names[N_COLL] = {"allreduce", "allgather", "allgatherv", "alltoall", "alltoallv", "bcast",
                                          "gather",    "gatherv",   "reduce",     "exscan",   "barrier",   "waitall"};
static double wait_s[N_COLL];
static long calls[N_COLL];

/* Allreduce by element count: the first MAX_SIZES distinct counts */
enum { MAX_SIZES = 16 };
static int size_count[MAX_SIZES];
static double size_wait[MAX_SIZES];
static int n_sizes;

static void add(int c, double t0) { wait_s[c] += PMPI_Wtime() - t0, calls[c]++; }

/* The body of every wrapper but Allreduce's: call, time, count. */
#define TIMED(coll, call)          \
    do {                           \
        double t0_ = PMPI_Wtime(); \
        int rc_ = (call);          \
        add(coll, t0_);            \
        return rc_;                \
    } while (0)

static void add_size(int count, double w)
{
    for (int i = 0; i < n_sizes; i++)
        if (size_count[i] == count) {
            size_wait[i] += w;
            return;
        }
    if (n_sizes < MAX_SIZES) size_count[n_sizes] = count, size_wait[n_sizes++] = w;
}

int MPI_Allreduce(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm comm)
{
    double t0 = PMPI_Wtime();
    int rc = PMPI_Allreduce(s, r, n, t, op, comm);
    add_size(n, PMPI_Wtime() - t0);
    add(ALLREDUCE, t0);
    return rc;
}

int MPI_Allgather(const void *s, int sn, MPI_Datatype st, void *r, int rn, MPI_Datatype rt, MPI_Comm comm)
{
    TIMED(ALLGATHER, PMPI_Allgather(s, sn, st, r, rn, rt, comm));
}

int MPI_Allgatherv(const void *s, int sn, MPI_Datatype st, void *r, const int *rn, const int *rd, MPI_Datatype rt,
                   MPI_Comm comm)
{
    TIMED(ALLGATHERV, PMPI_Allgatherv(s, sn, st, r, rn, rd, rt, comm));
}

int MPI_Alltoall(const void *s, int sn, MPI_Datatype st, void *r, int rn, MPI_Datatype rt, MPI_Comm comm)
{
    TIMED(ALLTOALL, PMPI_Alltoall(s, sn, st, r, rn, rt, comm));
}

int MPI_Alltoallv(const void *s, const int *sn, const int *sd, MPI_Datatype st, void *r, const int *rn, const int *rd,
                  MPI_Datatype rt, MPI_Comm comm)
{
    TIMED(ALLTOALLV, PMPI_Alltoallv(s, sn, sd, st, r, rn, rd, rt, comm));
}

int MPI_Bcast(void *b, int n, MPI_Datatype t, int root, MPI_Comm comm) { TIMED(BCAST, PMPI_Bcast(b, n, t, root, comm)); }

int MPI_Gatherv(const void *s, int sn, MPI_Datatype st, void *r, const int *rn, const int *rd, MPI_Datatype rt, int root,
                MPI_Comm comm)
{
    TIMED(GATHERV, PMPI_Gatherv(s, sn, st, r, rn, rd, rt, root, comm));
}

int MPI_Gather(const void *s, int sn, MPI_Datatype st, void *r, int rn, MPI_Datatype rt, int root, MPI_Comm comm)
{
    TIMED(GATHER, PMPI_Gather(s, sn, st, r, rn, rt, root, comm));
}

int MPI_Reduce(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, int root, MPI_Comm comm)
{
    TIMED(REDUCE, PMPI_Reduce(s, r, n, t, op, root, comm));
}

int MPI_Barrier(MPI_Comm comm) { TIMED(BARRIER, PMPI_Barrier(comm)); }

/* the non-blocking collectives' wait (k-means++'s Iexscan + Iallreduce; MPI-IO's own too) */
int MPI_Waitall(int n, MPI_Request *req, MPI_Status *st) { TIMED(WAITALL, PMPI_Waitall(n, req, st)); }

int MPI_Exscan(const void *s, void *r, int n, MPI_Datatype t, MPI_Op op, MPI_Comm comm)
{
    TIMED(EXSCAN, PMPI_Exscan(s, r, n, t, op, comm));
}

/* One rank's figures, as rank 0 receives them. */
typedef struct stats {
    double wait_s[N_COLL], size_wait[MAX_SIZES];
    long calls[N_COLL];
    int size_count[MAX_SIZES], n_sizes;
} stats;

static void print_rank(int r, const stats *s)
{
    for (int c = 0; c < N_COLL; c++) {
        if (!s->calls[c]) continue;
        printf("wait_s.%s.rank%d: %.6f\n", names[c], r, s->wait_s[c]);
        printf("calls.%s.rank%d: %ld\n", names[c], r, s->calls[c]);
    }
    for (int i = 0; i < s->n_sizes; i++) printf("wait_s.allreduce_%d.rank%d: %.6f\n", s->size_count[i], r, s->size_wait[i]);
}

int MPI_Finalize(void)
{
    int rank, p;
    PMPI_Comm_rank(MPI_COMM_WORLD, &rank);
    PMPI_Comm_size(MPI_COMM_WORLD, &p);
    stats mine;
    memset(&mine, 0, sizeof mine);
    memcpy(mine.wait_s, wait_s, sizeof wait_s), memcpy(mine.calls, calls, sizeof calls);
    memcpy(mine.size_wait, size_wait, sizeof size_wait), memcpy(mine.size_count, size_count, sizeof size_count);
    mine.n_sizes = n_sizes;
    stats other;
    for (int r = 0; r < p; r++) {
        if (r == 0 && rank == 0)
            print_rank(0, &mine);
        else if (rank == 0) {
            PMPI_Recv(&other, (int)sizeof other, MPI_BYTE, r, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            print_rank(r, &other);
        } else if (rank == r)
            PMPI_Send(&mine, (int)sizeof mine, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
    }
    fflush(stdout);
    return PMPI_Finalize();
}
