#include "triplet.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hash.h"
#include "le_base.h"

uint64_t le_structure_hash(int n, const int32_t *parent, const int32_t *op, uint64_t *scratch)
{
    uint64_t *depth = scratch, *acc = scratch + n;
    for (int i = 0; i < n; i++) {
        depth[i] = parent[i] >= 0 ? depth[parent[i]] + 1 : 0;
        acc[i] = 0;
    }
    /* preorder: children come after their parent, so a reverse sweep finishes
     * every subtree before its parent; a sum makes sibling order irrelevant */
    for (int i = n - 1; i >= 0; i--) {
        uint64_t h = le_mix64(((uint64_t)(uint32_t)op[i] << 20 ^ depth[i]) + 0x9e3779b97f4a7c15ULL) ^ le_mix64(acc[i] + 1);
        acc[i] = h;
        if (parent[i] >= 0) acc[parent[i]] += le_mix64(h);
    }
    return n ? acc[0] : 0;
}

static double norm(int d, const float *x)
{
    double s = 1e-12;
    for (int k = 0; k < d; k++) s += (double)x[k] * x[k];
    return sqrt(s);
}

static double dot(int d, const float *x, const float *y)
{
    double s = 0;
    for (int k = 0; k < d; k++) s += (double)x[k] * y[k];
    return s;
}

/* d(cos)/dx = y/(|x||y|) − cos·x/|x|²;  dx += g·that */
static void cos_grad(int d, const float *x, const float *y, double nx, double ny, double cs, double g, float *dx)
{
    for (int k = 0; k < d; k++) dx[k] += (float)(g * (y[k] / (nx * ny) - cs * x[k] / (nx * nx)));
}

double le_triplet_loss(int d, const float *O, int T, const int32_t *trip, float margin, float scale, float *dO, int *correct)
{
    double loss = 0;
    int ok = 0;
    for (int t = 0; t < T; t++) {
        const float *a = O + (size_t)trip[3 * t] * d, *p = O + (size_t)trip[3 * t + 1] * d,
                    *n = O + (size_t)trip[3 * t + 2] * d;
        double na = norm(d, a), np = norm(d, p), nn = norm(d, n);
        double cap = dot(d, a, p) / (na * np), can = dot(d, a, n) / (na * nn);
        double dap = 1 - cap, dan = 1 - can;
        ok += dap < dan;
        double l = dap - dan + margin;
        if (l <= 0) continue;
        loss += scale * l;
        if (!dO) continue;
        /* dL/dcap = −scale, dL/dcan = +scale */
        float *da = dO + (size_t)trip[3 * t] * d, *dp = dO + (size_t)trip[3 * t + 1] * d,
              *dn = dO + (size_t)trip[3 * t + 2] * d;
        cos_grad(d, a, p, na, np, cap, -scale, da);
        cos_grad(d, p, a, np, na, cap, -scale, dp);
        cos_grad(d, a, n, na, nn, can, scale, da);
        cos_grad(d, n, a, nn, na, can, scale, dn);
    }
    if (correct) *correct = ok;
    return loss;
}

static const uint64_t *cmp_hash;
static const float *cmp_lat;
static int by_hash_lat(const void *pa, const void *pb)
{
    int32_t a = *(const int32_t *)pa, b = *(const int32_t *)pb;
    if (cmp_hash[a] != cmp_hash[b]) return cmp_hash[a] < cmp_hash[b] ? -1 : 1;
    if (cmp_lat[a] != cmp_lat[b]) return cmp_lat[a] < cmp_lat[b] ? -1 : 1;
    return a < b ? -1 : a > b;
}

void le_tripwin_build(le_tripwin *w, int32_t n, const uint64_t *hash, const float *lat)
{
    w->n = n;
    size_t sz = sizeof(int32_t) * (size_t)(n ? n : 1);
    w->order = le_malloc(sz), w->pos = le_malloc(sz), w->grp_lo = le_malloc(sz), w->grp_hi = le_malloc(sz);
    w->lat = le_malloc(sizeof(float) * (size_t)n);
    memcpy(w->lat, lat, sizeof(float) * (size_t)n);
    for (int32_t i = 0; i < n; i++) w->order[i] = i;
    cmp_hash = hash, cmp_lat = lat; /* qsort has no context argument in C11 */
    qsort(w->order, (size_t)n, sizeof(int32_t), by_hash_lat);
    for (int32_t lo = 0, hi; lo < n; lo = hi) {
        for (hi = lo + 1; hi < n && hash[w->order[hi]] == hash[w->order[lo]]; hi++) {}
        for (int32_t q = lo; q < hi; q++) w->grp_lo[q] = lo, w->grp_hi[q] = hi;
    }
    for (int32_t q = 0; q < n; q++) w->pos[w->order[q]] = q;
}

void le_tripwin_free(le_tripwin *w)
{
    free(w->order), free(w->pos), free(w->grp_lo), free(w->grp_hi), free(w->lat);
    memset(w, 0, sizeof *w);
}

/* First position in [lo, hi) whose latency is ≥ x (the group is sorted by latency). */
static int32_t lower_bound(const le_tripwin *w, int32_t lo, int32_t hi, float x)
{
    while (lo < hi) {
        int32_t mid = lo + (hi - lo) / 2;
        if (w->lat[w->order[mid]] < x)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int32_t hard_negative(const le_tripwin *w, le_rng *r, int32_t pa, float far)
{
    int32_t lo = w->grp_lo[pa], hi = w->grp_hi[pa];
    float la = w->lat[w->order[pa]];
    int32_t below = lower_bound(w, lo, hi, la - far) - lo; /* positions [lo, lo+below) are far below */
    int32_t above = hi - lower_bound(w, lo, hi, la + far); /* the last `above` are far above */
    if (below + above == 0) return -1;
    uint32_t k = le_rng_below(r, (uint32_t)(below + above));
    return w->order[(int32_t)k < below ? lo + (int32_t)k : hi - above + ((int32_t)k - below)];
}

static int32_t other_structure(const le_tripwin *w, le_rng *r, int32_t pa)
{
    int32_t lo = w->grp_lo[pa], hi = w->grp_hi[pa], rest = w->n - (hi - lo);
    if (rest == 0) return w->order[pa - lo > hi - 1 - pa ? lo : hi - 1]; /* one structure: the latency extreme */
    int32_t k = (int32_t)le_rng_below(r, (uint32_t)rest);
    return w->order[k < lo ? k : k + (hi - lo)];
}

void le_triplet_sample(const le_tripwin *w, le_rng *r, float far, float p_hard, int32_t out[3])
{
    int32_t a = (int32_t)le_rng_below(r, (uint32_t)w->n), pa = w->pos[a];
    int32_t lo = w->grp_lo[pa], hi = w->grp_hi[pa];
    int32_t pp = pa;
    if (hi - lo >= 2) {
        static const int32_t step[4] = {-2, -1, 1, 2};
        pp = pa + step[le_rng_below(r, 4)];
        if (pp < lo) pp = pa + 1 < hi ? pa + 1 : lo;
        if (pp >= hi) pp = pa - 1 >= lo ? pa - 1 : hi - 1;
        if (pp == pa) pp = pa + 1 < hi ? pa + 1 : pa - 1;
    }
    int32_t neg = le_rng_uniform(r) < p_hard ? hard_negative(w, r, pa, far) : -1;
    if (neg < 0) neg = other_structure(w, r, pa);
    out[0] = a, out[1] = w->order[pp], out[2] = neg;
}
