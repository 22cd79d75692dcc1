#include "csvout.h"

#include <string.h>

void le_csv_write_field(FILE *f, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, f);
        return;
    }
    fputc('"', f);
    for (; *s; s++) {
        if (*s == '"') fputc('"', f);
        fputc(*s, f);
    }
    fputc('"', f);
}

uint64_t le_csv_newlines(const void *s, size_t n)
{
    uint64_t k = 0;
    for (const char *p = s, *e = p + n; n && (p = memchr(p, '\n', (size_t)(e - p))); p++) k++;
    return k;
}
