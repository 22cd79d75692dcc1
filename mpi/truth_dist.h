/* truth_dist: the visible ground truth of a corpus with a fault list,
 * computed over the ranks (the rule and its pieces: algos/truth.h;
 * docs/rootcause.md "Visible truth").
 *
 * Each rank holds whole traces. The per-operation self-time thresholds are
 * exact quantiles over every rank's reference spans (mpi/quantile_dist.h)
 * and the reference call structures are the union of every rank's, so the
 * labels are the same at any rank count. */
#ifndef LE_TRUTH_DIST_H
#define LE_TRUTH_DIST_H

#include <mpi.h>

#include "corpus.h"

/* Collective. Labels b's traces whose label is LE_LABEL_UNKNOWN by the
 * visible rule over m's faults (b->label, b->fault must exist); traces
 * with a label keep it. Fills m->vis (thresholds, reference sizes) and
 * each fault's visible and chance counts, the same on every rank. */
int le_vis_truth(MPI_Comm comm, le_corpus_meta *m, le_corpus_block *b);

#endif
