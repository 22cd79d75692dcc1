/* strtab: a string interning table. Each distinct string gets a dense id
 * 0, 1, 2, ... in order of first insertion; the bytes live once in an arena.
 * Open addressing with linear probing; ids are uint32 (a table per rank
 * holds far fewer than 4e9 distinct strings). */
#ifndef LE_STRTAB_H
#define LE_STRTAB_H

#include <stddef.h>
#include <stdint.h>

typedef struct le_strtab {
    char *arena; /* all strings, each NUL-terminated */
    size_t arena_len, arena_cap;
    uint64_t *offset; /* id -> offset in arena */
    uint32_t *len;    /* id -> length (without NUL) */
    uint64_t *hash;   /* id -> hash */
    size_t n, cap;    /* ids in use, capacity of offset/len/hash */
    uint32_t *slots;  /* hash slots: id + 1, 0 = empty */
    size_t nslots;    /* power of two */
} le_strtab;

void le_strtab_init(le_strtab *t);
void le_strtab_free(le_strtab *t);
/* id of s[0..n), inserting it if new */
uint32_t le_strtab_intern(le_strtab *t, const char *s, size_t n);
/* id of s[0..n) or UINT32_MAX when absent */
uint32_t le_strtab_find(const le_strtab *t, const char *s, size_t n);
static inline const char *le_strtab_str(const le_strtab *t, uint32_t id) { return t->arena + t->offset[id]; }
static inline uint32_t le_strtab_len(const le_strtab *t, uint32_t id) { return t->len[id]; }

#endif
