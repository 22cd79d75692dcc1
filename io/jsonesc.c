/* jsonesc: the one JSON string writer (see jsonesc.h). */
#include "jsonesc.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at s (at most n bytes), 0 if invalid:
 * overlong forms, surrogates and code points past U+10FFFF are invalid. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    unsigned char lo = 0x80, hi = 0xBF; /* allowed range of the second byte */
    if (c >= 0xC2 && c <= 0xDF)
        len = 2;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, lo = c == 0xE0 ? 0xA0 : 0x80, hi = c == 0xED ? 0x9F : 0xBF;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, lo = c == 0xF0 ? 0x90 : 0x80, hi = c == 0xF4 ? 0x8F : 0xBF;
    else
        return 0;
    if (n < len || s[1] < lo || s[1] > hi) return 0;
    for (size_t i = 2; i < len; i++)
        if ((s[i] & 0xC0) != 0x80) return 0;
    return len;
}

void le_json_escape(FILE *f, const char *s, size_t n, int mode)
{
    const unsigned char *p = (const unsigned char *)s;
    const int script = mode == LE_JSON_SCRIPT;
    size_t len = strnlen(s, n);
    fputc('"', f);
    for (size_t i = 0; i < len;) {
        unsigned char c = p[i];
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c), i++;
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c), i++;
        /* The HTML parser ends a script at "</script" and treats "<!--"
         * specially; \u escapes of these keep it from ever seeing either. */
        else if (script && (c == '<' || c == '>' || c == '&' || c == '\'' || c == 0x7F))
            fprintf(f, "\\u%04x", c), i++;
        else if (c < 0x80 || !script)
            fputc(c, f), i++;
        else {
            size_t k = utf8_seq(p + i, len - i);
            if (!k) fputs("\\ufffd", f), i++;
            /* U+2028/2029 end a line in older JavaScript string literals. */
            else if (k == 3 && c == 0xE2 && p[i + 1] == 0x80 && (p[i + 2] == 0xA8 || p[i + 2] == 0xA9))
                fprintf(f, "\\u%s", p[i + 2] == 0xA8 ? "2028" : "2029"), i += 3;
            else
                fwrite(p + i, 1, k, f), i += k;
        }
    }
    fputc('"', f);
}

void le_json_string(FILE *f, const char *s, size_t n) { le_json_escape(f, s, n, LE_JSON_SCRIPT); }
