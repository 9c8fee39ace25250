/* Bias-variance of polynomial regression on y = sin(2 pi x) + noise, swept
 * over the degree. Each trial draws a whole new training set (inputs too), so
 * there is no closed form: only the Monte Carlo columns exist. Trials stream
 * through a fixed merge tree, as the ridge sweep's (mcstats.c). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "nabla/gemm.h"
#include "nabla/linreg.h"
#include "nabla/rng.h"
#include "kernels/mc_kernels.h"
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

typedef struct poly_job {
    const lr_mc *mc;
    const nb_mc_kernels *kr;
    int degree;
    int64_t n;
    double sigma, lambda;
    const double *Pt; /* K x q: the test inputs' features */
    uint64_t key;
    nb_status status;
    char msg[200];
} poly_job;

/* Nodes [n0, n1): each trial draws its training set from its own stream,
 * fits, predicts and folds, in trial order. */
static void poly_nodes(poly_job *J, int64_t n0, int64_t n1) {
    const lr_mc *mc = J->mc;
    int64_t n = J->n, q = J->degree + 1, K = mc->K;
    lr_mcw w;
    double *buf = NULL;
    nb_status s = lr_mcw_init(&w, mc);
    if (!s && !(buf = calloc((size_t)(n * q + n + q), sizeof *buf))) s = NB_ENOMEM;
    double *Phi = buf, *y = Phi + n * q, *th = y + n;
    for (int64_t node = n0; node < n1 && !s; node++) {
        int64_t t0, t1;
        lr_mc_node_range(mc, node, &t0, &t1);
        lr_mcw_begin(&w);
        for (int64_t t = t0; t < t1 && !s; t++) {
            nb_rng g;
            nb_rng_stream(&g, J->key, (uint64_t)t);
            for (int64_t i = 0; i < n; i++) {
                double x = nb_rng_uniform(&g);
                legendre_row(x, J->degree, Phi + i * q);
                y[i] = sin(two_pi * x) + J->sigma * nb_rng_normal(&g);
            }
            s = nb_lstsq_qr(n, q, Phi, y, J->lambda, th);
            if (s) break;
            for (int64_t k = 0; k < K; k++) {
                double v = 0;
                for (int64_t j = 0; j < q; j++) v += J->Pt[k * q + j] * th[j];
                w.p[k] = v;
            }
            double inv, *m2, *mean = lr_mcw_leaf(&w, 0, &inv, &m2);
            J->kr->welford(mc->kp, w.p, inv, mean, m2);
            lr_mcw_folded(&w, 0, t);
        }
        if (!s) lr_mcw_end(&w, node);
    }
    if (s) {
        J->status = s;
        snprintf(J->msg, sizeof J->msg, "%s", nb_errmsg());
    }
    free(buf);
    lr_mcw_free(&w);
}

nb_status nb_biasvar_poly_ex(int degree, int64_t n, double sigma, int64_t K, double lambda, int64_t trials,
                             nb_rng *rng, const nb_mc_config *cfg, nb_biasvar *out, nb_biasvar *se) {
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
    int64_t q = degree + 1;
    int threads = cfg && cfg->threads > 0 ? cfg->threads : nb_get_threads();
    bool ranks = cfg && cfg->ranks;
    lr_mc mc;
    lr_mc_plan(&mc, trials, K, 1);
    double *buf = malloc((size_t)(K * q + 2 * K) * sizeof *buf);
    if (!buf) return nb_fail(NB_ENOMEM, "%s: out of memory", fn);
    double *Pt = buf, *yb = Pt + K * q, *nz = yb + K;
    for (int64_t k = 0; k < K; k++) legendre_row(((double)k + 0.5) / (double)K, degree, Pt + k * q);
    // the training sets come from the trials' own streams under one key; the
    // fresh targets from rng after it
    uint64_t key = nb_rng_u64(rng);
    for (int64_t k = 0; k < K; k++) lr_draw_targets(rng, trials, lr_sine_f(k, K), sigma, &yb[k], &nz[k]);
    nb_status s = lr_mc_alloc(&mc);
    if (!s) {
        int64_t n0, n1;
        lr_mc_part(&mc, ranks, &n0, &n1);
        int nt = threads < n1 - n0 ? threads : n1 - n0 > 0 ? (int)(n1 - n0) : 1;
        if (nt > 64) nt = 64;
        poly_job J[64];
        for (int t = 0; t < nt; t++)
            J[t] = (poly_job){&mc, nb__mc_kernels(), degree, n, sigma, lambda, Pt, key, NB_OK, {0}};
#ifdef _OPENMP
#pragma omp parallel num_threads(nt) if (nt > 1)
        {
            int64_t tid = omp_get_thread_num(), m = omp_get_num_threads();
            poly_nodes(&J[tid], n0 + (n1 - n0) * tid / m, n0 + (n1 - n0) * (tid + 1) / m);
        }
#else
        poly_nodes(&J[0], n0, n1);
#endif
        for (int t = 0; t < nt && !s; t++)
            if (J[t].status) s = nb_fail(J[t].status, "%s: degree %d: %s", fn, degree, J[t].msg);
    }
    s = lr_mc_share(&mc, ranks, s);
    if (!s) s = lr_mc_estimate(&mc, 0, yb, nz, out, se);
    lr_mc_free(&mc);
    free(buf);
    return s;
}

nb_status nb_biasvar_poly(int degree, int64_t n, double sigma, int64_t K, double lambda, int64_t trials,
                          nb_rng *rng, nb_biasvar *out) {
    return nb_biasvar_poly_ex(degree, n, sigma, K, lambda, trials, rng, NULL, out, NULL);
}

double lr_sine_f(int64_t k, int64_t K) { return sin(two_pi * ((double)k + 0.5) / (double)K); }

nb_status lr_sine_estimate(nb_rng *rng, int64_t K, int64_t T, double sigma, const double *P, nb_biasvar *out,
                           nb_biasvar *se) {
    lr_mc mc;
    lr_mc_plan(&mc, T, K, 1);
    lr_mcw w;
    double *buf = malloc((size_t)(2 * K) * sizeof *buf);
    nb_status s = buf ? lr_mc_alloc(&mc) : nb_fail(NB_ENOMEM, "Monte Carlo: out of memory");
    if (!s) s = lr_mcw_init(&w, &mc);
    if (s) {
        free(buf);
        lr_mc_free(&mc);
        return s;
    }
    const nb_mc_kernels *kr = nb__mc_kernels();
    for (int64_t node = 0; node < mc.nnodes; node++) {
        int64_t t0, t1;
        lr_mc_node_range(&mc, node, &t0, &t1);
        lr_mcw_begin(&w);
        for (int64_t t = t0; t < t1; t++) {
            for (int64_t k = 0; k < K; k++) w.p[k] = P[k * T + t];
            double inv, *m2, *mean = lr_mcw_leaf(&w, 0, &inv, &m2);
            kr->welford(mc.kp, w.p, inv, mean, m2);
            lr_mcw_folded(&w, 0, t);
        }
        lr_mcw_end(&w, node);
    }
    double *yb = buf, *nz = yb + K;
    for (int64_t k = 0; k < K; k++) lr_draw_targets(rng, T, lr_sine_f(k, K), sigma, &yb[k], &nz[k]);
    s = lr_mc_estimate(&mc, 0, yb, nz, out, se);
    lr_mcw_free(&w);
    lr_mc_free(&mc);
    free(buf);
    return s;
}
