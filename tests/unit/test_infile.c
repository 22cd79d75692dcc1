/* io/infile: plain, gzip (one and several members), zstd (one and several
 * frames) and standard input give the same bytes whatever the read size;
 * truncated, corrupt and trailing-garbage input fail naming the file and
 * the uncompressed byte. The data is made here with zlib and libzstd. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>
#include <zlib.h>
#include <zstd.h>

#include "infile.h"
#include "le_base.h"

typedef struct bytes {
    unsigned char *p;
    size_t n;
} bytes;

/* Text that compresses but not to nothing: numbered lines. */
static bytes sample_text(size_t lines)
{
    bytes b = {le_malloc(lines * 48 + 1), 0};
    for (size_t i = 0; i < lines; i++)
        b.n += (size_t)sprintf((char *)b.p + b.n, "trace-%zu,span-%zu,%zu\n", i * 7919 % 1000, i, i * i);
    return b;
}

static void append(bytes *to, const unsigned char *p, size_t n)
{
    to->p = le_realloc(to->p, to->n + n);
    memcpy(to->p + to->n, p, n);
    to->n += n;
}

static bytes gzip_of(const unsigned char *p, size_t n)
{
    z_stream z = {0};
    assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
    bytes out = {le_malloc(deflateBound(&z, n) + 64), 0};
    z.next_in = (unsigned char *)p;
    z.avail_in = (uInt)n;
    z.next_out = out.p;
    z.avail_out = (uInt)(deflateBound(&z, n) + 64);
    assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
    out.n = z.total_out;
    deflateEnd(&z);
    return out;
}

static bytes zstd_of(const unsigned char *p, size_t n)
{
    bytes out = {le_malloc(ZSTD_compressBound(n)), 0};
    out.n = ZSTD_compress(out.p, ZSTD_compressBound(n), p, n, 3);
    assert_false(ZSTD_isError(out.n));
    return out;
}

static char *write_temp(const bytes *b)
{
    static char path[64];
    strcpy(path, "/tmp/le_test_infile_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, b->p, b->n), (ssize_t)b->n);
    close(fd);
    return path;
}

/* Read all of path in reads of at most chunk bytes. Returns the status;
 * *out gets what was read before it. */
static int read_all(const char *path, size_t chunk, bytes *out, le_codec *codec)
{
    le_infile *f;
    out->p = NULL;
    out->n = 0;
    int rc = le_infile_open(path, &f);
    if (rc) return rc;
    if (codec) *codec = le_infile_codec(f);
    unsigned char *buf = le_malloc(chunk);
    size_t cap = 0; /* grown geometrically: exact growth (append) copied
                     * gigabytes for several MB in 4 KiB reads, a minute under ASan */
    for (;;) {
        size_t got;
        rc = le_infile_read(f, buf, chunk, &got);
        if (rc || !got) break;
        if (out->n + got > cap) out->p = le_realloc(out->p, cap = 2 * (out->n + got));
        memcpy(out->p + out->n, buf, got);
        out->n += got;
        assert_int_equal(le_infile_pos(f), out->n);
    }
    free(buf);
    le_infile_close(f);
    return rc;
}

static void expect_same(const char *path, const bytes *want, le_codec codec)
{
    static const size_t chunks[] = {4096, 1 << 22, 7, 1};
    for (size_t k = 0; k < sizeof chunks / sizeof *chunks; k++) {
        if (chunks[k] < 64 && want->n > 200000) continue; /* byte by byte: small inputs only (time) */
        bytes got;
        le_codec c;
        assert_int_equal(read_all(path, chunks[k], &got, &c), 0);
        assert_int_equal(c, codec);
        assert_int_equal(got.n, want->n);
        assert_memory_equal(got.p, want->p, want->n);
        free(got.p);
    }
}

static void plain_gzip_zstd_read_the_same(void **state)
{
    (void)state;
    bytes text = sample_text(200000); /* several MB: more than one raw block */
    char *path = write_temp(&text);
    expect_same(path, &text, LE_CODEC_PLAIN);
    unlink(path);
    bytes gz = gzip_of(text.p, text.n), zs = zstd_of(text.p, text.n);
    path = write_temp(&gz);
    expect_same(path, &text, LE_CODEC_GZIP);
    unlink(path);
    path = write_temp(&zs);
    expect_same(path, &text, LE_CODEC_ZSTD);
    unlink(path);
    free(text.p), free(gz.p), free(zs.p);
}

/* `cat a.gz b.gz > c.gz` (and pigz, bgzip) make several members; zstd
 * files may hold several frames: all of them are the file's text. */
static void several_members_and_frames(void **state)
{
    (void)state;
    bytes a = sample_text(1000), b = sample_text(3000), both = {0};
    append(&both, a.p, a.n);
    append(&both, b.p, b.n);
    bytes ga = gzip_of(a.p, a.n), gb = gzip_of(b.p, b.n), za = zstd_of(a.p, a.n), zb = zstd_of(b.p, b.n);
    bytes g = {0}, z = {0};
    append(&g, ga.p, ga.n);
    append(&g, gb.p, gb.n);
    append(&z, za.p, za.n);
    append(&z, zb.p, zb.n);
    char *path = write_temp(&g);
    expect_same(path, &both, LE_CODEC_GZIP);
    unlink(path);
    path = write_temp(&z);
    expect_same(path, &both, LE_CODEC_ZSTD);
    unlink(path);
    free(a.p), free(b.p), free(both.p), free(ga.p), free(gb.p), free(za.p), free(zb.p), free(g.p), free(z.p);
}

static void expect_failure(const bytes *data, const char *why)
{
    char *path = write_temp(data);
    bytes got;
    le_err_clear();
    assert_int_equal(read_all(path, 4096, &got, NULL), LE_ERR_FORMAT);
    if (!strstr(le_errmsg(), path) || !strstr(le_errmsg(), why)) fail_msg("message: %s", le_errmsg());
    free(got.p);
    unlink(path);
}

static void truncated_and_corrupt_input_fail(void **state)
{
    (void)state;
    bytes text = sample_text(50000);
    bytes gz = gzip_of(text.p, text.n), zs = zstd_of(text.p, text.n);

    bytes cut = {gz.p, gz.n - 9}; /* inside the trailer: all text there, the check missing */
    expect_failure(&cut, "the gzip data ends early");
    cut.n = gz.n / 2;
    expect_failure(&cut, "the gzip data ends early");
    cut = (bytes){zs.p, zs.n / 2};
    expect_failure(&cut, "the zstd data ends early");
    cut.n = 5; /* the magic and a byte of header */
    expect_failure(&cut, "the zstd data ends early");

    bytes bad = {le_malloc(gz.n), gz.n};
    memcpy(bad.p, gz.p, gz.n);
    bad.p[gz.n / 2] ^= 0x55;
    expect_failure(&bad, "gzip data is corrupt");
    memcpy(bad.p, gz.p, gz.n);
    bad.p[gz.n - 6] ^= 0x01; /* the CRC of the text */
    expect_failure(&bad, "gzip data is corrupt");

    bytes trailing = {0};
    append(&trailing, gz.p, gz.n);
    append(&trailing, (const unsigned char *)"garbage", 7);
    expect_failure(&trailing, "the bytes after a complete gzip member are not gzip");

    bytes zbad = {le_malloc(zs.n), zs.n};
    memcpy(zbad.p, zs.p, zs.n);
    zbad.p[zs.n / 2] ^= 0x55;
    expect_failure(&zbad, "zstd data is corrupt");
    free(text.p), free(gz.p), free(zs.p), free(bad.p), free(trailing.p), free(zbad.p);
}

/* A corrupt byte deep in a member: the message gives the uncompressed byte
 * the decoder reached when it found out (a flipped bit may decode to other
 * text and show only in the member's CRC, at its end), never less than what
 * the reader was given. */
static void corrupt_gives_uncompressed_offset(void **state)
{
    (void)state;
    bytes text = sample_text(100000);
    bytes gz = gzip_of(text.p, text.n);
    gz.p[gz.n * 3 / 4] ^= 0xff;
    char *path = write_temp(&gz);
    bytes got;
    assert_int_equal(read_all(path, 4096, &got, NULL), LE_ERR_FORMAT);
    const char *at = strstr(le_errmsg(), "uncompressed byte ");
    assert_non_null(at);
    unsigned long long byte = strtoull(at + strlen("uncompressed byte "), NULL, 10);
    assert_true(got.n > text.n / 2 && got.n <= byte && byte <= text.n);
    free(got.p), free(gz.p), free(text.p);
    unlink(path);
}

static void empty_and_tiny_files_are_plain(void **state)
{
    (void)state;
    bytes empty = {NULL, 0}, one = {(unsigned char *)"\x1f", 1}, three = {(unsigned char *)"(\xb5/", 3};
    char *path = write_temp(&empty);
    expect_same(path, &empty, LE_CODEC_PLAIN);
    unlink(path);
    path = write_temp(&one); /* half a gzip magic: plain */
    expect_same(path, &one, LE_CODEC_PLAIN);
    unlink(path);
    path = write_temp(&three); /* three quarters of the zstd magic: plain */
    expect_same(path, &three, LE_CODEC_PLAIN);
    unlink(path);
}

/* "-" reads standard input, compressed or not, and leaves it open. */
static void stdin_is_read(void **state)
{
    (void)state;
    bytes text = sample_text(20000), gz = gzip_of(text.p, text.n);
    const bytes *inputs[] = {&text, &gz};
    for (int k = 0; k < 2; k++) {
        char *path = write_temp(inputs[k]);
        int saved = dup(STDIN_FILENO);
        assert_non_null(freopen(path, "r", stdin));
        bytes got;
        le_codec c;
        assert_int_equal(read_all(LE_STDIN_PATH, 65536, &got, &c), 0);
        assert_int_equal(c, k ? LE_CODEC_GZIP : LE_CODEC_PLAIN);
        assert_int_equal(got.n, text.n);
        assert_memory_equal(got.p, text.p, text.n);
        assert_true(fcntl(STDIN_FILENO, F_GETFD) != -1); /* not closed */
        dup2(saved, STDIN_FILENO);
        close(saved);
        free(got.p);
        unlink(path);
    }
    free(text.p), free(gz.p);
}

/* A pipe gives what was written so far: here a byte at a time, so even the
 * magic arrives in pieces (`curl ... | labelease ingest ... -`). */
static void stdin_pipe_in_pieces(void **state)
{
    (void)state;
    bytes text = sample_text(3000), zs = zstd_of(text.p, text.n);
    int fds[2];
    assert_int_equal(pipe(fds), 0);
    pid_t child = fork();
    assert_true(child >= 0);
    if (child == 0) {
        close(fds[0]);
        for (size_t i = 0; i < zs.n; i++)
            if (write(fds[1], zs.p + i, 1) != 1) _exit(1);
        _exit(0);
    }
    close(fds[1]);
    int saved = dup(STDIN_FILENO);
    dup2(fds[0], STDIN_FILENO);
    close(fds[0]);
    bytes got;
    le_codec c;
    assert_int_equal(read_all(LE_STDIN_PATH, 4096, &got, &c), 0);
    dup2(saved, STDIN_FILENO);
    close(saved);
    int status;
    assert_int_equal(waitpid(child, &status, 0), child);
    assert_int_equal(status, 0);
    assert_int_equal(c, LE_CODEC_ZSTD);
    assert_int_equal(got.n, text.n);
    assert_memory_equal(got.p, text.p, text.n);
    free(got.p), free(text.p), free(zs.p);
}

static void missing_file_names_it(void **state)
{
    (void)state;
    le_infile *f;
    assert_int_equal(le_infile_open("/tmp/le_no_such_dir/x.json.gz", &f), LE_ERR_IO);
    assert_non_null(strstr(le_errmsg(), "/tmp/le_no_such_dir/x.json.gz: cannot open"));
}

static void suffixes(void **state)
{
    (void)state;
    assert_int_equal(le_codec_suffix_len("a.json.gz"), 3);
    assert_int_equal(le_codec_suffix_len("a.CSV.GZ"), 3);
    assert_int_equal(le_codec_suffix_len("a.jsonl.zst"), 4);
    assert_int_equal(le_codec_suffix_len("a.json"), 0);
    assert_int_equal(le_codec_suffix_len(".gz"), 0);
    assert_int_equal(le_codec_suffix_len("gz"), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plain_gzip_zstd_read_the_same),
        cmocka_unit_test(several_members_and_frames),
        cmocka_unit_test(truncated_and_corrupt_input_fail),
        cmocka_unit_test(corrupt_gives_uncompressed_offset),
        cmocka_unit_test(empty_and_tiny_files_are_plain),
        cmocka_unit_test(stdin_is_read),
        cmocka_unit_test(stdin_pipe_in_pieces),
        cmocka_unit_test(missing_file_names_it),
        cmocka_unit_test(suffixes),
    };
    return cmocka_run_group_tests_name("infile", tests, NULL, NULL);
}
