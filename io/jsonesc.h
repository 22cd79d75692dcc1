/* jsonesc: the one JSON string writer, for the pages' data blocks, the
 * exported JSON, the --json reports and the run manifest. */
#ifndef LE_JSONESC_H
#define LE_JSONESC_H

#include <stddef.h>
#include <stdio.h>

enum {
    LE_JSON_BYTES = 0,  /* bytes from 0x80 up as they are (paths, argv: read back unchanged) */
    LE_JSON_SCRIPT = 1, /* safe inside an HTML <script> element (see le_json_string) */
};

/* A JSON string of the n bytes at s (stopping early at a NUL): '"' and '\'
 * backslash-escaped, control characters as \u00XX. LE_JSON_SCRIPT also
 * writes < > & ' and DEL as \u escapes, escapes U+2028/2029 and replaces
 * invalid UTF-8 by U+FFFD. */
void le_json_escape(FILE *f, const char *s, size_t n, int mode);

/* The script-safe form: le_json_escape(f, s, n, LE_JSON_SCRIPT). */
void le_json_string(FILE *f, const char *s, size_t n);

#endif
