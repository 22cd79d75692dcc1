/* libFuzzer target: corpus files (issue #16, case 8). The input does not
 * hold a file: it edits a small valid corpus made once at start, 11 bytes
 * an edit (which dataset, which index, which new value), written with
 * serial HDF5 into a copy. The copy then goes where a stage takes a corpus:
 * open (the checks of io/corpus_check.c), shard and read, the per-trace
 * code that crashed on such files (structure hash and time features,
 * le_blockfeat_compute; the ground truth of each trace; call paths, the
 * dev, burst, count and stv vectors of select and propagate) and the info
 * and rootcause commands, at one rank. Whatever the edits, that must end in
 * a clean error or a result: no crash, no UB, no huge allocation. Seeds:
 * tests/fixtures/corpus_edits (one edit of each dataset, none, an empty table). */
#include <hdf5.h>

#include "corpus.h"
#include "corpus_check.h"
#include "driver.h"
#include "fuzz_common.h"
#include "gat_data.h"
#include "rcfile.h"
#include "stv_dist.h"

enum { N_TRACES = 24, EDIT_BYTES = 11 };

static char base_path[512], out_path[512];
static uint8_t *base;
static size_t base_len;

/* The datasets an edit can pick (the first byte's low 4 bits, mod the count). */
static const char *const edited[] = {
    "/traces/span_offset",
    "/traces/start_us",
    "/spans/parent",
    "/spans/service",
    "/spans/operation",
    "/spans/start_us",
    "/spans/duration_us",
    "/spans/error",
    "/ground_truth/trace_label",
    "/ground_truth/trace_fault",
    "/tables/operation_service",
    "/ground_truth/faults/service",
    "/ground_truth/faults/start_us",
    "/ground_truth/faults/end_us",
    "/traces/trace_id_offset",
    "/traces/trace_id_bytes",
};
#define N_EDITED ((int)(sizeof edited / sizeof *edited))

static char *svc[] = {"cart", "frontend", "redis"};
static char *ops[] = {"GET /", "GetCart", "HGET", "Recv."};
static int32_t op_svc[] = {1, 0, 2, 1};

/* Trace t: 1 + t*5 % 7 spans, a mix of chains and fans; a fault every few. */
static void fill_base(le_corpus_meta *m, le_fault *faults, le_corpus_block *b)
{
    int64_t n_spans = 0;
    for (int t = 0; t < N_TRACES; t++) n_spans += 1 + t * 5 % 7;
    faults[0] = (le_fault){.service = 0, .service_name = "cart", .type = "delay", .start_us = 0, .end_us = 1};
    faults[1] = (le_fault){.service = 2, .service_name = "redis", .type = "kill", .start_us = 0, .end_us = 1};
    const int64_t t0 = INT64_C(1700000000000000), step = INT64_C(60000000); /* a trace a minute */
    faults[0].start_us = t0 + 3 * step, faults[0].end_us = t0 + 9 * step;
    faults[1].start_us = t0 + 15 * step, faults[1].end_us = t0 + 20 * step;
    *m = (le_corpus_meta){.n_traces = N_TRACES,
                          .n_spans = n_spans,
                          .n_services = 3,
                          .services = svc,
                          .n_operations = 4,
                          .operations = ops,
                          .operation_service = op_svc,
                          .n_id_bytes = 3 * N_TRACES, /* "tNN" */
                          .has_ground_truth = 1,
                          .n_faults = 2,
                          .faults = faults};
    le_block_alloc(b, N_TRACES, n_spans, 4 * N_TRACES, 1);
    int64_t s = 0;
    for (int t = 0; t < N_TRACES; t++) {
        int n = 1 + t * 5 % 7;
        b->span_offset[t] = s;
        char id[4];
        snprintf(id, sizeof id, "t%02d", t);
        le_block_put_id(b, t, id, 3);
        b->trace_start_us[t] = t0 + t * step;
        int f = t >= 3 && t < 9 ? 0 : t >= 15 && t < 20 ? 1 : -1;
        b->label[t] = f >= 0 && t % 2 ? LE_LABEL_ABNORMAL : LE_LABEL_NORMAL;
        b->fault[t] = b->label[t] == LE_LABEL_ABNORMAL ? f : -1;
        for (int j = 0; j < n; j++, s++) {
            b->parent[s] = j == 0 ? -1 : t % 2 ? j - 1 : 0;
            b->operation[s] = (t + j) % 4;
            b->service[s] = op_svc[b->operation[s]];
            b->start_us[s] = b->trace_start_us[t] + 10 * j;
            b->duration_us[s] = 1000 - 100 * j + (f >= 0 ? 50000 : 0);
            b->status_code[s] = 0;
            b->error[s] = f >= 0 && j == n - 1;
        }
    }
    b->span_offset[N_TRACES] = s;
}

static void make_base(void)
{
    le_corpus_meta m;
    le_fault faults[2];
    le_corpus_block b;
    fill_base(&m, faults, &b);
    le_corpus_writer *w;
    if (le_corpus_create(MPI_COMM_SELF, base_path, &m, &w) || le_corpus_write_block(w, &b) || le_corpus_close_writer(w, 0)) {
        fprintf(stderr, "fuzz_corpus: cannot write the base corpus: %s\n", le_errmsg());
        abort();
    }
    le_block_free(&b);
    FILE *f = fopen(base_path, "rb");
    fseek(f, 0, SEEK_END);
    base_len = (size_t)ftell(f);
    rewind(f);
    base = malloc(base_len);
    if (fread(base, 1, base_len, f) != base_len) abort();
    fclose(f);
    unlink(base_path);
}

/* What Open MPI and its helpers keep until exit (the fuzzer never calls
 * MPI_Finalize): not this code's leaks. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
    return "leak:libmpi.so\nleak:libopen-pal.so\nleak:libopen-rte.so\nleak:libpmix.so\nleak:libhwloc.so\n"
           "leak:mca_\nleak:libevent\nleak:vasprintf\nleak:_rtld_global\n"; /* last: an unloaded MPI component */
}

/* Full stacks for allocations (as check.sh's LSAN_OPTIONS): Open MPI is
 * built without frame pointers, so the fast unwinder stops in it and an
 * allocation of its components shows no module the suppressions can match. */
const char *__asan_default_options(void) { return "fast_unwind_on_malloc=0"; }

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
    fuzz_init();
    if (LE_MPI_RC(MPI_Init(argc, argv)) || le_world_init()) abort();
    le_log_level = 0;
    if (!freopen("/dev/null", "w", stdout)) abort(); /* the commands' reports */
    snprintf(base_path, sizeof base_path, "%s.base.h5", fuzz_path());
    snprintf(out_path, sizeof out_path, "%s.rc.h5", fuzz_path());
    make_base();
    return 0;
}

static int64_t le64(const uint8_t *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return (int64_t)v;
}

/* The new value: mostly near the old one or small (the interesting edges
 * are off by one), sometimes arbitrary or extreme. */
static int64_t new_value(uint8_t kind, const uint8_t *v, int64_t old)
{
    static const int64_t extreme[8] = {INT64_MIN, INT64_MAX, LE_TIME_MAX_US, LE_TIME_MAX_US + 1,
                                       -1,        0,         INT32_MAX,      INT32_MIN};
    switch (kind >> 5) {
    case 0:
    case 1: return (int8_t)v[0];
    case 2:
    case 3: return (int64_t)((uint64_t)old + (uint64_t)(int64_t)(int8_t)v[0]);
    case 4: return (int64_t)((uint64_t)old + (uint64_t)(int64_t)(int32_t)le64(v));
    case 5: return le64(v);
    default: return extreme[v[0] % 8];
    }
}

/* One edit: element idx (mod the length) of the dataset picked by sel gets
 * a new value; HDF5 converts from int64, clipping to the dataset's type. */
static void apply_edit(hid_t f, const uint8_t *e)
{
    hid_t d = H5Dopen2(f, edited[(e[0] & 15) % N_EDITED], H5P_DEFAULT);
    if (d < 0) return;
    hid_t sp = H5Dget_space(d);
    hssize_t n = H5Sget_simple_extent_npoints(sp);
    if (n > 0) {
        hsize_t at = (hsize_t)((e[1] | e[2] << 8) % n), one = 1;
        hid_t ms = H5Screate_simple(1, &one, NULL);
        H5Sselect_hyperslab(sp, H5S_SELECT_SET, &at, NULL, &one, NULL);
        int64_t v = 0;
        H5Dread(d, H5T_NATIVE_INT64, ms, sp, H5P_DEFAULT, &v);
        v = new_value(e[0], e + 3, v);
        H5Dwrite(d, H5T_NATIVE_INT64, ms, sp, H5P_DEFAULT, &v);
        H5Sclose(ms);
    }
    H5Sclose(sp);
    H5Dclose(d);
}

/* A last byte with bit 7 set empties /tables/services or /tables/operations
 * (the empty table), keeping the type. */
static void empty_table(hid_t f, const char *name)
{
    hid_t d = H5Dopen2(f, name, H5P_DEFAULT);
    if (d < 0) return;
    hid_t t = H5Dget_type(d);
    H5Dclose(d);
    H5Ldelete(f, name, H5P_DEFAULT);
    hsize_t zero = 0;
    hid_t sp = H5Screate_simple(1, &zero, NULL);
    hid_t nd = H5Dcreate2(f, name, t, sp, H5P_DEFAULT, H5P_DEFAULT, H5P_DEFAULT);
    if (nd >= 0) H5Dclose(nd);
    H5Sclose(sp);
    H5Tclose(t);
}

static int write_edited(const uint8_t *data, size_t size)
{
    const char *path = fuzz_write(base, base_len);
    hid_t f = H5Fopen(path, H5F_ACC_RDWR, H5P_DEFAULT);
    if (f < 0) return -1;
    for (size_t k = 0; k + EDIT_BYTES <= size; k += EDIT_BYTES) apply_edit(f, data + k);
    if (size % EDIT_BYTES && data[size - 1] & 128)
        empty_table(f, data[size - 1] & 1 ? "/tables/operations" : "/tables/services");
    H5Fclose(f);
    return 0;
}

/* The per-trace code of train/embed, the truth, and select's vectors. */
static void per_trace_paths(le_corpus *c)
{
    int64_t t0, t1;
    if (le_corpus_shard(c, MPI_COMM_SELF, &t0, &t1)) return;
    le_corpus_block b;
    if (le_corpus_read_block(c, t0, t1, &b)) return;
    le_blockfeat f = {0};
    le_blockfeat_compute(&f, &b);
    le_blockfeat_free(&f);
    int kinds = 0;
    for (int64_t t = 0; t < b.n_traces; t++) le_trace_truth(&c->meta, &b, t, t % 2, &kinds);
    le_block_free(&b);
    /* Not "tail" (select's default): its per-(operation, time bin) cells
     * reach LE_BURST_MAX_CELLS (2^24) when one trace moves decades away, a
     * bounded cost but seconds under ASan, over the fuzzer's timeout
     * (docs/fuzzing.md); dev-burst-count has the same time grid. */
    static const char *const reprs[] = {"dev-burst-count", "stv"};
    for (int r = 0; r < 2; r++) {
        le_shard s;
        le_callpaths cp = {0};
        if (!le_shard_load(MPI_COMM_SELF, c, &s) && !le_callpaths_build(MPI_COMM_SELF, &s, &cp))
            le_shard_vectors(MPI_COMM_SELF, c, reprs[r], NULL, &cp, &s);
        le_callpaths_free(&cp);
        le_shard_free(&s);
    }
}

static void run_command(int (*fn)(int, char **), int argc, char **argv)
{
    le_cmd_call(fn, argc, argv);
    le_log_level = 0; /* -q in argv sets it too; keep it off */
    le_err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (write_edited(data, size)) return 0;
    le_corpus *c = NULL;
    if (!le_corpus_open(MPI_COMM_SELF, fuzz_path(), &c)) per_trace_paths(c);
    le_corpus_close(c);
    le_err_clear();
    char *path = (char *)fuzz_path();
    char *info[] = {"info", "-q", path, NULL};
    run_command(le_cmd_info, 3, info);
    char *rc[] = {"rootcause", "-q", path, "--from-truth", "--no-page", "-o", out_path, NULL};
    run_command(le_cmd_rootcause, 7, rc);
    unlink(out_path);
    return 0;
}
