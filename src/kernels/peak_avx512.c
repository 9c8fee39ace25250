/* The FMA peak loop with AVX-512: 24 independent chains, each a named
 * register (with an array, compilers kept the chains in memory and the loop
 * timed store forwarding instead of the FMA units). Compiled with -mavx512f
 * etc.; called after a cpuid check. */
#include <immintrin.h>

#include "kernels/peak.h"

#define CHAINS(X) \
    X(0) X(1) X(2) X(3) X(4) X(5) X(6) X(7) X(8) X(9) X(10) X(11) \
    X(12) X(13) X(14) X(15) X(16) X(17) X(18) X(19) X(20) X(21) X(22) X(23)

/* x_i = x_i m + c on every chain, iters times; the sum of every lane. */
#define PEAK(NAME, T, VT, SFX)                                        \
    static double NAME(long iters) {                                  \
        const VT m = _mm512_set1_##SFX((T)0.999999), c = _mm512_set1_##SFX((T)1e-7); \
        CHAINS(DECL_##SFX)                                            \
        for (long it = 0; it < iters; it++) { CHAINS(STEP_##SFX) }    \
        VT s = _mm512_setzero_##SFX();                                \
        CHAINS(SUM_##SFX)                                             \
        return (double)_mm512_reduce_add_##SFX(s);                    \
    }
#define DECL_pd(i) __m512d x##i = _mm512_set1_pd(1.0 + (i) * 1e-3);
#define STEP_pd(i) x##i = _mm512_fmadd_pd(x##i, m, c);
#define SUM_pd(i) s = _mm512_add_pd(s, x##i);
#define DECL_ps(i) __m512 x##i = _mm512_set1_ps(1.0f + (float)(i) * 1e-3f);
#define STEP_ps(i) x##i = _mm512_fmadd_ps(x##i, m, c);
#define SUM_ps(i) s = _mm512_add_ps(s, x##i);

PEAK(peak_f64, double, __m512d, pd)
PEAK(peak_f32, float, __m512, ps)

double nb_peak_chains_avx512(bool f64, long iters) { return f64 ? peak_f64(iters) : peak_f32(iters); }
