/* corpus_ids: the trace ids of a corpus file, and the corpus fingerprint
 * (docs/corpus.md). Used by io/corpus.c; nothing here calls back into it.
 *
 * Version 2 stores the ids as CSR over bytes: /traces/trace_id_offset int64
 * [N+1] (offset[0] = 0, offset[N] = B) and /traces/trace_id_bytes uint8 [B],
 * no terminators, so one long id costs its own bytes, not a width that every
 * trace pays. Version 1 stored /traces/trace_id, fixed-length strings as wide
 * as the longest id; it is still read. */
#ifndef LE_CORPUS_IDS_H
#define LE_CORPUS_IDS_H

#include <hdf5.h>
#include <stdint.h>

#include "corpus.h"

#define LE_DS_ID_OFFSET "/traces/trace_id_offset"
#define LE_DS_ID_BYTES "/traces/trace_id_bytes"
#define LE_DS_ID_V1 "/traces/trace_id" /* version 1 */

/* Collective: create both datasets (d[0] offsets, d[1] bytes); rank 0
 * writes the last offset, the total. */
int le_ids_create(hid_t file, const le_corpus_meta *m, int rank, const char *path, hid_t d[2]);
/* Collective: block b's ids, offsets at b->trace_begin, bytes at
 * b->id_byte_begin (every rank calls, an empty block writes nothing). */
int le_ids_write(const hid_t d[2], const le_corpus_block *b, int64_t n_id_bytes, const char *path);
/* The id datasets of an open file agree with its header (m->version,
 * m->n_traces); sets m->n_id_bytes. */
int le_ids_check(hid_t file, le_corpus_meta *m, const char *path);
/* Read the ids of traces [t0, t0 + nt) into b (id_offset, trace_id). A
 * corrupt offset table is an error naming the dataset and the trace. */
int le_ids_read(hid_t file, const le_corpus_meta *m, const char *path, int64_t t0, int64_t nt, le_corpus_block *b);

/* The fingerprint is a sum over traces of a hash of (global index, id,
 * start, span count): any order of adding gives the same value, so every
 * rank adds its own traces and one allreduce combines them, at any rank
 * count. le_fp_block adds a block's traces (global index from trace_begin);
 * le_fp_finish turns the sum into the 16 hex digits stored. */
uint64_t le_fp_block(const le_corpus_block *b);
void le_fp_finish(uint64_t sum, int64_t n_traces, int64_t n_spans, char out[LE_FP_LEN]);

#endif
