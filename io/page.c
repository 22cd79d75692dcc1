/* page: the shell writer, the script-safe JSON helpers and the labeling
 * page's data block (see page.h). */
#include "page.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "le_base.h"
#include "page_assets.h"

/* ---- JSON for a <script> element ---- */

void le_json_double(FILE *f, double v)
{
    if (isfinite(v))
        fprintf(f, "%.10g", v);
    else
        fputs("null", f);
}

void le_json_names(FILE *f, char **v, int32_t n)
{
    fputc('[', f);
    for (int32_t i = 0; i < n; i++) {
        if (i) fputc(',', f);
        le_json_string(f, v[i] ? v[i] : "", SIZE_MAX);
    }
    fputc(']', f);
}

static void html_text(FILE *f, const char *s)
{
    for (; *s; s++) {
        if (*s == '<')
            fputs("&lt;", f);
        else if (*s == '>')
            fputs("&gt;", f);
        else if (*s == '&')
            fputs("&amp;", f);
        else if (*s == '"')
            fputs("&quot;", f);
        else
            fputc(*s, f);
    }
}

/* ---- the shell ---- */

/* Only the page's own script may run; no source of any kind may load. */
static void write_csp(FILE *f, const le_page *page)
{
    fprintf(f,
            "default-src 'none'; script-src '%s'; style-src 'unsafe-inline'; img-src data:; "
            "base-uri 'none'; form-action 'none'",
            page->js_hash);
}

/* Copy the template, replacing each @NAME@ with its part. */
static int fill_shell(FILE *f, const le_page *page, le_page_data_fn data, const void *ctx)
{
    const char *t = le_page_shell_html;
    while (*t) {
        const char *at = strchr(t, '@');
        if (!at) {
            fputs(t, f);
            break;
        }
        fwrite(t, 1, (size_t)(at - t), f);
        const char *end = strchr(at + 1, '@');
        if (!end) return le_fail(LE_ERR_INTERNAL, "page shell: unterminated @ marker");
        size_t n = (size_t)(end - at - 1);
#define IS(name) (n == sizeof name - 1 && !memcmp(at + 1, name, n))
        if (IS("CSP"))
            write_csp(f, page);
        else if (IS("TITLE"))
            html_text(f, page->title);
        else if (IS("CSS"))
            fputs(page->css, f);
        else if (IS("BODY"))
            fputs(page->body, f);
        else if (IS("JS"))
            fputs(page->js, f);
        else if (IS("DATA"))
            LE_CHECK(data(f, ctx));
        else
            return le_fail(LE_ERR_INTERNAL, "page shell: unknown marker @%.*s@", (int)n, at + 1);
#undef IS
        t = end + 1;
    }
    return 0;
}

void le_page_path(const char *h5, char *buf, size_t cap)
{
    size_t n = strlen(h5);
    if (n > 3 && !strcmp(h5 + n - 3, ".h5"))
        snprintf(buf, cap, "%.*s.html", (int)(n - 3), h5);
    else
        snprintf(buf, cap, "%s.html", h5);
}

int le_page_write(const char *path, const le_page *page, le_page_data_fn data, const void *ctx)
{
    le_atomic a;
    int rc = le_atomic_open(&a, path, 0);
    if (!rc) rc = fill_shell(a.f, page, data, ctx);
    if (rc) return le_atomic_abort(&a), rc;
    return le_atomic_commit(&a);
}

/* ---- the labeling page's data ---- */

typedef struct labeling_ctx {
    const le_reps *r;
    const le_corpus_meta *meta;
} labeling_ctx;

/* "key":[v0,v1,...] over spans [lo, hi) of an int32/int64/int8/double array. */
#define SPAN_ARRAY(f, key, arr, lo, hi, fmt, cast)                                                       \
    do {                                                                                                 \
        fprintf(f, ",\"%s\":[", key);                                                                    \
        for (int64_t i_ = (lo); i_ < (hi); i_++) fprintf(f, i_ > (lo) ? "," fmt : fmt, (cast)(arr)[i_]); \
        fputc(']', f);                                                                                   \
    } while (0)

static void span_doubles(FILE *f, const char *key, const double *v, int64_t lo, int64_t hi)
{
    fprintf(f, ",\"%s\":[", key);
    for (int64_t i = lo; i < hi; i++) {
        if (i > lo) fputc(',', f);
        le_json_double(f, v ? v[i] : NAN);
    }
    fputc(']', f);
}

/* One representative: its identity, then its spans as parallel arrays
 * (start relative to the trace's start, so the numbers stay short). */
static void trace_json(FILE *f, const le_reps *r, const le_corpus_meta *m, int64_t t)
{
    const le_corpus_block *b = &r->traces;
    int64_t lo = b->span_offset[t], hi = b->span_offset[t + 1], t0 = b->trace_start_us[t];
    fputs("{\"id\":", f);
    le_json_string(f, le_block_id(b, t), le_block_id_len(b, t));
    fprintf(f, ",\"index\":%" PRId64 ",\"cluster_size\":%" PRId64 ",\"start_us\":%" PRId64,
            r->trace_index ? r->trace_index[t] : -1, r->cluster_size ? r->cluster_size[t] : 0, t0);
    SPAN_ARRAY(f, "parent", b->parent, lo, hi, "%d", int);
    SPAN_ARRAY(f, "service", b->service, lo, hi, "%d", int);
    SPAN_ARRAY(f, "operation", b->operation, lo, hi, "%d", int);
    fputs(",\"start\":[", f);
    for (int64_t i = lo; i < hi; i++) fprintf(f, i > lo ? ",%" PRId64 : "%" PRId64, b->start_us[i] - t0);
    fputc(']', f);
    SPAN_ARRAY(f, "duration", b->duration_us, lo, hi, "%" PRId64, int64_t);
    SPAN_ARRAY(f, "status", b->status_code, lo, hi, "%d", int);
    SPAN_ARRAY(f, "error", b->error, lo, hi, "%d", int);
    fputs(",\"path_count\":[", f);
    for (int64_t i = lo; i < hi; i++) fprintf(f, i > lo ? ",%" PRId64 : "%" PRId64, r->path_count ? r->path_count[i] : 0);
    fputc(']', f);
    span_doubles(f, "path_mean", r->path_mean_us, lo, hi);
    span_doubles(f, "path_std", r->path_std_us, lo, hi);
    /* round >= 2: what the labels so far propagate to it (never a label) */
    if (r->suggested_label && r->suggested_label[t] >= 0) {
        fprintf(f, ",\"suggested\":%d,\"suggested_margin\":", (int)r->suggested_label[t]);
        le_json_double(f, r->suggested_margin ? r->suggested_margin[t] : NAN); /* inf (one label so far): null */
    }
    fputc('}', f);
}

static int labeling_data(FILE *f, const void *vctx)
{
    const labeling_ctx *c = vctx;
    const le_reps *r = c->r;
    const le_corpus_meta *m = c->meta;
    fputs("{\"schema\":\"labelease-labeling-page\",\"version\":1,\"corpus\":", f);
    le_json_string(f, r->corpus, sizeof r->corpus);
    fputs(",\"method\":", f);
    le_json_string(f, r->method, sizeof r->method);
    fputs(",\"representation\":", f);
    le_json_string(f, r->representation, sizeof r->representation);
    fprintf(f, ",\"round\":%d,\"n_corpus_traces\":%" PRId64 ",\n\"services\":", (int)r->round, r->n_corpus_traces);
    le_json_names(f, m->services, m->n_services);
    fputs(",\n\"operations\":", f);
    le_json_names(f, m->operations, m->n_operations);
    fputs(",\n\"traces\":[", f);
    for (int64_t t = 0; t < r->k; t++) {
        fputs(t ? ",\n" : "\n", f);
        trace_json(f, r, m, t);
    }
    fputs("]}", f);
    return 0;
}

static int check_reps(const le_reps *r, const le_corpus_meta *m)
{
    if (r->k < 0 || r->traces.n_traces != r->k)
        return le_fail(LE_ERR_FORMAT, "representatives: k=%lld but %lld traces", (long long)r->k,
                       (long long)r->traces.n_traces);
    if (r->k > 0 && !r->traces.id_offset) return le_fail(LE_ERR_FORMAT, "representatives: no trace ids");
    return 0;
}

int le_page_labeling_write(const char *path, const le_reps *r, const le_corpus_meta *meta)
{
    LE_CHECK(check_reps(r, meta));
    le_page page = {.title = "LabelEase: label representative traces",
                    .body = le_page_labeling_body,
                    .css = le_page_labeling_css,
                    .js = le_page_labeling_js,
                    .js_hash = le_page_labeling_js_hash};
    labeling_ctx ctx = {r, meta};
    LE_CHECK(le_page_write(path, &page, labeling_data, &ctx));
    return 0;
}
