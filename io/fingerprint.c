#include "fingerprint.h"

#include <string.h>

#include "h5util.h"

int le_fp_write_attr(hid_t obj, const char *fp) { return fp && fp[0] ? le_h5_attr_str(obj, LE_FP_ATTR, fp) : 0; }

int le_fp_read_named(hid_t obj, const char *name, char *fp, const char *path)
{
    fp[0] = 0;
    if (H5Aexists(obj, name) <= 0) return 0;
    char buf[LE_FP_LEN + 47]; /* room to see a value that is too long */
    LE_CHECK(le_h5_get_attr_str(obj, name, buf, sizeof buf, path));
    if (strlen(buf) != LE_FP_LEN - 1 || strspn(buf, "0123456789abcdef") != LE_FP_LEN - 1)
        return le_fail(LE_ERR_FORMAT, "%s: attribute %s '%s' is not %d hex digits", path, name, buf, LE_FP_LEN - 1);
    memcpy(fp, buf, LE_FP_LEN);
    return 0;
}

int le_fp_read_attr(hid_t obj, char *fp, const char *path) { return le_fp_read_named(obj, LE_FP_ATTR, fp, path); }

int le_fp_check(const char *file, const char *file_fp, const char *made_from, const char *corpus_path, const char *corpus_fp)
{
    if (!file_fp || !file_fp[0]) {
        le_debug("%s has no corpus fingerprint (written before fingerprints, or by hand): not checked against %s", file,
                 corpus_path);
        return 0;
    }
    if (!corpus_fp || !corpus_fp[0] || !strcmp(file_fp, corpus_fp)) return 0; /* nothing to check against, or a match */
    if (made_from && !strcmp(made_from, corpus_path))
        return le_fail(LE_ERR_USAGE,
                       "%s was made from corpus %s (fingerprint %s), not %s as it is now (fingerprint %s): the corpus "
                       "was written again since; make %s again from it",
                       file, made_from, file_fp, corpus_path, corpus_fp, file);
    if (!made_from || !made_from[0]) /* a labels CSV names no file, only the fingerprint */
        return le_fail(LE_ERR_USAGE, "%s was made from a corpus of fingerprint %s, not %s (fingerprint %s)", file, file_fp,
                       corpus_path, corpus_fp);
    return le_fail(LE_ERR_USAGE, "%s was made from corpus %s (fingerprint %s), not %s (fingerprint %s)", file, made_from,
                   file_fp, corpus_path, corpus_fp);
}
