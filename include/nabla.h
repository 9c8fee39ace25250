/* nabla — tensors, reverse-mode autodiff, first-order optimizers and a
 * bias-variance lab, in C11.
 *
 * A gradient in five lines:
 *
 *     nb_ctx *ctx = nb_ctx_new();                         // a step's arena and tape
 *     nb_tensor *x = nb_from_buffer(ctx, NB_F64, NB_SHAPE(3), (double[]){1, 2, 3});
 *     nb_tensor_requires_grad(x, true);
 *     nb_tensor *f = nb_sum(ctx, nb_mul(ctx, x, x), NB_ALL_AXES, false);   // f = ||x||^2
 *     nb_backward(ctx, f);                                // x->grad = 2x = (2, 4, 6)
 *     nb_ctx_free(ctx);
 *
 * Functions that can fail return NULL or an nb_status and leave a message in
 * nb_errmsg(); none of them exits. Ops accept NULL inputs and pass the first
 * error through, so a chain of ops needs one check at its end.
 *
 * The headers, in the order the ideas build:
 *   nabla/base.h      dtypes, errors
 *   nabla/tensor.h    tensors, parameters, the RNG, and contexts: a step's
 *                     arena and tape, and its execution (threads, work plan,
 *                     packing buffers, the first error any thread raised)
 *   nabla/ops.h       differentiable ops
 *   nabla/autodiff.h  backward, VJP, Jacobians, gradcheck
 *   nabla/gemm.h      the one GEMM entry point (in a context, or alone)
 *   nabla/optim.h     optimizers, schedules, gradient clipping
 *   nabla/lab.h       the optimizer lab: 2-D test functions, trajectories, rates
 *   nabla/linreg.h    OLS, ridge and the bias-variance lab
 *   nabla/data.h      IDX (MNIST) datasets and minibatches
 *   nabla/matrix_io.h .npy and CSV matrices in and out
 *   nabla/nn.h        layers, models, training, checkpoints
 *   nabla/io.h        atomic output files
 *   nabla/plot.h      SVG figures */
#ifndef NABLA_H
#define NABLA_H

#include "nabla/base.h"
#include "nabla/tensor.h"
#include "nabla/rng.h"
#include "nabla/ops.h"
#include "nabla/autodiff.h"
#include "nabla/gemm.h"
#include "nabla/optim.h"
#include "nabla/lab.h"
#include "nabla/linreg.h"
#include "nabla/data.h"
#include "nabla/matrix_io.h"
#include "nabla/nn.h"
#include "nabla/checkpoint.h"
#include "nabla/dist.h"
#include "nabla/io.h"
#include "nabla/plot.h"
#include "nabla/curvature.h"

#endif
