/* exchange: the collectives the driver needs beyond plain MPI calls —
 * an all-to-all of byte buffers of any size (counts past 2 GiB go in
 * rounds), gathering/broadcasting string tables, and reducing Welford
 * summaries. */
#ifndef LE_EXCHANGE_H
#define LE_EXCHANGE_H

#include <mpi.h>
#include <stddef.h>
#include <stdint.h>

#include "callpath.h"
#include "countmap.h"

/* Largest piece sent to one peer in one MPI call, and the most a gather or
 * an allreduce moves in one call (must stay under INT_MAX; tests lower it
 * to exercise the rounds). Open MPI 4.1 has no MPI-4 large counts (the _c
 * calls): counts and offsets past an int go in rounds through these
 * helpers. */
extern uint64_t le_exchange_round_bytes;

/* Send send[displ[r] .. displ[r]+count[r]) to rank r. On return *recv
 * (allocated) holds what every rank sent here, ordered by source rank, and
 * rcount[r] (caller array of size p) how many bytes came from r. */
int le_alltoallv_bytes(MPI_Comm comm, const char *send, const uint64_t *count, char **recv, uint64_t *rcount,
                       uint64_t *rtotal);

/* Broadcast a byte buffer of any size from root (allocating it elsewhere;
 * on failure freed there again, while root's stays its caller's). */
int le_bcast_bytes(MPI_Comm comm, char **buf, uint64_t *len, int root);

/* Gather variable-length byte buffers to root: on root *out holds all of
 * them concatenated in rank order (allocated), others get NULL and 0. Any sizes:
 * past le_exchange_round_bytes in all it goes in rounds. */
int le_gather_bytes(MPI_Comm comm, const char *buf, uint64_t len, char **out, uint64_t *out_len, int root);

/* The union of every rank's 64-bit ids mine [n] (any order, repeats
 * allowed), sorted and without repeats, on every rank: *out allocated,
 * *n_out its length. `what` names the ids in the error message. */
int le_allgather_unique_u64(MPI_Comm comm, const uint64_t *mine, int64_t n, uint64_t **out, int64_t *n_out,
                            const char *what);

/* Every rank's n elements of `type` at mine, appended in rank order to
 * *buf on every rank: the counts go round first (MPI_Allgather), then the
 * elements (MPI_Allgatherv). *len (elements in *buf) grows by the sum over
 * the ranks; *cap (elements) and *buf grow to fit (NULL, 0, 0 for a new
 * buffer, which is then allocated even when empty). Counts and offsets of
 * any size: past le_exchange_round_bytes in all it goes in rounds (an
 * Allgatherv each, at most that many bytes, through a buffer of that
 * size). `what` names the elements (kept for callers' messages). */
int le_allgatherv_append(MPI_Comm comm, const void *mine, int64_t n, MPI_Datatype type, void **buf, int64_t *len,
                         int64_t *cap, const char *what);

/* MPI_Allreduce in place of n elements of any count: in pieces of at most
 * le_exchange_round_bytes (one call below it, as a plain Allreduce). The
 * ranks must pass the same n. */
int le_allreduce_big(MPI_Comm comm, void *buf, int64_t n, MPI_Datatype type, MPI_Op op);

/* *before = the sum of `mine` over the ranks below this one (0 on rank 0),
 * *total = over all: an Exscan and an Allreduce started together, so they
 * cost about one collective's latency. */
int le_prefix_and_total(MPI_Comm comm, int64_t mine, int64_t *before, int64_t *total);

/* Every rank's w[0..n) merged by Chan's formula in rank order (a
 * non-commutative MPI_Op: a reduction tree, so O(n) memory and log p steps
 * whatever p; the grouping may round differently at different rank
 * counts). */
int le_allreduce_welford(MPI_Comm comm, le_welford *w, int64_t n);

/* The sum over the ranks of sparse counts: on entry *v [*n] this rank's
 * pairs (any order, keys may repeat); on return, on every rank, every key
 * any rank had, once, sorted, with the sum of its counts (*v reallocated).
 * A binomial tree of merges to rank 0, then a broadcast: memory per rank is
 * the distinct keys of its subtree, never ranks x keys, and the integer sums
 * are the same at any rank count. */
int le_allreduce_pairs(MPI_Comm comm, le_kc **v, int64_t *n);

#endif
