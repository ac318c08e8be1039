/*
 * splitmix64: tiny, seedable and good enough for the library's draws (node
 * levels, k-means starts), which must repeat exactly for a given seed.
 */
#ifndef VDB_RANDOM_H
#define VDB_RANDOM_H

#include <stdint.h>

static inline uint64_t vdb_next_random(uint64_t *state)
{
    uint64_t z = (*state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

#endif
