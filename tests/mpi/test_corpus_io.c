/* Corpus write/read round trip and the exchange collectives, at any rank
 * count: every rank writes its block, every rank reads back shards and
 * arbitrary ranges, and the bytes match what a generator says they are. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "corpus.h"
#include "exchange.h"
#include "h5util.h"
#include "mpi_test.h"

enum { N_TRACES = 1000 };

/* Trace t has 1 + (t*7 % 13) spans: uneven, so span balancing matters. */
static int64_t spans_of(int64_t t) { return 1 + (t * 7) % 13; }
static int64_t spans_before(int64_t t)
{
    int64_t s = 0;
    for (int64_t i = 0; i < t; i++) s += spans_of(i);
    return s;
}

/* Trace t's id: "trace-0000t" and t % 23 'x's, so ids differ in length
 * and their bytes must be placed by offset, not by a width. */
static size_t id_of(int64_t t, char *buf)
{
    int n = snprintf(buf, 64, "trace-%05lld", (long long)t);
    for (int64_t k = 0; k < t % 23; k++) buf[n++] = 'x';
    buf[n] = 0;
    return (size_t)n;
}
static int64_t id_bytes_before(int64_t t)
{
    int64_t s = 0;
    char buf[64];
    for (int64_t i = 0; i < t; i++) s += (int64_t)id_of(i, buf);
    return s;
}

static void fill(le_corpus_block *b, int64_t t0, int64_t t1)
{
    int64_t ns = spans_before(t1) - spans_before(t0);
    le_block_alloc(b, t1 - t0, ns, 16, 1); /* too small on purpose: the ids grow it */
    b->trace_begin = t0;
    b->span_begin = spans_before(t0);
    b->id_byte_begin = id_bytes_before(t0);
    int64_t s = 0;
    for (int64_t t = t0; t < t1; t++) {
        int64_t i = t - t0;
        b->span_offset[i] = s;
        char id[64];
        le_block_put_id(b, i, id, id_of(t, id));
        b->trace_start_us[i] = 1000 * t;
        b->label[i] = (int8_t)(t % 5 == 0);
        b->fault[i] = t % 5 == 0 ? (int32_t)(t % 2) : -1;
        for (int64_t j = 0; j < spans_of(t); j++, s++) {
            b->parent[s] = j == 0 ? -1 : (int32_t)(j - 1) / 2;
            b->service[s] = (int32_t)(j % 3);
            b->operation[s] = (int32_t)(j % 4);
            b->start_us[s] = 1000 * t + j;
            b->duration_us[s] = 100 - j;
            b->status_code[s] = j == 3 ? 500 : 200;
            b->error[s] = j == 3;
        }
    }
    b->span_offset[t1 - t0] = s;
}

static le_corpus_meta make_meta(void)
{
    static char *svc[] = {"cart", "frontend", "redis"};
    static char *ops[] = {"GET /", "GetCart", "HGET", "Recv."};
    static int32_t op_svc[] = {1, 0, 2, 1};
    static le_fault faults[2] = {
        {.service = 0, .service_name = "cart", .type = "network_delay", .start_us = 0, .end_us = 5000, .intensity = 0.5},
        {.service = 2,
         .service_name = "redis",
         .type = "pod_failure",
         .start_us = 10000,
         .end_us = 20000,
         .intensity = 1.0}};
    le_corpus_meta m = {0};
    m.n_traces = N_TRACES;
    m.n_spans = spans_before(N_TRACES);
    m.n_services = 3;
    m.services = svc;
    m.n_operations = 4;
    m.operations = ops;
    m.operation_service = op_svc;
    m.n_id_bytes = id_bytes_before(N_TRACES);
    m.has_ground_truth = 1;
    m.n_faults = 2;
    m.faults = faults;
    snprintf(m.source, sizeof m.source, "test");
    return m;
}

static void expect_equal_blocks(const le_corpus_block *a, const le_corpus_block *b)
{
    assert_int_equal(a->n_traces, b->n_traces);
    assert_int_equal(a->n_spans, b->n_spans);
    assert_int_equal(a->span_begin, b->span_begin);
    assert_memory_equal(a->span_offset, b->span_offset, (size_t)(a->n_traces + 1) * 8);
    for (int64_t i = 0; i < a->n_traces; i++) {
        assert_string_equal(le_block_id(a, i), le_block_id(b, i));
        assert_int_equal(le_block_id_len(a, i), le_block_id_len(b, i));
    }
    assert_memory_equal(a->trace_start_us, b->trace_start_us, (size_t)a->n_traces * 8);
    assert_memory_equal(a->parent, b->parent, (size_t)a->n_spans * 4);
    assert_memory_equal(a->operation, b->operation, (size_t)a->n_spans * 4);
    assert_memory_equal(a->start_us, b->start_us, (size_t)a->n_spans * 8);
    assert_memory_equal(a->duration_us, b->duration_us, (size_t)a->n_spans * 8);
    assert_memory_equal(a->status_code, b->status_code, (size_t)a->n_spans * 4);
    assert_memory_equal(a->error, b->error, (size_t)a->n_spans);
    assert_memory_equal(a->label, b->label, (size_t)a->n_traces);
    assert_memory_equal(a->fault, b->fault, (size_t)a->n_traces * 4);
}

static void write_then_read_back(void **state)
{
    le_corpus_meta m = make_meta();
    int r = le_world.rank, p = le_world.size;
    /* uneven write blocks: rank r writes a range unrelated to the read shards */
    int64_t t0 = N_TRACES * r * r / (p * p), t1 = N_TRACES * (r + 1) * (r + 1) / (p * p);
    le_corpus_block w;
    fill(&w, t0, t1);
    le_corpus_writer *wr;
    assert_int_equal(le_corpus_create(MPI_COMM_WORLD, "test_corpus_io.h5", &m, &wr), 0);
    assert_int_equal(le_corpus_write_block(wr, &w), 0);
    assert_int_equal(le_corpus_close_writer(wr, 0), 0);
    le_block_free(&w);

    le_corpus *c;
    assert_int_equal(le_corpus_open(MPI_COMM_WORLD, "test_corpus_io.h5", &c), 0);
    assert_int_equal(c->meta.n_traces, N_TRACES);
    assert_int_equal(c->meta.n_services, 3);
    assert_string_equal(c->meta.services[2], "redis");
    assert_string_equal(c->meta.operations[3], "Recv.");
    assert_int_equal(c->meta.operation_service[2], 2);
    assert_int_equal(c->meta.n_faults, 2);
    assert_string_equal(c->meta.faults[1].type, "pod_failure");
    assert_int_equal(c->meta.faults[1].end_us, 20000);
    assert_true(c->meta.faults[0].intensity == 0.5);

    int64_t s0, s1;
    assert_int_equal(le_corpus_shard(c, MPI_COMM_WORLD, &s0, &s1), 0);
    /* shards tile [0, N) and are balanced by spans within one trace's size */
    int64_t lo = 0, hi = 0, mine = spans_before(s1) - spans_before(s0);
    assert_int_equal(LE_MPI_RC(MPI_Exscan(&s1, &lo, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD)), 0);
    if (r == 0) lo = 0;
    assert_int_equal(s0, lo);
    assert_int_equal(LE_MPI_RC(MPI_Allreduce(&s1, &hi, 1, MPI_INT64_T, MPI_MAX, MPI_COMM_WORLD)), 0);
    assert_int_equal(hi, N_TRACES);
    int64_t ideal = m.n_spans / p;
    assert_true(mine >= ideal - 13 && mine <= ideal + 13);
    /* the same shards when the offsets are read 7 at a time (a boundary in
     * a later piece than the first, or between two) */
    int64_t saved_piece = le_corpus_shard_piece, q0, q1;
    le_corpus_shard_piece = 7;
    assert_int_equal(le_corpus_shard(c, MPI_COMM_WORLD, &q0, &q1), 0);
    le_corpus_shard_piece = saved_piece;
    assert_int_equal(q0, s0);
    assert_int_equal(q1, s1);

    le_corpus_block got, want;
    assert_int_equal(le_corpus_read_block(c, s0, s1, &got), 0);
    fill(&want, s0, s1);
    expect_equal_blocks(&want, &got);
    le_block_free(&got);
    /* the same in reads of at most 64 bytes (HDF5 1.10 reads under 2 GiB at a time) */
    int64_t saved = le_h5_read_piece_bytes;
    le_h5_read_piece_bytes = 64;
    assert_int_equal(le_corpus_read_block(c, s0, s1, &got), 0);
    le_h5_read_piece_bytes = saved;
    expect_equal_blocks(&want, &got);
    le_block_free(&got);
    le_block_free(&want);
    /* any range, e.g. the last 17 traces, read independently by one rank */
    if (r == p - 1) {
        assert_int_equal(le_corpus_read_block(c, N_TRACES - 17, N_TRACES, &got), 0);
        fill(&want, N_TRACES - 17, N_TRACES);
        expect_equal_blocks(&want, &got);
        le_block_free(&got);
        le_block_free(&want);
    }
    assert_int_not_equal(le_corpus_read_block(c, 5, N_TRACES + 1, &got), 0);
    le_corpus_close(c);
}

static void open_rejects_non_corpus(void **state)
{
    le_corpus *c;
    if (le_world.rank == 0) {
        FILE *f = fopen("not_a_corpus.h5", "w");
        fputs("hello", f);
        fclose(f);
    }
    assert_int_equal(LE_MPI_RC(MPI_Barrier(MPI_COMM_WORLD)), 0);
    assert_int_equal(le_corpus_open(MPI_COMM_WORLD, "not_a_corpus.h5", &c), LE_ERR_FORMAT);
    assert_non_null(strstr(le_errmsg(), "not_a_corpus.h5"));
    assert_int_equal(le_corpus_open(MPI_COMM_WORLD, "missing.h5", &c), LE_ERR_IO);
}

/* String attributes as h5py writes them: variable-length UTF-8 (str) and
 * fixed-length NUL-padded (np.bytes_) both read back whole. */
static void string_attributes_of_any_kind(void **state)
{
    char path[64], buf[64];
    snprintf(path, sizeof path, "attrs_%d.h5", le_world.rank);
    hid_t f = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    hid_t sp = H5Screate(H5S_SCALAR);
    hid_t vl = H5Tcopy(H5T_C_S1);
    H5Tset_size(vl, H5T_VARIABLE);
    H5Tset_cset(vl, H5T_CSET_UTF8);
    const char *v = "labelease-reps";
    hid_t a = H5Acreate2(f, "vl", vl, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, vl, &v);
    H5Aclose(a);
    hid_t fx = H5Tcopy(H5T_C_S1);
    H5Tset_size(fx, 14);
    H5Tset_strpad(fx, H5T_STR_NULLPAD);
    a = H5Acreate2(f, "fixed", fx, sp, H5P_DEFAULT, H5P_DEFAULT);
    H5Awrite(a, fx, v);
    H5Aclose(a);
    assert_int_equal(le_h5_attr_str(f, "ours", v), 0);
    const char *names[] = {"vl", "fixed", "ours"};
    for (int i = 0; i < 3; i++) {
        assert_int_equal(le_h5_get_attr_str(f, names[i], buf, sizeof buf, path), 0);
        assert_string_equal(buf, v);
    }
    assert_int_equal(le_h5_get_attr_str(f, "vl", buf, 8, path), LE_ERR_FORMAT); /* too long for the buffer */
    H5Tclose(vl);
    H5Tclose(fx);
    H5Sclose(sp);
    H5Fclose(f);
    remove(path);
}

static void alltoallv_in_rounds(void **state)
{
    /* rank r sends (r + 1) * (d + 1) * 37 bytes to rank d, in 64-byte rounds */
    int r = le_world.rank, p = le_world.size;
    uint64_t saved = le_exchange_round_bytes;
    le_exchange_round_bytes = 64;
    uint64_t *count = calloc((size_t)p, 8), *rcount = calloc((size_t)p, 8), total = 0;
    for (int d = 0; d < p; d++) total += count[d] = (uint64_t)(r + 1) * (uint64_t)(d + 1) * 37;
    char *send = calloc(total ? total : 1, 1), *q = send;
    for (int d = 0; d < p; d++)
        for (uint64_t i = 0; i < count[d]; i++) *q++ = (char)(r * 31 + d * 7 + (int)i);
    char *recv;
    uint64_t rtotal;
    assert_int_equal(le_alltoallv_bytes(MPI_COMM_WORLD, send, count, &recv, rcount, &rtotal), 0);
    const char *g = recv;
    for (int s = 0; s < p; s++) {
        assert_int_equal(rcount[s], (uint64_t)(s + 1) * (uint64_t)(r + 1) * 37);
        for (uint64_t i = 0; i < rcount[s]; i++) assert_int_equal(*g++, (char)(s * 31 + r * 7 + (int)i));
    }
    le_exchange_round_bytes = saved;
    free(send);
    free(recv);
    free(count);
    free(rcount);
}

int main(int argc, char **argv)
{
    if (le_test_mpi_begin(&argc, &argv)) return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(write_then_read_back),
        cmocka_unit_test(open_rejects_non_corpus),
        cmocka_unit_test(alltoallv_in_rounds),
        cmocka_unit_test(string_attributes_of_any_kind),
    };
    return le_test_mpi_end(cmocka_run_group_tests(tests, NULL, NULL));
}
