/* Per-step cost of nabla's optimizers (torch convention, the peer's settings).
 *   quad: f = x1^2 + 10 x2^2 from (1.5, -2): f and its gradient by formula
 *         (no autodiff: this measures the optimizer's overhead) + nb_optim_step;
 *   big:  nb_optim_step alone on 2^20 f32 parameters.
 * Prints "quad NAME US_PER_STEP" and "big NAME MS_PER_STEP", best of REPS. */
#define _POSIX_C_SOURCE 200809L
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "nabla.h"

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

int main(void) {
    static const struct { const char *name; nb_optim_kind k; double lr, m; } runs[] = {
        {"sgd", NB_OPT_GD, 0.01, 0},         {"momentum", NB_OPT_MOMENTUM, 0.01, 0.9},
        {"rmsprop", NB_OPT_RMSPROP, 0.01, 0}, {"adagrad", NB_OPT_ADAGRAD, 0.1, 0},
        {"adam", NB_OPT_ADAM, 0.01, 0},      {"adamw", NB_OPT_ADAMW, 0.01, 0},
        {"nesterov", NB_OPT_NESTEROV, 0.01, 0.9},
    };
    volatile double sink = 0;
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        nb_optim_config c = nb_optim_defaults(runs[r].k, NB_CONV_TORCH);
        c.lr = runs[r].lr;
        if (runs[r].m > 0) c.momentum = runs[r].m;
        double best = 1e30;
        /* 1000 steps per run from x0 like the peer (longer runs reach denormals) */
        enum { STEPS = 1000, REPS = 300 };
        for (int rep = 0; rep < REPS; rep++) {
            nb_optim *o = nb_optim_new(&c, NB_F32, 2);
            if (!o) { fprintf(stderr, "%s\n", nb_errmsg()); return 1; }
            float x[2] = {1.5f, -2.0f}, g[2];
            double t0 = now();
            for (int s = 0; s < STEPS; s++) {
                sink += x[0] * x[0] + 10 * x[1] * x[1]; /* forward */
                g[0] = 2 * x[0], g[1] = 20 * x[1];      /* backward */
                nb_optim_step(o, x, g);
            }
            double dt = (now() - t0) / STEPS;
            if (dt < best) best = dt;
            nb_optim_free(o);
        }
        printf("quad %s %.4f\n", runs[r].name, best * 1e6);
    }
    int64_t n = 1 << 20;
    float *p = malloc(n * sizeof *p), *g = malloc(n * sizeof *g);
    if (!p || !g) return 1;
    nb_rng rng;
    nb_rng_seed(&rng, 1);
    for (int64_t i = 0; i < n; i++) p[i] = (float)nb_rng_normal(&rng), g[i] = (float)nb_rng_normal(&rng);
    for (size_t r = 0; r < sizeof runs / sizeof runs[0]; r++) {
        nb_optim_config c = nb_optim_defaults(runs[r].k, NB_CONV_TORCH);
        c.lr = 1e-4;
        if (runs[r].m > 0) c.momentum = runs[r].m;
        nb_optim *o = nb_optim_new(&c, NB_F32, n);
        if (!o) return 1;
        for (int w = 0; w < 3; w++) nb_optim_step(o, p, g); /* warm: touch the state */
        double best = 1e30;
        for (int rep = 0; rep < 7; rep++) {
            double t0 = now();
            for (int s = 0; s < 10; s++) nb_optim_step(o, p, g);
            double dt = (now() - t0) / 10;
            if (dt < best) best = dt;
        }
        nb_optim_free(o);
        printf("big %s %.4f\n", runs[r].name, best * 1e3);
    }
    free(p);
    free(g);
    return sink == 12345.678 ? 1 : 0;
}
