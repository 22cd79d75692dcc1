/* ini: the one INI reader (see ini.h). */
#include "ini.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "le_base.h"

static char *trim(char *s)
{
    while (*s == ' ' || *s == '\t') s++;
    size_t n = strlen(s);
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\r' || s[n - 1] == '\n')) s[--n] = 0;
    return s;
}

static void fold_name(char *s, int flags, int is_key)
{
    for (; *s; s++) {
        if (flags & LE_INI_LOWER) *s = (char)tolower((unsigned char)*s);
        if (is_key && (flags & LE_INI_DASH) && *s == '_') *s = '-';
    }
}

const le_ini_section *le_ini_section_of(const le_ini *ini, const char *name)
{
    for (int i = 0; i < ini->nsec; i++)
        if (!strcmp(ini->sec[i].name, name)) return &ini->sec[i];
    return NULL;
}

const char *le_ini_get(const le_ini_section *s, const char *key)
{
    for (int i = 0; s && i < s->n; i++)
        if (!strcmp(s->kv[i].key, key)) return s->kv[i].val;
    return NULL;
}

/* "[name]" on line: a new section, unless its name was seen before. */
static int add_section(le_ini *ini, char *s, int line, int flags)
{
    char *e = strchr(s, ']');
    if (!e || *trim(e + 1)) return le_fail(LE_ERR_FORMAT, "%s:%d: malformed section header '%s'", ini->path, line, s);
    *e = 0;
    char *name = trim(s + 1);
    fold_name(name, flags, 0);
    if (le_ini_section_of(ini, name))
        return le_fail(LE_ERR_FORMAT, "%s:%d: section [%s] appears twice", ini->path, line, name);
    LE_RESERVE(ini->sec, ini->cap, (size_t)ini->nsec + 1);
    ini->sec[ini->nsec++] = (le_ini_section){.name = name, .line = line};
    return 0;
}

/* The value after '=': a quoted one up to its last quote, any other up to a
 * comment that follows whitespace (so "a#b" and "http://x/#y" stay whole). */
static int cut_value(char **val, const char *path, int line)
{
    char *v = *val;
    if (*v == '"') {
        char *q = strrchr(v + 1, '"');
        if (!q) return le_fail(LE_ERR_FORMAT, "%s:%d: unterminated quote", path, line);
        *q = 0, *val = v + 1;
        return 0;
    }
    for (char *h = v; *h; h++)
        if ((*h == '#' || *h == ';') && h > v && (h[-1] == ' ' || h[-1] == '\t')) {
            *h = 0;
            *val = trim(v);
            break;
        }
    return 0;
}

/* "key = value" on line, in the last section. */
static int add_key(le_ini *ini, char *s, int line, int flags)
{
    char *eq = strchr(s, '=');
    if (!ini->nsec) return le_fail(LE_ERR_FORMAT, "%s:%d: '%s' is outside any [section]", ini->path, line, s);
    if (!eq) return le_fail(LE_ERR_FORMAT, "%s:%d: expected key = value, got '%s'", ini->path, line, s);
    *eq = 0;
    char *key = trim(s), *val = trim(eq + 1);
    fold_name(key, flags, 1);
    LE_CHECK(cut_value(&val, ini->path, line));
    le_ini_section *sec = &ini->sec[ini->nsec - 1];
    if (le_ini_get(sec, key))
        return le_fail(LE_ERR_FORMAT, "%s:%d: key '%s' appears twice in [%s]", ini->path, line, key, sec->name);
    LE_RESERVE(sec->kv, sec->cap, (size_t)sec->n + 1);
    sec->kv[sec->n++] = (le_ini_kv){key, val, line};
    return 0;
}

int le_ini_parse(le_ini *ini, char *text, const char *path, int flags)
{
    *ini = (le_ini){.path = path, .text = text};
    int line = 0, rc = 0;
    for (char *p = text; !rc && p && *p;) {
        char *nl = strchr(p, '\n');
        if (nl) *nl = 0;
        line++;
        char *s = trim(p);
        p = nl ? nl + 1 : NULL;
        if (!*s || *s == '#' || *s == ';') continue;
        rc = *s == '[' ? add_section(ini, s, line, flags) : add_key(ini, s, line, flags);
    }
    if (rc) le_ini_free(ini), ini->path = path;
    return rc;
}

int le_ini_load(le_ini *ini, const char *path, int flags)
{
    *ini = (le_ini){.path = path};
    FILE *f = fopen(path, "rb");
    if (!f) return le_fail(LE_ERR_IO, "%s: cannot read: %s", path, strerror(errno));
    char *text = NULL, buf[65536];
    size_t len = 0, cap = 0;
    for (size_t got; (got = fread(buf, 1, sizeof buf, f)) > 0;) {
        LE_RESERVE(text, cap, len + got + 1);
        memcpy(text + len, buf, got);
        len += got;
    }
    int bad = ferror(f);
    fclose(f);
    if (bad) return free(text), le_fail(LE_ERR_IO, "%s: read failed", path);
    if (!text) text = le_strdup("");
    text[len] = 0;
    return le_ini_parse(ini, text, path, flags);
}

void le_ini_free(le_ini *ini)
{
    for (int i = 0; i < ini->nsec; i++) free(ini->sec[i].kv);
    free(ini->sec);
    free(ini->text);
    *ini = (le_ini){0};
}
