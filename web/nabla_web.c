/* web/nabla_web.c — the C API the page calls: flat f64 buffers in wasm
 * memory in, flat f64 buffers out. `make web` compiles it with the library
 * to WebAssembly; tests/web/native.c links the same file natively, so the
 * suite can compare the page's numbers with the library's bits.
 *
 * Every function returns 0 (NB_OK) or an nb_status, leaving the library's
 * one-line message in nbw_errmsg(): the page shows that line beside the
 * field and keeps its last good plot. Results of the last call live in
 * static buffers (the page is single-threaded per module instance; the
 * Monte Carlo worker has its own instance). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "nabla/autodiff.h"
#include "nabla/gemm.h"
#include "kernels/kernels.h"
#include "nabla/lab.h"
#include "nabla/linreg.h"
#include "nabla/ops.h"
#include "nabla/optim.h"
#include "nabla_web.h"

const char *nbw_errmsg(void) { return nb_errmsg(); }
void *nbw_alloc(size_t bytes) { return malloc(bytes ? bytes : 1); }
void nbw_free(void *p) { free(p); }

/* ---- panel 2: the optimizer lab ---------------------------------------------- */

static nb_lab_traj traj;
static double traj_info[NBW_INFO_LEN];

/* The CLI's checks on what it reads (cmd_optim.c), so the page refuses what
 * `nabla optim` refuses, with the same reason. */
static nb_status lab_setup(const double *p, nb_lab_fn *fn, nb_optim_config *c) {
    if (p[NBW_FN] != 0 && p[NBW_FN] != 1) return nb_fail(NB_EINVAL, "optim: unknown function %g", p[NBW_FN]);
    memset(fn, 0, sizeof *fn);
    fn->rosen = p[NBW_FN] == 1;
    if (!fn->rosen) {
        if (!(p[NBW_A1] > 0)) return nb_fail(NB_EINVAL, "optim: a1 must be > 0, got %g", p[NBW_A1]);
        if (!(p[NBW_A2] > 0)) return nb_fail(NB_EINVAL, "optim: a2 must be > 0, got %g", p[NBW_A2]);
        if (!isfinite(p[NBW_A1]) || !isfinite(p[NBW_A2])) return nb_fail(NB_EINVAL, "optim: a1 and a2 must be finite");
        fn->a1 = p[NBW_A1], fn->a2 = p[NBW_A2];
    }
    double k = p[NBW_KIND], cv = p[NBW_CONV];
    if (!(k >= 0 && k < NB_OPT_COUNT && k == floor(k))) return nb_fail(NB_EINVAL, "optim: unknown optimizer %g", k);
    if (cv != NB_CONV_HANDOUT && cv != NB_CONV_TORCH) return nb_fail(NB_EINVAL, "optim: unknown convention %g", cv);
    *c = nb_optim_defaults((nb_optim_kind)k, (nb_convention)cv);
    /* NaN: the knob keeps its default, as a flag the CLI was not given */
    if (!isnan(p[NBW_LR])) c->lr = p[NBW_LR];
    if (!isnan(p[NBW_MOMENTUM])) c->momentum = p[NBW_MOMENTUM];
    if (!isnan(p[NBW_BETA])) c->beta = p[NBW_BETA];
    if (!isnan(p[NBW_BETA1])) c->beta1 = p[NBW_BETA1];
    if (!isnan(p[NBW_BETA2])) c->beta2 = p[NBW_BETA2];
    if (!isnan(p[NBW_EPS])) c->eps = p[NBW_EPS];
    if (!isnan(p[NBW_WD])) c->weight_decay = p[NBW_WD];
    return nb_optim_validate(c);
}

int nbw_optim(const double *p, int steps) {
    nb_lab_traj_free(&traj);
    nb_lab_fn fn;
    nb_optim_config c;
    nb_status s = lab_setup(p, &fn, &c);
    if (s) return s;
    if (steps < 0 || steps > NBW_MAX_STEPS)
        return nb_fail(NB_EINVAL, "optim: steps must be in [0, %d], got %d", NBW_MAX_STEPS, steps);
    double x0[2] = {p[NBW_X1], p[NBW_X2]};
    if ((s = nb_lab_run(&fn, &c, x0, steps, &traj))) return s;
    double *o = traj_info;
    o[0] = (double)traj.n, o[1] = traj.diverged;
    o[2] = nb_lab_predicted_rate(&fn, &c), o[3] = nb_lab_measured_rate(&fn, &traj);
    o[4] = c.lr, o[5] = c.momentum, o[6] = c.beta, o[7] = c.beta1, o[8] = c.beta2, o[9] = c.eps;
    o[10] = c.weight_decay;
    return NB_OK;
}

const double *nbw_traj(int which) { return which == 0 ? traj.x1 : which == 1 ? traj.x2 : traj.f; }
const double *nbw_traj_info(void) { return traj_info; }

/* The last trajectory as `nabla optim --csv` writes it, byte for byte. */
const char *nbw_traj_csv(void) {
    static char *buf;
    free(buf);
    size_t cap = 16 + (size_t)traj.n * 96, k;
    if (!(buf = malloc(cap))) return NULL;
    k = (size_t)snprintf(buf, cap, "step,x1,x2,f\n");
    for (int64_t i = 0; i < traj.n; i++)
        k += (size_t)snprintf(buf + k, cap - k, "%lld,%.17g,%.17g,%.17g\n", (long long)i, traj.x1[i], traj.x2[i], traj.f[i]);
    return buf;
}

int nbw_lab_grid(const double *p, double xlo, double xhi, double ylo, double yhi, int nx, int ny, double *out) {
    nb_lab_fn fn;
    nb_optim_config c;
    nb_status s = lab_setup(p, &fn, &c);
    if (s) return s;
    if (nx < 2 || ny < 2) return nb_fail(NB_EINVAL, "optim: grid must be at least 2 x 2");
    for (int j = 0; j < ny; j++) {
        double y = ylo + (yhi - ylo) * j / (ny - 1);
        for (int i = 0; i < nx; i++) out[j * nx + i] = nb_lab_f(&fn, xlo + (xhi - xlo) * i / (nx - 1), y);
    }
    return NB_OK;
}

/* Heavy ball's rate over lr (columns) x momentum (rows). */
int nbw_rate_map(double a1, double a2, double lrlo, double lrhi, double mlo, double mhi, int nx, int ny, double *out) {
    if (!(a1 > 0) || !(a2 > 0)) return nb_fail(NB_EINVAL, "optim: a1 and a2 must be > 0, got %g and %g", a1, a2);
    if (nx < 2 || ny < 2) return nb_fail(NB_EINVAL, "optim: rate map must be at least 2 x 2");
    nb_lab_fn fn = {false, a1, a2};
    for (int j = 0; j < ny; j++)
        for (int i = 0; i < nx; i++)
            out[j * nx + i] = nb_lab_momentum_rate(&fn, lrlo + (lrhi - lrlo) * i / (nx - 1), mlo + (mhi - mlo) * j / (ny - 1));
    return NB_OK;
}

/* ---- panel 1: gradients and Jacobians (handout section 2) ---------------------- */

/* Inputs: A (d x n), x (d), v (n). The function's own input is in[0]. */
typedef struct jac_user {
    nb_tensor *A, *x, *v;
} jac_user;

static nb_tensor *sqnorm(nb_ctx *ctx, nb_tensor *y) { return nb_sum(ctx, nb_mul(ctx, y, y), NB_ALL_AXES, false); }
/* f(x) = ||x||² */
static nb_tensor *f_sqnorm(nb_ctx *ctx, nb_tensor *const *in, void *u) { (void)u; return sqnorm(ctx, in[0]); }
/* f(x) = Aᵀx, as the row-vector product xᵀA */
static nb_tensor *f_atx(nb_ctx *ctx, nb_tensor *const *in, void *u) {
    return nb_matmul(ctx, in[0], ((jac_user *)u)->A);
}
static nb_tensor *f_atx_sq(nb_ctx *ctx, nb_tensor *const *in, void *u) { return sqnorm(ctx, f_atx(ctx, in, u)); }
/* f(A) = ||Aᵀx||², A the input */
static nb_tensor *f_atx_sq_a(nb_ctx *ctx, nb_tensor *const *in, void *u) {
    return sqnorm(ctx, nb_matmul(ctx, ((jac_user *)u)->x, in[0]));
}
/* f(X) = X v, X the input (d x n) */
static nb_tensor *f_xv(nb_ctx *ctx, nb_tensor *const *in, void *u) { return nb_matmul(ctx, in[0], ((jac_user *)u)->v); }

static nb_ctx *jctx;
static double jac_in[NBW_JAC_MAX], jac_out[NBW_JAC_MAX], jac_closed[NBW_JAC_MAX], jac_info[NBW_JAC_INFO_LEN];

static void copy_out(const nb_tensor *J, double *dst, double *shape_dst) {
    for (int64_t i = 0; i < J->numel; i++) dst[i] = nb_tensor_get(J, i);
    shape_dst[0] = J->ndim;
    for (int i = 0; i < J->ndim; i++) shape_dst[1 + i] = (double)J->shape[i];
}

int nbw_jac(int which, int d, int n, const double *A, const double *x, const double *v) {
    if (which < 0 || which > 4) return nb_fail(NB_EINVAL, "jacobian: unknown function %d", which);
    if (d < 1 || n < 1 || d > NBW_JAC_DIM || n > NBW_JAC_DIM)
        return nb_fail(NB_EINVAL, "jacobian: d and n must be in 1..%d, got %d and %d", NBW_JAC_DIM, d, n);
    for (int i = 0; i < d * n; i++)
        if (!isfinite(A[i])) return nb_fail(NB_EINVAL, "jacobian: A[%d][%d] is not a finite number", i / n, i % n);
    for (int i = 0; i < d; i++)
        if (!isfinite(x[i])) return nb_fail(NB_EINVAL, "jacobian: x[%d] is not a finite number", i);
    for (int i = 0; i < n; i++)
        if (!isfinite(v[i])) return nb_fail(NB_EINVAL, "jacobian: v[%d] is not a finite number", i);
    if (!jctx && !(jctx = nb_ctx_new())) return nb_errcode();
    nb_ctx_reset(jctx);
    jac_user u = {nb_from_buffer(jctx, NB_F64, NB_SHAPE(d, n), A), nb_from_buffer(jctx, NB_F64, NB_SHAPE(d), x),
                  nb_from_buffer(jctx, NB_F64, NB_SHAPE(n), v)};
    if (!u.A || !u.x || !u.v) return nb_errcode();
    static const nb_fn fns[5] = {f_sqnorm, f_atx, f_atx_sq, f_atx_sq_a, f_xv};
    nb_tensor *in = which >= 3 ? u.A : u.x;
    nb_tensor *Jh = nb_jacobian(jctx, fns[which], &u, in, NB_JAC_INPUT_FIRST);
    nb_tensor *Jt = Jh ? nb_jacobian(jctx, fns[which], &u, in, NB_JAC_OUTPUT_FIRST) : NULL;
    if (!Jt) return nb_errcode();
    if (Jh->numel > NBW_JAC_MAX) return nb_fail(NB_EINVAL, "jacobian: %lld entries, more than %d", (long long)Jh->numel, NBW_JAC_MAX);
    double *info = jac_info;
    copy_out(Jh, jac_in, info);
    copy_out(Jt, jac_out, info + 1 + NB_MAX_DIMS);
    /* The handout's closed forms, in its layout (input dims first). */
    double *c = jac_closed;
    switch (which) {
    case 0: for (int i = 0; i < d; i++) c[i] = 2 * x[i]; break; /* 2x */
    case 1: memcpy(c, A, sizeof(double) * (size_t)(d * n)); break; /* A */
    case 2: /* 2 A Aᵀ x */
        for (int i = 0; i < d; i++) {
            double s = 0;
            for (int k = 0; k < n; k++) {
                double atx = 0;
                for (int j = 0; j < d; j++) atx += A[j * n + k] * x[j];
                s += A[i * n + k] * atx;
            }
            c[i] = 2 * s;
        }
        break;
    case 3: /* 2 x xᵀ A */
        for (int k = 0; k < n; k++) {
            double xta = 0;
            for (int j = 0; j < d; j++) xta += x[j] * A[j * n + k];
            for (int i = 0; i < d; i++) c[i * n + k] = 2 * x[i] * xta;
        }
        break;
    case 4: /* ∂(Xv)_k / ∂X_ij = [i == k] v_j */
        for (int i = 0; i < d; i++)
            for (int j = 0; j < n; j++)
                for (int k = 0; k < d; k++) c[(i * n + j) * d + k] = i == k ? v[j] : 0;
        break;
    }
    nb_gradcheck_result r;
    nb_status s = nb_gradcheck(fns[which], &u, 1, &in, NULL, &r);
    if (s) return s;
    double *g = info + 2 * (1 + NB_MAX_DIMS);
    g[0] = r.max_abs_err, g[1] = r.max_rel_err, g[2] = r.passed;
    return NB_OK;
}

const double *nbw_jac_result(int which) {
    return which == 0 ? jac_in : which == 1 ? jac_out : which == 2 ? jac_closed : jac_info;
}

/* ---- panel 3: bias and variance (handout section 1) ---------------------------- */

/* The CLI's generated design (cmd_biasvar.c): X_ij = c_j z_ij with c_j falling
 * geometrically from 1 to 0.05, then Xtest, then theta, from one seed, so
 * that `nabla biasvar --n N --d D --ntest K --seed S` sees the same problem. */
typedef struct bv_design {
    int64_t n, d, K;
    double *X, *theta, *Xt;
} bv_design;

static void design_free(bv_design *g) {
    free(g->X), free(g->theta), free(g->Xt);
    memset(g, 0, sizeof *g);
}

static nb_status design_make(bv_design *g, const double *p) {
    memset(g, 0, sizeof *g);
    double n = p[NBW_BV_N], d = p[NBW_BV_D], K = p[NBW_BV_K], seed = p[NBW_BV_SEED];
    if (!(n >= 1 && n <= 100000 && n == floor(n))) return nb_fail(NB_EINVAL, "biasvar: n must be in 1..100000, got %g", n);
    if (!(d >= 1 && d <= 1000 && d == floor(d))) return nb_fail(NB_EINVAL, "biasvar: d must be in 1..1000, got %g", d);
    if (!(K >= 1 && K <= 100000 && K == floor(K))) return nb_fail(NB_EINVAL, "biasvar: ntest must be in 1..100000, got %g", K);
    if (!(seed >= 0 && seed <= 9007199254740992.0 && seed == floor(seed)))
        return nb_fail(NB_EINVAL, "biasvar: seed must be an integer >= 0, got %g", seed);
    if (!(p[NBW_BV_SIGMA] >= 0) || !isfinite(p[NBW_BV_SIGMA]))
        return nb_fail(NB_EINVAL, "biasvar: noise must be >= 0, got %g", p[NBW_BV_SIGMA]);
    g->n = (int64_t)n, g->d = (int64_t)d, g->K = (int64_t)K;
    g->X = malloc((size_t)(g->n * g->d) * sizeof(double));
    g->theta = malloc((size_t)g->d * sizeof(double));
    g->Xt = malloc((size_t)(g->K * g->d) * sizeof(double));
    if (!g->X || !g->theta || !g->Xt) {
        design_free(g);
        return nb_fail(NB_ENOMEM, "biasvar: out of memory for the design");
    }
    nb_rng r;
    nb_rng_seed(&r, (uint64_t)seed);
    double *scale = g->theta; /* scratch until theta is drawn */
    for (int64_t j = 0; j < g->d; j++) scale[j] = g->d > 1 ? pow(0.05, (double)j / (double)(g->d - 1)) : 1;
    for (int64_t i = 0; i < g->n * g->d; i++) g->X[i] = scale[i % g->d] * nb_rng_normal(&r);
    for (int64_t i = 0; i < g->K * g->d; i++) g->Xt[i] = scale[i % g->d] * nb_rng_normal(&r);
    for (int64_t j = 0; j < g->d; j++) g->theta[j] = nb_rng_normal(&r);
    return NB_OK;
}

static nb_status check_lambdas(int nl, const double *lam) {
    if (nl < 1 || nl > NBW_BV_MAXL) return nb_fail(NB_EINVAL, "biasvar: 1..%d penalties, got %d", NBW_BV_MAXL, nl);
    for (int i = 0; i < nl; i++)
        if (!(lam[i] >= 0) || !isfinite(lam[i])) return nb_fail(NB_EINVAL, "biasvar: lambda must be >= 0, got %g", lam[i]);
    return NB_OK;
}

/* out: nl rows of bias2, variance, noise, mse. */
int nbw_bv_exact(const double *p, int nl, const double *lam, double *out) {
    nb_status s = check_lambdas(nl, lam);
    bv_design g;
    if (s || (s = design_make(&g, p))) return s;
    for (int i = 0; i < nl && !s; i++) {
        nb_biasvar e;
        s = nb_biasvar_exact(g.n, g.d, g.X, g.theta, p[NBW_BV_SIGMA], g.K, g.Xt, lam[i], &e, NULL, NULL);
        if (!s) out[4 * i] = e.bias2, out[4 * i + 1] = e.variance, out[4 * i + 2] = e.noise, out[4 * i + 3] = e.mse;
    }
    design_free(&g);
    return s;
}

/* Monte Carlo over the sweep with one noise draw (the CLI's common random
 * numbers), the noise seeded with noise_seed (the CLI uses seed + 1); with se
 * (may be NULL) the estimates' standard errors, the CLI's _se columns. */
int nbw_bv_mc(const double *p, int nl, const double *lam, double trials, double noise_seed, double *out, double *se) {
    nb_status s = check_lambdas(nl, lam);
    if (s) return s;
    if (!(trials >= 1 && trials <= 1e6 && trials == floor(trials)))
        return nb_fail(NB_EINVAL, "biasvar: trials must be in 1..1000000, got %g", trials);
    if (!(noise_seed >= 0 && noise_seed == floor(noise_seed)))
        return nb_fail(NB_EINVAL, "biasvar: noise seed must be an integer >= 0, got %g", noise_seed);
    bv_design g;
    if ((s = design_make(&g, p))) return s;
    nb_biasvar mc[NBW_BV_MAXL], e[NBW_BV_MAXL];
    nb_rng r;
    nb_rng_seed(&r, (uint64_t)noise_seed);
    s = nb_biasvar_mc_sweep_ex(g.n, g.d, g.X, g.theta, p[NBW_BV_SIGMA], g.K, g.Xt, nl, lam, (int64_t)trials, &r, NULL,
                               mc, se ? e : NULL, NULL);
    for (int i = 0; i < nl && !s; i++) {
        out[4 * i] = mc[i].bias2, out[4 * i + 1] = mc[i].variance, out[4 * i + 2] = mc[i].noise, out[4 * i + 3] = mc[i].mse;
        if (se) se[4 * i] = e[i].bias2, se[4 * i + 1] = e[i].variance, se[4 * i + 2] = e[i].noise, se[4 * i + 3] = e[i].mse;
    }
    design_free(&g);
    return s;
}

/* The sine problem's Monte Carlo at one degree (nb_biasvar_poly). */
int nbw_bv_poly(int degree, double n, double sigma, double K, double lambda, double trials, double seed, double *out) {
    if (!(n >= 1 && n <= 100000 && K >= 1 && K <= 100000 && trials >= 1 && trials <= 1e6 && seed >= 0))
        return nb_fail(NB_EINVAL, "biasvar: n, ntest, trials must be positive and seed >= 0");
    nb_rng r;
    nb_rng_seed(&r, (uint64_t)seed);
    nb_biasvar b;
    nb_status s = nb_biasvar_poly(degree, (int64_t)n, sigma, (int64_t)K, lambda, (int64_t)trials, &r, &b);
    if (!s) out[0] = b.bias2, out[1] = b.variance, out[2] = b.noise, out[3] = b.mse;
    return s;
}

/* ncurves fits of a degree-p polynomial (Legendre basis of 2x - 1, as the
 * library's nb_biasvar_poly) to fresh training sets x ~ U[0,1],
 * y = sin 2πx + σ ε, evaluated at npts points evenly spaced on [0, 1]:
 * out is ncurves x npts. */
static void legendre(double x, int p, double *row) {
    double t = 2 * x - 1;
    row[0] = 1;
    if (p >= 1) row[1] = t;
    for (int k = 2; k <= p; k++) row[k] = ((2 * k - 1) * t * row[k - 1] - (k - 1) * row[k - 2]) / k;
}

int nbw_poly_curves(int degree, int n, double sigma, double lambda, int ncurves, double seed, int npts, double *out) {
    if (degree < 0 || degree > 30) return nb_fail(NB_EINVAL, "poly: degree must be in 0..30, got %d", degree);
    if (n < degree + 1 || n > 10000) return nb_fail(NB_EINVAL, "poly: degree %d needs n >= %d points (at most 10000), got %d", degree, degree + 1, n);
    if (!(sigma >= 0) || !isfinite(sigma)) return nb_fail(NB_EINVAL, "poly: noise must be >= 0, got %g", sigma);
    if (!(lambda >= 0) || !isfinite(lambda)) return nb_fail(NB_EINVAL, "poly: lambda must be >= 0, got %g", lambda);
    if (ncurves < 1 || ncurves > 1000 || npts < 2 || npts > 10000 || !(seed >= 0))
        return nb_fail(NB_EINVAL, "poly: bad curve count, point count or seed");
    int P = degree + 1;
    double *F = malloc(sizeof(double) * (size_t)(n * P)), *y = malloc(sizeof(double) * (size_t)n);
    double *th = malloc(sizeof(double) * (size_t)P), *row = malloc(sizeof(double) * (size_t)P);
    nb_status s = F && y && th && row ? NB_OK : nb_fail(NB_ENOMEM, "poly: out of memory");
    nb_rng r;
    nb_rng_seed(&r, (uint64_t)seed);
    for (int c = 0; c < ncurves && !s; c++) {
        for (int i = 0; i < n; i++) {
            double x = nb_rng_uniform(&r);
            legendre(x, degree, F + i * P);
            y[i] = sin(6.283185307179586 * x) + sigma * nb_rng_normal(&r);
        }
        if ((s = nb_lstsq_qr(n, P, F, y, lambda, th))) break;
        for (int k = 0; k < npts; k++) {
            legendre((double)k / (npts - 1), degree, row);
            double v = 0;
            for (int j = 0; j < P; j++) v += row[j] * th[j];
            out[c * npts + k] = v;
        }
    }
    free(F), free(y), free(th), free(row);
    return s;
}

/* ---- the GEMM, for the page's benchmark --------------------------------------- */

/* Seconds are the page's to measure; this only runs reps products of
 * C (m x n) = A (m x k) B (k x n) in f32. */
int nbw_sgemm(int m, int n, int k, const float *A, const float *B, float *C, int reps) {
    nb_ctx *ctx = nb_ctx_new(); /* the packing buffers, kept across the products */
    if (!ctx) return nb_errcode();
    nb_status s = NB_OK;
    for (int r = 0; r < reps && !s; r++) s = nb_gemm_ex(ctx, NB_F32, false, false, m, n, k, 1.0, A, k, B, n, 0.0, C, n, NULL);
    nb_ctx_free(ctx);
    return s;
}

const char *nbw_gemm_kernel(void) { return nb_gemm_kernel(); }
int nbw_gemm_portable(int on) { return nb_gemm_force(on ? "portable" : "auto"); }
