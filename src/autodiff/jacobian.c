/* Jacobians from vector-Jacobian products: one reverse pass per output
 * element, with a one-hot upstream gradient. */
#include "core/internal.h"
#include "nabla/autodiff.h"

nb_tensor *nb_jacobian(nb_ctx *ctx, nb_fn f, void *user, nb_tensor *x, nb_jac_layout layout) {
    if (!ctx || !f || !x) {
        nb_fail(NB_EINVAL, "nb_jacobian: NULL %s", !ctx ? "context" : !f ? "function" : "input");
        return NULL;
    }
    if (layout != NB_JAC_INPUT_FIRST && layout != NB_JAC_OUTPUT_FIRST) {
        nb_fail(NB_EINVAL, "nb_jacobian: unknown layout %d", (int)layout);
        return NULL;
    }
    bool was = nb_ctx_set_grad(ctx, true);
    nb_tensor *xl = nb_copy(ctx, x); /* a fresh leaf, so x's own gradient is untouched */
    nb_tensor *y = xl && nb_tensor_requires_grad(xl, true) == NB_OK ? f(ctx, &xl, user) : NULL;
    nb_ctx_set_grad(ctx, was);
    if (!y) return NULL;
    if (x->ndim + y->ndim > NB_MAX_DIMS) {
        nb_fail(NB_ESHAPE, "nb_jacobian: %d input and %d output dimensions exceed %d", x->ndim, y->ndim, NB_MAX_DIMS);
        return NULL;
    }
    int64_t shape[NB_MAX_DIMS];
    const nb_tensor *first = layout == NB_JAC_INPUT_FIRST ? x : y, *second = layout == NB_JAC_INPUT_FIRST ? y : x;
    memcpy(shape, first->shape, (size_t)first->ndim * sizeof *shape);
    memcpy(shape + first->ndim, second->shape, (size_t)second->ndim * sizeof *shape);
    nb_tensor *J = nb_zeros(ctx, x->dtype, x->ndim + y->ndim, shape);
    if (!J || !y->requires_grad) return J; /* y does not depend on x: J = 0 */
    nb_tensor *e = nb_zeros(ctx, y->dtype, y->ndim, y->shape);
    if (!e) return NULL;
    int64_t nx = x->numel, ny = y->numel;
    for (int64_t k = 0; k < ny; k++) {
        /* row k of dy/dx, in PyTorch's terms; column k in the handout's */
        nb_tensor_set(e, k, 1.0);
        if (xl->grad) nb_tensor_zero_grad(xl);
        if (nb_vjp(ctx, y, e, true) != NB_OK) return NULL;
        nb_tensor_set(e, k, 0.0);
        for (int64_t i = 0; i < nx; i++) {
            double v = xl->grad ? nb_tensor_get(xl->grad, i) : 0.0;
            nb_tensor_set(J, layout == NB_JAC_INPUT_FIRST ? i * ny + k : k * nx + i, v);
        }
    }
    return J;
}
