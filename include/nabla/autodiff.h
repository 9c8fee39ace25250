/* nabla/autodiff.h — reverse mode over a define-by-run tape.
 *
 * Conventions (the handout's): a gradient has the shape of its input; a
 * Jacobian puts the input's dims first, so f: R^{d1 x d2} -> R^n has a
 * d1 x d2 x n Jacobian, J[i,j,k] = df_k / dX_ij, and the chain rule reads
 * dz/dx = (dy/dx)(dz/dy). PyTorch's layout (output dims first) is an option. */
#ifndef NABLA_AUTODIFF_H
#define NABLA_AUTODIFF_H

#include <stdio.h>

#include "nabla/ops.h"

#ifdef __cplusplus
extern "C" {
#endif

/* dL/dx into x->grad for every leaf x that requires grad, adding to what is
 * there (leaf gradients accumulate until zeroed). loss must be a scalar made
 * in ctx. A context may hold many graphs, one after another: each gets its
 * own backward. A backward spends the graph it walks: walking it again (or a
 * later graph that reaches into it) is an NB_ESTATE error; nb_vjp with
 * retain walks a graph twice. nb_ctx_reset frees every graph at once. */
nb_status nb_backward(nb_ctx *ctx, nb_tensor *loss);
/* The vector-Jacobian product: leaves' grads += upstream^T (d out / d leaf).
 * upstream has out's shape. With retain, the graph can be walked again. */
nb_status nb_vjp(nb_ctx *ctx, nb_tensor *out, const nb_tensor *upstream, bool retain);

/* A hook for leaves whose gradient is final: run during a backward in ctx
 * once the walk has passed every op that uses the leaf. ready(user, leaf,
 * lo, hi) says elements [lo, hi) of leaf's gradient hold their final value.
 * Ops that can (linear) report blocks from inside their product, on the
 * thread that computed them, while the block is in cache; the walk reports
 * every other leaf whole. After a report the backward reads neither those
 * gradient elements nor the leaf's values there again, so the hook may
 * change both: an optimizer step fused into the backward pass (PyTorch's
 * post-accumulate-grad hooks do the same per tensor). A hook must take
 * blocks of one leaf from two threads at once. NULL removes it. */
nb_status nb_ctx_on_grad_ready(nb_ctx *ctx, nb_grad_ready_fn fn, void *user);

typedef nb_tensor *(*nb_fn)(nb_ctx *ctx, nb_tensor *const *inputs, void *user);

/* ---- second order: forward mode, and Hessian-vector products ----------------
 * Every op has a forward-mode (JVP) rule written with the library's own ops,
 * so a tangent is itself on the tape and a reverse pass over it gives second
 * derivatives (reverse-over-forward). */

/* Forward mode: *y = f(inputs) and *dy = J v, the directional derivative
 * along tangents (one per input, same shape and dtype; NULL is zero), both
 * made in ctx; *dy is zero where f does not depend on the inputs. */
nb_status nb_jvp(nb_ctx *ctx, nb_fn f, void *user, int nin, nb_tensor *const *inputs, nb_tensor *const *tangents,
                 nb_tensor **y, nb_tensor **dy);
/* The Hessian-vector product of a scalar f, exact: every leaf x that
 * requires grad gets x->grad += d(grad f . v)/dx, so with zeroed gradients
 * and f a function of the inputs alone, input i's grad holds (H v)_i,
 * H the Hessian over all inputs together. Inputs must require grad; v (one
 * per input, NULL: zero) as in nb_jvp. *loss (may be NULL) gets f's value.
 * It spends f's graph, as nb_backward does. */
nb_status nb_hvp(nb_ctx *ctx, nb_fn f, void *user, int nin, nb_tensor *const *inputs, nb_tensor *const *v,
                 nb_tensor **loss);

typedef enum nb_jac_layout {
    NB_JAC_INPUT_FIRST = 0, /* the handout's: in.shape ++ out.shape */
    NB_JAC_OUTPUT_FIRST,    /* PyTorch's and JAX's: out.shape ++ in.shape */
} nb_jac_layout;

/* The Jacobian of f at x (f's one input), one VJP per output element. */
nb_tensor *nb_jacobian(nb_ctx *ctx, nb_fn f, void *user, nb_tensor *x, nb_jac_layout layout);

/* gradcheck: every input's analytic gradient against central differences,
 * in f64, with a random non-uniform upstream gradient. Passes when
 * |a - n| <= atol + rtol |n| everywhere. */
typedef struct nb_gradcheck_opts {
    double eps, atol, rtol; /* 0 means PyTorch's defaults: 1e-6, 1e-5, 1e-3 */
    uint64_t seed;          /* for the upstream gradient */
} nb_gradcheck_opts;

typedef struct nb_gradcheck_result {
    double max_abs_err, max_rel_err;
    bool passed;
} nb_gradcheck_result;

nb_status nb_gradcheck(nb_fn f, void *user, int nin, nb_tensor *const *inputs,
                       const nb_gradcheck_opts *opts, nb_gradcheck_result *res);

/* Second order, in f64 along a random direction v: the JVP (nb_jvp)
 * against central differences of f, into *jvp; and the HVP (nb_hvp) of
 * <u, f + f^2> for a random u against central differences of its analytic
 * gradient, into *hvp. The same tolerances as nb_gradcheck. */
nb_status nb_gradgradcheck(nb_fn f, void *user, int nin, nb_tensor *const *inputs, const nb_gradcheck_opts *opts,
                           nb_gradcheck_result *jvp, nb_gradcheck_result *hvp);

/* Gradchecks every op of the library on its built-in cases (broadcast and
 * size-1 dims, inputs away from kinks), one row per case to out (NULL:
 * silent). Returns the number of failing cases. */
int nb_gradcheck_ops(FILE *out);
/* nb_gradgradcheck on the same cases: every op's forward-mode rule and its
 * second derivatives. Returns the number of failing cases. */
int nb_gradgradcheck_ops(FILE *out);

#ifdef __cplusplus
}
#endif
#endif
