/* The bias-variance lab for ridge and OLS: the exact decomposition for a
 * fixed design, and its Monte Carlo estimate streamed through the cache in
 * blocks of trials (constant memory; the same bits for any block size and
 * thread count: mcstats.c). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "nabla/gemm.h"
#include "nabla/linreg.h"
#include "nabla/rng.h"
#include "kernels/mc_kernels.h"
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
    s = nb_gemm(NB_F64, false, false, K, 1, d, 1.0, Xtest, d, beta, 1, 0.0, f, 1);
    // x^T Cov x = sigma^2 ||X A^-1 x||^2, for every x at once: W = A^-1 Xtest^T, Z = X W
    for (int64_t k = 0; k < K; k++)
        for (int64_t j = 0; j < d; j++) W[j * K + k] = Xtest[k * d + j];
    nb_cholesky_solve(d, A, K, W);
    if (!s) s = nb_gemm(NB_F64, false, false, n, K, d, 1.0, X, d, W, K, 0.0, Z, K);
    if (s) {
        free(buf);
        return s;
    }
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
    double *buf = malloc((size_t)(5 * K) * sizeof *buf);
    if (!buf) return nb_fail(NB_ENOMEM, "nb_biasvar_from_samples: out of memory");
    double *m = buf, *m2 = m + K, *yb = m2 + K, *nz = yb + K, *D = nz + K;
    for (int64_t k = 0; k < K; k++) {
        const double *p = P + k * T, *y = Yt + k * T;
        double pm = 0, ym = 0, pv = 0, yv = 0;
        for (int64_t t = 0; t < T; t++) pm += p[t], ym += y[t];
        pm /= (double)T, ym /= (double)T;
        for (int64_t t = 0; t < T; t++) pv += (p[t] - pm) * (p[t] - pm), yv += (y[t] - ym) * (y[t] - ym);
        m[k] = pm, m2[k] = pv, yb[k] = ym, nz[k] = yv / (double)T;
    }
    lr_estimates(K, T, m, m2, yb, nz, out, D);
    free(buf);
    return NB_OK;
}

/* ---- the Monte Carlo sweep, streamed (the design: mcstats.c) ---- */

typedef struct ridge_job {
    const lr_mc *mc;
    const nb_mc_kernels *kr;
    int64_t n, d, block;
    const double *Ms, *XtT, *Xth; /* ns operators d x n; Xtest^T d x kp; X theta */
    double sigma;
    uint64_t key;
} ridge_job;

/* Nodes [n0, n1): per block of trials, the noise of each 8-trial tile from the
 * trials' own streams, then per penalty each tile's fits, predictions and
 * Welford updates, while the block's noise is in cache. */
static nb_status ridge_nodes(const ridge_job *J, int64_t n0, int64_t n1) {
    const lr_mc *mc = J->mc;
    int64_t n = J->n, d = J->d, kp = mc->kp, tiles = (J->block + 7) / 8;
    lr_mcw w;
    if (lr_mcw_init(&w, mc)) return NB_ENOMEM;
    int pt = J->kr->pred_t;
    double *Y = malloc((size_t)(tiles * 8 * (n + d) + pt * kp) * sizeof *Y);
    if (!Y) {
        lr_mcw_free(&w);
        return NB_ENOMEM;
    }
    double *th = Y + tiles * 8 * n, *P = th + tiles * 8 * d;
    for (int64_t node = n0; node < n1; node++) {
        int64_t t0, t1;
        lr_mc_node_range(mc, node, &t0, &t1);
        lr_mcw_begin(&w);
        for (int64_t b0 = t0; b0 < t1; b0 += J->block) {
            int64_t b1 = b0 + J->block < t1 ? b0 + J->block : t1, nt = (b1 - b0 + 7) / 8;
            for (int64_t q = 0; q < nt; q++) {
                double *Yq = Y + q * 8 * n;
                nb_rng g[8];
                for (int l = 0; l < 8; l++) nb_rng_stream(&g[l], J->key, (uint64_t)(b0 + 8 * q + l));
                nb_rng_normals8(g, n, Yq);
                for (int64_t i = 0; i < n; i++)
                    for (int l = 0; l < 8; l++) Yq[i * 8 + l] = J->Xth[i] + J->sigma * Yq[i * 8 + l];
            }
            for (int s = 0; s < mc->ns; s++) {
                J->kr->fit(n, d, J->Ms + (size_t)s * (size_t)(d * n), Y, nt, th);
                for (int64_t q = 0; q < nt; q++) {
                    int64_t t = b0 + 8 * q;
                    int w8 = b1 - t < 8 ? (int)(b1 - t) : 8;
                    for (int l0 = 0; l0 < w8; l0 += pt) {
                        int m = w8 - l0 < pt ? w8 - l0 : pt;
                        J->kr->predict(d, kp, J->XtT, th + q * 8 * d, l0, m, P);
                        for (int l = 0; l < m; l++) {
                            double inv, *m2, *mean = lr_mcw_leaf(&w, s, &inv, &m2);
                            J->kr->welford(kp, P + l * kp, inv, mean, m2);
                            lr_mcw_folded(&w, s, t + l0 + l);
                        }
                    }
                }
            }
        }
        lr_mcw_end(&w, node);
    }
    free(Y);
    lr_mcw_free(&w);
    return NB_OK;
}

nb_status nb_biasvar_mc_sweep_ex(int64_t n, int64_t d, const double *X, const double *theta, double sigma, int64_t K,
                                 const double *Xtest, int nl, const double *lambdas, int64_t trials, nb_rng *rng,
                                 const nb_mc_config *cfg, nb_biasvar *out, nb_biasvar *se, nb_status *row_status) {
    static const char fn[] = "nb_biasvar_mc";
    if (nl < 1 || !lambdas) return nb_fail(NB_EINVAL, "%s: no lambdas given", fn);
    for (int l = 0; l < nl; l++) {
        nb_status s = check_lab(fn, n, d, X, theta, sigma, K, Xtest, lambdas[l]);
        if (s) return s;
    }
    if (trials < 1) return nb_fail(NB_EINVAL, "%s: trials must be >= 1, got %lld", fn, (long long)trials);
    if (!rng || !out) return nb_fail(NB_EINVAL, "%s: rng or out is NULL", fn);
    int64_t block = cfg && cfg->block > 0 ? cfg->block : 256;
    int threads = cfg && cfg->threads > 0 ? cfg->threads : nb_get_threads();
    bool ranks = cfg && cfg->ranks;
    lr_mc mc;
    lr_mc_plan(&mc, trials, K, nl);
    int64_t kp = mc.kp;
    // Ms (nl operators d x n), XtT (d x kp), Xth (n), ybar, noise (K each); index of each good row
    size_t sz = (size_t)(nl * d * n + d * kp + n + 2 * K);
    double *buf = calloc(sz, sizeof *buf);
    int *row = malloc((size_t)nl * sizeof *row);
    if (!buf || !row) {
        free(buf), free(row);
        return nb_fail(NB_ENOMEM, "%s: out of memory", fn);
    }
    double *Ms = buf, *XtT = Ms + nl * d * n, *Xth = XtT + d * kp, *yb = Xth + n, *nz = yb + K;
    // a penalty whose X^T X + lambda I is singular leaves its row undefined
    // (NaN, its status in row_status) when the caller asks for row_status
    int ns = 0;
    nb_status s = NB_OK;
    for (int l = 0; l < nl && !s; l++) {
        nb_status r = nb_ridge_operator(n, d, X, lambdas[l], Ms + (size_t)ns * (size_t)(d * n));
        if (row_status) row_status[l] = r;
        if (r && !row_status) s = r;
        if (!r) row[ns++] = l;
    }
    if (s || ns == 0) {
        free(buf), free(row);
        return s ? s : nb_errcode();
    }
    mc.ns = ns;
    for (int64_t k = 0; k < K; k++)
        for (int64_t j = 0; j < d; j++) XtT[j * kp + k] = Xtest[k * d + j];
    if ((s = nb_gemm(NB_F64, false, false, n, 1, d, 1.0, X, d, theta, 1, 0.0, Xth, 1))) {
        free(buf), free(row);
        return s;
    }
    // the trials' noise comes from their own streams under one key; the fresh
    // targets from rng after it. One draw serves every lambda (common random numbers).
    uint64_t key = nb_rng_u64(rng);
    for (int64_t k = 0; k < K; k++) {
        double f = 0;
        for (int64_t j = 0; j < d; j++) f += Xtest[k * d + j] * theta[j];
        lr_draw_targets(rng, trials, f, sigma, &yb[k], &nz[k]);
    }
    s = lr_mc_alloc(&mc);
    if (!s) {
        ridge_job J = {&mc, nb__mc_kernels(), n, d, block, Ms, XtT, Xth, sigma, key};
        int64_t n0, n1;
        lr_mc_part(&mc, ranks, &n0, &n1);
        int nt = threads < n1 - n0 ? threads : n1 - n0 > 0 ? (int)(n1 - n0) : 1;
        nb_status st[64] = {0};
        if (nt > 64) nt = 64;
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
        {
            int64_t tid = omp_get_thread_num(), m = omp_get_num_threads();
            st[tid] = ridge_nodes(&J, n0 + (n1 - n0) * tid / m, n0 + (n1 - n0) * (tid + 1) / m);
        }
#else
        st[0] = ridge_nodes(&J, n0, n1);
#endif
        for (int t = 0; t < nt && !s; t++)
            if (st[t]) s = nb_fail(st[t], "%s: out of memory for a block of %lld trials", fn, (long long)block);
    }
    s = lr_mc_share(&mc, ranks, s);
    for (int l = 0; l < nl; l++) out[l] = (nb_biasvar){NAN, NAN, NAN, NAN};
    if (se)
        for (int l = 0; l < nl; l++) se[l] = (nb_biasvar){NAN, NAN, NAN, NAN};
    for (int i = 0; i < ns && !s; i++) s = lr_mc_estimate(&mc, i, yb, nz, &out[row[i]], se ? &se[row[i]] : NULL);
    lr_mc_free(&mc);
    free(buf), free(row);
    return s;
}

nb_status nb_biasvar_mc_sweep(int64_t n, int64_t d, const double *X, const double *theta, double sigma, int64_t K,
                              const double *Xtest, int nl, const double *lambdas, int64_t trials, nb_rng *rng,
                              nb_biasvar *out) {
    return nb_biasvar_mc_sweep_ex(n, d, X, theta, sigma, K, Xtest, nl, lambdas, trials, rng, NULL, out, NULL, NULL);
}

nb_status nb_biasvar_mc(int64_t n, int64_t d, const double *X, const double *theta, double sigma, int64_t K,
                        const double *Xtest, double lambda, int64_t trials, nb_rng *rng, nb_biasvar *out) {
    return nb_biasvar_mc_sweep(n, d, X, theta, sigma, K, Xtest, 1, &lambda, trials, rng, out);
}
