/* The bias-variance lab: the exact formulas against explicit inversion, the
 * handout's claims, the Monte Carlo estimates against the exact values within
 * a stated number of standard errors, and the identity mse = bias2 + variance
 * + noise. */
#include <fcntl.h>
#include <spawn.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ref_linalg.h"
#include "test.h"
#include "nabla/linreg.h"
#include "kernels/kernels.h"
#include "kernels/mc_kernels.h"




/* A design with decaying column scales, so that ridge has something to do. */
enum { N = 30, D = 5, K = 12 };
typedef struct {
    double X[N * D], theta[D], Xt[K * D];
} problem;

static void make_problem(problem *p, uint64_t seed) {
    nb_rng r;
    nb_rng_seed(&r, seed);
    for (int i = 0; i < N * D; i++) p->X[i] = nb_rng_normal(&r) * pow(0.4, i % D);
    for (int j = 0; j < D; j++) p->theta[j] = nb_rng_normal(&r);
    for (int i = 0; i < K * D; i++) p->Xt[i] = nb_rng_normal(&r);
}

/* The prediction covariance C (K x K) = Xtest Cov Xtest^T and the bias vector
 * b_k = x_k^T (theta_bar - theta), from the explicit inverse:
 * theta_bar = (X^T X + lambda I)^-1 X^T X theta; Cov = sigma^2 Ai X^T X Ai. */
static void reference(const problem *p, double sigma, double lambda, double *C, double *b) {
    double Xt[D * N], G[D * D], A[D * D], Ai[D * D], tb[D], T1[D * D], Cov[D * D], XtT[D * K], T2[K * D];
    ref_transpose(N, D, p->X, Xt);
    ref_mm(D, N, D, Xt, p->X, G);
    memcpy(A, G, sizeof A);
    for (int i = 0; i < D; i++) A[i * D + i] += lambda;
    ref_inverse(D, A, Ai);
    ref_mm(D, D, D, Ai, G, T1);
    ref_mm(D, D, 1, T1, p->theta, tb);
    for (int j = 0; j < D; j++) tb[j] -= p->theta[j];
    ref_mm(K, D, 1, p->Xt, tb, b);
    ref_mm(D, D, D, T1, Ai, Cov);
    for (int i = 0; i < D * D; i++) Cov[i] *= sigma * sigma;
    ref_transpose(K, D, p->Xt, XtT);
    ref_mm(K, D, D, p->Xt, Cov, T2);
    ref_mm(K, D, K, T2, XtT, C);
}

TEST(biasvar_exact_matches_explicit_inversion) {
    problem p;
    make_problem(&p, 21);
    double sigma = 0.7, lambdas[] = {0, 0.01, 0.3, 3, 100};
    for (int l = 0; l < 5; l++) {
        double C[K * K], b[K], b2k[K], vk[K];
        reference(&p, sigma, lambdas[l], C, b);
        nb_biasvar ex;
        CHECK_OK(nb_biasvar_exact(N, D, p.X, p.theta, sigma, K, p.Xt, lambdas[l], &ex, b2k, vk));
        double sb = 0, sv = 0;
        for (int k = 0; k < K; k++) {
            CHECK_NEAR(b2k[k], b[k] * b[k], 1e-13, 1e-8);
            CHECK_NEAR(vk[k], C[k * K + k], 1e-13, 1e-9);
            sb += b[k] * b[k];
            sv += C[k * K + k];
        }
        CHECK_NEAR(ex.bias2, sb / K, 1e-13, 1e-8);
        CHECK_NEAR(ex.variance, sv / K, 1e-13, 1e-9);
        CHECK(ex.noise == sigma * sigma);
        CHECK_NEAR(ex.mse, ex.bias2 + ex.variance + ex.noise, 0, 1e-15);
    }
}

TEST(biasvar_ols_is_unbiased_and_ridge_trades_bias_for_variance) {
    problem p;
    make_problem(&p, 22);
    nb_biasvar ols, prev;
    CHECK_OK(nb_biasvar_exact(N, D, p.X, p.theta, 1, K, p.Xt, 0, &ols, NULL, NULL));
    CHECK(ols.bias2 == 0); // theta_bar - theta = -lambda (X^T X + lambda I)^-1 theta, exactly 0
    prev = ols;
    for (double lam = 0.01; lam < 1e4; lam *= 10) {
        nb_biasvar r;
        CHECK_OK(nb_biasvar_exact(N, D, p.X, p.theta, 1, K, p.Xt, lam, &r, NULL, NULL));
        CHECK_MSG(r.bias2 > prev.bias2 && r.variance < prev.variance, "lambda %g: bias2 %g variance %g", lam, r.bias2,
                  r.variance);
        prev = r;
    }
}

TEST(biasvar_diagonal_design_matches_the_handout) {
    // X^T X = diag(s_i): X holds sqrt(s_i) at (i, i). With noise variance 1 (the
    // handout's Problem 3) the covariance of the ridge estimate is diagonal with
    // entries s_i / (s_i + lambda)^2 (the handout writes s_i as sigma_i^2), so at
    // x = e_i the variance is exactly that, and the bias is lambda theta_i / (s_i + lambda).
    enum { d = 4, n = 6 };
    double s[d] = {4, 1, 0.25, 1e-3}, X[n * d] = {0}, theta[d] = {1, -2, 0.5, 3}, E[d * d] = {0};
    for (int i = 0; i < d; i++) X[i * d + i] = sqrt(s[i]), E[i * d + i] = 1;
    double lambdas[] = {0, 0.1, 1, 10};
    for (int l = 0; l < 4; l++) {
        double lam = lambdas[l], b2[d], v[d];
        nb_biasvar ex;
        CHECK_OK(nb_biasvar_exact(n, d, X, theta, 1.0, d, E, lam, &ex, b2, v));
        for (int i = 0; i < d; i++) {
            CHECK_NEAR(v[i], s[i] / ((s[i] + lam) * (s[i] + lam)), 0, 1e-12);
            double bi = lam * theta[i] / (s[i] + lam);
            CHECK_NEAR(b2[i], bi * bi, 1e-300, 1e-12);
        }
        // and with noise sigma the entries scale by sigma^2
        CHECK_OK(nb_biasvar_exact(n, d, X, theta, 3.0, d, E, lam, &ex, b2, v));
        for (int i = 0; i < d; i++) CHECK_NEAR(v[i], 9 * s[i] / ((s[i] + lam) * (s[i] + lam)), 0, 1e-12);
    }
}

TEST(biasvar_ridge_variance_stays_bounded_as_a_direction_vanishes) {
    // OLS: variance 1/s_i grows without bound as s_i -> 0; ridge: s/(s+lambda)^2 <= 1/(4 lambda)
    // for every s, and -> 0 with s.
    enum { d = 2, n = 2 };
    double E[4] = {1, 0, 0, 1}, theta[2] = {1, 1}, lam = 0.5, prev_ols = 0;
    for (double s = 1; s >= 1e-10; s /= 100) {
        double X[4] = {1, 0, 0, sqrt(s)}, v[2];
        nb_biasvar ex;
        CHECK_OK(nb_biasvar_exact(n, d, X, theta, 1, 2, E, 0, &ex, NULL, v));
        CHECK_NEAR(v[1], 1 / s, 0, 1e-9);
        CHECK(v[1] > prev_ols);
        prev_ols = v[1];
        CHECK_OK(nb_biasvar_exact(n, d, X, theta, 1, 2, E, lam, &ex, NULL, v));
        CHECK(v[1] <= 1 / (4 * lam));
        CHECK_NEAR(v[1], s / ((s + lam) * (s + lam)), 0, 1e-9);
    }
}

TEST(biasvar_monte_carlo_agrees_with_exact_within_4_standard_errors) {
    // With Gaussian noise the estimators' means and standard errors are known exactly:
    //   E[variance] = V,       SE^2 = 2 tr(C^2) / ((T-1) K^2)         (Wishart trace, ddof 1)
    //   E[noise]    = sigma^2, SE^2 = 2 sigma^4 / ((T-1) K)
    //   E[bias2]    = B,       SE^2 ~ (4 b^T S b + 2 tr(S^2)) / K^2, S = (C + sigma^2 I)/T
    //   (the raw (mean p - mean y)^2 less its sampling variance: unbiased);
    //   E[mse]      = B + V + sigma^2; the three parts are independent (sample means
    //   and variances of Gaussians are), so SE^2 adds up.
    problem p;
    make_problem(&p, 23);
    const int T = 4000;
    double sigma = 0.8, lambdas[] = {0, 0.05, 1, 20};
    for (int l = 0; l < 4; l++) {
        double C[K * K], b[K], S[K * K];
        reference(&p, sigma, lambdas[l], C, b);
        double V = 0, B = 0, trC2 = 0, bSb = 0, trS2 = 0;
        for (int i = 0; i < K; i++) {
            V += C[i * K + i] / K;
            B += b[i] * b[i] / K;
            for (int j = 0; j < K; j++) {
                S[i * K + j] = (C[i * K + j] + (i == j) * sigma * sigma) / T;
                trC2 += C[i * K + j] * C[j * K + i];
            }
        }
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++) {
                bSb += b[i] * S[i * K + j] * b[j];
                trS2 += S[i * K + j] * S[j * K + i];
            }
        double s2 = sigma * sigma;
        double se_v = sqrt(2.0 * trC2 / (T - 1)) / K;
        double se_n = s2 * sqrt(2.0 / ((T - 1.0) * K));
        double se_b = sqrt(4 * bSb + 2 * trS2) / K;
        double se_m = sqrt(se_v * se_v + se_n * se_n + se_b * se_b);
        nb_rng r;
        nb_rng_seed(&r, 100 + l);
        nb_biasvar mc, ex;
        CHECK_OK(nb_biasvar_mc(N, D, p.X, p.theta, sigma, K, p.Xt, lambdas[l], T, &r, &mc));
        CHECK_OK(nb_biasvar_exact(N, D, p.X, p.theta, sigma, K, p.Xt, lambdas[l], &ex, NULL, NULL));
        CHECK_NEAR(ex.variance, V, 1e-14, 1e-9);
        CHECK_MSG(fabs(mc.variance - V) <= 4 * se_v, "lambda %g: variance %g vs %g (SE %g)",
                  lambdas[l], mc.variance, V, se_v);
        CHECK_MSG(fabs(mc.noise - s2) <= 4 * se_n, "lambda %g: noise %g vs %g (SE %g)", lambdas[l],
                  mc.noise, s2, se_n);
        CHECK_MSG(fabs(mc.bias2 - B) <= 4 * se_b, "lambda %g: bias2 %g vs %g (SE %g)", lambdas[l],
                  mc.bias2, B, se_b);
        CHECK_MSG(fabs(mc.mse - ex.mse) <= 4 * se_m, "lambda %g: mse %g vs %g (SE %g)", lambdas[l], mc.mse, ex.mse,
                  se_m);
        // the decomposition is an identity of the estimates, not just of their means
        CHECK_NEAR(mc.mse, mc.bias2 + mc.variance + mc.noise, 0, 1e-12);
    }
}

TEST(biasvar_estimator_identity_holds_per_test_point_against_brute_force) {
    // mse is the average over every (trial t, fresh target s) pair of (y_s - p_t)^2;
    // both variances ddof 1; bias2 = (mean(p) - mean(y))^2 less its own sampling
    // variance (var + noise)/T (the handout's E[f(x) - Y], squared, unbiased).
    enum { k = 3, T = 41 };
    nb_rng r;
    nb_rng_seed(&r, 9);
    double P[k * T], Y[k * T];
    for (int i = 0; i < k * T; i++) {
        P[i] = 5 + (i / T) + 0.3 * nb_rng_normal(&r);
        Y[i] = 4 + 2 * nb_rng_normal(&r);
    }
    nb_biasvar est;
    CHECK_OK(nb_biasvar_from_samples(k, T, P, Y, &est));
    double mse = 0, b2 = 0, var = 0, nz = 0;
    for (int q = 0; q < k; q++) {
        const double *p = P + q * T, *y = Y + q * T;
        double pm = 0, ym = 0;
        for (int t = 0; t < T; t++) pm += p[t] / T, ym += y[t] / T;
        for (int t = 0; t < T; t++) {
            var += (p[t] - pm) * (p[t] - pm) / (T - 1) / k;
            nz += (y[t] - ym) * (y[t] - ym) / (T - 1) / k;
            for (int s = 0; s < T; s++) mse += (y[s] - p[t]) * (y[s] - p[t]) / ((double)T * T * k);
        }
        double vq = 0, nq = 0;
        for (int t = 0; t < T; t++) vq += (p[t] - pm) * (p[t] - pm) / (T - 1), nq += (y[t] - ym) * (y[t] - ym) / (T - 1);
        b2 += ((pm - ym) * (pm - ym) - (vq + nq) / T) / k;
    }
    CHECK_NEAR(est.mse, mse, 0, 1e-12);
    CHECK_NEAR(est.bias2, b2, 0, 1e-12);
    CHECK_NEAR(est.variance, var, 0, 1e-12);
    CHECK_NEAR(est.noise, nz, 0, 1e-12);
    CHECK_NEAR(mse, b2 + var + nz, 0, 1e-12);
}

TEST(biasvar_monte_carlo_is_reproducible_and_checks_its_inputs) {
    problem p;
    make_problem(&p, 24);
    nb_rng r1, r2;
    nb_rng_seed(&r1, 5);
    nb_rng_seed(&r2, 5);
    nb_biasvar a, b;
    CHECK_OK(nb_biasvar_mc(N, D, p.X, p.theta, 1, K, p.Xt, 0.5, 100, &r1, &a));
    CHECK_OK(nb_biasvar_mc(N, D, p.X, p.theta, 1, K, p.Xt, 0.5, 100, &r2, &b));
    CHECK(memcmp(&a, &b, sizeof a) == 0);
    CHECK_ERR(nb_biasvar_mc(N, D, p.X, p.theta, 1, K, p.Xt, 0.5, 0, &r1, &a), NB_EINVAL, "trials must be >= 1");
    CHECK_ERR(nb_biasvar_mc(N, D, p.X, p.theta, 1, K, p.Xt, -1, 10, &r1, &a), NB_EINVAL, "lambda");
    CHECK_ERR(nb_biasvar_mc(N, D, p.X, p.theta, -1, K, p.Xt, 1, 10, &r1, &a), NB_EINVAL, "sigma");
    CHECK_ERR(nb_biasvar_mc(3, D, p.X, p.theta, 1, K, p.Xt, 0, 10, &r1, &a), NB_ENUM, "lambda > 0");
    CHECK_ERR(nb_biasvar_exact(3, D, p.X, p.theta, 1, K, p.Xt, 0, &a, NULL, NULL), NB_ENUM, "singular");
    double th[D];
    memcpy(th, p.theta, sizeof th);
    th[2] = NAN;
    CHECK_ERR(nb_biasvar_exact(N, D, p.X, th, 1, K, p.Xt, 0, &a, NULL, NULL), NB_ENUM, "theta contains NaN");
    CHECK_ERR(nb_biasvar_exact(N, D, p.X, p.theta, 1, 0, p.Xt, 0, &a, NULL, NULL), NB_ESHAPE, "no test inputs");
}

TEST(biasvar_poly_degree_sweep_shows_the_tradeoff) {
    // sin(2 pi x) needs about degree 5 on [0, 1]: bias falls with the degree, variance rises
    double b2[16], var[16];
    int degs[] = {1, 3, 5, 7, 11};
    for (int i = 0; i < 5; i++) {
        nb_rng r;
        nb_rng_seed(&r, 7);
        nb_biasvar e;
        CHECK_OK(nb_biasvar_poly(degs[i], 30, 0.3, 40, 0, 400, &r, &e));
        b2[i] = e.bias2;
        var[i] = e.variance;
        CHECK_NEAR(e.mse, e.bias2 + e.variance + e.noise, 0, 1e-12);
        CHECK_NEAR(e.noise, 0.09, 0.01, 0);
    }
    CHECK(b2[0] > 10 * b2[1] && b2[1] > 5 * b2[2]);
    CHECK(var[4] > var[3] && var[3] > var[2] && var[2] > var[1]);
    nb_rng r;
    nb_rng_seed(&r, 7);
    nb_biasvar e;
    CHECK_ERR(nb_biasvar_poly(10, 10, 0.3, 40, 0, 10, &r, &e), NB_ENUM, "only 10 training points");
    CHECK_OK(nb_biasvar_poly(10, 10, 0.3, 40, 1e-3, 10, &r, &e));
    CHECK_ERR(nb_biasvar_poly(-1, 10, 0.3, 40, 0, 10, &r, &e), NB_EINVAL, "degree");
}

/* ---- streaming: the same bits however the trials are cut ---- */

TEST(biasvar_mc_is_the_same_bits_for_any_block_size_thread_count_and_kernel) {
    problem p;
    make_problem(&p, 31);
    // 3001 trials: 47 nodes of 64, a partial leaf at the end; K = 12 pads to 16.
    // (Without threads, the two-thread runs are one-thread runs: the block sizes
    // and kernels are still compared.)
    double lam[3] = {0, 0.3, 10};
    nb_biasvar ref[3], rse[3];
    nb_rng r;
    nb_rng_seed(&r, 8);
    nb_mc_config c0 = {64, 1, false};
    CHECK_OK(nb_biasvar_mc_sweep_ex(N, D, p.X, p.theta, 0.7, K, p.Xt, 3, lam, 3001, &r, &c0, ref, rse, NULL));
    int64_t blocks[] = {1, 7, 64, 4096};
    static const char *isas[] = {"portable", "avx2", "avx512"};
    for (int isa = 0; isa < 3; isa++) {
        if (!nb_gemm_supported(isas[isa])) continue;
        nb__mc_set_isa(isa);
        for (int b = 0; b < 4; b++)
            for (int th = 1; th <= 2; th++) {
                nb_biasvar out[3], se[3];
                nb_mc_config c = {blocks[b], th, false};
                nb_rng_seed(&r, 8);
                CHECK_OK(nb_biasvar_mc_sweep_ex(N, D, p.X, p.theta, 0.7, K, p.Xt, 3, lam, 3001, &r, &c, out, se, NULL));
                CHECK_MSG(memcmp(out, ref, sizeof out) == 0 && memcmp(se, rse, sizeof se) == 0,
                          "%s, block %lld, %d threads: results differ from block 64, 1 thread", isas[isa],
                          (long long)blocks[b], th);
            }
    }
    nb__mc_set_isa(-1);
}

TEST(biasvar_poly_is_the_same_bits_on_one_and_two_threads) {
    SKIP_UNLESS_THREADS(2);
    nb_rng r;
    nb_biasvar a, as, b2, bs;
    nb_mc_config one = {0, 1, false}, two = {0, 2, false};
    nb_rng_seed(&r, 3);
    CHECK_OK(nb_biasvar_poly_ex(5, 30, 0.3, 20, 0, 1500, &r, &one, &a, &as));
    nb_rng_seed(&r, 3);
    CHECK_OK(nb_biasvar_poly_ex(5, 30, 0.3, 20, 0, 1500, &r, &two, &b2, &bs));
    CHECK(memcmp(&a, &b2, sizeof a) == 0 && memcmp(&as, &bs, sizeof as) == 0);
}

TEST(biasvar_mc_standard_errors_match_the_exact_ones) {
    // the exact standard errors of the unbiased estimators (see the 4-SE test above)
    problem p;
    make_problem(&p, 23);
    const int T = 4000;
    double sigma = 0.8, lambdas[] = {0, 1, 20};
    for (int l = 0; l < 3; l++) {
        double C[K * K], b[K];
        reference(&p, sigma, lambdas[l], C, b);
        double trC2 = 0, bSb = 0, trS2 = 0, s2 = sigma * sigma;
        for (int i = 0; i < K; i++)
            for (int j = 0; j < K; j++) {
                double Sij = (C[i * K + j] + (i == j) * s2) / T;
                trC2 += C[i * K + j] * C[j * K + i];
                bSb += b[i] * Sij * b[j];
                trS2 += Sij * Sij;
            }
        double se_v = sqrt(2.0 * trC2 / (T - 1)) / K, se_n = s2 * sqrt(2.0 / ((T - 1.0) * K));
        double se_b = sqrt(4 * bSb + 2 * trS2) / K;
        nb_rng r;
        nb_rng_seed(&r, 40 + l);
        nb_biasvar mc, se;
        CHECK_OK(nb_biasvar_mc_sweep_ex(N, D, p.X, p.theta, sigma, K, p.Xt, 1, &lambdas[l], T, &r, NULL, &mc, &se, NULL));
        // batch means over ~62 batches: about 10% noise in an SE; noise from K = 12 inputs: ~20%
        CHECK_MSG(se.variance > 0.7 * se_v && se.variance < 1.4 * se_v, "lambda %g: SE(variance) %g, exact %g",
                  lambdas[l], se.variance, se_v);
        CHECK_MSG(se.noise > 0.5 * se_n && se.noise < 1.6 * se_n, "lambda %g: SE(noise) %g, exact %g", lambdas[l],
                  se.noise, se_n);
        // linearised: conservative (up to sqrt 2) when the bias is within the noise, as for OLS
        CHECK_MSG(se.bias2 > 0.6 * se_b && se.bias2 < 2.2 * se_b, "lambda %g: SE(bias2) %g, exact %g", lambdas[l],
                  se.bias2, se_b);
        double se_m = sqrt(se_v * se_v + se_n * se_n + se_b * se_b);
        CHECK_MSG(se.mse > 0.6 * se_m && se.mse < 2.2 * se_m, "lambda %g: SE(mse) %g, exact %g", lambdas[l], se.mse,
                  se_m);
    }
}

TEST(biasvar_mc_sweep_reports_a_singular_row_and_computes_the_others) {
    problem p;
    make_problem(&p, 24);
    // 3 samples, 5 features: X^T X is singular, so lambda = 0 has no OLS fit
    double lam[3] = {0, 1, 10};
    nb_biasvar out[3], se[3], one[2];
    nb_status st[3];
    nb_rng r;
    nb_rng_seed(&r, 2);
    CHECK_OK(nb_biasvar_mc_sweep_ex(3, D, p.X, p.theta, 1, K, p.Xt, 3, lam, 500, &r, NULL, out, se, st));
    CHECK(st[0] == NB_ENUM && st[1] == NB_OK && st[2] == NB_OK);
    CHECK(isnan(out[0].bias2) && isnan(out[0].variance) && isnan(out[0].mse) && isnan(se[0].variance));
    // the other rows are what a sweep without the singular one gives (the same draws)
    nb_rng_seed(&r, 2);
    CHECK_OK(nb_biasvar_mc_sweep(3, D, p.X, p.theta, 1, K, p.Xt, 2, lam + 1, 500, &r, one));
    CHECK(memcmp(one, out + 1, sizeof one) == 0);
    // without row_status the call fails, as before
    nb_rng_seed(&r, 2);
    CHECK_ERR(nb_biasvar_mc_sweep(3, D, p.X, p.theta, 1, K, p.Xt, 3, lam, 500, &r, out), NB_ENUM, "singular");
}

/* ---- memory: constant in the number of trials ---- */

extern char **environ;

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif
#ifndef UNDER_ASAN
#define UNDER_ASAN 0
#endif

/* Peak RSS (KB) of `nabla biasvar ... --trials T`, from getrusage in a child
 * that runs it (so no other child of this process counts); -1 on failure. */
static long biasvar_maxrss_kb(const char *trials) {
    const char *nabla = getenv("NABLA") ? getenv("NABLA") : "build/nabla";
    char *argv[] = {(char *)nabla, "biasvar", "--n", "100", "--d", "20", "--ntest", "200", "--lambda", "0,0.1,1,10,100",
                    "--trials", (char *)trials, "--seed", "1", NULL};
    int fd[2];
    if (pipe(fd)) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        close(fd[0]);
        long kb = -1;
        posix_spawn_file_actions_t fa;
        posix_spawn_file_actions_init(&fa);
        posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
        pid_t c;
        int st;
        if (posix_spawn(&c, nabla, &fa, NULL, argv, environ) == 0 && waitpid(c, &st, 0) == c && WIFEXITED(st) &&
            WEXITSTATUS(st) == 0) {
            struct rusage ru;
            if (getrusage(RUSAGE_CHILDREN, &ru) == 0) kb = ru.ru_maxrss;
        }
        if (write(fd[1], &kb, sizeof kb) != sizeof kb) _exit(1);
        _exit(0);
    }
    close(fd[1]);
    long kb = -1;
    if (pid < 0 || read(fd[0], &kb, sizeof kb) != sizeof kb) kb = -1;
    close(fd[0]);
    if (pid > 0) waitpid(pid, NULL, 0);
    return kb;
}

TEST(biasvar_cli_peak_memory_does_not_grow_with_trials) {
    // 5 lambdas x 100,000 trials at n = 100, d = 20, 200 test inputs: <= 16 MB, and
    // within 2 MB of the same run at 10,000 trials (the noise matrix alone would be 80 MB)
    long small = biasvar_maxrss_kb("10000"), big = biasvar_maxrss_kb("100000");
    CHECK_MSG(small > 0 && big > 0, "nabla biasvar did not run (NABLA=%s)", getenv("NABLA") ? getenv("NABLA") : "unset");
#if !UNDER_ASAN /* its shadow memory and quarantine add ~20 MB */
    CHECK_MSG(big <= 16 * 1024, "peak RSS %ld KB at 100,000 trials, over 16 MB", big);
#endif
    CHECK_MSG(big - small < 2048, "peak RSS %ld KB at 100,000 trials, %ld KB at 10,000", big, small);
}
