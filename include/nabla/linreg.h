/* nabla/linreg.h — OLS, ridge and the bias-variance lab (handout section 1).
 *
 * Everything here is f64. Matrices are dense, row-major, passed as a pointer
 * and their dimensions: X is n x d (n samples, d features), Xtest is K x d.
 *
 *     double theta[20];
 *     if (nb_ridge_fit(n, d, X, y, 1.0, theta) != NB_OK) puts(nb_errmsg());
 *
 *     nb_biasvar ex, mc;
 *     nb_biasvar_exact(n, d, X, theta_true, sigma, K, Xtest, lambda, &ex);
 *     nb_rng rng; nb_rng_seed(&rng, 1);
 *     nb_biasvar_mc(n, d, X, theta_true, sigma, K, Xtest, lambda, 1000, &rng, &mc);
 *
 * lambda = 0 is OLS. When X^T X + lambda I is singular or numerically so (n < d,
 * collinear columns, lambda too small), the fits fail with NB_ENUM and a message
 * that says so and suggests a larger lambda. */
#ifndef NABLA_LINREG_H
#define NABLA_LINREG_H

#include "nabla/optim.h"
#include "nabla/tensor.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- dense SPD solves (the closed forms are built on these) --------------- */

/* A pivot of the Cholesky factorisation at or below this many units of
 * (n + d) eps times the largest diagonal of X^T X is treated as zero: forming
 * X^T X alone makes errors of about n eps max_i (X^T X)_ii, and the
 * factorisation about d eps more, so such a direction carries no information. */
#define NB_CHOL_PIVOT_ULPS 100.0

/* In-place Cholesky A = L L^T of a d x d symmetric matrix (lower triangle read,
 * L left in it, upper triangle zeroed). Fails with NB_ENUM when a pivot is
 * <= tol * max_i A_ii (tol >= 0; the message names what). */
nb_status nb_cholesky(int64_t d, double *A, double tol);
/* Solves (L L^T) Z = B in place for B d x m (row-major, m right-hand sides). */
void nb_cholesky_solve(int64_t d, const double *L, int64_t m, double *B);
/* Triangular solves, in place on B d x m: L Z = B, and L^T Z = B. */
void nb_trsm_lower(int64_t d, const double *L, int64_t m, double *B);
void nb_trsm_lower_t(int64_t d, const double *L, int64_t m, double *B);

/* ---- fits ------------------------------------------------------------------- */

/* theta (d) = (X^T X + lambda I)^-1 X^T y; lambda = 0 is OLS. */
nb_status nb_ridge_fit(int64_t n, int64_t d, const double *X, const double *y, double lambda,
                       double *theta);
/* The ridge operator M (d x n) = (X^T X + lambda I)^-1 X^T: theta = M y for any y. */
nb_status nb_ridge_operator(int64_t n, int64_t d, const double *X, double lambda, double *M);

/* The same fit by gradient descent with nabla's optimizers: minimises
 * L(theta) = (1/n) (||X theta - y||^2 + lambda ||theta||^2) for `steps` steps
 * of the optimizer cfg, from theta = 0. Its gradient is
 * (2/n) (X^T (X theta - y) + lambda theta); GD converges for lr < n / lambda_max(X^T X + lambda I). */
nb_status nb_ridge_fit_gd(int64_t n, int64_t d, const double *X, const double *y, double lambda,
                          const nb_optim_config *cfg, int64_t steps, double *theta);

/* Least squares on the rows of [A; sqrt(lambda) I] by Householder QR, for the
 * ill-conditioned designs (polynomial features) where X^T X would square the
 * condition number. A is n x d, not modified; theta is d values. */
nb_status nb_lstsq_qr(int64_t n, int64_t d, const double *A, const double *y, double lambda,
                      double *theta);

/* ---- the bias-variance lab ------------------------------------------------- */

/* Averages over the test inputs. For Monte Carlo, per test input, from T
 * trials' predictions p_t and T fresh targets y_s: variance = the ddof-1
 * variance of the predictions, noise = the ddof-1 variance of the fresh
 * targets, bias2 = (mean p - mean y)^2 less its own sampling variance
 * (variance + noise)/T, so that all three are unbiased; mse = the mean over
 * every (trial, fresh target) pair of (y_s - p_t)^2 (the handout's E[f(x) -
 * Y], squared). mse = bias2 + variance + noise holds exactly at every input.
 * A single trial (T = 1) has no variance: variance = noise = 0, bias2 = mse. */
typedef struct nb_biasvar {
    double bias2, variance, noise, mse;
} nb_biasvar;

/* Exact values for fixed X (n x d), theta (d), noise sigma, Xtest (K x d):
 *   theta_bar = (X^T X + lambda I)^-1 X^T X theta; bias2 = (x^T (theta_bar - theta))^2
 *   Cov = sigma^2 (X^T X + lambda I)^-1 X^T X (X^T X + lambda I)^-1; variance = x^T Cov x
 *   noise = sigma^2; mse = bias2 + variance + noise.
 * bias2_k and var_k, when not NULL, receive the K per-input values. */
nb_status nb_biasvar_exact(int64_t n, int64_t d, const double *X, const double *theta, double sigma,
                           int64_t K, const double *Xtest, double lambda, nb_biasvar *out,
                           double *bias2_k, double *var_k);

/* Monte Carlo with `trials` trials: y = X theta + sigma eps, refit, predict at
 * Xtest, and `trials` fresh targets x^T theta + sigma eps' per test input. The
 * trials stream through the cache in blocks (memory does not grow with
 * `trials`); trial t's noise is stream t of a key drawn from rng
 * (nb_rng_stream), and the per-input statistics are merged in a fixed tree
 * over the trial index, so the results are the same bits for any block size
 * and thread count. The fresh targets enter only through their mean and
 * variance, which are drawn (from rng, after the key) from their exact joint
 * law (normal and scaled chi-square, independent). */
nb_status nb_biasvar_mc(int64_t n, int64_t d, const double *X, const double *theta, double sigma,
                        int64_t K, const double *Xtest, double lambda, int64_t trials, nb_rng *rng,
                        nb_biasvar *out);

/* The same for nl penalties at once: one draw of the noise and of the fresh
 * targets serves every lambda (common random numbers), so the curves differ
 * by the estimator only. out holds nl results. */
nb_status nb_biasvar_mc_sweep(int64_t n, int64_t d, const double *X, const double *theta, double sigma,
                              int64_t K, const double *Xtest, int nl, const double *lambdas, int64_t trials,
                              nb_rng *rng, nb_biasvar *out);

/* How a Monte Carlo run is cut: neither changes a bit of the results. */
typedef struct nb_mc_config {
    int64_t block; /* trials per streaming block (0: 256) */
    int threads;   /* 0: nb_get_threads() */
    /* Under mpirun (nabla/dist.h): split the trials across the job's ranks,
     * each a contiguous run of whole leaves, and merge them in the same tree,
     * so every rank gets the one-process bits. A collective call then. */
    bool ranks;
} nb_mc_config;

/* The sweep with a say in the cut (cfg may be NULL), the standard errors of
 * the estimates (se: nl results, or NULL; from batch means over fixed runs of
 * trials, bias2 linearised in the mean predictions; NaN below 32 trials), and
 * rows that cannot be computed: with row_status (nl entries) given, a penalty
 * whose X^T X + lambda I is singular gets its error code there and NaN
 * results, and the others are computed (the call fails only when none can
 * be); with row_status NULL, such a penalty fails the call. */
nb_status nb_biasvar_mc_sweep_ex(int64_t n, int64_t d, const double *X, const double *theta, double sigma,
                                 int64_t K, const double *Xtest, int nl, const double *lambdas, int64_t trials,
                                 nb_rng *rng, const nb_mc_config *cfg, nb_biasvar *out, nb_biasvar *se,
                                 nb_status *row_status);

/* The Monte Carlo estimator itself, from samples: P and Yt are K x T
 * (row k: the T predictions, the T fresh targets at test input k). */
nb_status nb_biasvar_from_samples(int64_t K, int64_t T, const double *P, const double *Yt,
                                  nb_biasvar *out);

/* Models with no closed form: each trial draws a fresh training set of n
 * points, x ~ U[0, 1], y = sin(2 pi x) + sigma eps, fits, and predicts at K
 * test inputs evenly spaced in [0, 1] (with `trials` fresh targets each). */

/* Polynomial of degree p, in the Legendre basis of 2x - 1 (the same
 * polynomials as the monomials, far better conditioned), by QR least squares
 * with ridge penalty lambda (>= 0). Needs p + 1 <= n. Streamed as the ridge
 * sweep (trial t's training set is stream t of a key drawn from rng). */
nb_status nb_biasvar_poly(int degree, int64_t n, double sigma, int64_t K, double lambda,
                          int64_t trials, nb_rng *rng, nb_biasvar *out);
/* The same with a say in the cut (cfg may be NULL) and standard errors (se
 * may be NULL), as nb_biasvar_mc_sweep_ex. */
nb_status nb_biasvar_poly_ex(int degree, int64_t n, double sigma, int64_t K, double lambda, int64_t trials,
                             nb_rng *rng, const nb_mc_config *cfg, nb_biasvar *out, nb_biasvar *se);

/* A 1-W-1 tanh network y = w2^T tanh(w1 x + b1) + b2, every trial's network
 * trained at once (full batch, Adam at lr for `steps` steps) with the autodiff
 * library; the trials do not interact because Adam is elementwise. */
nb_status nb_biasvar_mlp(int width, int64_t n, double sigma, int64_t K, int64_t steps, double lr,
                         int64_t trials, nb_rng *rng, nb_biasvar *out);
/* The same with standard errors (se may be NULL). */
nb_status nb_biasvar_mlp_ex(int width, int64_t n, double sigma, int64_t K, int64_t steps, double lr,
                            int64_t trials, nb_rng *rng, nb_biasvar *out, nb_biasvar *se);

#ifdef __cplusplus
}
#endif
#endif
