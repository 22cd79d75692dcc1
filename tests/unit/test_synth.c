/* The synthetic corpus generator alone (no MPI, no HDF5): the RNG against
 * published answers, determinism, tree shape, fault effects, label shares. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "le_base.h"
#include "rng.h"
#include "synth.h"

/* ---- a reusable trace buffer ---- */

typedef struct buf {
    int32_t parent[SYNTH_MAX_SPANS], service[SYNTH_MAX_SPANS], operation[SYNTH_MAX_SPANS], status[SYNTH_MAX_SPANS];
    int64_t start[SYNTH_MAX_SPANS], duration[SYNTH_MAX_SPANS];
    int8_t error[SYNTH_MAX_SPANS];
    synth_out out;
    synth_trace_info info;
} buf;

static buf *buf_new(void)
{
    buf *b = le_calloc(1, sizeof *b);
    b->out = (synth_out){SYNTH_MAX_SPANS, b->parent, b->service, b->operation, b->status, b->start, b->duration, b->error};
    return b;
}

static void gen(const synth_model *m, uint64_t i, buf *b) { assert_int_equal(synth_trace(m, i, &b->out, &b->info), 0); }

static int same_trace(const buf *a, const buf *b)
{
    int32_t n = a->info.n_spans;
    if (n != b->info.n_spans || a->info.label != b->info.label || a->info.fault != b->info.fault ||
        a->info.start_us != b->info.start_us || memcmp(a->info.trace_id, b->info.trace_id, SYNTH_TRACE_ID_LEN))
        return 0;
    size_t s4 = sizeof(int32_t) * (size_t)n, s8 = sizeof(int64_t) * (size_t)n;
    return !memcmp(a->parent, b->parent, s4) && !memcmp(a->service, b->service, s4) &&
           !memcmp(a->operation, b->operation, s4) && !memcmp(a->status, b->status, s4) && !memcmp(a->start, b->start, s8) &&
           !memcmp(a->duration, b->duration, s8) && !memcmp(a->error, b->error, (size_t)n);
}

static void build_default(synth_model *m)
{
    synth_params p;
    synth_params_default(&p);
    assert_int_equal(synth_model_build(m, &p), 0);
}

/* ---- the RNG ---- */

/* Known-answer vectors of Philox4x32-10 from the Random123 distribution (kat_vectors). */
static void test_philox_known_answers(void **state)
{
    (void)state;
    static const uint32_t kat[3][10] = {
        {0, 0, 0, 0, 0, 0, 0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8},
        {0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0x408f276d, 0x41c83b0e, 0xa20bc7c6,
         0x6d5451fd},
        {0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0, 0xd16cfe09, 0x94fdcceb, 0x5001e420,
         0x24126ea1},
    };
    for (int k = 0; k < 3; k++) {
        uint32_t out[4];
        le_philox4x32_10(kat[k], kat[k] + 4, out);
        for (int i = 0; i < 4; i++) assert_int_equal(out[i], kat[k][6 + i]);
    }
}

static void test_rng_streams_are_independent_of_order(void **state)
{
    (void)state;
    le_rng a, b;
    le_rng_init(&a, 42, 7, 1);
    double first[8];
    for (int i = 0; i < 8; i++) first[i] = le_rng_uniform(&a);
    /* Another stream drawn in between changes nothing. */
    le_rng_init(&b, 42, 8, 1);
    for (int i = 0; i < 100; i++) le_rng_u64(&b);
    le_rng_init(&a, 42, 7, 1);
    for (int i = 0; i < 8; i++) assert_true(le_rng_uniform(&a) == first[i]);
    le_rng_init(&b, 42, 7, 2); /* another domain, another stream */
    assert_true(le_rng_uniform(&b) != first[0]);
}

static void test_rng_uniform_moments(void **state)
{
    (void)state;
    le_rng r;
    le_rng_init(&r, 1, 0, 0);
    double sum = 0, sum2 = 0, nsum = 0, nsum2 = 0;
    enum { N = 200000 };
    for (int i = 0; i < N; i++) {
        double u = le_rng_uniform(&r), z = le_rng_normal(&r);
        assert_true(u >= 0 && u < 1);
        sum += u, sum2 += u * u, nsum += z, nsum2 += z * z;
    }
    assert_true(fabs(sum / N - 0.5) < 0.005);
    assert_true(fabs(sum2 / N - 1.0 / 3) < 0.005);
    assert_true(fabs(nsum / N) < 0.01);
    assert_true(fabs(nsum2 / N - 1) < 0.02);
}

/* ---- determinism ---- */

static void test_trace_is_a_function_of_its_index(void **state)
{
    (void)state;
    synth_model m1, m2;
    build_default(&m1);
    build_default(&m2);
    buf *a = buf_new(), *b = buf_new();
    /* In any order, from separately built models: the same trace. */
    static const uint64_t idx[] = {0, 1, 99999, 130362, 5, 77777};
    for (size_t i = 0; i < sizeof idx / sizeof *idx; i++) {
        gen(&m1, idx[i], a);
        gen(&m2, idx[(i + 3) % 6], b);
        gen(&m2, idx[i], b);
        assert_true(same_trace(a, b));
    }
    gen(&m1, 1, a);
    gen(&m1, 2, b);
    assert_false(same_trace(a, b));
    free(a), free(b);
    synth_model_free(&m1), synth_model_free(&m2);
}

static void test_faults_come_from_the_seed_alone(void **state)
{
    (void)state;
    synth_params p;
    synth_params_default(&p);
    synth_model a, b, c;
    assert_int_equal(synth_model_build(&a, &p), 0);
    p.n_traces = 1000000000; /* a billion traces: the same fault list */
    assert_int_equal(synth_model_build(&b, &p), 0);
    p.seed = 2;
    assert_int_equal(synth_model_build(&c, &p), 0);
    assert_int_equal(a.n_faults, 36);
    assert_int_equal(a.n_faults, b.n_faults);
    assert_memory_equal(a.faults, b.faults, sizeof *a.faults * (size_t)a.n_faults);
    assert_memory_not_equal(a.faults, c.faults, sizeof *a.faults * (size_t)a.n_faults);
    int count[SYNTH_N_FAULT_TYPES] = {0};
    for (int k = 0; k < a.n_faults; k++) {
        const synth_fault *f = &a.faults[k];
        count[f->type]++;
        assert_true(f->start_us < f->end_us);
        assert_true(f->start_us >= p.start_unix_s * 1000000);
        assert_true(f->end_us <= p.start_unix_s * 1000000 + (int64_t)(p.hours * 3.6e9));
        if (k) assert_true(a.faults[k - 1].end_us <= f->start_us); /* sorted, never overlapping */
    }
    /* The type mix is exact: 36 faults in proportion 6:7:6:6:5:3:3. */
    static const int want[SYNTH_N_FAULT_TYPES] = {6, 7, 6, 6, 5, 3, 3};
    assert_memory_equal(count, want, sizeof want);
    assert_true(fabs(a.expected_abnormal - p.target_abnormal) < 1e-3);
    synth_model_free(&a), synth_model_free(&b), synth_model_free(&c);
}

static void test_start_times_follow_the_index(void **state)
{
    (void)state;
    synth_model m;
    build_default(&m);
    int64_t t0 = m.p.start_unix_s * 1000000, t1 = t0 + (int64_t)(m.p.hours * 3.6e9), prev = t0;
    int64_t per_hour[48] = {0};
    for (int64_t i = 0; i < m.p.n_traces; i++) {
        int64_t t = synth_trace_start_us(&m, (uint64_t)i);
        assert_true(t >= prev && t < t1);
        per_hour[(t - t0) / 3600000000LL]++;
        prev = t;
    }
    /* The daily curve: 14:00 carries about (1 + 0.6) / (1 - 0.6) = 4 times 02:00's load. */
    double ratio = (double)per_hour[14] / (double)per_hour[2];
    assert_true(ratio > 3.5 && ratio < 4.5);
    synth_model_free(&m);
}

/* ---- tree shape ---- */

static void check_tree(const buf *b)
{
    int32_t n = b->info.n_spans;
    assert_true(n >= 1);
    assert_int_equal(b->parent[0], -1);
    assert_int_equal(b->start[0], b->info.start_us);
    int32_t last_child_of[SYNTH_MAX_SPANS];
    for (int32_t i = 0; i < n; i++) last_child_of[i] = -1;
    for (int32_t i = 1; i < n; i++) {
        int32_t p = b->parent[i];
        assert_true(p >= 0 && p < i);
        assert_true(b->start[i] >= b->start[p]);
        assert_true(b->duration[i] >= 0);
        /* Depth-first preorder: the parent is on the path from the root to
         * the previous span, and siblings come in order of start. */
        int32_t q = i - 1;
        while (q >= 0 && q != p) q = b->parent[q];
        assert_int_equal(q, p);
        if (last_child_of[p] >= 0) assert_true(b->start[last_child_of[p]] <= b->start[i]);
        last_child_of[p] = i;
        if (b->info.label == 0) assert_true(b->start[i] + b->duration[i] <= b->start[p] + b->duration[p]);
    }
}

static void test_trees_are_preorder_and_nested(void **state)
{
    (void)state;
    synth_model m;
    build_default(&m);
    buf *b = buf_new();
    int kinds[SYNTH_N_KINDS] = {0};
    for (uint64_t i = 0; i < 130363; i += 7) {
        gen(&m, i, b);
        check_tree(b);
        kinds[b->info.kind]++;
    }
    for (int k = 0; k < SYNTH_N_KINDS; k++) assert_true(kinds[k] > 0);
    /* The product page is the locustfile's favourite (weight 10 of 19). */
    assert_true(kinds[KIND_PRODUCT] > kinds[KIND_HOME] * 5);
    free(b);
    synth_model_free(&m);
}

/* ---- labels ---- */

static void test_label_share_and_fault_ids(void **state)
{
    (void)state;
    synth_model m;
    build_default(&m);
    buf *b = buf_new();
    int64_t n = 0, abnormal = 0;
    for (uint64_t i = 0; i < 130363; i += 3, n++) {
        gen(&m, i, b);
        abnormal += b->info.label;
        if (b->info.label) {
            const synth_fault *f = &m.faults[b->info.fault];
            assert_true(b->info.start_us >= f->start_us && b->info.start_us < f->end_us);
        } else {
            assert_int_equal(b->info.fault, -1);
        }
    }
    double share = (double)abnormal / (double)n;
    assert_true(share > 0.17 && share < 0.25);
    free(b);
    synth_model_free(&m);
}

/* A model with one fault of the given type on one service, active over
 * (almost) the whole time and affecting every trace through the service. */
static void build_one_fault(synth_model *m, int type, int service, double intensity)
{
    synth_params p;
    synth_params_default(&p);
    p.n_traces = 20000;
    p.n_faults = 1;
    memset(p.fault_type_weight, 0, sizeof p.fault_type_weight);
    memset(p.fault_service_weight, 0, sizeof p.fault_service_weight);
    p.fault_type_weight[type] = 1;
    p.fault_service_weight[service] = 1;
    p.fault_min_minutes = p.fault_max_minutes = p.hours * 60;
    p.target_abnormal = 0;
    p.intensity_min = p.intensity_max = intensity;
    for (int t = 0; t < SYNTH_N_FAULT_TYPES; t++) p.effect_prob[t] = 1;
    p.replicas[service] = 1;
    assert_int_equal(synth_model_build(m, &p), 0);
    assert_int_equal(m->faults[0].type, type);
    assert_int_equal(m->faults[0].service, service);
}

static void build_fault_free(synth_model *m)
{
    synth_params p;
    synth_params_default(&p);
    p.n_traces = 20000;
    p.n_faults = 0;
    assert_int_equal(synth_model_build(m, &p), 0);
}

static int has_service(const buf *b, int s)
{
    for (int32_t i = 0; i < b->info.n_spans; i++)
        if (b->service[i] == s) return 1;
    return 0;
}

static int has_error(const buf *b)
{
    for (int32_t i = 0; i < b->info.n_spans; i++)
        if (b->error[i]) return 1;
    return 0;
}

/* The longest gap between a client span into service s and its server span. */
static int64_t max_client_server_gap(const buf *b, int s)
{
    int64_t gap = 0;
    for (int32_t i = 1; i < b->info.n_spans; i++) {
        int32_t p = b->parent[i];
        if (b->service[i] == s && b->service[p] != s && b->duration[p] - b->duration[i] > gap)
            gap = b->duration[p] - b->duration[i];
    }
    return gap;
}

/* CPU and memory stress change no structure (fault draws have their own
 * stream), so the trace lines up span for span with its fault-free self:
 * the largest slow-down of a span of service s. */
static int64_t max_slowdown_of(const buf *b, const buf *clean, int s)
{
    int64_t d = 0;
    assert_int_equal(b->info.n_spans, clean->info.n_spans);
    for (int32_t i = 0; i < b->info.n_spans; i++)
        if (b->service[i] == s && b->duration[i] - clean->duration[i] > d) d = b->duration[i] - clean->duration[i];
    return d;
}

/* What a fault must show in every affected trace (and only there). */
static void check_fault_signature(const synth_model *m, int type, int service, const buf *b, const buf *clean)
{
    switch (type) {
    case FT_POD_FAILURE:
        /* Calls fail fast with UNAVAILABLE and the service has no span. */
        assert_false(has_service(b, service));
        assert_true(has_error(b));
        break;
    case FT_NETWORK_DELAY: assert_true(max_client_server_gap(b, service) >= 800); break;
    case FT_CPU_STRESS:
    case FT_MEMORY_STRESS: assert_true(max_slowdown_of(b, clean, service) >= 1000); break;
    case FT_EXCEPTION:
        for (int32_t i = 0, found = 0; i < b->info.n_spans && !found; i++)
            if (b->service[i] == service && b->error[i] && b->status[i] == 2)
                found = 1;
            else if (i == b->info.n_spans - 1)
                fail_msg("no span of the faulty service failed with UNKNOWN");
        break;
    case FT_PACKET_LOSS:
        /* A retransmission (10+ ms) or a retried attempt: slower, or more spans. */
        assert_true(b->duration[0] >= clean->duration[0] + 5000 || b->info.n_spans > clean->info.n_spans);
        break;
    case FT_WRONG_RETURN:
        /* The catalog's list comes back empty: no Convert on the home page; a
         * product fetched alone is rejected by the caller. */
        if (b->info.kind == KIND_HOME)
            assert_true(b->info.n_spans < clean->info.n_spans);
        else
            assert_true(has_error(b));
        break;
    }
    (void)m;
}

static void check_fault_type(int type, int service)
{
    synth_model m, clean_m;
    build_one_fault(&m, type, service, 0.2); /* the weakest fault must still show */
    build_fault_free(&clean_m);
    buf *b = buf_new(), *clean = buf_new();
    int affected = 0, unaffected = 0;
    for (uint64_t i = 0; i < 20000; i += 5) {
        gen(&m, i, b);
        gen(&clean_m, i, clean);
        if (b->info.label) {
            affected++;
            assert_int_equal(b->info.fault, 0);
            check_fault_signature(&m, type, service, b, clean);
        } else {
            /* Untouched traces are exactly their fault-free selves. */
            unaffected++;
            assert_true(same_trace(b, clean));
        }
    }
    assert_true(affected > 100);
    (void)unaffected;
    free(b), free(clean);
    synth_model_free(&m), synth_model_free(&clean_m);
}

static void test_pod_failure(void **s)
{
    (void)s;
    check_fault_type(FT_POD_FAILURE, SV_RECOMMEND);
}
static void test_network_delay(void **s)
{
    (void)s;
    check_fault_type(FT_NETWORK_DELAY, SV_CURRENCY);
}
static void test_packet_loss(void **s)
{
    (void)s;
    check_fault_type(FT_PACKET_LOSS, SV_CART);
}
static void test_cpu_stress(void **s)
{
    (void)s;
    check_fault_type(FT_CPU_STRESS, SV_CATALOG);
}
static void test_memory_stress(void **s)
{
    (void)s;
    check_fault_type(FT_MEMORY_STRESS, SV_REDIS);
}
static void test_exception(void **s)
{
    (void)s;
    check_fault_type(FT_EXCEPTION, SV_CURRENCY);
}
static void test_wrong_return(void **s)
{
    (void)s;
    check_fault_type(FT_WRONG_RETURN, SV_CATALOG);
}

/* A pod failure of one replica among several hardly shows (the paper's
 * finding for pod failures off the recommendation service). */
static void test_replicated_pod_failure_hardly_shows(void **state)
{
    (void)state;
    synth_params p;
    synth_params_default(&p);
    p.n_faults = 1;
    memset(p.fault_type_weight, 0, sizeof p.fault_type_weight);
    memset(p.fault_service_weight, 0, sizeof p.fault_service_weight);
    p.fault_type_weight[FT_POD_FAILURE] = 1;
    p.fault_service_weight[SV_CATALOG] = 1;
    p.target_abnormal = 0;
    synth_model m;
    assert_int_equal(synth_model_build(&m, &p), 0);
    assert_true(m.faults[0].p_effect <= 0.05);
    synth_model_free(&m);
}

static void test_bad_params_are_usage_errors(void **state)
{
    (void)state;
    synth_params p;
    synth_model m;
    synth_params_default(&p);
    p.load_amplitude = 1.5;
    assert_int_equal(synth_model_build(&m, &p), LE_ERR_USAGE);
    assert_non_null(strstr(le_errmsg(), "load.amplitude"));
    synth_params_default(&p);
    for (int k = 0; k < SYNTH_N_KINDS; k++) p.mix[k] = 0;
    assert_int_equal(synth_model_build(&m, &p), LE_ERR_USAGE);
    synth_params_default(&p);
    p.fault_max_minutes = 1; /* below the minimum */
    assert_int_equal(synth_model_build(&m, &p), LE_ERR_USAGE);
}

static void test_names_round_trip(void **state)
{
    (void)state;
    for (int s = 0; s < SYNTH_N_SERVICES; s++) {
        assert_int_equal(synth_service_index(synth_service_name(s)), s);
        if (s) assert_true(strcmp(synth_service_name(s - 1), synth_service_name(s)) < 0); /* schema order */
    }
    for (int t = 0; t < SYNTH_N_FAULT_TYPES; t++) assert_int_equal(synth_fault_type_index(synth_fault_type_name(t)), t);
    for (int k = 0; k < SYNTH_N_KINDS; k++) assert_int_equal(synth_kind_index(synth_kind_name(k)), k);
    assert_int_equal(synth_service_index("nope"), -1);
    synth_model m;
    build_default(&m);
    for (int i = 1; i < m.n_ops; i++) {
        int c = strcmp(synth_service_name(m.op_service[i - 1]), synth_service_name(m.op_service[i]));
        assert_true(c < 0 || (c == 0 && strcmp(m.op_name[i - 1], m.op_name[i]) < 0));
    }
    synth_model_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_philox_known_answers),
        cmocka_unit_test(test_rng_streams_are_independent_of_order),
        cmocka_unit_test(test_rng_uniform_moments),
        cmocka_unit_test(test_trace_is_a_function_of_its_index),
        cmocka_unit_test(test_faults_come_from_the_seed_alone),
        cmocka_unit_test(test_start_times_follow_the_index),
        cmocka_unit_test(test_trees_are_preorder_and_nested),
        cmocka_unit_test(test_label_share_and_fault_ids),
        cmocka_unit_test(test_pod_failure),
        cmocka_unit_test(test_network_delay),
        cmocka_unit_test(test_packet_loss),
        cmocka_unit_test(test_cpu_stress),
        cmocka_unit_test(test_memory_stress),
        cmocka_unit_test(test_exception),
        cmocka_unit_test(test_wrong_return),
        cmocka_unit_test(test_replicated_pod_failure_hardly_shows),
        cmocka_unit_test(test_bad_params_are_usage_errors),
        cmocka_unit_test(test_names_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
