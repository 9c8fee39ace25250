/* web/nabla_web.h — the page's C API (web/nabla_web.c), and the layout of
 * the flat parameter blocks the page fills. web/nabla.js mirrors these
 * indices; a change here is a change there. */
#ifndef NABLA_WEB_H
#define NABLA_WEB_H

#include <stddef.h>
#include <stdint.h>

#ifdef __wasm__
#define NBW_EXPORT(name) __attribute__((export_name(#name)))
#else
#define NBW_EXPORT(name)
#endif

/* The optimizer lab's parameter block: NaN in a knob keeps its default. */
enum {
    NBW_FN, /* 0 quadratic, 1 Rosenbrock */
    NBW_A1, NBW_A2, NBW_KIND, NBW_CONV, NBW_X1, NBW_X2,
    NBW_LR, NBW_MOMENTUM, NBW_BETA, NBW_BETA1, NBW_BETA2, NBW_EPS, NBW_WD,
    NBW_LAB_LEN
};
/* nbw_traj_info: n, diverged, predicted rate, measured rate, then the knobs
 * the run used: lr, momentum, beta, beta1, beta2, eps, weight decay. */
#define NBW_INFO_LEN 11
#define NBW_MAX_STEPS 1000000

/* Jacobians: d, n <= NBW_JAC_DIM, at most NBW_JAC_MAX entries. nbw_jac_result(3)
 * holds the handout layout's ndim and shape (1 + NB_MAX_DIMS values), then
 * PyTorch's, then gradcheck's max abs error, max rel error and pass flag. */
#define NBW_JAC_DIM 8
#define NBW_JAC_MAX (NBW_JAC_DIM * NBW_JAC_DIM * NBW_JAC_DIM)
#define NBW_JAC_INFO_LEN (2 * (1 + 8) + 3)

/* The bias-variance block: the generated design's n, d, ntest, seed and noise σ. */
enum { NBW_BV_N, NBW_BV_D, NBW_BV_K, NBW_BV_SEED, NBW_BV_SIGMA, NBW_BV_LEN };
#define NBW_BV_MAXL 64

/* The playground's block (web/nabla_web_play.c): the data, the network, the
 * training knobs. NaN in an optimizer knob keeps its default, as in the lab's. */
enum {
    NBW_P_DATA,                         /* nb_toy2d_kind */
    NBW_P_N, NBW_P_NOISE, NBW_P_TRAIN,  /* points, jitter σ, training fraction */
    NBW_P_SEED,                         /* the data, the initialisation, the batches' order */
    NBW_P_DEPTH, NBW_P_WIDTH, NBW_P_ACT, /* hidden layers, units each, nb_activation */
    NBW_P_BATCH,
    NBW_P_KIND, NBW_P_CONV, NBW_P_LR, NBW_P_MOMENTUM, NBW_P_BETA, NBW_P_BETA1, NBW_P_BETA2, NBW_P_EPS,
    NBW_P_L2,                           /* the optimizer's weight decay: L2 (AdamW: decoupled) */
    NBW_P_LEN
};
#define NBW_PLAY_MAX_DEPTH 6
#define NBW_PLAY_MAX_WIDTH 16
#define NBW_PLAY_MAX_N 5000
#define NBW_PLAY_MAX_RUN 100000
#define NBW_PLAY_MAX_GRID 256
/* nbw_play_info: step, train loss, train accuracy, test loss, test accuracy
 * (the last evaluation), parameters, training and test points, then the
 * knobs the optimizer runs with: lr, momentum, beta, beta1, beta2, eps, L2. */
enum {
    NBW_PI_STEP, NBW_PI_TRAIN_LOSS, NBW_PI_TRAIN_ACC, NBW_PI_TEST_LOSS, NBW_PI_TEST_ACC, NBW_PI_PARAMS,
    NBW_PI_NTRAIN, NBW_PI_NTEST, NBW_PI_LR, NBW_PI_MOMENTUM, NBW_PI_BETA, NBW_PI_BETA1, NBW_PI_BETA2, NBW_PI_EPS,
    NBW_PI_L2, NBW_PI_LEN
};

NBW_EXPORT(nbw_errmsg) const char *nbw_errmsg(void);
NBW_EXPORT(nbw_alloc) void *nbw_alloc(size_t bytes);
NBW_EXPORT(nbw_free) void nbw_free(void *p);

NBW_EXPORT(nbw_optim) int nbw_optim(const double *p, int steps);
NBW_EXPORT(nbw_traj) const double *nbw_traj(int which); /* 0 x1, 1 x2, 2 f */
NBW_EXPORT(nbw_traj_info) const double *nbw_traj_info(void);
NBW_EXPORT(nbw_traj_csv) const char *nbw_traj_csv(void);
NBW_EXPORT(nbw_lab_grid) int nbw_lab_grid(const double *p, double xlo, double xhi, double ylo, double yhi, int nx, int ny,
                                          double *out);
NBW_EXPORT(nbw_rate_map) int nbw_rate_map(double a1, double a2, double lrlo, double lrhi, double mlo, double mhi, int nx,
                                          int ny, double *out);

NBW_EXPORT(nbw_jac) int nbw_jac(int which, int d, int n, const double *A, const double *x, const double *v);
NBW_EXPORT(nbw_jac_result) const double *nbw_jac_result(int which); /* 0 handout J, 1 PyTorch J, 2 closed form, 3 info */

NBW_EXPORT(nbw_bv_exact) int nbw_bv_exact(const double *p, int nl, const double *lam, double *out);
NBW_EXPORT(nbw_bv_mc) int nbw_bv_mc(const double *p, int nl, const double *lam, double trials, double noise_seed, double *out,
                                     double *se);
NBW_EXPORT(nbw_bv_poly) int nbw_bv_poly(int degree, double n, double sigma, double K, double lambda, double trials,
                                        double seed, double *out);
NBW_EXPORT(nbw_poly_curves) int nbw_poly_curves(int degree, int n, double sigma, double lambda, int ncurves, double seed,
                                                int npts, double *out);

NBW_EXPORT(nbw_sgemm) int nbw_sgemm(int m, int n, int k, const float *A, const float *B, float *C, int reps);
NBW_EXPORT(nbw_gemm_kernel) const char *nbw_gemm_kernel(void);
/* 1: force the portable kernel (for comparisons), 0: back to the automatic choice. */
NBW_EXPORT(nbw_gemm_portable) int nbw_gemm_portable(int on);

/* The playground: one network training on one toy dataset. nbw_play_new
 * builds both from the block (step 0); nbw_play_set changes the training
 * knobs (batch, optimizer, its knobs, L2) from the next step, keeping the
 * optimizer's state when its kind stays, and refuses a change of the data or
 * the network (those start anew); nbw_play_run takes k steps and keeps each
 * step's minibatch loss (nbw_play_losses); nbw_play_eval fills the info's
 * losses and accuracies on the whole training and test sets. nbw_play_map:
 * over an nx x ny grid of cell centres on [lo, hi]² (row 0 at y = lo), the
 * probability of class 1 into prob, and (units not NULL) each hidden unit's
 * output, layer by layer, unit-major: units[(l width + u) nx ny + j nx + i]. */
NBW_EXPORT(nbw_play_new) int nbw_play_new(const double *p);
NBW_EXPORT(nbw_play_set) int nbw_play_set(const double *p);
NBW_EXPORT(nbw_play_run) int nbw_play_run(int k);
NBW_EXPORT(nbw_play_eval) int nbw_play_eval(void);
NBW_EXPORT(nbw_play_info) const double *nbw_play_info(void);
NBW_EXPORT(nbw_play_losses) const double *nbw_play_losses(void);
NBW_EXPORT(nbw_play_x) const float *nbw_play_x(void);   /* n x 2, the first ntrain the training set */
NBW_EXPORT(nbw_play_y) const int32_t *nbw_play_y(void); /* n labels */
NBW_EXPORT(nbw_play_map) int nbw_play_map(int nx, int ny, double lo, double hi, double *prob, double *units);

#endif
