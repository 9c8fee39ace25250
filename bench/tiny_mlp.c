/* The tiny-model step: a 2-16-1 tanh MLP, batch 8, MSE, SGD(lr 0.01) — the
 * whole zero_grad + forward + backward + step, as torch_overhead.py's c1
 * measures it for PyTorch. Prints the min and median us/step of REPS passes
 * of STEPS steps after one warm-up pass. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nabla.h"
#include "nabla/optim.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv) {
    int steps = argc > 1 ? atoi(argv[1]) : 1000, reps = argc > 2 ? atoi(argv[2]) : 5;
    nb_set_threads(2);
    nb_rng rng;
    nb_rng_seed(&rng, 0);
    nb_params *p = nb_params_new(NB_F32);
    nb_tensor *w1 = nb_params_add(p, "w1", NB_SHAPE(2, 16)), *b1 = nb_params_add(p, "b1", NB_SHAPE(16));
    nb_tensor *w2 = nb_params_add(p, "w2", NB_SHAPE(16, 1)), *b2 = nb_params_add(p, "b2", NB_SHAPE(1));
    nb_tensor *init[] = {w1, b1, w2, b2};
    double bound[] = {0.7071, 0.7071, 0.25, 0.25}; /* PyTorch's 1/sqrt(fan_in) */
    for (int i = 0; i < 4; i++)
        for (int64_t j = 0; j < init[i]->numel; j++) nb_tensor_set(init[i], j, bound[i] * (2 * nb_rng_uniform(&rng) - 1));
    float xv[16], yv[8];
    for (int i = 0; i < 8; i++) {
        xv[2 * i] = (float)nb_rng_normal(&rng);
        xv[2 * i + 1] = (float)nb_rng_normal(&rng);
        yv[i] = xv[2 * i] * xv[2 * i + 1];
    }
    nb_optim_config cfg = nb_optim_defaults(NB_OPT_GD, NB_CONV_TORCH);
    cfg.lr = 0.01;
    nb_optim *opt = nb_optim_new_params(&cfg, p);
    nb_ctx *ctx = nb_ctx_new();
    if (!opt || !ctx) {
        fprintf(stderr, "tiny_mlp: %s\n", nb_errmsg());
        return 2;
    }
    double *times = calloc((size_t)reps, sizeof *times), loss = 0;
    for (int r = 0; r <= reps; r++) {
        double t0 = now();
        for (int s = 0; s < steps; s++) {
            nb_ctx_reset(ctx);
            nb_params_zero_grad(p);
            nb_tensor *x = nb_from_buffer(ctx, NB_F32, NB_SHAPE(8, 2), xv);
            nb_tensor *y = nb_from_buffer(ctx, NB_F32, NB_SHAPE(8, 1), yv);
            nb_tensor *h = nb_tanh(ctx, nb_linear(ctx, x, w1, b1));
            nb_tensor *l = nb_mse(ctx, nb_linear(ctx, h, w2, b2), y);
            if (nb_backward(ctx, l) != NB_OK || nb_optim_step_params(opt, p) != NB_OK) {
                fprintf(stderr, "tiny_mlp: %s\n", nb_errmsg());
                return 2;
            }
            loss = nb_tensor_get(l, 0);
        }
        if (r > 0) times[r - 1] = (now() - t0) / steps * 1e6;
    }
    qsort(times, (size_t)reps, sizeof *times, cmp);
    printf("tiny MLP 2-16-1 b8 SGD step: us/step min %.3f med %.3f (final loss %.4g)\n", times[0], times[reps / 2], loss);
    free(times);
    nb_ctx_free(ctx);
    nb_optim_free(opt);
    nb_params_free(p);
    return 0;
}
