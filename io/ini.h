/* ini: the one INI reader, for the run config (cmd/run_config.c), the synth
 * config (cmd/cmd_synth.c) and the CSV mapping files (io/fmt_csv.c).
 *
 * Every section and key keeps the line it is on, so a caller's own checks
 * (an unknown key, a bad value) can name FILE:LINE, and a duplicate section
 * or key is an error, not a silent overwrite. iniparser, which the synth
 * config and the mapping files used before, keeps neither (see
 * docs/formats.md, "Mapping files").
 *
 * Syntax: [section], key = value; a line starting with # or ; is a comment,
 * and so is " # ..." / " ; ..." after a value (after whitespace); a value in
 * "double quotes" is kept literally (no comment inside it). Blanks around
 * names and values and a CR before the newline do not count. */
#ifndef LE_INI_H
#define LE_INI_H

#include <stddef.h>

enum {
    LE_INI_LOWER = 1, /* section and key names in lower case (as iniparser read them) */
    LE_INI_DASH = 2,  /* '_' in a key reads as '-' (run: keys are option names) */
};

typedef struct le_ini_kv {
    const char *key, *val; /* point into the text the reader keeps */
    int line;
} le_ini_kv;

typedef struct le_ini_section {
    const char *name;
    int line;
    le_ini_kv *kv;
    int n;
    size_t cap;
} le_ini_section;

typedef struct le_ini {
    const char *path; /* as given, for messages */
    char *text;       /* owned: names and values point into it */
    le_ini_section *sec;
    int nsec;
    size_t cap;
} le_ini;

/* Parse text (NUL-terminated; the reader takes it over, free()d by
 * le_ini_free), read from path. LE_ERR_FORMAT with "PATH:LINE: what" on a
 * malformed header, a line outside any section or without '=', an
 * unterminated quote, or a section or key given twice. On error *ini holds
 * nothing (le_ini_free is still safe). */
int le_ini_parse(le_ini *ini, char *text, const char *path, int flags);

/* Read the file at path and parse it: LE_ERR_IO when it cannot be read. */
int le_ini_load(le_ini *ini, const char *path, int flags);

void le_ini_free(le_ini *ini);

/* Section name, or NULL when the file has none. */
const le_ini_section *le_ini_section_of(const le_ini *ini, const char *name);

/* The value of key in s (s may be NULL), or NULL when it is absent. */
const char *le_ini_get(const le_ini_section *s, const char *key);

#endif
