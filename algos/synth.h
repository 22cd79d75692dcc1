/* synth: the synthetic benchmark corpus — an Online Boutique-like system
 * (the system of the LabelEase paper's dataset D1) with Chaos-Mesh-like and
 * code-level faults. No MPI: a trace is a pure function of the model and its
 * index, so any rank can make any trace (docs/synth.md describes the model).
 *
 * Randomness comes from rng.h keyed by (seed, trace index) and (seed, fault
 * index), never from a shared stream; faults come from the seed alone. */
#ifndef LE_SYNTH_H
#define LE_SYNTH_H

#include <stdint.h>

/* In the bytewise order of their names, as the corpus schema stores them. */
enum synth_service {
    SV_AD,
    SV_CART,
    SV_CHECKOUT,
    SV_CURRENCY,
    SV_EMAIL,
    SV_FRONTEND,
    SV_PAYMENT,
    SV_CATALOG,
    SV_RECOMMEND,
    SV_REDIS,
    SV_SHIPPING,
    SYNTH_N_SERVICES
};

/* Request kinds: the Online Boutique load generator's tasks. */
enum synth_kind {
    KIND_HOME,
    KIND_SET_CURRENCY,
    KIND_PRODUCT,
    KIND_ADD_TO_CART,
    KIND_VIEW_CART,
    KIND_CHECKOUT,
    SYNTH_N_KINDS
};

enum synth_fault_type {
    FT_POD_FAILURE,
    FT_NETWORK_DELAY,
    FT_PACKET_LOSS,
    FT_CPU_STRESS,
    FT_MEMORY_STRESS,
    FT_EXCEPTION,
    FT_WRONG_RETURN,
    SYNTH_N_FAULT_TYPES
};

/* Every knob of the model; configs/synth/online-boutique.ini holds the
 * defaults (synth_params_default), and docs/synth.md explains each. */
typedef struct synth_params {
    uint64_t seed;
    int64_t n_traces;
    int64_t start_unix_s; /* time of trace 0's window start */
    double hours;         /* covered time */
    /* load */
    double load_amplitude; /* rate = mean * (1 + a cos(2 pi (h - peak) / 24)), 0 <= a < 1 */
    double peak_hour;
    double load_latency_gain;  /* latency factor at peak load is 1 + gain */
    double mix[SYNTH_N_KINDS]; /* request weights */
    int n_products;            /* catalog size: Converts on the home page */
    int n_recommendations;     /* products a recommendation list holds */
    double cart_items_mean;    /* mean items in a cart (at least 1 at checkout) */
    /* latency and noise */
    double latency_scale;      /* multiplies every service's own time */
    double tail_prob;          /* per span: chance of a heavy-tailed slow-down */
    double tail_alpha;         /* Pareto index of that slow-down */
    double noise_client_error; /* per trace: product not found (404) */
    double noise_ad_failure;   /* per trace: ad service times out, page shown anyway */
    double noise_redis_retry;  /* per trace: a redis call fails once and is retried */
    /* faults */
    int n_faults;
    double fault_type_weight[SYNTH_N_FAULT_TYPES];
    double fault_service_weight[SYNTH_N_SERVICES];
    double fault_min_minutes, fault_max_minutes;
    double intensity_min, intensity_max;
    double target_abnormal;                  /* scale fault durations so the expected abnormal share is this; 0: off */
    double effect_prob[SYNTH_N_FAULT_TYPES]; /* chance a trace through the service in the window is affected */
    double effect_prob_pod_replicated;       /* pod failure of one replica of several */
    int replicas[SYNTH_N_SERVICES];
} synth_params;

typedef struct synth_fault {
    int type, service;
    int64_t start_us, end_us; /* absolute unix microseconds */
    double intensity;         /* 0..1 */
    double p_effect;          /* chance that a trace through the service is affected */
    double expected_share;    /* expected fraction of all traces it makes abnormal */
} synth_fault;

enum { SYNTH_MAX_METHODS = 32, SYNTH_MAX_OPS = 96 };
/* faults.count's bound, and --days' (5000 days at the default 18 a day). */
enum { SYNTH_MAX_FAULTS = 100000, SYNTH_MAX_DAYS = 5000 };

typedef struct synth_model {
    synth_params p;
    double mix_cum[SYNTH_N_KINDS];
    double total_lambda; /* integral of the load curve over the covered time (hours) */
    int n_ops;           /* operations sorted by (service name, name), as the schema stores them */
    const char *op_name[SYNTH_MAX_OPS];
    int32_t op_service[SYNTH_MAX_OPS];
    int16_t client_op[SYNTH_MAX_METHODS][SYNTH_N_SERVICES]; /* op of a call from a service, -1 none */
    int16_t server_op[SYNTH_MAX_METHODS];
    int16_t root_op[SYNTH_N_KINDS];
    int16_t redis_op[3];
    int n_faults;
    synth_fault *faults;                    /* sorted by start, never overlapping */
    double service_reach[SYNTH_N_SERVICES]; /* share of fault-free traces through each service */
    double expected_abnormal;               /* sum of the faults' expected shares */
} synth_model;

/* Longest trace the model can make (checkout with a full cart, every call retried). */
enum { SYNTH_MAX_SPANS = 512, SYNTH_TRACE_ID_LEN = 32 }; /* ids are 32 hex digits */

/* Where synth_trace writes one trace's spans (arrays of at least cap). */
typedef struct synth_out {
    int32_t cap;
    int32_t *parent, *service, *operation, *status_code;
    int64_t *start_us, *duration_us;
    int8_t *error;
} synth_out;

typedef struct synth_trace_info {
    int32_t n_spans;
    int kind;
    int64_t start_us;
    int8_t label;  /* 1 when a fault visibly changed the trace */
    int32_t fault; /* index in model faults, -1 none */
    char trace_id[SYNTH_TRACE_ID_LEN];
} synth_trace_info;

void synth_params_default(synth_params *p);
/* Check the knobs and build the model and its fault list (from the seed alone). */
int synth_model_build(synth_model *m, const synth_params *p);
void synth_model_free(synth_model *m);

/* Trace number index (0-based, any value below p.n_traces) into out. */
int synth_trace(const synth_model *m, uint64_t index, synth_out *out, synth_trace_info *info);

/* Start time of trace index (the load curve inverted at the index). */
int64_t synth_trace_start_us(const synth_model *m, uint64_t index);

const char *synth_service_name(int s);
const char *synth_fault_type_name(int t);
const char *synth_kind_name(int k);
int synth_service_index(const char *name); /* -1 when unknown */
int synth_fault_type_index(const char *name);
int synth_kind_index(const char *name);

#endif
