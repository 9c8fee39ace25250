/* Softmax family and losses. x is viewed as (outer, n, inner) around the axis. */
#include <math.h>

#include "core/team.h"
#include "ops/broadcast.h"
#include "nabla/ops.h"

typedef struct { int64_t outer, n, inner; } axis_view;

static axis_view view_around(const nb_tensor *x, int a) {
    axis_view v = {1, x->shape[a], 1};
    for (int i = 0; i < a; i++) v.outer *= x->shape[i];
    for (int i = a + 1; i < x->ndim; i++) v.inner *= x->shape[i];
    return v;
}

static void softmax_backward(nb_node *n);
extern const nb_op nb__op_softmax;
/* y = softmax(x):     dy = y (dx - sum_k y_k dx_k)
 * y = log_softmax(x): dy = dx - sum_k e^{y_k} dx_k */
static nb_status softmax_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) {
    nb_tensor *y = n->out, *d = dt[0];
    int a = (int)n->i[0];
    if (n->op == &nb__op_softmax)
        return nb__tan_done(nb_mul(ctx, y, nb_sub(ctx, d, nb_sum(ctx, nb_mul(ctx, y, d), NB_AXES(a), true))), out);
    return nb__tan_done(nb_sub(ctx, d, nb_sum(ctx, nb_mul(ctx, nb_exp(ctx, y), d), NB_AXES(a), true)), out);
}
const nb_op nb__op_softmax = {"softmax", softmax_backward, softmax_jvp},
            nb__op_log_softmax = {"log_softmax", softmax_backward, softmax_jvp};

static nb_tensor *softmax(nb_ctx *ctx, const nb_op *op, nb_tensor *x, int axis, bool logp) {
    if (!nb__check_inputs(ctx, op->name, 1, &x)) return NULL;
    int a;
    if (!nb__axis(op->name, x->ndim, axis, &a)) return NULL;
    nb_tensor *y = nb__op_out(ctx, op, x->dtype, x->ndim, x->shape, 1, &x);
    if (!y) return NULL;
    if (y->node) y->node->i[0] = a;
    axis_view v = view_around(x, a);
    NB_DISPATCH(x->dtype, T, {
        const T *px = x->data;
        T *py = y->data;
        for (int64_t o = 0; o < v.outer; o++)
            for (int64_t in = 0; in < v.inner; in++) {
                const T *p = px + o * v.n * v.inner + in;
                T *q = py + o * v.n * v.inner + in;
                T m = p[0];
                for (int64_t k = 1; k < v.n; k++) m = p[k * v.inner] > m ? p[k * v.inner] : m;
                double s = 0;
                for (int64_t k = 0; k < v.n; k++) s += exp((double)(p[k * v.inner] - m));
                double ls = log(s);
                for (int64_t k = 0; k < v.n; k++) {
                    double z = (double)(p[k * v.inner] - m);
                    q[k * v.inner] = (T)(logp ? z - ls : exp(z - ls));
                }
            }
    });
    return y;
}

nb_tensor *nb_softmax(nb_ctx *ctx, nb_tensor *x, int axis) { return softmax(ctx, &nb__op_softmax, x, axis, false); }
nb_tensor *nb_log_softmax(nb_ctx *ctx, nb_tensor *x, int axis) {
    return softmax(ctx, &nb__op_log_softmax, x, axis, true);
}

/* y = softmax(x):     dx = y (g - sum_k g_k y_k)
 * y = log_softmax(x): dx = g - e^y sum_k g_k */
static void softmax_backward(nb_node *n) {
    nb_tensor *x = n->in[0], *y = n->out;
    if (!x->requires_grad) return;
    void *gx = nb__grad(nb__ctx(n), x);
    if (!gx) return;
    bool logp = n->op == &nb__op_log_softmax;
    axis_view v = view_around(x, (int)n->i[0]);
    NB_DISPATCH(x->dtype, T, {
        const T *py = y->data, *pg = y->grad->data;
        T *d = gx;
        for (int64_t o = 0; o < v.outer; o++)
            for (int64_t in = 0; in < v.inner; in++) {
                int64_t base = o * v.n * v.inner + in;
                double s = 0;
                for (int64_t k = 0; k < v.n; k++) {
                    int64_t j = base + k * v.inner;
                    s += logp ? (double)pg[j] : (double)pg[j] * (double)py[j];
                }
                for (int64_t k = 0; k < v.n; k++) {
                    int64_t j = base + k * v.inner;
                    d[j] += logp ? (T)(pg[j] - exp((double)py[j]) * s) : (T)(py[j] * (pg[j] - s));
                }
            }
    });
}

/* ---- softmax cross-entropy with integer labels, fused -----------------------
 * L = (1/N) sum_i -log softmax(x_i)[y_i]; the probabilities are saved. */

static void xent_backward(nb_node *n);
/* L = mean_i -log p_i[y_i]: dL = (1/N) sum_i (softmax(x_i) - onehot(y_i)) . dx_i,
 * the softmax on the tape (its derivative is the loss's curvature) */
static nb_status xent_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) {
    nb_tensor *x = n->in[0];
    int64_t N = x->shape[0], C = x->shape[1];
    const int32_t *lab = (const int32_t *)(intptr_t)n->i[0];
    nb_tensor *hot = nb_zeros(ctx, x->dtype, x->ndim, x->shape);
    if (!hot) return nb_errcode();
    for (int64_t i = 0; i < N; i++) nb_tensor_set(hot, i * C + lab[i], 1.0);
    nb_tensor *p = nb_softmax(ctx, x, 1);
    return nb__tan_done(nb_scale(ctx, nb_sum(ctx, nb_mul(ctx, nb_sub(ctx, p, hot), dt[0]), NB_ALL_AXES, false),
                                 1.0 / (double)N), out);
}
const nb_op nb__op_xent = {"softmax_cross_entropy", xent_backward, xent_jvp};

/* Rows [lo, hi): each row's loss log sum exp(x - max) - (x_y - max) into rl,
 * and (for the backward) its softmax. Rows are independent, so a team may
 * share them out; the caller sums rl in row order. */
typedef struct xent_job {
    nb_dtype dt;
    int64_t C;
    const void *x;
    const int32_t *labels;
    void *prob; /* or NULL */
    double *rl;
} xent_job;

static void xent_rows(void *arg, int64_t lo, int64_t hi) {
    const xent_job *a = arg;
    const int64_t C = a->C;
    NB_DISPATCH(a->dt, T, {
        T *pp = a->prob;
        for (int64_t i = lo; i < hi; i++) {
            const T *row = (const T *)a->x + i * C;
            T m = row[0];
            for (int64_t k = 1; k < C; k++) m = row[k] > m ? row[k] : m;
            double e[64], s = 0; /* a short row's exponentials are kept, a long row's recomputed */
            for (int64_t k = 0; k < C; k++) {
                double v = exp((double)(row[k] - m));
                if (k < 64) e[k] = v;
                s += v;
            }
            a->rl[i] = log(s) - (double)(row[a->labels[i]] - m);
            if (pp)
                for (int64_t k = 0; k < C; k++) pp[i * C + k] = (T)((k < 64 ? e[k] : exp((double)(row[k] - m))) / s);
        }
    });
}

nb_tensor *nb_softmax_cross_entropy(nb_ctx *ctx, nb_tensor *logits, const int32_t *labels) {
    if (!nb__check_inputs(ctx, "softmax_cross_entropy", 1, &logits)) return NULL;
    char s[96];
    if (logits->ndim != 2 || logits->shape[0] < 1 || logits->shape[1] < 1) {
        nb_fail(NB_ESHAPE, "softmax_cross_entropy: logits must be (N,C) with N, C >= 1, got %s",
                nb_shape_str(logits, s, sizeof s));
        return NULL;
    }
    if (!labels) {
        nb_fail(NB_EINVAL, "softmax_cross_entropy: NULL labels");
        return NULL;
    }
    int64_t N = logits->shape[0], C = logits->shape[1];
    for (int64_t i = 0; i < N; i++)
        if (labels[i] < 0 || labels[i] >= C) {
            nb_fail(NB_EINVAL, "softmax_cross_entropy: label %d of row %lld is outside [0, %lld)", (int)labels[i],
                    (long long)i, (long long)C);
            return NULL;
        }
    nb_tensor *y = nb__op_out(ctx, &nb__op_xent, logits->dtype, 0, NULL, 1, &logits);
    if (!y) return NULL;
    size_t es = nb_dtype_size(logits->dtype);
    void *prob = NULL;
    int32_t *lab = NULL;
    if (y->node) {
        prob = nb__alloc(ctx, (size_t)(N * C) * es, false);
        lab = nb__alloc(ctx, (size_t)N * sizeof *lab, false);
        if (!prob || !lab) return NULL;
        memcpy(lab, labels, (size_t)N * sizeof *lab);
        y->node->saved = prob;
        y->node->i[0] = (int64_t)(intptr_t)lab;
    }
    xent_job a = {logits->dtype, C, logits->data, labels, prob, nb__alloc(ctx, (size_t)N * sizeof(double), false)};
    if (!a.rl) return NULL;
    nb__team_for(ctx, N, 1, N * C >= 512, xent_rows, &a); /* 512 exp()s are worth a second thread */
    double total = 0;
    for (int64_t i = 0; i < N; i++) total += a.rl[i];
    NB_DISPATCH(logits->dtype, T, { *(T *)y->data = (T)(total / (double)N); });
    return y;
}

/* L = mean_i -log p_i[y_i], p = softmax(x): dx_i = (g/N)(p_i - onehot(y_i)) */
static void xent_backward(nb_node *n) {
    nb_tensor *x = n->in[0], *y = n->out;
    if (!x->requires_grad) return;
    void *gx = nb__grad(nb__ctx(n), x);
    if (!gx) return;
    int64_t N = x->shape[0], C = x->shape[1];
    const int32_t *lab = (const int32_t *)(intptr_t)n->i[0];
    NB_DISPATCH(x->dtype, T, {
        const T *p = n->saved;
        T *d = gx;
        T k = *(const T *)y->grad->data / (T)N;
        for (int64_t i = 0; i < N; i++) {
            for (int64_t c = 0; c < C; c++) d[i * C + c] += k * p[i * C + c];
            d[i * C + lab[i]] -= k;
        }
    });
}

/* ---- mean squared error ----------------------------------------------------- */

static void mse_backward(nb_node *n);
/* L = (1/n) sum (p - t)^2: dL = (2/n) sum (p - t)(dp - dt) */
static nb_status mse_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) {
    nb_tensor *r = nb_sub(ctx, n->in[0], n->in[1]);
    nb_tensor *d = nb__tan_add(ctx, dt[0], dt[1] ? nb_neg(ctx, dt[1]) : NULL);
    return nb__tan_done(nb_scale(ctx, nb_sum(ctx, nb_mul(ctx, r, d), NB_ALL_AXES, false), 2.0 / (double)r->numel),
                        out);
}
const nb_op nb__op_mse = {"mse", mse_backward, mse_jvp};

nb_tensor *nb_mse(nb_ctx *ctx, nb_tensor *pred, nb_tensor *target) {
    nb_tensor *in[2] = {pred, target};
    if (!nb__check_inputs(ctx, "mse", 2, in)) return NULL;
    if (!nb_shape_equal(pred, target) || pred->numel == 0) {
        char a[96], b[96];
        nb_fail(NB_ESHAPE, "mse: prediction %s and target %s must have one non-empty shape",
                nb_shape_str(pred, a, sizeof a), nb_shape_str(target, b, sizeof b));
        return NULL;
    }
    nb_tensor *y = nb__op_out(ctx, &nb__op_mse, pred->dtype, 0, NULL, 2, in);
    if (!y) return NULL;
    NB_DISPATCH(pred->dtype, T, {
        const T *p = pred->data, *t = target->data;
        double s = 0;
        for (int64_t i = 0; i < pred->numel; i++) s += ((double)p[i] - t[i]) * ((double)p[i] - t[i]);
        *(T *)y->data = (T)(s / (double)pred->numel);
    });
    return y;
}

/* L = (1/n) sum (p - t)^2: dp = (2g/n)(p - t), dt = -dp */
static void mse_backward(nb_node *n) {
    nb_tensor *p = n->in[0], *t = n->in[1], *y = n->out;
    for (int which = 0; which < 2; which++) {
        nb_tensor *x = n->in[which];
        if (!x->requires_grad) continue;
        void *gx = nb__grad(nb__ctx(n), x);
        if (!gx) return;
        NB_DISPATCH(p->dtype, T, {
            const T *pp = p->data, *pt = t->data;
            T *d = gx;
            T k = (T)(2.0 * *(const T *)y->grad->data / (double)p->numel) * (which ? -1 : 1);
            for (int64_t i = 0; i < p->numel; i++) d[i] += k * (pp[i] - pt[i]);
        });
    }
}
