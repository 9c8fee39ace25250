/* nabla/rng.h — bulk normal draws and independent streams.
 *
 * The generator (nb_rng, xoshiro256** seeded through splitmix64) and its
 * scalar draws are declared in nabla/tensor.h. This header adds:
 *
 * Which bits a seed gives. A seed fixes one stream of 64-bit words on every
 * machine, and nb_rng_normal turns it into normals by the ziggurat. The bulk
 * samplers keep that stream bit for bit, whatever the CPU (AVX-512, AVX2 or
 * the portable code):
 *   - nb_rng_normals(rng, n, out) gives exactly what n calls of
 *     nb_rng_normal(rng) give, and leaves rng where they would;
 *   - nb_rng_normals8(g, n, out) runs eight generators side by side: column l
 *     of out (n x 8, row-major) is what n calls of nb_rng_normal(&g[l]) give.
 * The vector code tests a whole vector of candidates against their layers at
 * once and hands the ~1% that fall outside (tail, wedge) to the scalar code.
 *
 *     nb_rng g[8];
 *     for (int l = 0; l < 8; l++) nb_rng_stream(&g[l], key, trial0 + l);
 *     nb_rng_normals8(g, n, Y);   // Y[i*8 + l]: draw i of trial trial0 + l
 */
#ifndef NABLA_RNG_H
#define NABLA_RNG_H

#include "nabla/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Seeds rng with stream `index` of `key`: a hash of the two, so streams are
 * independent of each other and can be made in any order, on any thread
 * (a counter-based scheme over xoshiro's 2^256 period). */
void nb_rng_stream(nb_rng *rng, uint64_t key, uint64_t index);

/* n draws from each of 8 generators: out[i*8 + l] is draw i of g[l]. */
void nb_rng_normals8(nb_rng g[8], int64_t n, double *out);

#ifdef __cplusplus
}
#endif
#endif
