/* The optimizer lab (nabla/lab.h): the 2-D test functions, trajectories and
 * convergence rates. */
#include <complex.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nabla/lab.h"

double nb_lab_f(const nb_lab_fn *fn, double x1, double x2) {
    if (fn->rosen) {
        double r = x2 - x1 * x1;
        return (1 - x1) * (1 - x1) + 100 * r * r;
    }
    return fn->a1 * x1 * x1 + fn->a2 * x2 * x2;
}

/* The same formulas, in the same order, as tests/fixtures' generator. */
void nb_lab_grad(const nb_lab_fn *fn, const double x[2], double g[2]) {
    if (fn->rosen) {
        double r = x[1] - x[0] * x[0];
        g[0] = -2 * (1 - x[0]) - 4 * 100.0 * x[0] * r;
        g[1] = 2 * 100.0 * r;
    } else {
        g[0] = 2 * fn->a1 * x[0];
        g[1] = 2 * fn->a2 * x[1];
    }
}

void nb_lab_optimum(const nb_lab_fn *fn, double x[2]) { x[0] = x[1] = fn->rosen ? 1 : 0; }

void nb_lab_traj_free(nb_lab_traj *t) {
    if (!t) return;
    free(t->x1);
    free(t->x2);
    free(t->f);
    memset(t, 0, sizeof *t);
}

nb_status nb_lab_run(const nb_lab_fn *fn, const nb_optim_config *cfg, const double x0[2], int64_t steps,
                     nb_lab_traj *t) {
    if (!t) return nb_fail(NB_EINVAL, "nb_lab_run: NULL trajectory");
    memset(t, 0, sizeof *t);
    if (!fn || !cfg || !x0) return nb_fail(NB_EINVAL, "nb_lab_run: NULL argument");
    if (steps < 0 || (uint64_t)steps >= SIZE_MAX / sizeof(double) - 1)
        return nb_fail(NB_EINVAL, "nb_lab_run: steps must be in [0, %zu), got %lld", SIZE_MAX / sizeof(double) - 1,
                       (long long)steps);
    if (!isfinite(x0[0]) || !isfinite(x0[1])) return nb_fail(NB_EINVAL, "nb_lab_run: x0 is not finite");
    if (!fn->rosen && !(isfinite(fn->a1) && isfinite(fn->a2)))
        return nb_fail(NB_EINVAL, "nb_lab_run: a1 and a2 must be finite");
    size_t cap = (size_t)steps + 1;
    nb_optim *o = nb_optim_new(cfg, NB_F64, 2);
    if (!o) return nb_errcode();
    t->x1 = malloc(cap * sizeof(double));
    t->x2 = malloc(cap * sizeof(double));
    t->f = malloc(cap * sizeof(double));
    if (!t->x1 || !t->x2 || !t->f) {
        nb_optim_free(o);
        nb_lab_traj_free(t);
        return nb_fail(NB_ENOMEM, "nb_lab_run: out of memory for %lld steps", (long long)steps);
    }
    double x[2] = {x0[0], x0[1]}, g[2];
    t->x1[0] = x[0], t->x2[0] = x[1], t->f[0] = nb_lab_f(fn, x[0], x[1]);
    t->n = 1;
    for (int64_t s = 1; s <= steps; s++) {
        nb_lab_grad(fn, x, g);
        nb_optim_step(o, x, g);
        double f = nb_lab_f(fn, x[0], x[1]);
        t->x1[s] = x[0], t->x2[s] = x[1], t->f[s] = f;
        t->n = s + 1;
        if (!isfinite(x[0]) || !isfinite(x[1]) || !isfinite(f)) {
            t->diverged = true;
            break;
        }
    }
    nb_optim_free(o);
    return NB_OK;
}

/* Spectral radius of [[b, -c], [1, 0]]: the larger root of z² - b z + c. */
static double radius2(double b, double c) {
    double complex d = csqrt((double complex)(b * b - 4 * c));
    double r1 = cabs((b + d) / 2), r2 = cabs((b - d) / 2);
    return r1 > r2 ? r1 : r2;
}

/* Torch's first heavy-ball step (v = g) does not change the rate. */
double nb_lab_predicted_rate(const nb_lab_fn *fn, const nb_optim_config *c) {
    if (!fn || !c || fn->rosen || c->maximize) return NAN;
    double lam[2] = {2 * fn->a1, 2 * fn->a2}, worst = 0;
    for (int i = 0; i < 2; i++) {
        double l = lam[i] + (c->decoupled_decay ? 0 : c->weight_decay), r;
        double keep = c->decoupled_decay ? 1 - c->lr * c->weight_decay : 1;
        if (c->kind == NB_OPT_GD) r = fabs(keep - c->lr * l);
        else if (c->kind == NB_OPT_MOMENTUM && !c->decoupled_decay)
            r = radius2(1 + c->momentum - c->lr * (1 - c->dampening) * l, c->momentum);
        else if (c->kind == NB_OPT_NESTEROV && !c->decoupled_decay)
            r = radius2((1 + c->momentum) * (1 - c->lr * l), c->momentum * (1 - c->lr * l));
        else return NAN;
        if (r > worst) worst = r;
    }
    return worst;
}

double nb_lab_momentum_rate(const nb_lab_fn *fn, double lr, double momentum) {
    if (!fn || fn->rosen) return NAN;
    double lam[2] = {2 * fn->a1, 2 * fn->a2}, worst = 0;
    for (int i = 0; i < 2; i++) {
        double r = radius2(1 + momentum - lr * lam[i], momentum);
        if (r > worst) worst = r;
    }
    return worst;
}

double nb_lab_measured_rate(const nb_lab_fn *fn, const nb_lab_traj *t) {
    if (!fn || !t || t->n < 1) return NAN;
    double o[2];
    nb_lab_optimum(fn, o);
    int64_t T = t->n - 1;
    while (T > 0 && !(isfinite(t->x1[T]) && isfinite(t->x2[T]))) T--;
    int64_t T0 = T / 2;
    if (T - T0 < 1) return NAN;
    double dT = hypot(t->x1[T] - o[0], t->x2[T] - o[1]), d0 = hypot(t->x1[T0] - o[0], t->x2[T0] - o[1]);
    if (!(d0 > 0) || !isfinite(dT)) return NAN;
    if (dT == 0) return 0;
    return exp((log(dT) - log(d0)) / (double)(T - T0));
}
