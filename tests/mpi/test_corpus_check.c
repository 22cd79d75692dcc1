/* The checks of a corpus on open and on read (io/corpus_check.h, issue #16
 * case 8), at any rank count: a small valid corpus with one thing spoiled is
 * written, then refused with LE_ERR_FORMAT on every rank (on open for the
 * tables and per-trace datasets, when the spans are read for the spans),
 * the message naming the dataset and index. The e2e side (every stage on an
 * h5py-spoiled copy): tests/e2e/corpus_checks.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "corpus_check.h"
#include "mpi_test.h"

enum { N_TRACES = 50, ID_LEN = 9 }; /* "trace-NNN" */

/* Trace t has 1 + (t*7 % 13) spans; the span before trace t: */
static int64_t spans_of(int64_t t) { return 1 + (t * 7) % 13; }
static int64_t spans_before(int64_t t)
{
    int64_t s = 0;
    for (int64_t i = 0; i < t; i++) s += spans_of(i);
    return s;
}

static char *svc[] = {"cart", "frontend", "redis"};
static char *ops[] = {"GET /", "GetCart", "HGET", "Recv."};

typedef struct corpus_copy {
    le_corpus_meta m;
    int32_t op_svc[4];
    le_fault faults[2];
    le_corpus_block b; /* every trace */
} corpus_copy;

static void make_valid(corpus_copy *c)
{
    memset(c, 0, sizeof *c);
    int32_t op_svc[4] = {1, 0, 2, 1};
    memcpy(c->op_svc, op_svc, sizeof op_svc);
    c->faults[0] = (le_fault){.service = 0, .service_name = "cart", .type = "delay", .start_us = 0, .end_us = 5000};
    c->faults[1] = (le_fault){.service = 2, .service_name = "redis", .type = "kill", .start_us = 9000, .end_us = 20000};
    le_corpus_meta *m = &c->m;
    m->n_traces = N_TRACES, m->n_spans = spans_before(N_TRACES);
    m->n_services = 3, m->services = svc, m->n_operations = 4, m->operations = ops, m->operation_service = c->op_svc;
    m->n_id_bytes = (int64_t)N_TRACES * ID_LEN, m->has_ground_truth = 1, m->n_faults = 2, m->faults = c->faults;
    le_corpus_block *b = &c->b;
    le_block_alloc(b, N_TRACES, m->n_spans, (size_t)N_TRACES * (ID_LEN + 1), 1);
    int64_t s = 0;
    for (int64_t t = 0; t < N_TRACES; t++) {
        b->span_offset[t] = s;
        char id[ID_LEN + 1];
        snprintf(id, sizeof id, "trace-%03lld", (long long)t);
        le_block_put_id(b, t, id, ID_LEN);
        b->trace_start_us[t] = 1700000000000000 + 1000 * t;
        b->label[t] = (int8_t)(t % 5 == 0);
        b->fault[t] = t % 5 == 0 ? (int32_t)(t % 2) : -1;
        for (int64_t j = 0; j < spans_of(t); j++, s++) {
            b->parent[s] = j == 0 ? -1 : (int32_t)(j - 1) / 2;
            b->service[s] = c->op_svc[j % 4];
            b->operation[s] = (int32_t)(j % 4);
            b->start_us[s] = b->trace_start_us[t] + j;
            b->duration_us[s] = 100 - j;
        }
    }
    b->span_offset[N_TRACES] = s;
}

/* Rank 0 writes every trace, the others an empty block (collective), to
 * NAME_npP.h5: the runs at 1, 2 and 4 ranks may run at once. */
static const char *write_copy(const corpus_copy *c, const char *name)
{
    static char path[64];
    snprintf(path, sizeof path, "%s_np%d.h5", name, le_world.size);
    le_corpus_block none;
    le_block_alloc(&none, 0, 0, 0, 1);
    le_corpus_writer *w;
    assert_int_equal(le_corpus_create(MPI_COMM_WORLD, path, &c->m, &w), 0);
    assert_int_equal(le_corpus_write_block(w, le_world.rank == 0 ? &c->b : &none), 0);
    assert_int_equal(le_corpus_close_writer(w, 0), 0);
    le_block_free(&none);
    return path;
}

/* 1 when some rank's message holds want (the rank that found the fault;
 * the others have "failed on another rank"). */
static int said_somewhere(const char *want)
{
    int mine = strstr(le_errmsg(), want) != NULL;
    assert_int_equal(LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &mine, 1, MPI_INT, MPI_MAX, MPI_COMM_WORLD)), 0);
    if (!mine && le_world.rank == 0) fprintf(stderr, "expected '%s', got '%s'\n", want, le_errmsg());
    return mine;
}

static int64_t span_of(int64_t t, int64_t j) { return spans_before(t) + j; }

/* Spoiled tables and per-trace datasets: refused by le_corpus_open. */
static void spoil_on_open(corpus_copy *c, int k)
{
    le_corpus_block *b = &c->b;
    switch (k) {
    case 0: b->span_offset[41] = b->span_offset[40] - 1; break;
    case 1: b->span_offset[5] = b->span_offset[4]; break;
    case 2: c->m.n_services = 0; break;
    case 3: c->op_svc[1] = 7; break;
    case 4: c->faults[1].service = 9; break;
    case 5: c->faults[1].end_us = 10; break;
    case 6: c->faults[0].start_us = -1; break;
    case 7: b->trace_start_us[33] = INT64_MAX; break;
    case 8: b->label[12] = 7; break;
    case 9: b->fault[44] = 2; break;
    }
}

static const char *const on_open_want[] = {
    "/traces/span_offset[41] = ",
    "/traces/span_offset[5] = [4] = ",
    "/tables/services is empty, but the corpus has",
    "/tables/operation_service[1] = 7 is not an index of /tables/services (0..2)",
    "/ground_truth/faults/service[1] = 9",
    "/ground_truth/faults/end_us[1] = 10 is before its start_us 9000",
    "/ground_truth/faults/start_us[0] = -1 is outside the time window",
    "/traces/start_us[33] = 9223372036854775807 is outside the time window",
    "/ground_truth/trace_label[12] = 7, expected -1, 0 or 1",
    "/ground_truth/trace_fault[44] = 2 is not -1 or a fault index (0..1)",
};

static void refused_on_open(void **state)
{
    (void)state;
    for (int k = 0; k < (int)(sizeof on_open_want / sizeof *on_open_want); k++) {
        corpus_copy c;
        make_valid(&c);
        spoil_on_open(&c, k);
        const char *path = write_copy(&c, "check_open");
        le_corpus *cp = NULL;
        assert_int_equal(le_corpus_open(MPI_COMM_WORLD, path, &cp), LE_ERR_FORMAT);
        assert_true(said_somewhere(on_open_want[k]));
        assert_true(said_somewhere(path));
        le_block_free(&c.b);
    }
}

/* Spoiled spans: open passes (it reads no span), every read of the span
 * fails, whichever rank reads it. */
static void spoil_on_read(corpus_copy *c, int k)
{
    le_corpus_block *b = &c->b;
    switch (k) {
    case 0: b->parent[span_of(20, 0)] = 0; break;
    case 1: b->parent[span_of(21, 3)] = 3; break;
    case 2: b->parent[span_of(21, 3)] = 1000000; break;
    case 3: b->service[span_of(30, 1)] = 3; break;
    case 4: b->operation[span_of(30, 1)] = -1; break;
    case 5: b->start_us[span_of(48, 2)] = -9000000000000000000; break;
    case 6: b->duration_us[span_of(48, 2)] = -1; break;
    case 7: b->duration_us[span_of(48, 2)] = LE_TIME_MAX_US; break;
    }
}

static void refused_on_read(void **state)
{
    (void)state;
    char want[8][128];
    snprintf(want[0], 128, "/spans/parent[%lld] = 0, expected -1: it is the root (first span) of trace 20",
             (long long)span_of(20, 0));
    snprintf(want[1], 128, "/spans/parent[%lld] = 3 is out of range: span 3 of trace 21 needs an earlier span",
             (long long)span_of(21, 3));
    snprintf(want[2], 128, "/spans/parent[%lld] = 1000000 is out of range", (long long)span_of(21, 3));
    snprintf(want[3], 128, "/spans/service[%lld] = 3 is not an index of /tables/services (0..2)", (long long)span_of(30, 1));
    snprintf(want[4], 128, "/spans/operation[%lld] = -1 is not an index", (long long)span_of(30, 1));
    snprintf(want[5], 128, "/spans/start_us[%lld] = -9000000000000000000 is outside", (long long)span_of(48, 2));
    snprintf(want[6], 128, "/spans/duration_us[%lld] = -1: the span would end outside", (long long)span_of(48, 2));
    snprintf(want[7], 128, "/spans/duration_us[%lld] = 7258118400000000: the span would end outside",
             (long long)span_of(48, 2));
    for (int k = 0; k < 8; k++) {
        corpus_copy c;
        make_valid(&c);
        spoil_on_read(&c, k);
        le_corpus *cp = NULL;
        assert_int_equal(le_corpus_open(MPI_COMM_WORLD, write_copy(&c, "check_read"), &cp), 0);
        le_corpus_block b;
        assert_int_equal(le_corpus_read_block(cp, 0, N_TRACES, &b), LE_ERR_FORMAT);
        if (!strstr(le_errmsg(), want[k])) fprintf(stderr, "expected '%s', got '%s'\n", want[k], le_errmsg());
        assert_non_null(strstr(le_errmsg(), want[k]));
        assert_int_equal(le_corpus_read_block(cp, 0, 19, &b), 0); /* the traces before it are fine */
        le_block_free(&b);
        le_corpus_close(cp);
        le_block_free(&c.b);
    }
}

/* The valid copy passes on open and on read, at every rank count. */
static void valid_passes(void **state)
{
    (void)state;
    corpus_copy c;
    make_valid(&c);
    le_corpus *cp = NULL;
    assert_int_equal(le_corpus_open(MPI_COMM_WORLD, write_copy(&c, "check_valid"), &cp), 0);
    le_corpus_block b;
    assert_int_equal(le_corpus_read_block(cp, 0, N_TRACES, &b), 0);
    le_block_free(&b);
    le_corpus_close(cp);
    le_block_free(&c.b);
}

int main(int argc, char **argv)
{
    if (le_test_mpi_begin(&argc, &argv)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(valid_passes),
        cmocka_unit_test(refused_on_open),
        cmocka_unit_test(refused_on_read),
    };
    return le_test_mpi_end(cmocka_run_group_tests(tests, NULL, NULL));
}
