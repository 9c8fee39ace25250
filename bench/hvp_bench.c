/* One Hessian-vector product of the MLP 784-128-10 (softmax cross-entropy)
 * on a batch of 1,000 against one gradient of the same loss, f32, in the
 * threads the caller sets (bench/hvp.sh: one). Prints medians in ms. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nabla.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int cmp(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

typedef struct args { nb_tensor *x; int32_t *y; } args;

static nb_tensor *loss(nb_ctx *ctx, nb_tensor *const *p, void *user) {
    const args *a = user;
    nb_tensor *h = nb_linear_relu(ctx, a->x, p[0], p[1]);
    return nb_softmax_cross_entropy(ctx, nb_linear(ctx, h, p[2], p[3]), a->y);
}

int main(int argc, char **argv) {
    int reps = argc > 1 ? atoi(argv[1]) : 30;
    nb_set_threads(1);
    nb_rng rng;
    nb_rng_seed(&rng, 1);
    enum { N = 1000, D = 784, H = 128, C = 10 };
    args a = {nb_uniform(NULL, &rng, NB_F32, NB_SHAPE(N, D), 0, 1), malloc(N * sizeof(int32_t))};
    for (int i = 0; i < N; i++) a.y[i] = (int32_t)nb_rng_below(&rng, C);
    nb_tensor *p[4] = {nb_uniform(NULL, &rng, NB_F32, NB_SHAPE(D, H), -0.035, 0.035),
                       nb_uniform(NULL, &rng, NB_F32, NB_SHAPE(H), -0.035, 0.035),
                       nb_uniform(NULL, &rng, NB_F32, NB_SHAPE(H, C), -0.09, 0.09),
                       nb_uniform(NULL, &rng, NB_F32, NB_SHAPE(C), -0.09, 0.09)};
    nb_tensor *v[4];
    for (int i = 0; i < 4; i++) {
        nb_tensor_requires_grad(p[i], true);
        v[i] = nb_normal(NULL, &rng, NB_F32, p[i]->ndim, p[i]->shape, 0, 1);
    }
    nb_ctx *ctx = nb_ctx_new();
    double *tg = malloc((size_t)reps * sizeof *tg), *th = malloc((size_t)reps * sizeof *th);
    for (int r = -5; r < reps; r++) { /* 5 warm-ups; gradient and HVP interleaved */
        double t0 = now();
        nb_ctx_reset(ctx);
        if (nb_backward(ctx, loss(ctx, p, &a))) return fprintf(stderr, "%s\n", nb_errmsg()), 1;
        double t1 = now();
        nb_ctx_reset(ctx);
        if (nb_hvp(ctx, loss, &a, 4, p, v, NULL)) return fprintf(stderr, "%s\n", nb_errmsg()), 1;
        double t2 = now();
        if (r >= 0) tg[r] = t1 - t0, th[r] = t2 - t1;
    }
    qsort(tg, (size_t)reps, sizeof *tg, cmp);
    qsort(th, (size_t)reps, sizeof *th, cmp);
    printf("grad_ms %.3f hvp_ms %.3f\n", 1e3 * tg[reps / 2], 1e3 * th[reps / 2]);
    return 0;
}
