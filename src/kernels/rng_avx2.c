/* The normal samplers with AVX2: as rng_avx512.c, four lanes to a vector
 * (compiled with -mavx2 -mfma; called after a cpuid check). The bits are
 * the scalar code's. */
#include "kernels/cpu.h"

#if NB_X86_64
#include <immintrin.h>

#include "core/ziggurat_tables.h"
#include "kernels/rng_kernels.h"

static inline __m256i rotl(__m256i x, int k) {
    return _mm256_or_si256(_mm256_slli_epi64(x, k), _mm256_srli_epi64(x, 64 - k));
}

/* As zig_core in rng_avx512.c. AVX2 has no 64-bit integer conversion: v =
 * b >> 11 < 2^53 is its low 52 bits placed in 2^52's mantissa, less 2^52,
 * plus 2^52 when bit 52 is set; every step exact. *ok: a 4-bit mask. */
static inline __m256d zig_core(__m256i b, int *ok) {
    const __m256i two52 = _mm256_set1_epi64x(0x4330000000000000LL);
    __m256i i = _mm256_and_si256(b, _mm256_set1_epi64x(255));
    __m256i v = _mm256_srli_epi64(b, 11);
    __m256d lo = _mm256_sub_pd(
        _mm256_castsi256_pd(_mm256_or_si256(_mm256_and_si256(v, _mm256_set1_epi64x((1LL << 52) - 1)), two52)),
        _mm256_castsi256_pd(two52));
    __m256i hi = _mm256_and_si256(_mm256_sub_epi64(_mm256_setzero_si256(), _mm256_srli_epi64(v, 52)), two52);
    __m256d u = _mm256_mul_pd(_mm256_add_pd(lo, _mm256_castsi256_pd(hi)), _mm256_set1_pd(0x1.0p-53));
    __m256d x = _mm256_mul_pd(u, _mm256_i64gather_pd(zig_x, i, 8));
    *ok = _mm256_movemask_pd(_mm256_cmp_pd(x, _mm256_i64gather_pd(zig_x + 1, i, 8), _CMP_LT_OQ));
    __m256i sign = _mm256_slli_epi64(_mm256_and_si256(b, _mm256_set1_epi64x(256)), 55);
    return _mm256_castsi256_pd(_mm256_xor_si256(_mm256_castpd_si256(x), sign));
}

void nb__normals_avx2(nb_rng *rng, int64_t n, double *out) {
    int64_t i = 0;
    for (; i + 4 <= n; i += 4) {
        nb_rng save = *rng;
        uint64_t w[4];
        for (int l = 0; l < 4; l++) w[l] = nb__xoshiro(rng->s);
        int ok;
        __m256d x = zig_core(_mm256_loadu_si256((const __m256i *)w), &ok);
        if (ok == 0xF) {
            _mm256_storeu_pd(out + i, x);
        } else {
            *rng = save;
            for (int l = 0; l < 4; l++) out[i + l] = nb_rng_normal(rng);
        }
    }
    for (; i < n; i++) out[i] = nb_rng_normal(rng);
}

void nb__normals8_avx2(nb_rng g[8], int64_t n, double *out) {
    for (int h = 0; h < 2; h++) { // two halves of four lanes, each its own pass
        uint64_t st[4][4];
        for (int l = 0; l < 4; l++)
            for (int k = 0; k < 4; k++) st[k][l] = g[4 * h + l].s[k];
        __m256i s0 = _mm256_loadu_si256((const __m256i *)st[0]), s1 = _mm256_loadu_si256((const __m256i *)st[1]),
                s2 = _mm256_loadu_si256((const __m256i *)st[2]), s3 = _mm256_loadu_si256((const __m256i *)st[3]);
        for (int64_t i = 0; i < n; i++) {
            __m256i r = _mm256_add_epi64(s1, _mm256_slli_epi64(s1, 2));
            r = rotl(r, 7);
            r = _mm256_add_epi64(r, _mm256_slli_epi64(r, 3));
            __m256i t = _mm256_slli_epi64(s1, 17);
            s2 = _mm256_xor_si256(s2, s0);
            s3 = _mm256_xor_si256(s3, s1);
            s1 = _mm256_xor_si256(s1, s2);
            s0 = _mm256_xor_si256(s0, s3);
            s2 = _mm256_xor_si256(s2, t);
            s3 = rotl(s3, 45);
            int ok;
            __m256d x = zig_core(r, &ok);
            _mm256_storeu_pd(out + i * 8 + 4 * h, x);
            if (ok != 0xF) {
                uint64_t w[4];
                _mm256_storeu_si256((__m256i *)w, r);
                _mm256_storeu_si256((__m256i *)st[0], s0), _mm256_storeu_si256((__m256i *)st[1], s1);
                _mm256_storeu_si256((__m256i *)st[2], s2), _mm256_storeu_si256((__m256i *)st[3], s3);
                for (int l = 0; l < 4; l++) {
                    if (ok >> l & 1) continue;
                    nb_rng one = {{st[0][l], st[1][l], st[2][l], st[3][l]}};
                    out[i * 8 + 4 * h + l] = nb__zig_finish(&one, w[l]);
                    for (int k = 0; k < 4; k++) st[k][l] = one.s[k];
                }
                s0 = _mm256_loadu_si256((const __m256i *)st[0]), s1 = _mm256_loadu_si256((const __m256i *)st[1]);
                s2 = _mm256_loadu_si256((const __m256i *)st[2]), s3 = _mm256_loadu_si256((const __m256i *)st[3]);
            }
        }
        _mm256_storeu_si256((__m256i *)st[0], s0), _mm256_storeu_si256((__m256i *)st[1], s1);
        _mm256_storeu_si256((__m256i *)st[2], s2), _mm256_storeu_si256((__m256i *)st[3], s3);
        for (int l = 0; l < 4; l++)
            for (int k = 0; k < 4; k++) g[4 * h + l].s[k] = st[k][l];
    }
}
#endif
