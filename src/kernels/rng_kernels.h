/* Internal: the vector normal samplers (src/kernels/rng_avx512.c, rng_avx2.c)
 * behind nb_rng_normals and nb_rng_normals8 (src/kernels/normals.c). Each gives the
 * scalar stream's bits: a candidate outside its layer's core goes to
 * nb__zig_finish with the generator in the state the scalar code would have. */
#ifndef NABLA_RNG_KERNELS_H
#define NABLA_RNG_KERNELS_H

#include "nabla/rng.h"
#include "core/rng.h"

/* For tests: 2 AVX-512, 1 AVX2, 0 portable, -1 the CPU's best (the caller
 * checks the CPU can run it). */
void nb__rng_set_isa(int isa);

void nb__normals_avx512(nb_rng *rng, int64_t n, double *out);
void nb__normals8_avx512(nb_rng g[8], int64_t n, double *out);
void nb__normals_avx2(nb_rng *rng, int64_t n, double *out);
void nb__normals8_avx2(nb_rng g[8], int64_t n, double *out);

#endif
