/* nabla/lab.h — the optimizer lab: an optimizer on a 2-D test function.
 *
 * The handout's quadratic f = a1 x1² + a2 x2² (Hessian diag(2 a1, 2 a2)) and
 * Rosenbrock's (1 - x1)² + 100 (x2 - x1²)², with their gradients written in
 * the same order as the fixtures' generator, a trajectory of any optimizer on
 * them, and the linear convergence rate predicted by the iteration's
 * spectral radius against the one measured on the trajectory. The CLI's
 * `nabla optim` and `nabla figures` and the browser page all run this code. */
#ifndef NABLA_LAB_H
#define NABLA_LAB_H

#include "nabla/optim.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct nb_lab_fn {
    bool rosen;     /* Rosenbrock (a = 1, b = 100), else a1 x1² + a2 x2² */
    double a1, a2;
} nb_lab_fn;

/* x_0 .. x_{n-1} and f there; diverged when the run stopped at the first
 * point whose iterate or f is not finite (that point is kept). */
typedef struct nb_lab_traj {
    int64_t n;
    double *x1, *x2, *f;
    bool diverged;
} nb_lab_traj;

double nb_lab_f(const nb_lab_fn *fn, double x1, double x2);
void nb_lab_grad(const nb_lab_fn *fn, const double x[2], double g[2]);
void nb_lab_optimum(const nb_lab_fn *fn, double x[2]);

/* steps optimizer steps from x0 (f64), into t (free with nb_lab_traj_free). */
nb_status nb_lab_run(const nb_lab_fn *fn, const nb_optim_config *cfg, const double x0[2], int64_t steps,
                     nb_lab_traj *t);
void nb_lab_traj_free(nb_lab_traj *t);

/* The predicted linear rate on a quadratic: GD max_i |1 - α λ_i|; heavy ball
 * and Nesterov the spectral radius of their 2x2 iteration per eigenvalue
 * λ_i = 2 a_i (plus a coupled weight decay). NaN where the method is not a
 * linear iteration (adaptive methods, Rosenbrock). A rate above 1 diverges. */
double nb_lab_predicted_rate(const nb_lab_fn *fn, const nb_optim_config *cfg);
/* Heavy ball's rate at (lr, momentum) on the quadratic (no decay, no
 * dampening): what the page's rate map draws. */
double nb_lab_momentum_rate(const nb_lab_fn *fn, double lr, double momentum);
/* The measured rate r = (d_T / d_T0)^(1/(T - T0)), d_t = ||x_t - x*||, T the
 * last finite step, T0 = floor(T/2): the geometric mean of the per-step
 * distance ratios over the run's second half. NaN when undefined. */
double nb_lab_measured_rate(const nb_lab_fn *fn, const nb_lab_traj *t);

#ifdef __cplusplus
}
#endif
#endif
