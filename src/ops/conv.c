/* Convolution and pooling: conv2d through nb_gemm via im2col, max_pool2d, and
 * conv2d_relu_pool, the two with a ReLU as one op (at the end of the file).
 *
 * conv2d works one sample at a time: im2col unrolls x_n (C,H,W) into a
 * column matrix col_n (K,P), K = C*KH*KW, P = OH*OW, held in a per-thread
 * buffer small enough to stay in cache, and one GEMM makes the sample's
 * output y_n (F,P) = w (F,K) col_n. The bias rides in the same GEMM as an
 * extra column of w against a row of ones under col_n, so the backward's
 * one product per sample gives dW and db together. Samples go to threads.
 * The backward rebuilds col_n rather than keeping it (a cheap recompute
 * from a cached x_n, against K*P floats per sample of saved memory).
 * Every sum that crosses samples (dW, db) is taken over fixed chunks of the
 * batch, each chunk in sample order, then the chunks in order: the result
 * depends on the shapes alone, never on the thread count. */
#ifdef _OPENMP
#include <omp.h>
#endif

#include "core/internal.h"
#include "kernels/kernels.h"

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Every product runs in the op's context: its scratch, and its first-error
 * slot, which a worker's failure sets for the op to see after the loop. */
static void gemm(nb_ctx *ctx, nb_dtype dt, bool ta, bool tb, int64_t M, int64_t N, int64_t K, double alpha, const void *A,
                 int64_t lda, const void *B, int64_t ldb, double beta, void *C, int64_t ldc) {
    nb__gemm(ctx, dt, ta, tb, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc, NULL, NB_SPLIT_AUTO);
}

static int thread_id(void) {
#ifdef _OPENMP
    return omp_get_thread_num();
#else
    return 0;
#endif
}

/* ---- im2col / col2im ------------------------------------------------------
 * col[(c*KH + kh)*KW + kw][oh*OW + ow] = x[c][oh*s + kh - pad][ow*s + kw - pad],
 * 0 where that falls in the padding. */
typedef struct conv_geom {
    int64_t C, H, W, F, KH, KW, OH, OW, K, P;
    int s, pad;
} conv_geom;

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

static void im2col(nb_dtype dt, const conv_geom *g, const void *xv, void *colv) {
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
static void col2im_add(nb_dtype dt, const conv_geom *g, void *dcolv, void *dxv) {
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
static void transpose(nb_dtype dt, int64_t R, int64_t Cn, const void *srcv, int64_t lds, void *dstv, int64_t ldd) {
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
static bool colT_hwc(const conv_geom *g) { return g->KW * g->C >= 16; }

static void im2col(nb_dtype dt, const conv_geom *g, const void *xv, void *colv);

static void im2colT(nb_dtype dt, const conv_geom *g, const void *xv, void *xtv, void *scratch, void *colv,
                    int64_t ldc) {
    if (!colT_hwc(g)) {
        im2col(dt, g, xv, scratch);
        transpose(dt, g->K, g->P, scratch, g->P, colv, ldc);
        return;
    }
    const int64_t Wp = g->W + 2 * (int64_t)g->pad, C = g->C, run = g->KW * C;
    size_t es = nb_dtype_size(dt);
    for (int64_t h = 0; h < g->H; h++)
        transpose(dt, C, g->W, (const unsigned char *)xv + (size_t)(h * g->W) * es, g->H * g->W,
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

/* A 1x1, stride-1, unpadded convolution needs no im2col: col_n is x_n. */
static bool is_pointwise(const conv_geom *g) {
    return g->KH == 1 && g->KW == 1 && g->s == 1 && g->pad == 0;
}

static conv_geom geom_of(const nb_tensor *x, const nb_tensor *w, int stride, int pad) {
    conv_geom g;
    g.C = x->shape[1], g.H = x->shape[2], g.W = x->shape[3];
    g.F = w->shape[0], g.KH = w->shape[2], g.KW = w->shape[3];
    g.s = stride, g.pad = pad;
    g.OH = (g.H + 2 * (int64_t)pad - g.KH) / stride + 1;
    g.OW = (g.W + 2 * (int64_t)pad - g.KW) / stride + 1;
    g.K = g.C * g.KH * g.KW, g.P = g.OH * g.OW;
    return g;
}

/* n ones of dtype dt at p. */
static void ones(nb_dtype dt, void *p, int64_t n) {
    NB_DISPATCH(dt, T, {
        T *o = p;
        for (int64_t i = 0; i < n; i++) o[i] = 1;
    });
}

/* [w | b]: w (F,K) with b (F) as a last column, (F,K+1), in the arena. */
static void *with_bias(nb_ctx *ctx, nb_dtype dt, const void *wv, const void *bv, int64_t F, int64_t K) {
    void *out = nb__alloc(ctx, (size_t)(F * (K + 1)) * nb_dtype_size(dt), false);
    if (out)
        NB_DISPATCH(dt, T, {
            const T *w = wv, *b = bv;
            T *o = out;
            for (int64_t f = 0; f < F; f++) {
                memcpy(o + f * (K + 1), w + f * K, (size_t)K * sizeof(T));
                o[f * (K + 1) + K] = b[f];
            }
        });
    return out;
}

/* ---- conv2d ---------------------------------------------------------------- */
static void conv2d_backward(nb_node *n);
const nb_op nb__op_conv2d = {"conv2d", conv2d_backward};

/* x (N,C,H,W), w (F,C,KH,KW), b (F) or NULL -> y (N,F,OH,OW),
 * OH = (H + 2 pad - KH)/stride + 1 (floor), likewise OW. */
nb_tensor *nb_conv2d(nb_ctx *ctx, nb_tensor *x, nb_tensor *w, nb_tensor *b, int stride, int pad) {
    nb_tensor *in[3] = {x, w, b};
    int nin = b ? 3 : 2;
    if (!nb__check_inputs(ctx, "conv2d", nin, in)) return NULL;
    char sx[96], sw[96], sb[96];
    nb_shape_str(x, sx, sizeof sx);
    nb_shape_str(w, sw, sizeof sw);
    if (x->ndim != 4 || w->ndim != 4) {
        nb_fail(NB_ESHAPE, "conv2d: input %s and weight %s must both be 4-D: (N,C,H,W) and (F,C,KH,KW)", sx, sw);
        return NULL;
    }
    if (x->shape[1] != w->shape[1]) {
        nb_fail(NB_ESHAPE, "conv2d: input %s and weight %s disagree on channels", sx, sw);
        return NULL;
    }
    if (b && (b->ndim != 1 || b->shape[0] != w->shape[0])) {
        nb_fail(NB_ESHAPE, "conv2d: bias %s does not match weight %s: expected (%lld)",
                nb_shape_str(b, sb, sizeof sb), sw, (long long)w->shape[0]);
        return NULL;
    }
    if (stride < 1 || pad < 0) {
        nb_fail(NB_EINVAL, "conv2d: stride %d must be >= 1 and pad %d >= 0", stride, pad);
        return NULL;
    }
    if (x->shape[2] + 2 * (int64_t)pad < w->shape[2] || x->shape[3] + 2 * (int64_t)pad < w->shape[3]) {
        nb_fail(NB_ESHAPE, "conv2d: kernel of weight %s is larger than input %s padded by %d", sw, sx, pad);
        return NULL;
    }
    conv_geom g = geom_of(x, w, stride, pad);
    int64_t N = x->shape[0];
    nb_dtype dt = x->dtype;
    size_t es = nb_dtype_size(dt);
    nb_tensor *y = nb__op_out(ctx, &nb__op_conv2d, dt, NB_SHAPE(N, g.F, g.OH, g.OW), nin, in);
    if (!y) return NULL;
    nb_node *node = nb__node(y);
    if (node) node->i[0] = stride, node->i[1] = pad;
    if (N == 0 || g.F == 0 || g.P == 0) return y;

    /* The bias rides in the GEMM: w1 = [w | b] (F,K+1) and col1 = [col; 1] (K+1,P). */
    int64_t K1 = b ? g.K + 1 : g.K;
    bool pointwise = is_pointwise(&g) && !b;
    const void *w1 = b ? with_bias(ctx, dt, w->data, b->data, g.F, g.K) : w->data;
    int nt = nb_ctx_threads(ctx);
    if (nt > N) nt = (int)N;
    if (nt < 1) nt = 1;
    unsigned char *cols = NULL;
    if (!w1 || (!pointwise && !(cols = nb__alloc(ctx, (size_t)nt * (size_t)(K1 * g.P) * es, false)))) return NULL;
    if (b)
        for (int t = 0; t < nt; t++) ones(dt, cols + ((size_t)t * (size_t)(K1 * g.P) + (size_t)(g.K * g.P)) * es, g.P);
    const unsigned char *xd = x->data;
    unsigned char *yd = y->data;
    /* One sample per thread at a time; with a single sample the GEMM gets the cores. */
    int par = nt > 1;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (par)
#endif
    for (int64_t i = 0; i < N; i++) {
        const void *xi = xd + (size_t)(i * g.C * g.H * g.W) * es;
        void *yi = yd + (size_t)(i * g.F * g.P) * es;
        const void *col = xi;
        if (!pointwise) {
            void *buf = cols + (size_t)(par ? thread_id() : 0) * (size_t)(K1 * g.P) * es;
            im2col(dt, &g, xi, buf);
            col = buf;
        }
        /* y_n (F,P) = w1 (F,K+1) col1_n (K+1,P) = w col_n + b 1ᵀ */
        gemm(ctx, dt, false, false, g.F, g.P, K1, 1.0, w1, K1, col, g.P, 0.0, yi, g.P);
    }
    return nb__ctx_check(ctx) ? NULL : y;
}

/* Chunks of the batch for the cross-sample sums: a function of the shapes
 * only, so dW and db come out the same whatever the thread count. */
static int64_t conv_chunks(int64_t N, int64_t F, int64_t K1) {
    int64_t nc = N < 16 ? N : 16;
    int64_t cap = (int64_t)1 << 23; /* elements of per-chunk partials at most */
    if (F * K1 > 0 && nc * F * K1 > cap) nc = cap / (F * K1);
    return nc < 1 ? 1 : nc;
}

static void relu_pool_back(nb_dtype dt, const conv_geom *g, const void *zi, const void *oi, const void *gi, void *dz,
                           void *gm);

/* The backward of conv2d, and of conv2d_relu_pool when z (the convolution's
 * output, saved by its forward) is given: then ∂L/∂y_n for the sample comes
 * from the pool's and ReLU's backward into a per-thread buffer, written
 * whole, rather than from a gradient tensor of z. */
static void conv_backward(nb_node *n, const nb_tensor *z) {
    nb_ctx *ctx = nb__ctx(n);
    nb_tensor *x = n->in[0], *w = n->in[1], *b = n->nin > 2 ? n->in[2] : NULL, *y = n->out;
    conv_geom g = geom_of(x, w, (int)n->i[0], (int)n->i[1]);
    int64_t N = x->shape[0];
    nb_dtype dt = x->dtype;
    size_t es = nb_dtype_size(dt);
    if (N == 0 || g.F == 0 || g.P == 0) return;
    bool want_x = x->requires_grad, want_w = w->requires_grad, want_b = b && b->requires_grad;
    void *dx = want_x ? nb__grad(ctx, x) : NULL;
    void *dw = want_w ? nb__grad(ctx, w) : NULL;
    void *db = want_b ? nb__grad(ctx, b) : NULL;
    if ((want_x && !dx) || (want_w && !dw) || (want_b && !db)) return;
    /* colT1 = [colT | 1] (P,K+1), the transposed columns of im2colT with a
     * column of ones, so one GEMM gives [dW | db] (dW in im2colT's order of
     * K, put back in the reduction; dcol_n is im2colT's scratch). When only db is wanted the GEMM runs
     * over the column of ones alone. A pointwise convolution without bias
     * reads x_n as col_n, transposed in the GEMM. With fewer columns K+1
     * than filters F (the first layer), nb_gemm would swap the product to
     * put F along its vectors and pack ∂L/∂y_n transposed into mostly
     * padding: instead the partial is [dW | db]ᵀ (K+1,F) = col1_n (∂L/∂y_n)ᵀ,
     * from the forward's col1_n (K+1,P) and (∂L/∂y_n)ᵀ (P,F) transposed here
     * once. */
    int64_t K1 = b ? g.K + 1 : g.K;
    bool pointwise = is_pointwise(&g) && !b;
    int64_t nc = conv_chunks(N, g.F, K1);
    int nt = nb_ctx_threads(ctx);
    if (nt > nc) nt = (int)nc;
    if (nt < 1) nt = 1;
    int64_t Hp = g.H + 2 * (int64_t)g.pad, Wp = g.W + 2 * (int64_t)g.pad;
    size_t k1p = (size_t)(K1 * g.P), kp = (size_t)(g.K * g.P), fk1 = (size_t)(g.F * K1);
    bool wT = want_w && !pointwise && K1 < g.F;
    const bool hwc = !pointwise && !wT && colT_hwc(&g);
    size_t xtn = hwc ? (size_t)(Hp * Wp * g.C) : 0, fp = wT ? (size_t)(g.F * g.P) : 0;
    size_t zp = z ? (size_t)(g.F * g.P) : 0, op = z ? (size_t)(g.F * (g.OH / 2) * (g.OW / 2)) : 0;
    size_t per = k1p + kp + xtn + fp + zp + op;
    /* per thread: colT1_n (P,K+1) (col1_n (K+1,P) if wT), dcol_n (K,P), xt_n (H+2pad,W+2pad,C), dyT_n (P,F) if wT;
     * per chunk: [dW | db] partial (F,K+1), or its transpose if wT */
    unsigned char *tbuf = nb__alloc(ctx, (size_t)nt * per * es + 64, false);
    unsigned char *part = nb__alloc(ctx, (size_t)nc * fk1 * es + 64, false);
    if (!tbuf || !part) return; /* the arena's failure is ctx's: the reverse pass stops */
    for (int t = 0; t < nt; t++) {
        unsigned char *mine = tbuf + (size_t)t * per * es;
        if (xtn) memset(mine + (k1p + kp) * es, 0, xtn * es); /* the padding border of xt */
        if (b && wT) ones(dt, mine + kp * es, g.P); /* the row of ones under col1 */
        else if (b)
            NB_DISPATCH(dt, T, {
                T *ct = (T *)mine;
                for (int64_t p = 0; p < g.P; p++) ct[p * K1 + g.K] = 1;
            });
    }
    const unsigned char *xd = x->data, *dyd = y->grad->data, *zd = z ? z->data : NULL, *od = y->data;
    unsigned char *dxd = dx;
    int par = nt > 1;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(dynamic, 1) if (par)
#endif
    for (int64_t c = 0; c < nc; c++) {
        unsigned char *mine = tbuf + (size_t)(par ? thread_id() : 0) * per * es;
        void *colT = mine, *dcol = mine + k1p * es, *xt = mine + (k1p + kp) * es;
        void *dyT = mine + (k1p + kp + xtn) * es;
        void *dz = mine + (k1p + kp + xtn + fp) * es, *gm = mine + (k1p + kp + xtn + fp + zp) * es;
        void *dwc = part + (size_t)c * fk1 * es;
        int64_t lo = c * N / nc, hi = (c + 1) * N / nc;
        for (int64_t i = lo; i < hi; i++) {
            const void *xi = xd + (size_t)(i * g.C * g.H * g.W) * es;
            const void *dyi = dz;
            if (z)
                relu_pool_back(dt, &g, zd + (size_t)(i * g.F * g.P) * es, od + (size_t)i * op * es,
                               dyd + (size_t)i * op * es, dz, gm);
            else
                dyi = dyd + (size_t)(i * g.F * g.P) * es;
            double beta = i == lo ? 0.0 : 1.0;
            if (want_w && pointwise) {
                // y_n = w x_n: ∂L/∂w += (∂L/∂y_n) x_nᵀ, (F,P)(P,K)
                gemm(ctx, dt, false, true, g.F, K1, g.P, 1.0, dyi, g.P, xi, g.P, beta, dwc, K1);
            } else if (wT) {
                void *col1 = colT; /* here [col_n; 1] (K+1,P), as in the forward */
                im2col(dt, &g, xi, col1);
                transpose(dt, g.F, g.P, dyi, g.P, dyT, g.F);
                // [∂L/∂w1]ᵀ += col1_n (∂L/∂y_n)ᵀ, (K+1,P)(P,F)
                gemm(ctx, dt, false, false, K1, g.F, g.P, 1.0, col1, g.P, dyT, g.F, beta, dwc, g.F);
            } else if (want_w) {
                im2colT(dt, &g, xi, xt, dcol, colT, K1);
                // y_n = w1 col1_n: ∂L/∂w1 += (∂L/∂y_n) colT1_n, (F,P)(P,K+1); its last column is ∂L/∂b
                gemm(ctx, dt, false, false, g.F, K1, g.P, 1.0, dyi, g.P, colT, K1, beta, dwc, K1);
            } else if (want_b) {
                // ∂L/∂b = (∂L/∂y_n) 1, (F,P)(P,1)
                gemm(ctx, dt, false, false, g.F, 1, g.P, 1.0, dyi, g.P, (unsigned char *)colT + (size_t)g.K * es, K1,
                        beta, (unsigned char *)dwc + (size_t)g.K * es, K1);
            }
            if (want_x) {
                void *dxi = dxd + (size_t)(i * g.C * g.H * g.W) * es;
                // ∂L/∂col_n = wᵀ (∂L/∂y_n), (K,F)(F,P); ∂L/∂x_n = col2im of it
                if (pointwise) {
                    gemm(ctx, dt, true, false, g.K, g.P, g.F, 1.0, w->data, g.K, dyi, g.P, 1.0, dxi, g.P);
                } else {
                    gemm(ctx, dt, true, false, g.K, g.P, g.F, 1.0, w->data, g.K, dyi, g.P, 0.0, dcol, g.P);
                    col2im_add(dt, &g, dcol, dxi);
                }
            }
        }
    }
    /* the chunks' partials, in chunk order; dW from im2colT's order back to (c, kh, kw) */
    const int64_t KK = g.KH * g.KW, C = hwc ? g.C : 1, R = hwc ? KK : g.K;
    const int64_t sf = wT ? 1 : K1, sk = wT ? g.F : 1; /* element (f, k) of a partial */
    NB_DISPATCH(dt, T, {
        for (int64_t c = 0; c < nc; c++) {
            const T *pw = (const T *)(part + (size_t)c * fk1 * es);
            for (int64_t f = 0; f < g.F; f++) {
                if (want_w) {
                    T *o = (T *)dw + f * g.K;
                    const T *q = pw + f * sf;
                    for (int64_t ch = 0; ch < C; ch++)
                        for (int64_t r = 0; r < R; r++) o[ch * R + r] += q[(r * C + ch) * sk];
                }
                if (want_b) ((T *)db)[f] += pw[f * sf + g.K * sk];
            }
        }
    });
}

static void conv2d_backward(nb_node *n) { conv_backward(n, NULL); }

/* ---- max_pool2d ------------------------------------------------------------ */
static void max_pool2d_backward(nb_node *n);
const nb_op nb__op_max_pool2d = {"max_pool2d", max_pool2d_backward};

/* One (H,W) plane -> (OH,OW): the window maxima. A candidate v replaces the
 * running max m when it is larger, or NaN: the first maximum wins ties
 * (PyTorch's choice), and a NaN wins the window, so NaNs propagate. No argmax
 * is stored: the backward finds the winner again from x and y (see
 * POOL_WINNER), which costs less than writing and reading an index per
 * output. For k = 2 each row's pair is reduced first, then the two rows:
 * the same winner as the row-major scan (a tie between the rows keeps the
 * upper). */
#define POOL_TAKE(v, m) ((v) > (m) || (v) != (v))

#if defined(__SSE2__)
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

static void pool2_row_f32(const float *r0, const float *r1, float *m, int64_t OW) {
    for (int64_t ow = 0; ow < OW; ow += 4) {
        if (ow + 4 > OW) ow = OW - 4;
        SSE_POOL_LOAD(r0, r1, ow);
        __m128 u = sse_sel(sse_take(b, a), b, a), v = sse_sel(sse_take(d, c), d, c);
        _mm_storeu_ps(m + ow, sse_sel(sse_take(v, u), v, u));
    }
}

/* Adds g into the first element of each window equal to its max m (no NaN in m). */
static void pool2_back_row_f32(const float *r0, const float *r1, const float *m, const float *g, float *d0,
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
#define HAVE_POOL2_SSE 1
#else
#define HAVE_POOL2_SSE 0
#endif

#if HAVE_POOL2_SSE && defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
/* The same two rows with AVX-512 where the CPU has it: up to 16 windows a
 * step, masked, so rows of 7 or 14 windows take one step. */
#define AVX512_FNS __attribute__((target("avx512f,avx512bw,avx512dq,avx512vl")))
typedef struct pool2_masks {
    __mmask16 w, lo, hi; /* windows; the row's first and second 16 inputs */
} pool2_masks;
AVX512_FNS static inline pool2_masks pool2_masks_of(int64_t n) {
    pool2_masks k;
    k.w = (__mmask16)((1u << n) - 1);
    k.lo = 2 * n >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << (2 * n)) - 1);
    k.hi = 2 * n > 16 ? (__mmask16)((1u << (2 * n - 16)) - 1) : 0;
    return k;
}
/* even and odd inputs of 2n at r */
AVX512_FNS static inline void pool2_split(const float *r, pool2_masks k, __m512 *ev, __m512 *od) {
    const __m512i ie = _mm512_setr_epi32(0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 20, 22, 24, 26, 28, 30);
    const __m512i io = _mm512_setr_epi32(1, 3, 5, 7, 9, 11, 13, 15, 17, 19, 21, 23, 25, 27, 29, 31);
    __m512 lo = _mm512_maskz_loadu_ps(k.lo, r), hi = _mm512_maskz_loadu_ps(k.hi, r + 16);
    *ev = _mm512_permutex2var_ps(lo, ie, hi);
    *od = _mm512_permutex2var_ps(lo, io, hi);
}
AVX512_FNS static inline __mmask16 avx_take(__m512 v, __m512 m) {
    return _mm512_cmp_ps_mask(v, m, _CMP_GT_OQ) | _mm512_cmp_ps_mask(v, v, _CMP_UNORD_Q);
}
AVX512_FNS static void pool2_row_avx512(const float *r0, const float *r1, float *m, int64_t OW) {
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
AVX512_FNS static inline void pool2_merge_add(float *d, pool2_masks k, __m512 e, __m512 o) {
    const __m512i il = _mm512_setr_epi32(0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    const __m512i ih = _mm512_setr_epi32(8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
    _mm512_mask_storeu_ps(d, k.lo, _mm512_add_ps(_mm512_maskz_loadu_ps(k.lo, d), _mm512_permutex2var_ps(e, il, o)));
    if (k.hi)
        _mm512_mask_storeu_ps(d + 16, k.hi,
                              _mm512_add_ps(_mm512_maskz_loadu_ps(k.hi, d + 16), _mm512_permutex2var_ps(e, ih, o)));
}
AVX512_FNS static void pool2_back_row_avx512(const float *r0, const float *r1, const float *m, const float *g,
                                             float *d0, float *d1, int64_t OW) {
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
AVX512_FNS static void pool2_back_plane_avx512(const float *xp, const float *yp, const float *g, float *dx,
                                               int64_t W, int64_t OH, int64_t OW, float *tmp) {
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
static inline bool pool2_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
           __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512vl");
}
#else
static inline bool pool2_avx512(void) { return false; }
static void pool2_back_plane_avx512(const float *xp, const float *yp, const float *g, float *dx, int64_t W,
                                    int64_t OH, int64_t OW, float *tmp) {
    (void)xp, (void)yp, (void)g, (void)dx, (void)W, (void)OH, (void)OW, (void)tmp;
}
#define pool2_row_avx512 pool2_row_f32
#define pool2_back_row_avx512 pool2_back_row_f32
#endif

static void pool_plane(nb_dtype dt, const void *xv, void *yv, int64_t W, int64_t k, int64_t OH, int64_t OW) {
#if HAVE_POOL2_SSE
    const bool avx = pool2_avx512();
#endif
    NB_DISPATCH(dt, T, {
        const T *xp = xv;
        T *yp = yv;
        for (int64_t oh = 0; oh < OH; oh++) {
            T *restrict m = yp + oh * OW;
            const T *restrict r0 = xp + oh * k * W;
#if HAVE_POOL2_SSE
            if (k == 2 && dt == NB_F32 && (OW >= 4 || avx)) {
                (avx ? pool2_row_avx512 : pool2_row_f32)((const float *)r0, (const float *)(r0 + W), (float *)m, OW);
                continue;
            }
#endif
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

/* x (N,C,H,W) -> y (N,C,OH,OW), OH = H/k, OW = W/k (floor): y = the max of
 * each k x k window at stride k (first in row-major order on ties, NaN wins). */
nb_tensor *nb_max_pool2d(nb_ctx *ctx, nb_tensor *x, int k) {
    if (!nb__check_inputs(ctx, "max_pool2d", 1, &x)) return NULL;
    char sx[96];
    if (x->ndim != 4) {
        nb_fail(NB_ESHAPE, "max_pool2d: input %s must be 4-D (N,C,H,W)", nb_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    if (k < 1 || x->shape[2] < k || x->shape[3] < k) {
        nb_fail(NB_EINVAL, "max_pool2d: window %d must be >= 1 and fit input %s", k, nb_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    if (x->shape[2] * x->shape[3] > INT32_MAX) {
        nb_fail(NB_ESHAPE, "max_pool2d: input %s has planes too large", nb_shape_str(x, sx, sizeof sx));
        return NULL;
    }
    int64_t N = x->shape[0], C = x->shape[1], H = x->shape[2], W = x->shape[3];
    int64_t OH = H / k, OW = W / k, planes = N * C;
    nb_tensor *y = nb__op_out(ctx, &nb__op_max_pool2d, x->dtype, NB_SHAPE(N, C, OH, OW), 1, &x);
    if (!y) return NULL;
    nb_node *node = nb__node(y);
    if (node) node->i[0] = k;
    int nt = nb_ctx_threads(ctx);
    int par = nt > 1 && planes > 1 && y->numel >= 4096;
    (void)par;
    size_t es = nb_dtype_size(x->dtype);
    const unsigned char *xd = x->data;
    unsigned char *yd = y->data;
#ifdef _OPENMP
#pragma omp parallel for num_threads(nt) schedule(static) if (par)
#endif
    for (int64_t pl = 0; pl < planes; pl++)
        pool_plane(x->dtype, xd + (size_t)(pl * H * W) * es, yd + (size_t)(pl * OH * OW) * es, W, k, OH, OW);
    return y;
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

#define POOL2_TMP 2048 /* floats of a plane's gradient held on the stack */
static void max_pool2d_backward(nb_node *n) {
    nb_tensor *x = n->in[0], *y = n->out;
    if (!x->requires_grad) return;
    void *dxv = nb__grad(nb__ctx(n), x);
    if (!dxv) return;
    int64_t k = n->i[0];
    int64_t planes = x->shape[0] * x->shape[1], H = x->shape[2], W = x->shape[3];
    int64_t OH = y->shape[2], OW = y->shape[3];
#if HAVE_POOL2_SSE
    const bool avx = pool2_avx512();
    float tmp[POOL2_TMP];
#endif
    // y = max over the window: ∂L/∂x_{argmax} += ∂L/∂y, 0 elsewhere
    NB_DISPATCH(x->dtype, T, {
        for (int64_t pl = 0; pl < planes; pl++) {
            const T *xp = (const T *)x->data + pl * H * W, *yp = (const T *)y->data + pl * OH * OW;
            const T *dyp = (const T *)y->grad->data + pl * OH * OW;
            T *dx = (T *)dxv + pl * H * W;
            bool nan = false;
            for (int64_t j = 0; j < OH * OW; j++) nan |= yp[j] != yp[j];
#if HAVE_POOL2_SSE
            if (k == 2 && !nan && avx && x->dtype == NB_F32 && 2 * OH * W <= POOL2_TMP) {
                pool2_back_plane_avx512((const float *)xp, (const float *)yp, (const float *)dyp, (float *)dx, W, OH,
                                        OW, tmp);
                continue;
            }
#endif
            for (int64_t oh = 0; oh < OH; oh++) {
                const T *restrict r0 = xp + oh * k * W, *restrict m = yp + oh * OW, *restrict g = dyp + oh * OW;
                T *restrict d0 = dx + oh * k * W;
#if HAVE_POOL2_SSE
                if (k == 2 && !nan && x->dtype == NB_F32 && (OW >= 4 || avx)) {
                    (avx ? pool2_back_row_avx512 : pool2_back_row_f32)((const float *)r0, (const float *)(r0 + W),
                                                                       (const float *)m, (const float *)g,
                                                                       (float *)d0, (float *)(d0 + W), OW);
                    continue;
                }
#endif
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
        }
    });
}

/* ---- conv2d_relu_pool -------------------------------------------------------
 * relu(max_pool2d(conv2d(x, w, b, stride, pad), 2)), the CNN's block, as one
 * op: its backward writes each sample's ∂L/∂z into a buffer that stays in
 * cache and goes straight into the convolution's products, where the three
 * ops apart would zero, fill and re-read full-batch gradients of z and of
 * the pooled z. ReLU after the pool equals ReLU before it (ReLU is monotone). */
static void conv2d_relu_pool_backward(nb_node *n);
const nb_op nb__op_conv2d_relu_pool = {"conv2d_relu_pool", conv2d_relu_pool_backward};

nb_tensor *nb_conv2d_relu_pool(nb_ctx *ctx, nb_tensor *x, nb_tensor *w, nb_tensor *b, int stride, int pad) {
    nb_tensor *in[3] = {x, w, b};
    int nin = b ? 3 : 2;
    if (!nb__check_inputs(ctx, "conv2d_relu_pool", nin, in)) return NULL;
    bool was = nb_ctx_set_grad(ctx, false);
    nb_tensor *z = nb_conv2d(ctx, x, w, b, stride, pad); /* z (N,F,OH,OW), kept for the backward */
    nb_ctx_set_grad(ctx, was);
    if (!z) return NULL;
    int64_t N = z->shape[0], F = z->shape[1], OH = z->shape[2], OW = z->shape[3], PH = OH / 2, PW = OW / 2;
    if (PH < 1 || PW < 1) {
        char sz[96];
        nb_fail(NB_ESHAPE, "conv2d_relu_pool: the convolution's output %s is smaller than the 2x2 pool",
                nb_shape_str(z, sz, sizeof sz));
        return NULL;
    }
    nb_tensor *y = nb__op_out(ctx, &nb__op_conv2d_relu_pool, x->dtype, NB_SHAPE(N, F, PH, PW), nin, in);
    if (!y) return NULL;
    nb_node *node = nb__node(y);
    if (node) node->i[0] = stride, node->i[1] = pad, node->saved = z;
    size_t es = nb_dtype_size(x->dtype);
    for (int64_t pl = 0; pl < N * F; pl++)
        pool_plane(x->dtype, (unsigned char *)z->data + (size_t)(pl * OH * OW) * es,
                   (unsigned char *)y->data + (size_t)(pl * PH * PW) * es, OW, 2, PH, PW);
    NB_DISPATCH(x->dtype, T, {
        T *o = y->data;
        for (int64_t j = 0; j < y->numel; j++) o[j] = o[j] > 0 ? o[j] : 0;
    });
    return y;
}

/* m = g [o > 0], n values: ReLU's backward, in its own loop so it vectorises. */
static void relu_mask(nb_dtype dt, const void *ov, const void *gv, void *mv, int64_t n) {
    NB_DISPATCH(dt, T, {
        const T *restrict o = ov, *restrict g = gv;
        T *restrict m = mv;
        for (int64_t j = 0; j < n; j++) {
            T gj = g[j], zero = 0; /* loaded either way, so the select vectorises */
            m[j] = o[j] > 0 ? gj : zero;
        }
    });
}

/* One sample: dz (F,OH,OW) := ∂L/∂z from o = relu(pool(z)) and gi = ∂L/∂o.
 * ReLU passes gi where o > 0, and there o is the window's max, not NaN, so
 * the pool's winner is the first element equal to o. gm (F,PH,PW) is scratch. */
static void relu_pool_back(nb_dtype dt, const conv_geom *g, const void *zi, const void *oi, const void *gi, void *dz,
                           void *gm) {
    int64_t OH = g->OH, OW = g->OW, PH = OH / 2, PW = OW / 2;
    memset(dz, 0, (size_t)(g->F * OH * OW) * nb_dtype_size(dt));
    // o = max(pool(z), 0): ∂L/∂pool = ∂L/∂o [o > 0]
    relu_mask(dt, oi, gi, gm, g->F * PH * PW);
#if HAVE_POOL2_SSE
    const bool avx = pool2_avx512();
    float tmp[POOL2_TMP];
#endif
    NB_DISPATCH(dt, T, {
        const T *o = oi;
        const T *m = gm;
        for (int64_t f = 0; f < g->F; f++) {
            const T *zp = (const T *)zi + f * OH * OW, *op = o + f * PH * PW, *mp = m + f * PH * PW;
            T *d = (T *)dz + f * OH * OW;
#if HAVE_POOL2_SSE
            if (avx && dt == NB_F32 && 2 * PH * OW <= POOL2_TMP) {
                /* a window with o = 0 has upstream 0: whichever element it picks gets 0 */
                pool2_back_plane_avx512((const float *)zp, (const float *)op, (const float *)mp, (float *)d, OW, PH,
                                        PW, tmp);
                continue;
            }
#endif
            // pool: ∂L/∂z_{argmax} += ∂L/∂pool
            for (int64_t ph = 0; ph < PH; ph++)
                for (int64_t pw = 0; pw < PW; pw++) {
                    T ov = op[ph * PW + pw];
                    if (!(ov > 0)) continue;
                    const T *w0 = zp + 2 * ph * OW + 2 * pw;
                    T win[4] = {w0[0], w0[1], w0[OW], w0[OW + 1]};
                    int64_t k;
                    POOL_WINNER(win, 4, ov, k);
                    d[2 * ph * OW + 2 * pw + (k / 2) * OW + k % 2] += mp[ph * PW + pw];
                }
        }
    });
}

static void conv2d_relu_pool_backward(nb_node *n) { conv_backward(n, n->saved); }
