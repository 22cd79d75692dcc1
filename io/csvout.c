#include "csvout.h"

#include <stdlib.h>
#include <string.h>

#include "le_base.h"

/* A character that makes a spreadsheet read the cell as a formula. */
static int formula_start(char c) { return c == '=' || c == '+' || c == '-' || c == '@' || c == '\t' || c == '\r'; }

/* s starts with quotes then a formula character: the writer guards it. */
static int needs_guard(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n && s[i] == '\'') i++;
    return i < n && formula_start(s[i]);
}

static int needs_quotes(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n') return 1;
    return n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');
}

size_t le_csv_format_field(char *dst, const char *s, size_t n)
{
    size_t len = 0;
    int q = needs_quotes(s, n);
    if (q) dst[len++] = '"';
    if (needs_guard(s, n)) dst[len++] = '\'';
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') dst[len++] = '"';
        dst[len++] = s[i];
    }
    if (q) dst[len++] = '"';
    return len;
}

void le_csv_write_field(FILE *f, const char *s)
{
    size_t n = strlen(s);
    char small[512], *buf = le_csv_field_max(n) <= sizeof small ? small : le_malloc(le_csv_field_max(n));
    fwrite(buf, 1, le_csv_format_field(buf, s, n), f);
    if (buf != small) free(buf);
}

void le_csv_unguard(char *s, size_t *n)
{
    if (*n < 2 || s[0] != '\'' || !needs_guard(s + 1, *n - 1)) return;
    memmove(s, s + 1, *n - 1);
    s[--*n] = 0;
}

uint64_t le_csv_newlines(const void *s, size_t n)
{
    uint64_t k = 0;
    for (const char *p = s, *e = p + n; n && (p = memchr(p, '\n', (size_t)(e - p))); p++) k++;
    return k;
}
