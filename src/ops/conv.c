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
#include "nabla/ops.h"
#include "kernels/conv_kernels.h"
#include "kernels/kernels.h"

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
static nb_status conv2d_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out);
const nb_op nb__op_conv2d = {"conv2d", conv2d_backward, conv2d_jvp};

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
            nb__im2col(dt, &g, xi, buf);
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
    const bool hwc = !pointwise && !wT && nb__colT_hwc(&g);
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
                nb__im2col(dt, &g, xi, col1);
                nb__transpose(dt, g.F, g.P, dyi, g.P, dyT, g.F);
                // [∂L/∂w1]ᵀ += col1_n (∂L/∂y_n)ᵀ, (K+1,P)(P,F)
                gemm(ctx, dt, false, false, K1, g.F, g.P, 1.0, col1, g.P, dyT, g.F, beta, dwc, g.F);
            } else if (want_w) {
                nb__im2colT(dt, &g, xi, xt, dcol, colT, K1);
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
                    nb__col2im_add(dt, &g, dcol, dxi);
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
static nb_status max_pool2d_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out);
const nb_op nb__op_max_pool2d = {"max_pool2d", max_pool2d_backward, max_pool2d_jvp};

/* The windows' loops are in kernels/pool.c: the first maximum wins ties, a
 * NaN wins its window; no argmax is stored (the backward finds the winner
 * again from x and y). */

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
        nb__pool_plane(x->dtype, xd + (size_t)(pl * H * W) * es, yd + (size_t)(pl * OH * OW) * es, W, k, OH, OW);
    return y;
}

static void max_pool2d_backward(nb_node *n) {
    nb_tensor *x = n->in[0], *y = n->out;
    if (!x->requires_grad) return;
    void *dxv = nb__grad(nb__ctx(n), x);
    if (!dxv) return;
    int64_t k = n->i[0];
    int64_t planes = x->shape[0] * x->shape[1], H = x->shape[2], W = x->shape[3];
    int64_t OH = y->shape[2], OW = y->shape[3];
    size_t es = nb_dtype_size(x->dtype);
    // y = max over the window: ∂L/∂x_{argmax} += ∂L/∂y, 0 elsewhere
    for (int64_t pl = 0; pl < planes; pl++)
        nb__pool_back_plane(x->dtype, (const unsigned char *)x->data + (size_t)(pl * H * W) * es,
                            (const unsigned char *)y->data + (size_t)(pl * OH * OW) * es,
                            (const unsigned char *)y->grad->data + (size_t)(pl * OH * OW) * es,
                            (unsigned char *)dxv + (size_t)(pl * H * W) * es, W, k, OH, OW);
}

/* ---- conv2d_relu_pool -------------------------------------------------------
 * relu(max_pool2d(conv2d(x, w, b, stride, pad), 2)), the CNN's block, as one
 * op: its backward writes each sample's ∂L/∂z into a buffer that stays in
 * cache and goes straight into the convolution's products, where the three
 * ops apart would zero, fill and re-read full-batch gradients of z and of
 * the pooled z. ReLU after the pool equals ReLU before it (ReLU is monotone). */
static void conv2d_relu_pool_backward(nb_node *n);
static nb_status conv2d_relu_pool_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out);
const nb_op nb__op_conv2d_relu_pool = {"conv2d_relu_pool", conv2d_relu_pool_backward, conv2d_relu_pool_jvp};

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
        nb__pool_plane(x->dtype, (unsigned char *)z->data + (size_t)(pl * OH * OW) * es,
                   (unsigned char *)y->data + (size_t)(pl * PH * PW) * es, OW, 2, PH, PW);
    NB_DISPATCH(x->dtype, T, {
        T *o = y->data;
        for (int64_t j = 0; j < y->numel; j++) o[j] = o[j] > 0 ? o[j] : 0;
    });
    return y;
}

/* One sample: dz (F,OH,OW) := ∂L/∂z from o = relu(pool(z)) and gi = ∂L/∂o.
 * ReLU passes gi where o > 0, and there o is the window's max, not NaN, so
 * the pool's winner is the first element equal to o. gm (F,PH,PW) is scratch. */
static void relu_pool_back(nb_dtype dt, const conv_geom *g, const void *zi, const void *oi, const void *gi, void *dz,
                           void *gm) {
    int64_t OH = g->OH, OW = g->OW, PH = OH / 2, PW = OW / 2;
    size_t es = nb_dtype_size(dt);
    memset(dz, 0, (size_t)(g->F * OH * OW) * es);
    // o = max(pool(z), 0): ∂L/∂pool = ∂L/∂o [o > 0]
    nb__relu_mask(dt, oi, gi, gm, g->F * PH * PW);
    // pool: ∂L/∂z_{argmax} += ∂L/∂pool
    for (int64_t f = 0; f < g->F; f++)
        nb__relu_pool2_back_plane(dt, (const unsigned char *)zi + (size_t)(f * OH * OW) * es,
                                  (const unsigned char *)oi + (size_t)(f * PH * PW) * es,
                                  (const unsigned char *)gm + (size_t)(f * PH * PW) * es,
                                  (unsigned char *)dz + (size_t)(f * OH * OW) * es, OW, PH, PW);
}

static void conv2d_relu_pool_backward(nb_node *n) { conv_backward(n, n->saved); }

/* ---- forward mode ------------------------------------------------------------ */

/* The tangent of conv2d(x, w, b): dy = conv(dx, w) + conv(x, dw, db), or db
 * alone broadcast over (N,F,OH,OW). */
static nb_tensor *conv_tangent(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, int ndim, const int64_t *shape) {
    nb_tensor *x = n->in[0], *w = n->in[1];
    int stride = (int)n->i[0], pad = (int)n->i[1];
    nb_tensor *db = n->nin > 2 ? dt[2] : NULL, *t = dt[0] ? nb_conv2d(ctx, dt[0], w, NULL, stride, pad) : NULL;
    if (dt[1]) t = nb__tan_add(ctx, t, nb_conv2d(ctx, x, dt[1], db, stride, pad));
    else if (db) t = nb__tan_add(ctx, t, nb_reshape(ctx, db, NB_SHAPE(1, db->shape[0], 1, 1)));
    return t ? nb__tan_expand(ctx, t, ndim, shape) : NULL;
}

static nb_status conv2d_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) {
    return nb__tan_done(conv_tangent(ctx, n, dt, n->out->ndim, n->out->shape), out);
}

/* The flat index in z (planes, H, W) of each k x k window's max (the first
 * on ties; a NaN wins), as the pool kernels choose it. */
static int64_t *pool_argmax(nb_ctx *ctx, const nb_tensor *z, int64_t k, int64_t OH, int64_t OW) {
    int64_t planes = z->shape[0] * z->shape[1], H = z->shape[2], W = z->shape[3];
    int64_t cnt = planes * OH * OW;
    int64_t *idx = nb__alloc(ctx, (size_t)(cnt > 0 ? cnt : 1) * sizeof *idx, false);
    if (idx)
        NB_DISPATCH(z->dtype, T, {
            const T *pz = z->data;
            for (int64_t pl = 0; pl < planes; pl++)
                for (int64_t i = 0; i < OH; i++)
                    for (int64_t j = 0; j < OW; j++) {
                        int64_t best = pl * H * W + i * k * W + j * k;
                        for (int64_t a = 0; a < k; a++)
                            for (int64_t b = 0; b < k; b++) {
                                int64_t at = pl * H * W + (i * k + a) * W + j * k + b;
                                if (pz[best] == pz[best] && (pz[at] > pz[best] || pz[at] != pz[at])) best = at;
                            }
                        idx[(pl * OH + i) * OW + j] = best;
                    }
        });
    return idx;
}

/* y = max over each window: dy = dx at the window's argmax */
static nb_status max_pool2d_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) {
    const nb_tensor *y = n->out;
    int64_t *idx = pool_argmax(ctx, n->in[0], n->i[0], y->shape[2], y->shape[3]);
    if (!idx) return nb__ctx_check(ctx);
    return nb__tan_done(nb__gather(ctx, dt[0], y->ndim, y->shape, idx), out);
}

/* y = relu(pool(z)), z = conv2d(x, w, b) (saved): dy = [y > 0] dz at z's
 * windows' argmax, dz the convolution's tangent; the mask and the argmax
 * are constants, so the curvature comes from dz's dependence on x and w. */
static nb_status conv2d_relu_pool_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) {
    const nb_tensor *z = n->saved, *y = n->out;
    nb_tensor *dz = conv_tangent(ctx, n, dt, z->ndim, z->shape);
    int64_t *idx = dz ? pool_argmax(ctx, z, 2, y->shape[2], y->shape[3]) : NULL;
    if (!idx) return nb_errcode() ? nb_errcode() : nb__ctx_check(ctx);
    return nb__tan_done(nb_mul(ctx, nb__gather(ctx, dz, y->ndim, y->shape, idx), nb__mask_pos(ctx, y, false)), out);
}
