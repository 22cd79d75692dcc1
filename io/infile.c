#include "infile.h"

#include <errno.h>
#include <stdlib.h>
#include <fcntl.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include "le_base.h"

/* Compressed input is read in blocks of this size; the readers' own blocks
 * (4 MiB) are filled from it by the decoder. */
#define LE_INFILE_RAW ((size_t)1 << 20)

struct le_infile {
    char *path; /* for messages */
    int fd, own_fd;
    le_codec codec;
    unsigned char *raw; /* compressed bytes (or, for plain input, the peeked ones) */
    size_t raw_len, raw_pos;
    int eof;          /* the file or pipe has no more bytes */
    uint64_t raw_off; /* bytes read from fd so far */
    uint64_t pos;     /* uncompressed bytes returned so far */
    z_stream zs;
    int z_ready;    /* inflateInit2 done */
    int z_boundary; /* between gzip members: the input may end here */
    ZSTD_DStream *zd;
    size_t z_hint; /* last ZSTD_decompressStream result: 0 = a frame ended */
};

static int read_fd(le_infile *f, unsigned char *buf, size_t cap, size_t *got)
{
    for (;;) {
        ssize_t n = read(f->fd, buf, cap);
        if (n >= 0) {
            *got = (size_t)n;
            f->raw_off += (uint64_t)n;
            return 0;
        }
        if (errno != EINTR)
            return le_fail(LE_ERR_IO, "%s: byte %llu: read failed: %s", f->path, (unsigned long long)f->raw_off,
                           strerror(errno));
    }
}

/* Fill raw when it is used up (raw_len == raw_pos). */
static int refill(le_infile *f)
{
    if (f->eof || f->raw_pos < f->raw_len) return 0;
    size_t n;
    LE_CHECK(read_fd(f, f->raw, LE_INFILE_RAW, &n));
    f->raw_len = n;
    f->raw_pos = 0;
    f->eof = n == 0;
    return 0;
}

/* The first bytes, enough to tell the codec: a pipe may deliver them in
 * pieces. */
static int peek_magic(le_infile *f)
{
    while (f->raw_len < 4 && !f->eof) {
        size_t n;
        LE_CHECK(read_fd(f, f->raw + f->raw_len, LE_INFILE_RAW - f->raw_len, &n));
        f->raw_len += n;
        f->eof = n == 0;
    }
    const unsigned char *m = f->raw;
    if (f->raw_len >= 2 && m[0] == 0x1f && m[1] == 0x8b)
        f->codec = LE_CODEC_GZIP;
    else if (f->raw_len >= 4 && m[0] == 0x28 && m[1] == 0xb5 && m[2] == 0x2f && m[3] == 0xfd)
        f->codec = LE_CODEC_ZSTD;
    else
        f->codec = LE_CODEC_PLAIN;
    return 0;
}

static int start_decoder(le_infile *f)
{
    if (f->codec == LE_CODEC_GZIP) {
        /* 16 + MAX_WBITS: gzip framing only (a zlib or raw stream is not a .gz) */
        if (inflateInit2(&f->zs, 16 + MAX_WBITS) != Z_OK)
            return le_fail(LE_ERR_NOMEM, "%s: cannot start the gzip decoder", f->path);
        f->z_ready = 1;
    } else if (f->codec == LE_CODEC_ZSTD) {
        f->zd = ZSTD_createDStream();
        if (!f->zd || ZSTD_isError(ZSTD_initDStream(f->zd)))
            return le_fail(LE_ERR_NOMEM, "%s: cannot start the zstd decoder", f->path);
        f->z_hint = 1;
    }
    return 0;
}

int le_infile_open(const char *path, le_infile **out)
{
    *out = NULL;
    int is_stdin = le_infile_is_stdin(path);
    int fd = is_stdin ? STDIN_FILENO : open(path, O_RDONLY);
    if (fd < 0) return le_fail(LE_ERR_IO, "%s: cannot open: %s", path, strerror(errno));
    if (!is_stdin) posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
    le_infile *f = le_calloc(1, sizeof *f);
    f->path = le_strdup(path);
    f->fd = fd;
    f->own_fd = !is_stdin;
    f->raw = le_malloc(LE_INFILE_RAW);
    int rc = peek_magic(f);
    if (!rc) rc = start_decoder(f);
    if (rc) {
        le_infile_close(f);
        return rc;
    }
    *out = f;
    return 0;
}

static int read_plain(le_infile *f, unsigned char *buf, size_t cap, size_t *got)
{
    if (f->raw_pos < f->raw_len) { /* the bytes peek_magic took first */
        size_t n = f->raw_len - f->raw_pos < cap ? f->raw_len - f->raw_pos : cap;
        memcpy(buf, f->raw + f->raw_pos, n);
        f->raw_pos += n;
        *got = n;
        return 0;
    }
    if (f->eof) {
        *got = 0;
        return 0;
    }
    LE_CHECK(read_fd(f, buf, cap, got));
    f->eof = *got == 0;
    return 0;
}

/* Where a compressed stream broke: the uncompressed byte (what the readers'
 * positions count) and the compressed one. */
static int corrupt(const le_infile *f, size_t produced, const char *why)
{
    uint64_t raw_at = le_infile_disk_pos(f);
    return le_fail(LE_ERR_FORMAT, "%s: uncompressed byte %llu (compressed byte %llu): %s data is corrupt: %s", f->path,
                   (unsigned long long)(f->pos + produced), (unsigned long long)raw_at, le_codec_name(f->codec), why);
}

static int truncated(const le_infile *f)
{
    return le_fail(LE_ERR_FORMAT, "%s: uncompressed byte %llu: the %s data ends early (truncated file?)", f->path,
                   (unsigned long long)f->pos, le_codec_name(f->codec));
}

static int read_gzip(le_infile *f, unsigned char *buf, size_t cap, size_t *got)
{
    z_stream *z = &f->zs;
    z->next_out = buf;
    z->avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
    uInt want = z->avail_out;
    for (;;) {
        LE_CHECK(refill(f));
        z->next_in = f->raw + f->raw_pos;
        z->avail_in = (uInt)(f->raw_len - f->raw_pos);
        uInt in0 = z->avail_in;
        int ret = inflate(z, Z_NO_FLUSH);
        f->raw_pos += in0 - z->avail_in;
        if (ret == Z_STREAM_END) { /* one member done; another may follow */
            f->z_boundary = 1;
            inflateReset(z);
        } else if (ret == Z_OK) {
            f->z_boundary = 0;
        } else if (ret != Z_BUF_ERROR) { /* Z_BUF_ERROR: no progress without more input */
            return corrupt(f, want - z->avail_out,
                           f->z_boundary ? "the bytes after a complete gzip member are not gzip"
                                         : (z->msg ? z->msg : "inflate failed"));
        }
        *got = want - z->avail_out;
        if (*got) return 0;
        if (f->eof && f->raw_pos == f->raw_len) return f->z_boundary ? 0 : truncated(f);
    }
}

static int read_zstd(le_infile *f, unsigned char *buf, size_t cap, size_t *got)
{
    ZSTD_outBuffer out = {buf, cap, 0};
    for (;;) {
        LE_CHECK(refill(f));
        ZSTD_inBuffer in = {f->raw, f->raw_len, f->raw_pos};
        size_t r = ZSTD_decompressStream(f->zd, &out, &in);
        int progress = in.pos > f->raw_pos || out.pos > 0;
        f->raw_pos = in.pos;
        if (ZSTD_isError(r)) return corrupt(f, out.pos, ZSTD_getErrorName(r));
        /* a call with nothing to do after a frame ended asks for the next
         * frame's header: the stream may still end here */
        if (progress) f->z_hint = r;
        *got = out.pos;
        if (*got) return 0;
        if (f->eof && f->raw_pos == f->raw_len) return f->z_hint == 0 ? 0 : truncated(f);
    }
}

int le_infile_read(le_infile *f, void *buf, size_t cap, size_t *got)
{
    *got = 0;
    if (!cap) return 0;
    int rc;
    switch (f->codec) {
    case LE_CODEC_GZIP: rc = read_gzip(f, buf, cap, got); break;
    case LE_CODEC_ZSTD: rc = read_zstd(f, buf, cap, got); break;
    default: rc = read_plain(f, buf, cap, got); break;
    }
    f->pos += *got;
    return rc;
}

uint64_t le_infile_pos(const le_infile *f) { return f->pos; }
uint64_t le_infile_disk_pos(const le_infile *f) { return f->raw_off - (f->raw_len - f->raw_pos); }
le_codec le_infile_codec(const le_infile *f) { return f->codec; }

const char *le_codec_name(le_codec c)
{
    static const char *const name[] = {"plain", "gzip", "zstd"};
    return c <= LE_CODEC_ZSTD ? name[c] : "?";
}

void le_infile_close(le_infile *f)
{
    if (!f) return;
    if (f->z_ready) inflateEnd(&f->zs);
    if (f->zd) ZSTD_freeDStream(f->zd);
    if (f->own_fd) close(f->fd);
    free(f->raw);
    free(f->path);
    free(f);
}

size_t le_codec_suffix_len(const char *name)
{
    static const char *const suffix[] = {".gz", ".zst"};
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof suffix / sizeof *suffix; i++) {
        size_t k = strlen(suffix[i]);
        if (n > k && !strcasecmp(name + n - k, suffix[i])) return k;
    }
    return 0;
}
