/* The bias-variance lab for ridge and OLS: the exact decomposition for a
 * fixed design, and its Monte Carlo estimate with every trial in one GEMM. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "nabla/gemm.h"
#include "nabla/linreg.h"
#include "linreg/linreg_internal.h"

static nb_status check_lab(const char *fn, int64_t n, int64_t d, const double *X, const double *theta, double sigma,
                           int64_t K, const double *Xtest, double lambda) {
    nb_status s = lr_check_design(fn, n, d, X, lambda);
    if (s) return s;
    if (!theta || !Xtest) return nb_fail(NB_EINVAL, "%s: theta or Xtest is NULL", fn);
    if (K < 1) return nb_fail(NB_ESHAPE, "%s: no test inputs (K=%lld)", fn, (long long)K);
    if (!(sigma >= 0) || !isfinite(sigma)) return nb_fail(NB_EINVAL, "%s: sigma must be finite and >= 0, got %g", fn, sigma);
    if (!lr_all_finite(theta, d)) return nb_fail(NB_ENUM, "%s: theta contains NaN or Inf", fn);
    if (!lr_all_finite(Xtest, K * d)) return nb_fail(NB_ENUM, "%s: Xtest contains NaN or Inf", fn);
    return NB_OK;
}

nb_status nb_biasvar_exact(int64_t n, int64_t d, const double *X, const double *theta, double sigma, int64_t K,
                           const double *Xtest, double lambda, nb_biasvar *out, double *bias2_k, double *var_k) {
    static const char fn[] = "nb_biasvar_exact";
    nb_status s = check_lab(fn, n, d, X, theta, sigma, K, Xtest, lambda);
    if (s) return s;
    if (!out) return nb_fail(NB_EINVAL, "%s: out is NULL", fn);
    // A (d x d), beta (d), f (K), W (d x K), Z (n x K)
    size_t sz = (size_t)(d * d + d + K + d * K + n * K);
    double *buf = malloc(sz * sizeof *buf);
    if (!buf) return nb_fail(NB_ENOMEM, "%s: out of memory", fn);
    double *A = buf, *beta = A + d * d, *f = beta + d, *W = f + K, *Z = W + d * K;
    s = lr_factor(fn, n, d, X, lambda, A);
    if (s) {
        free(buf);
        return s;
    }
    // theta_bar - theta = (A^-1 X^T X - I) theta = -lambda A^-1 theta: exactly 0 for OLS
    for (int64_t j = 0; j < d; j++) beta[j] = -lambda * theta[j];
    nb_cholesky_solve(d, A, 1, beta);
    nb_gemm(NB_F64, false, false, K, 1, d, 1.0, Xtest, d, beta, 1, 0.0, f, 1);
    // x^T Cov x = sigma^2 ||X A^-1 x||^2, for every x at once: W = A^-1 Xtest^T, Z = X W
    for (int64_t k = 0; k < K; k++)
        for (int64_t j = 0; j < d; j++) W[j * K + k] = Xtest[k * d + j];
    nb_cholesky_solve(d, A, K, W);
    nb_gemm(NB_F64, false, false, n, K, d, 1.0, X, d, W, K, 0.0, Z, K);
    double b2 = 0, var = 0;
    for (int64_t k = 0; k < K; k++) {
        double v = 0;
        for (int64_t i = 0; i < n; i++) v += Z[i * K + k] * Z[i * K + k];
        v *= sigma * sigma;
        if (bias2_k) bias2_k[k] = f[k] * f[k];
        if (var_k) var_k[k] = v;
        b2 += f[k] * f[k];
        var += v;
    }
    out->bias2 = b2 / (double)K;
    out->variance = var / (double)K;
    out->noise = sigma * sigma;
    out->mse = out->bias2 + out->variance + out->noise;
    free(buf);
    return NB_OK;
}

void lr_point_stats(int64_t T, const double *p, double ybar, double noise, nb_biasvar *acc) {
    double pm = 0;
    for (int64_t t = 0; t < T; t++) pm += p[t];
    pm /= (double)T;
    double var = 0, cross = 0;
    for (int64_t t = 0; t < T; t++) {
        double dp = p[t] - pm, e = p[t] - ybar;
        var += dp * dp;
        cross += e * e;
    }
    var /= (double)T;
    // pair average (1/T^2) sum_t sum_s (y_s - p_t)^2, the sum over s in closed form:
    // (1/T) sum_s (y_s - p)^2 = noise + (ybar - p)^2
    double mse = noise + cross / (double)T;
    acc->bias2 += (pm - ybar) * (pm - ybar);
    acc->variance += var;
    acc->noise += noise;
    acc->mse += mse;
}

/* Gamma(a, 1) by Marsaglia and Tsang's squeeze (a >= 1), boosted for a < 1:
 * Gamma(a) = Gamma(a + 1) U^(1/a). */
static double gamma_draw(nb_rng *rng, double a) {
    if (a < 1) {
        double u = 1.0 - nb_rng_uniform(rng); // (0, 1]
        return gamma_draw(rng, a + 1) * pow(u, 1.0 / a);
    }
    double dd = a - 1.0 / 3, c = 1.0 / sqrt(9 * dd);
    for (;;) {
        double x, v;
        do {
            x = nb_rng_normal(rng);
            v = 1 + c * x;
        } while (v <= 0);
        v = v * v * v;
        double u = nb_rng_uniform(rng);
        if (u < 1 - 0.0331 * x * x * x * x) return dd * v;
        if (log(u) < 0.5 * x * x + dd * (1 - v + log(v))) return dd * v;
    }
}

void lr_draw_targets(nb_rng *rng, int64_t T, double f, double sigma, double *ybar, double *noise) {
    // T fresh targets y_s = f + sigma eps_s enter the estimates only through their mean
    // and ddof-0 variance, which are independent with ybar ~ N(f, sigma^2 / T) and
    // T noise / sigma^2 ~ chi^2_{T-1} = 2 Gamma((T-1)/2): draw those two directly
    *ybar = f + sigma * nb_rng_normal(rng) / sqrt((double)T);
    *noise = T > 1 ? sigma * sigma * 2 * gamma_draw(rng, 0.5 * (double)(T - 1)) / (double)T : 0;
}

nb_status nb_biasvar_from_samples(int64_t K, int64_t T, const double *P, const double *Yt, nb_biasvar *out) {
    if (K < 1 || T < 1 || !P || !Yt || !out)
        return nb_fail(NB_EINVAL, "nb_biasvar_from_samples: bad arguments (K=%lld, T=%lld)", (long long)K, (long long)T);
    nb_biasvar acc = {0, 0, 0, 0};
    for (int64_t k = 0; k < K; k++) {
        const double *y = Yt + k * T;
        double ym = 0, nz = 0;
        for (int64_t t = 0; t < T; t++) ym += y[t];
        ym /= (double)T;
        for (int64_t t = 0; t < T; t++) nz += (y[t] - ym) * (y[t] - ym);
        lr_point_stats(T, P + k * T, ym, nz / (double)T, &acc);
    }
    out->bias2 = acc.bias2 / (double)K;
    out->variance = acc.variance / (double)K;
    out->noise = acc.noise / (double)K;
    out->mse = acc.mse / (double)K;
    return NB_OK;
}

nb_status nb_biasvar_mc_sweep(int64_t n, int64_t d, const double *X, const double *theta, double sigma, int64_t K,
                              const double *Xtest, int nl, const double *lambdas, int64_t trials, nb_rng *rng,
                              nb_biasvar *out) {
    static const char fn[] = "nb_biasvar_mc";
    if (nl < 1 || !lambdas) return nb_fail(NB_EINVAL, "%s: no lambdas given", fn);
    for (int l = 0; l < nl; l++) {
        nb_status s = check_lab(fn, n, d, X, theta, sigma, K, Xtest, lambdas[l]);
        if (s) return s;
    }
    if (trials < 1) return nb_fail(NB_EINVAL, "%s: trials must be >= 1, got %lld", fn, (long long)trials);
    if (!rng || !out) return nb_fail(NB_EINVAL, "%s: rng or out is NULL", fn);
    int64_t T = trials;
    // M (d x n), Y (n x T), Theta (d x T), P (PBLK x T), Xtheta (n), f, ybar, noise (K each)
    enum { PBLK = 16 };
    size_t sz = (size_t)(d * n + n * T + d * T + PBLK * T + n + 3 * K);
    double *buf = malloc(sz * sizeof *buf);
    if (!buf) return nb_fail(NB_ENOMEM, "%s: out of memory for %lld trials", fn, (long long)T);
    double *M = buf, *Y = M + d * n, *Th = Y + n * T, *P = Th + d * T, *Xth = P + PBLK * T, *f = Xth + n, *yb = f + K,
           *nz = yb + K;
    nb_gemm(NB_F64, false, false, n, 1, d, 1.0, X, d, theta, 1, 0.0, Xth, 1);
    nb_gemm(NB_F64, false, false, K, 1, d, 1.0, Xtest, d, theta, 1, 0.0, f, 1);
    // every trial's training targets y = X theta + sigma eps, a column of Y; then the
    // fresh test targets. One draw serves every lambda (common random numbers).
    for (int64_t i = 0; i < n; i++)
        for (int64_t t = 0; t < T; t++) Y[i * T + t] = Xth[i] + sigma * nb_rng_normal(rng);
    for (int64_t k = 0; k < K; k++) lr_draw_targets(rng, T, f[k], sigma, &yb[k], &nz[k]);
    nb_status s = NB_OK;
    for (int l = 0; l < nl && !s; l++) {
        s = nb_ridge_operator(n, d, X, lambdas[l], M);
        if (s) break;
        // every trial's fit and its predictions: Theta = M Y, P = Xtest Theta
        nb_gemm(NB_F64, false, false, d, T, n, 1.0, M, n, Y, T, 0.0, Th, T);
        // a block of test inputs at a time, so P stays in cache: P_blk = Xtest_blk Theta
        nb_biasvar acc = {0, 0, 0, 0};
        for (int64_t k0 = 0; k0 < K; k0 += PBLK) {
            int64_t kb = K - k0 < PBLK ? K - k0 : PBLK;
            nb_gemm(NB_F64, false, false, kb, T, d, 1.0, Xtest + k0 * d, d, Th, T, 0.0, P, T);
            for (int64_t k = 0; k < kb; k++) lr_point_stats(T, P + k * T, yb[k0 + k], nz[k0 + k], &acc);
        }
        out[l].bias2 = acc.bias2 / (double)K;
        out[l].variance = acc.variance / (double)K;
        out[l].noise = acc.noise / (double)K;
        out[l].mse = acc.mse / (double)K;
    }
    free(buf);
    return s;
}

nb_status nb_biasvar_mc(int64_t n, int64_t d, const double *X, const double *theta, double sigma, int64_t K,
                        const double *Xtest, double lambda, int64_t trials, nb_rng *rng, nb_biasvar *out) {
    return nb_biasvar_mc_sweep(n, d, X, theta, sigma, K, Xtest, 1, &lambda, trials, rng, out);
}
