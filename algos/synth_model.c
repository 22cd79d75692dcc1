/* synth_model: the Online Boutique names and call graph, the default knobs,
 * the operation table and the fault plan (made from the seed alone, so every
 * rank builds the same list without talking to the others). The fault plan
 * runs the generator (synth.c) on the fault-free model to see which services
 * traces reach; synth.c never calls back here. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "le_base.h"
#include "rng.h"
#include "synth_internal.h"

static const char *const service_names[SYNTH_N_SERVICES] = {[SV_AD] = "adservice",
                                                            [SV_CART] = "cartservice",
                                                            [SV_CHECKOUT] = "checkoutservice",
                                                            [SV_CURRENCY] = "currencyservice",
                                                            [SV_EMAIL] = "emailservice",
                                                            [SV_FRONTEND] = "frontend",
                                                            [SV_PAYMENT] = "paymentservice",
                                                            [SV_CATALOG] = "productcatalogservice",
                                                            [SV_RECOMMEND] = "recommendationservice",
                                                            [SV_REDIS] = "redis-cart",
                                                            [SV_SHIPPING] = "shippingservice"};

static const char *const fault_type_names[SYNTH_N_FAULT_TYPES] = {
    "pod_failure", "network_delay", "packet_loss", "cpu_stress", "memory_stress", "exception", "wrong_return"};

static const char *const kind_names[SYNTH_N_KINDS] = {"home",        "set_currency", "product",
                                                      "add_to_cart", "view_cart",    "checkout"};

static const char *const root_op_name[SYNTH_N_KINDS] = {"GET /",      "POST /setCurrency", "GET /product/{id}",
                                                        "POST /cart", "GET /cart",         "POST /cart/checkout"};

static const char *const redis_cmd_name[N_REDIS] = {"HGET", "HSET", "EXPIRE"};

/* Who calls what (besides the frontend's root operations). */
static const struct {
    int caller, method;
} call_edges[] = {
    {SV_FRONTEND, M_GET_CART},       {SV_FRONTEND, M_ADD_ITEM},       {SV_FRONTEND, M_LIST_PRODUCTS},
    {SV_FRONTEND, M_GET_PRODUCT},    {SV_FRONTEND, M_GET_CURRENCIES}, {SV_FRONTEND, M_CONVERT},
    {SV_FRONTEND, M_GET_QUOTE},      {SV_FRONTEND, M_PLACE_ORDER},    {SV_FRONTEND, M_LIST_RECS},
    {SV_FRONTEND, M_GET_ADS},        {SV_CHECKOUT, M_GET_CART},       {SV_CHECKOUT, M_EMPTY_CART},
    {SV_CHECKOUT, M_GET_PRODUCT},    {SV_CHECKOUT, M_CONVERT},        {SV_CHECKOUT, M_CHARGE},
    {SV_CHECKOUT, M_GET_QUOTE},      {SV_CHECKOUT, M_SHIP_ORDER},     {SV_CHECKOUT, M_SEND_CONFIRMATION},
    {SV_RECOMMEND, M_LIST_PRODUCTS},
};

static int index_of(const char *const *names, int n, const char *name)
{
    for (int i = 0; i < n; i++)
        if (!strcmp(names[i], name)) return i;
    return -1;
}

const char *synth_service_name(int s) { return s >= 0 && s < SYNTH_N_SERVICES ? service_names[s] : "?"; }
const char *synth_fault_type_name(int t) { return t >= 0 && t < SYNTH_N_FAULT_TYPES ? fault_type_names[t] : "?"; }
const char *synth_kind_name(int k) { return k >= 0 && k < SYNTH_N_KINDS ? kind_names[k] : "?"; }
int synth_service_index(const char *name) { return index_of(service_names, SYNTH_N_SERVICES, name); }
int synth_fault_type_index(const char *name) { return index_of(fault_type_names, SYNTH_N_FAULT_TYPES, name); }
int synth_kind_index(const char *name) { return index_of(kind_names, SYNTH_N_KINDS, name); }

/* Which services each fault type can hit (code faults need code; a wrong
 * answer needs a caller that looks at it). */
static int fault_fits(int type, int service)
{
    switch (type) {
    case FT_EXCEPTION: return service != SV_REDIS;
    /* The ad and email answers are not checked by anyone; the frontend's
     * answer goes to a browser, outside the trace. */
    case FT_WRONG_RETURN: return service != SV_REDIS && service != SV_FRONTEND && service != SV_AD && service != SV_EMAIL;
    default: return 1;
    }
}

/* Keep in step with configs/synth/online-boutique.ini (a test checks it). */
void synth_params_default(synth_params *p)
{
    memset(p, 0, sizeof *p);
    p->seed = 1;
    p->n_traces = 130363;         /* D1: 103,078 normal + 27,285 abnormal */
    p->start_unix_s = 1710892800; /* 2024-03-20 00:00:00 UTC */
    p->hours = 48;
    p->load_amplitude = 0.6;
    p->peak_hour = 14;
    p->load_latency_gain = 0.5;
    /* The Online Boutique locustfile's task weights. */
    static const double mix[SYNTH_N_KINDS] = {[KIND_HOME] = 1,        [KIND_SET_CURRENCY] = 2, [KIND_PRODUCT] = 10,
                                              [KIND_ADD_TO_CART] = 2, [KIND_VIEW_CART] = 3,    [KIND_CHECKOUT] = 1};
    memcpy(p->mix, mix, sizeof mix);
    p->n_products = 9;
    p->n_recommendations = 4;
    p->cart_items_mean = 2.5;
    p->latency_scale = 1.0;
    p->tail_prob = 0.005;
    p->tail_alpha = 1.3;
    p->noise_client_error = 0.02;
    p->noise_ad_failure = 0.005;
    p->noise_redis_retry = 0.004;
    p->n_faults = 36;
    static const double tw[SYNTH_N_FAULT_TYPES] = {
        [FT_POD_FAILURE] = 6,   [FT_NETWORK_DELAY] = 7, [FT_PACKET_LOSS] = 6, [FT_CPU_STRESS] = 6,
        [FT_MEMORY_STRESS] = 5, [FT_EXCEPTION] = 3,     [FT_WRONG_RETURN] = 3};
    memcpy(p->fault_type_weight, tw, sizeof tw);
    static const double sw[SYNTH_N_SERVICES] = {
        [SV_FRONTEND] = 1,   [SV_CART] = 1.5,      [SV_REDIS] = 1,      [SV_CATALOG] = 1.5,
        [SV_CURRENCY] = 1.5, [SV_PAYMENT] = 0.5,   [SV_SHIPPING] = 0.5, [SV_EMAIL] = 0.5,
        [SV_CHECKOUT] = 0.5, [SV_RECOMMEND] = 1.5, [SV_AD] = 1};
    memcpy(p->fault_service_weight, sw, sizeof sw);
    p->fault_min_minutes = 10;
    p->fault_max_minutes = 40;
    p->intensity_min = 0.2;
    p->intensity_max = 1.0;
    p->target_abnormal = 0.21;
    static const double ep[SYNTH_N_FAULT_TYPES] = {
        [FT_POD_FAILURE] = 0.9,   [FT_NETWORK_DELAY] = 0.9, [FT_PACKET_LOSS] = 0.6, [FT_CPU_STRESS] = 0.8,
        [FT_MEMORY_STRESS] = 0.6, [FT_EXCEPTION] = 0.35,    [FT_WRONG_RETURN] = 0.5};
    memcpy(p->effect_prob, ep, sizeof ep);
    p->effect_prob_pod_replicated = 0.05;
    for (int s = 0; s < SYNTH_N_SERVICES; s++) p->replicas[s] = 2;
    p->replicas[SV_RECOMMEND] = 1; /* the paper: pod failures showed in traces only there */
}

/* ---- validation ---- */

static int check_range(const char *what, double v, double lo, double hi)
{
    if (!(v >= lo && v <= hi)) return le_fail(LE_ERR_USAGE, "synth: %s = %g is outside [%g, %g]", what, v, lo, hi);
    return 0;
}

static int check_weights(const char *what, const double *w, int n)
{
    double sum = 0;
    for (int i = 0; i < n; i++) {
        if (!(w[i] >= 0) || !isfinite(w[i])) return le_fail(LE_ERR_USAGE, "synth: %s weights must be >= 0", what);
        sum += w[i];
    }
    if (!(sum > 0)) return le_fail(LE_ERR_USAGE, "synth: %s weights are all zero", what);
    return 0;
}

static int check_params(const synth_params *p)
{
    LE_CHECK(check_range("traces", (double)p->n_traces, 0, 9.2e18));
    LE_CHECK(check_range("hours", p->hours, 1e-3, 1e6));
    LE_CHECK(check_range("load.amplitude", p->load_amplitude, 0, 0.95));
    LE_CHECK(check_range("load.peak_hour", p->peak_hour, 0, 24));
    LE_CHECK(check_range("load.latency_gain", p->load_latency_gain, 0, 10));
    LE_CHECK(check_weights("mix", p->mix, SYNTH_N_KINDS));
    LE_CHECK(check_range("shop.products", p->n_products, 0, 64));
    LE_CHECK(check_range("shop.recommendations", p->n_recommendations, 0, 16));
    LE_CHECK(check_range("shop.cart_items_mean", p->cart_items_mean, 1, 10));
    LE_CHECK(check_range("latency.scale", p->latency_scale, 1e-3, 1e3));
    LE_CHECK(check_range("latency.tail_prob", p->tail_prob, 0, 1));
    LE_CHECK(check_range("latency.tail_alpha", p->tail_alpha, 0.5, 10));
    LE_CHECK(check_range("noise.client_error", p->noise_client_error, 0, 1));
    LE_CHECK(check_range("noise.ad_failure", p->noise_ad_failure, 0, 1));
    LE_CHECK(check_range("noise.redis_retry", p->noise_redis_retry, 0, 1));
    LE_CHECK(check_range("faults.count", p->n_faults, 0, SYNTH_MAX_FAULTS));
    if (p->n_faults == 0) return 0;
    LE_CHECK(check_weights("fault type", p->fault_type_weight, SYNTH_N_FAULT_TYPES));
    LE_CHECK(check_weights("fault service", p->fault_service_weight, SYNTH_N_SERVICES));
    LE_CHECK(check_range("faults.min_minutes", p->fault_min_minutes, 0.01, 1e6));
    LE_CHECK(check_range("faults.max_minutes", p->fault_max_minutes, p->fault_min_minutes, 1e6));
    LE_CHECK(check_range("faults.intensity_min", p->intensity_min, 0, 1));
    LE_CHECK(check_range("faults.intensity_max", p->intensity_max, p->intensity_min, 1));
    LE_CHECK(check_range("faults.target_abnormal", p->target_abnormal, 0, 0.99));
    for (int t = 0; t < SYNTH_N_FAULT_TYPES; t++) LE_CHECK(check_range("effect probability", p->effect_prob[t], 0, 1));
    LE_CHECK(check_range("effect.pod_failure_replicated", p->effect_prob_pod_replicated, 0, 1));
    for (int s = 0; s < SYNTH_N_SERVICES; s++) LE_CHECK(check_range("replicas", p->replicas[s], 1, 1000));
    return 0;
}

/* ---- operations ---- */

static int add_op(synth_model *m, const char *name, int service)
{
    m->op_name[m->n_ops] = name;
    m->op_service[m->n_ops] = service;
    return m->n_ops++;
}

static int op_before(const synth_model *m, int a, int b)
{
    int c = strcmp(service_names[m->op_service[a]], service_names[m->op_service[b]]);
    return c ? c < 0 : strcmp(m->op_name[a], m->op_name[b]) < 0;
}

static void remap_op(int16_t *op, const int *rank_of)
{
    if (*op >= 0) *op = (int16_t)rank_of[*op];
}

/* Sort the operation table by (service name, name) and renumber every
 * reference, so the corpus tables need no remapping on the way out. */
static void sort_operations(synth_model *m)
{
    int order[SYNTH_MAX_OPS], rank_of[SYNTH_MAX_OPS];
    for (int i = 0; i < m->n_ops; i++) order[i] = i;
    for (int i = 1; i < m->n_ops; i++) /* insertion sort: a few dozen names */
        for (int j = i; j > 0 && op_before(m, order[j], order[j - 1]); j--) {
            int t = order[j];
            order[j] = order[j - 1], order[j - 1] = t;
        }
    const char *name[SYNTH_MAX_OPS];
    int32_t service[SYNTH_MAX_OPS];
    for (int r = 0; r < m->n_ops; r++) {
        rank_of[order[r]] = r;
        name[r] = m->op_name[order[r]];
        service[r] = m->op_service[order[r]];
    }
    memcpy(m->op_name, name, sizeof name);
    memcpy(m->op_service, service, sizeof service);
    for (int k = 0; k < SYNTH_N_KINDS; k++) remap_op(&m->root_op[k], rank_of);
    for (int i = 0; i < N_METHODS; i++) {
        remap_op(&m->server_op[i], rank_of);
        for (int s = 0; s < SYNTH_N_SERVICES; s++) remap_op(&m->client_op[i][s], rank_of);
    }
    for (int r = 0; r < N_REDIS; r++) remap_op(&m->redis_op[r], rank_of);
}

static void build_operations(synth_model *m)
{
    for (int k = 0; k < SYNTH_N_KINDS; k++) m->root_op[k] = (int16_t)add_op(m, root_op_name[k], SV_FRONTEND);
    for (int i = 0; i < N_METHODS; i++)
        for (int s = 0; s < SYNTH_N_SERVICES; s++) m->client_op[i][s] = -1;
    /* A gRPC call is two spans with the same name: the caller's client span
     * and the callee's server span, so each (service, name) is an operation. */
    for (int i = 0; i < N_METHODS; i++) {
        m->server_op[i] = (int16_t)add_op(m, methods[i].name, methods[i].service);
        for (size_t e = 0; e < sizeof call_edges / sizeof *call_edges; e++)
            if (call_edges[e].method == i)
                m->client_op[i][call_edges[e].caller] = (int16_t)add_op(m, methods[i].name, call_edges[e].caller);
    }
    for (int r = 0; r < N_REDIS; r++) m->redis_op[r] = (int16_t)add_op(m, redis_cmd_name[r], SV_REDIS);
    sort_operations(m);
}

/* ---- the fault plan ---- */

/* Fault types in slot order: counts in proportion to the weights (largest
 * remainder, so the mix is exact), then shuffled by the seed. */
static void plan_types(const synth_params *p, int *types)
{
    double sum = 0, rem[SYNTH_N_FAULT_TYPES];
    int count[SYNTH_N_FAULT_TYPES], used = 0;
    for (int t = 0; t < SYNTH_N_FAULT_TYPES; t++) sum += p->fault_type_weight[t];
    for (int t = 0; t < SYNTH_N_FAULT_TYPES; t++) {
        double q = p->fault_type_weight[t] / sum * p->n_faults;
        count[t] = (int)floor(q);
        rem[t] = q - count[t];
        used += count[t];
    }
    for (; used < p->n_faults; used++) {
        int best = 0;
        for (int t = 1; t < SYNTH_N_FAULT_TYPES; t++)
            if (rem[t] > rem[best]) best = t;
        count[best]++;
        rem[best] = -1;
    }
    int k = 0;
    for (int t = 0; t < SYNTH_N_FAULT_TYPES; t++)
        for (int c = 0; c < count[t]; c++) types[k++] = t;
    le_rng r;
    le_rng_init(&r, p->seed, 0, DOM_FAULT_PLAN);
    for (int i = p->n_faults - 1; i > 0; i--) {
        int j = (int)le_rng_below(&r, (uint32_t)i + 1);
        int tmp = types[i];
        types[i] = types[j], types[j] = tmp;
    }
}

/* Share of fault-free traces that pass through each service, from a fixed
 * sample (traces 0..n of the fault-free model: structure does not depend on
 * the corpus size, so neither does the fault plan). */
static int measure_reach(const synth_params *p, double *reach)
{
    enum { SAMPLE = 4000 };
    synth_params q = *p;
    q.n_faults = 0;
    q.n_traces = SAMPLE;
    synth_model fm;
    LE_CHECK(synth_model_build(&fm, &q));
    int32_t *i32 = le_malloc(sizeof(int32_t) * 4 * SYNTH_MAX_SPANS);
    int64_t *i64 = le_malloc(sizeof(int64_t) * 2 * SYNTH_MAX_SPANS);
    int8_t *err = le_malloc(SYNTH_MAX_SPANS);
    synth_out out = {SYNTH_MAX_SPANS,           i32, i32 + SYNTH_MAX_SPANS, i32 + 2 * SYNTH_MAX_SPANS,
                     i32 + 3 * SYNTH_MAX_SPANS, i64, i64 + SYNTH_MAX_SPANS, err};
    int hits[SYNTH_N_SERVICES] = {0}, rc = 0;
    for (int i = 0; i < SAMPLE && !rc; i++) {
        synth_trace_info info;
        rc = synth_trace(&fm, (uint64_t)i, &out, &info);
        unsigned seen = 0;
        for (int32_t s = 0; s < info.n_spans && !rc; s++) seen |= 1u << out.service[s];
        for (int s = 0; s < SYNTH_N_SERVICES; s++) hits[s] += (seen >> s) & 1;
    }
    for (int s = 0; s < SYNTH_N_SERVICES; s++) reach[s] = (double)hits[s] / SAMPLE;
    free(i32), free(i64), free(err);
    synth_model_free(&fm);
    return rc;
}

typedef struct fault_draft {
    double base_hours, offset; /* drawn duration and position in the slot (0..1) */
} fault_draft;

static void draw_fault(const synth_params *p, int k, int type, synth_fault *f, fault_draft *d)
{
    le_rng r;
    le_rng_init(&r, p->seed, (uint64_t)k, DOM_FAULT);
    double cum[SYNTH_N_SERVICES], sum = 0;
    for (int s = 0; s < SYNTH_N_SERVICES; s++) cum[s] = sum += fault_fits(type, s) ? p->fault_service_weight[s] : 0;
    f->type = type;
    f->service = le_rng_pick(&r, cum, SYNTH_N_SERVICES);
    f->intensity = p->intensity_min + (p->intensity_max - p->intensity_min) * le_rng_uniform(&r);
    d->base_hours = (p->fault_min_minutes + (p->fault_max_minutes - p->fault_min_minutes) * le_rng_uniform(&r)) / 60.0;
    d->offset = le_rng_uniform(&r);
    if (type == FT_POD_FAILURE)
        f->p_effect = p->replicas[f->service] > 1 ? p->effect_prob_pod_replicated : p->effect_prob[type];
    else
        f->p_effect = p->effect_prob[type] * (0.5 + 0.5 * f->intensity); /* a weak fault shows less often */
}

/* Place every fault with durations scaled by c (capped at its slot) and
 * return the expected abnormal share. */
static double place_faults(synth_model *m, const fault_draft *d, const double *reach, double c)
{
    const synth_params *p = &m->p;
    double slot = p->hours / m->n_faults, total = 0;
    for (int k = 0; k < m->n_faults; k++) {
        synth_fault *f = &m->faults[k];
        double dur = fmin(c * d[k].base_hours, 0.95 * slot);
        double h0 = k * slot + d[k].offset * (slot - dur), h1 = h0 + dur;
        f->start_us = p->start_unix_s * 1000000 + llround(h0 * 3.6e9);
        f->end_us = p->start_unix_s * 1000000 + llround(h1 * 3.6e9);
        double arrivals = (synth_load_integral(p, h1) - synth_load_integral(p, h0)) / m->total_lambda;
        f->expected_share = arrivals * reach[f->service] * f->p_effect;
        total += f->expected_share;
    }
    return total;
}

static int build_faults(synth_model *m)
{
    const synth_params *p = &m->p;
    double reach[SYNTH_N_SERVICES];
    LE_CHECK(measure_reach(p, reach));
    memcpy(m->service_reach, reach, sizeof reach);
    int *types = le_malloc(sizeof(int) * (size_t)p->n_faults);
    fault_draft *d = le_malloc(sizeof *d * (size_t)p->n_faults);
    m->n_faults = p->n_faults;
    m->faults = le_calloc((size_t)p->n_faults, sizeof *m->faults);
    plan_types(p, types);
    for (int k = 0; k < p->n_faults; k++) draw_fault(p, k, types[k], &m->faults[k], &d[k]);
    double c = 1.0;
    if (p->target_abnormal > 0) {
        /* Scale all durations by one factor so the expected share of abnormal
         * traces is the target (bisection: the share grows with the factor). */
        double lo = 0, hi = 1e4;
        for (int it = 0; it < 60; it++) {
            c = 0.5 * (lo + hi);
            if (place_faults(m, d, reach, c) < p->target_abnormal)
                lo = c;
            else
                hi = c;
        }
    }
    m->expected_abnormal = place_faults(m, d, reach, c);
    free(types);
    free(d);
    return 0;
}

int synth_model_build(synth_model *m, const synth_params *p)
{
    LE_CHECK(check_params(p));
    memset(m, 0, sizeof *m);
    m->p = *p;
    build_operations(m);
    double sum = 0;
    for (int k = 0; k < SYNTH_N_KINDS; k++) m->mix_cum[k] = sum += p->mix[k];
    m->total_lambda = synth_load_integral(p, p->hours);
    if (p->n_faults > 0) LE_CHECK(build_faults(m));
    return 0;
}

void synth_model_free(synth_model *m)
{
    free(m->faults);
    m->faults = NULL;
    m->n_faults = 0;
}
