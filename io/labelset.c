/* The labels of a representatives file and their CSV (io/labelset.h). */
#include "labelset.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "atomicfile.h"
#include "csvout.h"
#include "fingerprint.h"
#include "le_base.h"

int64_t le_labelset_find(const le_labelset *s, const char *id)
{
    char buf[LE_TRACE_ID_MAX + 1];
    for (int64_t t = 0; t < s->r->k; t++) {
        le_reps_trace_id(s->r, s->meta, t, buf, sizeof buf);
        if (!strcmp(buf, id)) return t;
    }
    return -1;
}

int le_labelset_open(le_labelset *s, const le_reps *r, const le_corpus_meta *meta, const char *path, const char *from)
{
    memset(s, 0, sizeof *s);
    s->r = r, s->meta = meta, s->path = path;
    s->label = le_malloc((size_t)r->k);
    memset(s->label, LE_LABEL_UNKNOWN, (size_t)r->k);
    s->note = le_calloc((size_t)r->k, sizeof *s->note);
    if (!from || access(from, F_OK)) return 0; /* a new file */
    LE_CHECK(le_labels_read(from, &s->others));
    LE_CHECK(le_fp_check(from, s->others.corpus_fp, NULL, r->corpus, r->corpus_fp));
    s->other_kept = le_calloc((size_t)s->others.n, 1);
    for (int64_t i = 0; i < s->others.n; i++) {
        int64_t t = le_labelset_find(s, s->others.trace_id[i]);
        if (t < 0) {
            s->other_kept[i] = 1;
            continue;
        }
        s->label[t] = s->others.label[i];
        if (s->others.note[i]) s->note[t] = le_strdup(s->others.note[i]);
    }
    return 0;
}

/* fp: the corpus's fingerprint, a fourth column on every row (so a row
 * copied into another file still says where it belongs), or "" for a reps
 * file older than fingerprints (three columns, as before). */
static void csv_row(FILE *f, const char *id, int label, const char *note, const char *fp)
{
    le_csv_write_field(f, id);
    fputs(label == LE_LABEL_ABNORMAL ? ",abnormal," : ",normal,", f);
    le_csv_write_field(f, note ? note : "");
    if (fp[0]) fprintf(f, ",%s", fp);
    fputc('\n', f);
}

static int write_rows(FILE *f, const le_labelset *s)
{
    char id[LE_TRACE_ID_MAX + 1];
    const char *fp = s->r->corpus_fp;
    fputs(fp[0] ? "trace_id,label,note,corpus_fingerprint\n" : "trace_id,label,note\n", f);
    for (int64_t t = 0; t < s->r->k; t++) {
        if (s->label[t] == LE_LABEL_UNKNOWN) continue;
        le_reps_trace_id(s->r, s->meta, t, id, sizeof id);
        csv_row(f, id, s->label[t], s->note[t], fp);
    }
    for (int64_t i = 0; i < s->others.n; i++)
        if (s->other_kept[i]) csv_row(f, s->others.trace_id[i], s->others.label[i], s->others.note[i], fp);
    return 0;
}

int le_labelset_save(const le_labelset *s)
{
    /* temporary, fsync, rename: a crash must not leave the new name on an
     * empty file, which is worse than the old labels. */
    le_atomic a;
    int rc = le_atomic_open(&a, s->path, 0);
    if (rc) return rc;
    write_rows(a.f, s);
    return le_atomic_commit(&a);
}

int64_t le_labelset_count(const le_labelset *s, int label)
{
    int64_t n = 0;
    for (int64_t t = 0; t < s->r->k; t++) n += s->label[t] == label;
    return n;
}

void le_labelset_free(le_labelset *s)
{
    for (int64_t t = 0; s->note && t < s->r->k; t++) free(s->note[t]);
    free(s->note);
    free(s->label);
    free(s->other_kept);
    le_labels_free(&s->others);
    memset(s, 0, sizeof *s);
}
