/* kmeans_dist: k-means over rows spread across ranks (algos/kmeans.h does
 * the local math). k-means|| initialisation, Lloyd iterations with one
 * allreduce of [sums | counts | changed] each, empty clusters re-seeded
 * with the farthest row, and each centroid's representative found by a
 * MINLOC-style reduction. Before any of it, rows move to neighbouring ranks
 * until every rank has about the same work (rowbalance.h): a row costs its
 * length, and shards rich in abnormal traces have the long rows.
 *
 * Rank-count independence: every rank holds rows in ascending global index
 * and the ranks' ranges follow each other, so "concatenate in rank order"
 * is "global order", and every random draw is keyed by a row's global
 * index. Sums of rows and of squared distances are fixed point (kmeans.h,
 * LE_KM_FIX), exact in any order, so the centroids and the picks are the
 * same at any rank count; only the reported inertia is a float sum. */
#ifndef LE_KMEANS_DIST_H
#define LE_KMEANS_DIST_H

#include <mpi.h>
#include <stdint.h>

typedef struct le_kmd_opts {
    int k;
    uint64_t seed;
    int max_iter;       /* Lloyd iterations at most (default 100) */
    double tol_changed; /* stop when at most this share of rows changed cluster (default 0) */
    int rounds;         /* k-means|| rounds (default 5) */
    double oversample;  /* expected candidates per round, in units of k (default 2) */
} le_kmd_opts;

typedef struct le_kmd_result {
    float *centroids; /* [k x d], caller frees */
    int iterations;
    int reseeded;       /* empty clusters re-seeded over all iterations */
    int64_t candidates; /* k-means|| candidates */
    double inertia;     /* summed squared distance at the last assignment */
    double seconds_init, seconds_lloyd;
} le_kmd_result;

void le_kmd_defaults(le_kmd_opts *o, int k, uint64_t seed);

/* Collective. x [n x d] are this rank's rows, gidx their global indices. */
int le_kmeans_dist(MPI_Comm comm, const float *x, const int64_t *gidx, int64_t n, int d, const le_kmd_opts *o,
                   le_kmd_result *r);

/* Collective. Assigns rows x [n x d] (global indices gidx[i], or first + i
 * when gidx is NULL) to the k
 * centroids: size[j] = rows of cluster j over all ranks; rep[j] = the global
 * index of the member of cluster j nearest its centroid (smallest index on a
 * tie), -1 for a cluster without members. assign (may be NULL) gets each
 * local row's cluster, d2 (may be NULL) its squared distance. */
int le_kmeans_assign_reps(MPI_Comm comm, const float *x, const int64_t *gidx, int64_t first, int64_t n, int d,
                          const float *c, int k, int64_t *size, int64_t *rep, int32_t *assign, float *d2);

/* The same a chunk of rows at a time, for rows never held at once:
 * le_km_reps_begin, le_km_reps_add for each chunk in ascending global
 * order (rows x [n x d], global indices gidx[i] or first + i; assign and d2
 * as above, of the chunk's rows), then le_km_reps_end (collective) for size
 * and rep; it frees the accumulator. Chunks of whole LE_KM_BLOCK rows (the
 * last may be shorter) give each row the centroid one call gives it, bit
 * for bit, and so the same sizes and representatives (same tie rule). */
typedef struct le_km_reps {
    int k, d;
    const float *c;
    float *cnorm, *reach, *work;
    double *best, *czero;
    int64_t *size, *rep; /* this rank's so far */
} le_km_reps;
void le_km_reps_begin(le_km_reps *a, const float *c, int k, int d);
void le_km_reps_add(le_km_reps *a, const float *x, const int64_t *gidx, int64_t first, int64_t n, int32_t *assign,
                    float *d2);
int le_km_reps_end(MPI_Comm comm, le_km_reps *a, int64_t *size, int64_t *rep);

#endif
