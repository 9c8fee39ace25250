/* The normal samplers with AVX-512: eight candidates tested against their
 * ziggurat layers at once (compiled with -mavx512f etc.; called after a
 * cpuid check). The bits are the scalar code's (src/core/rng.c): the same
 * words, the same two products, the same comparison; a lane outside its
 * layer's core is finished by the scalar nb__zig_finish. */
#include "kernels/cpu.h"

#if NB_X86_64
#include <immintrin.h>

#include "core/ziggurat_tables.h"
#include "kernels/rng_kernels.h"

/* x = (b >> 11) 2^-53 zig_x[i] with its sign, and whether it is in the core. */
static inline __m512d zig_core(__m512i b, __mmask8 *ok) {
    __m512i i = _mm512_and_si512(b, _mm512_set1_epi64(255));
    __m512d u = _mm512_mul_pd(_mm512_cvtepu64_pd(_mm512_srli_epi64(b, 11)), _mm512_set1_pd(0x1.0p-53));
    __m512d x = _mm512_mul_pd(u, _mm512_i64gather_pd(i, zig_x, 8));
    *ok = _mm512_cmp_pd_mask(x, _mm512_i64gather_pd(i, zig_x + 1, 8), _CMP_LT_OQ);
    __m512i sign = _mm512_slli_epi64(_mm512_and_si512(b, _mm512_set1_epi64(256)), 55);
    return _mm512_castsi512_pd(_mm512_xor_si512(_mm512_castpd_si512(x), sign));
}

void nb__normals_avx512(nb_rng *rng, int64_t n, double *out) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8) {
        // one stream is serial: its words one by one, then one vector test
        nb_rng save = *rng;
        uint64_t w[8];
        for (int l = 0; l < 8; l++) w[l] = nb__xoshiro(rng->s);
        __mmask8 ok;
        __m512d x = zig_core(_mm512_loadu_si512(w), &ok);
        if (ok == 0xFF) {
            _mm512_storeu_pd(out + i, x);
        } else { // ~9% of groups: the scalar code from the group's start
            *rng = save;
            for (int l = 0; l < 8; l++) out[i + l] = nb_rng_normal(rng);
        }
    }
    for (; i < n; i++) out[i] = nb_rng_normal(rng);
}

void nb__normals8_avx512(nb_rng g[8], int64_t n, double *out) {
    uint64_t st[4][8];
    for (int l = 0; l < 8; l++)
        for (int k = 0; k < 4; k++) st[k][l] = g[l].s[k];
    __m512i s0 = _mm512_loadu_si512(st[0]), s1 = _mm512_loadu_si512(st[1]), s2 = _mm512_loadu_si512(st[2]),
            s3 = _mm512_loadu_si512(st[3]);
    for (int64_t i = 0; i < n; i++) {
        // xoshiro256** in every lane: r = rotl(5 s1, 7) 9, multiplies as shifts and adds
        __m512i r = _mm512_add_epi64(s1, _mm512_slli_epi64(s1, 2));
        r = _mm512_rol_epi64(r, 7);
        r = _mm512_add_epi64(r, _mm512_slli_epi64(r, 3));
        __m512i t = _mm512_slli_epi64(s1, 17);
        s2 = _mm512_xor_si512(s2, s0);
        s3 = _mm512_xor_si512(s3, s1);
        s1 = _mm512_xor_si512(s1, s2);
        s0 = _mm512_xor_si512(s0, s3);
        s2 = _mm512_xor_si512(s2, t);
        s3 = _mm512_rol_epi64(s3, 45);
        __mmask8 ok;
        __m512d x = zig_core(r, &ok);
        _mm512_storeu_pd(out + i * 8, x);
        if (ok != 0xFF) { // the lanes outside the core, on their own generators
            uint64_t w[8];
            _mm512_storeu_si512(w, r);
            _mm512_storeu_si512(st[0], s0), _mm512_storeu_si512(st[1], s1);
            _mm512_storeu_si512(st[2], s2), _mm512_storeu_si512(st[3], s3);
            for (int l = 0; l < 8; l++) {
                if (ok >> l & 1) continue;
                nb_rng one = {{st[0][l], st[1][l], st[2][l], st[3][l]}};
                out[i * 8 + l] = nb__zig_finish(&one, w[l]);
                for (int k = 0; k < 4; k++) st[k][l] = one.s[k];
            }
            s0 = _mm512_loadu_si512(st[0]), s1 = _mm512_loadu_si512(st[1]);
            s2 = _mm512_loadu_si512(st[2]), s3 = _mm512_loadu_si512(st[3]);
        }
    }
    _mm512_storeu_si512(st[0], s0), _mm512_storeu_si512(st[1], s1);
    _mm512_storeu_si512(st[2], s2), _mm512_storeu_si512(st[3], s3);
    for (int l = 0; l < 8; l++)
        for (int k = 0; k < 4; k++) g[l].s[k] = st[k][l];
}
#endif
