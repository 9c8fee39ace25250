/* Bias-variance of polynomial regression on y = sin(2 pi x) + noise, swept
 * over the degree. Each trial draws a whole new training set (inputs too), so
 * there is no closed form: only the Monte Carlo columns exist. */
#include <math.h>
#include <stdlib.h>

#include "nabla/gemm.h"
#include "nabla/linreg.h"
#include "linreg/linreg_internal.h"

static const double two_pi = 6.283185307179586;

// Legendre features of x in [0, 1] mapped to u = 2x - 1 in [-1, 1]:
// P_0 = 1, P_1 = u, (k+1) P_{k+1} = (2k+1) u P_k - k P_{k-1}; |P_k| <= 1 on [-1, 1]
static void legendre_row(double x, int p, double *row) {
    double u = 2 * x - 1;
    row[0] = 1;
    if (p >= 1) row[1] = u;
    for (int k = 1; k < p; k++) row[k + 1] = ((2 * k + 1) * u * row[k] - k * row[k - 1]) / (k + 1);
}

nb_status nb_biasvar_poly(int degree, int64_t n, double sigma, int64_t K, double lambda, int64_t trials,
                          nb_rng *rng, nb_biasvar *out) {
    static const char fn[] = "nb_biasvar_poly";
    if (degree < 0 || degree > 60) return nb_fail(NB_EINVAL, "%s: degree must be in 0..60, got %d", fn, degree);
    if (n < 1 || K < 1 || trials < 1)
        return nb_fail(NB_EINVAL, "%s: n, K and trials must be >= 1 (got %lld, %lld, %lld)", fn, (long long)n,
                       (long long)K, (long long)trials);
    if (!(lambda >= 0) || !isfinite(lambda)) return nb_fail(NB_EINVAL, "%s: lambda must be finite and >= 0, got %g", fn, lambda);
    if (!(sigma >= 0) || !isfinite(sigma)) return nb_fail(NB_EINVAL, "%s: sigma must be finite and >= 0, got %g", fn, sigma);
    if (lambda == 0 && degree + 1 > n)
        return nb_fail(NB_ENUM, "%s: degree %d has %d coefficients but there are only %lld training points; "
                       "lower the degree, add points or use lambda > 0", fn, degree, degree + 1, (long long)n);
    if (!rng || !out) return nb_fail(NB_EINVAL, "%s: rng or out is NULL", fn);
    int64_t q = degree + 1, T = trials;
    // Phi (n x q), y (n), Phitest (K x q), Theta (q x T), P (K x T), theta (q)
    size_t sz = (size_t)(n * q + n + K * q + q * T + K * T + q);
    double *buf = malloc(sz * sizeof *buf);
    if (!buf) return nb_fail(NB_ENOMEM, "%s: out of memory", fn);
    double *Phi = buf, *y = Phi + n * q, *Pt = y + n, *Th = Pt + K * q, *P = Th + q * T, *th = P + K * T;
    for (int64_t k = 0; k < K; k++) legendre_row(((double)k + 0.5) / (double)K, degree, Pt + k * q);
    nb_status s = NB_OK;
    for (int64_t t = 0; t < T && !s; t++) {
        for (int64_t i = 0; i < n; i++) {
            double x = nb_rng_uniform(rng);
            legendre_row(x, degree, Phi + i * q);
            y[i] = sin(two_pi * x) + sigma * nb_rng_normal(rng);
        }
        s = nb_lstsq_qr(n, q, Phi, y, lambda, th);
        for (int64_t j = 0; j < q; j++) Th[j * T + t] = th[j];
    }
    if (s) {
        s = nb_fail(nb_errcode(), "%s: degree %d: %s", fn, degree, nb_errmsg());
        free(buf);
        return s;
    }
    nb_gemm(NB_F64, false, false, K, T, q, 1.0, Pt, q, Th, T, 0.0, P, T);
    lr_sine_stats(rng, K, T, sigma, P, out);
    free(buf);
    return NB_OK;
}

void lr_sine_stats(nb_rng *rng, int64_t K, int64_t T, double sigma, const double *P, nb_biasvar *out) {
    nb_biasvar acc = {0, 0, 0, 0};
    for (int64_t k = 0; k < K; k++) {
        double fk = sin(two_pi * ((double)k + 0.5) / (double)K);
        double yb, nz;
        lr_draw_targets(rng, T, fk, sigma, &yb, &nz);
        lr_point_stats(T, P + k * T, yb, nz, &acc);
    }
    out->bias2 = acc.bias2 / (double)K;
    out->variance = acc.variance / (double)K;
    out->noise = acc.noise / (double)K;
    out->mse = acc.mse / (double)K;
}
