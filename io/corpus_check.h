/* corpus_check: what every corpus satisfies before a stage computes on it
 * (docs/corpus.md, "Checked on open"). A file labelease wrote always passes;
 * the checks are for hand-edited, foreign or damaged files, which get one
 * error naming the file, the dataset and the index instead of a crash, a
 * huge allocation or an integer overflow later. Every later stage relies on
 * them: offsets index the span arrays, parents and name indices index
 * tables, and time arithmetic assumes the window below. */
#ifndef LE_CORPUS_CHECK_H
#define LE_CORPUS_CHECK_H

#include <mpi.h>
#include <stdint.h>

#include "corpus.h"

/* Every time of a corpus (span starts and ends, trace starts, fault
 * windows) lies in [LE_TIME_MIN_US, LE_TIME_MAX_US]: 1970-01-01 to
 * 2200-01-01 UTC in microseconds, and a duration is at most the window's
 * length. Ingest drops spans outside it. Within it, a sum or difference of
 * two times, even in nanoseconds, fits in int64. */
#define LE_TIME_MIN_US INT64_C(0)
#define LE_TIME_MAX_US INT64_C(7258118400000000)

/* 1 when t is a time inside the window. */
static inline int le_time_ok(int64_t t) { return t >= LE_TIME_MIN_US && t <= LE_TIME_MAX_US; }

/* The tables every rank holds (services, operations, faults): indices in
 * range, names present when there are spans, fault windows in the window. */
int le_corpus_check_tables(const le_corpus_meta *m, const char *path);

/* One block as le_corpus_read_block returns it: CSR offsets increasing,
 * parents, service and operation indices in range, times in the window,
 * labels and fault indices valid. Messages give global indices. */
int le_corpus_check_block(const le_corpus_meta *m, const le_corpus_block *b, const char *path);

/* Collective on comm: the tables, then each rank an equal slice of the
 * traces read in chunks, then one agreement, so every rank returns the same
 * code (the ranks that found nothing get "failed on another rank"). */
int le_corpus_check(le_corpus *c, MPI_Comm comm);

#endif
