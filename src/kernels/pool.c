/* Max pooling's loops: a plane forward, a plane backward, and the backward
 * of relu(pool2(z)); scalar for any window and dtype, and for f32 with 2x2
 * windows four windows at a time in SSE2 (x86-64's baseline) or sixteen in
 * AVX-512 (pool_avx512.c) where the CPU has it. No argmax is stored: the
 * backward finds the winner again from x and y (POOL_WINNER), which costs
 * less than writing and reading an index per output. For k = 2 each row's
 * pair is reduced first, then the two rows: the same winner as the row-major
 * scan (a tie between the rows keeps the upper). */
#include <string.h>

#include "core/internal.h"
#include "kernels/conv_kernels.h"
#include "kernels/cpu.h"

/* A candidate v replaces the running max m when it is larger, or NaN. */
#define POOL_TAKE(v, m) ((v) > (m) || (v) != (v))

#define POOL2_TMP 2048 /* floats of a plane's gradient held on the stack */

#if NB_X86_64
#include <emmintrin.h>

/* f32, k = 2, four windows at a time: the even and odd columns of each row
 * pair come apart with shuffles (rows of 7 or 14 windows are too short for
 * the compiler's own stride-2 loops to pay). The last partial group of four
 * is redone overlapping the previous one (OW >= 4): the forward stores the
 * same values again, the backward masks the upstream of the windows already
 * done to 0. */
static inline __m128 sse_take(__m128 v, __m128 m) {
    return _mm_or_ps(_mm_cmpgt_ps(v, m), _mm_cmpunord_ps(v, v));
}
static inline __m128 sse_sel(__m128 t, __m128 a, __m128 b) { return _mm_or_ps(_mm_and_ps(t, a), _mm_andnot_ps(t, b)); }

/* windows ow..ow+3 of the row pair: a, b (upper row even/odd), c, d */
#define SSE_POOL_LOAD(r0, r1, ow)                                                       \
    __m128 x0_ = _mm_loadu_ps((r0) + 2 * (ow)), x1_ = _mm_loadu_ps((r0) + 2 * (ow) + 4);  \
    __m128 y0_ = _mm_loadu_ps((r1) + 2 * (ow)), y1_ = _mm_loadu_ps((r1) + 2 * (ow) + 4);  \
    __m128 a = _mm_shuffle_ps(x0_, x1_, _MM_SHUFFLE(2, 0, 2, 0));                       \
    __m128 b = _mm_shuffle_ps(x0_, x1_, _MM_SHUFFLE(3, 1, 3, 1));                       \
    __m128 c = _mm_shuffle_ps(y0_, y1_, _MM_SHUFFLE(2, 0, 2, 0));                       \
    __m128 d = _mm_shuffle_ps(y0_, y1_, _MM_SHUFFLE(3, 1, 3, 1))

static void pool2_row_sse(const float *r0, const float *r1, float *m, int64_t OW) {
    for (int64_t ow = 0; ow < OW; ow += 4) {
        if (ow + 4 > OW) ow = OW - 4;
        SSE_POOL_LOAD(r0, r1, ow);
        __m128 u = sse_sel(sse_take(b, a), b, a), v = sse_sel(sse_take(d, c), d, c);
        _mm_storeu_ps(m + ow, sse_sel(sse_take(v, u), v, u));
    }
}

/* Adds g into the first element of each window equal to its max m (no NaN in m). */
static void pool2_back_row_sse(const float *r0, const float *r1, const float *m, const float *g, float *d0,
                               float *d1, int64_t OW) {
    for (int64_t ow = 0, done = 0; done < OW; ow += 4) {
        __m128 gv = _mm_loadu_ps(g + (ow + 4 > OW ? OW - 4 : ow));
        if (ow + 4 > OW) {
            /* lanes below done were added by the previous group */
            const int32_t lane[4] = {0, 1, 2, 3};
            ow = OW - 4;
            __m128i keep =
                _mm_cmpgt_epi32(_mm_loadu_si128((const __m128i *)lane), _mm_set1_epi32((int)(done - ow - 1)));
            gv = _mm_and_ps(gv, _mm_castsi128_ps(keep));
        }
        SSE_POOL_LOAD(r0, r1, ow);
        __m128 mv = _mm_loadu_ps(m + ow);
        (void)d; /* the winner when none of a, b, c is */
        __m128 ea = _mm_cmpeq_ps(a, mv), eb = _mm_cmpeq_ps(b, mv), ec = _mm_cmpeq_ps(c, mv);
        __m128 ab = _mm_or_ps(ea, eb), abc = _mm_or_ps(ab, ec);
        __m128 ga = _mm_and_ps(ea, gv), gb = _mm_andnot_ps(ea, _mm_and_ps(eb, gv));
        __m128 gc = _mm_andnot_ps(ab, _mm_and_ps(ec, gv)), gd = _mm_andnot_ps(abc, gv);
        float *p0 = d0 + 2 * ow, *p1 = d1 + 2 * ow;
        _mm_storeu_ps(p0, _mm_add_ps(_mm_loadu_ps(p0), _mm_unpacklo_ps(ga, gb)));
        _mm_storeu_ps(p0 + 4, _mm_add_ps(_mm_loadu_ps(p0 + 4), _mm_unpackhi_ps(ga, gb)));
        _mm_storeu_ps(p1, _mm_add_ps(_mm_loadu_ps(p1), _mm_unpacklo_ps(gc, gd)));
        _mm_storeu_ps(p1 + 4, _mm_add_ps(_mm_loadu_ps(p1 + 4), _mm_unpackhi_ps(gc, gd)));
        done = ow + 4;
    }
}

/* The AVX-512 copies (pool_avx512.c): the same windows, up to 16 a step, masked. */
// r0, r1 are two rows of 2*OW, m is (OW): the 2x2 windows' maxima
void nb__pool2_row_avx512(const float *r0, const float *r1, float *m, int64_t OW);
// r0, r1 and d0, d1 are two rows of 2*OW, m and g are (OW): d[the winner] += g (no NaN in m)
void nb__pool2_back_row_avx512(const float *r0, const float *r1, const float *m, const float *g, float *d0, float *d1,
                               int64_t OW);
// xp and dx are (2*OH,W), yp and g are (OH,OW), tmp holds 2*OH*W floats: dx[the winner] += g (no NaN in yp)
void nb__pool2_back_plane_avx512(const float *xp, const float *yp, const float *g, float *dx, int64_t W, int64_t OH,
                                 int64_t OW, float *tmp);
#endif

/* f32, k = 2: the SIMD forward of a plane; false when the build or the
 * shape has none (the SSE rows need OW >= 4). */
static bool pool2_plane_simd(const float *xp, float *yp, int64_t W, int64_t OH, int64_t OW) {
#if NB_X86_64
    const bool avx = nb__cpu().avx512;
    if (!(OW >= 4 || avx)) return false;
    for (int64_t oh = 0; oh < OH; oh++) {
        const float *r0 = xp + oh * 2 * W;
        (avx ? nb__pool2_row_avx512 : pool2_row_sse)(r0, r0 + W, yp + oh * OW, OW);
    }
    return true;
#else
    (void)xp, (void)yp, (void)W, (void)OH, (void)OW;
    return false;
#endif
}

/* f32, k = 2, no NaN in y: the whole plane in AVX-512 when the CPU has it
 * and the plane's gradient fits on the stack. */
static bool pool2_back_plane_avx512(const float *xp, const float *yp, const float *g, float *dx, int64_t W,
                                    int64_t OH, int64_t OW) {
#if NB_X86_64
    if (!nb__cpu().avx512 || 2 * OH * W > POOL2_TMP) return false;
    float tmp[POOL2_TMP];
    nb__pool2_back_plane_avx512(xp, yp, g, dx, W, OH, OW, tmp);
    return true;
#else
    (void)xp, (void)yp, (void)g, (void)dx, (void)W, (void)OH, (void)OW;
    return false;
#endif
}

/* f32, k = 2, no NaN in y: the SIMD backward of a plane, a plane or a row
 * pair at a time; false when the build or the shape has none. */
static bool pool2_back_plane_simd(const float *xp, const float *yp, const float *g, float *dx, int64_t W, int64_t OH,
                                  int64_t OW) {
    if (pool2_back_plane_avx512(xp, yp, g, dx, W, OH, OW)) return true;
#if NB_X86_64
    const bool avx = nb__cpu().avx512;
    if (!(OW >= 4 || avx)) return false;
    for (int64_t oh = 0; oh < OH; oh++) {
        const float *r0 = xp + oh * 2 * W;
        float *d0 = dx + oh * 2 * W;
        (avx ? nb__pool2_back_row_avx512 : pool2_back_row_sse)(r0, r0 + W, yp + oh * OW, g + oh * OW, d0, d0 + W,
                                                                OW);
    }
    return true;
#else
    return false;
#endif
}

void nb__pool_plane(nb_dtype dt, const void *xv, void *yv, int64_t W, int64_t k, int64_t OH, int64_t OW) {
    if (k == 2 && dt == NB_F32 && pool2_plane_simd(xv, yv, W, OH, OW)) return;
    NB_DISPATCH(dt, T, {
        const T *xp = xv;
        T *yp = yv;
        for (int64_t oh = 0; oh < OH; oh++) {
            T *restrict m = yp + oh * OW;
            const T *restrict r0 = xp + oh * k * W;
            if (k == 2) {
                const T *restrict r1 = r0 + W;
                for (int64_t ow = 0; ow < OW; ow++) {
                    T a = r0[2 * ow], b = r0[2 * ow + 1], c = r1[2 * ow], d = r1[2 * ow + 1];
                    T u = POOL_TAKE(b, a) ? b : a, v = POOL_TAKE(d, c) ? d : c;
                    m[ow] = POOL_TAKE(v, u) ? v : u;
                }
                continue;
            }
            for (int64_t ow = 0; ow < OW; ow++) {
                const T *w0 = r0 + ow * k;
                T best = w0[0];
                for (int64_t kh = 0; kh < k; kh++)
                    for (int64_t kw = 0; kw < k; kw++) {
                        T v = w0[kh * W + kw];
                        best = POOL_TAKE(v, best) ? v : best;
                    }
                m[ow] = best;
            }
        }
    });
}

/* The window's winner as the forward chose it, from its values v (n of
 * them, row-major) and its max m: the first element equal to m, or when m is
 * NaN the last NaN (each NaN replaced the running max in the scan). */
#define POOL_WINNER(v, n, m, out)                                               \
    do {                                                                        \
        int64_t w_ = 0;                                                         \
        if ((m) != (m)) {                                                       \
            for (int64_t i_ = 0; i_ < (n); i_++)                                \
                if ((v)[i_] != (v)[i_]) w_ = i_;                                \
        } else {                                                                \
            while (w_ < (n) - 1 && !((v)[w_] == (m))) w_++;                     \
        }                                                                       \
        (out) = w_;                                                             \
    } while (0)

void nb__pool_back_plane(nb_dtype dt, const void *xv, const void *yv, const void *dyv, void *dxv, int64_t W, int64_t k,
                         int64_t OH, int64_t OW) {
    NB_DISPATCH(dt, T, {
        const T *xp = xv, *yp = yv, *dyp = dyv;
        T *dx = dxv;
        bool nan = false;
        for (int64_t j = 0; j < OH * OW; j++) nan |= yp[j] != yp[j];
        if (k == 2 && !nan && dt == NB_F32 &&
            pool2_back_plane_simd((const float *)xp, (const float *)yp, (const float *)dyp, (float *)dx, W, OH, OW))
            return;
        for (int64_t oh = 0; oh < OH; oh++) {
            const T *restrict r0 = xp + oh * k * W, *restrict m = yp + oh * OW, *restrict g = dyp + oh * OW;
            T *restrict d0 = dx + oh * k * W;
            if (k == 2 && !nan) {
                /* the first of the four equal to the max, as selects that vectorise */
                const T *restrict r1 = r0 + W;
                T *restrict d1 = d0 + W;
                for (int64_t ow = 0; ow < OW; ow++) {
                    T mv = m[ow], gv = g[ow], z = 0;
                    bool ea = r0[2 * ow] == mv, eb = r0[2 * ow + 1] == mv, ec = r1[2 * ow] == mv;
                    bool ta = ea, tb = !ea & eb, tc = !ea & !eb & ec, td = !ea & !eb & !ec;
                    d0[2 * ow] += ta ? gv : z;
                    d0[2 * ow + 1] += tb ? gv : z;
                    d1[2 * ow] += tc ? gv : z;
                    d1[2 * ow + 1] += td ? gv : z;
                }
                continue;
            }
            T win[64];
            for (int64_t ow = 0; ow < OW; ow++) {
                int64_t w = 0;
                if (k * k <= 64) {
                    for (int64_t kh = 0; kh < k; kh++)
                        for (int64_t kw = 0; kw < k; kw++) win[kh * k + kw] = r0[ow * k + kh * W + kw];
                    POOL_WINNER(win, k * k, m[ow], w);
                } else {
                    /* a large window: scan it in place */
                    T mv = m[ow];
                    bool nan = mv != mv, found = false;
                    for (int64_t i = 0; i < k * k && (nan || !found); i++) {
                        T v = r0[ow * k + (i / k) * W + i % k];
                        if (nan ? v != v : v == mv) w = i, found = true;
                    }
                }
                d0[ow * k + (w / k) * W + w % k] += g[ow];
            }
        }
    });
}

void nb__relu_mask(nb_dtype dt, const void *ov, const void *gv, void *mv, int64_t n) {
    NB_DISPATCH(dt, T, {
        const T *restrict o = ov, *restrict g = gv;
        T *restrict m = mv;
        for (int64_t j = 0; j < n; j++) {
            T gj = g[j], zero = 0; /* loaded either way, so the select vectorises */
            m[j] = o[j] > 0 ? gj : zero;
        }
    });
}

void nb__relu_pool2_back_plane(nb_dtype dt, const void *zv, const void *ov, const void *mv, void *dzv, int64_t OW,
                               int64_t PH, int64_t PW) {
    /* a window with o = 0 has upstream 0: whichever element it picks gets 0 */
    if (dt == NB_F32 && pool2_back_plane_avx512(zv, ov, mv, dzv, OW, PH, PW)) return;
    NB_DISPATCH(dt, T, {
        const T *zp = zv, *op = ov, *mp = mv;
        T *d = dzv;
        for (int64_t ph = 0; ph < PH; ph++)
            for (int64_t pw = 0; pw < PW; pw++) {
                T o = op[ph * PW + pw];
                if (!(o > 0)) continue;
                const T *w0 = zp + 2 * ph * OW + 2 * pw;
                T win[4] = {w0[0], w0[1], w0[OW], w0[OW + 1]};
                int64_t k;
                POOL_WINNER(win, 4, o, k);
                d[2 * ph * OW + 2 * pw + (k / 2) * OW + k % 2] += mp[ph * PW + pw];
            }
    });
}
