/* Second order: forward mode (nb_jvp), Hessian-vector products (nb_hvp),
 * gradgradcheck, and the curvature tools built on them (nabla/curvature.h). */
#include <stdlib.h>
#include <string.h>

#include "core/internal.h"
#include "test.h"

TEST(every_op_has_a_jvp_rule) {
    int n = 0;
    for (const nb_op *const *op = nb__all_ops; *op; op++, n++) {
        CHECK_MSG((*op)->jvp != NULL, "op %s has no forward-mode (jvp) rule", (*op)->name);
        CHECK_MSG(nb__gradcheck_covers((*op)->name), "op %s has no gradgradcheck case", (*op)->name);
    }
    CHECK(n >= 29);
}

TEST(gradgradcheck_passes_for_every_op) { CHECK(nb_gradgradcheck_ops(NULL) == 0); }

/* x * stop_gradient(x): its JVP (rules of mul and a constant copy) is half
 * the true one, and its HVP misses the curvature: both orders must fail. */
static nb_tensor *half_square(nb_ctx *ctx, nb_tensor *const *in, void *u) {
    (void)u;
    nb_tensor *c = nb_copy(ctx, in[0]);
    return nb_mul(ctx, in[0], c);
}

TEST(gradgradcheck_catches_a_wrong_rule) {
    nb_tensor *x = nb_tensor_new(NB_F64, NB_SHAPE(3));
    for (int i = 0; i < 3; i++) nb_tensor_set(x, i, 1 + i);
    nb_gradcheck_result rj, rh;
    CHECK_OK(nb_gradgradcheck(half_square, NULL, 1, &x, NULL, &rj, &rh));
    CHECK(!rj.passed && !rh.passed && rj.max_abs_err > 0.1 && rh.max_abs_err > 0.1);
    nb_tensor *xf = nb_tensor_new(NB_F32, NB_SHAPE(3));
    CHECK_ERR(nb_gradgradcheck(half_square, NULL, 1, &xf, NULL, &rj, &rh), NB_EDTYPE, "needs f64");
    nb_tensor_free(x);
    nb_tensor_free(xf);
}

/* ---- the handout's quadratic f = a1 x1^2 + a2 x2^2: H = diag(2 a1, 2 a2) ---- */
static nb_tensor *quadratic(nb_ctx *ctx, nb_tensor *const *x, void *user) {
    const double *a = user;
    nb_tensor *av = nb_from_buffer(ctx, NB_F64, NB_SHAPE(2), a);
    return nb_sum(ctx, nb_mul(ctx, av, nb_pow(ctx, x[0], 2)), NB_ALL_AXES, false);
}

TEST(hvp_of_the_quadratic_is_exact) {
    const double a[2] = {0.5, 12.5}, xs[3][2] = {{1, 1}, {-3.25, 0.75}, {1e3, -7}}, vs[3][2] = {{1, 0}, {0.5, -2}, {3, 0.125}};
    for (int c = 0; c < 3; c++) {
        nb_ctx *ctx = nb_ctx_new();
        nb_tensor *x = nb_from_buffer(ctx, NB_F64, NB_SHAPE(2), xs[c]), *v = nb_from_buffer(ctx, NB_F64, NB_SHAPE(2), vs[c]);
        nb_tensor_requires_grad(x, true);
        nb_tensor *loss;
        CHECK_OK(nb_hvp(ctx, quadratic, (void *)a, 1, &x, &v, &loss));
        for (int i = 0; i < 2; i++) CHECK(nb_tensor_get(x->grad, i) == 2 * a[i] * vs[c][i]); /* exactly */
        CHECK(nb_tensor_get(loss, 0) == a[0] * xs[c][0] * xs[c][0] + a[1] * xs[c][1] * xs[c][1]);
        /* forward mode: J v = grad f . v = 2 a1 x1 v1 + 2 a2 x2 v2 */
        nb_ctx_reset(ctx);
        x = nb_from_buffer(ctx, NB_F64, NB_SHAPE(2), xs[c]), v = nb_from_buffer(ctx, NB_F64, NB_SHAPE(2), vs[c]);
        nb_tensor *y, *dy;
        CHECK_OK(nb_jvp(ctx, quadratic, (void *)a, 1, &x, &v, &y, &dy));
        CHECK(test_close(nb_tensor_get(dy, 0), 2 * a[0] * xs[c][0] * vs[c][0] + 2 * a[1] * xs[c][1] * vs[c][1], 0, 1e-15));
        CHECK(!x->requires_grad); /* nb_jvp gives the input back as it found it */
        nb_ctx_free(ctx);
    }
}

/* ---- ridge: f(w) = (|Xw - y|^2 + lambda |w|^2) / n, H = 2 (X^T X + lambda I) / n ---- */
typedef struct ridge { nb_tensor *X, *y; double lambda; } ridge;

static nb_tensor *ridge_loss(nb_ctx *ctx, nb_tensor *const *w, void *user) {
    const ridge *r = user;
    nb_tensor *res = nb_sub(ctx, nb_matmul(ctx, r->X, w[0]), r->y);
    nb_tensor *s = nb_add(ctx, nb_sum(ctx, nb_mul(ctx, res, res), NB_ALL_AXES, false),
                          nb_scale(ctx, nb_sum(ctx, nb_mul(ctx, w[0], w[0]), NB_ALL_AXES, false), r->lambda));
    return nb_scale(ctx, s, 1.0 / (double)r->X->shape[0]);
}

TEST(hvp_assembles_the_ridge_hessian) {
    enum { N = 40, D = 7 };
    nb_rng rng;
    nb_rng_seed(&rng, 15);
    nb_ctx *data = nb_ctx_new();
    ridge r = {nb_normal(data, &rng, NB_F64, NB_SHAPE(N, D), 0, 1), nb_normal(data, &rng, NB_F64, NB_SHAPE(N), 0, 1), 0.3};
    nb_tensor *w0 = nb_normal(data, &rng, NB_F64, NB_SHAPE(D), 0, 1);
    double worst = 0;
    for (int j = 0; j < D; j++) {
        nb_ctx *ctx = nb_ctx_new();
        nb_tensor *w = nb_copy(ctx, w0), *e = nb_zeros(ctx, NB_F64, NB_SHAPE(D));
        nb_tensor_set(e, j, 1);
        nb_tensor_requires_grad(w, true);
        CHECK_OK(nb_hvp(ctx, ridge_loss, &r, 1, &w, &e, NULL));
        for (int i = 0; i < D; i++) {
            double xtx = 0;
            for (int k = 0; k < N; k++) xtx += nb_tensor_get(r.X, k * D + i) * nb_tensor_get(r.X, k * D + j);
            double want = 2 * (xtx + (i == j ? r.lambda : 0)) / N;
            worst = fmax(worst, fabs(nb_tensor_get(w->grad, i) - want) / fmax(fabs(want), 1e-300));
            CHECK(test_close(nb_tensor_get(w->grad, i), want, 1e-14, 1e-12));
        }
        nb_ctx_free(ctx);
    }
    CHECK(worst < 1e-12);
    nb_ctx_free(data);
}

TEST(hvp_api_errors) {
    nb_ctx *ctx = nb_ctx_new();
    const double a[2] = {1, 2};
    nb_tensor *x = nb_full(ctx, NB_F64, NB_SHAPE(2), 1.0), *v = nb_full(ctx, NB_F64, NB_SHAPE(2), 1.0);
    nb_tensor *v3 = nb_full(ctx, NB_F64, NB_SHAPE(3), 1.0), *y, *dy;
    CHECK_ERR(nb_hvp(ctx, quadratic, (void *)a, 1, &x, &v, NULL), NB_EINVAL, "input 0 does not require grad");
    nb_tensor_requires_grad(x, true);
    CHECK_ERR(nb_hvp(ctx, quadratic, (void *)a, 1, &x, &v3, NULL), NB_ESHAPE, "tangent 0 f64 (3) does not match its input f64 (2)");
    CHECK_ERR(nb_jvp(ctx, NULL, NULL, 1, &x, &v, &y, &dy), NB_EINVAL, "nb_jvp: bad arguments");
    CHECK_ERR(nb_hvp(ctx, half_square, NULL, 1, &x, &v, NULL), NB_ESHAPE, "nb_hvp: f must be a scalar");
    nb_ctx_free(ctx);
}

/* ---- models in f64: torch's double-backward HVP and forward-mode JVP ---- */

typedef struct fx_t { char name[16]; int ndim; int64_t shape[NB_MAX_DIMS]; int64_t n; double *v; } fx_t;
typedef struct fx { char kind[8]; int32_t labels[64]; int nlab; fx_t t[64]; int nt; char *text; } fx;

static bool fx_load(const char *path, fx *f) {
    memset(f, 0, sizeof *f);
    FILE *fp = fopen(path, "rb");
    if (!fp) return false;
    char tok[64];
    while (fscanf(fp, "%63s", tok) == 1) {
        if (!strcmp(tok, "kind")) {
            if (fscanf(fp, "%7s", f->kind) != 1) break;
        } else if (!strcmp(tok, "ints")) {
            if (fscanf(fp, "%63s %d", tok, &f->nlab) != 2 || f->nlab > 64) break;
            for (int i = 0; i < f->nlab; i++)
                if (fscanf(fp, "%d", &f->labels[i]) != 1) break;
        } else if (!strcmp(tok, "tensor") && f->nt < 64) {
            fx_t *t = &f->t[f->nt++];
            if (fscanf(fp, "%15s %d", t->name, &t->ndim) != 2) break;
            t->n = 1;
            for (int i = 0; i < t->ndim; i++) {
                long long d;
                if (fscanf(fp, "%lld", &d) != 1) break;
                t->shape[i] = d, t->n *= d;
            }
            t->v = malloc((size_t)t->n * sizeof *t->v);
            for (int64_t i = 0; t->v && i < t->n; i++)
                if (fscanf(fp, "%lf", &t->v[i]) != 1) break;
        }
    }
    fclose(fp);
    return f->nt > 0;
}

static const fx_t *fx_get(const fx *f, const char *name) {
    for (int i = 0; i < f->nt; i++)
        if (!strcmp(f->t[i].name, name)) return &f->t[i];
    return NULL;
}

static void fx_free(fx *f) {
    for (int i = 0; i < f->nt; i++) free(f->t[i].v);
}

/* The fixture's model (nabla's MLP or CNN, f64) with its parameters, and x. */
static nb_model *fx_model(const fx *f, nb_tensor **x) {
    const fx_t *xt = fx_get(f, "x");
    nb_model_desc d;
    if (!strcmp(f->kind, "mlp")) {
        d = nb_mlp_desc(2, (int64_t[]){7, 5});
        d.channels = 1, d.height = 3, d.width = 4, d.classes = 3;
    } else {
        d = nb_cnn_desc();
        d.height = d.width = 8;
    }
    nb_model *m = nb_model_new(&d, NB_F64, NULL);
    if (!m || !xt) return NULL;
    for (int i = 0; i < nb_params_count(m->params); i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "p%d", i);
        const fx_t *p = fx_get(f, nm);
        nb_tensor *t = nb_params_tensor(m->params, i);
        if (!p || p->n != t->numel) return NULL;
        memcpy(t->data, p->v, (size_t)p->n * sizeof(double));
    }
    *x = nb_tensor_new(NB_F64, xt->ndim, xt->shape);
    if (*x) memcpy((*x)->data, xt->v, (size_t)xt->n * sizeof(double));
    return m;
}

/* The fixture's v (or another direction) as one flat vector. */
static double *fx_flat(const fx *f, const nb_model *m, const char *prefix) {
    int64_t n = 0;
    for (int i = 0; i < nb_params_count(m->params); i++) n += nb_params_tensor(m->params, i)->numel;
    double *out = malloc((size_t)n * sizeof *out);
    int64_t off = 0;
    for (int i = 0; out && i < nb_params_count(m->params); i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "%s%d", prefix, i);
        const fx_t *t = fx_get(f, nm);
        if (!t) return free(out), NULL;
        memcpy(out + off, t->v, (size_t)t->n * sizeof(double));
        off += t->n;
    }
    return out;
}

typedef struct fwd_args { nb_model *m; nb_tensor *x; } fwd_args;
static nb_tensor *logits(nb_ctx *ctx, nb_tensor *const *p, void *user) {
    (void)p;
    const fwd_args *a = user;
    return nb_model_forward(ctx, a->m, a->x);
}

static void against_torch(const char *kind) {
    char path[128];
    snprintf(path, sizeof path, "tests/fixtures/hvp/%s.txt", kind);
    fx f;
    CHECK_MSG(fx_load(path, &f), "cannot read %s", path);
    nb_tensor *x = NULL;
    nb_model *m = fx_model(&f, &x);
    CHECK(m && x);
    if (!m || !x) return;
    int64_t n = 0;
    for (int i = 0; i < nb_params_count(m->params); i++) n += nb_params_tensor(m->params, i)->numel;
    double *v = fx_flat(&f, m, "v"), *want = fx_flat(&f, m, "hv"), *hv = malloc((size_t)n * sizeof *hv);
    nb_model_hessian h;
    CHECK_OK(nb_model_hessian_init(&h, m, x, f.labels, NB_LOSS_XENT, 0));
    double loss, scale = 0, worst = 0;
    CHECK_OK(nb_model_hvp(&h, v, hv, &loss));
    CHECK(test_close(loss, fx_get(&f, "loss")->v[0], 0, 1e-13));
    for (int64_t i = 0; i < n; i++) scale = fmax(scale, fabs(want[i]));
    for (int64_t i = 0; i < n; i++) worst = fmax(worst, fabs(hv[i] - want[i]) / scale);
    CHECK_MSG(worst < 1e-10, "%s: HVP off torch's by %.3g relative to its largest entry %.3g", kind, worst, scale);
    /* in chunks of samples: the same H v */
    nb_model_hessian hc;
    double *hv2 = malloc((size_t)n * sizeof *hv2);
    CHECK_OK(nb_model_hessian_init(&hc, m, x, f.labels, NB_LOSS_XENT, 2));
    CHECK_OK(nb_model_hvp(&hc, v, hv2, NULL));
    for (int64_t i = 0; i < n; i++) CHECK(test_close(hv2[i], hv[i], 1e-12 * scale, 0));
    nb_model_hessian_free(&hc);
    /* forward mode: the logits' J v against torch.autograd.forward_ad */
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *tan[8], *params[8], *y, *dy;
    int np = nb_params_count(m->params);
    for (int i = 0; i < np; i++) {
        char nm[16];
        snprintf(nm, sizeof nm, "v%d", i);
        params[i] = nb_params_tensor(m->params, i);
        tan[i] = nb_from_buffer(ctx, NB_F64, params[i]->ndim, params[i]->shape, fx_get(&f, nm)->v);
    }
    fwd_args fa = {m, x};
    CHECK_OK(nb_jvp(ctx, logits, &fa, np, params, tan, &y, &dy));
    const fx_t *jv = fx_get(&f, "jv");
    double js = 0;
    for (int64_t i = 0; i < jv->n; i++) js = fmax(js, fabs(jv->v[i]));
    for (int64_t i = 0; i < jv->n; i++) CHECK(test_close(nb_tensor_get(dy, i), jv->v[i], 1e-10 * js, 0));
    nb_ctx_free(ctx);
    free(hv2);
    nb_model_hessian_free(&h);
    free(v), free(want), free(hv);
    nb_tensor_free(x);
    nb_model_free(m);
    fx_free(&f);
}

TEST(hvp_of_an_mlp_matches_torch) { against_torch("mlp"); }
TEST(hvp_of_a_cnn_matches_torch) { against_torch("cnn"); }

/* u^T H v = v^T H u: the Hessian that nb_hvp applies is symmetric. */
static void symmetric(const char *kind) {
    char path[128];
    snprintf(path, sizeof path, "tests/fixtures/hvp/%s.txt", kind);
    fx f;
    CHECK(fx_load(path, &f));
    nb_tensor *x = NULL;
    nb_model *m = fx_model(&f, &x);
    if (!m || !x) return;
    nb_model_hessian h;
    CHECK_OK(nb_model_hessian_init(&h, m, x, f.labels, NB_LOSS_XENT, 0));
    int64_t n = nb_model_hessian_op(&h).n;
    double *u = malloc((size_t)n * sizeof *u), *v = malloc((size_t)n * sizeof *v);
    double *hu = malloc((size_t)n * sizeof *hu), *hv = malloc((size_t)n * sizeof *hv);
    nb_rng rng;
    nb_rng_seed(&rng, 7);
    nb_rng_normals(&rng, n, u);
    nb_rng_normals(&rng, n, v);
    CHECK_OK(nb_model_hvp(&h, u, hu, NULL));
    CHECK_OK(nb_model_hvp(&h, v, hv, NULL));
    double uhv = 0, vhu = 0, mag = 0;
    for (int64_t i = 0; i < n; i++) uhv += u[i] * hv[i], vhu += v[i] * hu[i], mag += fabs(u[i] * hv[i]);
    CHECK_MSG(fabs(uhv - vhu) <= 1e-12 * mag, "%s: u'Hv %.17g, v'Hu %.17g", kind, uhv, vhu);
    nb_model_hessian_free(&h);
    free(u), free(v), free(hu), free(hv);
    nb_tensor_free(x);
    nb_model_free(m);
    fx_free(&f);
}

TEST(hvp_is_symmetric_on_an_mlp) { symmetric("mlp"); }
TEST(hvp_is_symmetric_on_a_cnn) { symmetric("cnn"); }

/* ---- the spectrum tools against the dense Hessian (163 parameters) ---- */

typedef struct dense { nb_model *m; nb_tensor *x; fx f; nb_model_hessian h; nb_linop H; double *A; double *eig; int64_t n; } dense;

static bool dense_open(dense *d) {
    memset(d, 0, sizeof *d);
    if (!fx_load("tests/fixtures/hvp/mlp.txt", &d->f) || !(d->m = fx_model(&d->f, &d->x))) return false;
    if (nb_model_hessian_init(&d->h, d->m, d->x, d->f.labels, NB_LOSS_XENT, 0)) return false;
    d->H = nb_model_hessian_op(&d->h);
    int64_t n = d->n = d->H.n;
    d->A = calloc((size_t)(n * n), sizeof *d->A);
    d->eig = calloc((size_t)n, sizeof *d->eig);
    double *e = calloc((size_t)n, sizeof *e), *a = calloc((size_t)(n * n), sizeof *a), *V = calloc((size_t)(n * n), sizeof *V);
    bool ok = d->A && d->eig && e && a && V;
    for (int64_t j = 0; ok && j < n; j++) { /* column j = H e_j */
        e[j] = 1;
        ok = nb_model_hvp(&d->h, e, d->A + j * n, NULL) == NB_OK; /* row j, the same by symmetry */
        e[j] = 0;
    }
    for (int64_t i = 0; ok && i < n * n; i++) a[i] = d->A[i];
    ok = ok && nb_sym_eig(n, a, d->eig, V) == NB_OK;
    /* the eigen-solver itself: A v_j = lambda_j v_j */
    double worst = 0;
    for (int64_t j = 0; ok && j < n; j++)
        for (int64_t i = 0; i < n; i++) {
            double s = 0;
            for (int64_t k = 0; k < n; k++) s += d->A[i * n + k] * V[k * n + j];
            worst = fmax(worst, fabs(s - d->eig[j] * V[i * n + j]));
        }
    CHECK_MSG(worst < 1e-11 * fabs(d->eig[n - 1]), "Jacobi residual %g", worst);
    free(e), free(a), free(V);
    return ok;
}

static void dense_close(dense *d) {
    nb_model_hessian_free(&d->h);
    nb_model_free(d->m);
    nb_tensor_free(d->x);
    fx_free(&d->f);
    free(d->A), free(d->eig);
}

TEST(lanczos_top_eigenvalues_match_the_dense_hessian) {
    dense d;
    CHECK(dense_open(&d));
    double top[3], again[3];
    CHECK_OK(nb_lanczos_topk(&d.H, 3, 0, 5, top));
    for (int i = 0; i < 3; i++)
        CHECK_MSG(fabs(top[i] - d.eig[d.n - 1 - i]) <= 1e-8 * fabs(d.eig[d.n - 1]), "eigenvalue %d: Lanczos %.15g, dense %.15g",
                  i, top[i], d.eig[d.n - 1 - i]);
    CHECK_OK(nb_lanczos_topk(&d.H, 3, 0, 5, again));
    CHECK(memcmp(top, again, sizeof top) == 0); /* seeded: the same numbers */
    /* power iteration finds the largest magnitude: here the top eigenvalue if it dominates */
    double lam, big = fmax(fabs(d.eig[0]), fabs(d.eig[d.n - 1]));
    int used;
    CHECK_OK(nb_power_iteration(&d.H, 1000, 1e-12, 3, &lam, &used));
    CHECK_MSG(fabs(fabs(lam) - big) <= 1e-6 * big, "power iteration %.12g after %d, dense %.12g", lam, used, big);
    CHECK_ERR(nb_lanczos_topk(&d.H, 0, 0, 1, top), NB_EINVAL, "k = 0");
    /* warm-started Lanczos: from a random start, then from its own Ritz vector in 2 steps */
    double *v = calloc((size_t)d.n, sizeof *v), *hv = calloc((size_t)d.n, sizeof *hv), warm, rerun, res = 0, nv = 0;
    nb_rng rng;
    nb_rng_seed(&rng, 9);
    nb_rng_normals(&rng, d.n, v);
    CHECK_OK(nb_lanczos_warm(&d.H, 60, v, &warm));
    CHECK_MSG(fabs(warm - d.eig[d.n - 1]) <= 1e-8 * fabs(d.eig[d.n - 1]), "warm Lanczos %.15g, dense %.15g", warm, d.eig[d.n - 1]);
    CHECK_OK(d.H.apply(d.H.user, v, hv));
    for (int64_t i = 0; i < d.n; i++) res = fmax(res, fabs(hv[i] - warm * v[i])), nv += v[i] * v[i];
    CHECK_MSG(fabs(nv - 1) <= 1e-12 && res <= 1e-6 * fabs(warm), "Ritz vector: |v|^2 = %.15g, |Hv - lv|max = %g", nv, res);
    CHECK_OK(nb_lanczos_warm(&d.H, 2, v, &rerun));
    CHECK_MSG(fabs(rerun - warm) <= 1e-10 * fabs(warm), "from its own Ritz vector: %.15g, was %.15g", rerun, warm);
    CHECK_ERR(nb_lanczos_warm(&d.H, 0, v, &rerun), NB_EINVAL, "iters 0");
    for (int64_t i = 0; i < d.n; i++) v[i] = 0;
    CHECK_ERR(nb_lanczos_warm(&d.H, 5, v, &rerun), NB_EINVAL, "zero start");
    free(v), free(hv);
    dense_close(&d);
}

TEST(hutchinson_trace_within_three_standard_errors) {
    dense d;
    CHECK(dense_open(&d));
    double exact = 0;
    for (int64_t i = 0; i < d.n; i++) exact += d.A[i * d.n + i];
    /* the blocks are the layers: w0 b0 w1 b1 w2 b2 */
    int64_t ends[6], off = 0;
    double blocks[6], exact_block[6] = {0};
    for (int i = 0; i < 6; i++) {
        int64_t lo = off;
        ends[i] = off += nb_params_tensor(d.m->params, i)->numel;
        for (int64_t j = lo; j < off; j++) exact_block[i] += d.A[j * d.n + j];
    }
    double tr, se;
    CHECK_OK(nb_hutchinson(&d.H, 200, 11, 6, ends, &tr, &se, blocks));
    CHECK_MSG(fabs(tr - exact) <= 3 * se && se > 0, "Hutchinson %.6g +- %.3g, exact %.6g", tr, se, exact);
    double sum = 0;
    for (int i = 0; i < 6; i++) sum += blocks[i];
    CHECK(test_close(sum, tr, 1e-12 * fabs(exact), 1e-12)); /* the same probes, split by layer */
    CHECK(test_close(blocks[4], exact_block[4], 0.3 * fabs(exact_block[4]) + 3 * se, 0));
    /* SLQ's first moment along each probe is Hutchinson's sample z'Hz / n, and its weights sum to 1 */
    enum { RUNS = 4, IT = 30 };
    double nodes[RUNS * IT], w[RUNS * IT], dens[1];
    CHECK_OK(nb_slq(&d.H, RUNS, IT, 11, nodes, w));
    double tr1, se1, m1 = 0;
    CHECK_OK(nb_hutchinson(&d.H, RUNS, 11, 0, NULL, &tr1, &se1, NULL));
    for (int r = 0; r < RUNS; r++) {
        double ws = 0;
        for (int j = 0; j < IT; j++) ws += w[r * IT + j], m1 += w[r * IT + j] * nodes[r * IT + j];
        CHECK(test_close(ws, 1, 1e-12, 0));
    }
    CHECK(test_close(m1 / RUNS * (double)d.n, tr1, 1e-9 * fabs(exact), 0));
    /* the density is a probability density: its integral over a wide grid is 1 */
    double lo = d.eig[0] - 1, hi = d.eig[d.n - 1] + 1, integral = 0, sigma = (hi - lo) / 200;
    for (int i = 0; i < 4000; i++) {
        double t = lo + (hi - lo) * (i + 0.5) / 4000;
        nb_slq_density(RUNS, IT, nodes, w, sigma, 1, &t, dens);
        integral += dens[0] * (hi - lo) / 4000;
    }
    CHECK(test_close(integral, 1, 1e-3, 0));
    dense_close(&d);
}

/* nb_sharpness: the top eigenvalue of a model's loss Hessian on a data set's
 * first samples; a second measurement of unchanged weights, warm, agrees. */
TEST(sharpness_tracker_measures_the_top_eigenvalue) {
    enum { N = 6 };
    static uint8_t px[N * 784];
    static int32_t lab[N];
    nb_rng rng;
    nb_rng_seed(&rng, 4);
    for (int i = 0; i < N * 784; i++) px[i] = (uint8_t)nb_rng_below(&rng, 256);
    for (int i = 0; i < N; i++) lab[i] = i % 10;
    nb_dataset ds = {N, 28, 28, px, lab};
    nb_model_desc d = nb_mlp_desc(1, (int64_t[]){4});
    nb_model *m = nb_model_new(&d, NB_F32, &rng);
    nb_norm norm = {0, 1};
    nb_sharpness s;
    CHECK_ERR(nb_sharpness_init(&s, m, &ds, &norm, 0, 1), NB_EINVAL, "0 samples, the data has 6");
    CHECK_ERR(nb_sharpness_init(&s, m, &ds, &norm, N + 1, 1), NB_EINVAL, "7 samples, the data has 6");
    CHECK_OK(nb_sharpness_init(&s, m, &ds, &norm, N - 1, 1));
    double first, second, top;
    CHECK_OK(nb_sharpness_measure(&s, &first));
    CHECK_OK(nb_sharpness_measure(&s, &second));
    nb_linop H = nb_model_hessian_op(&s.h);
    CHECK_OK(nb_lanczos_topk(&H, 1, 60, 2, &top));
    CHECK_MSG(top > 0 && fabs(first - top) <= 1e-6 * top && fabs(second - top) <= 1e-6 * top,
              "tracker %.12g then %.12g, Lanczos (60 steps) %.12g", first, second, top);
    CHECK(s.measured == 2);
    nb_sharpness_free(&s);
    nb_model_free(m);
}
