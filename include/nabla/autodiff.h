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

/* Gradchecks every op of the library on its built-in cases (broadcast and
 * size-1 dims, inputs away from kinks), one row per case to out (NULL:
 * silent). Returns the number of failing cases. */
int nb_gradcheck_ops(FILE *out);

#ifdef __cplusplus
}
#endif
#endif
