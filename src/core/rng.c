/* The library's RNG: xoshiro256** seeded through splitmix64. Integer-only
 * state, so a seed gives the same stream on every machine. */
#include <math.h>
#include <stdatomic.h>

#include "nabla/rng.h"
#include "core/ziggurat_tables.h"
#include "kernels/cpu.h"
#include "kernels/rng_kernels.h"

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

uint64_t nb_rng_u64(nb_rng *rng) { return nb__xoshiro(rng->s); }

double nb_rng_uniform(nb_rng *rng) { return (double)(nb_rng_u64(rng) >> 11) * 0x1.0p-53; }

/* N(0,1) by the ziggurat: one 64-bit draw and a table look-up ~99% of the
 * time (a point inside layer i's core), the curve or the tail otherwise.
 * From the draw: bits 0-7 pick the layer, bit 8 the sign, bits 11-63 u. */
double nb_rng_normal(nb_rng *rng) {
    uint64_t b = nb_rng_u64(rng);
    int i = (int)(b & 255);
    double x = (double)(b >> 11) * 0x1.0p-53 * zig_x[i];
    if (x < zig_x[i + 1]) return (b & 256) ? -x : x;
    return nb__zig_finish(rng, b);
}

/* The rest of a draw whose first word b fell outside its layer's core: the
 * tail, the wedge, or (the wedge rejected) a fresh draw. The bulk samplers
 * call it too, so every path gives the scalar stream's bits. */
double nb__zig_finish(nb_rng *rng, uint64_t b) {
    for (;;) {
        int i = (int)(b & 255);
        double sign = (b & 256) ? -1.0 : 1.0;
        double x = (double)(b >> 11) * 0x1.0p-53 * zig_x[i];
        if (x < zig_x[i + 1]) return sign * x;
        if (i == 0) { /* the tail beyond R: Marsaglia's exponential rejection */
            double t, y;
            do {
                t = -log(1.0 - nb_rng_uniform(rng)) / ZIG_R;
                y = -log(1.0 - nb_rng_uniform(rng));
            } while (2 * y < t * t);
            return sign * (ZIG_R + t);
        }
        /* the wedge between the core and the curve */
        double y = zig_f[i] + nb_rng_uniform(rng) * (zig_f[i + 1] - zig_f[i]);
        if (y < exp(-0.5 * x * x)) return sign * x;
        b = nb_rng_u64(rng);
    }
}

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

uint64_t nb_rng_below(nb_rng *rng, uint64_t n) {
    if (n == 0) return 0;
    /* Rejection from the top of the range removes modulo bias. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = nb_rng_u64(rng);
    while (x >= limit);
    return x % n;
}
