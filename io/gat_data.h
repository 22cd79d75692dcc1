/* gat_data: corpus blocks → encoder inputs, shared by train and embed.
 * Per span: raw (then normalised) time features and status class; per
 * trace: structure hash and log1p root latency. Buffers are reused across
 * blocks (grown, never shrunk). */
#ifndef LE_GAT_DATA_H
#define LE_GAT_DATA_H

#include <stdint.h>

#include "corpus.h"
#include "graphbatch.h"
#include "spanfeat.h"

typedef struct le_blockfeat {
    size_t cap_spans, cap_traces;
    float *time;     /* [M × 4] */
    int8_t *status;  /* [M] */
    uint64_t *shash; /* [N] structure hash */
    float *root_lat; /* [N] log1p(root duration) */
    int64_t *wait;   /* scratch [max spans per trace] */
    uint64_t *hscratch;
} le_blockfeat;

void le_blockfeat_free(le_blockfeat *f);
/* Raw time features, status classes, structure hashes, root latencies of b. */
void le_blockfeat_compute(le_blockfeat *f, const le_corpus_block *b);
void le_blockfeat_normalise(le_blockfeat *f, const le_corpus_block *b, const le_opmap *m, const float *mean,
                            const float *std);
/* Append trace t of b (block-local index) to the batch. */
void le_gb_add_block_trace(le_graphbatch *gb, const le_corpus_block *b, const le_blockfeat *f, int64_t t);

/* A featurised trace as a self-contained record, for shipping the traces of a
 * micro-batch to the rank that computes it: int32 n, parent[n], op[n],
 * time[n × 4] (float), status[n] (int8, padded to 4 bytes). Every field is
 * 4-byte aligned, so a record in a malloc'ed buffer is read in place. */
size_t le_trace_record_bytes(int n);
/* Append trace t of b at buf + *len, growing *buf / *cap geometrically. */
void le_trace_record_pack(char **buf, size_t *len, size_t *cap, const le_corpus_block *b, const le_blockfeat *f, int64_t t);
/* Append the record at rec to the batch; returns its size in bytes. */
size_t le_gb_add_record(le_graphbatch *gb, const char *rec);

#endif
