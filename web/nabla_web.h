/* web/nabla_web.h — the page's C API (web/nabla_web.c), and the layout of
 * the flat parameter blocks the page fills. web/nabla.js mirrors these
 * indices; a change here is a change there. */
#ifndef NABLA_WEB_H
#define NABLA_WEB_H

#include <stddef.h>

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

#endif
