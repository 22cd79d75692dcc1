/* labelease ingest: trace files of any supported format -> a corpus.
 * The stages are in mpi/ingest_stages.h; this file holds the command line, the
 * input file list, the parse loop, ground truth and the summary. */
#include <dirent.h>
#include <fnmatch.h>
#include <getopt.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "driver.h"
#include "exchange.h"
#include "groundtruth.h"
#include "hash.h"
#include "infile.h"
#include "ingest.h"
#include "ingest_stages.h"
#include "samefile.h"
#include "tracetree.h"
#include "truth_dist.h"

static const char usage[] =
    "usage: labelease ingest --format F [options] -o corpus.h5 INPUT...\n"
    "\n"
    "Read trace files (or directories of them) into a labelease corpus. Ranks split\n"
    "the files; spans of one trace spread over several files are joined. Every input\n"
    "row is accounted for: rows_read = spans + the sum of every dropped.* count.\n"
    "\n"
    "formats (--format):\n"
    "  jaeger      Jaeger JSON (UI download, /api/traces, bare span arrays,\n"
    "              api_v2 model JSON; API v3 answers are read as OTLP)\n"
    "  zipkin      Zipkin v2 or v1 JSON (array of spans, or array of traces)\n"
    "  otlp        OTLP JSON (ExportTraceServiceRequest, JSON lines of them, Tempo's\n"
    "              {\"batches\"}, {\"result\"} of Jaeger API v3);\n"
    "              *.pb and *.binpb files are read as OTLP protobuf\n"
    "  otlp-proto  OTLP protobuf (ExportTraceServiceRequest, or the collector\n"
    "              file exporter's length-prefixed requests)\n"
    "  nezha       CSV: TrainTicket data of the Nezha project\n"
    "  skywalking  CSV: SkyWalking spans as DeepTraLog exports them\n"
    "  aiops2022   CSV: AIOps-2022 Online Boutique trace_jaeger-span.csv\n"
    "  tracevae    CSV: TraceVAE sample layout\n"
    "  jaeger-cassandra  CSV: Jaeger's Cassandra span table as cqlsh COPY writes it\n"
    "  alibaba     CSV: Alibaba cluster-trace-microservices-v2022 CallGraph\n"
    "  alibaba2021 CSV: Alibaba cluster-trace-microservices-v2021 MSCallGraph\n"
    "  csv         CSV with any columns: give the mapping with --map FILE\n"
    "  Directories are searched recursively for *.csv (CSV formats) or\n"
    "  *.json, *.jsonl, *.ndjson (JSON formats; otlp also *.pb, *.binpb), each also\n"
    "  with .gz or .zst, in sorted order. gzip and zstd input is read by its first\n"
    "  bytes, whatever its name; INPUT - reads standard input (rank 0), e.g.\n"
    "  zcat x.json.gz | labelease ingest --format jaeger -o c.h5 -\n"
    "\n"
    "options:\n"
    "  -o, --output FILE            corpus to write (required)\n"
    "  --map FILE                   column mapping for --format csv (see configs/formats/*.ini)\n"
    "  --label-by-filename RULES    GLOB=LABEL,... : a trace seen in a file whose name\n"
    "                               matches GLOB gets LABEL (normal|abnormal); abnormal wins\n"
    "                               when a trace is in both, first matching rule per file\n"
    "  --labels FILE                labels CSV trace_id,label[,note]; overrides other labels\n"
    "  --faults FILE                fault list: Nezha fault_list.json, or CSV service,type,start,end;\n"
    "                               unlabelled traces get the visible truth (docs/rootcause.md):\n"
    "                               abnormal when they start in a fault's window and a span of\n"
    "                               the faulty service failed, is slower than the 99.9th\n"
    "                               percentile of its operation outside every window, or has a\n"
    "                               call structure never seen outside every window\n"
    "  --fault-duration SECONDS     length of a fault that has no end (default 300)\n"
    "  --max-duration SECONDS       spans longer than this are dropped as absurd (default 86400)\n"
    "  --roots virtual|first        a trace with several roots: kept whole under a made-up\n"
    "                               '(virtual root)' span, spans whose parent is missing hung\n"
    "                               under the root (virtual, the default); or only the largest\n"
    "                               root's subtree kept, the rest dropped (first)\n"

    "  --strict                     stop with an error at the first dropped row\n"
    "  --keep-going                 skip a file that cannot be read or is not the format\n"
    "                               (invalid JSON, corrupt gzip, ...) with a warning; the\n"
    "                               summary names the skipped files\n"
    "  --allow-drops                exit 0 when no trace is left (an empty corpus is then\n"
    "                               written) or more than half of the rows were dropped\n"
    "  --max-rows N                 span rows a rank parses before it joins them (default\n"
    "                               8388608, about 1 GB). When a rank has input left after\n"
    "                               N rows, the join and the order go through files (an\n"
    "                               external sort): memory stays near N rows a rank (a CSV\n"
    "                               file is read in parts; a JSON or OTLP file whole), the\n"
    "                               disk holds about the input's rows twice\n"
    "  --spill-dir DIR              where those files go (default: beside the output, in\n"
    "                               OUTPUT.spill-PID, removed at the end)\n" LE_COMMON_HELP
    "\n"
    "examples:\n"
    "  mpirun -np 4 labelease ingest --format nezha --faults fault_list.json -o tt.h5 trace/\n"
    "  labelease ingest --format skywalking \\\n"
    "      --label-by-filename 'ERROR_*=abnormal,SUCCESS_*=normal' -o dtl.h5 deeptralog/\n"
    "  labelease ingest --format csv --map my-layout.ini -o c.h5 spans-*.csv\n"
    "\n"
    "exit status: 0 done; 10 no trace was left (no corpus written); 11 more than\n"
    "half of the rows were dropped (the corpus is written); other non-zero: an\n"
    "error (docs/ingest.md, \"Exit status\").\n";

typedef enum { FMT_CSV, FMT_JAEGER, FMT_ZIPKIN, FMT_OTLP, FMT_OTLP_PROTO } fmt_kind;

/* --max-rows' default: about 1 GB of parsed rows a rank (~3 with the
 * exchange's buffers), under the 4 GB a rank issue 19 bounds. */
#define LE_INGEST_MAX_ROWS ((int64_t)1 << 23)

typedef struct label_rule {
    char *glob;
    int8_t label;
} label_rule;

typedef struct ingest_opts {
    const char *format, *map, *output, *labels, *faults;
    label_rule *rules;
    int n_rules;
    int strict, keep_going, allow_drops;
    int tree_mode; /* --roots: LE_TT_WHOLE or LE_TT_FIRST_ROOT */
    double fault_duration_s, max_duration_s;
    int64_t max_rows;      /* rows a rank parses before it routes them on */
    const char *spill_dir; /* NULL: OUTPUT.spill-PID */
    fmt_kind kind;
} ingest_opts;

typedef struct file_list {
    int n;
    char **path;
    uint64_t *size;
    int8_t *label; /* from --label-by-filename */
    int *owner;    /* rank that parses it */
    int unmatched; /* files no --label-by-filename rule matched */
} file_list;

/* ------------------------------------------------------------- options */

static int parse_label(const char *s, int8_t *out)
{
    if (!strcasecmp(s, "abnormal") || !strcmp(s, "1"))
        *out = 1;
    else if (!strcasecmp(s, "normal") || !strcmp(s, "0"))
        *out = 0;
    else
        return le_fail(LE_ERR_USAGE, "--label-by-filename: label '%s' is neither normal nor abnormal", s);
    return 0;
}

static int parse_rules(const char *spec, ingest_opts *o)
{
    char *copy = le_strdup(spec), *save = NULL;
    int rc = 0;
    for (char *tok = strtok_r(copy, ",", &save); tok && !rc; tok = strtok_r(NULL, ",", &save)) {
        char *eq = strrchr(tok, '=');
        if (!eq || eq == tok) {
            rc = le_fail(LE_ERR_USAGE, "--label-by-filename: '%s' is not GLOB=LABEL", tok);
            break;
        }
        *eq = 0;
        o->rules = le_realloc(o->rules, (size_t)(o->n_rules + 1) * sizeof *o->rules);
        o->rules[o->n_rules].glob = le_strdup(tok);
        rc = parse_label(eq + 1, &o->rules[o->n_rules].label);
        o->n_rules++;
    }
    free(copy);
    return rc;
}

static int parse_seconds(const char *opt, const char *s, double *out)
{
    char *end;
    *out = strtod(s, &end);
    if (end == s || *end || !(*out > 0))
        return le_fail(LE_ERR_USAGE, "%s: '%s' is not a positive number of seconds", opt, s);
    return 0;
}

static int parse_roots(const char *s, ingest_opts *o)
{
    if (!strcmp(s, "virtual"))
        o->tree_mode = LE_TT_WHOLE;
    else if (!strcmp(s, "first"))
        o->tree_mode = LE_TT_FIRST_ROOT;
    else
        return le_fail(LE_ERR_USAGE, "--roots: '%s' is neither virtual nor first", s);
    return 0;
}

static int resolve_format(ingest_opts *o)
{
    if (!o->format) return le_fail(LE_ERR_USAGE, "--format is required (labelease ingest --help lists them)");
    if (!strcmp(o->format, "jaeger"))
        o->kind = FMT_JAEGER;
    else if (!strcmp(o->format, "zipkin"))
        o->kind = FMT_ZIPKIN;
    else if (!strcmp(o->format, "otlp"))
        o->kind = FMT_OTLP;
    else if (!strcmp(o->format, "otlp-proto"))
        o->kind = FMT_OTLP_PROTO;
    else
        o->kind = FMT_CSV;
    if (o->kind == FMT_CSV && !strcmp(o->format, "csv") && !o->map)
        return le_fail(LE_ERR_USAGE, "--format csv needs --map FILE (a column mapping, see configs/formats/)");
    if (o->map && strcmp(o->format, "csv")) return le_fail(LE_ERR_USAGE, "--map goes with --format csv only");
    return 0;
}

static int parse_options(int argc, char **argv, ingest_opts *o)
{
    static const struct option opts[] = {{"format", required_argument, 0, 'F'},
                                         {"map", required_argument, 0, 'm'},
                                         {"label-by-filename", required_argument, 0, 'L'},
                                         {"labels", required_argument, 0, 'l'},
                                         {"faults", required_argument, 0, 'f'},
                                         {"fault-duration", required_argument, 0, 'd'},
                                         {"max-duration", required_argument, 0, 'D'},
                                         {"strict", no_argument, 0, 's'},
                                         {"roots", required_argument, 0, 'R'},
                                         {"keep-going", no_argument, 0, 'k'},
                                         {"allow-drops", no_argument, 0, 'A'},
                                         {"max-rows", required_argument, 0, 'M'},
                                         {"spill-dir", required_argument, 0, 'S'},
                                         {"output", required_argument, 0, 'o'},
                                         LE_COMMON_LONGOPTS,
                                         {0}};
    memset(o, 0, sizeof *o);
    o->fault_duration_s = 300;
    o->max_duration_s = 86400;
    o->tree_mode = LE_TT_WHOLE;
    o->max_rows = LE_INGEST_MAX_ROWS;
    optind = 0; /* 0, not 1: glibc then resets all its state (commands may run in-process) */
    int c;
    while ((c = getopt_long(argc, argv, "o:vqh", opts, NULL)) != -1) {
        if (le_common_opt(c)) continue;
        switch (c) {
        case 'h': return -1;
        case 'F': o->format = optarg; break;
        case 'm': o->map = optarg; break;
        case 'L': LE_CHECK(parse_rules(optarg, o)); break;
        case 'l': o->labels = optarg; break;
        case 'f': o->faults = optarg; break;
        case 'd': LE_CHECK(parse_seconds("--fault-duration", optarg, &o->fault_duration_s)); break;
        case 'D': LE_CHECK(parse_seconds("--max-duration", optarg, &o->max_duration_s)); break;
        case 's': o->strict = 1; break;
        case 'R': LE_CHECK(parse_roots(optarg, o)); break;
        case 'k': o->keep_going = 1; break;
        case 'A': o->allow_drops = 1; break;
        case 'M':
            LE_CHECK(le_parse_count("--max-rows", optarg, &o->max_rows));
            if (o->max_rows < 1) return le_fail(LE_ERR_USAGE, "--max-rows must be at least 1");
            break;
        case 'S': o->spill_dir = optarg; break;
        case 'o': o->output = optarg; break;
        default: return le_usage(usage, 1);
        }
    }
    if (!o->output) return le_fail(LE_ERR_USAGE, "-o corpus.h5 is required");
    if (optind >= argc) return le_fail(LE_ERR_USAGE, "no INPUT files or directories given");
    return resolve_format(o);
}

static void free_options(ingest_opts *o)
{
    for (int i = 0; i < o->n_rules; i++) free(o->rules[i].glob);
    free(o->rules);
}

/* ----------------------------------------------------------- file list */

static int ext_is(const char *ext, size_t n, const char *want) { return strlen(want) == n && !strncasecmp(ext, want, n); }

/* The last extension of a base name, through a compression suffix
 * (".gz", ".zst": "x.csv.gz" is a CSV input, its codec then told by its
 * first bytes, io/infile.h); *n its length, NULL when there is none. */
static const char *input_ext(const char *path, size_t *n)
{
    const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
    size_t len = strlen(name) - le_codec_suffix_len(name);
    const char *dot = NULL;
    for (size_t i = 0; i < len; i++)
        if (name[i] == '.') dot = name + i;
    *n = dot ? (size_t)(name + len - dot) : 0;
    return dot;
}

/* *.pb, *.binpb: OTLP protobuf, whatever the --format otlp says */
static int is_protobuf_name(const char *path)
{
    size_t n;
    const char *dot = input_ext(path, &n);
    return dot && (ext_is(dot, n, ".pb") || ext_is(dot, n, ".binpb"));
}

/* path (a file met in a directory walk) by its base name: a hidden one
 * (".x.csv") is not an input; "./sub" or "../sub" in the path is no reason. */
static int wanted_in_dir(const char *path, fmt_kind kind)
{
    const char *slash = strrchr(path, '/'), *name = slash ? slash + 1 : path;
    size_t e;
    const char *dot = input_ext(path, &e);
    if (!dot || name[0] == '.') return 0;
    if (kind == FMT_CSV) return ext_is(dot, e, ".csv");
    if (kind == FMT_OTLP_PROTO) return is_protobuf_name(path);
    if (kind == FMT_OTLP && is_protobuf_name(path)) return 1;
    return ext_is(dot, e, ".json") || ext_is(dot, e, ".jsonl") || ext_is(dot, e, ".ndjson");
}

static void add_file(file_list *fl, const char *path, uint64_t size)
{
    fl->path = le_realloc(fl->path, (size_t)(fl->n + 1) * sizeof *fl->path);
    fl->size = le_realloc(fl->size, (size_t)(fl->n + 1) * sizeof *fl->size);
    fl->path[fl->n] = le_strdup(path);
    fl->size[fl->n] = size;
    fl->n++;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* "-": standard input, read by rank 0 (assign_owners); once only, since a
 * second read would find it drained. */
static int add_stdin(file_list *fl)
{
    for (int i = 0; i < fl->n; i++)
        if (le_infile_is_stdin(fl->path[i])) return le_fail(LE_ERR_USAGE, "'-' (standard input) given twice");
    add_file(fl, LE_STDIN_PATH, 0);
    return 0;
}

static int walk(const char *path, fmt_kind kind, int top, int keep_going, file_list *fl)
{
    if (top && le_infile_is_stdin(path)) return add_stdin(fl);
    struct stat st;
    if (stat(path, &st)) {
        /* a dangling link met in a directory, not named like an input:
         * it would not be read anyway */
        if (!top && !wanted_in_dir(path, kind)) return 0;
        /* --keep-going: listed all the same, so the parse names it among
         * the skipped files (a dangling link, a file removed meanwhile) */
        if (keep_going) {
            add_file(fl, path, 0);
            return 0;
        }
        return le_fail(LE_ERR_IO, "%s: no such file or directory", path);
    }
    if (!S_ISDIR(st.st_mode)) {
        if (top || wanted_in_dir(path, kind)) add_file(fl, path, (uint64_t)st.st_size);
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) return le_fail(LE_ERR_IO, "%s: cannot read directory", path);
    char **names = NULL;
    size_t n = 0, cap = 0;
    for (struct dirent *e; (e = readdir(d));) {
        if (e->d_name[0] == '.') continue;
        LE_RESERVE(names, cap, n + 1);
        size_t len = strlen(path) + strlen(e->d_name) + 2;
        names[n] = le_malloc(len);
        snprintf(names[n++], len, "%s%s%s", path, path[strlen(path) - 1] == '/' ? "" : "/", e->d_name);
    }
    closedir(d);
    qsort(names, n, sizeof *names, cmp_str);
    int rc = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rc) rc = walk(names[i], kind, 0, keep_going, fl);
        free(names[i]);
    }
    free(names);
    return rc;
}

static int8_t label_for(const ingest_opts *o, const char *path)
{
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    for (int i = 0; i < o->n_rules; i++)
        if (!fnmatch(o->rules[i].glob, strchr(o->rules[i].glob, '/') ? path : base, 0)) return o->rules[i].label;
    return LE_LABEL_UNKNOWN;
}

/* Largest files first, each to the least loaded rank: deterministic.
 * Standard input is rank 0's (mpirun forwards stdin to rank 0 only); its
 * size is unknown, so it weighs as much as the largest file. Sizes are on
 * disk: a compressed file weighs its compressed size. */
static void assign_owners(file_list *fl, int p)
{
    int *idx = le_malloc((size_t)fl->n * sizeof *idx);
    uint64_t *load = le_calloc((size_t)p, sizeof *load), largest = 0;
    for (int i = 0; i < fl->n; i++) largest = fl->size[i] > largest ? fl->size[i] : largest;
    for (int i = 0; i < fl->n; i++)
        if (le_infile_is_stdin(fl->path[i])) load[0] += largest + 1;
    for (int i = 0; i < fl->n; i++) idx[i] = i;
    for (int i = 1; i < fl->n; i++) { /* insertion sort by size desc, index asc */
        int x = idx[i], j = i;
        while (j > 0 && fl->size[idx[j - 1]] < fl->size[x]) idx[j] = idx[j - 1], j--;
        idx[j] = x;
    }
    fl->owner = le_malloc((size_t)fl->n * sizeof *fl->owner);
    for (int i = 0; i < fl->n; i++) {
        if (le_infile_is_stdin(fl->path[idx[i]])) {
            fl->owner[idx[i]] = 0;
            continue;
        }
        int best = 0;
        for (int r = 1; r < p; r++)
            if (load[r] < load[best]) best = r;
        fl->owner[idx[i]] = best;
        load[best] += fl->size[idx[i]] + 1;
    }
    free(idx);
    free(load);
}

static void free_file_list(file_list *fl)
{
    for (int i = 0; i < fl->n; i++) free(fl->path[i]);
    free(fl->path);
    free(fl->size);
    free(fl->label);
    free(fl->owner);
}

/* -o may be none of the inputs: a trace file found, the labels, faults or map. */
static int refuse_overwrites(const ingest_opts *o, const file_list *fl)
{
    const char *const others[] = {o->labels, o->faults, o->map};
    LE_CHECK(le_refuse_input_as_output("-o", o->output, (const char *const *)fl->path, fl->n));
    return le_refuse_input_as_output("-o", o->output, others, 3);
}

/* Rank 0 lists the inputs; everyone gets the list (paths NUL-separated). */
static int build_file_list(const ingest_opts *o, int argc, char **argv, file_list *fl)
{
    memset(fl, 0, sizeof *fl);
    int rc = 0;
    char *buf = NULL;
    uint64_t len = 0;
    if (le_world.rank == 0) {
        for (int i = optind; i < argc && !rc; i++) rc = walk(argv[i], o->kind, 1, o->keep_going, fl);
        if (!rc && fl->n == 0)
            rc = le_fail(LE_ERR_USAGE, "no input files found (directories are searched for %s)",
                         o->kind == FMT_CSV          ? "*.csv[.gz|.zst]"
                         : o->kind == FMT_OTLP_PROTO ? "*.pb, *.binpb[.gz|.zst]"
                         : o->kind == FMT_OTLP       ? "*.json, *.jsonl, *.ndjson, *.pb, *.binpb[.gz|.zst]"
                                                     : "*.json, *.jsonl, *.ndjson[.gz|.zst]");
        if (!rc) rc = refuse_overwrites(o, fl);
        for (int i = 0; i < fl->n; i++) len += strlen(fl->path[i]) + 1 + sizeof(uint64_t);
        buf = le_malloc(len);
        char *p = buf;
        for (int i = 0; i < fl->n; i++) {
            memcpy(p, &fl->size[i], sizeof(uint64_t));
            strcpy(p + sizeof(uint64_t), fl->path[i]);
            p += sizeof(uint64_t) + strlen(fl->path[i]) + 1;
        }
    }
    if ((rc = le_agree(rc))) { /* rank 0 may have listed some files before it stopped */
        free(buf), free_file_list(fl);
        return rc;
    }
    LE_CHECK(le_bcast_bytes(le_world.comm, &buf, &len, 0));
    if (le_world.rank != 0)
        for (uint64_t off = 0; off < len;) {
            uint64_t size;
            memcpy(&size, buf + off, sizeof size);
            add_file(fl, buf + off + sizeof size, size);
            off += sizeof size + strlen(buf + off + sizeof size) + 1;
        }
    free(buf);
    fl->label = le_malloc((size_t)fl->n * sizeof *fl->label);
    for (int i = 0; i < fl->n; i++) {
        fl->label[i] = label_for(o, fl->path[i]);
        if (o->n_rules && fl->label[i] == LE_LABEL_UNKNOWN && !fl->unmatched++)
            le_warn("%s matches no --label-by-filename rule: its traces stay unlabeled unless another file labels them",
                    fl->path[i]);
    }
    if (fl->unmatched > 1) le_warn("%d files in all match no --label-by-filename rule", fl->unmatched);
    assign_owners(fl, le_world.size);
    return 0;
}

/* --------------------------------------------------------------- parse */

static int parse_one(const ingest_opts *o, const le_csv_map *map, le_parse_ctx *ctx)
{
    switch (o->kind) {
    case FMT_JAEGER: return le_read_jaeger(ctx);
    case FMT_ZIPKIN: return le_read_zipkin(ctx);
    case FMT_OTLP: return is_protobuf_name(ctx->path) ? le_read_otlp_proto(ctx) : le_read_otlp(ctx);
    case FMT_OTLP_PROTO: return le_read_otlp_proto(ctx);
    default: return le_read_csv(ctx, map);
    }
}

/* Files --keep-going skipped: each rank records its own, rank 0 gathers
 * them all (gather_skips) for the warnings and the summary. */
typedef struct skip {
    uint32_t file;
    uint64_t bytes; /* uncompressed bytes read before the file failed (in bytes_read) */
    char *why;      /* the error, which names the file */
} skip;

typedef struct skip_list {
    int n;
    skip *s;
    uint64_t bytes; /* sum of s[].bytes */
} skip_list;

static void skip_add(skip_list *l, uint32_t file, uint64_t bytes, const char *why)
{
    l->s = le_realloc(l->s, (size_t)(l->n + 1) * sizeof *l->s);
    l->s[l->n++] = (skip){file, bytes, le_strdup(why)};
    l->bytes += bytes;
}

static void skip_list_free(skip_list *l)
{
    for (int i = 0; i < l->n; i++) free(l->s[i].why);
    free(l->s);
    memset(l, 0, sizeof *l);
}

/* What --keep-going may skip: a file that cannot be opened or read, or is
 * not the format (invalid JSON, another JSON shape, a CSV header lacking a
 * column, corrupt or truncated gzip/zstd). Never a --strict stop, memory or
 * an internal error: those stop the run. */
static int skippable(int rc) { return rc == LE_ERR_IO || rc == LE_ERR_FORMAT; }

/* The error's first line (without the "from" lines of -vv). */
static char *first_line(const char *msg)
{
    const char *nl = strchr(msg, '\n');
    return nl ? le_strndup(msg, (size_t)(nl - msg)) : le_strdup(msg);
}

/* Where a rank is in its files, across batches. A batch may end inside a
 * CSV file (csv open): the next batch goes on from there. */
typedef struct parse_state {
    int next, done, mine;   /* the file being or next to be read; files parsed; files of this rank */
    le_csv_stream *csv;     /* file next, when a batch ended inside it */
    int split;              /* some of file next's rows left with an earlier batch */
    le_parse_mark mark;     /* the stats where file next started; the rows where its part in this batch did */
    uint64_t bytes0;        /* bytes_read where file next started */
    uint8_t *skipped_split; /* [files] 1: skipped by --keep-going after rows of it left (NULL: none) */
    double t0, last;
    double parse_s; /* seconds in the readers, without the routing and spilling between batches */
} parse_state;

/* The first file at or after from that this rank parses (fl->n: none). */
static int next_own_file(const file_list *fl, int from)
{
    while (from < fl->n && fl->owner[from] != le_world.rank) from++;
    return from;
}

static void parse_state_init(const file_list *fl, parse_state *ps)
{
    *ps = (parse_state){.t0 = le_now()};
    ps->last = ps->t0;
    for (int i = 0; i < fl->n; i++) ps->mine += fl->owner[i] == le_world.rank;
    ps->next = next_own_file(fl, 0);
}

static void parse_state_free(parse_state *ps)
{
    le_csv_stream_close(ps->csv);
    free(ps->skipped_split);
    ps->csv = NULL, ps->skipped_split = NULL;
}

/* Where file next's rows start in this batch: the file's start, or the
 * start of the batch when it goes on from an earlier one (whose rows are
 * gone: the stats of its whole file stay marked). */
static void mark_part(const le_parse_ctx *ctx, parse_state *ps)
{
    if (ps->csv) {
        ps->mark.n = ctx->out->n, ps->mark.ids_len = ctx->out->ids_len;
        return;
    }
    le_parse_mark_take(ctx, &ps->mark);
    ps->bytes0 = ctx->st->bytes_read;
    ps->split = 0;
}

/* File next, or its next part, into ctx->out; *done = 0 when the batch
 * filled up inside it (a CSV file: the other formats are read whole). A
 * failed file leaves no rows in ctx->out nor counts in ctx->st. */
static int parse_part(const ingest_opts *o, const le_csv_map *map, le_parse_ctx *ctx, parse_state *ps, int *done)
{
    *done = 1;
    mark_part(ctx, ps);
    if (o->kind != FMT_CSV) return parse_one(o, map, ctx); /* the reader rolls a failed file back itself */
    int rc = ps->csv ? 0 : le_csv_stream_open(ctx, map, &ps->csv);
    if (!rc) rc = le_csv_stream_read(ps->csv, (size_t)o->max_rows, done);
    if (rc || *done) le_csv_stream_close(ps->csv), ps->csv = NULL;
    if (rc) le_parse_roll_back(ctx, &ps->mark);
    if (!rc && !*done) ps->split = 1;
    return rc;
}

/* A file that failed: skipped under --keep-going (when its rows left with
 * an earlier batch, the spill drops them: skipped_split), else the error. */
static int file_failed(const ingest_opts *o, const file_list *fl, parse_state *ps, int rc, uint64_t bytes, skip_list *skips)
{
    if (!skippable(rc)) return rc;
    char *why = first_line(le_errmsg());
    if (o->keep_going) {
        skip_add(skips, (uint32_t)ps->next, bytes, why);
        if (ps->split) {
            if (!ps->skipped_split) ps->skipped_split = le_calloc((size_t)fl->n, 1);
            ps->skipped_split[ps->next] = 1;
        }
        le_err_clear();
        rc = 0;
    } else {
        rc = le_fail(rc, "%s (--keep-going skips such a file)", why);
    }
    free(why);
    return rc;
}

/* This rank's next files into rows, until it holds max_rows rows or has
 * parsed them all. A CSV file larger than that is read in parts, a batch
 * each; the other formats are read a whole file at a time. */
static int parse_batch(const ingest_opts *o, const le_csv_map *map, const file_list *fl, parse_state *ps, le_spanbuf *rows,
                       le_ingest_stats *st, skip_list *skips)
{
    int rc = 0;
    while (ps->next < fl->n && !rc && (int64_t)rows->n < o->max_rows) {
        int i = ps->next, done;
        le_parse_ctx ctx = {rows, st, fl->path[i], (uint32_t)i, fl->label[i], o->strict, (int64_t)(o->max_duration_s * 1e6)};
        double t = le_now();
        rc = parse_part(o, map, &ctx, ps, &done);
        ps->parse_s += le_now() - t;
        if (rc) rc = file_failed(o, fl, ps, rc, st->bytes_read - ps->bytes0, skips), done = 1;
        if (done) ps->done++, ps->next = next_own_file(fl, i + 1);
        if (le_now() - ps->last > 5 || ps->done == ps->mine) {
            ps->last = le_now();
            le_info("parse: rank 0 %d/%d files, %.1f MB, %.1f MB/s", ps->done, ps->mine, (double)st->bytes_read / 1e6,
                    (double)st->bytes_read / 1e6 / (ps->last - ps->t0 + 1e-9));
        }
        if (!done) break;
    }
    return rc;
}

/* Collective: 1 when some rank has files left after its batch. */
static int files_left(const file_list *fl, const parse_state *ps, int *left)
{
    int mine = ps->next < fl->n;
    LE_MPI(MPI_Allreduce(&mine, left, 1, MPI_INT, MPI_MAX, le_world.comm));
    return 0;
}

static int skip_cmp(const void *a, const void *b)
{
    uint32_t x = ((const skip *)a)->file, y = ((const skip *)b)->file;
    return (x > y) - (x < y);
}

/* Every rank's skipped files to rank 0, in file order (the same warnings
 * at any rank count), each warned about there. Records: file (4 bytes),
 * bytes (8), the reason and its NUL. */
static int gather_skips(skip_list *l, const file_list *fl)
{
    uint64_t len = 0;
    for (int i = 0; i < l->n; i++) len += 12 + strlen(l->s[i].why) + 1;
    char *buf = le_malloc(len ? len : 1), *p = buf;
    for (int i = 0; i < l->n; i++) {
        memcpy(p, &l->s[i].file, 4);
        memcpy(p + 4, &l->s[i].bytes, 8);
        strcpy(p + 12, l->s[i].why);
        p += 12 + strlen(l->s[i].why) + 1;
    }
    char *all = NULL;
    uint64_t all_len = 0;
    int rc = le_gather_bytes(le_world.comm, buf, len, &all, &all_len, 0);
    free(buf);
    LE_CHECK(rc);
    skip_list_free(l);
    for (uint64_t off = 0; off < all_len;) {
        uint32_t file;
        uint64_t bytes;
        memcpy(&file, all + off, 4);
        memcpy(&bytes, all + off + 4, 8);
        skip_add(l, file, bytes, all + off + 12);
        off += 12 + strlen(all + off + 12) + 1;
    }
    free(all);
    if (l->n) qsort(l->s, (size_t)l->n, sizeof *l->s, skip_cmp);
    for (int i = 0; i < l->n; i++) {
        const char *path = fl->path[l->s[i].file];
        if (!strncmp(l->s[i].why, path, strlen(path)))
            le_warn("--keep-going: skipped %s", l->s[i].why);
        else
            le_warn("--keep-going: skipped %s: %s", path, l->s[i].why);
    }
    return 0;
}

/* -------------------------------------------------------- ground truth */

/* Rank 0 reads the labels file and sends each entry to its trace's owner. */
static int route_labels(const char *path, le_strtab *ids, int8_t **labels)
{
    int p = le_world.size, rc = 0;
    uint64_t *count = le_calloc((size_t)p, sizeof *count), *rcount = le_calloc((size_t)p, sizeof *rcount);
    char *send = NULL;
    uint64_t total = 0;
    if (le_world.rank == 0) {
        le_labels l;
        rc = le_labels_read_nonempty(path, &l);
        if (!rc) {
            for (int64_t i = 0; i < l.n; i++) {
                size_t n = strlen(l.trace_id[i]);
                count[le_hash64(l.trace_id[i], n) % (uint64_t)p] += 4 + n + 1;
                total += 4 + n + 1;
            }
            send = le_malloc(total);
            uint64_t *cur = le_calloc((size_t)p, sizeof *cur);
            for (int r = 1; r < p; r++) cur[r] = cur[r - 1] + count[r - 1];
            for (int64_t i = 0; i < l.n; i++) {
                uint32_t n = (uint32_t)strlen(l.trace_id[i]);
                int r = (int)(le_hash64(l.trace_id[i], n) % (uint64_t)p);
                memcpy(send + cur[r], &n, 4);
                memcpy(send + cur[r] + 4, l.trace_id[i], n);
                send[cur[r] + 4 + n] = (char)l.label[i];
                cur[r] += 4 + n + 1;
            }
            free(cur);
            le_labels_free(&l);
        }
    }
    rc = le_agree(rc);
    char *recv = NULL;
    uint64_t rtotal = 0;
    if (!rc) rc = le_alltoallv_bytes(le_world.comm, send ? send : "", count, &recv, rcount, &rtotal);
    free(send);
    free(count);
    free(rcount);
    LE_CHECK(rc);
    size_t cap = 0;
    *labels = NULL;
    for (uint64_t off = 0; off < rtotal;) {
        uint32_t n;
        memcpy(&n, recv + off, 4);
        uint32_t id = le_strtab_intern(ids, recv + off + 4, n);
        LE_RESERVE(*labels, cap, (size_t)id + 1);
        (*labels)[id] = (int8_t)recv[off + 4 + n];
        off += 4 + n + 1;
    }
    free(recv);
    return 0;
}

/* --labels, routed once: the ids this rank owns, their labels, and which
 * of them a trace took (the rest are counted as unmatched at the end). */
typedef struct label_table {
    le_strtab ids;
    int8_t *lab;
    char *used;
} label_table;

static int label_table_load(const char *path, label_table *lt)
{
    *lt = (label_table){0};
    le_strtab_init(&lt->ids);
    int rc = route_labels(path, &lt->ids, &lt->lab);
    lt->used = le_calloc(lt->ids.n + 1, 1);
    return rc;
}

static void label_table_apply(label_table *lt, le_asm *a, int64_t *applied)
{
    for (size_t t = 0; t < a->n; t++) {
        uint32_t id = le_strtab_find(&lt->ids, le_strtab_str(&a->ids, a->id[t]), a->ids.len[a->id[t]]);
        if (id == UINT32_MAX) continue;
        a->label[t] = lt->lab[id];
        lt->used[id] = 1;
        ++*applied;
    }
}

static int64_t label_table_unused(const label_table *lt)
{
    int64_t n = 0;
    for (size_t i = 0; i < lt->ids.n; i++) n += !lt->used[i];
    return n;
}

static void label_table_free(label_table *lt)
{
    free(lt->used);
    free(lt->lab);
    le_strtab_free(&lt->ids);
}

/* Apply the labels file to the assembled traces; count ids not in the corpus. */
static int apply_labels(const char *path, le_asm *a, int64_t *unmatched, int64_t *applied)
{
    label_table lt;
    int rc = label_table_load(path, &lt);
    if (!rc) label_table_apply(&lt, a, applied), *unmatched += label_table_unused(&lt);
    label_table_free(&lt);
    return rc;
}

static int load_faults(const ingest_opts *o, le_corpus_meta *meta)
{
    char *buf = NULL;
    uint64_t len = 0;
    int rc = 0;
    if (le_world.rank == 0) {
        le_fault *f = NULL;
        int32_t n = 0;
        rc = le_faults_read(o->faults, (int64_t)(o->fault_duration_s * 1e6), &f, &n);
        for (int32_t i = 0; !rc && i < n; i++) {
            f[i].service = -1;
            for (int32_t s = 0; s < meta->n_services; s++)
                if (!strcmp(meta->services[s], f[i].service_name)) f[i].service = s;
            if (f[i].service < 0) le_warn("fault %d: service '%s' has no span in the corpus", i, f[i].service_name);
        }
        buf = (char *)f;
        len = rc ? 0 : (uint64_t)n * sizeof *f;
    }
    LE_CHECK(le_agree(rc));
    LE_CHECK(le_bcast_bytes(le_world.comm, &buf, &len, 0));
    meta->faults = (le_fault *)buf;
    meta->n_faults = (int32_t)(len / sizeof(le_fault));
    return 0;
}

/* -------------------------------------------------------------- report */

static int reduce_stats(le_ingest_stats *st)
{
    /* counters: one reduction; examples: gathered and merged on rank 0 */
    enum { NT = 11, NC = NT + LE_DROP_N + LE_UNIT_N };
    uint64_t c[NC] = {st->rows_read,         st->traces_dropped, st->label_conflicts,  st->bytes_read,
                      st->merged_fragments,  st->virtual_roots,  st->orphans_attached, st->durations_from_children,
                      st->unknown_durations, st->abs_durations,  st->unknown_names};
    for (int d = 0; d < LE_DROP_N; d++) c[NT + d] = st->dropped[d];
    for (int u = 0; u < LE_UNIT_N; u++) c[NT + LE_DROP_N + u] = st->unit_hint[u];
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, c, NC, MPI_UINT64_T, MPI_SUM, le_world.comm));
    char *all = NULL;
    uint64_t all_len = 0;
    LE_CHECK(le_gather_bytes(le_world.comm, (const char *)st->example, sizeof st->example, &all, &all_len, 0));
    if (le_world.rank == 0)
        for (uint64_t off = sizeof st->example; off < all_len; off += sizeof st->example) {
            le_ingest_stats other;
            le_stats_init(&other);
            memcpy(other.example, all + off, sizeof other.example);
            le_stats_merge(st, &other);
        }
    free(all);
    LE_CHECK(le_gather_bytes(le_world.comm, (const char *)&st->swallowed, sizeof st->swallowed, &all, &all_len, 0));
    for (uint64_t off = 0; le_world.rank == 0 && off < all_len; off += sizeof st->swallowed) {
        le_swallow s;
        memcpy(&s, all + off, sizeof s);
        le_stats_swallow(st, s);
    }
    free(all);
    st->rows_read = c[0];
    st->traces_dropped = c[1];
    st->label_conflicts = c[2];
    st->bytes_read = c[3];
    st->merged_fragments = c[4];
    st->virtual_roots = c[5];
    st->orphans_attached = c[6];
    st->durations_from_children = c[7];
    st->unknown_durations = c[8];
    st->abs_durations = c[9];
    st->unknown_names = c[10];
    for (int d = 0; d < LE_DROP_N; d++) st->dropped[d] = c[NT + d];
    for (int u = 0; u < LE_UNIT_N; u++) st->unit_hint[u] = c[NT + LE_DROP_N + u];
    return 0;
}

/* Once per unit, for the whole job: times that look like another unit than
 * the format declares are kept (they are valid times) but are most likely a
 * mistake; nanoseconds read as microseconds are beyond 2200 and dropped. */
static void warn_time_units(const le_ingest_stats *st)
{
    static const char *const what[LE_UNIT_N] = {
        [LE_UNIT_SECONDS] =
            "start in 1970 at values of 1e8..1e10 us, as unix seconds would: kept, but are the input's "
            "times seconds where the format says a finer unit?",
        [LE_UNIT_MILLIS] =
            "start in 1970 at values of 1e11..1e13 us, as unix milliseconds would: kept, but are the "
            "input's times milliseconds where the format says a finer unit?",
        [LE_UNIT_NANOS] =
            "start after 2200 at values of 1e17 us or more, as unix nanoseconds would: dropped "
            "(times_out_of_range); are the input's times nanoseconds where the format says a coarser unit?",
    };
    for (int u = 0; u < LE_UNIT_N; u++)
        if (st->unit_hint[u])
            le_warn("%llu spans %s (docs/ingest.md, \"Times\")", (unsigned long long)st->unit_hint[u], what[u]);
}

/* The longest run of lines one unparsable row took, in malformed_rows. */
static void report_swallowed(const le_swallow *s, const file_list *fl)
{
    char v[4400];
    unsigned long long first = s->first, last = s->last;
    snprintf(v, sizeof v, "%s:%llu: a quoted field opened here is not closed; lines %llu-%llu (%llu lines) dropped",
             fl->path[s->file], first, first, last, last - first + 1);
    le_report_str("dropped.malformed_rows.longest_run", v);
}

static void report_drops(const le_ingest_stats *st, const file_list *fl, le_pos_kind kind)
{
    for (int d = 0; d < LE_DROP_N; d++) {
        char key[64], ex[2048] = "";
        snprintf(key, sizeof key, "dropped.%s", le_drop_name((le_drop)d));
        le_report_int(key, (int64_t)st->dropped[d]);
        size_t n = 0;
        for (int k = 0; k < LE_EXAMPLES && st->example[d][k].file != UINT32_MAX; k++)
            n += (size_t)snprintf(ex + n, sizeof ex - n < 2 ? 0 : sizeof ex - n, "%s%s:%s%llu", k ? ", " : "",
                                  fl->path[st->example[d][k].file], kind == LE_POS_BYTE ? "byte " : "",
                                  (unsigned long long)st->example[d][k].pos);
        if (st->dropped[d]) {
            snprintf(key, sizeof key, "dropped.%s.examples", le_drop_name((le_drop)d));
            le_report_str(key, ex);
        }
        if (d == LE_DROP_BAD_ROW && st->swallowed.file != UINT32_MAX) report_swallowed(&st->swallowed, fl);
    }
}

typedef struct summary {
    int64_t traces, spans, abnormal, normal, promoted, via_ancestor, labels_applied, labels_unmatched;
    double seconds, parse_seconds;
    int written;                    /* the corpus file was written (not when no trace is left) */
    int spill_buckets, spill_steps; /* 0: joined in memory */
} summary;

static uint64_t sum_dropped(const le_ingest_stats *st)
{
    uint64_t n = 0;
    for (int d = 0; d < LE_DROP_N; d++) n += st->dropped[d];
    return n;
}

/* The skipped files by name, the first LE_SKIPS_NAMED of them. */
enum { LE_SKIPS_NAMED = 10 };
static void report_skips(const skip_list *l, const file_list *fl)
{
    le_report_int("files_skipped", l->n);
    le_report_int("skipped_bytes_read", (int64_t)l->bytes);
    if (!l->n) return;
    char names[8192];
    size_t n = 0;
    for (int i = 0; i < l->n && i < LE_SKIPS_NAMED; i++)
        n += (size_t)snprintf(names + n, sizeof names - n < 2 ? 0 : sizeof names - n, "%s%s", i ? ", " : "",
                              fl->path[l->s[i].file]);
    if (l->n > LE_SKIPS_NAMED && n < sizeof names)
        snprintf(names + n, sizeof names - n, " (and %d more)", l->n - LE_SKIPS_NAMED);
    le_report_str("skipped_files", names);
}

static int report(const ingest_opts *o, const file_list *fl, le_ingest_stats *st, const le_corpus_meta *meta,
                  const summary *s, le_pos_kind kind, const skip_list *skips)
{
    uint64_t dropped = sum_dropped(st);
    le_report_begin();
    le_report_str("output", o->output);
    if (!s->written) le_report_str("corpus_written", "no");
    le_report_str("format", o->format);
    le_report_int("files", fl->n);
    if (o->keep_going) report_skips(skips, fl);
    le_report_int("bytes_read", (int64_t)st->bytes_read);
    le_report_int("rows_read", (int64_t)st->rows_read);
    le_report_int("traces", s->traces);
    le_report_int("spans", s->spans);
    le_report_int("services", meta->n_services);
    le_report_int("operations", meta->n_operations);
    le_report_int("dropped_rows", (int64_t)dropped);
    report_drops(st, fl, kind);
    le_report_int("traces_dropped", (int64_t)st->traces_dropped);
    le_report_int("orphan_roots_promoted", s->promoted);
    le_report_int("orphan_spans_attached", (int64_t)st->orphans_attached);
    le_report_int("virtual_roots", (int64_t)st->virtual_roots);
    le_report_int("merged_fragments", (int64_t)st->merged_fragments);
    le_report_int("durations_from_children", (int64_t)st->durations_from_children);
    le_report_int("unknown_durations", (int64_t)st->unknown_durations);
    if (s->via_ancestor) le_report_int("parents_from_ancestors", s->via_ancestor); /* path ids (rpc_id) only */
    /* values a CSV map's rules changed: only when one did */
    if (st->abs_durations) le_report_int("durations_made_absolute", (int64_t)st->abs_durations);
    if (st->unknown_names) le_report_int("names_not_recorded", (int64_t)st->unknown_names);
    if (meta->has_ground_truth) {
        le_report_int("abnormal_traces", s->abnormal);
        le_report_int("normal_traces", s->normal);
        le_report_int("unlabeled_traces", s->traces - s->abnormal - s->normal);
        le_report_int("label_conflicts", (int64_t)st->label_conflicts);
        if (o->n_rules) le_report_int("files_matching_no_label_rule", fl->unmatched);
        if (o->labels) {
            le_report_int("labels_applied", s->labels_applied);
            le_report_int("labels_unmatched", s->labels_unmatched);
        }
        le_report_int("faults", meta->n_faults);
        if (meta->vis.present) {
            le_report_str("fault_truth", "visible");
            le_report_int("reference_traces", meta->vis.ref_traces);
            le_report_int("reference_flagged", meta->vis.ref_flagged);
            le_report_dbl("chance_share_mean", le_vis_chance_mean(meta));
        }
    }
    le_report_int("ranks", le_world.size);
    le_report_int("max_rows", o->max_rows);
    le_report_int("spilled", s->spill_buckets > 0);
    if (s->spill_buckets) le_report_int("spill_buckets", s->spill_buckets), le_report_int("spill_steps", s->spill_steps);
    le_report_dbl("seconds", s->seconds);
    le_report_dbl("parse_mb_per_s_per_rank",
                  (double)st->bytes_read / 1e6 / (s->parse_seconds > 0 ? s->parse_seconds : 1e-9) / le_world.size);
    int rc = le_report_rank_peak_rss(); /* collective: every rank reports */
    le_report_end();
    LE_CHECK(rc);
    /* made-up roots are spans no row gave; merged fragments are rows in another row's span */
    if ((uint64_t)s->spans + dropped + st->merged_fragments - st->virtual_roots != st->rows_read)
        return le_fail(LE_ERR_INTERNAL,
                       "accounting mismatch: %lld spans + %llu dropped + %llu merged - %llu virtual roots != %llu rows read",
                       (long long)s->spans, (unsigned long long)dropped, (unsigned long long)st->merged_fragments,
                       (unsigned long long)st->virtual_roots, (unsigned long long)st->rows_read);
    return 0;
}

/* After the summary, on every rank alike (the counts are reduced): a corpus
 * with no trace, or one that lost more than half of the rows, is most likely
 * the wrong --format or --map, or a wrong input; say so, and exit with a
 * status of its own (docs/ingest.md, "Exit status") unless --allow-drops. */
static int check_outcome(const ingest_opts *o, const le_ingest_stats *st, const summary *s, int skipped)
{
    uint64_t dropped = sum_dropped(st);
    if (s->traces == 0) {
        char what[128];
        int n = snprintf(what, sizeof what, "%llu rows read, %llu dropped", (unsigned long long)st->rows_read,
                         (unsigned long long)dropped);
        if (skipped && n > 0 && (size_t)n < sizeof what)
            snprintf(what + n, sizeof what - (size_t)n, ", %d files skipped", skipped);
        if (s->written)
            le_warn("no trace ingested (%s): the corpus %s is empty", what, o->output);
        else
            le_warn(
                "no trace ingested (%s): no corpus written (%s, if it exists, is left as it was; --allow-drops "
                "writes an empty corpus)",
                what, o->output);
        if (!o->allow_drops)
            return le_fail(LE_ERR_EMPTY_CORPUS, "ingest: no trace ingested, no corpus written (exit status %d)",
                           LE_ERR_EMPTY_CORPUS);
        return 0;
    }
    if (dropped * 2 <= st->rows_read) return 0;
    int most = 0;
    for (int d = 1; d < LE_DROP_N; d++)
        if (st->dropped[d] > st->dropped[most]) most = d;
    le_warn(
        "%llu of %llu rows (%.1f%%) were dropped, most as %s (%llu): the corpus %s is written, but check "
        "--format, --map and the dropped.* examples above",
        (unsigned long long)dropped, (unsigned long long)st->rows_read, 100.0 * (double)dropped / (double)st->rows_read,
        le_drop_name((le_drop)most), (unsigned long long)st->dropped[most], o->output);
    if (o->allow_drops) return 0;
    return le_fail(LE_ERR_MOSTLY_DROPPED,
                   "ingest: more than half of the rows were dropped (exit status %d; --allow-drops accepts it)",
                   LE_ERR_MOSTLY_DROPPED);
}

/* ----------------------------------------------------------- the stage */

static int count_labels(const le_corpus_block *b, summary *s)
{
    int64_t c[2] = {0, 0};
    for (int64_t t = 0; b->label && t < b->n_traces; t++) {
        c[0] += b->label[t] == LE_LABEL_ABNORMAL;
        c[1] += b->label[t] == LE_LABEL_NORMAL;
    }
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, c, 2, MPI_INT64_T, MPI_SUM, le_world.comm));
    s->abnormal += c[0]; /* a block at a time */
    s->normal += c[1];
    return 0;
}

static int has_row_label(const le_spanbuf *rows)
{
    for (size_t i = 0; i < rows->n; i++)
        if (rows->label[i] >= 0) return 1;
    return 0;
}

static int any_row_label(const le_spanbuf *rows, int *has)
{
    int mine = has_row_label(rows);
    LE_MPI(MPI_Allreduce(&mine, has, 1, MPI_INT, MPI_MAX, le_world.comm));
    return 0;
}

/* One ingest: what the join and the report share. */
typedef struct ingest_run {
    const ingest_opts *o;
    const file_list *fl;
    le_pos_kind kind;
    le_ingest_stats st;
    skip_list skips;
    summary s;
    le_corpus_meta meta;
    int64_t tree_counts[2]; /* roots promoted, parents found via an ancestor */
    double t0;
} ingest_run;

static void init_meta(ingest_run *r, int has_labels)
{
    const ingest_opts *o = r->o;
    r->meta.has_ground_truth = has_labels || o->n_rules || o->labels || o->faults;
    snprintf(r->meta.source, sizeof r->meta.source, "labelease ingest --format %s (%d files)", o->format, r->fl->n);
}

/* Collective: the corpus written, one block after the other (no trace: no
 * corpus, unless asked for: check_outcome says why). */
static int create_corpus(ingest_run *r, le_corpus_writer **w)
{
    *w = NULL;
    r->s.written = r->meta.n_traces > 0 || r->o->allow_drops;
    if (!r->s.written) return 0;
    le_info("write: %lld traces, %lld spans -> %s", (long long)r->meta.n_traces, (long long)r->meta.n_spans, r->o->output);
    return le_agree(le_corpus_create(le_world.comm, r->o->output, &r->meta, w));
}

static int close_corpus(le_corpus_writer *w, int rc)
{
    if (!w) return rc;
    int rc_close = le_corpus_close_writer(w, rc);
    return le_agree(rc ? rc : rc_close);
}

/* Every rank's rows in memory at once: route, assemble, order, write. */
static int join_in_memory(ingest_run *r, le_spanbuf *parsed)
{
    const ingest_opts *o = r->o;
    int has_labels = 0;
    int rc = any_row_label(parsed, &has_labels);
    le_spanbuf rows;
    if (!rc) rc = le_agree(le_route_rows(le_world.comm, parsed, &rows));
    if (rc) return rc;
    le_info("join: %zu rows on rank 0 after routing by trace", rows.n);
    le_asm a;
    le_assemble_opts ao = {o->strict, r->fl->path, r->kind, o->tree_mode};
    rc = le_agree(le_assemble(&rows, &a, &r->st, &ao));
    le_spanbuf_free(&rows);
    init_meta(r, has_labels);
    if (!rc && o->labels) rc = le_agree(apply_labels(o->labels, &a, &r->s.labels_unmatched, &r->s.labels_applied));
    if (!rc) rc = le_agree(le_unify_names(le_world.comm, &a, &r->meta));
    if (!rc && o->faults) rc = load_faults(o, &r->meta);
    le_corpus_block block = {0};
    if (!rc) rc = le_agree(le_order_traces(le_world.comm, &a, &r->meta, &block));
    if (!rc && o->faults) rc = le_agree(le_vis_truth(le_world.comm, &r->meta, &block));
    r->tree_counts[0] = (int64_t)a.promoted_roots, r->tree_counts[1] = (int64_t)a.parents_via_ancestor;
    le_asm_free(&a);
    if (!rc) rc = count_labels(&block, &r->s);
    le_corpus_writer *w = NULL;
    if (!rc) rc = create_corpus(r, &w);
    if (!rc && w) rc = le_agree(le_corpus_write_block(w, &block));
    rc = close_corpus(w, rc);
    le_block_free(&block);
    return rc;
}

/* Buckets a rank's rows spill into: each about half of --max-rows, from
 * the rows per byte on disk of the first batch's files (on disk: a
 * compressed input's rows per uncompressed byte would count them short),
 * the ranks' estimates averaged (the join spreads the rows evenly). */
static int spill_buckets(ingest_run *r, const le_spanbuf *parsed, const parse_state *ps)
{
    double parsed_bytes = 0, all_bytes = 0;
    for (int i = 0; i < r->fl->n; i++)
        if (r->fl->owner[i] == le_world.rank) {
            all_bytes += (double)r->fl->size[i];
            if (i < ps->next) parsed_bytes += (double)r->fl->size[i];
        }
    if (ps->csv) parsed_bytes += (double)le_csv_stream_disk_bytes(ps->csv); /* the file a batch ended in */
    double est = parsed_bytes > 0 ? (double)parsed->n / parsed_bytes * all_bytes : 0;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &est, 1, MPI_DOUBLE, MPI_SUM, le_world.comm));
    double h = 2 * est / le_world.size / (double)r->o->max_rows + 1;
    return h > INT32_MAX / 2 ? INT32_MAX / 2 : (int)h; /* le_spill_open lowers it to the open-file limit */
}

static int spill_dir(const ingest_opts *o, char *buf, size_t cap)
{
    long pid = (long)getpid(); /* rank 0's: one name for every rank */
    LE_MPI(MPI_Bcast(&pid, 1, MPI_LONG, 0, le_world.comm));
    if (o->spill_dir)
        snprintf(buf, cap, "%s/labelease-spill-%ld", o->spill_dir, pid);
    else
        snprintf(buf, cap, "%s.spill-%ld", o->output, pid);
    return 0;
}

/* Collective: the files --keep-going skipped after rows of them were
 * spilled, known to every rank (their rows are in any rank's buckets). */
static int agree_skipped_split(const file_list *fl, parse_state *ps)
{
    int any = ps->skipped_split != NULL;
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &any, 1, MPI_INT, MPI_MAX, le_world.comm));
    if (!any) return 0;
    if (!ps->skipped_split) ps->skipped_split = le_calloc((size_t)fl->n, 1);
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, ps->skipped_split, fl->n, MPI_UINT8_T, MPI_MAX, le_world.comm));
    return 0;
}

/* Collective: every batch routed and spilled; then bucket by bucket each
 * rank's traces assembled and labelled into the trace file. */
static int spill_and_assemble(ingest_run *r, le_spill *sp, le_spanbuf *parsed, parse_state *ps, const le_csv_map *map,
                              le_asm *a, int buckets)
{
    const ingest_opts *o = r->o;
    int rc = 0, left = 1, mine = 0, has_labels = 0;
    for (int batch = 1; !rc; batch++) {
        rc = le_spill_rows(sp, parsed);
        if (!rc) le_info("spill: batch %d routed into %d buckets a rank", batch, buckets);
        if (rc || !left) break;
        le_spanbuf_free(parsed), le_spanbuf_init(parsed);
        rc = le_agree(parse_batch(o, map, r->fl, ps, parsed, &r->st, &r->skips));
        if (!rc) rc = files_left(r->fl, ps, &left);
    }
    if (!rc) rc = le_spill_rows_end(sp);
    if (!rc) rc = agree_skipped_split(r->fl, ps);
    if (!rc) rc = le_agree(gather_skips(&r->skips, r->fl));
    r->s.parse_seconds = ps->parse_s; /* the slowest rank's, without the routing and the bucket files */
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(MPI_IN_PLACE, &r->s.parse_seconds, 1, MPI_DOUBLE, MPI_MAX, le_world.comm));
    label_table lt = {0};
    if (!rc && o->labels) rc = le_agree(label_table_load(o->labels, &lt));
    le_assemble_opts ao = {o->strict, r->fl->path, r->kind, o->tree_mode};
    for (int h = 0; h < buckets && !rc; h++) {
        le_spanbuf rows;
        le_asm_clear_traces(a);
        rc = le_spill_bucket(sp, h, ps->skipped_split, &rows);
        if (!rc) rc = le_assemble_more(&rows, a, &r->st, &ao);
        mine |= has_row_label(&rows); /* the rows of files skipped after they were spilled left out */
        le_spanbuf_free(&rows);
        if (!rc && o->labels) label_table_apply(&lt, a, &r->s.labels_applied);
        if (!rc) rc = le_spill_traces(sp, a);
        rc = le_agree(rc);
    }
    if (o->labels) r->s.labels_unmatched += label_table_unused(&lt), label_table_free(&lt);
    le_asm_clear_traces(a);
    if (!rc) rc = LE_MPI_RC(MPI_Allreduce(&mine, &has_labels, 1, MPI_INT, MPI_MAX, le_world.comm));
    init_meta(r, has_labels);
    return rc;
}

/* More rows than --max-rows on some rank: the join and the order go
 * through files (mpi/ingest_spill.c), a bucket or a step at a time. */
static int join_spilled(ingest_run *r, le_spanbuf *parsed, parse_state *ps, const le_csv_map *map)
{
    const ingest_opts *o = r->o;
    if (o->faults)
        return le_fail(LE_ERR_USAGE,
                       "--faults needs every trace in memory at once (the visible truth compares each operation's "
                       "latency over the whole corpus), and this input has more than --max-rows %lld rows on a "
                       "rank: give a larger --max-rows or more ranks",
                       (long long)o->max_rows);
    char dir[4400];
    LE_CHECK(spill_dir(o, dir, sizeof dir));
    int buckets = spill_buckets(r, parsed, ps);
    le_spill *sp = NULL;
    le_asm a;
    le_asm_init(&a);
    int rc = le_spill_open(le_world.comm, dir, &buckets, o->max_rows / 2, &sp);
    le_info("spill: more than --max-rows %lld rows on a rank: joining through %s, %d buckets a rank", (long long)o->max_rows,
            dir, buckets);
    if (!rc) rc = spill_and_assemble(r, sp, parsed, ps, map, &a, buckets);
    int32_t *svc_map = NULL, *op_map = NULL;
    int steps = 0;
    if (!rc) rc = le_agree(le_unify_names_map(le_world.comm, &a, &r->meta, &svc_map, &op_map));
    r->tree_counts[0] = (int64_t)a.promoted_roots, r->tree_counts[1] = (int64_t)a.parents_via_ancestor;
    le_asm_free(&a);
    if (!rc) rc = le_spill_plan(sp, svc_map, op_map, &r->meta, &steps);
    r->s.spill_buckets = buckets, r->s.spill_steps = steps;
    free(svc_map), free(op_map);
    le_corpus_writer *w = NULL;
    if (!rc) rc = create_corpus(r, &w);
    for (int s = 0; s < steps && !rc; s++) {
        le_corpus_block block = {0};
        rc = le_spill_block(sp, s, r->meta.has_ground_truth, &block);
        if (!rc) rc = count_labels(&block, &r->s);
        if (!rc && w) rc = le_agree(le_corpus_write_block(w, &block));
        le_block_free(&block);
    }
    rc = close_corpus(w, rc);
    int crc = le_spill_close(sp);
    return rc ? rc : crc;
}

static int report_run(ingest_run *r)
{
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, r->tree_counts, 2, MPI_INT64_T, MPI_SUM, le_world.comm));
    LE_CHECK(reduce_stats(&r->st));
    warn_time_units(&r->st);
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &r->s.labels_applied, 1, MPI_INT64_T, MPI_SUM, le_world.comm));
    LE_MPI(MPI_Allreduce(MPI_IN_PLACE, &r->s.labels_unmatched, 1, MPI_INT64_T, MPI_SUM, le_world.comm));
    r->s.traces = r->meta.n_traces;
    r->s.spans = r->meta.n_spans;
    r->s.promoted = r->tree_counts[0];
    r->s.via_ancestor = r->tree_counts[1];
    r->s.seconds = le_now() - r->t0;
    LE_CHECK(report(r->o, r->fl, &r->st, &r->meta, &r->s, r->kind, &r->skips));
    return check_outcome(r->o, &r->st, &r->s, r->skips.n);
}

static int run_ingest(const ingest_opts *o, file_list *fl)
{
    ingest_run r = {.o = o, .fl = fl, .kind = o->kind == FMT_CSV ? LE_POS_LINE : LE_POS_BYTE, .t0 = le_now()};
    le_stats_init(&r.st);
    le_csv_map *map = NULL;
    int rc = 0;
    if (o->kind == FMT_CSV) rc = o->map ? le_csv_map_load(o->map, &map) : le_csv_map_named(o->format, &map);
    parse_state ps;
    parse_state_init(fl, &ps);
    le_spanbuf parsed;
    le_spanbuf_init(&parsed);
    int left = 0;
    rc = le_agree(rc ? rc : parse_batch(o, map, fl, &ps, &parsed, &r.st, &r.skips));
    if (!rc) rc = files_left(fl, &ps, &left);
    if (!rc && !left) {
        rc = le_agree(gather_skips(&r.skips, fl));
        if (!rc) rc = LE_MPI_RC(MPI_Barrier(le_world.comm));
        r.s.parse_seconds = le_now() - r.t0;
        if (!rc) rc = join_in_memory(&r, &parsed);
    } else if (!rc) {
        rc = join_spilled(&r, &parsed, &ps, map);
    }
    le_spanbuf_free(&parsed);
    parse_state_free(&ps);
    if (map) le_csv_map_free(map);
    if (!rc) rc = report_run(&r);
    le_meta_free(&r.meta);
    skip_list_free(&r.skips);
    return rc;
}

int le_cmd_ingest(int argc, char **argv)
{
    ingest_opts o;
    int rc = parse_options(argc, argv, &o);
    if (rc < 0) {
        free_options(&o);
        return le_usage(usage, 0);
    }
    if (rc) {
        free_options(&o);
        return rc;
    }
    file_list fl;
    rc = build_file_list(&o, argc, argv, &fl);
    if (!rc) {
        le_info("ingest: %d files, format %s, %d ranks", fl.n, o.format, le_world.size);
        rc = run_ingest(&o, &fl);
        free_file_list(&fl);
    }
    free_options(&o);
    return rc;
}
