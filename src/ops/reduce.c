/* Reductions. sum and mean reduce to a keepdim shape through the one
 * un-broadcast loop, and their backward is the matching broadcast. */
#include <math.h>

#include "ops/broadcast.h"
#include "nabla/ops.h"

/* The reduced shape with keepdim (1 on every reduced axis); false on a bad axis. */
static bool reduced_shape(const char *op, const nb_tensor *x, int naxes, const int *axes, int64_t *kshape,
                          int64_t *count) {
    bool reduce[NB_MAX_DIMS] = {false};
    if (naxes < 0 || (naxes > 0 && !axes)) {
        nb_fail(NB_EINVAL, "%s: bad axis list", op);
        return false;
    }
    for (int i = 0; i < naxes; i++) {
        int a;
        if (!nb__axis(op, x->ndim, axes[i], &a)) return false;
        if (reduce[a]) {
            nb_fail(NB_EINVAL, "%s: axis %d given twice", op, axes[i]);
            return false;
        }
        reduce[a] = true;
    }
    *count = 1;
    for (int i = 0; i < x->ndim; i++) {
        bool r = naxes == 0 || reduce[i];
        kshape[i] = r ? 1 : x->shape[i];
        if (r) *count *= x->shape[i];
    }
    return true;
}

/* Drops the reduced axes unless keepdim. */
static int out_shape(const nb_tensor *x, const int64_t *kshape, int naxes, const int *axes, bool keepdim,
                     int64_t *shape) {
    if (keepdim) {
        memcpy(shape, kshape, (size_t)x->ndim * sizeof *shape);
        return x->ndim;
    }
    int nd = 0;
    for (int i = 0; i < x->ndim; i++) {
        bool r = naxes == 0;
        for (int j = 0; j < naxes; j++) r |= (axes[j] < 0 ? axes[j] + x->ndim : axes[j]) == i;
        if (!r) shape[nd++] = x->shape[i];
    }
    return nd;
}

static void sum_backward(nb_node *n);
static nb_status sum_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out);
const nb_op nb__op_sum = {"sum", sum_backward, sum_jvp}, nb__op_mean = {"mean", sum_backward, sum_jvp};

static nb_tensor *reduce_sum(nb_ctx *ctx, const nb_op *op, nb_tensor *x, int naxes, const int *axes,
                             bool keepdim, bool mean) {
    if (!nb__check_inputs(ctx, op->name, 1, &x)) return NULL;
    int64_t kshape[NB_MAX_DIMS], shape[NB_MAX_DIMS], count;
    if (!reduced_shape(op->name, x, naxes, axes, kshape, &count)) return NULL;
    int nd = out_shape(x, kshape, naxes, axes, keepdim, shape);
    nb_tensor *y = nb__op_out(ctx, op, x->dtype, nd, shape, 1, &x);
    if (!y) return NULL;
    double scale = mean ? (count ? 1.0 / (double)count : NAN) : 1.0;
    if (y->node) y->node->f = scale;
    memset(y->data, 0, (size_t)y->numel * nb_dtype_size(y->dtype));
    nb__unbroadcast_add(x->dtype, y->data, x->ndim, kshape, x->data, x->ndim, x->shape, scale);
    return y;
}

/* y = s sum_axes x (s = 1, or 1/count for mean): dx = s g broadcast back over the axes */
static void sum_backward(nb_node *n) {
    nb_tensor *x = n->in[0], *y = n->out;
    if (!x->requires_grad) return;
    void *gx = nb__grad(nb__ctx(n), x);
    if (!gx) return;
    /* g has y's elements in the order of the keepdim shape, whether or not
     * keepdim dropped the 1s; the forward stored the reduced axes as a mask. */
    int64_t kshape[NB_MAX_DIMS];
    for (int i = 0; i < x->ndim; i++) kshape[i] = (n->i[0] >> i) & 1 ? 1 : x->shape[i];
    nb__broadcast_add(x->dtype, gx, x->ndim, x->shape, y->grad->data, x->ndim, kshape, n->f);
}

/* y = s sum_axes x: dy = s sum_axes dx (the same axes, kept as y kept them) */
static nb_status sum_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) {
    const nb_tensor *x = n->in[0], *y = n->out;
    int axes[NB_MAX_DIMS], na = 0;
    for (int i = 0; i < x->ndim; i++)
        if ((n->i[0] >> i) & 1) axes[na++] = i;
    bool keep = y->ndim == x->ndim && x->ndim > 0;
    nb_tensor *t = n->op == &nb__op_mean ? nb_mean(ctx, dt[0], na, axes, keep) : nb_sum(ctx, dt[0], na, axes, keep);
    return nb__tan_done(t, out);
}

static nb_tensor *with_mask(nb_tensor *y, const nb_tensor *x, int naxes, const int *axes) {
    if (y && y->node) {
        int64_t mask = 0;
        for (int i = 0; i < x->ndim; i++) {
            bool r = naxes == 0;
            for (int j = 0; j < naxes; j++) r |= (axes[j] < 0 ? axes[j] + x->ndim : axes[j]) == i;
            if (r) mask |= (int64_t)1 << i;
        }
        y->node->i[0] = mask;
    }
    return y;
}

nb_tensor *nb_sum(nb_ctx *ctx, nb_tensor *x, int naxes, const int *axes, bool keepdim) {
    return with_mask(reduce_sum(ctx, &nb__op_sum, x, naxes, axes, keepdim, false), x, naxes, axes);
}

nb_tensor *nb_mean(nb_ctx *ctx, nb_tensor *x, int naxes, const int *axes, bool keepdim) {
    return with_mask(reduce_sum(ctx, &nb__op_mean, x, naxes, axes, keepdim, true), x, naxes, axes);
}

/* ---- max along one axis ---------------------------------------------------
 * x viewed as (outer, n, inner); the index of each maximum is saved. */

static void max_backward(nb_node *n);
static nb_status max_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out);
const nb_op nb__op_max = {"max", max_backward, max_jvp};

nb_tensor *nb_max(nb_ctx *ctx, nb_tensor *x, int axis, bool keepdim) {
    if (!nb__check_inputs(ctx, "max", 1, &x)) return NULL;
    int a;
    if (!nb__axis("max", x->ndim, axis, &a)) return NULL;
    if (x->shape[a] == 0) {
        nb_fail(NB_ESHAPE, "max: axis %d has size 0", axis);
        return NULL;
    }
    int64_t outer = 1, inner = 1, len = x->shape[a];
    for (int i = 0; i < a; i++) outer *= x->shape[i];
    for (int i = a + 1; i < x->ndim; i++) inner *= x->shape[i];
    int64_t shape[NB_MAX_DIMS];
    int nd = 0;
    for (int i = 0; i < x->ndim; i++)
        if (i != a) shape[nd++] = x->shape[i];
        else if (keepdim) shape[nd++] = 1;
    nb_tensor *y = nb__op_out(ctx, &nb__op_max, x->dtype, nd, shape, 1, &x);
    if (!y) return NULL;
    int64_t *arg = NULL;
    if (y->node && !(arg = y->node->saved = nb__alloc(ctx, (size_t)(outer * inner) * sizeof *arg, false)))
        return NULL;
    if (y->node) y->node->i[0] = a;
    NB_DISPATCH(x->dtype, T, {
        const T *px = x->data;
        T *py = y->data;
        for (int64_t o = 0; o < outer; o++)
            for (int64_t in = 0; in < inner; in++) {
                const T *p = px + o * len * inner + in;
                int64_t best = 0;
                for (int64_t k = 1; k < len; k++)
                    if (p[k * inner] > p[best * inner]) best = k;
                py[o * inner + in] = p[best * inner];
                if (arg) arg[o * inner + in] = best;
            }
    });
    return y;
}

/* y = max_k x[.., k, ..]: dx[.., k*, ..] = g, zero elsewhere */
static void max_backward(nb_node *n) {
    nb_tensor *x = n->in[0], *y = n->out;
    if (!x->requires_grad) return;
    void *gx = nb__grad(nb__ctx(n), x);
    if (!gx) return;
    int a = (int)n->i[0];
    int64_t inner = 1, len = x->shape[a];
    for (int i = a + 1; i < x->ndim; i++) inner *= x->shape[i];
    const int64_t *arg = n->saved;
    NB_DISPATCH(x->dtype, T, {
        T *d = gx;
        const T *g = y->grad->data;
        for (int64_t j = 0; j < y->numel; j++) {
            int64_t o = j / inner, in = j % inner;
            d[(o * len + arg[j]) * inner + in] += g[j];
        }
    });
}

/* y = max_k x[.., k, ..]: dy = dx[.., k*, ..], picked by a gather */
static nb_status max_jvp(nb_ctx *ctx, const nb_node *n, nb_tensor *const *dt, nb_tensor **out) {
    const nb_tensor *x = n->in[0], *y = n->out;
    int a = (int)n->i[0];
    int64_t inner = 1, len = x->shape[a];
    for (int i = a + 1; i < x->ndim; i++) inner *= x->shape[i];
    const int64_t *arg = n->saved;
    int64_t *idx = nb__alloc(ctx, (size_t)(y->numel ? y->numel : 1) * sizeof *idx, false);
    if (!idx) return nb__ctx_check(ctx);
    for (int64_t j = 0; j < y->numel; j++) idx[j] = (j / inner * len + arg[j]) * inner + j % inner;
    return nb__tan_done(nb__gather(ctx, dt[0], y->ndim, y->shape, idx), out);
}
