/* infile: one trace input as a stream of its uncompressed bytes, whatever
 * it is stored as. Both readers (io/fmt_csv.c, io/json_stream.c) read
 * through it, so every format takes the same inputs:
 *
 *  - a plain file;
 *  - a gzip file (also several gzip members one after another, as `cat
 *    a.gz b.gz` or pigz make), by zlib;
 *  - a zstd file (one or more frames), by libzstd;
 *  - "-": standard input, plain or compressed alike.
 *
 * The codec is chosen by the first bytes (gzip 1f 8b, zstd 28 b5 2f fd),
 * never by the name: a trace file with a wrong suffix still reads. A corrupt
 * or truncated compressed stream is LE_ERR_FORMAT naming the file and the
 * uncompressed byte where it broke. Positions the readers print (CSV lines,
 * JSON bytes) are in the uncompressed text. No MPI here. */
#ifndef LE_INFILE_H
#define LE_INFILE_H

#include <stddef.h>
#include <stdint.h>

typedef struct le_infile le_infile;

typedef enum { LE_CODEC_PLAIN = 0, LE_CODEC_GZIP, LE_CODEC_ZSTD } le_codec;

/* The path that means standard input. */
#define LE_STDIN_PATH "-"
static inline int le_infile_is_stdin(const char *path) { return path[0] == '-' && path[1] == 0; }

/* Open path for reading (LE_STDIN_PATH: standard input, not closed after).
 * LE_ERR_IO naming the path when it cannot be opened. */
int le_infile_open(const char *path, le_infile **out);
/* Up to cap uncompressed bytes into buf; *got is 0 only at the end of the
 * input. LE_ERR_IO for a failed read, LE_ERR_FORMAT for corrupt or
 * truncated compressed data, naming the path and the uncompressed byte. */
int le_infile_read(le_infile *f, void *buf, size_t cap, size_t *got);
/* Uncompressed bytes returned so far. */
uint64_t le_infile_pos(const le_infile *f);
/* Bytes of the file as stored (compressed, for gzip and zstd) consumed so far. */
uint64_t le_infile_disk_pos(const le_infile *f);
le_codec le_infile_codec(const le_infile *f);
const char *le_codec_name(le_codec c); /* "plain", "gzip", "zstd" */
void le_infile_close(le_infile *f);

/* Length of a compression suffix ending name (".gz", ".zst",
 * case-insensitive), else 0: directory searches look at the name before
 * it ("x.json.gz" is a JSON input). */
size_t le_codec_suffix_len(const char *name);

#endif
