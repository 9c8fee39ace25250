/* Internal: the layout transforms and loops under the convolution and
 * pooling ops (ops/conv.c holds the ops' math): im2col and its adjoint, the
 * transposes (conv_layout.c), and the max-pool windows in scalar, SSE2 and
 * AVX-512 copies (pool.c, pool_avx512.c). Every kernel takes one sample or
 * one plane; the ops loop over the batch. All arrays are contiguous
 * row-major of the dtype dt unless a row stride is given. */
#ifndef NABLA_CONV_KERNELS_H
#define NABLA_CONV_KERNELS_H

#include <stdbool.h>
#include <stdint.h>

#include "nabla/tensor.h"

/* One convolution's shapes: x (C,H,W), w (F,C,KH,KW), stride s, padding pad,
 * output (F,OH,OW); K = C*KH*KW rows and P = OH*OW columns of im2col. */
typedef struct conv_geom {
    int64_t C, H, W, F, KH, KW, OH, OW, K, P;
    int s, pad;
} conv_geom;

/* ---- conv_layout.c ---- */

// x is (C,H,W), col is (K,P): col[(c*KH + kh)*KW + kw][oh*OW + ow] = x[c][oh*s + kh - pad][ow*s + kw - pad], 0 in the padding
void nb__im2col(nb_dtype dt, const conv_geom *g, const void *x, void *col);
// dcol is (K,P), dx is (C,H,W): dx += col2im(dcol), im2col's adjoint; dcol is scratch (its padding entries are zeroed)
void nb__col2im_add(nb_dtype dt, const conv_geom *g, void *dcol, void *dx);
// src is (R,Cn) with row stride lds, dst is (Cn,R) with row stride ldd: dst = srcᵀ
void nb__transpose(nb_dtype dt, int64_t R, int64_t Cn, const void *src, int64_t lds, void *dst, int64_t ldd);
/* Whether im2colT orders its columns (kh, kw, c) (true) or (c, kh, kw). */
bool nb__colT_hwc(const conv_geom *g);
// x is (C,H,W), colT is (P,ldc) (its first K columns written), xt is (H+2pad,W+2pad,C) with a zeroed border
// (used when nb__colT_hwc), scratch is (K,P) (used otherwise): colT = im2col(x)ᵀ in the order nb__colT_hwc says
void nb__im2colT(nb_dtype dt, const conv_geom *g, const void *x, void *xt, void *scratch, void *colT, int64_t ldc);

/* ---- pool.c ----
 * Max pooling, k x k windows at stride k: a candidate replaces the running
 * max when it is larger or NaN, so the first maximum wins ties (PyTorch's
 * choice) and a NaN wins its window. */

// x is (H,W) (only the first OH*k rows and OW*k columns are read), y is (OH,OW): y = each window's max
void nb__pool_plane(nb_dtype dt, const void *x, void *y, int64_t W, int64_t k, int64_t OH, int64_t OW);
// x is (H,W), y and dy are (OH,OW), dx is (H,W): dx[the window's winner] += dy, found again from x and y
void nb__pool_back_plane(nb_dtype dt, const void *x, const void *y, const void *dy, void *dx, int64_t W, int64_t k,
                         int64_t OH, int64_t OW);
// o, g and m are (n): m = g [o > 0], ReLU's backward
void nb__relu_mask(nb_dtype dt, const void *o, const void *g, void *m, int64_t n);
// z is (OH,OW) with OW its row length, o and m are (PH,PW), dz is (OH,OW): for o = relu(pool2(z)) and
// m = ∂L/∂o [o > 0], dz[the 2x2 window's winner] += m where o > 0 (o is then the max, not NaN)
void nb__relu_pool2_back_plane(nb_dtype dt, const void *z, const void *o, const void *m, void *dz, int64_t OW,
                               int64_t PH, int64_t PW);

#endif
