/* Labels CSV reader: header by name, label spellings, duplicates, and the
 * error that lists every problem with its line. Fixtures: tests/fixtures/csv/. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "groundtruth.h"
#include "le_base.h"

static const char *fixture(const char *name)
{
    static char path[4096];
    const char *src = getenv("LE_SRC");
    snprintf(path, sizeof path, "%s/tests/fixtures/csv/%s", src ? src : ".", name);
    return path;
}

static int64_t find(const le_labels *l, const char *id)
{
    for (int64_t i = 0; i < l->n; i++)
        if (!strcmp(l->trace_id[i], id)) return i;
    fail_msg("trace %s not in labels", id);
    return -1;
}

static void assert_in_message(const char *words)
{
    if (!strstr(le_errmsg(), words)) fail_msg("'%s' not in: %s", words, le_errmsg());
}

static int read_fixture(const char *name, le_labels *l)
{
    le_err_clear();
    return le_labels_read(fixture(name), l);
}

/* A quote opened on line 3 takes lines 3-6 (up to the quote on line 6): the
 * problem says which lines are gone, not just "broken quoting". */
static void test_labels_swallowed_lines(void **state)
{
    (void)state;
    le_labels l;
    assert_int_equal(read_fixture("labels_swallowed.csv", &l), LE_ERR_FORMAT);
    assert_in_message("1 problem in the labels");
    assert_in_message("line 3: broken quoting: a quoted field opened here is not closed; lines 3-6 (4 lines) dropped");
}

static void test_labels_ok(void **state)
{
    (void)state;
    le_labels l;
    assert_int_equal(read_fixture("labels_ok.csv", &l), 0);
    assert_int_equal(l.n, 5);
    int64_t a = find(&l, "a"), b = find(&l, "b");
    assert_int_equal(l.label[a], LE_LABEL_NORMAL);
    assert_string_equal(l.note[a], "looked fine");
    assert_int_equal(l.label[b], LE_LABEL_ABNORMAL);         /* "ABNORMAL" */
    assert_string_equal(l.note[b], "slow, then\r\ntimeout"); /* a quoted newline stays in the note */
    assert_int_equal(l.label[find(&l, "c")], LE_LABEL_ABNORMAL);
    assert_null(l.note[find(&l, "c")]);
    assert_int_equal(l.label[find(&l, "d")], LE_LABEL_NORMAL);
    assert_int_equal(l.label[find(&l, "e")], LE_LABEL_ABNORMAL); /* spaces around the label */
    le_labels_free(&l);
    assert_int_equal(l.n, 0);
}

static void test_labels_columns_by_name(void **state)
{
    (void)state;
    le_labels l;
    assert_int_equal(read_fixture("labels_reordered.csv", &l), 0);
    assert_int_equal(l.n, 2);
    assert_string_equal(l.trace_id[0], "x1");
    assert_int_equal(l.label[0], LE_LABEL_NORMAL);
    assert_string_equal(l.trace_id[1], "x2");
    assert_int_equal(l.label[1], LE_LABEL_ABNORMAL);
    assert_null(l.note[0]);
    le_labels_free(&l);
}

static void test_labels_problems_listed(void **state)
{
    (void)state;
    le_labels l;
    assert_int_equal(read_fixture("labels_bad.csv", &l), LE_ERR_FORMAT);
    assert_int_equal(l.n, 0); /* nothing half-read */
    assert_in_message("labels_bad.csv: 7 problems");
    assert_in_message("line 3: trace b: unknown label 'maybe'");
    assert_in_message("line 4: trace a labelled abnormal, but normal at line 2");
    assert_in_message("line 5: 3 columns, the header has 2");
    assert_in_message("line 6: empty trace_id");
    assert_in_message("line 7: trace d: unknown label 'yes'");
    assert_in_message("... and 2 more"); /* line 8 (a again) and line 9 (broken quoting) */
    assert_null(strstr(le_errmsg(), "line 8"));
}

static int read_text(const char *text, le_labels *l)
{
    char path[] = "/tmp/le-labels-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    le_err_clear();
    int rc = le_labels_read(path, l);
    unlink(path);
    return rc;
}

/* label writes the corpus fingerprint on every row (issue 16): it is read,
 * a row added by hand may leave it out, and two of them are a problem. */
static void test_labels_fingerprint(void **state)
{
    (void)state;
    le_labels l;
    const char *head = "trace_id,label,note,corpus_fingerprint\n";
    char text[512];
    snprintf(text, sizeof text, "%sa,normal,,0123456789abcdef\nb,abnormal,,0123456789abcdef\nc,normal,\n", head);
    assert_int_equal(read_text(text, &l), 0);
    assert_int_equal(l.n, 3);
    assert_string_equal(l.corpus_fp, "0123456789abcdef");
    le_labels_free(&l);
    assert_int_equal(read_text("trace_id,label\na,normal\n", &l), 0);
    assert_string_equal(l.corpus_fp, ""); /* hand-made: nothing to check */
    le_labels_free(&l);
    snprintf(text, sizeof text, "%sa,normal,,0123456789abcdef\nb,normal,,fedcba9876543210\nc,normal,,xyz\n", head);
    assert_int_equal(read_text(text, &l), LE_ERR_FORMAT);
    assert_in_message("line 3: corpus_fingerprint fedcba9876543210, but 0123456789abcdef at line 2: rows of two corpora");
    assert_in_message("line 4: corpus_fingerprint 'xyz' is not 16 hex digits");
}

/* One decision per trace: a repeated id is an error even with the same label. */
static void test_labels_repeated_id(void **state)
{
    (void)state;
    le_labels l;
    assert_int_equal(read_fixture("labels_dup.csv", &l), LE_ERR_FORMAT);
    assert_int_equal(l.n, 0);
    assert_in_message("line 4: trace x listed again (first at line 2)");
}

static void test_labels_header_required(void **state)
{
    (void)state;
    le_labels l;
    assert_int_equal(read_fixture("labels_noheader.csv", &l), LE_ERR_FORMAT);
    assert_in_message("labels_noheader.csv:1");
    assert_in_message("trace_id,label");
    assert_int_equal(read_fixture("empty.csv", &l), LE_ERR_FORMAT);
    assert_in_message("empty labels file");
    assert_int_equal(read_fixture("labels_header_only.csv", &l), 0);
    assert_int_equal(l.n, 0);
    le_labels_free(&l);
    assert_int_equal(read_fixture("no_such_labels.csv", &l), LE_ERR_IO);
    assert_in_message("no_such_labels.csv");
}

/* A file that must label something (propagate, select --round 2, ingest
 * --labels): a header without rows is an error naming the file. */
static void test_labels_nonempty(void **state)
{
    (void)state;
    le_labels l;
    le_err_clear();
    assert_int_equal(le_labels_read_nonempty(fixture("labels_header_only.csv"), &l), LE_ERR_FORMAT);
    assert_in_message("labels_header_only.csv: no labels in it");
    assert_int_equal(l.n, 0);
    assert_int_equal(le_labels_read_nonempty(fixture("labels_reordered.csv"), &l), 0);
    assert_true(l.n > 0);
    le_labels_free(&l);
}

/* Ids are taken without surrounding blanks, quoted or not, as ingest takes
 * them (docs/formats.md): " a " in a spreadsheet's quotes is trace a. */
static void test_labels_id_blanks(void **state)
{
    (void)state;
    char path[] = "/tmp/le-labels-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    static const char body[] = "trace_id,label\n\" a \",normal\nb\t,abnormal\n\"c d\",normal\n";
    assert_int_equal(write(fd, body, sizeof body - 1), (ssize_t)(sizeof body - 1));
    close(fd);
    le_labels l;
    assert_int_equal(le_labels_read(path, &l), 0);
    unlink(path);
    assert_int_equal(l.n, 3);
    assert_int_equal(l.label[find(&l, "a")], LE_LABEL_NORMAL);
    assert_int_equal(l.label[find(&l, "b")], LE_LABEL_ABNORMAL);
    assert_int_equal(l.label[find(&l, "c d")], LE_LABEL_NORMAL); /* inner blanks stay */
    le_labels_free(&l);
}

/* The TraceAnomaly scores file is a labels file with an extra column. */
static char scores_path[4096];

static void test_labels_shared_scores(void **state)
{
    (void)state;
    le_labels l;
    const char *path = scores_path;
    assert_int_equal(le_labels_read(path, &l), 0);
    assert_int_equal(l.n, 3345);
    int64_t abnormal = 0;
    for (int64_t i = 0; i < l.n; i++) abnormal += l.label[i] == LE_LABEL_ABNORMAL;
    assert_int_equal(abnormal, 2763);
    le_labels_free(&l);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_labels_ok),
        cmocka_unit_test(test_labels_swallowed_lines),
        cmocka_unit_test(test_labels_columns_by_name),
        cmocka_unit_test(test_labels_problems_listed),
        cmocka_unit_test(test_labels_repeated_id),
        cmocka_unit_test(test_labels_fingerprint),
        cmocka_unit_test(test_labels_header_required),
        cmocka_unit_test(test_labels_nonempty),
        cmocka_unit_test(test_labels_id_blanks),
    };
    int failed = cmocka_run_group_tests_name("labels_fixtures", tests, NULL, NULL);
    if (failed) return failed;
    const char *shared = getenv("LE_SHARED");
    snprintf(scores_path, sizeof scores_path, "%s/data/real/deeptralog-traceanomaly-scores.csv",
             shared ? shared : "/nonexistent");
    if (access(scores_path, R_OK) != 0) {
        printf("SKIP: %s not found: the real-data labels test did not run\n", scores_path);
        return 77;
    }
    const struct CMUnitTest shared_tests[] = {cmocka_unit_test(test_labels_shared_scores)};
    return cmocka_run_group_tests_name("labels_shared_data", shared_tests, NULL, NULL);
}
