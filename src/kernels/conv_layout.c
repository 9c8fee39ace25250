/* The convolution's layout transforms: im2col, its adjoint, and the
 * transposes of the backward (shapes in conv_kernels.h). */
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "core/internal.h"
#include "kernels/conv_kernels.h"

/* ---- im2col / col2im ------------------------------------------------------
 * col[(c*KH + kh)*KW + kw][oh*OW + ow] = x[c][oh*s + kh - pad][ow*s + kw - pad],
 * 0 where that falls in the padding. */

/* The ow for which iw = ow*s + kw - pad lies in [0, W): [*lo, *hi). */
static void valid_ow(const conv_geom *g, int64_t kw, int64_t *lo, int64_t *hi) {
    int64_t a = g->pad - kw; /* iw >= 0  <=>  ow*s >= a */
    int64_t l = a <= 0 ? 0 : (a + g->s - 1) / g->s;
    int64_t b = g->W - 1 + g->pad - kw; /* iw <= W-1  <=>  ow*s <= b */
    int64_t h = b < 0 ? 0 : b / g->s + 1;
    *lo = l < g->OW ? l : g->OW;
    *hi = h < g->OW ? h : g->OW;
    if (*hi < *lo) *hi = *lo;
}

/* Zeroes columns [0, lo) and [hi, OW) of rows [oh0, oh1) of an (OH,OW) row
 * of col: a column at a time, since the runs are a pad wide (a memset call
 * per row costs more than the stores). */
#define zero_border(row, OW, oh0, oh1, lo, hi)                                   \
    do {                                                                        \
        for (int64_t ow_ = 0; ow_ < (lo); ow_++)                                \
            for (int64_t oh_ = (oh0); oh_ < (oh1); oh_++) (row)[oh_ * (OW) + ow_] = 0; \
        for (int64_t ow_ = (hi); ow_ < (OW); ow_++)                             \
            for (int64_t oh_ = (oh0); oh_ < (oh1); oh_++) (row)[oh_ * (OW) + ow_] = 0; \
    } while (0)

void nb__im2col(nb_dtype dt, const conv_geom *g, const void *xv, void *colv) {
    /* Stride 1 with OW == W (a "same" convolution, the common case): each
     * row of col is the plane shifted by (kh - pad, kw - pad), so it is one
     * contiguous copy of the valid rows, after which the element per row
     * that wrapped around from the neighbouring row is zeroed. */
    bool same = g->s == 1 && g->OW == g->W;
    NB_DISPATCH(dt, T, {
        const T *x = xv;
        T *col = colv;
        for (int64_t c = 0; c < g->C; c++)
            for (int64_t kh = 0; kh < g->KH; kh++)
                for (int64_t kw = 0; kw < g->KW; kw++) {
                    T *row = col + ((c * g->KH + kh) * g->KW + kw) * g->P;
                    int64_t lo, hi;
                    valid_ow(g, kw, &lo, &hi);
                    if (same) {
                        int64_t dh = kh - g->pad, dw = kw - g->pad;
                        int64_t oh0 = dh < 0 ? -dh : 0, oh1 = g->H - dh < g->OH ? g->H - dh : g->OH;
                        if (oh1 < oh0) oh1 = oh0;
                        memset(row, 0, (size_t)(oh0 * g->OW) * sizeof(T));
                        memset(row + oh1 * g->OW, 0, (size_t)((g->OH - oh1) * g->OW) * sizeof(T));
                        if (oh1 == oh0) continue;
                        /* flat j = oh*W + ow reads x[j + dh*W + dw]; clip the ends of the run */
                        int64_t j0 = oh0 * g->W, j1 = oh1 * g->W;
                        const T *src = x + c * g->H * g->W + dh * g->W + dw;
                        int64_t a = j0, e = j1;
                        if (dw < 0) a = j0 - dw; /* first row's leading elements are padding */
                        if (dw > 0) e = j1 - dw; /* last row's trailing elements are padding */
                        for (int64_t j = j0; j < a; j++) row[j] = 0;
                        memcpy(row + a, src + a, (size_t)(e - a) * sizeof(T));
                        for (int64_t j = e; j < j1; j++) row[j] = 0;
                        zero_border(row, g->OW, oh0, oh1, lo, hi);
                        continue;
                    }
                    for (int64_t oh = 0; oh < g->OH; oh++) {
                        T *dst = row + oh * g->OW;
                        int64_t ih = oh * g->s + kh - g->pad;
                        if (ih < 0 || ih >= g->H) {
                            for (int64_t ow = 0; ow < g->OW; ow++) dst[ow] = 0;
                            continue;
                        }
                        const T *src = x + (c * g->H + ih) * g->W + kw - g->pad;
                        for (int64_t ow = 0; ow < lo; ow++) dst[ow] = 0;
                        if (g->s == 1)
                            for (int64_t ow = lo; ow < hi; ow++) dst[ow] = src[ow];
                        else
                            for (int64_t ow = lo; ow < hi; ow++) dst[ow] = src[ow * g->s];
                        for (int64_t ow = hi; ow < g->OW; ow++) dst[ow] = 0;
                    }
                }
    });
}

/* dx (C,H,W) += col2im(dcol (K,P)): the adjoint of im2col. For a "same"
 * stride-1 convolution, as in im2col, each row of dcol adds into the plane
 * as one contiguous run; its entries that belong to the padding are zeroed
 * first (dcol is scratch), so the run adds 0 where it wraps between rows. */
void nb__col2im_add(nb_dtype dt, const conv_geom *g, void *dcolv, void *dxv) {
    bool same = g->s == 1 && g->OW == g->W;
    NB_DISPATCH(dt, T, {
        T *dcol = dcolv;
        T *dx = dxv;
        for (int64_t c = 0; c < g->C; c++)
            for (int64_t kh = 0; kh < g->KH; kh++)
                for (int64_t kw = 0; kw < g->KW; kw++) {
                    T *row = dcol + ((c * g->KH + kh) * g->KW + kw) * g->P;
                    int64_t lo, hi;
                    valid_ow(g, kw, &lo, &hi);
                    if (same) {
                        int64_t dh = kh - g->pad, dw = kw - g->pad;
                        int64_t oh0 = dh < 0 ? -dh : 0, oh1 = g->H - dh < g->OH ? g->H - dh : g->OH;
                        if (oh1 <= oh0) continue;
                        zero_border(row, g->OW, oh0, oh1, lo, hi);
                        int64_t a = oh0 * g->W, e = oh1 * g->W;
                        if (dw < 0) a -= dw;
                        if (dw > 0) e -= dw;
                        T *restrict dst = dx + c * g->H * g->W + dh * g->W + dw;
                        const T *restrict src = row;
                        for (int64_t j = a; j < e; j++) dst[j] += src[j];
                        continue;
                    }
                    for (int64_t oh = 0; oh < g->OH; oh++) {
                        int64_t ih = oh * g->s + kh - g->pad;
                        if (ih < 0 || ih >= g->H) continue;
                        const T *src = row + oh * g->OW;
                        T *dst = dx + (c * g->H + ih) * g->W + kw - g->pad;
                        if (g->s == 1)
                            for (int64_t ow = lo; ow < hi; ow++) dst[ow] += src[ow];
                        else
                            for (int64_t ow = lo; ow < hi; ow++) dst[ow * g->s] += src[ow];
                    }
                }
    });
}

/* dst[c*ldd + r] = src[r*lds + c] for r < R, c < Cn: 4 x 4 blocks in SSE
 * registers for f32, the ragged edges one element at a time. */
void nb__transpose(nb_dtype dt, int64_t R, int64_t Cn, const void *srcv, int64_t lds, void *dstv, int64_t ldd) {
    int64_t r4 = 0, c4 = 0;
#if defined(__SSE2__)
    if (dt == NB_F32) {
        const float *src = srcv;
        float *dst = dstv;
        r4 = R / 4 * 4, c4 = Cn / 4 * 4;
        for (int64_t c = 0; c < c4; c += 4)
            for (int64_t r = 0; r < r4; r += 4) {
                const float *s = src + r * lds + c;
                __m128 a = _mm_loadu_ps(s), b = _mm_loadu_ps(s + lds), e = _mm_loadu_ps(s + 2 * lds),
                       f = _mm_loadu_ps(s + 3 * lds);
                _MM_TRANSPOSE4_PS(a, b, e, f);
                float *d = dst + c * ldd + r;
                _mm_storeu_ps(d, a), _mm_storeu_ps(d + ldd, b), _mm_storeu_ps(d + 2 * ldd, e);
                _mm_storeu_ps(d + 3 * ldd, f);
            }
    }
#endif
    NB_DISPATCH(dt, T, {
        const T *src = srcv;
        T *dst = dstv;
        for (int64_t c = 0; c < Cn; c++)
            for (int64_t r = c < c4 ? r4 : 0; r < R; r++) dst[c * ldd + r] = src[r * lds + c];
    });
}

/* The backward's column matrix, transposed: colT (P, ldc), a row per
 * output position, so ∂L/∂w comes out of a GEMM whose operands need no
 * transposing pack. Its K columns are in one of two orders:
 *  - (kh, kw, c), when KW*C >= 16 (colT_hwc): x goes first into xt, x
 *    padded and channels-last (H+2pad, W+2pad, C), whose border the caller
 *    has zeroed; then each (p, kh) of colT is one copy of KW*C values of xt.
 *    colT[p][(kh*KW + kw)*C + c] = x[c][oh*s + kh - pad][ow*s + kw - pad].
 *  - (c, kh, kw), im2col's own, otherwise (runs too short to copy): im2col
 *    into scratch (K,P), then transposed. */
bool nb__colT_hwc(const conv_geom *g) { return g->KW * g->C >= 16; }

void nb__im2colT(nb_dtype dt, const conv_geom *g, const void *xv, void *xtv, void *scratch, void *colv,
                 int64_t ldc) {
    if (!nb__colT_hwc(g)) {
        nb__im2col(dt, g, xv, scratch);
        nb__transpose(dt, g->K, g->P, scratch, g->P, colv, ldc);
        return;
    }
    const int64_t Wp = g->W + 2 * (int64_t)g->pad, C = g->C, run = g->KW * C;
    size_t es = nb_dtype_size(dt);
    for (int64_t h = 0; h < g->H; h++)
        nb__transpose(dt, C, g->W, (const unsigned char *)xv + (size_t)(h * g->W) * es, g->H * g->W,
                  (unsigned char *)xtv + (size_t)(((h + g->pad) * Wp + g->pad) * C) * es, C);
    NB_DISPATCH(dt, T, {
        const T *xt = xtv;
        T *col = colv;
        for (int64_t oh = 0; oh < g->OH; oh++)
            for (int64_t ow = 0; ow < g->OW; ow++) {
                T *dst = col + (oh * g->OW + ow) * ldc;
                for (int64_t kh = 0; kh < g->KH; kh++)
                    memcpy(dst + kh * run, xt + ((oh * g->s + kh) * Wp + ow * g->s) * C, (size_t)run * sizeof(T));
            }
    });
}
