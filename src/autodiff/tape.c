/* Recording ops on the tape, and gradient buffers. */
#include <stdlib.h>

#include "core/internal.h"
#include "nabla/autodiff.h"

bool nb__check_inputs(nb_ctx *ctx, const char *op, int nin, nb_tensor *const *in) {
    for (int i = 0; i < nin; i++)
        if (!in[i]) {
            /* A NULL input is usually an earlier op's failure: keep its message. */
            if (nb_errcode() == NB_OK) nb_fail(NB_EINVAL, "%s: input %d is NULL", op, i);
            return false;
        }
    if (!ctx) {
        nb_fail(NB_EINVAL, "%s: NULL context", op);
        return false;
    }
    for (int i = 1; i < nin; i++)
        if (in[i]->dtype != in[0]->dtype) {
            nb_fail(NB_EDTYPE, "%s: dtypes %s and %s differ (no silent mixing)", op,
                    nb_dtype_name(in[0]->dtype), nb_dtype_name(in[i]->dtype));
            return false;
        }
    return true;
}

nb_tensor *nb__op_out(nb_ctx *ctx, const nb_op *op, nb_dtype dt, int ndim, const int64_t *shape,
                      int nin, nb_tensor *const *in) {
    if (!nb__check_inputs(ctx, op->name, nin, in)) return NULL;
    bool want = false;
    if (ctx->grad_enabled)
        for (int i = 0; i < nin; i++) want |= in[i]->requires_grad;
    nb_tensor *t = nb__alloc(ctx, sizeof *t, true);
    if (!t) return NULL;
    int64_t n = nb__numel(ndim, shape);
    t->data = nb__alloc(ctx, (size_t)(n ? n : 1) * nb_dtype_size(dt), false);
    if (!t->data) return NULL;
    t->dtype = dt;
    t->ndim = ndim;
    if (ndim) memcpy(t->shape, shape, (size_t)ndim * sizeof *shape);
    t->numel = n;
    t->ctx = ctx;
    if (want) {
        nb_node *node = nb__alloc(ctx, sizeof *node, true);
        if (!node) return NULL;
        node->op = op;
        node->out = t;
        node->nin = nin;
        for (int i = 0; i < nin; i++) node->in[i] = in[i];
        node->prev = ctx->tape;
        ctx->tape = node;
        t->node = node;
        t->requires_grad = true;
    }
    return t;
}

static void *grad_new(nb_ctx *ctx, nb_tensor *t, bool zero) {
    size_t bytes = (size_t)t->numel * nb_dtype_size(t->dtype);
    nb_tensor *g;
    if (t->ctx) { /* a step's tensor: its gradient lives in the same arena */
        g = nb__alloc(t->ctx, sizeof *g, true);
        if (g && !(g->data = nb__alloc(t->ctx, bytes ? bytes : 1, zero))) g = NULL;
        if (g) g->ctx = t->ctx;
    } else { /* a lone heap leaf */
        g = calloc(1, sizeof *g);
        if (g && !(g->data = calloc(bytes ? bytes : 1, 1))) {
            free(g);
            g = NULL;
        }
        if (g) g->flags = NB_TF_HEAP;
    }
    if (!g) {
        nb__ctx_fail(ctx, NB_ENOMEM, "backward: out of memory for a gradient");
        return NULL;
    }
    g->dtype = t->dtype;
    g->ndim = t->ndim;
    memcpy(g->shape, t->shape, sizeof g->shape);
    g->numel = t->numel;
    t->grad = g;
    return g->data;
}

void *nb__grad(nb_ctx *ctx, nb_tensor *t) { return t->grad ? t->grad->data : grad_new(ctx, t, true); }

void *nb__grad_to_write(nb_ctx *ctx, nb_tensor *t, double *beta) {
    *beta = t->grad ? 1 : 0;
    return t->grad ? t->grad->data : grad_new(ctx, t, false);
}

bool nb__axis(const char *op, int ndim, int axis, int *out) {
    int a = axis < 0 ? axis + ndim : axis;
    if (a < 0 || a >= ndim) {
        nb_fail(NB_EINVAL, "%s: axis %d out of range for %d dimensions", op, axis, ndim);
        return false;
    }
    *out = a;
    return true;
}
