/* OLS and ridge: the closed forms against an independent computation
 * (Gauss-Jordan inversion and plain loops here, not the library's Cholesky or
 * nb_gemm), the singular-OLS error, QR least squares, and gradient descent. */
#include <stdlib.h>
#include <string.h>

#include "ref_linalg.h"
#include "test.h"
#include "nabla/linreg.h"

/* C (m x p) = A (m x k) B (k x p), plain loops. */


/* Inverse of a d x d matrix by Gauss-Jordan with partial pivoting. */

static void randn(nb_rng *r, double *v, int n, double scale) {
    for (int i = 0; i < n; i++) v[i] = scale * nb_rng_normal(r);
}

/* theta = (X^T X + lambda I)^-1 X^T y by explicit inversion. */
static void ridge_reference(int n, int d, const double *X, const double *y, double lambda, double *theta) {
    double *Xt = malloc(sizeof(double) * n * d), *A = malloc(sizeof(double) * d * d),
           *Ai = malloc(sizeof(double) * d * d), *b = malloc(sizeof(double) * d);
    ref_transpose(n, d, X, Xt);
    ref_mm(d, n, d, Xt, X, A);
    for (int i = 0; i < d; i++) A[i * d + i] += lambda;
    ref_inverse(d, A, Ai);
    ref_mm(d, n, 1, Xt, y, b);
    ref_mm(d, d, 1, Ai, b, theta);
    free(Xt), free(A), free(Ai), free(b);
}

TEST(cholesky_factor_and_solve) {
    enum { d = 7, m = 3 };
    nb_rng r;
    nb_rng_seed(&r, 11);
    double B[d * d], A[d * d], L[d * d], Lt[d * d], LLt[d * d], R[d * m], Z[d * m], AZ[d * m];
    randn(&r, B, d * d, 1);
    double Bt[d * d];
    ref_transpose(d, d, B, Bt);
    ref_mm(d, d, d, Bt, B, A);
    for (int i = 0; i < d; i++) A[i * d + i] += 0.1;
    memcpy(L, A, sizeof A);
    CHECK_OK(nb_cholesky(d, L, 1e-14));
    ref_transpose(d, d, L, Lt);
    ref_mm(d, d, d, L, Lt, LLt);
    for (int i = 0; i < d * d; i++) CHECK_NEAR(LLt[i], A[i], 1e-12, 1e-12);
    for (int i = 0; i < d; i++)
        for (int j = i + 1; j < d; j++) CHECK(L[i * d + j] == 0);
    randn(&r, R, d * m, 1);
    memcpy(Z, R, sizeof R);
    nb_cholesky_solve(d, L, m, Z);
    ref_mm(d, d, m, A, Z, AZ);
    for (int i = 0; i < d * m; i++) CHECK_NEAR(AZ[i], R[i], 1e-10, 1e-10);
    // indefinite: a clear NB_ENUM naming the pivot
    double I2[4] = {1, 2, 2, 1};
    CHECK_ERR(nb_cholesky(2, I2, 0), NB_ENUM, "not positive definite: pivot 1");
}

TEST(ridge_and_ols_match_explicit_inversion) {
    enum { n = 40, d = 6 };
    nb_rng r;
    nb_rng_seed(&r, 3);
    double X[n * d], y[n], th[d], ref[d];
    randn(&r, X, n * d, 1);
    for (int j = 0; j < d; j++)
        for (int i = 0; i < n; i++) X[i * d + j] *= pow(0.3, j); // decaying scales: a real ridge effect
    randn(&r, y, n, 1);
    double lambdas[] = {0, 1e-3, 0.5, 10, 1e4};
    for (int l = 0; l < 5; l++) {
        CHECK_OK(nb_ridge_fit(n, d, X, y, lambdas[l], th));
        ridge_reference(n, d, X, y, lambdas[l], ref);
        for (int j = 0; j < d; j++) CHECK_NEAR(th[j], ref[j], 1e-12, 1e-9);
        // the operator gives the same fit: theta = M y
        double M[d * n], th2[d];
        CHECK_OK(nb_ridge_operator(n, d, X, lambdas[l], M));
        ref_mm(d, n, 1, M, y, th2);
        for (int j = 0; j < d; j++) CHECK_NEAR(th2[j], ref[j], 1e-12, 1e-9);
        // and QR on [X; sqrt(lambda) I]
        CHECK_OK(nb_lstsq_qr(n, d, X, y, lambdas[l], th2));
        for (int j = 0; j < d; j++) CHECK_NEAR(th2[j], ref[j], 1e-12, 1e-9);
    }
    // OLS recovers theta from noiseless data
    double th0[d] = {1, -2, 3, 0.5, -1, 2}, y0[n];
    ref_mm(n, d, 1, X, th0, y0);
    CHECK_OK(nb_ridge_fit(n, d, X, y0, 0, th));
    for (int j = 0; j < d; j++) CHECK_NEAR(th[j], th0[j], 1e-9, 1e-9);
}

TEST(ols_singular_is_a_clear_error_that_suggests_lambda) {
    enum { n = 20, d = 4 };
    nb_rng r;
    nb_rng_seed(&r, 5);
    double X[n * d], y[n], th[d], M[d * n];
    randn(&r, X, n * d, 1);
    randn(&r, y, n, 1);
    // n < d
    CHECK_ERR(nb_ridge_fit(3, d, X, y, 0, th), NB_ENUM, "n=3 samples < d=4 features");
    CHECK_ERR(nb_ridge_fit(3, d, X, y, 0, th), NB_ENUM, "lambda > 0");
    CHECK_ERR(nb_ridge_operator(3, d, X, 0, M), NB_ENUM, "singular");
    // an exactly collinear column: x3 = x0 + 2 x1
    for (int i = 0; i < n; i++) X[i * d + 3] = X[i * d + 0] + 2 * X[i * d + 1];
    CHECK_ERR(nb_ridge_fit(n, d, X, y, 0, th), NB_ENUM, "singular or numerically so");
    CHECK_ERR(nb_ridge_fit(n, d, X, y, 0, th), NB_ENUM, "use ridge with lambda > 0");
    // collinear up to rounding-level noise: still singular to working precision
    for (int i = 0; i < n; i++) X[i * d + 3] += 1e-15 * nb_rng_normal(&r);
    CHECK_ERR(nb_ridge_fit(n, d, X, y, 0, th), NB_ENUM, "numerically so");
    // clearly independent (ill-conditioned, but with digits to spare): fits
    for (int i = 0; i < n; i++) X[i * d + 3] += 1e-5 * nb_rng_normal(&r);
    CHECK_OK(nb_ridge_fit(n, d, X, y, 0, th));
    // ridge on the singular designs works: X^T X + lambda I is positive definite
    for (int i = 0; i < n; i++) X[i * d + 3] = X[i * d + 0] + 2 * X[i * d + 1];
    CHECK_OK(nb_ridge_fit(n, d, X, y, 0.1, th));
    CHECK_OK(nb_ridge_fit(3, d, X, y, 0.1, th));
    // a lambda far below rounding level does not rescue it, and the message says so
    CHECK_ERR(nb_ridge_fit(n, d, X, y, 1e-300, th), NB_ENUM, "use a larger lambda");
    // QR least squares reports dependence too
    CHECK_ERR(nb_lstsq_qr(n, d, X, y, 0, th), NB_ENUM, "linearly dependent");
    CHECK_ERR(nb_lstsq_qr(3, d, X, y, 0, th), NB_ENUM, "no unique least-squares solution");
    CHECK_OK(nb_lstsq_qr(3, d, X, y, 0.1, th));
}

TEST(ridge_rejects_bad_arguments) {
    double X[4] = {1, 2, 3, 4}, y[2] = {1, 2}, th[2];
    CHECK_ERR(nb_ridge_fit(2, 2, X, y, -1, th), NB_EINVAL, "lambda must be a finite number >= 0");
    CHECK_ERR(nb_ridge_fit(2, 2, X, y, NAN, th), NB_EINVAL, "lambda");
    CHECK_ERR(nb_ridge_fit(0, 2, X, y, 1, th), NB_ESHAPE, "X is 0x2");
    CHECK_ERR(nb_ridge_fit(2, 2, NULL, y, 1, th), NB_EINVAL, "X is NULL");
    double Xn[4] = {1, NAN, 3, 4}, yn[2] = {INFINITY, 0};
    CHECK_ERR(nb_ridge_fit(2, 2, Xn, y, 1, th), NB_ENUM, "X contains NaN or Inf");
    CHECK_ERR(nb_ridge_fit(2, 2, X, yn, 1, th), NB_ENUM, "y contains NaN or Inf");
}

TEST(qr_handles_ill_conditioned_polynomial_features) {
    // monomials of x in [0, 1] up to degree 9: cond(V) ~ 1e7, so V^T V (~1e14) is at
    // the edge of f64, while QR keeps about 9 digits
    enum { n = 50, d = 10 };
    double V[n * d], y[n], th[d], th0[d];
    for (int j = 0; j < d; j++) th0[j] = 1.0 / (j + 1);
    for (int i = 0; i < n; i++) {
        double x = (i + 0.5) / n, p = 1;
        for (int j = 0; j < d; j++, p *= x) V[i * d + j] = p;
    }
    ref_mm(n, d, 1, V, th0, y);
    CHECK_OK(nb_lstsq_qr(n, d, V, y, 0, th));
    for (int j = 0; j < d; j++) CHECK_NEAR(th[j], th0[j], 1e-5, 1e-5);
}

TEST(ridge_by_gradient_descent_converges_to_the_closed_form) {
    enum { n = 50, d = 5 };
    nb_rng r;
    nb_rng_seed(&r, 8);
    double X[n * d], y[n], ref[d], th[d];
    randn(&r, X, n * d, 1);
    randn(&r, y, n, 1);
    double lam = 2.0;
    ridge_reference(n, d, X, y, lam, ref);
    // lr below n / lambda_max(X^T X + lambda I) / 2 = 1 / L; lambda_max <= trace
    double trace = lam * d;
    for (int i = 0; i < n * d; i++) trace += X[i] * X[i];
    struct {
        nb_optim_kind kind;
        double lr, tol;
        int steps;
    } runs[] = {
        {NB_OPT_GD, 0.5 * n / trace, 1e-9, 3000},
        {NB_OPT_MOMENTUM, 0.5 * n / trace, 1e-9, 1000},
        {NB_OPT_NESTEROV, 0.5 * n / trace, 1e-9, 1000},
        /* Adam at a constant rate does not converge: near the optimum its steps
         * stay about lr long, so it hovers within a fraction of lr (which point
         * of the hover a run ends on depends on the last bit of every sum) */
        {NB_OPT_ADAM, 0.01, 0.005, 4000},
    };
    for (size_t k = 0; k < sizeof runs / sizeof runs[0]; k++) {
        nb_optim_config c = nb_optim_defaults(runs[k].kind, NB_CONV_HANDOUT);
        c.lr = runs[k].lr;
        CHECK_OK(nb_ridge_fit_gd(n, d, X, y, lam, &c, runs[k].steps, th));
        for (int j = 0; j < d; j++)
            CHECK_MSG(fabs(th[j] - ref[j]) <= runs[k].tol, "%s: theta[%d] = %.12g, closed form %.12g",
                      nb_optim_kind_name(runs[k].kind), j, th[j], ref[j]);
    }
    nb_optim_config c = nb_optim_defaults(NB_OPT_GD, NB_CONV_HANDOUT);
    c.lr = 100;
    CHECK_ERR(nb_ridge_fit_gd(n, d, X, y, lam, &c, 2000, th), NB_ENUM, "diverged");
    c.lr = -1;
    CHECK_ERR(nb_ridge_fit_gd(n, d, X, y, lam, &c, 10, th), NB_EINVAL, "lr");
}
