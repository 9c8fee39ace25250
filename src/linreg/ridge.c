/* OLS and ridge by the closed form, and least squares by Householder QR. */
#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nabla/gemm.h"
#include "nabla/linreg.h"
#include "linreg/linreg_internal.h"

bool lr_all_finite(const double *v, int64_t n) {
    for (int64_t i = 0; i < n; i++)
        if (!isfinite(v[i])) return false;
    return true;
}

nb_status lr_check_design(const char *fn, int64_t n, int64_t d, const double *X, double lambda) {
    if (n < 1 || d < 1) return nb_fail(NB_ESHAPE, "%s: X is %lldx%lld; it needs at least one row and one column",
                                       fn, (long long)n, (long long)d);
    if (!X) return nb_fail(NB_EINVAL, "%s: X is NULL", fn);
    if (!(lambda >= 0) || !isfinite(lambda))
        return nb_fail(NB_EINVAL, "%s: lambda must be a finite number >= 0, got %g", fn, lambda);
    if (!lr_all_finite(X, n * d)) return nb_fail(NB_ENUM, "%s: X contains NaN or Inf", fn);
    return NB_OK;
}

nb_status lr_factor(const char *fn, int64_t n, int64_t d, const double *X, double lambda, double *A) {
    // A = X^T X + lambda I, then A = L L^T in place
    nb_status s = nb_gemm(NB_F64, true, false, d, d, n, 1.0, X, d, X, d, 0.0, A, d);
    if (s) return s;
    for (int64_t i = 0; i < d; i++) A[i * d + i] += lambda;
    double tol = NB_CHOL_PIVOT_ULPS * (double)(n + d) * DBL_EPSILON;
    if (nb_cholesky(d, A, tol) == NB_OK) return NB_OK;
    if (lambda == 0) {
        if (n < d)
            return nb_fail(NB_ENUM,
                           "%s: X^T X is singular (n=%lld samples < d=%lld features), so OLS has no unique "
                           "solution; use ridge with lambda > 0",
                           fn, (long long)n, (long long)d);
        return nb_fail(NB_ENUM,
                       "%s: X^T X is singular or numerically so (a column of X is, to working precision, a "
                       "combination of others: %s); use ridge with lambda > 0",
                       fn, nb_errmsg());
    }
    return nb_fail(NB_ENUM,
                   "%s: X^T X + lambda I is numerically singular for lambda=%g (%s); use a larger lambda",
                   fn, lambda, nb_errmsg());
}

nb_status nb_ridge_operator(int64_t n, int64_t d, const double *X, double lambda, double *M) {
    nb_status s = lr_check_design("nb_ridge_operator", n, d, X, lambda);
    if (s) return s;
    if (!M) return nb_fail(NB_EINVAL, "nb_ridge_operator: M is NULL");
    double *A = malloc((size_t)(d * d) * sizeof *A);
    if (!A) return nb_fail(NB_ENOMEM, "nb_ridge_operator: out of memory for a %lldx%lld matrix", (long long)d, (long long)d);
    s = lr_factor("nb_ridge_operator", n, d, X, lambda, A);
    if (!s) {
        // M = A^-1 X^T: start from X^T (d x n) and solve in place
        for (int64_t i = 0; i < n; i++)
            for (int64_t j = 0; j < d; j++) M[j * n + i] = X[i * d + j];
        nb_cholesky_solve(d, A, n, M);
    }
    free(A);
    return s;
}

nb_status nb_ridge_fit(int64_t n, int64_t d, const double *X, const double *y, double lambda, double *theta) {
    nb_status s = lr_check_design("nb_ridge_fit", n, d, X, lambda);
    if (s) return s;
    if (!y || !theta) return nb_fail(NB_EINVAL, "nb_ridge_fit: y or theta is NULL");
    if (!lr_all_finite(y, n)) return nb_fail(NB_ENUM, "nb_ridge_fit: y contains NaN or Inf");
    double *A = malloc((size_t)(d * d) * sizeof *A);
    if (!A) return nb_fail(NB_ENOMEM, "nb_ridge_fit: out of memory for a %lldx%lld matrix", (long long)d, (long long)d);
    s = lr_factor("nb_ridge_fit", n, d, X, lambda, A);
    if (!s) {
        // theta = (X^T X + lambda I)^-1 X^T y
        s = nb_gemm(NB_F64, true, false, d, 1, n, 1.0, X, d, y, 1, 0.0, theta, 1);
        if (!s) nb_cholesky_solve(d, A, 1, theta);
    }
    free(A);
    return s;
}

nb_status nb_lstsq_qr(int64_t n, int64_t d, const double *A, const double *y, double lambda, double *theta) {
    nb_status s = lr_check_design("nb_lstsq_qr", n, d, A, lambda);
    if (s) return s;
    if (!y || !theta) return nb_fail(NB_EINVAL, "nb_lstsq_qr: y or theta is NULL");
    if (!lr_all_finite(y, n)) return nb_fail(NB_ENUM, "nb_lstsq_qr: y contains NaN or Inf");
    // ridge as plain least squares on the stacked rows [A; sqrt(lambda) I], b = [y; 0]
    int64_t m = n + (lambda > 0 ? d : 0);
    if (m < d)
        return nb_fail(NB_ENUM,
                       "nb_lstsq_qr: %lld equations for %lld unknowns: no unique least-squares solution; "
                       "use lambda > 0",
                       (long long)n, (long long)d);
    double *R = calloc((size_t)(m * d + m), sizeof *R);
    if (!R) return nb_fail(NB_ENOMEM, "nb_lstsq_qr: out of memory");
    double *b = R + m * d;
    memcpy(R, A, (size_t)(n * d) * sizeof *R);
    memcpy(b, y, (size_t)n * sizeof *b);
    double rl = sqrt(lambda);
    for (int64_t j = 0; j < d && m > n; j++) R[(n + j) * d + j] = rl;
    double maxcol = 0;
    for (int64_t j = 0; j < d; j++) {
        double c = 0;
        for (int64_t i = 0; i < m; i++) c += R[i * d + j] * R[i * d + j];
        if (c > maxcol) maxcol = c;
    }
    maxcol = sqrt(maxcol);
    // R's diagonal is an orthogonal projection of a column, so rounding makes errors of ~ m eps ||A||
    double thr = NB_CHOL_PIVOT_ULPS * (double)(m + d) * DBL_EPSILON * maxcol;
    for (int64_t j = 0; j < d && !s; j++) {
        // Householder reflection H = I - 2 v v^T / (v^T v) taking R[j:, j] to (alpha, 0, ..., 0)
        double norm = 0;
        for (int64_t i = j; i < m; i++) norm += R[i * d + j] * R[i * d + j];
        norm = sqrt(norm);
        if (!(norm > thr)) {
            s = nb_fail(NB_ENUM,
                        "nb_lstsq_qr: the columns are linearly dependent to working precision (column %lld "
                        "adds %.3g of %.3g); use lambda > 0",
                        (long long)j, norm, maxcol);
            break;
        }
        double x0 = R[j * d + j];
        double alpha = x0 > 0 ? -norm : norm;
        double v0 = x0 - alpha; // v = (v0, R[j+1:, j]); v^T v = 2 norm (norm + |x0|)
        double vtv = v0 * v0 + (norm * norm - x0 * x0);
        for (int64_t c = j + 1; c <= d; c++) {
            double *col0 = c < d ? &R[j * d + c] : &b[j];
            double dot = v0 * *col0;
            for (int64_t i = j + 1; i < m; i++) dot += R[i * d + j] * (c < d ? R[i * d + c] : b[i]);
            double f = 2 * dot / vtv;
            *col0 -= f * v0;
            for (int64_t i = j + 1; i < m; i++) {
                if (c < d) R[i * d + c] -= f * R[i * d + j];
                else b[i] -= f * R[i * d + j];
            }
        }
        R[j * d + j] = alpha;
    }
    if (!s) {
        // back substitution R theta = (Q^T b)[0:d]
        for (int64_t i = d - 1; i >= 0; i--) {
            double t = b[i];
            for (int64_t k = i + 1; k < d; k++) t -= R[i * d + k] * theta[k];
            theta[i] = t / R[i * d + i];
        }
    }
    free(R);
    return s;
}

nb_status nb_ridge_fit_gd(int64_t n, int64_t d, const double *X, const double *y, double lambda,
                          const nb_optim_config *cfg, int64_t steps, double *theta) {
    nb_status s = lr_check_design("nb_ridge_fit_gd", n, d, X, lambda);
    if (s) return s;
    if (!y || !theta || !cfg) return nb_fail(NB_EINVAL, "nb_ridge_fit_gd: y, theta or cfg is NULL");
    if (steps < 0) return nb_fail(NB_EINVAL, "nb_ridge_fit_gd: steps must be >= 0, got %lld", (long long)steps);
    if (!lr_all_finite(y, n)) return nb_fail(NB_ENUM, "nb_ridge_fit_gd: y contains NaN or Inf");
    nb_optim *o = nb_optim_new(cfg, NB_F64, d);
    if (!o) return nb_errcode();
    double *r = malloc((size_t)(n + d) * sizeof *r), *g = r + n;
    if (!r) {
        nb_optim_free(o);
        return nb_fail(NB_ENOMEM, "nb_ridge_fit_gd: out of memory");
    }
    for (int64_t j = 0; j < d; j++) theta[j] = 0;
    for (int64_t t = 0; t < steps && !s; t++) {
        // r = X theta - y; g = (2/n) (X^T r + lambda theta)
        memcpy(r, y, (size_t)n * sizeof *r);
        if ((s = nb_gemm(NB_F64, false, false, n, 1, d, 1.0, X, d, theta, 1, -1.0, r, 1))) break;
        for (int64_t j = 0; j < d; j++) g[j] = lambda * theta[j];
        if ((s = nb_gemm(NB_F64, true, false, d, 1, n, 1.0, X, d, r, 1, 1.0, g, 1))) break;
        for (int64_t j = 0; j < d; j++) g[j] *= 2.0 / (double)n;
        s = nb_optim_step(o, theta, g);
    }
    if (!s && !lr_all_finite(theta, d))
        s = nb_fail(NB_ENUM, "nb_ridge_fit_gd: diverged to NaN/Inf (learning rate %g too large?)", cfg->lr);
    free(r);
    nb_optim_free(o);
    return s;
}
