/* Internal: the generator's step and the ziggurat's slow path, shared with
 * the vector samplers (src/kernels/rng*.c), so every path gives the scalar
 * stream's bits. */
#ifndef NABLA_CORE_RNG_H
#define NABLA_CORE_RNG_H

#include "nabla/tensor.h"

/* One step of xoshiro256**: the word it gives, the state advanced. */
static inline uint64_t nb__xoshiro(uint64_t *s) {
    uint64_t r = ((s[1] * 5) << 7 | (s[1] * 5) >> 57) * 9, t = s[1] << 17;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = s[3] << 45 | s[3] >> 19;
    return r;
}

/* Finishes the draw whose first word b missed its layer's core: the tail,
 * the wedge, or (the wedge rejected) a fresh draw. */
double nb__zig_finish(nb_rng *rng, uint64_t b);

#endif
