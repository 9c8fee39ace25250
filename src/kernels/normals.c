/* The bulk normal samplers (nabla/rng.h) and the counter-based streams: the
 * portable code and the choice of a vector kernel (rng_avx512.c, rng_avx2.c),
 * each giving the scalar stream's bits (src/core/rng.c). */
#include <stdatomic.h>

#include "kernels/cpu.h"
#include "kernels/rng_kernels.h"

/* The vector kernels (src/kernels/rng_*.c), chosen by nb__cpu(). */
static _Atomic int isa = -1;

void nb__rng_set_isa(int v) { atomic_store_explicit(&isa, v, memory_order_relaxed); }

static int rng_isa(void) {
    int v = atomic_load_explicit(&isa, memory_order_relaxed);
    if (v < 0) {
        nb_cpu_features cpu = nb__cpu();
        v = cpu.avx512 ? 2 : cpu.avx2 ? 1 : 0;
        atomic_store_explicit(&isa, v, memory_order_relaxed);
    }
    return v;
}

void nb_rng_normals(nb_rng *rng, int64_t n, double *out) {
    int isa = rng_isa();
    (void)isa; // unused where there are no vector kernels
#if NB_X86_64
    if (isa == 2) nb__normals_avx512(rng, n, out);
    else if (isa == 1) nb__normals_avx2(rng, n, out);
    else
#endif
        for (int64_t i = 0; i < n; i++) out[i] = nb_rng_normal(rng);
}

void nb_rng_normals8(nb_rng g[8], int64_t n, double *out) {
    int isa = rng_isa();
    (void)isa; // unused where there are no vector kernels
#if NB_X86_64
    if (isa == 2) nb__normals8_avx512(g, n, out);
    else if (isa == 1) nb__normals8_avx2(g, n, out);
    else
#endif
        for (int64_t i = 0; i < n; i++)
            for (int l = 0; l < 8; l++) out[i * 8 + l] = nb_rng_normal(&g[l]);
}

static uint64_t mix64(uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

void nb_rng_stream(nb_rng *rng, uint64_t key, uint64_t index) {
    // a hash of (key, index) seeds the generator: streams are a function of
    // the two numbers alone, so any of them can be drawn first, or on any thread
    nb_rng_seed(rng, mix64(key ^ mix64(index + 0x9e3779b97f4a7c15ULL)));
}

