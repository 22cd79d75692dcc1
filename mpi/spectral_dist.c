#include "spectral_dist.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "comm.h"
#include "exchange.h"
#include "le_base.h"
#include "scalapack_proto.h"

/* ---- the reductions algos/spectral.c sums through ---- */

static int allreduce(void *buf, int64_t n, MPI_Datatype type, MPI_Op op, void *ctx)
{
    return le_allreduce_big(*(MPI_Comm *)ctx, buf, n, type, op);
}
static int sum_i64(int64_t *buf, int64_t n, void *ctx) { return allreduce(buf, n, MPI_INT64_T, MPI_SUM, ctx); }
static int max_f64(double *buf, int64_t n, void *ctx) { return allreduce(buf, n, MPI_DOUBLE, MPI_MAX, ctx); }
static int min_i64(int64_t *buf, int64_t n, void *ctx) { return allreduce(buf, n, MPI_INT64_T, MPI_MIN, ctx); }

/* ---- hybrid selection: the candidates reach every rank ---- */

/* Every rank's sampled rows, in global order (ranks hold consecutive
 * slices in rank order, so rank order is global order). */
static int gather_candidates(MPI_Comm comm, const float *x, int64_t n, int64_t first_global, int dim, double prob,
                             uint64_t seed, float **cand, int64_t *m)
{
    float *mine = le_malloc(sizeof(float) * (size_t)(n > 0 ? n : 1) * dim);
    int64_t k = 0;
    for (int64_t i = 0; i < n; i++)
        if (le_spec_is_candidate(seed, first_global + i, prob))
            memcpy(mine + k++ * dim, x + i * dim, sizeof(float) * (size_t)dim);
    void *all = NULL;
    int64_t total = 0, cap = 0;
    int rc = le_allgatherv_append(comm, mine, k * dim, MPI_FLOAT, &all, &total, &cap, "spectral candidate floats");
    *cand = all;
    *m = total / dim;
    free(mine);
    return rc;
}

/* ---- the eigenproblem on a BLACS grid ---- */

/* The most square grid nprow x npcol = size with nprow <= npcol. */
static void grid_shape(int size, int *nprow, int *npcol)
{
    int r = (int)sqrt((double)size);
    while (r > 1 && size % r) r--;
    *nprow = r, *npcol = size / r;
}

typedef struct blacs_grid {
    MPI_Comm comm; /* BLACS' own duplicate of the caller's */
    int handle, context, nprow, npcol, myrow, mycol;
} blacs_grid;

/* BLACS and ScaLAPACK ignore MPI's return codes (BI_Ssend drops MPI_Send's),
 * so on the communicators they make from this one an error must stay
 * fatal: under the MPI_ERRORS_RETURN they would inherit from the caller's,
 * it would pass unseen and leave wrong eigenvectors. */
static int fatal_dup(MPI_Comm comm, MPI_Comm *dup)
{
    LE_MPI(MPI_Comm_dup(comm, dup));
    int rc = LE_MPI_RC(MPI_Comm_set_errhandler(*dup, MPI_ERRORS_ARE_FATAL));
    if (rc) LE_MPI(MPI_Comm_free(dup));
    return rc;
}

static int grid_open(MPI_Comm comm, blacs_grid *g)
{
    int size;
    LE_MPI(MPI_Comm_size(comm, &size));
    grid_shape(size, &g->nprow, &g->npcol);
    LE_CHECK(fatal_dup(comm, &g->comm));
    g->handle = Csys2blacs_handle(g->comm);
    g->context = g->handle;
    Cblacs_gridinit(&g->context, "Row", g->nprow, g->npcol);
    int nprow, npcol;
    Cblacs_gridinfo(g->context, &nprow, &npcol, &g->myrow, &g->mycol);
    /* Every rank must have a place: the grid covers the whole comm. */
    if (g->myrow < 0 || g->mycol < 0 || nprow != g->nprow || npcol != g->npcol) {
        Cfree_blacs_system_handle(g->handle);
        LE_MPI(MPI_Comm_free(&g->comm));
        return le_fail(LE_ERR_INTERNAL, "spectral: BLACS grid %d x %d not formed (got %d x %d, me %d,%d)", g->nprow,
                       g->npcol, nprow, npcol, g->myrow, g->mycol);
    }
    return 0;
}

static int grid_close(blacs_grid *g)
{
    Cblacs_gridexit(g->context);
    Cfree_blacs_system_handle(g->handle);
    LE_MPI(MPI_Comm_free(&g->comm));
    return 0;
}

/* ScaLAPACK's distribution: block size of the p x p matrix. Small blocks
 * spread a p of a few hundred over every rank; 64 is the usual ceiling. */
static int block_size(int p, int nprow, int npcol)
{
    int most = nprow > npcol ? nprow : npcol, nb = p / most;
    return nb < 8 ? 8 : nb > 64 ? 64 : nb;
}

/* A block-cyclic local matrix: rows x cols, column-major, lld. */
typedef struct local_mat {
    int nb, rows, cols, lld, desc[9];
    double *a;
} local_mat;

static int local_init(const blacs_grid *g, int p, local_mat *L)
{
    int zero = 0, info = 0;
    L->nb = block_size(p, g->nprow, g->npcol);
    L->rows = numroc_(&p, &L->nb, &g->myrow, &zero, &g->nprow);
    L->cols = numroc_(&p, &L->nb, &g->mycol, &zero, &g->npcol);
    L->lld = L->rows > 1 ? L->rows : 1;
    descinit_(L->desc, &p, &p, &L->nb, &L->nb, &zero, &zero, &g->context, &L->lld, &info);
    if (info) return le_fail(LE_ERR_INTERNAL, "spectral: descinit for %d x %d, block %d: info %d", p, p, L->nb, info);
    L->a = le_calloc((size_t)L->lld * (L->cols > 0 ? L->cols : 1), sizeof(double));
    return 0;
}

/* Global (0-based) row / column of local index l (0-based). */
static int global_of(int l, int nb, int me, int nprocs)
{
    int zero = 0, l1 = l + 1;
    return indxl2g_(&l1, &nb, &me, &zero, &nprocs) - 1;
}

/* Every rank holds all of E (the allreduce made it so) and copies in the
 * blocks the grid gives it. */
static void scatter_to_local(const double *E, int p, const blacs_grid *g, local_mat *L)
{
    for (int jl = 0; jl < L->cols; jl++) {
        int gj = global_of(jl, L->nb, g->mycol, g->npcol);
        for (int il = 0; il < L->rows; il++)
            L->a[il + (int64_t)jl * L->lld] = E[(int64_t)global_of(il, L->nb, g->myrow, g->nprow) * p + gj];
    }
}

/* Columns c0 .. c0+k-1 of the distributed Z to every rank: each entry
 * lives on one rank, the rest add zeros, so one sum is exact. */
static int gather_columns(MPI_Comm comm, const local_mat *Z, int p, int c0, int k, const blacs_grid *g, double *V)
{
    memset(V, 0, sizeof(double) * (size_t)p * k);
    for (int jl = 0; jl < Z->cols; jl++) {
        int gj = global_of(jl, Z->nb, g->mycol, g->npcol) - c0;
        if (gj < 0 || gj >= k) continue;
        for (int il = 0; il < Z->rows; il++)
            V[(int64_t)gj * p + global_of(il, Z->nb, g->myrow, g->nprow)] = Z->a[il + (int64_t)jl * Z->lld];
    }
    return allreduce(V, (int64_t)p * k, MPI_DOUBLE, MPI_SUM, &comm);
}

/* All eigenpairs of A into w (ascending) and Z. pdsyevd, not pdsyevr:
 * Debian's 2.2.1 pdsyevr with a partial range prints "PDORMTR parameter
 * number 16 had an illegal value" and returns info 0 with the
 * eigenvectors left untransformed even with 10^7 words of LWORK, which
 * the one-process comparison in tests/mpi/test_spectral.c catches. For p
 * in the thousands all pairs cost little more than k of them. */
static int run_pdsyevd(local_mat *A, local_mat *Z, int p, double *w)
{
    int one = 1, info = 0, lwork = -1, liwork = -1, iq = 0;
    double q = 0;
    pdsyevd_("V", "U", &p, A->a, &one, &one, A->desc, w, Z->a, &one, &one, Z->desc, &q, &lwork, &iq, &liwork, &info);
    if (info) return le_fail(LE_ERR_INTERNAL, "spectral: pdsyevd workspace query: info %d", info);
    /* The query answers too little for the back-transformation on a
     * 2-D grid (PDORMTR then rejects its LWORK, prints, and leaves the
     * eigenvectors untransformed with info 0): add PDORMTR's own bound,
     * (local rows + local cols) x nb + nb^2, at its largest. */
    lwork = (int)q + (2 * p + A->nb) * A->nb + 1, liwork = iq > 0 ? iq : 1;
    double *work = le_malloc(sizeof(double) * (size_t)lwork);
    int *iwork = le_malloc(sizeof(int) * (size_t)liwork);
    pdsyevd_("V", "U", &p, A->a, &one, &one, A->desc, w, Z->a, &one, &one, Z->desc, work, &lwork, iwork, &liwork, &info);
    free(work), free(iwork);
    return info ? le_fail(LE_ERR_INTERNAL, "spectral: pdsyevd on %d x %d: info %d", p, p, info) : 0;
}

/* Top k eigenpairs of E (p x p, on every rank) by pdsyevd over all ranks:
 * lambda[k] descending and V[p x k] column-major, the same on every rank. */
static int top_eigen_scalapack(MPI_Comm comm, const double *E, int p, int k, double *lambda, double *V)
{
    blacs_grid g;
    LE_CHECK(grid_open(comm, &g));
    local_mat A = {0}, Z = {0};
    double *w = le_malloc(sizeof(double) * (size_t)p);
    double *Vasc = le_malloc(sizeof(double) * (size_t)p * k);
    int rc = local_init(&g, p, &A);
    if (!rc) rc = local_init(&g, p, &Z);
    if (!rc) {
        scatter_to_local(E, p, &g, &A);
        rc = run_pdsyevd(&A, &Z, p, w);
    }
    if (!rc) rc = gather_columns(comm, &Z, p, p - k, k, &g, Vasc);
    /* Eigenvalues come ascending; the method wants the largest first. */
    for (int c = 0; !rc && c < k; c++) {
        lambda[c] = w[p - 1 - c];
        memcpy(V + (int64_t)c * p, Vasc + (int64_t)(k - 1 - c) * p, sizeof(double) * (size_t)p);
    }
    free(A.a), free(Z.a), free(w), free(Vasc);
    int crc = grid_close(&g);
    return rc ? rc : crc;
}

/* ---- the driver ---- */

/* The slices must be consecutive in rank order: the candidates are
 * gathered in rank order and taken as global order. */
static int check_layout(MPI_Comm comm, int64_t n_local, int64_t first_global, int64_t *n_total)
{
    int64_t before = 0, bad;
    int rank;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    LE_MPI(MPI_Exscan(&n_local, &before, 1, MPI_INT64_T, MPI_SUM, comm));
    if (rank == 0) before = 0;
    bad = before != first_global || n_local < 0;
    *n_total = n_local;
    LE_CHECK(allreduce(&bad, 1, MPI_INT64_T, MPI_MAX, &comm));
    LE_CHECK(allreduce(n_total, 1, MPI_INT64_T, MPI_SUM, &comm));
    if (bad)
        return le_fail(LE_ERR_USAGE,
                       "spectral: ranks must hold consecutive rows in rank order (rank %d starts at %lld, expected %lld)",
                       rank, (long long)first_global, (long long)before);
    return 0;
}

/* Each step sees the same inputs on every rank, so a failure is the same
 * on every rank except where noted; le_spectral_select agrees at the end. */
static int select_steps(MPI_Comm comm, const float *x, int64_t n, int64_t first, int dim, int k, int p, int r, uint64_t seed,
                        int64_t *rep_index, int64_t *cluster_size, int32_t *assign, le_spectral_report *report)
{
    int rank, size;
    LE_MPI(MPI_Comm_rank(comm, &rank));
    LE_MPI(MPI_Comm_size(comm, &size));
    le_spec_reduce red = {sum_i64, max_f64, min_i64, &comm, rank, size};
    double t0 = MPI_Wtime(), t[LE_SPEC_NT] = {0};
    int64_t n_total, m;
    float *cand = NULL;
    LE_CHECK(check_layout(comm, n, first, &n_total));
    double prob = le_spec_sample_prob(n_total, p > 0 ? p : LE_SPEC_DEFAULT_P);
    LE_CHECK(gather_candidates(comm, x, n, first, dim, prob, seed, &cand, &m));
    int rc = le_spec_check_sizes(n_total, m, k, &p, &r);
    if (rc) {
        free(cand);
        return rc;
    }
    le_spec_work w;
    le_spec_work_alloc(&w, n, dim, p, k);
    int32_t *own = assign ? assign : le_malloc(sizeof(int32_t) * (size_t)(n > 0 ? n : 1));
    int iters = 0;
#define STEP(i, call) (rc = (call), t[i] = MPI_Wtime() - t0, t0 = MPI_Wtime(), rc)
    if (!STEP(LE_SPEC_T_ANCHORS, le_spec_anchors(cand, m, dim, p, seed, &red, w.anchors)) &&
        !STEP(LE_SPEC_T_GRAPH, le_spec_build_graph(x, n, n_total, dim, w.anchors, p, r, &red, &w.g)) &&
        !STEP(LE_SPEC_T_EIGEN, top_eigen_scalapack(comm, w.g.E, p, k, w.lambda, w.V)) &&
        !STEP(LE_SPEC_T_EMBED, le_spec_spectral_coords(&w.g, w.V, w.lambda, n, k, seed, w.emb, w.centres)) &&
        !STEP(LE_SPEC_T_KMEANS, le_spec_lloyd(w.emb, n, n_total, first, k, w.centres, &red, own, &iters)))
        rc = le_spec_representatives(x, n, n_total, first, dim, k, &red, own, rep_index, cluster_size);
#undef STEP
    t[LE_SPEC_T_KMEANS] += MPI_Wtime() - t0;
    if (!rc && report) {
        if (report->eigenvalues) memcpy(report->eigenvalues, w.lambda, sizeof(double) * (size_t)k);
        if (report->anchors) memcpy(report->anchors, w.anchors, sizeof(float) * (size_t)p * dim);
        report->p_used = p;
        report->kmeans_iterations = iters;
        rc = allreduce(t, LE_SPEC_NT, MPI_DOUBLE, MPI_MAX, &comm);
        memcpy(report->seconds, t, sizeof t);
    }
    le_spec_work_free(&w);
    if (own != assign) free(own);
    free(cand);
    return rc;
}

int le_spectral_select_report(MPI_Comm comm, const float *x, int64_t n_local, int64_t first_global, int dim, int k,
                              int p_reps, int r_neighbours, uint64_t seed, int64_t *rep_index, int64_t *cluster_size,
                              int32_t *assign, le_spectral_report *report)
{
    int rc = select_steps(comm, x, n_local, first_global, dim, k, p_reps, r_neighbours, seed, rep_index, cluster_size,
                          assign, report);
    /* Agree, so that no caller goes on while another rank failed. */
    return le_agree_on(comm, rc);
}

int le_spectral_select(MPI_Comm comm, const float *x, int64_t n_local, int64_t first_global, int dim, int k, int p_reps,
                       int r_neighbours, uint64_t seed, int64_t *rep_index, int64_t *cluster_size, int32_t *assign)
{
    return le_spectral_select_report(comm, x, n_local, first_global, dim, k, p_reps, r_neighbours, seed, rep_index,
                                     cluster_size, assign, NULL);
}
