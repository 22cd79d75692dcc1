/* rcfile: rootcause.h5, what `labelease rootcause` found — fault periods and,
 * per period, every service's SBFL counts, score, evidence, latency and
 * rank — read by `eval`, `export`, `label-rootcause` and the page writer.
 * The file is small (periods x services), so rank 0 writes it with plain
 * HDF5 and readers read it whole. Schema (docs/rootcause.md):
 *
 *   /  attrs schema="labelease-rootcause", schema_version=1, corpus, labels,
 *      score (formula), window_us, gap_us, min_traces, tie, n_periods,
 *      n_services, n_operations, truth ("labels", or how the corpus ground truth was judged: "exact", "visible",
 *      "approximate", or a "+"-joined mix)
 *   /periods/{start_us,end_us,n_abnormal,n_normal}        [P]
 *   /periods/{part_start_us,part_end_us,part_period}      [K] (optional)
 *   /periods/{w_abnormal,w_normal} float64 [P] (optional: the traces weighted)
 *   /services/name [S], /services/{count,mean_us,std_us}  [S]  whole corpus
 *   /operations/name [O], /operations/service [O]
 *   /rank/{ef,ep,nf,np,votes,count} int64 [P][S]
 *   /rank/{score,evidence,mean_us,std_us} float64 [P][S]
 *   /rank/{wef,wep} float64 [P][S] (optional: ef, ep confidence-weighted, in
 *      trace units; attr counts = "confidence" when the score used them)
 *   /rank/depth int32 [P][S], /rank/order int32 [P][S] (service indices, best first)
 *   /rank_ops/{ef,ep} int64 [P][O], /rank_ops/score float64 [P][O]
 *   /edges/{period,count} int64 [E], /edges/{caller,callee} int32 [E] */
#ifndef LE_RCFILE_H
#define LE_RCFILE_H

#include <stdint.h>

#include "corpus.h"
#include "periods.h"

#define LE_RC_SCHEMA "labelease-rootcause"
#define LE_RC_VERSION 1

typedef struct le_rc {
    char corpus[512], labels[512], score_name[16], truth[32], counts[16];
    char corpus_fp[LE_FP_LEN]; /* attribute corpus_fingerprint; "" in older files (io/fingerprint.h) */
    int64_t window_us, gap_us, min_traces;
    double tie;
    int64_t n_periods;
    le_period *periods;            /* [P] n_traces = abnormal traces in the period */
    int64_t *n_normal;             /* [P] */
    double *w_abnormal, *w_normal; /* [P] the same, confidence-weighted (older files: the counts) */
    /* The parts of the periods: the times whose traces a period counts
     * (the rate rule leaves the holes of a weak fault outside them).
     * Sorted; part_period nondecreasing. Older files: one part a period. */
    int64_t n_parts;
    le_period *parts;     /* [K] n_traces = abnormal traces in the part */
    int64_t *part_period; /* [K] */
    int32_t n_services, n_operations;
    char **services, **operations;
    int32_t *operation_service;
    int64_t *all_count; /* [S] corpus-wide span durations of each service */
    double *all_mean_us, *all_std_us;
    int64_t *ef, *ep, *nf, *np, *votes, *count;  /* [P*S] */
    double *score, *evidence, *mean_us, *std_us; /* [P*S] */
    double *wef, *wep;      /* [P*S] confidence-weighted ef, ep (trace units); = ef, ep in older files */
    int32_t *depth, *order; /* [P*S] */
    int64_t *op_ef, *op_ep; /* [P*O] */
    double *op_score;       /* [P*O] */
    int64_t n_edges;
    int64_t *edge_period, *edge_count;
    int32_t *edge_caller, *edge_callee;
} le_rc;

/* The period whose parts hold time t, or -1. */
int64_t le_rc_period_of(const le_rc *rc, int64_t t_us);
/* Parts = the periods themselves (window rule, older files). */
void le_rc_parts_whole(le_rc *rc);

/* Allocate the arrays for P periods (names are set by the caller). */
void le_rc_alloc(le_rc *rc, int64_t n_periods, int32_t n_services, int32_t n_operations);
void le_rc_free(le_rc *rc);

/* One process writes (through a temporary file and rename) and reads. */
int le_rc_write(const char *path, const le_rc *rc);
int le_rc_read(const char *path, le_rc *rc);

/* Rank of service s in period p (0 = first), or -1. */
int32_t le_rc_rank_of(const le_rc *rc, int64_t p, int32_t s);

/* Which truth judged a trace (bits, or-ed over traces into a report). */
enum {
    LE_TRUTH_EXACT = 1,      /* per-trace labels of the input (or synth) */
    LE_TRUTH_VISIBLE = 2,    /* a fault list, by the visible rule (algos/truth.h) */
    LE_TRUTH_APPROXIMATE = 4 /* a fault list, by window and service alone */
};
/* "exact", "visible", "approximate", "none", or a '+'-joined mix. */
const char *le_truth_name(int kinds);

/* The ground truth of trace t of block b (LE_LABEL_*; LE_LABEL_UNKNOWN
 * without any). Per-trace labels where the corpus has them: exact, or the
 * visible truth that ingest --faults computed (m->vis.present). With
 * approximate set, or for a corpus whose fault list has no visible truth
 * (ingested by an older labelease), a corpus with a fault list is judged
 * by the approximation instead: abnormal when the trace starts inside a
 * fault's window and has a span of the faulty service. *kinds gets the
 * LE_TRUTH_* bit of the rule used. */
int le_trace_truth(const le_corpus_meta *m, const le_corpus_block *b, int64_t t, int approximate, int *kinds);

/* Parses --truth visible|approximate (*approximate 0 or 1). */
int le_truth_option(const char *arg, int *approximate);

/* The page: rootcause.html, self-contained like the labeling page. */
int le_rc_page_write(const char *path, const le_rc *rc);

#endif
