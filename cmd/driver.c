#include "driver.h"

#include <errno.h>
#ifdef __GLIBC__
#include <malloc.h>
#endif
#include <stddef.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "corpus.h"
#include "jsonesc.h"

int le_cmd_call(int (*fn)(int, char **), int argc, char **argv)
{
    const char *outer = le_stage; /* run's own calls between its stages are run's */
    le_stage = argv[0];
    le_peak_rss_reset();
    int rc = fn(argc, argv);
    le_stage = outer;
    return rc;
}

int le_common_opt(int c)
{
    switch (c) {
    case 1000: le_world.json = 1; return 1;
    case 'v': le_log_level++; return 1;
    case 'q': le_log_level = 0; return 1;
    default: return 0;
    }
}

int le_usage(const char *usage, int is_error)
{
    if (le_world.rank == 0) {
        if (is_error)
            fprintf(stderr, "%s", usage);
        else
            fputs(usage, stdout);
    }
    /* getopt has said which option on stderr; the error line says where to look */
    if (is_error)
        return le_fail(LE_ERR_USAGE, "%s: unknown option or an option without its value (%s --help lists them)",
                       le_stage ? le_stage : "labelease", le_stage ? le_stage : "labelease");
    return 0;
}

/* The first line of usage, without "usage: labelease ". */
static void synopsis(const char *usage, char *buf, size_t cap)
{
    const char *s = strncmp(usage, "usage: labelease ", 17) ? usage : usage + 17, *nl = strchr(s, '\n');
    snprintf(buf, cap, "%.*s", (int)(nl ? nl - s : (ptrdiff_t)strlen(s)), s);
}

int le_check_args(const char *usage, int n, char *const *args, const char *const *names, int min, int max,
                  const char *missing_opt)
{
    char syn[512];
    int rc = 0;
    synopsis(usage, syn, sizeof syn);
    if (n < min)
        rc = le_fail(LE_ERR_USAGE, "%s: missing %s (usage: %s)", le_stage ? le_stage : "labelease", names[n], syn);
    else if (n > max)
        rc = le_fail(LE_ERR_USAGE, "%s: unexpected argument '%s' (usage: %s)", le_stage ? le_stage : "labelease", args[max],
                     syn);
    else if (missing_opt)
        rc = le_fail(LE_ERR_USAGE, "%s: missing %s (usage: %s)", le_stage ? le_stage : "labelease", missing_opt, syn);
    if (rc && le_world.rank == 0) fprintf(stderr, "%s", usage);
    return rc;
}

int le_parse_count(const char *opt, const char *s, int64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    double mult = 1;
    if (*end == 'k' || *end == 'K')
        mult = 1e3, end++;
    else if (*end == 'M')
        mult = 1e6, end++;
    else if (*end == 'G')
        mult = 1e9, end++;
    v *= mult;
    if (end == s || *end || errno || v < 0 || v > 9.2e18 || v != floor(v))
        return le_fail(LE_ERR_USAGE, "%s: '%s' is not a non-negative whole number", opt, s);
    *out = (int64_t)v;
    return 0;
}

int le_parse_double(const char *opt, const char *s, double lo, double hi, int lo_open, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    int below = lo_open ? !(v > lo) : !(v >= lo);
    if (end == s || *end || errno || !isfinite(v) || below || v > hi)
        return le_fail(LE_ERR_USAGE, "%s: '%s' is not a number in %c%g, %g]", opt, s, lo_open ? '(' : '[', lo, hi);
    *out = v;
    return 0;
}

int le_parse_range(const char *opt, const char *s, int64_t lo, int64_t hi, int64_t *out)
{
    int64_t v;
    if (le_parse_count(opt, s, &v) || v < lo || v > hi)
        return le_fail(LE_ERR_USAGE, "%s: '%s' is not a whole number in [%lld, %lld]", opt, s, (long long)lo, (long long)hi);
    *out = v;
    return 0;
}

/* ---- report ---- */
static int report_items, report_has_rss;

void le_report_begin(void)
{
    report_items = 0, report_has_rss = 0;
    if (le_world.rank == 0 && le_world.json) fputs("{", stdout);
}

static void json_string(const char *s) { le_json_escape(stdout, s, SIZE_MAX, LE_JSON_BYTES); }

static void key(const char *k)
{
    if (le_world.json) {
        printf("%s\n  ", report_items++ ? "," : "");
        json_string(k);
        fputs(": ", stdout);
    } else {
        printf("%s: ", k);
    }
}

void le_report_int(const char *k, int64_t v)
{
    if (le_world.rank) return;
    key(k);
    printf("%lld%s", (long long)v, le_world.json ? "" : "\n");
}

void le_report_dbl(const char *k, double v)
{
    if (le_world.rank) return;
    key(k);
    if (le_world.json && !isfinite(v))
        fputs("null", stdout);
    else
        printf("%.6g", v);
    if (!le_world.json) putchar('\n');
}

void le_report_str(const char *k, const char *v)
{
    if (le_world.rank) return;
    key(k);
    if (le_world.json)
        json_string(v);
    else
        printf("%s\n", v);
}

/* KEY_min, KEY_max, KEY_mean of one value per rank, reported by rank 0. */
static int report_over_ranks(const char *k, double local)
{
    /* min as the max of the negation, so two small reductions: max and sum */
    double in[3] = {-local, local, local}, out[3] = {0, 0, 0}, sum = 0;
    LE_MPI(MPI_Reduce(in, out, 2, MPI_DOUBLE, MPI_MAX, 0, le_world.comm));
    LE_MPI(MPI_Reduce(in + 2, &sum, 1, MPI_DOUBLE, MPI_SUM, 0, le_world.comm));
    char name[128];
    snprintf(name, sizeof name, "%s_min", k), le_report_dbl(name, -out[0]);
    snprintf(name, sizeof name, "%s_max", k), le_report_dbl(name, out[1]);
    snprintf(name, sizeof name, "%s_mean", k), le_report_dbl(name, sum / le_world.size);
    return 0;
}

void le_peak_rss_reset(void)
{
    le_heap_trim(); /* what earlier commands freed goes back to the system, not into this one's peak */
    FILE *f = fopen("/proc/self/clear_refs", "w");
    if (!f) return;
    fputs("5", f);
    fclose(f);
}

/* VmHWM follows le_peak_rss_reset; ru_maxrss may keep the peak of threads
 * that ended before it. */
static double vm_hwm_mib(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    if (!f) return -1;
    char line[256];
    long long kb = -1;
    while (kb < 0 && fgets(line, sizeof line, f))
        if (sscanf(line, "VmHWM: %lld kB", &kb) != 1) kb = -1;
    fclose(f);
    return kb < 0 ? -1 : (double)kb / 1024.0;
}

double le_peak_rss_mib(void)
{
    double hwm = vm_hwm_mib();
    if (hwm >= 0) return hwm;
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru)) return 0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux: kilobytes */
}

int le_report_rank_peak_rss(void)
{
    report_has_rss = 1;
    return report_over_ranks("peak_rss_mib", le_peak_rss_mib());
}

int le_report_rank_seconds(const char *k, double local_seconds)
{
    LE_CHECK(report_over_ranks(k, local_seconds));
    /* Every command with a collective report times its ranks here, so the
     * memory figure rides along once per report without each command
     * having to ask for it. */
    if (!report_has_rss) return le_report_rank_peak_rss();
    return 0;
}

void le_report_end(void)
{
    if (le_world.rank == 0 && le_world.json) fputs("\n}\n", stdout);
    fflush(stdout);
}

void le_iso_time(int64_t us, char *buf, size_t cap)
{
    time_t secs = (time_t)(us / 1000000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(buf, cap, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, cap - n, ".%06lldZ", (long long)(us % 1000000 + (us % 1000000 < 0 ? 1000000 : 0)));
}

void le_report_faults(const le_corpus_meta *m)
{
    for (int32_t i = 0; i < m->n_faults; i++) {
        const le_fault *f = &m->faults[i];
        char key[32], start[40], val[512];
        le_iso_time(f->start_us, start, sizeof start);
        snprintf(key, sizeof key, "fault_%d", i);
        int n = snprintf(val, sizeof val, "%s %s start=%s duration_s=%.1f", f->service_name, f->type, start,
                         (double)(f->end_us - f->start_us) / 1e6);
        if (f->intensity > 0 && n > 0 && (size_t)n < sizeof val)
            n += snprintf(val + n, sizeof val - (size_t)n, " intensity=%.2f", f->intensity);
        if (m->vis.present && n > 0 && (size_t)n < sizeof val)
            snprintf(val + n, sizeof val - (size_t)n, " visible_traces=%lld chance=%lld/%lld (%.2f%%)",
                     (long long)f->visible_traces, (long long)f->chance_flagged, (long long)f->chance_traces,
                     f->chance_traces ? 100.0 * (double)f->chance_flagged / (double)f->chance_traces : 0.0);
        le_report_str(key, val);
    }
}

double le_vis_chance_mean(const le_corpus_meta *m)
{
    double sum = 0;
    int32_t n = 0;
    for (int32_t i = 0; m->vis.present && i < m->n_faults; i++)
        if (m->faults[i].chance_traces > 0)
            sum += (double)m->faults[i].chance_flagged / (double)m->faults[i].chance_traces, n++;
    return n ? sum / n : 0;
}
