/* synth: Online Boutique traces with injected faults (see synth.h and
 * docs/synth.md). The request handlers below follow the Online Boutique
 * sources (frontend/handlers.go, checkoutservice/main.go, ...): the same
 * gRPC methods in the same order, with the home page's independent calls
 * issued in parallel as the load-tested forks do.
 *
 * Times are computed in double microseconds relative to the trace start and
 * rounded once when a span is finished, so nesting survives rounding.
 *
 * The generator reads the model (synth_model.c builds it) but calls nothing
 * there: the model builder measures the fault-free model with this
 * generator, so the methods' latencies and the load curve live here and the
 * calls between the two files go one way. */
#include "synth.h"

#include <math.h>
#include <string.h>

#include "le_base.h"
#include "rng.h"
#include "synth_internal.h"

/* ---- the services' gRPC methods ---- */

/* Own-time medians: Go and C# services answer in a fraction of a
 * millisecond, the Python ones (recommendation, email) and the Java ad
 * service are slower and wider. */
const method_def methods[N_METHODS] = {
    [M_GET_CART] = {"hipstershop.CartService/GetCart", SV_CART, 0.40, 0.40},
    [M_ADD_ITEM] = {"hipstershop.CartService/AddItem", SV_CART, 0.50, 0.40},
    [M_EMPTY_CART] = {"hipstershop.CartService/EmptyCart", SV_CART, 0.40, 0.40},
    [M_LIST_PRODUCTS] = {"hipstershop.ProductCatalogService/ListProducts", SV_CATALOG, 0.30, 0.35},
    [M_GET_PRODUCT] = {"hipstershop.ProductCatalogService/GetProduct", SV_CATALOG, 0.12, 0.35},
    [M_GET_CURRENCIES] = {"hipstershop.CurrencyService/GetSupportedCurrencies", SV_CURRENCY, 0.60, 0.40},
    [M_CONVERT] = {"hipstershop.CurrencyService/Convert", SV_CURRENCY, 0.45, 0.40},
    [M_CHARGE] = {"hipstershop.PaymentService/Charge", SV_PAYMENT, 1.20, 0.45},
    [M_GET_QUOTE] = {"hipstershop.ShippingService/GetQuote", SV_SHIPPING, 0.30, 0.35},
    [M_SHIP_ORDER] = {"hipstershop.ShippingService/ShipOrder", SV_SHIPPING, 0.40, 0.35},
    [M_SEND_CONFIRMATION] = {"hipstershop.EmailService/SendOrderConfirmation", SV_EMAIL, 4.00, 0.55},
    [M_PLACE_ORDER] = {"hipstershop.CheckoutService/PlaceOrder", SV_CHECKOUT, 0.80, 0.40},
    [M_LIST_RECS] = {"hipstershop.RecommendationService/ListRecommendations", SV_RECOMMEND, 1.80, 0.50},
    [M_GET_ADS] = {"hipstershop.AdService/GetAds", SV_AD, 0.90, 0.60},
};

/* ---- the span writer ---- */

typedef struct gen {
    const synth_model *m;
    le_rng r;  /* DOM_TRACE */
    le_rng fr; /* DOM_FAULT_EFFECT: fault decisions only, so an unaffected trace equals its fault-free self */
    synth_out *out;
    int32_t n;
    int overflow;
    double slow; /* load-dependent latency factor */
    int n_items; /* items in the user's cart */
    int client_error, ad_failure, redis_retry;
    const synth_fault *f; /* the fault affecting this trace, or NULL */
    int touched;          /* a fault effect was applied (the trace is abnormal) */
    int hits;             /* calls through the faulty service so far */
} gen;

enum { CALL_OK, CALL_FAILED, CALL_EMPTY };

static int32_t emit(gen *g, int32_t parent, int service, int op, double start)
{
    if (g->n >= g->out->cap) {
        g->overflow = 1;
        return -1;
    }
    int32_t i = g->n++;
    g->out->parent[i] = parent;
    g->out->service[i] = service;
    g->out->operation[i] = op;
    g->out->start_us[i] = llround(start);
    g->out->duration_us[i] = 0;
    g->out->status_code[i] = 0;
    g->out->error[i] = 0;
    return i;
}

static void finish(gen *g, int32_t i, double end, int32_t status, int error)
{
    if (i < 0) return;
    int64_t d = llround(end) - g->out->start_us[i];
    g->out->duration_us[i] = d > 0 ? d : 0;
    g->out->status_code[i] = status;
    g->out->error[i] = (int8_t)error;
}

/* ---- latency ---- */

static double net_us(gen *g) { return le_rng_lognormal(&g->r, 120.0, 0.35) * g->slow; }
static double gap_us(gen *g) { return le_rng_lognormal(&g->r, 25.0, 0.5); }
static double spawn_us(gen *g) { return 20.0 + 40.0 * le_rng_uniform(&g->r); }

/* The fault type acting on service s in this trace, or -1. */
static int effect_on(const gen *g, int s) { return g->f && g->f->service == s ? g->f->type : -1; }

/* The ad service is the one JVM: starved of CPU or memory it stops the
 * world for longer than the frontend's 100 ms deadline for ads (benign GC
 * pauses of that size are noise_ad_failure), so stress there shows as
 * deadline errors rather than as a few milliseconds lost in its wide spread. */
static double jvm_gc_pause(gen *g, int s)
{
    if (s != SV_AD) return 0;
    return 80000.0 + 120000.0 * le_rng_uniform(&g->fr);
}

/* A service's own work: lognormal body, a rare heavy-tailed slow-down
 * (benign noise: GC, noisy neighbours), the load factor, and CPU or memory
 * stress when the service is under such a fault. */
static double service_time(gen *g, int s, double median_ms, double sigma)
{
    const synth_params *p = &g->m->p;
    double t = le_rng_lognormal(&g->r, median_ms * 1000.0 * p->latency_scale, sigma) * g->slow;
    if (le_rng_bernoulli(&g->r, p->tail_prob)) t *= fmin(le_rng_pareto(&g->r, p->tail_alpha), 200.0);
    int e = effect_on(g, s);
    if (e == FT_CPU_STRESS) {
        double I = g->f->intensity;
        /* A fraction of the CPU it had, plus CFS throttling when the quota runs out. */
        t = t * (3.0 + 9.0 * I) + (0.5 + 0.5 * le_rng_uniform(&g->fr)) * (3000.0 + 9000.0 * I);
        t += jvm_gc_pause(g, s);
        g->touched = 1;
    } else if (e == FT_MEMORY_STRESS) {
        double I = g->f->intensity;
        /* Paging and GC: the first request through the service always stalls
         * (so an affected trace shows it), later ones often. */
        if (g->hits++ == 0 || le_rng_bernoulli(&g->fr, 0.2 + 0.4 * I))
            t = t * (2.0 + 6.0 * I) + (3000.0 + 17000.0 * I) * le_rng_lognormal(&g->fr, 1.0, 0.3) + jvm_gc_pause(g, s);
        g->touched = 1;
    }
    return t;
}

/* ---- calls ---- */

/* Injected latency grows with the square of the intensity: weak faults add
 * a few milliseconds (plain on the span, lost in the end-to-end time). */
static double fault_delay_us(gen *g)
{
    double I = g->f->intensity;
    return (1000.0 + 24000.0 * I * I) * (0.8 + 0.4 * le_rng_uniform(&g->fr));
}

/* Packet loss on a call into or out of the faulty service: the first such
 * call of an affected trace always loses a packet, later ones by the loss rate. */
static int packet_lost(gen *g, int caller, int callee)
{
    if (!g->f || g->f->type != FT_PACKET_LOSS || (g->f->service != caller && g->f->service != callee)) return 0;
    g->touched = 1;
    return g->hits++ == 0 || le_rng_bernoulli(&g->fr, 0.2 + 0.5 * g->f->intensity);
}

/* Network delay adds to packets leaving the faulty service's pod. */
static double delay_out(gen *g, int from)
{
    if (effect_on(g, from) != FT_NETWORK_DELAY) return 0;
    g->touched = 1;
    return fault_delay_us(g);
}

static int serve(gen *g, int32_t span, int method, double t, double *end);

/* One attempt of a gRPC call: the server span and its subtree. Sets the
 * time the answer reaches the caller and the server's status. */
static int attempt(gen *g, int32_t client, int caller, int method, double t, double *resp_at, int32_t *status,
                   int32_t *server)
{
    const method_def *md = &methods[method];
    double s0 = t + net_us(g) + delay_out(g, caller);
    int32_t s = emit(g, client, md->service, g->m->server_op[method], s0);
    double s_end;
    int rc = serve(g, s, method, s0, &s_end);
    *status = s >= 0 ? g->out->status_code[s] : 0;
    *server = s;
    *resp_at = s_end + net_us(g) + delay_out(g, md->service);
    return rc;
}

#define ATTEMPT_TIMEOUT_US 250000.0
#define TCP_RTO_US 200000.0
#define TCP_TLP_US 10000.0

/* A lost segment comes back after a tail loss probe (~10 ms), or after the
 * 200 ms minimum RTO when the probe is lost too. */
static double retransmit_us(gen *g)
{
    double loss = 0.2 + 0.5 * g->f->intensity;
    if (le_rng_bernoulli(&g->fr, loss)) return TCP_RTO_US;
    return TCP_TLP_US * (1.0 + 0.5 * le_rng_uniform(&g->fr));
}

/* Caller (span parent of service caller) calls method at time t. deadline_us
 * > 0 cuts the call short (the frontend gives ads 100 ms). fanout: the
 * caller iterates over the result, so a wrong (empty) answer shows as
 * missing calls rather than as an error. Returns CALL_*; *end is when the
 * caller has the answer. */
static int call(gen *g, int32_t parent, int caller, int method, double t, int fanout, double deadline_us, double *end)
{
    const method_def *md = &methods[method];
    int callee = md->service;
    int32_t c = emit(g, parent, caller, g->m->client_op[method][caller], t);
    int e = effect_on(g, callee);

    if (e == FT_POD_FAILURE) {
        /* Connection refused: fails fast, the server span never exists. */
        double d = 1000.0 + 2000.0 * le_rng_uniform(&g->fr);
        g->touched = 1;
        finish(g, c, t + d, GRPC_UNAVAILABLE, 1);
        *end = t + d;
        return CALL_FAILED;
    }

    double at = t;
    int lost = packet_lost(g, caller, callee);
    if (lost && !le_rng_bernoulli(&g->fr, 0.15)) {
        at += retransmit_us(g);
        lost = 0;
    }
    double resp;
    int32_t status, server;
    int rc = attempt(g, c, caller, method, at, &resp, &status, &server);
    if (lost) {
        /* The answer was lost: gRPC retries after the attempt timeout, and a
         * second server span appears under the same client span. */
        at += ATTEMPT_TIMEOUT_US + 10000.0 * le_rng_uniform(&g->fr);
        if (le_rng_bernoulli(&g->fr, 0.2 + 0.5 * g->f->intensity)) {
            finish(g, c, at, GRPC_DEADLINE_EXCEEDED, 1);
            *end = at;
            return CALL_FAILED;
        }
        rc = attempt(g, c, caller, method, at, &resp, &status, &server);
    }

    if (deadline_us > 0 && resp > t + deadline_us) {
        /* The server sees the cancellation and stops (callees with a
         * deadline are leaves, so no grandchild outlives the call). */
        if (server >= 0 && g->out->start_us[server] + g->out->duration_us[server] > llround(t + deadline_us))
            finish(g, server, t + deadline_us, GRPC_CANCELLED, 0);
        finish(g, c, t + deadline_us, GRPC_DEADLINE_EXCEEDED, 1);
        *end = t + deadline_us;
        return CALL_FAILED;
    }
    if (rc == CALL_OK && e == FT_WRONG_RETURN) {
        /* The server answers OK with wrong content: an empty list where the
         * caller iterates, else a value the caller's validation rejects. */
        g->touched = 1;
        rc = fanout ? CALL_EMPTY : CALL_FAILED;
    }
    /* A wrong answer fails in the caller, not on the wire: the client span stays OK. */
    int wire_error = rc == CALL_FAILED && status != 0;
    finish(g, c, resp, wire_error ? status : 0, wire_error);
    *end = resp;
    return rc;
}

/* A redis command from the cart service: one span in redis-cart. */
static int redis_cmd(gen *g, int32_t parent, int cmd, double t, int may_retry_noise, double *end)
{
    int32_t s = emit(g, parent, SV_REDIS, g->m->redis_op[cmd], t);
    if (effect_on(g, SV_REDIS) == FT_POD_FAILURE) {
        g->touched = 1;
        *end = t + 500.0 + 1500.0 * le_rng_uniform(&g->fr);
        finish(g, s, *end, 0, 1);
        return CALL_FAILED;
    }
    int lost = packet_lost(g, SV_CART, SV_REDIS);
    int noise = may_retry_noise && g->redis_retry;
    double d = net_us(g) * 2 + service_time(g, SV_REDIS, 0.15, 0.4) + delay_out(g, SV_REDIS) + delay_out(g, SV_CART);
    if (lost && !le_rng_bernoulli(&g->fr, 0.15)) d += retransmit_us(g), lost = 0;
    if (lost || noise) {
        /* The client times out, logs an error span and retries once. */
        double to = noise ? 5000.0 * (1.0 + le_rng_uniform(&g->r)) : ATTEMPT_TIMEOUT_US;
        finish(g, s, t + to, 0, 1);
        t += to + gap_us(g);
        s = emit(g, parent, SV_REDIS, g->m->redis_op[cmd], t);
    }
    *end = t + d;
    finish(g, s, *end, 0, 0);
    return CALL_OK;
}

/* Calls made one after another; stops at the first failure of a required one. */
static int seq_call(gen *g, int32_t parent, int caller, int method, double *t, int fanout)
{
    double end;
    int rc = call(g, parent, caller, method, *t, fanout, 0, &end);
    *t = end + gap_us(g);
    return rc;
}

/* n calls of one method issued together (goroutines); returns failed if any failed. */
static int fan_out(gen *g, int32_t parent, int caller, int method, int n, double *t)
{
    double start = *t, last = *t;
    int rc = CALL_OK;
    for (int i = 0; i < n; i++) {
        double end;
        if (call(g, parent, caller, method, start, 0, 0, &end) == CALL_FAILED) rc = CALL_FAILED;
        if (end > last) last = end;
        start += spawn_us(g);
    }
    *t = last + gap_us(g);
    return rc;
}

/* ---- servers ---- */

static int serve_cart(gen *g, int32_t span, int method, double t, double *end)
{
    double self = service_time(g, SV_CART, methods[method].self_ms, methods[method].sigma);
    t += 0.6 * self;
    int rc = CALL_OK;
    if (method == M_GET_CART) {
        rc = redis_cmd(g, span, R_HGET, t, 1, &t);
    } else if (method == M_ADD_ITEM) {
        if (redis_cmd(g, span, R_HGET, t, 1, &t) || redis_cmd(g, span, R_HSET, t + gap_us(g), 0, &t) ||
            redis_cmd(g, span, R_EXPIRE, t + gap_us(g), 0, &t))
            rc = CALL_FAILED;
    } else {
        if (redis_cmd(g, span, R_HSET, t, 0, &t) || redis_cmd(g, span, R_EXPIRE, t + gap_us(g), 0, &t)) rc = CALL_FAILED;
    }
    *end = t + 0.4 * self;
    return rc;
}

static int serve_recommendations(gen *g, int32_t span, double t, double *end)
{
    double self = service_time(g, SV_RECOMMEND, methods[M_LIST_RECS].self_ms, methods[M_LIST_RECS].sigma);
    t += 0.3 * self;
    int rc = seq_call(g, span, SV_RECOMMEND, M_LIST_PRODUCTS, &t, 1);
    *end = t + 0.7 * self;
    return rc; /* an empty catalog gives an empty recommendation list */
}

static int serve_place_order(gen *g, int32_t span, double t, double *end)
{
    double self = service_time(g, SV_CHECKOUT, methods[M_PLACE_ORDER].self_ms, methods[M_PLACE_ORDER].sigma);
    t += 0.5 * self;
    int rc = seq_call(g, span, SV_CHECKOUT, M_GET_CART, &t, 1);
    int items = rc == CALL_EMPTY ? 0 : g->n_items;
    if (rc == CALL_EMPTY) rc = CALL_OK;
    for (int i = 0; i < items && !rc; i++) {
        rc = seq_call(g, span, SV_CHECKOUT, M_GET_PRODUCT, &t, 0);
        if (!rc) rc = seq_call(g, span, SV_CHECKOUT, M_CONVERT, &t, 0);
    }
    static const int steps[] = {M_GET_QUOTE, M_CONVERT, M_CHARGE, M_SHIP_ORDER, M_EMPTY_CART};
    for (size_t i = 0; i < sizeof steps / sizeof *steps && !rc; i++) rc = seq_call(g, span, SV_CHECKOUT, steps[i], &t, 0);
    if (!rc) seq_call(g, span, SV_CHECKOUT, M_SEND_CONFIRMATION, &t, 0); /* a failed email only logs */
    *end = t + 0.5 * self;
    return rc;
}

/* The server side of method: emits its children, sets its status. */
static int serve(gen *g, int32_t span, int method, double t, double *end)
{
    const method_def *md = &methods[method];
    int e = effect_on(g, md->service), rc;
    if (e == FT_EXCEPTION) {
        /* An unhandled exception before any downstream call. */
        *end = t + service_time(g, md->service, md->self_ms, md->sigma) * le_rng_uniform(&g->fr);
        g->touched = 1;
        finish(g, span, *end, GRPC_UNKNOWN, 1);
        return CALL_FAILED;
    }
    if (method == M_GET_PRODUCT && g->client_error == 1) {
        /* Benign noise: the user asked for a product that does not exist. */
        *end = t + service_time(g, md->service, md->self_ms, md->sigma);
        finish(g, span, *end, GRPC_NOT_FOUND, 0);
        g->client_error = 2; /* the frontend answers 404 */
        return CALL_FAILED;
    }
    switch (md->service) {
    case SV_CART: rc = serve_cart(g, span, method, t, end); break;
    case SV_RECOMMEND: rc = serve_recommendations(g, span, t, end); break;
    case SV_CHECKOUT: rc = serve_place_order(g, span, t, end); break;
    default:
        if (method == M_GET_ADS && g->ad_failure) t += 100000.0 + 50000.0 * le_rng_uniform(&g->r); /* a long GC pause */
        *end = t + service_time(g, md->service, md->self_ms, md->sigma);
        rc = CALL_OK;
    }
    finish(g, span, *end, rc == CALL_FAILED ? GRPC_INTERNAL : 0, rc == CALL_FAILED);
    return rc;
}

/* ---- the frontend ---- */

static void call_ads(gen *g, int32_t root, double *t)
{
    double end;
    call(g, root, SV_FRONTEND, M_GET_ADS, *t, 0, 100000.0, &end); /* optional: a failure only hides the ad */
    *t = end + gap_us(g);
}

/* Recommendations and the products they name; optional on every page. */
static void call_recommendations(gen *g, int32_t root, double *t)
{
    double end;
    int rc = call(g, root, SV_FRONTEND, M_LIST_RECS, *t, 1, 0, &end);
    *t = end + gap_us(g);
    if (rc == CALL_OK) fan_out(g, root, SV_FRONTEND, M_GET_PRODUCT, g->m->p.n_recommendations, t);
}

static int page_home(gen *g, int32_t root, double *t)
{
    static const int first[] = {M_GET_CURRENCIES, M_LIST_PRODUCTS, M_GET_CART};
    double start = *t, last = *t;
    int rc = CALL_OK, products = g->m->p.n_products;
    for (int i = 0; i < 3; i++) {
        double end;
        int r = call(g, root, SV_FRONTEND, first[i], start, first[i] == M_LIST_PRODUCTS, 0, &end);
        if (r == CALL_EMPTY)
            products = 0;
        else if (r)
            rc = r;
        if (end > last) last = end;
        start += spawn_us(g);
    }
    *t = last + gap_us(g);
    if (rc) return rc;
    if (fan_out(g, root, SV_FRONTEND, M_CONVERT, products, t)) return CALL_FAILED;
    call_ads(g, root, t);
    return CALL_OK;
}

static int page_product(gen *g, int32_t root, double *t)
{
    static const int steps[] = {M_GET_PRODUCT, M_GET_CURRENCIES, M_GET_CART, M_CONVERT};
    for (int i = 0; i < 4; i++)
        if (seq_call(g, root, SV_FRONTEND, steps[i], t, 0)) return CALL_FAILED;
    call_recommendations(g, root, t);
    call_ads(g, root, t);
    return CALL_OK;
}

static int page_add_to_cart(gen *g, int32_t root, double *t)
{
    if (seq_call(g, root, SV_FRONTEND, M_GET_PRODUCT, t, 0)) return CALL_FAILED;
    return seq_call(g, root, SV_FRONTEND, M_ADD_ITEM, t, 0) ? CALL_FAILED : CALL_OK;
}

static int page_view_cart(gen *g, int32_t root, double *t)
{
    if (seq_call(g, root, SV_FRONTEND, M_GET_CURRENCIES, t, 0)) return CALL_FAILED;
    int rc = seq_call(g, root, SV_FRONTEND, M_GET_CART, t, 1);
    if (rc == CALL_FAILED) return rc;
    int items = rc == CALL_EMPTY ? 0 : g->n_items;
    call_recommendations(g, root, t);
    if (seq_call(g, root, SV_FRONTEND, M_GET_QUOTE, t, 0) || seq_call(g, root, SV_FRONTEND, M_CONVERT, t, 0))
        return CALL_FAILED;
    for (int i = 0; i < items; i++)
        if (seq_call(g, root, SV_FRONTEND, M_GET_PRODUCT, t, 0) || seq_call(g, root, SV_FRONTEND, M_CONVERT, t, 0))
            return CALL_FAILED;
    return CALL_OK;
}

static int page_checkout(gen *g, int32_t root, double *t)
{
    if (seq_call(g, root, SV_FRONTEND, M_PLACE_ORDER, t, 0)) return CALL_FAILED;
    call_recommendations(g, root, t);
    return seq_call(g, root, SV_FRONTEND, M_GET_CURRENCIES, t, 0) ? CALL_FAILED : CALL_OK;
}

static void serve_root(gen *g, int kind)
{
    int32_t root = emit(g, -1, SV_FRONTEND, g->m->root_op[kind], 0.0);
    int e = effect_on(g, SV_FRONTEND);
    if (e == FT_POD_FAILURE || e == FT_EXCEPTION) {
        /* The ingress answers 503 for a dead pod; a panic gives a 500. */
        g->touched = 1;
        finish(g, root, 500.0 + 2000.0 * le_rng_uniform(&g->fr), e == FT_POD_FAILURE ? 503 : 500, 1);
        return;
    }
    double self = service_time(g, SV_FRONTEND, 1.2, 0.45);
    double t = 0.5 * self;
    int rc = CALL_OK;
    switch (kind) {
    case KIND_HOME: rc = page_home(g, root, &t); break;
    case KIND_PRODUCT: rc = page_product(g, root, &t); break;
    case KIND_ADD_TO_CART: rc = page_add_to_cart(g, root, &t); break;
    case KIND_VIEW_CART: rc = page_view_cart(g, root, &t); break;
    case KIND_CHECKOUT: rc = page_checkout(g, root, &t); break;
    default: break; /* set currency: a cookie and a redirect */
    }
    int ok_status = kind == KIND_SET_CURRENCY || kind == KIND_ADD_TO_CART ? 302 : 200;
    if (rc == CALL_FAILED && g->client_error == 2)
        finish(g, root, t + 0.2 * self, 404, 0);
    else if (rc == CALL_FAILED)
        finish(g, root, t + 0.2 * self, 500, 1);
    else
        finish(g, root, t + 0.5 * self, ok_status, 0);
}

/* ---- arrivals: the daily load curve (hours from the start; rate in units
 * of the mean) ---- */

#define TWO_PI 6.283185307179586

double synth_load_integral(const synth_params *p, double h)
{
    double w = TWO_PI / 24.0, a = p->load_amplitude;
    return h + a / w * (sin(w * (h - p->peak_hour)) - sin(w * (-p->peak_hour)));
}

double synth_load_relative(const synth_params *p, double h)
{
    return (1.0 + p->load_amplitude * cos(TWO_PI / 24.0 * (h - p->peak_hour))) / (1.0 + p->load_amplitude);
}

/* The hour at which the cumulative load reaches y: Newton on a monotone
 * function, kept inside a shrinking bracket. */
double synth_load_inverse(const synth_params *p, double y)
{
    double lo = 0, hi = p->hours, h = y < hi ? y : hi;
    for (int it = 0; it < 60; it++) {
        double f = synth_load_integral(p, h) - y;
        if (fabs(f) < 1e-12) break;
        if (f > 0)
            hi = h;
        else
            lo = h;
        double d = 1.0 + p->load_amplitude * cos(TWO_PI / 24.0 * (h - p->peak_hour));
        double nh = h - f / d;
        h = nh > lo && nh < hi ? nh : 0.5 * (lo + hi);
    }
    return h;
}

static double trace_hour(const synth_model *m, uint64_t index)
{
    le_rng r;
    le_rng_init(&r, m->p.seed, index, DOM_ARRIVAL);
    /* Trace i arrives in the i-th of n equal slices of cumulative load, so
     * arrivals follow the load curve and their order is the index order. */
    double y = ((double)index + le_rng_uniform(&r)) / (double)m->p.n_traces * m->total_lambda;
    return synth_load_inverse(&m->p, y);
}

static int64_t hour_to_us(const synth_params *p, double h) { return p->start_unix_s * 1000000 + llround(h * 3.6e9); }

int64_t synth_trace_start_us(const synth_model *m, uint64_t index) { return hour_to_us(&m->p, trace_hour(m, index)); }

/* ---- a trace ---- */

static const synth_fault *fault_at(const synth_model *m, int64_t t, int32_t *idx)
{
    int lo = 0, hi = m->n_faults; /* first fault starting after t */
    while (lo < hi) {
        int mid = (lo + hi) / 2;
        if (m->faults[mid].start_us <= t)
            lo = mid + 1;
        else
            hi = mid;
    }
    *idx = lo - 1;
    if (lo == 0 || t >= m->faults[lo - 1].end_us) {
        *idx = -1;
        return NULL;
    }
    return &m->faults[lo - 1];
}

static void trace_id(const synth_model *m, uint64_t index, char *id)
{
    le_rng r;
    le_rng_init(&r, m->p.seed, index, DOM_TRACE_ID);
    static const char hex[] = "0123456789abcdef";
    uint64_t a = le_rng_u64(&r), b = le_rng_u64(&r);
    for (int i = 0; i < 16; i++) id[i] = hex[(a >> (60 - 4 * i)) & 15], id[16 + i] = hex[(b >> (60 - 4 * i)) & 15];
}

static void draw_user(gen *g, int kind)
{
    const synth_params *p = &g->m->p;
    g->n_items = 1;
    while (g->n_items < 10 && le_rng_bernoulli(&g->r, 1.0 - 1.0 / p->cart_items_mean)) g->n_items++;
    double u = le_rng_uniform(&g->r);
    g->client_error = (kind == KIND_PRODUCT || kind == KIND_ADD_TO_CART) && u < p->noise_client_error;
    g->ad_failure = le_rng_bernoulli(&g->r, p->noise_ad_failure);
    g->redis_retry = le_rng_bernoulli(&g->r, p->noise_redis_retry);
}

int synth_trace(const synth_model *m, uint64_t index, synth_out *out, synth_trace_info *info)
{
    gen g = {.m = m, .out = out};
    le_rng_init(&g.r, m->p.seed, index, DOM_TRACE);
    le_rng_init(&g.fr, m->p.seed, index, DOM_FAULT_EFFECT);
    double h = trace_hour(m, index);
    int64_t t0 = hour_to_us(&m->p, h);
    double lr = synth_load_relative(&m->p, h);
    g.slow = 1.0 + m->p.load_latency_gain * lr * lr;

    int32_t fi;
    const synth_fault *f = fault_at(m, t0, &fi);
    if (f && le_rng_bernoulli(&g.fr, f->p_effect)) g.f = f;

    int kind = le_rng_pick(&g.r, m->mix_cum, SYNTH_N_KINDS);
    draw_user(&g, kind);
    serve_root(&g, kind);
    if (g.overflow)
        return le_fail(LE_ERR_INTERNAL, "synth: trace %llu has more than %d spans", (unsigned long long)index, out->cap);

    for (int32_t i = 0; i < g.n; i++) out->start_us[i] += t0;
    info->n_spans = g.n;
    info->kind = kind;
    info->start_us = t0;
    info->label = (int8_t)g.touched;
    info->fault = g.touched ? fi : -1;
    trace_id(m, index, info->trace_id);
    return 0;
}
