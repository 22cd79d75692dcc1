/* rcpage: rootcause.html, the root-cause page (LabelEase §IV-B, Fig. 5),
 * from the shared page shell (io/page.h) and io/page/rootcause.*: the data
 * block holds the periods, the per-period service statistics and edges. */
#include <inttypes.h>
#include <stdio.h>

#include "le_base.h"
#include "page.h"
#include "page_assets.h"
#include "rcfile.h"
#include "sbfl.h"

static void ints(FILE *f, const char *key, const int64_t *v, int64_t n)
{
    fprintf(f, ",\"%s\":[", key);
    for (int64_t i = 0; i < n; i++) fprintf(f, i ? ",%" PRId64 : "%" PRId64, v[i]);
    fputc(']', f);
}

static void dbls(FILE *f, const char *key, const double *v, int64_t n)
{
    fprintf(f, ",\"%s\":[", key);
    for (int64_t i = 0; i < n; i++) {
        if (i) fputc(',', f);
        le_json_double(f, v[i]);
    }
    fputc(']', f);
}

/* One period: its window, counts, and per-service arrays in service order. */
static void period_json(FILE *f, const le_rc *rc, int64_t p)
{
    int64_t S = rc->n_services, i0 = p * S;
    fprintf(f,
            "{\"index\":%" PRId64 ",\"start_us\":%" PRId64 ",\"end_us\":%" PRId64 ",\"n_abnormal\":%" PRId64
            ",\"n_normal\":%" PRId64,
            p, rc->periods[p].start_us, rc->periods[p].end_us, rc->periods[p].n_traces, rc->n_normal[p]);
    ints(f, "ef", rc->ef + i0, S);
    ints(f, "ep", rc->ep + i0, S);
    ints(f, "count", rc->count + i0, S);
    dbls(f, "score", rc->score + i0, S);
    dbls(f, "evidence", rc->evidence + i0, S);
    dbls(f, "mean_us", rc->mean_us + i0, S);
    dbls(f, "std_us", rc->std_us + i0, S);
    /* depth: the tie groups' second key, so the page can say why a lower
     * score ranks above a higher one (docs/rootcause.md, "Ordering"). */
    fputs(",\"depth\":[", f);
    for (int64_t r = 0; r < S; r++) fprintf(f, r ? ",%d" : "%d", rc->depth[i0 + r]);
    fputs("],\"order\":[", f);
    for (int64_t r = 0; r < S; r++) fprintf(f, r ? ",%d" : "%d", rc->order[i0 + r]);
    fputs("],\"edges\":[", f);
    int first = 1;
    for (int64_t e = 0; e < rc->n_edges; e++) {
        if (rc->edge_period[e] != p) continue;
        fprintf(f, "%s[%d,%d,%" PRId64 "]", first ? "" : ",", rc->edge_caller[e], rc->edge_callee[e], rc->edge_count[e]);
        first = 0;
    }
    fputs("]}", f);
}

static int rc_data(FILE *f, const void *ctx)
{
    const le_rc *rc = ctx;
    fputs("{\"schema\":\"labelease-rootcause-page\",\"version\":1,\"corpus\":", f);
    le_json_string(f, rc->corpus, sizeof rc->corpus);
    fputs(",\"score\":", f);
    le_json_string(f, rc->score_name, sizeof rc->score_name);
    fputs(",\"truth\":", f);
    le_json_string(f, rc->truth, sizeof rc->truth);
    fprintf(f, ",\"window_us\":%" PRId64 ",\"tie\":", rc->window_us);
    le_json_double(f, rc->tie);
    fputs(",\"implicated\":", f);
    le_json_double(f, rc->tie > 0 ? LE_SBFL_IMPLICATED : 2); /* tie 0: nobody (evidence <= 1) */
    fputs(",\n\"services\":", f);
    le_json_names(f, rc->services, rc->n_services);
    ints(f, "all_count", rc->all_count, rc->n_services);
    dbls(f, "all_mean_us", rc->all_mean_us, rc->n_services);
    dbls(f, "all_std_us", rc->all_std_us, rc->n_services);
    fputs(",\n\"periods\":[", f);
    for (int64_t p = 0; p < rc->n_periods; p++) {
        fputs(p ? ",\n" : "\n", f);
        period_json(f, rc, p);
    }
    fputs("]}", f);
    return 0;
}

int le_rc_page_write(const char *path, const le_rc *rc)
{
    le_page page = {.title = "LabelEase: label root causes",
                    .body = le_page_rootcause_body,
                    .css = le_page_rootcause_css,
                    .js = le_page_rootcause_js,
                    .js_hash = le_page_rootcause_js_hash};
    LE_CHECK(le_page_write(path, &page, rc_data, rc));
    return 0;
}
