/* The visible truth (mpi/truth_dist.h) on a small hand-built corpus, at any
 * rank count: traces inside a fault's window that pass through the faulty
 * service are abnormal only when a span of that service shows the fault
 * (slow self time, error, new call structure), and the thresholds, labels
 * and counts are the same whatever the split. Also the exact distributed
 * quantile (mpi/quantile_dist.h) against the serial one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "mpi_test.h"
#include "quantile.h"
#include "quantile_dist.h"
#include "truth_dist.h"

/* Services and operations. A trace: frontend Recv -> frontend's GetCart
 * client span -> cart's GetCart server span -> redis HGET (redis a child
 * of cart, so cart's self time excludes it). */
enum { S_FRONT, S_CART, S_REDIS, N_SVC };
enum { O_RECV, O_CART_CLIENT, O_CART_SERVER, O_HGET, N_OPS };

/* What a hand-built trace does. */
typedef enum {
    T_NORMAL,        /* every self time ordinary */
    T_CART_SLOW,     /* cart's own time 50 ms */
    T_CART_ERROR,    /* cart's span failed */
    T_CART_TWO_HGET, /* cart calls HGET twice: a structure the reference lacks */
    T_FRONT_SLOW,    /* the frontend's own time 50 ms (not the cart) */
    T_REDIS_SLOW,    /* redis 50 ms: the cart's duration grows, its self time not */
    T_NO_CART,       /* Recv alone */
} kind;

typedef struct spec {
    int64_t start_us;
    kind k;
    int expect_fault; /* -1 normal */
} spec;

/* Fault 0: cart, [1000 s, 1300 s]; fault 1: redis, [1200 s, 1500 s]. */
#define SEC 1000000LL
static le_fault faults[2] = {
    {.service = S_CART, .service_name = "cart", .type = "cpu_contention", .start_us = 1000 * SEC, .end_us = 1300 * SEC},
    {.service = S_REDIS, .service_name = "redis", .type = "network_delay", .start_us = 1200 * SEC, .end_us = 1500 * SEC},
};

enum { N_REF = 2000 };
/* The hand-built in-window traces, after N_REF reference traces (outside
 * every window, at 5000..5000 + N_REF s, ordinary but with a spread of cart self
 * times), then one slow cart span outside every window. */
static const spec special[] = {
    {1100 * SEC, T_CART_SLOW, 0},   {1101 * SEC, T_NORMAL, -1},       {1102 * SEC, T_FRONT_SLOW, -1},
    {1103 * SEC, T_CART_ERROR, 0},  {1104 * SEC, T_CART_TWO_HGET, 0}, {1105 * SEC, T_NO_CART, -1},
    {1106 * SEC, T_REDIS_SLOW, -1}, /* redis' own fault window has not begun */
    {1250 * SEC, T_REDIS_SLOW, 1},  /* in both windows; only redis shows: fault 1 */
    {1251 * SEC, T_CART_SLOW, 0},   /* in both windows; cart shows: the first fault that fits */
    {1400 * SEC, T_CART_SLOW, -1},  /* redis' window only: the cart is not its service */
    {3000 * SEC, T_CART_SLOW, -1},  /* outside every window */
};
#define N_SPECIAL ((int64_t)(sizeof special / sizeof *special))
#define N_TRACES (N_REF + N_SPECIAL)

/* Cart self time of reference trace i: 1000 + (i * 37 % 1000) us, so
 * 1000..1999 twice over; its 99.9th percentile is known exactly. */
static int64_t ref_cart_self(int64_t i) { return 1000 + (i * 37) % 1000; }

static spec spec_of(int64_t t)
{
    if (t < N_REF) return (spec){(5000 + t) * SEC, T_NORMAL, -1};
    return special[t - N_REF];
}

static int64_t spans_of(int64_t t) { return spec_of(t).k == T_NO_CART ? 1 : spec_of(t).k == T_CART_TWO_HGET ? 5 : 4; }

static int64_t spans_before(int64_t t)
{
    int64_t s = 0;
    for (int64_t i = 0; i < t; i++) s += spans_of(i);
    return s;
}

static void put_span(le_corpus_block *b, int64_t s, int32_t parent, int32_t svc, int32_t op, int64_t start, int64_t dur,
                     int err)
{
    b->parent[s] = parent, b->service[s] = svc, b->operation[s] = op;
    b->start_us[s] = start, b->duration_us[s] = dur, b->status_code[s] = 0, b->error[s] = (int8_t)err;
}

/* Durations from self times, bottom up: redis, cart (+ redis), client
 * (+ cart), Recv (+ client). */
static int64_t fill_trace(le_corpus_block *b, int64_t s, int64_t t)
{
    spec x = spec_of(t);
    int64_t st = x.start_us, redis = x.k == T_REDIS_SLOW ? 50000 : 300;
    int64_t cart = t < N_REF ? ref_cart_self(t) : x.k == T_CART_SLOW ? 50000 : 1500;
    int64_t front = x.k == T_FRONT_SLOW ? 50000 : 200 + t % 50;
    if (x.k == T_NO_CART) {
        put_span(b, s, -1, S_FRONT, O_RECV, st, front, 0);
        return s + 1;
    }
    int n_hget = x.k == T_CART_TWO_HGET ? 2 : 1;
    int64_t cart_d = cart + n_hget * redis, client_d = cart_d + 100, recv_d = client_d + front;
    put_span(b, s, -1, S_FRONT, O_RECV, st, recv_d, 0);
    put_span(b, s + 1, 0, S_FRONT, O_CART_CLIENT, st + 10, client_d, 0);
    put_span(b, s + 2, 1, S_CART, O_CART_SERVER, st + 20, cart_d, x.k == T_CART_ERROR);
    for (int h = 0; h < n_hget; h++) put_span(b, s + 3 + h, 2, S_REDIS, O_HGET, st + 30 + h * redis, redis, 0);
    return s + 3 + n_hget;
}

static void fill(le_corpus_block *b, int64_t t0, int64_t t1)
{
    le_block_alloc(b, t1 - t0, spans_before(t1) - spans_before(t0), 0, 1);
    b->trace_begin = t0, b->span_begin = spans_before(t0);
    int64_t s = 0;
    for (int64_t t = t0; t < t1; t++) {
        b->span_offset[t - t0] = s;
        char id[32];
        le_block_put_id(b, t - t0, id, (size_t)snprintf(id, sizeof id, "t%lld", (long long)t));
        b->trace_start_us[t - t0] = spec_of(t).start_us;
        b->label[t - t0] = LE_LABEL_UNKNOWN, b->fault[t - t0] = -1;
        s = fill_trace(b, s, t);
    }
    b->span_offset[t1 - t0] = s;
}

static le_corpus_meta make_meta(void)
{
    static char *svc[] = {"frontend", "cart", "redis"};
    static char *ops[] = {"Recv", "GetCart", "GetCart", "HGET"};
    static int32_t op_svc[] = {S_FRONT, S_FRONT, S_CART, S_REDIS};
    le_corpus_meta m = {0};
    m.n_traces = N_TRACES, m.n_spans = spans_before(N_TRACES);
    m.n_services = N_SVC, m.services = svc;
    m.n_operations = N_OPS, m.operations = ops, m.operation_service = op_svc;
    m.has_ground_truth = 1, m.n_faults = 2, m.faults = faults;
    return m;
}

/* This rank's share of the traces, split unevenly so that the specials
 * land on different ranks at different rank counts. */
static void my_range(int64_t *t0, int64_t *t1)
{
    int r = le_world.rank, p = le_world.size;
    *t0 = (int64_t)N_TRACES * r * r / ((int64_t)p * p);
    *t1 = (int64_t)N_TRACES * (r + 1) * (r + 1) / ((int64_t)p * p);
}

/* The corpus, and this rank's block of it with every trace unlabelled. */
static void setup(le_corpus_meta *m, le_corpus_block *b, int64_t *t0, int64_t *t1)
{
    *m = make_meta();
    my_range(t0, t1);
    fill(b, *t0, *t1);
}

static void visible_labels_and_counts(void **state)
{
    (void)state;
    le_corpus_meta m;
    le_corpus_block b;
    int64_t t0, t1;
    setup(&m, &b, &t0, &t1);
    assert_int_equal(le_vis_truth(MPI_COMM_WORLD, &m, &b), 0); /* every trace unlabelled */
    assert_true(m.vis.present);

    /* The cart threshold is the serial quantile of the reference cart self
     * times: the specials outside every window (one slow cart) count too. */
    int64_t *ref = malloc(sizeof(int64_t) * (N_REF + 1));
    for (int64_t i = 0; i < N_REF; i++) ref[i] = ref_cart_self(i);
    ref[N_REF] = 50000;
    le_sort_i64(ref, N_REF + 1);
    assert_true(fabs(m.vis.threshold_us[O_CART_SERVER] - le_quantile_sorted(ref, N_REF + 1, 0.999)) < 1e-9);
    assert_true(m.vis.threshold_us[O_CART_SERVER] < 2100 && m.vis.threshold_us[O_CART_SERVER] > 1990);
    free(ref);
    assert_int_equal(m.vis.ref_traces, N_REF + 1);

    for (int64_t t = t0; t < t1; t++) {
        spec x = spec_of(t);
        if (b.fault[t - t0] != x.expect_fault)
            fprintf(stderr, "trace %lld (kind %d): fault %d, want %d\n", (long long)t, x.k, b.fault[t - t0], x.expect_fault);
        assert_int_equal(b.fault[t - t0], x.expect_fault);
        assert_int_equal(b.label[t - t0], x.expect_fault >= 0 ? LE_LABEL_ABNORMAL : LE_LABEL_NORMAL);
    }
    /* Counts over all ranks: cart made 4 traces visible, redis 1; one
     * reference trace (the slow cart at 3000 s) flagged on cart by chance. */
    assert_int_equal(m.faults[0].visible_traces, 4);
    assert_int_equal(m.faults[1].visible_traces, 1);
    assert_int_equal(m.faults[0].chance_traces, N_REF + 1);
    assert_int_equal(m.faults[0].chance_flagged, 1); /* the 50 ms cart at 3000 s: the threshold is 1999 */
    free(m.vis.threshold_us);
    le_block_free(&b);
}

/* A label the input gave is kept. */
static void given_labels_kept(void **state)
{
    (void)state;
    le_corpus_meta m;
    le_corpus_block b;
    int64_t t0, t1;
    setup(&m, &b, &t0, &t1);
    /* trace N_REF (a slow cart in its fault's window) labelled normal by the input */
    if (N_REF >= t0 && N_REF < t1) b.label[N_REF - t0] = LE_LABEL_NORMAL;
    assert_int_equal(le_vis_truth(MPI_COMM_WORLD, &m, &b), 0);
    if (N_REF >= t0 && N_REF < t1) assert_int_equal(b.label[N_REF - t0], LE_LABEL_NORMAL);
    if (N_REF + 3 >= t0 && N_REF + 3 < t1)
        assert_int_equal(b.label[N_REF + 3 - t0], LE_LABEL_ABNORMAL); /* the others judged */
    free(m.vis.threshold_us);
    le_block_free(&b);
}

/* le_quantiles_dist against the serial quantile, with negatives, repeats,
 * a group empty everywhere and groups held by one rank only. */
static void distributed_quantiles_exact(void **state)
{
    (void)state;
    enum { G = 5, N = 3001 };
    int r = le_world.rank, p = le_world.size;
    int64_t *all[G], nall[G];
    for (int g = 0; g < G; g++) {
        nall[g] = g == 2 ? 0 : g == 3 ? 7 : N;
        all[g] = malloc(sizeof(int64_t) * (size_t)(nall[g] + 1));
        for (int64_t i = 0; i < nall[g]; i++)
            all[g][i] = (i * 7919 + g * 13) % 2003 - 1000 + (g == 4 ? INT64_C(1) << 50 : 0);
    }
    /* Value i of group g lives on rank (i * 31 + g) % p; group 3 on the last rank. */
    int64_t *x = malloc(sizeof(int64_t) * G * N), off[G + 1];
    off[0] = 0;
    for (int g = 0; g < G; g++) {
        int64_t n = 0;
        for (int64_t i = 0; i < nall[g]; i++)
            if ((g == 3 ? p - 1 : (int)((i * 31 + g) % p)) == r) x[off[g] + n++] = all[g][i];
        le_sort_i64(x + off[g], n);
        off[g + 1] = off[g] + n;
    }
    double q[] = {0, 0.5, 0.999, 1, 0.123};
    for (size_t k = 0; k < sizeof q / sizeof *q; k++) {
        double out[G];
        int64_t n_all[G];
        assert_int_equal(le_quantiles_dist(MPI_COMM_WORLD, x, off, G, q[k], out, n_all), 0);
        for (int g = 0; g < G; g++) {
            assert_int_equal(n_all[g], nall[g]);
            if (!nall[g]) {
                assert_true(isnan(out[g]));
                continue;
            }
            le_sort_i64(all[g], nall[g]);
            assert_true(out[g] == le_quantile_sorted(all[g], nall[g], q[k]));
        }
    }
    for (int g = 0; g < G; g++) free(all[g]);
    free(x);
}

int main(int argc, char **argv)
{
    if (le_test_mpi_begin(&argc, &argv)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(visible_labels_and_counts),
        cmocka_unit_test(given_labels_kept),
        cmocka_unit_test(distributed_quantiles_exact),
    };
    return le_test_mpi_end(cmocka_run_group_tests(tests, NULL, NULL));
}
