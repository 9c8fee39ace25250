/* The FMA peak loop with AVX2: 12 independent chains, each a named register
 * (of the 16: the chains, the two constants and the sum). Compiled with
 * -mavx2 -mfma; called after a cpuid check. */
#include <immintrin.h>

#include "kernels/peak.h"

#define CHAINS(X) X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11)

/* x_i = x_i m + c on every chain, iters times; the sum of every lane. */
#define PEAK(NAME, T, VT, SFX)                                        \
    static double NAME(long iters) {                                  \
        const VT m = _mm256_set1_##SFX((T)0.999999), c = _mm256_set1_##SFX((T)1e-7); \
        CHAINS(DECL_##SFX)                                            \
        for (long it = 0; it < iters; it++) { CHAINS(STEP_##SFX) }    \
        VT s = _mm256_setzero_##SFX();                                \
        CHAINS(SUM_##SFX)                                             \
        T o[sizeof(VT) / sizeof(T)];                                  \
        _mm256_storeu_##SFX(o, s);                                    \
        double r = 0;                                                 \
        for (unsigned i = 0; i < sizeof(VT) / sizeof(T); i++) r += (double)o[i]; \
        return r;                                                     \
    }
#define DECL_pd(i) __m256d x##i = _mm256_set1_pd(1.0 + (i) * 1e-3);
#define STEP_pd(i) x##i = _mm256_fmadd_pd(x##i, m, c);
#define SUM_pd(i) s = _mm256_add_pd(s, x##i);
#define DECL_ps(i) __m256 x##i = _mm256_set1_ps(1.0f + (float)(i) * 1e-3f);
#define STEP_ps(i) x##i = _mm256_fmadd_ps(x##i, m, c);
#define SUM_ps(i) s = _mm256_add_ps(s, x##i);

PEAK(peak_f64, double, __m256d, pd)
PEAK(peak_f32, float, __m256, ps)

double nb_peak_chains_avx2(bool f64, long iters) { return f64 ? peak_f64(iters) : peak_f32(iters); }
