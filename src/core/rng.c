/* The library's RNG: xoshiro256** seeded through splitmix64. Integer-only
 * state, so a seed gives the same stream on every machine. */
#include <math.h>

#include "nabla/tensor.h"

static uint64_t splitmix64(uint64_t *x) {
    uint64_t z = (*x += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void nb_rng_seed(nb_rng *rng, uint64_t seed) {
    if (!rng) return;
    for (int i = 0; i < 4; i++) rng->s[i] = splitmix64(&seed);
}

static inline uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }

uint64_t nb_rng_u64(nb_rng *rng) {
    uint64_t *s = rng->s;
    uint64_t result = rotl(s[1] * 5, 7) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 45);
    return result;
}

double nb_rng_uniform(nb_rng *rng) { return (double)(nb_rng_u64(rng) >> 11) * 0x1.0p-53; }

double nb_rng_normal(nb_rng *rng) {
    /* Box-Muller with u1 in (0, 1], so the log is finite. */
    double u1 = 1.0 - nb_rng_uniform(rng), u2 = nb_rng_uniform(rng);
    return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

uint64_t nb_rng_below(nb_rng *rng, uint64_t n) {
    if (n == 0) return 0;
    /* Rejection from the top of the range removes modulo bias. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = nb_rng_u64(rng);
    while (x >= limit);
    return x % n;
}
