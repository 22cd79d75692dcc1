/* Span features, block graphs, structure hashes and triplet sampling. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "gat.h"
#include "graphbatch.h"
#include "spanfeat.h"
#include "triplet.h"

static int tok(const char *s, int32_t *out) { return le_tokenize(s, 7, 1 << 20, out, 16); }

static void test_tokenize(void **state)
{
    int32_t a[16], b[16], c[16];
    assert_int_equal(tok("getCartItems", a), 3);          /* get, cart, items */
    assert_int_equal(tok("HTTP GET /api/v1/cart", b), 5); /* http, get, api, v1, cart */
    assert_int_equal(a[1], b[4]);                         /* "Cart" and "cart" are one token */
    assert_int_equal(a[0], b[1]);
    assert_int_equal(tok("--//", c), 0);
    assert_int_equal(tok("cart-service", c), 2);
    assert_int_equal(c[0], a[1]);
}

static void test_opmap_unknown_and_tokens(void **state)
{
    le_feat_cfg cfg = {.n_vocab = 2, .d_op = 2, .d_tok = 2, .n_buckets = 64, .salt = 1};
    const char *svc[] = {"cart"}, *ops[] = {"GetCart", "AddItem", "---"};
    const int32_t osvc[] = {0, 0, 0}, voc[] = {0, 1, 2};
    le_opmap m;
    le_opmap_build(&m, &cfg, 3, svc, ops, osvc, voc);
    assert_int_equal(m.vocab[2], 2);                  /* unknown row */
    assert_int_equal(m.tok_off[1] - m.tok_off[0], 3); /* cart, get, cart */
    assert_int_equal(m.tok_off[3] - m.tok_off[2], 1); /* service token only */
    le_opmap_free(&m);
}

static void test_time_features(void **state)
{
    /* root 0..1000us with children 1 (100..400) and 2 (500..700); 3 under 1 */
    int32_t parent[] = {-1, 0, 1, 0};
    int64_t start[] = {0, 100, 150, 500}, dur[] = {1000, 300, 100, 200}, wait[4];
    float f[16];
    le_time_raw(4, parent, start, dur, wait, f);
    assert_float_equal(f[0], log1p(1000), 1e-5);
    assert_float_equal(f[1], log1p(500), 1e-5); /* waiting = 300 + 200 */
    assert_float_equal(f[2], log1p(500), 1e-5); /* self = 1000 - 500 */
    assert_float_equal(f[3], 0, 1e-6);
    assert_float_equal(f[4 + 1], log1p(100), 1e-5);
    assert_float_equal(f[12 + 3], log1p(500), 1e-5);
    assert_int_equal(le_status_class(503, 0), 2);
    assert_int_equal(le_status_class(404, 0), 1);
    assert_int_equal(le_status_class(0, 1), 2);
    assert_int_equal(le_status_class(200, 0), 0);
}

static void test_time_stats(void **state)
{
    enum { V = 2 };
    int64_t sums[(V + 1) * LE_STAT_COLS] = {0};
    float x1[4] = {1, 2, 3, 4}, x2[4] = {3, 2, 5, 4}, mean[(V + 1) * 4], sd[(V + 1) * 4];
    le_timestats_add(sums, V, 0, x1);
    le_timestats_add(sums, V, 0, x2);
    le_timestats_add(sums, V, 1, x1); /* one span: falls back to the global row */
    le_timestats_finish(sums, V, mean, sd);
    assert_float_equal(mean[0], 2, 1e-5);
    assert_float_equal(sd[0], 1, 1e-5);
    assert_float_equal(sd[1], 0.1, 1e-5); /* constant: floored */
    assert_float_equal(mean[4], mean[V * 4], 1e-6);
    assert_float_equal(mean[V * 4 + 2], 11.0 / 3, 1e-4);
    float z[4] = {100, 2, 3, 4};
    le_time_normalise(z, 0, mean, sd);
    assert_float_equal(z[0], 10, 1e-6); /* clamped */
}

static void test_graphbatch(void **state)
{
    le_graphbatch gb;
    le_gb_init(&gb);
    int32_t p1[] = {-1, 0, 0, 1}, op[] = {0, 1, 2, 3};
    float t[16] = {0};
    int8_t st[4] = {0};
    le_gb_add_trace(&gb, 1, p1, op, t, st);
    le_gb_add_trace(&gb, 4, p1, op, t, st);
    assert_int_equal(gb.n_graphs, 2);
    assert_int_equal(gb.n_nodes, 5);
    assert_int_equal(gb.n_edges, 1 + 4 + 2 * 3);
    /* node 1 = root of trace 2: itself, children 2 and 3 */
    assert_int_equal(gb.nbr_off[2] - gb.nbr_off[1], 3);
    assert_int_equal(gb.nbr[gb.nbr_off[1]], 1);
    assert_int_equal(gb.nbr[gb.nbr_off[1] + 1], 2);
    assert_int_equal(gb.nbr[gb.nbr_off[1] + 2], 3);
    /* node 2: itself, parent 1, child 4 */
    assert_int_equal(gb.nbr[gb.nbr_off[2]], 2);
    assert_int_equal(gb.nbr[gb.nbr_off[2] + 1], 1);
    assert_int_equal(gb.nbr[gb.nbr_off[2] + 2], 4);
    assert_int_equal(gb.node_graph[4], 1);
    /* reuse: after reset the buffers are not reallocated */
    int32_t *keep = gb.nbr;
    le_gb_reset(&gb);
    le_gb_add_trace(&gb, 4, p1, op, t, st);
    assert_ptr_equal(keep, gb.nbr);
    le_gb_free(&gb);
}

static void test_structure_hash(void **state)
{
    uint64_t s[16];
    int32_t pa[] = {-1, 0, 0}, opa[] = {5, 6, 7}, opb[] = {5, 7, 6}, opc[] = {5, 6, 6};
    int32_t pd[] = {-1, 0, 1};
    uint64_t a = le_structure_hash(3, pa, opa, s), b = le_structure_hash(3, pa, opb, s);
    assert_true(a == b);                                /* sibling order does not matter */
    assert_true(a != le_structure_hash(3, pa, opc, s)); /* operations do */
    assert_true(a != le_structure_hash(3, pd, opa, s)); /* so does depth */
}

static void test_triplet_sampling(void **state)
{
    enum { N = 200 };
    uint64_t h[N];
    float lat[N];
    for (int i = 0; i < N; i++) h[i] = (uint64_t)(i % 4), lat[i] = (float)(i % 50) * 0.1f;
    le_tripwin w;
    le_tripwin_build(&w, N, h, lat);
    le_rng r;
    le_rng_init(&r, 3, 0, 0);
    int hard = 0;
    for (int k = 0; k < 2000; k++) {
        int32_t t[3];
        le_triplet_sample(&w, &r, 1.0f, 0.5f, t);
        assert_true(h[t[0]] == h[t[1]]);
        assert_true(fabsf(lat[t[0]] - lat[t[1]]) <= 0.2f + 1e-5f); /* a close latency neighbour */
        if (h[t[2]] == h[t[0]]) {
            assert_true(fabsf(lat[t[0]] - lat[t[2]]) >= 1.0f - 1e-5f);
            hard++;
        }
    }
    assert_true(hard > 700 && hard < 1300); /* about half, given --hard 0.5 */
    le_tripwin_free(&w);
}

static void test_fast_math(void **state)
{
    double wt = 0, we = 0;
    for (double x = -12; x <= 12; x += 1e-3) wt = fmax(wt, fabs(le_tanhf((float)x) - tanh((double)(float)x)));
    for (double x = -80; x <= 80; x += 1e-3)
        we = fmax(we, fabs(le_expf((float)x) - exp((double)(float)x)) / exp((double)(float)x));
    assert_true(wt < 1e-6);
    assert_true(we < 1e-6);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tokenize),         cmocka_unit_test(test_opmap_unknown_and_tokens),
        cmocka_unit_test(test_time_features),    cmocka_unit_test(test_time_stats),
        cmocka_unit_test(test_graphbatch),       cmocka_unit_test(test_structure_hash),
        cmocka_unit_test(test_triplet_sampling), cmocka_unit_test(test_fast_math),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
