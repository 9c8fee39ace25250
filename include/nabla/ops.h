/* nabla/ops.h — differentiable ops. Each records itself on ctx's tape when
 * grad mode is on and an input requires grad; each returns NULL (see
 * nb_errmsg) on a bad input, naming the op and the shapes.
 *
 * Elementwise binary ops broadcast as NumPy does. Axes may be negative.
 * Inputs must share a dtype: there is no silent mixing. */
#ifndef NABLA_OPS_H
#define NABLA_OPS_H

#include "nabla/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* NB_AXES(0, 2) expands to the (naxes, axes) pair reductions take;
 * NB_ALL_AXES reduces over every axis. */
#define NB_AXES(...) (int)(sizeof((int[]){__VA_ARGS__}) / sizeof(int)), (const int[]){__VA_ARGS__}
#define NB_ALL_AXES 0, NULL

/* elementwise, broadcasting */
nb_tensor *nb_add(nb_ctx *ctx, nb_tensor *a, nb_tensor *b);
nb_tensor *nb_sub(nb_ctx *ctx, nb_tensor *a, nb_tensor *b);
nb_tensor *nb_mul(nb_ctx *ctx, nb_tensor *a, nb_tensor *b);
nb_tensor *nb_div(nb_ctx *ctx, nb_tensor *a, nb_tensor *b);
/* elementwise, unary */
nb_tensor *nb_neg(nb_ctx *ctx, nb_tensor *x);
nb_tensor *nb_pow(nb_ctx *ctx, nb_tensor *x, double p); /* x^p, p a scalar */
nb_tensor *nb_exp(nb_ctx *ctx, nb_tensor *x);
nb_tensor *nb_log(nb_ctx *ctx, nb_tensor *x);
nb_tensor *nb_sqrt(nb_ctx *ctx, nb_tensor *x);
nb_tensor *nb_tanh(nb_ctx *ctx, nb_tensor *x);
nb_tensor *nb_sigmoid(nb_ctx *ctx, nb_tensor *x);
nb_tensor *nb_relu(nb_ctx *ctx, nb_tensor *x);
nb_tensor *nb_abs(nb_ctx *ctx, nb_tensor *x);
nb_tensor *nb_scale(nb_ctx *ctx, nb_tensor *x, double s); /* s x */

/* reductions */
nb_tensor *nb_sum(nb_ctx *ctx, nb_tensor *x, int naxes, const int *axes, bool keepdim);
nb_tensor *nb_mean(nb_ctx *ctx, nb_tensor *x, int naxes, const int *axes, bool keepdim);
nb_tensor *nb_max(nb_ctx *ctx, nb_tensor *x, int axis, bool keepdim); /* ties: the first */

/* linear algebra: (m,k)@(k,n); (...,m,k)@(...,k,n) with broadcast batch dims;
 * a 1-D operand is a row (left) or a column (right), as in NumPy. */
nb_tensor *nb_matmul(nb_ctx *ctx, nb_tensor *a, nb_tensor *b);

/* shape */
nb_tensor *nb_reshape(nb_ctx *ctx, nb_tensor *x, int ndim, const int64_t *shape); /* one dim may be -1 */
nb_tensor *nb_permute(nb_ctx *ctx, nb_tensor *x, const int *perm);
nb_tensor *nb_transpose(nb_ctx *ctx, nb_tensor *x); /* swaps the last two dims */
nb_tensor *nb_flatten(nb_ctx *ctx, nb_tensor *x);   /* (N, ...) -> (N, prod ...) */

/* neural-network ops */
nb_tensor *nb_softmax(nb_ctx *ctx, nb_tensor *x, int axis);
nb_tensor *nb_log_softmax(nb_ctx *ctx, nb_tensor *x, int axis);
/* mean over the batch of -log softmax(logits)[i, labels[i]]; logits (N,C) */
nb_tensor *nb_softmax_cross_entropy(nb_ctx *ctx, nb_tensor *logits, const int32_t *labels);
nb_tensor *nb_mse(nb_ctx *ctx, nb_tensor *pred, nb_tensor *target); /* mean((pred-target)^2) */
/* x (N,C,H,W), w (F,C,KH,KW), b (F) or NULL -> (N,F,OH,OW) */
nb_tensor *nb_conv2d(nb_ctx *ctx, nb_tensor *x, nb_tensor *w, nb_tensor *b, int stride, int pad);
/* x (N,C,H,W) -> (N,C,H/k,W/k), window k, stride k */
nb_tensor *nb_max_pool2d(nb_ctx *ctx, nb_tensor *x, int k);
/* relu(max_pool2d(conv2d(x, w, b, stride, pad), 2)) as one op (the CNN's
 * block): the same values and gradients, less memory traffic. */
nb_tensor *nb_conv2d_relu_pool(nb_ctx *ctx, nb_tensor *x, nb_tensor *w, nb_tensor *b, int stride, int pad);
/* relu(x @ w + b): x (N,K), w (K,M), b (M); one fused pass over the GEMM's output */
nb_tensor *nb_linear_relu(nb_ctx *ctx, nb_tensor *x, nb_tensor *w, nb_tensor *b);
/* x @ w + b */
nb_tensor *nb_linear(nb_ctx *ctx, nb_tensor *x, nb_tensor *w, nb_tensor *b);

#ifdef __cplusplus
}
#endif
#endif
