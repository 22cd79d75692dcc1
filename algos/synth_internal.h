/* synth_internal: the Online Boutique tables shared by the model builder
 * (synth_model.c) and the trace generator (synth.c). Not a public API.
 * Calls go one way, synth_model.c -> synth.c: the builder measures the
 * fault-free model with the generator, so what the generator needs (the
 * methods' latencies, the load curve) is defined in synth.c. */
#ifndef LE_SYNTH_INTERNAL_H
#define LE_SYNTH_INTERNAL_H

#include "synth.h"

/* RNG domains: what a stream of numbers is for. Changing one changes the corpus. */
enum {
    DOM_TRACE = 1,        /* a trace's structure, latencies and benign noise */
    DOM_FAULT_EFFECT = 2, /* whether and how a fault shows in a trace */
    DOM_ARRIVAL = 3,      /* a trace's position within its arrival slice */
    DOM_TRACE_ID = 4,
    DOM_FAULT = 5,     /* one fault's service, intensity, duration, offset */
    DOM_FAULT_PLAN = 6 /* the order of fault types over the slots */
};

/* gRPC methods, each served by one service. */
enum {
    M_GET_CART,
    M_ADD_ITEM,
    M_EMPTY_CART,
    M_LIST_PRODUCTS,
    M_GET_PRODUCT,
    M_GET_CURRENCIES,
    M_CONVERT,
    M_CHARGE,
    M_GET_QUOTE,
    M_SHIP_ORDER,
    M_SEND_CONFIRMATION,
    M_PLACE_ORDER,
    M_LIST_RECS,
    M_GET_ADS,
    N_METHODS
};

enum { R_HGET, R_HSET, R_EXPIRE, N_REDIS };

/* gRPC status codes used (0 is OK and also "no status"). */
enum {
    GRPC_OK = 0,
    GRPC_CANCELLED = 1,
    GRPC_UNKNOWN = 2,
    GRPC_DEADLINE_EXCEEDED = 4,
    GRPC_NOT_FOUND = 5,
    GRPC_INTERNAL = 13,
    GRPC_UNAVAILABLE = 14
};

typedef struct method_def {
    const char *name; /* the gRPC span name */
    int service;
    double self_ms; /* median own time of the server */
    double sigma;   /* lognormal shape of that time */
} method_def;

extern const method_def methods[N_METHODS]; /* synth.c */

/* The daily load curve (synth.c), hours from the start: cumulative load (in
 * hours of mean rate), the rate relative to the peak, and the inverse of the
 * first. */
double synth_load_integral(const synth_params *p, double h);
double synth_load_relative(const synth_params *p, double h);
double synth_load_inverse(const synth_params *p, double y);

#endif
