/* Elementwise ops: binary ones broadcast as NumPy does, unary ones map.
 * Each forward is followed by its backward; the math is in one comment line
 * with g = dL/dz for the output z. */
/* Type-generic math: a float argument calls expf, tanhf..., so f32 ops stay f32. */
#include <tgmath.h>

#include "kernels/vmath.h"
#include "ops/broadcast.h"
#include "nabla/ops.h"

/* ---- binary ---------------------------------------------------------------
 * z = a (op) b over the broadcast shape. The backward forms each input's term
 * over the output's shape and un-broadcasts it into the input's gradient. */

typedef enum { BIN_ADD, BIN_SUB, BIN_MUL, BIN_DIV } bin_kind;

static void binary_backward(nb_node *n);
static nb_status binary_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out);
const nb_op nb__op_add = {"add", binary_backward, binary_jvp}, nb__op_sub = {"sub", binary_backward, binary_jvp},
                   nb__op_mul = {"mul", binary_backward, binary_jvp}, nb__op_div = {"div", binary_backward, binary_jvp};
static const nb_op *const bin_ops[] = {&nb__op_add, &nb__op_sub, &nb__op_mul, &nb__op_div};

/* The loop over one row, unit-stride when neither operand is broadcast along it. */
#define BIN_LOOP(EXPR)                                                                        \
    if (sa == 1 && sb == 1) for (int64_t i = 0; i < len; i++) rz[i] = (T)(ra[i] EXPR rb[i]);  \
    else for (int64_t i = 0; i < len; i++) rz[i] = (T)(ra[i * sa] EXPR rb[i * sb]);

static nb_tensor *binary(nb_ctx *ctx, bin_kind kind, nb_tensor *a, nb_tensor *b) {
    const nb_op *op = bin_ops[kind];
    nb_tensor *in[2] = {a, b};
    if (!nb__check_inputs(ctx, op->name, 2, in)) return NULL;
    int nd;
    int64_t shape[NB_MAX_DIMS];
    if (!nb__broadcast_shape(op->name, a, b, &nd, shape)) return NULL;
    nb_tensor *z = nb__op_out(ctx, op, a->dtype, nd, shape, 2, in);
    if (!z) return NULL;
    nb_node *n = nb__node(z);
    if (n) n->i[0] = kind;
    nb_rows r;
    nb__rows_begin(&r, nd, shape);
    nb__bstrides(r.nd, r.shape, a->ndim, a->shape, r.st[0]);
    nb__bstrides(r.nd, r.shape, b->ndim, b->shape, r.st[1]);
    int64_t sa = r.st[0][r.nd - 1], sb = r.st[1][r.nd - 1];
    NB_DISPATCH(a->dtype, T, {
        const T *pa = a->data, *pb = b->data;
        T *pz = z->data;
        for (int64_t row = 0; row < r.rows; row++, nb__rows_next(&r)) {
            const T *ra = pa + r.off[0], *rb = pb + r.off[1];
            T *rz = pz + row * r.len;
            int64_t len = r.len;

            switch (kind) {
            case BIN_ADD: BIN_LOOP(+) break;
            case BIN_SUB: BIN_LOOP(-) break;
            case BIN_MUL: BIN_LOOP(*) break;
            case BIN_DIV: BIN_LOOP(/) break;
            }
        }
    });
    return z;
}

nb_tensor *nb_add(nb_ctx *ctx, nb_tensor *a, nb_tensor *b) { return binary(ctx, BIN_ADD, a, b); }
nb_tensor *nb_sub(nb_ctx *ctx, nb_tensor *a, nb_tensor *b) { return binary(ctx, BIN_SUB, a, b); }
nb_tensor *nb_mul(nb_ctx *ctx, nb_tensor *a, nb_tensor *b) { return binary(ctx, BIN_MUL, a, b); }
nb_tensor *nb_div(nb_ctx *ctx, nb_tensor *a, nb_tensor *b) { return binary(ctx, BIN_DIV, a, b); }

/* z = a + b: da = g, db = g        z = a - b: da = g, db = -g
 * z = a b:   da = g b, db = g a    z = a / b: da = g / b, db = -g z / b
 * (each summed over the dims where its input was broadcast) */
static void binary_backward(nb_node *n) {
    nb_ctx *ctx = nb__ctx(n);
    nb_tensor *z = n->out, *a = n->in[0], *b = n->in[1];
    bin_kind kind = (bin_kind)n->i[0];
    for (int which = 0; which < 2; which++) {
        nb_tensor *x = n->in[which];
        if (!x->requires_grad) continue;
        void *gx = nb__grad(ctx, x);
        if (!gx) return;
        double sign = (which == 1 && kind == BIN_SUB) ? -1 : 1;
        if (kind == BIN_ADD || kind == BIN_SUB) {
            nb__unbroadcast_add(z->dtype, gx, x->ndim, x->shape, z->grad->data, z->ndim, z->shape, sign);
            continue;
        }
        /* the term over z's shape, then un-broadcast */
        void *term = nb__alloc(ctx, (size_t)z->numel * nb_dtype_size(z->dtype), false);
        if (!term) return; /* the arena's failure is ctx's: the reverse pass stops */
        nb_rows r;
        nb__rows_begin(&r, z->ndim, z->shape);
        nb__bstrides(r.nd, r.shape, a->ndim, a->shape, r.st[0]);
        nb__bstrides(r.nd, r.shape, b->ndim, b->shape, r.st[1]);
        int64_t sa = r.st[0][r.nd - 1], sb = r.st[1][r.nd - 1];
        NB_DISPATCH(z->dtype, T, {
            const T *pa = a->data, *pb = b->data, *pg = z->grad->data, *pz = z->data;
            T *t = term;
            for (int64_t row = 0; row < r.rows; row++, nb__rows_next(&r)) {
                const T *ra = pa + r.off[0], *rb = pb + r.off[1];
                int64_t o = row * r.len;
                for (int64_t i = 0; i < r.len; i++) {
                    T av = ra[i * sa], bv = rb[i * sb], g = pg[o + i];
                    if (kind == BIN_MUL) t[o + i] = which ? g * av : g * bv;
                    else t[o + i] = which ? -g * pz[o + i] / bv : g / bv;
                }
            }
        });
        nb__unbroadcast_add(z->dtype, gx, x->ndim, x->shape, term, z->ndim, z->shape, 1.0);
    }
}

/* z = a + b: dz = da + db     z = a - b: dz = da - db
 * z = a b:   dz = da b + a db  z = a / b: dz = (da - z db) / b
 * (over z's shape: a lone term is broadcast up to it) */
static nb_status binary_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) {
    nb_tensor *a = n->in[0], *b = n->in[1], *z = n->out, *t = NULL;
    switch ((bin_kind)n->i[0]) {
    case BIN_ADD: t = nb__tan_add(ctx, dt[0], dt[1]); break;
    case BIN_SUB: t = nb__tan_add(ctx, dt[0], dt[1] ? nb_neg(ctx, dt[1]) : NULL); break;
    case BIN_MUL:
        t = nb__tan_add(ctx, dt[0] ? nb_mul(ctx, dt[0], b) : NULL, dt[1] ? nb_mul(ctx, a, dt[1]) : NULL);
        break;
    case BIN_DIV:
        t = nb_div(ctx, nb__tan_add(ctx, dt[0], dt[1] ? nb_neg(ctx, nb_mul(ctx, z, dt[1])) : NULL), b);
        break;
    }
    return nb__tan_done(t ? nb__tan_expand(ctx, t, z->ndim, z->shape) : NULL, out);
}

/* ---- unary ----------------------------------------------------------------
 * y = f(x) elementwise; dx = g f'(x), written with x, y and the attribute p. */

#define UNARY_OP(NAME, FWD, BWD, VF32, JVP)                                                       \
    static void NAME##_backward(nb_node *n) {                                          \
        nb_tensor *xt = n->in[0], *yt = n->out;                                        \
        if (!xt->requires_grad) return;                                                \
        void *gx = nb__grad(nb__ctx(n), xt);                                           \
        if (!gx) return;                                                               \
        const double p = n->f;                                                         \
        (void)p;                                                                       \
        NB_DISPATCH(xt->dtype, T, {                                                    \
            const T *px = xt->data, *py = yt->data, *pg = yt->grad->data;              \
            T *d = gx;                                                                 \
            for (int64_t i = 0; i < xt->numel; i++) {                                  \
                const T x = px[i], y = py[i], g = pg[i];                               \
                (void)x;                                                               \
                (void)y;                                                               \
                d[i] += (T)(BWD);                                                      \
            }                                                                          \
        });                                                                            \
    }                                                                                  \
    const nb_op nb__op_##NAME = {#NAME, NAME##_backward, JVP};                         \
    static nb_tensor *NAME##_forward(nb_ctx *ctx, nb_tensor *xt, double p) {           \
        nb_tensor *yt = nb__op_out(ctx, &nb__op_##NAME, xt ? xt->dtype : NB_F32,           \
                                   xt ? xt->ndim : 0, xt ? xt->shape : NULL, 1, &xt);  \
        if (!yt) return NULL;                                                          \
        if (yt->node) yt->node->f = p;                                                 \
        (void)p;                                                                       \
        void (*vf32)(const float *, float *, int64_t) = VF32;                          \
        if (vf32 && xt->dtype == NB_F32) {                                             \
            vf32(xt->data, yt->data, xt->numel);                                       \
            return yt;                                                                 \
        }                                                                              \
        NB_DISPATCH(xt->dtype, T, {                                                    \
            const T *px = xt->data;                                                    \
            T *py = yt->data;                                                          \
            for (int64_t i = 0; i < xt->numel; i++) {                                  \
                const T x = px[i];                                                     \
                py[i] = (T)(FWD);                                                      \
            }                                                                          \
        });                                                                            \
        return yt;                                                                     \
    }

/* The tangents, dy = f'(x) dx, with x and y as tensors on the tape. */
#define UNARY_JVP(NAME, EXPR)                                                                           \
    static nb_status NAME##_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) { \
        nb_tensor *x = n->in[0], *y = n->out, *d = dt[0];                                               \
        (void)x, (void)y;                                                                               \
        return nb__tan_done(EXPR, out);                                                                 \
    }
UNARY_JVP(neg, nb_neg(ctx, d))
UNARY_JVP(pow, nb_mul(ctx, d, nb_scale(ctx, nb_pow(ctx, x, n->f - 1), n->f)))
UNARY_JVP(exp, nb_mul(ctx, d, y))
UNARY_JVP(log, nb_div(ctx, d, x))
UNARY_JVP(sqrt, nb_div(ctx, nb_scale(ctx, d, 0.5), y))
UNARY_JVP(tanh, nb_sub(ctx, d, nb_mul(ctx, nb_mul(ctx, d, y), y)))
UNARY_JVP(sigmoid, nb_sub(ctx, nb_mul(ctx, d, y), nb_mul(ctx, nb_mul(ctx, d, y), y)))
UNARY_JVP(relu, nb_mul(ctx, d, nb__mask_pos(ctx, x, false)))
UNARY_JVP(abs, nb_mul(ctx, d, nb__mask_pos(ctx, x, true)))
UNARY_JVP(scale, nb_scale(ctx, d, n->f))

UNARY_OP(neg, -x, -g, NULL, neg_jvp)                                             /* y = -x:      dx = -g */
UNARY_OP(pow, pow(x, p), g * p * pow(x, p - 1), NULL, pow_jvp)                   /* y = x^p:     dx = g p x^(p-1) */
UNARY_OP(exp, exp(x), g * y, nb__vexp_f32, exp_jvp)                              /* y = e^x:     dx = g y */
UNARY_OP(log, log(x), g / x, NULL, log_jvp)                                      /* y = log x:   dx = g / x */
UNARY_OP(sqrt, sqrt(x), g / (2 * y), NULL, sqrt_jvp)                              /* y = sqrt x:  dx = g / 2y */
UNARY_OP(tanh, tanh(x), g * (1 - y * y), nb__vtanh_f32, tanh_jvp)                 /* y = tanh x:  dx = g (1 - y^2) */
UNARY_OP(sigmoid, x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x)),
         g * y * (1 - y), nb__vsigmoid_f32, sigmoid_jvp)                             /* y = s(x):    dx = g y (1 - y) */
UNARY_OP(relu, x > 0 ? x : 0, x > 0 ? g : 0, NULL, relu_jvp)                      /* y = max(x,0): dx = g [x > 0] */
UNARY_OP(abs, x < 0 ? -x : x, x > 0 ? g : (x < 0 ? -g : 0), NULL, abs_jvp)       /* y = |x|:     dx = g sign x */
UNARY_OP(scale, p * x, p * g, NULL, scale_jvp)                                     /* y = p x:     dx = p g */

nb_tensor *nb_neg(nb_ctx *ctx, nb_tensor *x) { return neg_forward(ctx, x, 0); }
nb_tensor *nb_pow(nb_ctx *ctx, nb_tensor *x, double p) {
    if (!isfinite(p)) {
        nb_fail(NB_EINVAL, "pow: the exponent must be finite, got %g", p);
        return NULL;
    }
    return pow_forward(ctx, x, p);
}
nb_tensor *nb_exp(nb_ctx *ctx, nb_tensor *x) { return exp_forward(ctx, x, 0); }
nb_tensor *nb_log(nb_ctx *ctx, nb_tensor *x) { return log_forward(ctx, x, 0); }
nb_tensor *nb_sqrt(nb_ctx *ctx, nb_tensor *x) { return sqrt_forward(ctx, x, 0); }
nb_tensor *nb_tanh(nb_ctx *ctx, nb_tensor *x) { return tanh_forward(ctx, x, 0); }
nb_tensor *nb_sigmoid(nb_ctx *ctx, nb_tensor *x) { return sigmoid_forward(ctx, x, 0); }
nb_tensor *nb_relu(nb_ctx *ctx, nb_tensor *x) { return relu_forward(ctx, x, 0); }
nb_tensor *nb_abs(nb_ctx *ctx, nb_tensor *x) { return abs_forward(ctx, x, 0); }
nb_tensor *nb_scale(nb_ctx *ctx, nb_tensor *x, double s) {
    if (!isfinite(s)) {
        nb_fail(NB_EINVAL, "scale: the factor must be finite, got %g", s);
        return NULL;
    }
    return scale_forward(ctx, x, s);
}
