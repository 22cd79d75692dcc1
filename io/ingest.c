#include "ingest.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "corpus_check.h"
#include "corpus.h"
#include "le_base.h"

static const char *const drop_names[LE_DROP_N] = {
    [LE_DROP_DUPLICATE] = "duplicate_rows",         [LE_DROP_CONFLICT] = "conflicting_span_ids",
    [LE_DROP_MISSING_FIELD] = "missing_fields",     [LE_DROP_UNPARSABLE] = "unparsable_fields",
    [LE_DROP_BAD_ROW] = "malformed_rows",           [LE_DROP_NEGATIVE_DURATION] = "negative_durations",
    [LE_DROP_ABSURD_DURATION] = "absurd_durations", [LE_DROP_ORPHAN] = "orphan_spans",
    [LE_DROP_EXTRA_ROOT] = "extra_root_spans",      [LE_DROP_CYCLE] = "cycle_spans",
    [LE_DROP_TIME_RANGE] = "times_out_of_range",    [LE_DROP_LONG_ID] = "long_trace_ids",
};

const char *le_drop_name(le_drop d) { return (unsigned)d < LE_DROP_N ? drop_names[d] : "?"; }

void le_stats_init(le_ingest_stats *st)
{
    memset(st, 0, sizeof *st);
    for (int d = 0; d < LE_DROP_N; d++)
        for (int k = 0; k < LE_EXAMPLES; k++) st->example[d][k].file = UINT32_MAX;
    st->swallowed.file = UINT32_MAX;
}

void le_stats_swallow(le_ingest_stats *st, le_swallow s)
{
    le_swallow *k = &st->swallowed;
    uint64_t have = k->file == UINT32_MAX ? 0 : k->last - k->first, got = s.last - s.first;
    if (s.file == UINT32_MAX || got < have) return;
    if (got > have || k->file == UINT32_MAX || s.file < k->file || (s.file == k->file && s.first < k->first)) *k = s;
}

static int example_less(le_example a, le_example b) { return a.file != b.file ? a.file < b.file : a.pos < b.pos; }

static void keep_example(le_example *ex, le_example e)
{
    /* ex is sorted ascending; empty slots (file = UINT32_MAX) sort last */
    if (!example_less(e, ex[LE_EXAMPLES - 1])) return;
    for (int k = 0; k < LE_EXAMPLES; k++)
        if (ex[k].file == e.file && ex[k].pos == e.pos) return;
    int k = LE_EXAMPLES - 1;
    while (k > 0 && example_less(e, ex[k - 1])) {
        ex[k] = ex[k - 1];
        k--;
    }
    ex[k] = e;
}

void le_stats_drop(le_ingest_stats *st, le_drop why, uint32_t file, uint64_t pos)
{
    st->dropped[why]++;
    keep_example(st->example[why], (le_example){file, pos});
}

void le_stats_merge(le_ingest_stats *a, const le_ingest_stats *b)
{
    a->rows_read += b->rows_read;
    a->traces_dropped += b->traces_dropped;
    a->label_conflicts += b->label_conflicts;
    a->bytes_read += b->bytes_read;
    for (int u = 0; u < LE_UNIT_N; u++) a->unit_hint[u] += b->unit_hint[u];
    a->merged_fragments += b->merged_fragments;
    a->virtual_roots += b->virtual_roots;
    a->orphans_attached += b->orphans_attached;
    a->durations_from_children += b->durations_from_children;
    a->unknown_durations += b->unknown_durations;
    a->abs_durations += b->abs_durations;
    a->unknown_names += b->unknown_names;
    le_stats_swallow(a, b->swallowed);
    for (int d = 0; d < LE_DROP_N; d++) {
        a->dropped[d] += b->dropped[d];
        for (int k = 0; k < LE_EXAMPLES; k++)
            if (b->example[d][k].file != UINT32_MAX) keep_example(a->example[d], b->example[d][k]);
    }
}

void le_parse_mark_take(const le_parse_ctx *ctx, le_parse_mark *m)
{
    m->n = ctx->out->n;
    m->ids_len = ctx->out->ids_len;
    m->st = *ctx->st;
}

void le_parse_roll_back(le_parse_ctx *ctx, const le_parse_mark *m)
{
    uint64_t bytes = ctx->st->bytes_read;
    ctx->out->n = m->n;
    ctx->out->ids_len = m->ids_len;
    *ctx->st = m->st;
    ctx->st->bytes_read = bytes;
}

int le_ingest_drop(le_parse_ctx *ctx, le_drop why, uint64_t pos, le_pos_kind kind, const char *detail)
{
    le_stats_drop(ctx->st, why, ctx->file, pos);
    if (!ctx->strict) return 0;
    return le_fail(LE_ERR_STRICT, "%s:%s%llu: %s%s%s (--strict stops at the first dropped record)", ctx->path,
                   kind == LE_POS_BYTE ? "byte " : "", (unsigned long long)pos, le_drop_name(why), detail ? ": " : "",
                   detail ? detail : "");
}

/* LE_UNIT_* when a start time (us) looks like a date in that unit, else -1. */
static int unit_hint(int64_t start_us)
{
    if (start_us >= INT64_C(100000000) && start_us < INT64_C(10000000000)) return LE_UNIT_SECONDS;
    if (start_us >= INT64_C(100000000000) && start_us < INT64_C(10000000000000)) return LE_UNIT_MILLIS;
    if (start_us >= INT64_C(100000000000000000)) return LE_UNIT_NANOS;
    return -1;
}

int le_ingest_span(le_parse_ctx *ctx, le_span_in *s, uint64_t pos, le_pos_kind kind)
{
    ctx->st->rows_read++;
    s->trace_id = le_trim_blanks(s->trace_id, &s->trace_id_len); /* as labels files' ids are taken */
    if (!s->trace_id_len || !s->span_id_len)
        return le_ingest_drop(ctx, LE_DROP_MISSING_FIELD, pos, kind, "empty trace or span id");
    if (s->trace_id_len > LE_TRACE_ID_MAX) { /* the corpus caps ids (docs/corpus.md) */
        char why[80];
        snprintf(why, sizeof why, "a trace id of %zu bytes (at most %d)", s->trace_id_len, LE_TRACE_ID_MAX);
        return le_ingest_drop(ctx, LE_DROP_LONG_ID, pos, kind, why);
    }
    if (s->duration_us < 0) return le_ingest_drop(ctx, LE_DROP_NEGATIVE_DURATION, pos, kind, NULL);
    if (s->duration_us > ctx->max_duration_us) return le_ingest_drop(ctx, LE_DROP_ABSURD_DURATION, pos, kind, NULL);
    int u = unit_hint(s->start_us);
    if (u >= 0) ctx->st->unit_hint[u]++;
    /* every later sum or difference of times then fits in int64 */
    if (!le_time_ok(s->start_us) || s->duration_us > LE_TIME_MAX_US - s->start_us)
        return le_ingest_drop(ctx, LE_DROP_TIME_RANGE, pos, kind, "start or end outside 1970-01-01..2200-01-01");
    if (s->label < 0) s->label = ctx->file_label;
    if (!s->service_len) {
        s->flags |= LE_SPAN_NO_SERVICE;
        s->service = "unknown";
        s->service_len = 7;
    }
    if (!s->operation_len) {
        s->flags |= LE_SPAN_NO_NAME;
        s->operation = "unknown";
        s->operation_len = 7;
    }
    le_spanbuf_push(ctx->out, s, ctx->file, pos);
    return 0;
}

/* A Deployment's pod is <name>-<replicaset hash>-<5 chars>; a StatefulSet's
 * is <name>-<ordinal>. Anything else is taken as the service name itself. */
static int all_alnum_lower(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!(islower((unsigned char)s[i]) || isdigit((unsigned char)s[i]))) return 0;
    return n > 0;
}

static int all_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!isdigit((unsigned char)s[i])) return 0;
    return n > 0;
}

static size_t last_dash(const char *s, size_t n)
{
    while (n > 0 && s[n - 1] != '-') n--;
    return n ? n - 1 : SIZE_MAX;
}

size_t le_service_from_pod(const char *pod, size_t n)
{
    size_t d1 = last_dash(pod, n);
    if (d1 == SIZE_MAX || d1 == 0) return n;
    const char *suffix = pod + d1 + 1;
    size_t slen = n - d1 - 1;
    /* Deployment first: its 5-char suffix may be all digits ("...-46997") */
    size_t d2 = last_dash(pod, d1);
    if (d2 != SIZE_MAX && d2 > 0 && slen == 5 && all_alnum_lower(suffix, slen)) {
        size_t hlen = d1 - d2 - 1;
        if (hlen >= 6 && hlen <= 10 && all_alnum_lower(pod + d2 + 1, hlen)) return d2;
    }
    if (all_digits(suffix, slen)) return d1; /* StatefulSet ordinal */
    return n;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's
 * days_from_civil): no timegm, no TZ environment involved. */
static int64_t days_from_civil(int64_t y, int m, int d)
{
    y -= m <= 2;
    int64_t era = (y >= 0 ? y : y - 399) / 400;
    int64_t yoe = y - era * 400;
    int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static int digits_match(const char *s, const char *pattern)
{
    for (size_t i = 0; pattern[i]; i++)
        if (pattern[i] == 'd' ? (unsigned)(s[i] - '0') >= 10 : s[i] != pattern[i]) return 0;
    return 1;
}

static int two_digits(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

static int days_in_month(int year, int mon)
{
    static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
    return days[mon - 1] + (mon == 2 && leap);
}

int le_parse_utc_datetime_ns(const char *s, size_t n, int64_t *ns)
{
    while (n && (*s == ' ' || *s == '\t')) s++, n--;
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t')) n--;
    if (n && s[n - 1] == 'Z') n--;
    if (n < 19 || (s[10] != ' ' && s[10] != 'T') || !digits_match(s, "dddd-dd-dd") || !digits_match(s + 11, "dd:dd:dd"))
        return -1;
    int year = two_digits(s) * 100 + two_digits(s + 2), mon = two_digits(s + 5), day = two_digits(s + 8);
    int hh = two_digits(s + 11), mm = two_digits(s + 14), ss = two_digits(s + 17);
    /* a date that does not exist (2023-02-29, 04-31) is refused, not rolled over */
    if (mon < 1 || mon > 12 || day < 1 || day > days_in_month(year, mon) || hh > 23 || mm > 59 || ss > 60) return -1;
    int64_t frac = 0;
    if (n > 19) {
        if (s[19] != '.' || n == 20) return -1;
        int64_t scale = 100000000; /* first fraction digit is 1e8 ns; digits past 9 are truncated */
        for (size_t i = 20; i < n; i++, scale /= 10) {
            if ((unsigned)(s[i] - '0') >= 10) return -1;
            frac += (s[i] - '0') * scale;
        }
    }
    int64_t sec = days_from_civil(year, mon, day) * 86400 + hh * 3600 + mm * 60 + ss;
    /* int64 nanoseconds cover 1677-09-21 .. 2262-04-11: other years do not parse */
    if (sec < INT64_MIN / INT64_C(1000000000) + 1 || sec > INT64_MAX / INT64_C(1000000000) - 1) return -1;
    *ns = sec * INT64_C(1000000000) + frac;
    return 0;
}
