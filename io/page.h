/* page: self-contained HTML pages that people open from disk (file://) on a
 * laptop after copying one file off the cluster: CSS, JS and data are all
 * inline and nothing refers to any URL, so no server and no network.
 *
 * A page is the shared shell (io/page/shell.html: header bar, side list,
 * main pane) filled with a page's body, style and script, which
 * io/page/embed.py compiles into io/page_assets.c, and a JSON data block
 * that the page's own writer emits. The labeling page is the first; the
 * root-cause page (issue #6) is another le_page with its own data writer.
 *
 * Trace data is untrusted: names can hold markup. The data block is JSON
 * inside <script type="application/json">, with every string escaped by
 * le_json_string so nothing can close the element, and the page renders it
 * with textContent only. A Content-Security-Policy lets the page run its one
 * script (by SHA-256) and nothing else, as a second line of defence. */
#ifndef LE_PAGE_H
#define LE_PAGE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "corpus.h"
#include "jsonesc.h" /* le_json_string: the data block's strings */
#include "reps.h"

typedef struct le_page {
    const char *title;    /* plain text (escaped for HTML here) */
    const char *body;     /* markup of the page, no data in it */
    const char *css, *js; /* inline style and script */
    const char *js_hash;  /* "sha256-..." of js, for the CSP */
} le_page;

/* Writes the JSON data block's content to f; returns 0 or LE_ERR_*. */
typedef int (*le_page_data_fn)(FILE *f, const void *ctx);

/* The page beside an HDF5 file: a trailing ".h5" becomes ".html", any
 * other name gets ".html" added (reps.h5 -> reps.html, rc -> rc.html,
 * x.html -> x.html.html, never the file itself). */
void le_page_path(const char *h5, char *buf, size_t cap);

/* Write a page to path (through a temporary file and rename, so a reader
 * never sees half a page). */
int le_page_write(const char *path, const le_page *page, le_page_data_fn data, const void *ctx);

/* A number, or null for NaN and infinities (JSON has neither). */
void le_json_double(FILE *f, double v);
/* A JSON array of the n strings of v (NULL entries as ""): the service and
 * operation tables of every page. */
void le_json_names(FILE *f, char **v, int32_t n);

/* The labeling page for a representatives file: reps.html beside reps.h5.
 * meta supplies the service and operation tables. */
int le_page_labeling_write(const char *path, const le_reps *r, const le_corpus_meta *meta);

#endif
