/* Bias-variance of a small network, swept over its width: a 1-W-1 tanh MLP
 * on y = sin(2 pi x) + noise, trained by Adam through the autodiff library.
 *
 * Every trial has its own training set and its own network. They are trained
 * together as one batched model (parameters of shape (T, ...)): the summed
 * loss gives each network exactly the gradient of its own mean loss, and Adam
 * is elementwise, so the T fits are the T separate fits, at the cost of one. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nabla/autodiff.h"
#include "nabla/linreg.h"
#include "nabla/ops.h"
#include "nabla/optim.h"
#include "linreg/linreg_internal.h"

static const double two_pi = 6.283185307179586;

// h = tanh(u W1 + b1), out = h W2 + b2 for every trial at once; u (T, m, 1)
static nb_tensor *mlp_forward(nb_ctx *ctx, nb_tensor *u, nb_tensor *W1, nb_tensor *b1, nb_tensor *W2, nb_tensor *b2) {
    nb_tensor *h = nb_tanh(ctx, nb_add(ctx, nb_matmul(ctx, u, W1), b1)); // (T, m, W)
    return nb_add(ctx, nb_matmul(ctx, h, W2), b2);                       // (T, m, 1)
}

nb_status nb_biasvar_mlp(int width, int64_t n, double sigma, int64_t K, int64_t steps, double lr, int64_t trials,
                         nb_rng *rng, nb_biasvar *out) {
    return nb_biasvar_mlp_ex(width, n, sigma, K, steps, lr, trials, rng, out, NULL);
}

nb_status nb_biasvar_mlp_ex(int width, int64_t n, double sigma, int64_t K, int64_t steps, double lr, int64_t trials,
                            nb_rng *rng, nb_biasvar *out, nb_biasvar *se) {
    static const char fn[] = "nb_biasvar_mlp";
    if (width < 1) return nb_fail(NB_EINVAL, "%s: width must be >= 1, got %d", fn, width);
    if (n < 1 || K < 1 || trials < 1 || steps < 1)
        return nb_fail(NB_EINVAL, "%s: n, K, trials and steps must be >= 1", fn);
    if (!(sigma >= 0) || !isfinite(sigma)) return nb_fail(NB_EINVAL, "%s: sigma must be finite and >= 0, got %g", fn, sigma);
    if (!(lr > 0) || !isfinite(lr)) return nb_fail(NB_EINVAL, "%s: lr must be > 0, got %g", fn, lr);
    if (!rng || !out) return nb_fail(NB_EINVAL, "%s: rng or out is NULL", fn);
    int64_t T = trials, W = width;
    nb_status s = NB_OK;
    nb_params *par = nb_params_new(NB_F64);
    nb_ctx *ctx = nb_ctx_new();
    double *xs = malloc((size_t)(T * n * 2 + T * K + K) * sizeof *xs);
    nb_optim *opt = NULL;
    if (!par || !ctx || !xs) {
        s = nb_fail(NB_ENOMEM, "%s: out of memory", fn);
        goto done;
    }
    double *ys = xs + T * n, *P = ys + T * n, *ut = P + T * K;
    nb_tensor *W1 = nb_params_add(par, "W1", NB_SHAPE(T, 1, W));
    nb_tensor *b1 = nb_params_add(par, "b1", NB_SHAPE(T, 1, W));
    nb_tensor *W2 = nb_params_add(par, "W2", NB_SHAPE(T, W, 1));
    nb_tensor *b2 = nb_params_add(par, "b2", NB_SHAPE(T, 1, 1));
    if (!W1 || !b1 || !W2 || !b2) {
        s = nb_errcode();
        goto done;
    }
    // inputs u = 2x - 1 in [-1, 1]; kinks of tanh(w u + b) spread over the interval
    double *w1 = W1->data, *c1 = b1->data, *w2 = W2->data;
    for (int64_t i = 0; i < T * W; i++) {
        w1[i] = 3 * nb_rng_normal(rng);
        c1[i] = 2 * nb_rng_normal(rng);
        w2[i] = nb_rng_normal(rng) / sqrt((double)W);
    }
    for (int64_t i = 0; i < T * n; i++) {
        double x = nb_rng_uniform(rng);
        xs[i] = 2 * x - 1;
        ys[i] = sin(two_pi * x) + sigma * nb_rng_normal(rng);
    }
    nb_optim_config cfg = nb_optim_defaults(NB_OPT_ADAM, NB_CONV_HANDOUT);
    cfg.lr = lr;
    opt = nb_optim_new_params(&cfg, par);
    if (!opt) {
        s = nb_errcode();
        goto done;
    }
    for (int64_t step = 0; step < steps && !s; step++) {
        nb_ctx_reset(ctx);
        nb_params_zero_grad(par);
        nb_tensor *u = nb_from_buffer(ctx, NB_F64, NB_SHAPE(T, n, 1), xs);
        nb_tensor *y = nb_from_buffer(ctx, NB_F64, NB_SHAPE(T, n, 1), ys);
        // loss = sum over trials of each trial's mean squared error = T * mean over all
        nb_tensor *loss = nb_scale(ctx, nb_mse(ctx, mlp_forward(ctx, u, W1, b1, W2, b2), y), (double)T);
        if (!loss) s = nb_errcode();
        if (!s) s = nb_backward(ctx, loss);
        if (!s) s = nb_optim_step_params(opt, par);
    }
    if (s) {
        s = nb_fail(nb_errcode() ? nb_errcode() : s, "%s: training failed: %s", fn, nb_errmsg());
        goto done;
    }
    // predictions at the K test inputs, every trial: (T, K, 1), no tape
    nb_ctx_reset(ctx);
    bool prev = nb_ctx_set_grad(ctx, false);
    for (int64_t k = 0; k < K; k++) ut[k] = 2 * (((double)k + 0.5) / (double)K) - 1;
    double *ub = malloc((size_t)(T * K) * sizeof *ub);
    if (!ub) {
        s = nb_fail(NB_ENOMEM, "%s: out of memory", fn);
        goto done;
    }
    for (int64_t t = 0; t < T; t++) memcpy(ub + t * K, ut, (size_t)K * sizeof *ub);
    nb_tensor *pt = mlp_forward(ctx, nb_from_buffer(ctx, NB_F64, NB_SHAPE(T, K, 1), ub), W1, b1, W2, b2);
    free(ub);
    nb_ctx_set_grad(ctx, prev);
    if (!pt) {
        s = nb_errcode();
        goto done;
    }
    const double *pd = pt->data;
    for (int64_t t = 0; t < T; t++)
        for (int64_t k = 0; k < K; k++) P[k * T + t] = pd[t * K + k];
    if (!lr_all_finite(P, T * K)) {
        s = nb_fail(NB_ENUM, "%s: training diverged (NaN/Inf predictions); lower the learning rate %g", fn, lr);
        goto done;
    }
    s = lr_sine_estimate(rng, K, T, sigma, P, out, se);
done:
    nb_optim_free(opt);
    nb_ctx_free(ctx);
    nb_params_free(par);
    free(xs);
    return s;
}
