/* fingerprint: which corpus a derived file was made from. Every file made
 * from a corpus (embeddings, vectors, reps, labels, rootcause, dataset; a
 * model informationally) stores the corpus's fingerprint (docs/corpus.md)
 * as the attribute corpus_fingerprint, and the commands that read one with
 * a corpus check it, so a file of another corpus with the same trace count
 * is refused instead of mixed in (docs/labeling.md, "Corpus fingerprints"). */
#ifndef LE_FINGERPRINT_H
#define LE_FINGERPRINT_H

#include <hdf5.h>

#include "corpus.h"

#define LE_FP_ATTR "corpus_fingerprint"

/* Write fp as the attribute (nothing when fp is empty). */
int le_fp_write_attr(hid_t obj, const char *fp);
/* Read the attribute into fp[LE_FP_LEN]; "" when the file has none (written
 * before fingerprints, or by hand). Anything but 16 hex digits is an error. */
int le_fp_read_attr(hid_t obj, char *fp, const char *path);
/* The same for an attribute of another name (a corpus's own: fingerprint). */
int le_fp_read_named(hid_t obj, const char *name, char *fp, const char *path);
/* A file made from corpus made_from (fingerprint file_fp) given with the
 * corpus at corpus_path (fingerprint corpus_fp): LE_ERR_USAGE naming both
 * files and fingerprints when they differ. A file without a fingerprint is
 * accepted, and -v says it was not checked. */
int le_fp_check(const char *file, const char *file_fp, const char *made_from, const char *corpus_path,
                const char *corpus_fp);

#endif
