/* The library's RNG: xoshiro256** seeded through splitmix64. Integer-only
 * state, so a seed gives the same stream on every machine. The bulk
 * samplers and the streams are in src/kernels/normals.c. */
#include <math.h>

#include "core/rng.h"
#include "core/ziggurat_tables.h"

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

uint64_t nb_rng_below(nb_rng *rng, uint64_t n) {
    if (n == 0) return 0;
    /* Rejection from the top of the range removes modulo bias. */
    uint64_t limit = UINT64_MAX - UINT64_MAX % n;
    uint64_t x;
    do x = nb_rng_u64(rng);
    while (x >= limit);
    return x % n;
}
