/* Max pooling's 2x2 windows in AVX-512 (compiled with the Makefile's
 * ISA_avx512 flags; pool.c calls them only on a CPU that has it): up to 16
 * windows a step, masked, so rows of 7 or 14 windows take one step. The
 * same selections as pool.c's scalar and SSE2 copies, so the same bits. */
#include <stdint.h>

#include "kernels/cpu.h"

#if NB_X86_64
#include <immintrin.h>

void nb__pool2_row_avx512(const float *r0, const float *r1, float *m, int64_t OW);
void nb__pool2_back_row_avx512(const float *r0, const float *r1, const float *m, const float *g, float *d0, float *d1,
                               int64_t OW);
void nb__pool2_back_plane_avx512(const float *xp, const float *yp, const float *g, float *dx, int64_t W, int64_t OH,
                                 int64_t OW, float *tmp);

typedef struct pool2_masks {
    __mmask16 w, lo, hi; /* windows; the row's first and second 16 inputs */
} pool2_masks;
static inline pool2_masks pool2_masks_of(int64_t n) {
    pool2_masks k;
    k.w = (__mmask16)((1u << n) - 1);
    k.lo = 2 * n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (2 * n)) - 1);
    k.hi = 2 * n > 16 ? (__mmask16)((1u << (2 * n - 16)) - 1) : 0;
    return k;
}
/* even and odd inputs of 2n at r */
static inline void pool2_split(const float *r, pool2_masks k, __m512 *ev, __m512 *od) {
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    __m512 lo = _mm512_maskz_loadu_ps(k.lo, r), hi = _mm512_maskz_loadu_ps(k.hi, r + 16);
    *ev = _mm512_permutex2var_ps(lo, ie, hi);
    *od = _mm512_permutex2var_ps(lo, io, hi);
}
static inline __mmask16 avx_take(__m512 v, __m512 m) {
    return _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
}
void nb__pool2_row_avx512(const float *r0, const float *r1, float *m, int64_t OW) {
    for (int64_t ow = 0; ow < OW; ow += 16) {
        pool2_masks k = pool2_masks_of(OW - ow < 16 ? OW - ow : 16);
        __m512 a, b, c, d;
        pool2_split(r0 + 2 * ow, k, &a, &b);
        pool2_split(r1 + 2 * ow, k, &c, &d);
        __m512 u = _mm512_mask_blend_ps(avx_take(b, a), a, b), v = _mm512_mask_blend_ps(avx_take(d, c), c, d);
        _mm512_mask_storeu_ps(m + ow, k.w, _mm512_mask_blend_ps(avx_take(v, u), u, v));
    }
}
/* d (2n inputs) += the interleave of e (even) and o (odd) */
static inline void pool2_merge_add(float *d, pool2_masks k, __m512 e, __m512 o) {
    const __m512i il = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i ih = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    _mm512_mask_storeu_ps(d, k.lo, _mm512_add_ps(_mm512_maskz_loadu_ps(k.lo, d), _mm512_permutex2var_ps(e, il, o)));
    if (k.hi)
        _mm512_mask_storeu_ps(d + 16, k.hi,
                              _mm512_add_ps(_mm512_maskz_loadu_ps(k.hi, d + 16), _mm512_permutex2var_ps(e, ih, o)));
}
void nb__pool2_back_row_avx512(const float *r0, const float *r1, const float *m, const float *g, float *d0, float *d1,
                               int64_t OW) {
    for (int64_t ow = 0; ow < OW; ow += 16) {
        pool2_masks k = pool2_masks_of(OW - ow < 16 ? OW - ow : 16);
        __m512 a, b, c, d;
        pool2_split(r0 + 2 * ow, k, &a, &b);
        pool2_split(r1 + 2 * ow, k, &c, &d);
        (void)d; /* the winner when none of a, b, c is */
        __m512 mv = _mm512_maskz_loadu_ps(k.w, m + ow), gv = _mm512_maskz_loadu_ps(k.w, g + ow);
        __mmask16 ea = _mm512_cmp_ps_mask(a, mv, _CMP_EQ_OQ), eb = _mm512_cmp_ps_mask(b, mv, _CMP_EQ_OQ);
        __mmask16 ec = _mm512_cmp_ps_mask(c, mv, _CMP_EQ_OQ);
        __mmask16 tb = (__mmask16)(~ea & eb), tc = (__mmask16)(~(ea | eb) & ec), td = (__mmask16)~(ea | eb | ec);
        pool2_merge_add(d0 + 2 * ow, k, _mm512_maskz_mov_ps(ea, gv), _mm512_maskz_mov_ps(tb, gv));
        pool2_merge_add(d1 + 2 * ow, k, _mm512_maskz_mov_ps(tc, gv), _mm512_maskz_mov_ps(td, gv));
    }
}
/* A whole plane's backward (no NaN in y): each row pair's share goes into
 * tmp (2*OH rows of W) with plain stores, then one pass adds tmp into dx.
 * Adding row by row would reload, right after, memory the previous masked
 * store covered in part, which stalls store-to-load forwarding. */
void nb__pool2_back_plane_avx512(const float *xp, const float *yp, const float *g, float *dx, int64_t W, int64_t OH,
                                 int64_t OW, float *tmp) {
    const __m512i il = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i ih = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    for (int64_t oh = 0; oh < OH; oh++) {
        const float *r0 = xp + 2 * oh * W, *r1 = r0 + W;
        float *t0 = tmp + 2 * oh * W, *t1 = t0 + W;
        for (int64_t ow = 0; ow < OW; ow += 16) {
            pool2_masks k = pool2_masks_of(OW - ow < 16 ? OW - ow : 16);
            __m512 a, b, c, d;
            pool2_split(r0 + 2 * ow, k, &a, &b);
            pool2_split(r1 + 2 * ow, k, &c, &d);
            (void)d; /* the winner when none of a, b, c is */
            __m512 mv = _mm512_maskz_loadu_ps(k.w, yp + oh * OW + ow);
            __m512 gv = _mm512_maskz_loadu_ps(k.w, g + oh * OW + ow);
            __mmask16 ea = _mm512_cmp_ps_mask(a, mv, _CMP_EQ_OQ), eb = _mm512_cmp_ps_mask(b, mv, _CMP_EQ_OQ);
            __mmask16 ec = _mm512_cmp_ps_mask(c, mv, _CMP_EQ_OQ);
            __mmask16 tb = (__mmask16)(~ea & eb), tc = (__mmask16)(~(ea | eb) & ec), td = (__mmask16)~(ea | eb | ec);
            __m512 ga = _mm512_maskz_mov_ps(ea, gv), gb = _mm512_maskz_mov_ps(tb, gv);
            __m512 gc = _mm512_maskz_mov_ps(tc, gv), gd = _mm512_maskz_mov_ps(td, gv);
            _mm512_mask_storeu_ps(t0 + 2 * ow, k.lo, _mm512_permutex2var_ps(ga, il, gb));
            _mm512_mask_storeu_ps(t1 + 2 * ow, k.lo, _mm512_permutex2var_ps(gc, il, gd));
            if (k.hi) {
                _mm512_mask_storeu_ps(t0 + 2 * ow + 16, k.hi, _mm512_permutex2var_ps(ga, ih, gb));
                _mm512_mask_storeu_ps(t1 + 2 * ow + 16, k.hi, _mm512_permutex2var_ps(gc, ih, gd));
            }
        }
    }
    /* the rows' first 2*OW columns; all of them at once when W is even */
    int64_t rows = W == 2 * OW ? 1 : 2 * OH, len = W == 2 * OW ? 2 * OH * W : 2 * OW;
    for (int64_t r = 0; r < rows; r++) {
        float *d = dx + r * W;
        const float *t = tmp + r * W;
        for (int64_t j = 0; j < len; j += 16) {
            __mmask16 m = len - j >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (len - j)) - 1);
            __m512 sum = _mm512_add_ps(_mm512_maskz_loadu_ps(m, d + j), _mm512_maskz_loadu_ps(m, t + j));
            _mm512_mask_storeu_ps(d + j, m, sum);
        }
    }
}
#else
typedef int nb__no_avx512_pool; /* ISO C wants a translation unit to declare something */
#endif
