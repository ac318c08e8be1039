/*
 * The tool's random numbers: xoshiro256** seeded by splitmix64. Written out
 * here rather than taken from libc so that a seed gives the same data set on
 * every platform and every libc.
 */
#ifndef VDB_CLI_RNG_H
#define VDB_CLI_RNG_H

#include <stdint.h>

typedef struct rng {
    uint64_t s[4];
} rng;

void rng_seed(rng *r, uint64_t seed);
uint64_t rng_next(rng *r);
/* Uniform in [0, 1) with 24 random bits: every value is an exact float32. */
float rng_uniform_float(rng *r);
/* Uniform integer in [0, n), n >= 1. */
uint64_t rng_below(rng *r, uint64_t n);
/* Standard normal (Box-Muller; one value per call, the pair's twin discarded for simplicity). */
double rng_normal(rng *r);

#endif
