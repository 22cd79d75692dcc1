#include "kmeans_dist.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "exchange.h"
#include "kmeans.h"
#include "rowbalance.h"

void le_kmd_defaults(le_kmd_opts *o, int k, uint64_t seed)
{
    *o = (le_kmd_opts){.k = k, .seed = seed, .max_iter = 100, .tol_changed = 0, .rounds = 5, .oversample = 2};
}

/* Every rank gets the local rows picked[0..m) of every rank, in rank order,
 * appended to cand (grown as needed). Returns the new total in *m_total. */
static int allgather_rows(MPI_Comm comm, const float *x, int d, const int64_t *picked, int64_t m, float **cand,
                          int64_t *m_total, int64_t *cap)
{
    float *send = le_malloc(sizeof(float) * (size_t)(m * d));
    for (int64_t i = 0; i < m; i++) memcpy(send + i * d, x + picked[i] * d, sizeof(float) * (size_t)d);
    void *all = *cand;
    int64_t len = (*m_total) * d;
    int rc = le_allgatherv_append(comm, send, m * d, MPI_FLOAT, &all, &len, cap, "k-means candidates");
    free(send);
    *cand = all;
    if (rc) return rc;
    *m_total = len / d;
    return 0;
}

/* The row with the smallest draw for `domain` over all ranks, as every
 * rank's copy in out [d]. Returns 0; *found = 0 when no rank has rows. */
static int pick_first(MPI_Comm comm, const float *x, const int64_t *gidx, int64_t n, int d, uint64_t seed, float *out)
{
    int rank;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    struct {
        double u;
        int rank;
    } best = {2.0, rank};
    int64_t li = -1;
    for (int64_t i = 0; i < n; i++) {
        double u = le_km_uniform(seed, (uint64_t)gidx[i], LE_KM_DRAW_FIRST, 0);
        if (u < best.u) best.u = u, li = i;
    }
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &best, 1, MPI_DOUBLE_INT, MPI_MINLOC, comm));
    if (rank == best.rank) memcpy(out, x + li * d, sizeof(float) * (size_t)d);
    LE_MPI(MPI_Bcast(out, d, MPI_FLOAT, best.rank, comm));
    return 0;
}

/* d2[i] = min(d2[i], squared distance to the candidates c [m x d]). */
static void lower_d2(const float *x, const int32_t *len, const float *xnorm, int64_t n, int d, const float *c, int64_t m,
                     float *work, int32_t *tmp_assign, float *tmp_d2, float *d2)
{
    if (m == 0) return; /* a round that added no candidate: le_km_nearest needs k >= 1 */
    float *cnorm = le_malloc(sizeof(float) * (size_t)m);
    le_km_row_norms(c, m, d, cnorm);
    le_km_nearest_len(x, len, xnorm, n, d, c, cnorm, (int)m, work, tmp_assign, tmp_d2);
    for (int64_t i = 0; i < n; i++)
        if (tmp_d2[i] < d2[i]) d2[i] = tmp_d2[i];
    free(cnorm);
}

/* This rank's integer weights of draw c (kmeans.h) into q, the sum of the
 * slices before its own (*before) and of all (*total). */
static int pp_weights(MPI_Comm comm, const double *w, const double *near, int64_t lo, int64_t hi, int by_weight,
                      double scale, int64_t *q, int64_t *before, int64_t *total)
{
    return le_prefix_and_total(comm, le_km_pp_slice_weights(w, near, lo, hi, by_weight, scale, q), before, total);
}

/* Weighted k-means++ on the m candidates every rank holds, as
 * le_km_pp_weighted, split: rank r keeps near[] of its slice of the
 * candidates and draws with integer weights (kmeans.h), so a pick costs two
 * collective latencies of one number each — the prefix and total of the
 * slice sums (exact: the same draw at any rank count), then the index from
 * the rank whose slice holds the draw, with the largest weight riding along
 * as the next pick's scale bound — and no rank touches more than its slice. */
static int pp_split(MPI_Comm comm, const float *cand, const double *w, int64_t m, int d, int k, uint64_t seed,
                    float *centers)
{
    int p, rank;
    LE_MPI(MPI_Comm_size(comm, &p));
    LE_MPI(MPI_Comm_rank(comm, &rank));
    int64_t lo = m * rank / p, hi = m * (rank + 1) / p;
    size_t mm = (size_t)(m ? m : 1);
    double *near = le_malloc(sizeof(double) * mm);
    int64_t *q = le_malloc(sizeof(int64_t) * mm);
    int32_t *len = le_malloc(sizeof(int32_t) * mm); /* of the own slice only */
    le_km_row_lengths(cand + lo * d, hi - lo, d, len + lo);
    int rc = 0;
    double bound = 0; /* the largest w near of the previous pick: near only shrinks */
    for (int c = 0; c < k && !rc; c++) {
        if (c == 1) { /* the first distances: no earlier bound */
            bound = le_km_pp_slice_max(w, near, lo, hi);
            if ((rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &bound, 1, MPI_DOUBLE, MPI_MAX, comm)))) break;
        }
        int64_t before, total;
        double scale = c ? le_km_pp_scale(bound, m) : 0;
        if ((rc = pp_weights(comm, w, near, lo, hi, c == 0, scale, q, &before, &total))) break;
        if (total <= 0 && (rc = pp_weights(comm, w, near, lo, hi, 1, 0, q, &before, &total)))
            break; /* fewer distinct candidates than k */
        /* [the index, -1 off the owner; this pick's largest w near]: the
         * index is exact in a double below 2^53 candidates, far past any
         * set a rank holds whole */
        double both[2] = {(double)le_km_pp_find(q, lo, hi, before, le_km_pp_target(total, c, seed)),
                          c ? le_km_pp_slice_max(w, near, lo, hi) : 0};
        if ((rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, both, 2, MPI_DOUBLE, MPI_MAX, comm)))) break;
        int64_t pick = (int64_t)both[0];
        if (c) bound = both[1];
        float *cc = centers + (int64_t)c * d;
        memcpy(cc, cand + pick * d, sizeof(float) * (size_t)d);
        if (c + 1 == k) break;
        int32_t lc;
        le_km_row_lengths(cc, 1, d, &lc);
        le_km_pp_lower(cand, len, lo, hi, d, cc, lc, c == 0, near);
    }
    free(near), free(q), free(len);
    return rc;
}

/* k-means|| (Bahmani et al.): a first row, then `rounds` rounds that add
 * each row with probability ~ l d2 / phi, then weighted k-means++ on the
 * candidates, weighted by how many rows are nearest each. */
static int init_parallel(MPI_Comm comm, const float *x, const int32_t *len, const float *xnorm, const int64_t *gidx,
                         int64_t n, int d, const le_kmd_opts *o, float *centers, int64_t *n_cand)
{
    int64_t cap = d, m = 1;
    float *cand = le_malloc(sizeof(float) * (size_t)cap), *d2 = NULL, *tmp = NULL, *work = NULL, *cnorm = NULL;
    int32_t *asg = NULL;
    int64_t *picked = NULL;
    double *w = NULL;
    int rc;
    if ((rc = pick_first(comm, x, gidx, n, d, o->seed, cand))) goto cleanup;
    d2 = le_malloc(sizeof(float) * (size_t)n), tmp = le_malloc(sizeof(float) * (size_t)n);
    asg = le_malloc(sizeof(int32_t) * (size_t)n);
    picked = le_malloc(sizeof(int64_t) * (size_t)n);
    int64_t work_cap = (int64_t)LE_KM_BLOCK * (o->k * 8 + 16);
    work = le_malloc(sizeof(float) * (size_t)work_cap);
    for (int64_t i = 0; i < n; i++) d2[i] = FLT_MAX;
    int64_t done = 0; /* candidates already folded into d2 */
    for (int round = 0; round <= o->rounds; round++) {
        int64_t fresh = m - done;
        if ((int64_t)LE_KM_BLOCK * fresh > work_cap) {
            work_cap = (int64_t)LE_KM_BLOCK * fresh;
            work = le_realloc(work, sizeof(float) * (size_t)work_cap);
        }
        lower_d2(x, len, xnorm, n, d, cand + done * d, fresh, work, asg, tmp, d2);
        done = m;
        if (round == o->rounds) break;
        /* fixed point (kmeans.h): the same phi, so the same picks, at any rank count */
        double phi = 0;
        for (int64_t i = 0; i < n; i++) phi += rintf(d2[i] * LE_KM_FIX);
        if ((rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &phi, 1, MPI_DOUBLE, MPI_SUM, comm)))) goto cleanup;
        phi /= LE_KM_FIX;
        int64_t np = le_km_oversample(d2, gidx, n, phi, o->oversample * o->k, o->seed, (uint32_t)round, picked);
        if ((rc = allgather_rows(comm, x, d, picked, np, &cand, &m, &cap))) goto cleanup;
    }
    /* Weights: rows nearest each candidate. */
    if ((int64_t)LE_KM_BLOCK * m > work_cap) work = le_realloc(work, sizeof(float) * (size_t)(LE_KM_BLOCK * m));
    cnorm = le_malloc(sizeof(float) * (size_t)m);
    le_km_row_norms(cand, m, d, cnorm);
    le_km_nearest_len(x, len, xnorm, n, d, cand, cnorm, (int)m, work, asg, tmp);
    w = le_calloc((size_t)m, sizeof(double));
    for (int64_t i = 0; i < n; i++) w[asg[i]] += 1;
    if ((rc = le_allreduce_big(comm, w, m, MPI_DOUBLE, MPI_SUM))) goto cleanup;
    rc = pp_split(comm, cand, w, m, d, o->k, o->seed, centers);
cleanup:
    *n_cand = m;
    free(cand), free(d2), free(tmp), free(asg), free(picked), free(work), free(cnorm), free(w);
    return rc;
}

/* Empty cluster j gets the row farthest from its centroid over all ranks
 * (smallest global index on a tie); that row's d2 drops to 0 so the next
 * empty cluster takes another. Three small allreduces; empties are rare. */
static int reseed_empty(MPI_Comm comm, const float *x, const int64_t *gidx, int64_t n, int d, float *d2, float *cj)
{
    double far = -1;
    for (int64_t i = 0; i < n; i++)
        if (d2[i] > far) far = d2[i];
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &far, 1, MPI_DOUBLE, MPI_MAX, comm));
    int64_t who = INT64_MAX, li = -1;
    for (int64_t i = 0; i < n && who == INT64_MAX; i++)
        if ((double)d2[i] == far) who = gidx[i], li = i;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &who, 1, MPI_INT64_T, MPI_MIN, comm));
    memset(cj, 0, sizeof(float) * (size_t)d);
    if (li >= 0 && gidx[li] == who) memcpy(cj, x + li * d, sizeof(float) * (size_t)d), d2[li] = 0;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, cj, d, MPI_FLOAT, MPI_SUM, comm));
    return 0;
}

/* le_kmeans_dist on rows already spread for even work (len: their lengths). */
static int kmeans_rows(MPI_Comm comm, const float *x, const int32_t *len, const int64_t *gidx, int64_t n, int64_t n_all,
                       int d, const le_kmd_opts *o, le_kmd_result *r)
{
    const int k = o->k;
    size_t nn = (size_t)(n ? n : 1);
    float *xnorm = le_malloc(sizeof(float) * nn), *d2 = le_malloc(sizeof(float) * nn);
    int32_t *assign = le_malloc(sizeof(int32_t) * nn), *prev = le_malloc(sizeof(int32_t) * nn);
    le_km_row_norms(x, n, d, xnorm);
    float *c = le_malloc(sizeof(float) * (size_t)k * d), *cnorm = le_malloc(sizeof(float) * (size_t)k), *work = NULL;
    double *acc = NULL;
    uint8_t *empty = NULL;
    double t0 = MPI_Wtime();
    int rc = init_parallel(comm, x, len, xnorm, gidx, n, d, o, c, &r->candidates);
    if (rc) goto cleanup;
    r->seconds_init = MPI_Wtime() - t0;
    le_km_row_norms(c, k, d, cnorm);

    /* acc = [k*d sums | k counts | rows that changed cluster | inertia] */
    int64_t acc_len = (int64_t)k * d + k + 2;
    acc = le_malloc(sizeof(double) * (size_t)acc_len);
    work = le_malloc(sizeof(float) * (size_t)LE_KM_BLOCK * k);
    empty = le_malloc((size_t)k);
    for (int64_t i = 0; i < n; i++) prev[i] = -1;
    t0 = MPI_Wtime();
    int it;
    for (it = 0; it < o->max_iter; it++) {
        memset(acc, 0, sizeof(double) * (size_t)acc_len);
        acc[acc_len - 1] = le_km_lloyd_local_len(x, len, xnorm, n, d, c, cnorm, k, work, assign, d2, acc);
        double changed = 0;
        for (int64_t i = 0; i < n; i++) changed += assign[i] != prev[i], prev[i] = assign[i];
        acc[acc_len - 2] = changed;
        if ((rc = le_allreduce_big(comm, acc, acc_len, MPI_DOUBLE, MPI_SUM))) goto cleanup;
        r->inertia = acc[acc_len - 1];
        /* Converged: the assignment that produced these centroids is final. */
        if (acc[acc_len - 2] <= o->tol_changed * (double)n_all) break;
        double shift;
        int n_empty = le_km_update(acc, k, d, c, cnorm, empty, &shift);
        for (int j = 0; n_empty && j < k; j++) {
            if (!empty[j]) continue;
            if ((rc = reseed_empty(comm, x, gidx, n, d, d2, c + (int64_t)j * d))) goto cleanup;
            r->reseeded++;
        }
        if (n_empty) le_km_row_norms(c, k, d, cnorm);
    }
    r->iterations = it < o->max_iter ? it + 1 : it;
    r->seconds_lloyd = MPI_Wtime() - t0;
    r->centroids = c, c = NULL;
cleanup:
    free(xnorm), free(d2), free(assign), free(prev), free(c), free(cnorm), free(acc), free(work), free(empty);
    return rc;
}

int le_kmeans_dist(MPI_Comm comm, const float *x, const int64_t *gidx, int64_t n, int d, const le_kmd_opts *o,
                   le_kmd_result *r)
{
    memset(r, 0, sizeof *r);
    int64_t n_all = n;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &n_all, 1, MPI_INT64_T, MPI_SUM, comm));
    if (o->k < 1 || n_all < o->k)
        return le_fail(LE_ERR_USAGE, "k-means: %lld rows cannot make %d clusters", (long long)n_all, o->k);
    int p;
    LE_MPI(MPI_Comm_size(comm, &p));
    int32_t *len = le_malloc(sizeof(int32_t) * (size_t)n);
    le_km_row_lengths(x, n, d, len);
    if (p == 1) {
        int rc = kmeans_rows(comm, x, len, gidx, n, n_all, d, o, r);
        free(len);
        return rc;
    }
    le_rows b;
    int rc = le_rows_balance(comm, x, gidx, len, n, d, &b);
    free(len);
    if (!rc) rc = kmeans_rows(comm, b.x, b.len, b.gidx, b.n, n_all, d, o, r);
    le_rows_free(&b);
    return rc;
}

static int row_is_zero(const float *x, int d)
{
    for (int t = 0; t < d; t++)
        if (x[t] != 0) return 0;
    return 1;
}

void le_km_reps_begin(le_km_reps *a, const float *c, int k, int d)
{
    a->k = k, a->d = d, a->c = c;
    a->cnorm = le_malloc(sizeof(float) * (size_t)(k ? k : 1));
    a->work = le_malloc(sizeof(float) * (size_t)LE_KM_BLOCK * (size_t)(k ? k : 1));
    a->best = le_malloc(sizeof(double) * (size_t)(k ? k : 1));
    a->reach = le_malloc(sizeof(float) * (size_t)(k ? k : 1));
    a->czero = le_malloc(sizeof(double) * (size_t)(k ? k : 1));
    a->size = le_malloc(sizeof(int64_t) * (size_t)(k ? k : 1));
    a->rep = le_malloc(sizeof(int64_t) * (size_t)(k ? k : 1));
    le_km_row_norms(c, k, d, a->cnorm);
    for (int j = 0; j < k; j++) a->size[j] = 0, a->best[j] = DBL_MAX, a->rep[j] = INT64_MAX, a->reach[j] = INFINITY;
    /* A row of zeros (most traces of a real corpus: nothing unusual) is at
     * the same exact distance from its centre as every other: the sum below
     * with x = 0, done once a centre. */
    for (int j = 0; j < k; j++) {
        const float *cj = c + (int64_t)j * d;
        double e = 0;
        for (int t = 0; t < d; t++) e += ((double)0.0f - cj[t]) * ((double)0.0f - cj[t]);
        a->czero[j] = e;
    }
}

void le_km_reps_add(le_km_reps *acc, const float *x, const int64_t *gidx, int64_t first, int64_t n, int32_t *assign,
                    float *d2)
{
    const int d = acc->d;
    size_t nn = (size_t)(n ? n : 1);
    float *xnorm = le_malloc(sizeof(float) * nn), *cnorm = acc->cnorm, *reach = acc->reach;
    int32_t *a = assign ? assign : le_malloc(sizeof(int32_t) * nn);
    float *dd = d2 ? d2 : le_malloc(sizeof(float) * nn);
    le_km_row_norms(x, n, d, xnorm);
    le_km_nearest(x, xnorm, n, d, acc->c, cnorm, acc->k, acc->work, a, dd);
    /* The float distance is within `slack` of the exact one (float sgemm and
     * norms: |error| <= 4 d u (|x|^2 + |c|^2), u = 2^-24; twice that here),
     * so a member whose float distance less its slack exceeds the smallest
     * float distance plus slack in its cluster (over the chunks so far)
     * cannot be the nearest: the exact pass below, a double loop over d for
     * every row before, then visits a handful of rows a cluster, with the
     * same winners. */
    const float ulp_d = 8.0f * (float)d / 16777216.0f;
    for (int64_t i = 0; i < n; i++) {
        float hi = dd[i] + ulp_d * (xnorm[i] + cnorm[a[i]]);
        if (hi < reach[a[i]]) reach[a[i]] = hi;
    }
    for (int64_t i = 0; i < n; i++) {
        int j = a[i];
        acc->size[j]++;
        if (dd[i] - ulp_d * (xnorm[i] + cnorm[j]) > reach[j]) continue;
        /* The sgemm distance of a row depends in its last bits on where the
         * row falls in a block, i.e. on the shard bounds; near-identical
         * members then pick different representatives at different rank
         * counts. The member's own distance, summed in row order in double,
         * does not. */
        const float *xi = x + i * (int64_t)d, *cj = acc->c + (int64_t)j * d;
        double e = 0;
        if (xnorm[i] == 0 && row_is_zero(xi, d))
            e = acc->czero[j];
        else
            for (int t = 0; t < d; t++) e += ((double)xi[t] - cj[t]) * ((double)xi[t] - cj[t]);
        if (e < acc->best[j]) acc->best[j] = e, acc->rep[j] = gidx ? gidx[i] : first + i;
    }
    free(xnorm);
    if (!assign) free(a);
    if (!d2) free(dd);
}

int le_km_reps_end(MPI_Comm comm, le_km_reps *a, int64_t *size, int64_t *rep)
{
    const int k = a->k;
    /* MINLOC in two steps, since MPI has no (double, int64) pair type. */
    memcpy(size, a->size, sizeof(int64_t) * (size_t)k), memcpy(rep, a->rep, sizeof(int64_t) * (size_t)k);
    int rc = le_allreduce_big(comm, size, k, MPI_INT64_T, MPI_SUM);
    double *gbest = le_malloc(sizeof(double) * (size_t)(k ? k : 1));
    memcpy(gbest, a->best, sizeof(double) * (size_t)k);
    if (!rc) rc = le_allreduce_big(comm, gbest, k, MPI_DOUBLE, MPI_MIN);
    for (int j = 0; !rc && j < k; j++)
        if (a->best[j] != gbest[j]) rep[j] = INT64_MAX;
    if (!rc) rc = le_allreduce_big(comm, rep, k, MPI_INT64_T, MPI_MIN);
    for (int j = 0; j < k; j++)
        if (rep[j] == INT64_MAX) rep[j] = -1;
    free(gbest), free(a->cnorm), free(a->work), free(a->best), free(a->reach), free(a->czero), free(a->size), free(a->rep);
    memset(a, 0, sizeof *a);
    return rc;
}

int le_kmeans_assign_reps(MPI_Comm comm, const float *x, const int64_t *gidx, int64_t first, int64_t n, int d,
                          const float *c, int k, int64_t *size, int64_t *rep, int32_t *assign, float *d2)
{
    le_km_reps a;
    le_km_reps_begin(&a, c, k, d);
    le_km_reps_add(&a, x, gidx, first, n, assign, d2);
    return le_km_reps_end(comm, &a, size, rep);
}
