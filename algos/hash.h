/* hash: 64-bit hashing of byte strings and integer keys (no MPI).
 * le_hash64 is FNV-1a folded through a murmur finaliser: fast on the short
 * ids traces carry, and well mixed in the low bits that pick a rank. It is
 * part of the file format's meaning (it routes traces to ranks and breaks
 * ties in the corpus order), so it must never change. */
#ifndef LE_HASH_H
#define LE_HASH_H

#include <stddef.h>
#include <stdint.h>

static inline uint64_t le_mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static inline uint64_t le_hash64(const void *data, size_t n)
{
    const unsigned char *p = data;
    uint64_t h = 0xcbf29ce484222325ULL;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x100000001b3ULL;
    return le_mix64(h ^ n);
}

#endif
