/* rng: a counter-based random generator (Philox4x32-10, Salmon et al.,
 * SC'11) and the few distributions the synthetic corpus draws from. No MPI.
 *
 * Why counter-based: the n-th number of a stream is a pure function of
 * (key, stream id, n), so a rank can start at trace 10^9 without stepping
 * through what came before, and the corpus is the same at any rank count.
 * A stream is named by a 64-bit id (e.g. a trace index) and a 32-bit domain
 * (what the numbers are for), keyed by the 64-bit seed; the counter within
 * the stream is the third word of the Philox counter. */
#ifndef LE_RNG_H
#define LE_RNG_H

#include <math.h>
#include <stdint.h>

#define LE_PHILOX_M0 0xD2511F53u
#define LE_PHILOX_M1 0xCD9E8D57u
#define LE_PHILOX_W0 0x9E3779B9u
#define LE_PHILOX_W1 0xBB67AE85u

static inline void le_philox_round(uint32_t c[4], const uint32_t k[2])
{
    uint64_t p0 = (uint64_t)LE_PHILOX_M0 * c[0];
    uint64_t p1 = (uint64_t)LE_PHILOX_M1 * c[2];
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    uint32_t n0 = hi1 ^ c[1] ^ k[0], n2 = hi0 ^ c[3] ^ k[1];
    c[0] = n0;
    c[1] = lo1;
    c[2] = n2;
    c[3] = lo0;
}

/* Philox4x32 with 10 rounds: out = bijection_key(ctr). */
static inline void le_philox4x32_10(const uint32_t ctr[4], const uint32_t key[2], uint32_t out[4])
{
    uint32_t c[4] = {ctr[0], ctr[1], ctr[2], ctr[3]};
    uint32_t k[2] = {key[0], key[1]};
    for (int r = 0; r < 10; r++) {
        le_philox_round(c, k);
        k[0] += LE_PHILOX_W0;
        k[1] += LE_PHILOX_W1;
    }
    out[0] = c[0], out[1] = c[1], out[2] = c[2], out[3] = c[3];
}

typedef struct le_rng {
    uint32_t key[2];
    uint32_t ctr[4]; /* id low, id high, draw counter, domain */
    uint32_t buf[4];
    int avail; /* words of buf not yet used */
} le_rng;

static inline void le_rng_init(le_rng *r, uint64_t seed, uint64_t id, uint32_t domain)
{
    r->key[0] = (uint32_t)seed, r->key[1] = (uint32_t)(seed >> 32);
    r->ctr[0] = (uint32_t)id, r->ctr[1] = (uint32_t)(id >> 32);
    r->ctr[2] = 0, r->ctr[3] = domain;
    r->avail = 0;
}

static inline uint32_t le_rng_u32(le_rng *r)
{
    if (!r->avail) {
        le_philox4x32_10(r->ctr, r->key, r->buf);
        r->ctr[2]++;
        r->avail = 4;
    }
    return r->buf[4 - r->avail--];
}

static inline uint64_t le_rng_u64(le_rng *r)
{
    uint64_t hi = le_rng_u32(r);
    return hi << 32 | le_rng_u32(r);
}

/* Uniform in [0, 1) with 53 random bits. */
static inline double le_rng_uniform(le_rng *r) { return (double)(le_rng_u64(r) >> 11) * 0x1.0p-53; }

/* Uniform in (0, 1]: safe under log(). */
static inline double le_rng_uniform_pos(le_rng *r) { return 1.0 - le_rng_uniform(r); }

static inline int le_rng_bernoulli(le_rng *r, double p) { return le_rng_uniform(r) < p; }

/* Standard normal by Box-Muller; one value per call (the second is dropped
 * so that the number of draws a caller makes never depends on history). */
static inline double le_rng_normal(le_rng *r)
{
    double u = le_rng_uniform_pos(r), v = le_rng_uniform(r);
    return sqrt(-2.0 * log(u)) * cos(6.283185307179586 * v);
}

/* Lognormal with the given median and shape sigma. */
static inline double le_rng_lognormal(le_rng *r, double median, double sigma)
{
    return median * exp(sigma * le_rng_normal(r));
}

/* Pareto with scale 1 and tail index alpha (>= 1, heavy for small alpha). */
static inline double le_rng_pareto(le_rng *r, double alpha) { return pow(le_rng_uniform_pos(r), -1.0 / alpha); }

/* Integer in [0, n) (n > 0); the modulo bias is below 2^-32 for small n. */
static inline uint32_t le_rng_below(le_rng *r, uint32_t n) { return (uint32_t)(le_rng_u64(r) % n); }

/* Index drawn from cumulative weights cum[0..n) (cum[n-1] is the total). */
static inline int le_rng_pick(le_rng *r, const double *cum, int n)
{
    double x = le_rng_uniform(r) * cum[n - 1];
    for (int i = 0; i < n - 1; i++)
        if (x < cum[i]) return i;
    return n - 1;
}

#endif
