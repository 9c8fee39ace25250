/* gradcheck: analytic gradients against central differences, in f64.
 *
 * With a random upstream u, the analytic side is the VJP u^T J; the numeric
 * side perturbs each input element by +-eps and differences <u, f(x)>. Like
 * PyTorch's, it also checks that a second backward agrees bit for bit and
 * that a zero upstream gives zero gradients. */
#include <math.h>
#include <stdlib.h>

#include "core/internal.h"
#include "nabla/autodiff.h"

static double dot_upstream(const nb_tensor *y, const nb_tensor *u) {
    double s = 0;
    for (int64_t i = 0; i < y->numel; i++) s += nb_tensor_get(y, i) * nb_tensor_get(u, i);
    return s;
}

/* Leaves copied from inputs into ctx; f applied; NULL on error. */
static nb_tensor *apply(nb_ctx *ctx, nb_fn f, void *user, int nin, nb_tensor *const *inputs, nb_tensor **leaves,
                        bool grad) {
    for (int i = 0; i < nin; i++) {
        if (!(leaves[i] = nb_copy(ctx, inputs[i]))) return NULL;
        if (grad) nb_tensor_requires_grad(leaves[i], true);
    }
    return f(ctx, leaves, user);
}

/* The analytic gradients for upstream u, copied out to heap arrays. */
static nb_status analytic(nb_fn f, void *user, int nin, nb_tensor *const *inputs, const nb_tensor *u_src,
                          double upstream_scale, double **out) {
    nb_ctx *ctx = nb_ctx_new();
    if (!ctx) return nb_errcode();
    nb_tensor *leaves[NB_MAX_INPUTS * 4];
    nb_status st = NB_OK;
    nb_tensor *y = apply(ctx, f, user, nin, inputs, leaves, true);
    nb_tensor *u = y ? nb_zeros(ctx, NB_F64, y->ndim, y->shape) : NULL;
    if (!u) st = nb_errcode() ? nb_errcode() : nb_fail(NB_EINVAL, "gradcheck: the function failed");
    else {
        for (int64_t i = 0; i < u->numel; i++) nb_tensor_set(u, i, upstream_scale * nb_tensor_get(u_src, i));
        st = y->requires_grad ? nb_vjp(ctx, y, u, false) : NB_OK;
    }
    for (int i = 0; st == NB_OK && i < nin; i++)
        for (int64_t j = 0; j < inputs[i]->numel; j++)
            out[i][j] = leaves[i]->grad ? nb_tensor_get(leaves[i]->grad, j) : 0.0;
    nb_ctx_free(ctx);
    return st;
}

nb_status nb_gradcheck(nb_fn f, void *user, int nin, nb_tensor *const *inputs, const nb_gradcheck_opts *opts,
                       nb_gradcheck_result *res) {
    if (!f || !inputs || !res || nin < 1 || nin > NB_MAX_INPUTS * 4)
        return nb_fail(NB_EINVAL, "nb_gradcheck: bad arguments");
    for (int i = 0; i < nin; i++) {
        if (!inputs[i]) return nb_fail(NB_EINVAL, "nb_gradcheck: input %d is NULL", i);
        if (inputs[i]->dtype != NB_F64) return nb_fail(NB_EDTYPE, "nb_gradcheck: input %d is %s; gradcheck needs f64", i, nb_dtype_name(inputs[i]->dtype));
    }
    double eps = opts && opts->eps > 0 ? opts->eps : 1e-6;
    double atol = opts && opts->atol > 0 ? opts->atol : 1e-5;
    double rtol = opts && opts->rtol > 0 ? opts->rtol : 1e-3;
    uint64_t seed = opts ? opts->seed : 0;
    *res = (nb_gradcheck_result){0, 0, false};

    nb_ctx *ctx = nb_ctx_new();
    if (!ctx) return nb_errcode();
    nb_ctx_set_grad(ctx, false);
    nb_tensor *leaves[NB_MAX_INPUTS * 4];
    nb_tensor *y0 = apply(ctx, f, user, nin, inputs, leaves, false);
    nb_status st = NB_OK;
    double *ga[NB_MAX_INPUTS * 4] = {0}, *gb[NB_MAX_INPUTS * 4] = {0}, *gz[NB_MAX_INPUTS * 4] = {0};
    nb_tensor *u = NULL;
    if (!y0) {
        st = nb_errcode() ? nb_errcode() : nb_fail(NB_EINVAL, "gradcheck: the function failed");
        goto done;
    }
    /* A random, non-uniform upstream gradient in a heap tensor (ctx is reset below). */
    u = nb_tensor_new(NB_F64, y0->ndim, y0->shape);
    if (!u) {
        st = nb_errcode();
        goto done;
    }
    nb_rng rng;
    nb_rng_seed(&rng, seed ^ 0x6772616463686bULL);
    for (int64_t i = 0; i < u->numel; i++) nb_tensor_set(u, i, 0.5 + nb_rng_uniform(&rng) * (nb_rng_u64(&rng) & 1 ? 1 : -1));
    for (int i = 0; i < nin; i++) {
        size_t n = (size_t)(inputs[i]->numel ? inputs[i]->numel : 1);
        ga[i] = calloc(n, sizeof(double));
        gb[i] = calloc(n, sizeof(double));
        gz[i] = calloc(n, sizeof(double));
        if (!ga[i] || !gb[i] || !gz[i]) {
            st = nb_fail(NB_ENOMEM, "gradcheck: out of memory");
            goto done;
        }
    }
    if ((st = analytic(f, user, nin, inputs, u, 1.0, ga)) != NB_OK) goto done;
    if ((st = analytic(f, user, nin, inputs, u, 1.0, gb)) != NB_OK) goto done;
    if ((st = analytic(f, user, nin, inputs, u, 0.0, gz)) != NB_OK) goto done;

    bool ok = true;
    for (int i = 0; i < nin; i++) {
        nb_tensor *x = nb_copy(NULL, inputs[i]);
        if (!x) {
            st = nb_errcode();
            goto done;
        }
        nb_tensor *perturbed[NB_MAX_INPUTS * 4];
        for (int k = 0; k < nin; k++) perturbed[k] = k == i ? x : inputs[k];
        for (int64_t j = 0; j < x->numel; j++) {
            double v = nb_tensor_get(x, j), fp, fm;
            nb_tensor_set(x, j, v + eps);
            nb_ctx_reset(ctx);
            nb_tensor *yp = apply(ctx, f, user, nin, perturbed, leaves, false);
            fp = yp ? dot_upstream(yp, u) : NAN;
            nb_tensor_set(x, j, v - eps);
            nb_ctx_reset(ctx);
            nb_tensor *ym = apply(ctx, f, user, nin, perturbed, leaves, false);
            fm = ym ? dot_upstream(ym, u) : NAN;
            nb_tensor_set(x, j, v);
            double num = (fp - fm) / (2 * eps), a = ga[i][j], err = fabs(a - num);
            double rel = err / fmax(fabs(num), 1e-12);
            if (!(err <= atol + rtol * fabs(num))) ok = false;
            if (err > res->max_abs_err || isnan(err)) res->max_abs_err = err;
            if (rel > res->max_rel_err && fabs(num) > atol) res->max_rel_err = rel;
            if (memcmp(&ga[i][j], &gb[i][j], sizeof(double)) != 0) ok = false; /* backward twice agrees */
            if (gz[i][j] != 0.0) ok = false;                                 /* zero in, zero out */
        }
        nb_tensor_free(x);
    }
    res->passed = ok;
done:
    for (int i = 0; i < nin; i++) {
        free(ga[i]);
        free(gb[i]);
        free(gz[i]);
    }
    nb_tensor_free(u);
    nb_ctx_free(ctx);
    return st;
}

/* ---- second order ------------------------------------------------------------
 * Along a random direction v: the JVP against central differences of f,
 * (f(x + eps v) - f(x - eps v)) / 2 eps, and the HVP of L = <u, f + f^2> against
 * central differences of its analytic gradient, (g(x + eps v) - g(x - eps v))
 * / 2 eps. The second checks that every jvp rule is itself differentiated
 * right, which is what nb_hvp relies on. */

typedef struct inner_fn {
    nb_fn f;
    void *user;
    const nb_tensor *u;
} inner_fn;

/* L = <u, f + f^2>: the square makes the reverse pass run through every
 * tangent an op's rule recorded, even for an op that is linear. */
static nb_tensor *inner(nb_ctx *ctx, nb_tensor *const *x, void *user) {
    const inner_fn *a = user;
    nb_tensor *y = a->f(ctx, x, a->user);
    nb_tensor *u = y ? nb_from_buffer(ctx, NB_F64, y->ndim, y->shape, a->u->data) : NULL;
    return u ? nb_sum(ctx, nb_mul(ctx, nb_add(ctx, y, nb_mul(ctx, y, y)), u), NB_ALL_AXES, false) : NULL;
}

/* x + s v for every input, on the heap. */
static nb_status shifted(int nin, nb_tensor *const *x, nb_tensor *const *v, double s, nb_tensor **out) {
    for (int i = 0; i < nin; i++) {
        if (!(out[i] = nb_copy(NULL, x[i]))) return nb_errcode();
        for (int64_t j = 0; j < x[i]->numel; j++) nb_tensor_set(out[i], j, nb_tensor_get(x[i], j) + s * nb_tensor_get(v[i], j));
    }
    return NB_OK;
}

static void compare(double a, double num, double atol, double rtol, nb_gradcheck_result *r) {
    double err = fabs(a - num), rel = err / fmax(fabs(num), 1e-12);
    if (!(err <= atol + rtol * fabs(num))) r->passed = false;
    if (err > r->max_abs_err || isnan(err)) r->max_abs_err = err;
    if (rel > r->max_rel_err && fabs(num) > atol) r->max_rel_err = rel;
}

nb_status nb_gradgradcheck(nb_fn f, void *user, int nin, nb_tensor *const *inputs, const nb_gradcheck_opts *opts,
                           nb_gradcheck_result *jvp, nb_gradcheck_result *hvp) {
    enum { MAXIN = NB_MAX_INPUTS * 4 };
    if (!f || !inputs || !jvp || !hvp || nin < 1 || nin > MAXIN) return nb_fail(NB_EINVAL, "nb_gradgradcheck: bad arguments");
    for (int i = 0; i < nin; i++) {
        if (!inputs[i]) return nb_fail(NB_EINVAL, "nb_gradgradcheck: input %d is NULL", i);
        if (inputs[i]->dtype != NB_F64)
            return nb_fail(NB_EDTYPE, "nb_gradgradcheck: input %d is %s; gradgradcheck needs f64", i, nb_dtype_name(inputs[i]->dtype));
    }
    double eps = opts && opts->eps > 0 ? opts->eps : 1e-6;
    double atol = opts && opts->atol > 0 ? opts->atol : 1e-5;
    double rtol = opts && opts->rtol > 0 ? opts->rtol : 1e-3;
    *jvp = *hvp = (nb_gradcheck_result){0, 0, true};
    nb_rng rng;
    nb_rng_seed(&rng, (opts ? opts->seed : 0) ^ 0x6767636b ^ 0x5eedULL);
    nb_tensor *v[MAXIN] = {0}, *xp[MAXIN] = {0}, *xm[MAXIN] = {0}, *leaves[MAXIN] = {0}, *u = NULL, *one = NULL;
    double *h[MAXIN] = {0}, *gp[MAXIN] = {0}, *gm[MAXIN] = {0}; /* H v, and the gradients at x +- eps v */
    nb_status st = NB_OK;
    nb_ctx *ctx = nb_ctx_new();
    if (!ctx) return nb_errcode();
    for (int i = 0; i < nin && !st; i++) {
        size_t n = (size_t)(inputs[i]->numel ? inputs[i]->numel : 1);
        gp[i] = calloc(n, sizeof(double));
        gm[i] = calloc(n, sizeof(double));
        h[i] = calloc(n, sizeof(double));
        if (!(v[i] = nb_tensor_new(NB_F64, inputs[i]->ndim, inputs[i]->shape)) || !gp[i] || !gm[i] || !h[i])
            st = nb_errcode() ? nb_errcode() : nb_fail(NB_ENOMEM, "gradgradcheck: out of memory");
        for (int64_t j = 0; !st && j < inputs[i]->numel; j++) nb_tensor_set(v[i], j, 2 * nb_rng_uniform(&rng) - 1);
    }
    if (st || (st = shifted(nin, inputs, v, eps, xp)) || (st = shifted(nin, inputs, v, -eps, xm))) goto done;

    /* first order: J v */
    nb_tensor *y, *dy;
    for (int i = 0; i < nin; i++)
        if (!(leaves[i] = nb_copy(ctx, inputs[i]))) goto fail;
    if ((st = nb_jvp(ctx, f, user, nin, leaves, v, &y, &dy))) goto done;
    nb_ctx_set_grad(ctx, false);
    nb_tensor *yp = f(ctx, xp, user), *ym = f(ctx, xm, user);
    nb_ctx_set_grad(ctx, true);
    if (!yp || !ym) goto fail;
    for (int64_t j = 0; j < dy->numel; j++)
        compare(nb_tensor_get(dy, j), (nb_tensor_get(yp, j) - nb_tensor_get(ym, j)) / (2 * eps), atol, rtol, jvp);
    if (!(u = nb_tensor_new(NB_F64, y->ndim, y->shape))) goto fail;
    for (int64_t j = 0; j < u->numel; j++) nb_tensor_set(u, j, 0.5 + nb_rng_uniform(&rng) * (nb_rng_u64(&rng) & 1 ? 1 : -1));

    /* second order: H v of <u, f> */
    inner_fn L = {f, user, u};
    nb_ctx_reset(ctx);
    for (int i = 0; i < nin; i++) {
        if (!(leaves[i] = nb_copy(ctx, inputs[i]))) goto fail;
        nb_tensor_requires_grad(leaves[i], true);
    }
    if ((st = nb_hvp(ctx, inner, &L, nin, leaves, v, NULL))) goto done;
    for (int i = 0; i < nin; i++)
        for (int64_t j = 0; j < inputs[i]->numel; j++) h[i][j] = leaves[i]->grad ? nb_tensor_get(leaves[i]->grad, j) : 0;
    if (!(one = nb_tensor_new(NB_F64, 0, NULL))) goto fail;
    nb_tensor_set(one, 0, 1.0);
    if ((st = analytic(inner, &L, nin, xp, one, 1.0, gp)) || (st = analytic(inner, &L, nin, xm, one, 1.0, gm))) goto done;
    for (int i = 0; i < nin; i++)
        for (int64_t j = 0; j < inputs[i]->numel; j++) compare(h[i][j], (gp[i][j] - gm[i][j]) / (2 * eps), atol, rtol, hvp);
    goto done;
fail:
    st = nb_errcode() ? nb_errcode() : nb_fail(NB_EINVAL, "gradgradcheck: the function failed");
done:
    if (st) jvp->passed = hvp->passed = false;
    for (int i = 0; i < nin; i++) {
        free(gp[i]);
        free(gm[i]);
        free(h[i]);
        nb_tensor_free(v[i]);
        nb_tensor_free(xp[i]);
        nb_tensor_free(xm[i]);
    }
    nb_tensor_free(u);
    nb_tensor_free(one);
    nb_ctx_free(ctx);
    return st;
}
