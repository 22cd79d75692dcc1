/* driver: what every subcommand shares — the key: value / JSON report on
 * rank 0, option handling, and the subcommands themselves. The job, the
 * checked MPI call and agreement on errors are in comm.h. */
#ifndef LE_DRIVER_H
#define LE_DRIVER_H

#include <mpi.h>
#include <stdint.h>

#include "comm.h"
#include "le_base.h"

/* Report: key: value lines on stdout from rank 0, or one JSON object. */
void le_report_begin(void);
void le_report_int(const char *key, int64_t v);
void le_report_dbl(const char *key, double v);
void le_report_str(const char *key, const char *v);
void le_report_end(void);

struct le_corpus_meta;
/* A time as ISO 8601 UTC with microseconds. */
void le_iso_time(int64_t us, char *buf, size_t cap);
/* One fault_N line per fault: service, type, start, duration (and the
 * visible truth's counts where the corpus has them). */
void le_report_faults(const struct le_corpus_meta *m);
/* Under the visible truth, the mean over faults (with reference traces
 * through their service) of the share of those traces the rule flags by
 * chance; 0 without. */
double le_vis_chance_mean(const struct le_corpus_meta *m);
/* Collective (every rank calls it, between begin and end): reduces each
 * rank's local_seconds to min, max and mean over the ranks and reports them
 * as KEY_min, KEY_max, KEY_mean; max/min shows the load imbalance. */
int le_report_rank_seconds(const char *key, double local_seconds);
/* Collective: peak_rss_mib_min/_max/_mean, each rank's peak resident set
 * (VmHWM of /proc/self/status, else getrusage ru_maxrss; MiB) over the
 * ranks. The first le_report_rank_seconds of a report calls it, so every
 * command that times its ranks reports its memory too. le_cmd_call resets
 * the peak where Linux allows it (clear_refs 5), so the stages of run
 * report their own peak; elsewhere it is the process' peak so far. */
int le_report_rank_peak_rss(void);
double le_peak_rss_mib(void);
/* Start a new peak (Linux /proc/self/clear_refs; a no-op where absent). */
void le_peak_rss_reset(void);

/* Run subcommand fn with le_stage naming it (argv[0]) while it runs, so an
 * MPI failure says where it happened: main, and run for its stages. Each
 * call starts a new peak RSS (le_peak_rss_reset). */
int le_cmd_call(int (*fn)(int, char **), int argc, char **argv);

/* Subcommands: argv[0] is the subcommand name. */
int le_cmd_ingest(int argc, char **argv);
int le_cmd_info(int argc, char **argv);
int le_cmd_synth(int argc, char **argv);
int le_cmd_train(int, char **);
int le_cmd_embed(int, char **);
int le_cmd_select(int, char **);
int le_cmd_propagate(int, char **);
int le_cmd_eval(int, char **);
int le_cmd_label(int, char **);
int le_cmd_rootcause(int, char **);
int le_cmd_export(int, char **);
int le_cmd_label_rootcause(int, char **);
int le_cmd_run(int, char **);

/* Common option handling: returns 1 when the option was one of the shared
 * ones (--json, -v/--verbose, -q/--quiet) and was consumed. */
#define LE_COMMON_LONGOPTS                                                                            \
    {"json", no_argument, 0, 1000}, {"verbose", no_argument, 0, 'v'}, {"quiet", no_argument, 0, 'q'}, \
    {                                                                                                 \
        "help", no_argument, 0, 'h'                                                                   \
    }
#define LE_COMMON_HELP                                                          \
    "  --json          report as one JSON object instead of key: value lines\n" \
    "  -v, --verbose   more progress on stderr (repeat for debug)\n"            \
    "  -q, --quiet     errors only on stderr\n"                                 \
    "  -h, --help      this help\n"
int le_common_opt(int c);
/* Print usage on rank 0 (help) and return 0, or print it to stderr and
 * return LE_ERR_USAGE with a message (for getopt's unknown option). */
int le_usage(const char *usage, int is_error);
/* The positional arguments args[0..n) and the one required option: when
 * fewer than min, "STAGE: missing names[n]"; more than max, "unexpected
 * argument"; missing_opt non-NULL ("-o MODEL.h5"): "missing -o MODEL.h5".
 * Then usage on rank 0 (stderr) and LE_ERR_USAGE; 0 when all is there. */
int le_check_args(const char *usage, int n, char *const *args, const char *const *names, int min, int max,
                  const char *missing_opt);

/* Parse a non-negative integer with optional k/M/G suffix (1e3 powers) or
 * scientific notation ("1e6"); LE_ERR_USAGE names the option on failure. */
int le_parse_count(const char *opt, const char *s, int64_t *out);
/* le_parse_count within [lo, hi]; the error names the option and range. */
int le_parse_range(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out);
/* A finite number in [lo, hi] ((lo, hi] when lo_open): NaN, Inf, trailing
 * text and values out of range are LE_ERR_USAGE naming the option. */
int le_parse_double(const char *opt, const char *s, double lo, double hi, int lo_open, double *out);

#endif
