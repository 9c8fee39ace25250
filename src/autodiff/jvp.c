/* Forward mode and Hessian-vector products, reverse-over-forward.
 *
 * f runs once and records its tape; one sweep over that tape, oldest node
 * first, then asks each op's jvp rule for its output's tangent from its
 * inputs' tangents. The rules are written with the library's own
 * differentiable ops, so with grad mode on the tangents are recorded too:
 * for a scalar f, t = grad f(x) . v is then a function of x on the tape, and
 * an ordinary reverse pass over t gives dt/dx = H v, exact (no differencing).
 * The first-order path does none of this: no rule runs unless a tangent is
 * asked for. */
#include "core/internal.h"
#include "nabla/autodiff.h"

nb_tensor *nb__tan_add(nb_ctx *ctx, nb_tensor *a, nb_tensor *b) {
    if (!a || !b) return a ? a : b; /* NULL is a zero tangent, or a failure already raised */
    return nb_add(ctx, a, b);
}

nb_tensor *nb__tan_expand(nb_ctx *ctx, nb_tensor *t, int ndim, const int64_t *shape) {
    if (!t) return NULL;
    if (t->ndim == ndim && !memcmp(t->shape, shape, (size_t)ndim * sizeof *shape)) return t;
    nb_tensor *z = nb_zeros(ctx, t->dtype, ndim, shape);
    return z ? nb_add(ctx, t, z) : NULL;
}

nb_tensor *nb__mask_pos(nb_ctx *ctx, const nb_tensor *x, bool sign) {
    nb_tensor *m = nb_zeros(ctx, x->dtype, x->ndim, x->shape);
    if (m)
        NB_DISPATCH(x->dtype, T, {
            const T *px = x->data;
            T *pm = m->data;
            for (int64_t i = 0; i < x->numel; i++) pm[i] = px[i] > 0 ? 1 : (sign && px[i] < 0 ? -1 : 0);
        });
    return m;
}

/* y = f(inputs) and dy = J v. With record set the tangents stay on the tape
 * (for a reverse pass over them); else the sweep runs without grad. */
static nb_status forward_tangents(nb_ctx *ctx, nb_fn f, void *user, int nin, nb_tensor *const *inputs,
                                  nb_tensor *const *v, bool record, nb_tensor **y, nb_tensor **dy, const char *fn) {
    if (!ctx || !f || !inputs || !v || !y || !dy || nin < 1) return nb_fail(NB_EINVAL, "%s: bad arguments", fn);
    *y = *dy = NULL;
    for (int i = 0; i < nin; i++) {
        if (!inputs[i]) return nb_fail(NB_EINVAL, "%s: input %d is NULL", fn, i);
        if (v[i] && (!nb_shape_equal(inputs[i], v[i]) || v[i]->dtype != inputs[i]->dtype)) {
            char a[96], b[96];
            return nb_fail(NB_ESHAPE, "%s: tangent %d %s %s does not match its input %s %s", fn, i,
                           nb_dtype_name(v[i]->dtype), nb_shape_str(v[i], a, sizeof a),
                           nb_dtype_name(inputs[i]->dtype), nb_shape_str(inputs[i], b, sizeof b));
        }
        if (record && !inputs[i]->requires_grad)
            return nb_fail(NB_EINVAL, "%s: input %d does not require grad (H v is read from the inputs' gradients)", fn, i);
    }
    nb_status st = nb__ctx_check(ctx);
    if (st) return st;
    /* The tape must reach every input: inputs that do not require grad do while f runs. */
    bool *was_req = nb__alloc(ctx, (size_t)nin * sizeof *was_req, false);
    if (!was_req) return nb__ctx_check(ctx);
    bool was_grad = nb_ctx_set_grad(ctx, true);
    for (int i = 0; i < nin; i++) was_req[i] = inputs[i]->requires_grad, inputs[i]->requires_grad = true;
    nb_node *mark = ctx->tape;
    nb_tensor *out = f(ctx, inputs, user);
    for (int i = 0; i < nin; i++) inputs[i]->requires_grad = was_req[i];
    if (!out) {
        nb_ctx_set_grad(ctx, was_grad);
        return nb_errcode() ? nb_errcode() : nb_fail(NB_EINVAL, "%s: the function failed", fn);
    }
    /* f's nodes, oldest first; older nodes (and their stale tangents) count as constants */
    int64_t count = 0;
    for (nb_node *n = ctx->tape; n; n = n->prev) n->tan = NULL;
    for (nb_node *n = ctx->tape; n != mark; n = n->prev) count++;
    nb_node **order = nb__alloc(ctx, (size_t)(count ? count : 1) * sizeof *order, false);
    if (!order) {
        nb_ctx_set_grad(ctx, was_grad);
        return nb__ctx_check(ctx);
    }
    int64_t k = count;
    for (nb_node *n = ctx->tape; n != mark; n = n->prev) order[--k] = n;
    nb_ctx_set_grad(ctx, record);
    for (int64_t j = 0; j < count && !st; j++) {
        nb_node *n = order[j];
        nb_tensor *dt[NB_MAX_INPUTS] = {0};
        bool any = false;
        for (int i = 0; i < n->nin; i++) {
            const nb_tensor *x = n->in[i];
            if (x->node) dt[i] = x->node->tan;
            else
                for (int q = 0; q < nin; q++)
                    if (inputs[q] == x) dt[i] = v[q];
            any |= dt[i] != NULL;
        }
        if (any) st = n->op->jvp(ctx, n, dt, &n->tan);
    }
    nb_ctx_set_grad(ctx, was_grad);
    if (st) return st;
    nb_tensor *t = out->node ? out->node->tan : NULL;
    for (int q = 0; !out->node && q < nin; q++)
        if (inputs[q] == out) t = v[q];
    if (!t && !(t = nb_zeros(ctx, out->dtype, out->ndim, out->shape))) return nb_errcode();
    *y = out;
    *dy = t;
    return NB_OK;
}

nb_status nb_jvp(nb_ctx *ctx, nb_fn f, void *user, int nin, nb_tensor *const *inputs, nb_tensor *const *tangents,
                 nb_tensor **y, nb_tensor **dy) {
    return forward_tangents(ctx, f, user, nin, inputs, tangents, false, y, dy, "nb_jvp");
}

nb_status nb_hvp(nb_ctx *ctx, nb_fn f, void *user, int nin, nb_tensor *const *inputs, nb_tensor *const *v,
                 nb_tensor **loss) {
    nb_tensor *y = NULL, *t = NULL;
    if (loss) *loss = NULL;
    nb_status st = forward_tangents(ctx, f, user, nin, inputs, v, true, &y, &t, "nb_hvp");
    if (st) return st;
    if (y->numel != 1) {
        char s[96];
        return nb_fail(NB_ESHAPE, "nb_hvp: f must be a scalar, got shape %s", nb_shape_str(y, s, sizeof s));
    }
    if (loss) *loss = y;
    /* t = grad f . v; where it does not depend on the inputs, H v is zero */
    return t->requires_grad ? nb_backward(ctx, t) : NB_OK;
}
