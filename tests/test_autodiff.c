/* The handout's worked problems, the tape's semantics, and gradcheck. */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "core/internal.h"

static nb_tensor *from(nb_ctx *ctx, int ndim, const int64_t *shape, const double *v) {
    return nb_from_buffer(ctx, NB_F64, ndim, shape, v);
}

/* P4: f(x) = ||x||^2 has gradient 2x. */
TEST(handout_p4_grad_of_squared_norm) {
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *x = from(ctx, NB_SHAPE(4), (double[]){1, -2, 3.5, 0.25});
    nb_tensor_requires_grad(x, true);
    nb_tensor *f = nb_sum(ctx, nb_mul(ctx, x, x), NB_ALL_AXES, false);
    CHECK_OK(nb_backward(ctx, f));
    for (int i = 0; i < 4; i++) CHECK_NEAR(nb_tensor_get(x->grad, i), 2 * nb_tensor_get(x, i), 0, 1e-15);
    nb_ctx_free(ctx);
}

static nb_tensor *at_x(nb_ctx *ctx, nb_tensor *const *in, void *A) {
    /* f(x) = A^T x, as the row-vector product x^T A */
    return nb_matmul(ctx, in[0], (nb_tensor *)A);
}

/* P5: the Jacobian of A^T x, A in R^{d x n}, is A itself (d x n) in the handout's layout. */
TEST(handout_p5_jacobian_of_linear_map_is_A) {
    nb_ctx *ctx = nb_ctx_new();
    nb_rng rng;
    nb_rng_seed(&rng, 5);
    nb_tensor *A = nb_normal(ctx, &rng, NB_F64, NB_SHAPE(3, 4), 0, 1);
    nb_tensor *x = nb_normal(ctx, &rng, NB_F64, NB_SHAPE(3), 0, 1);
    nb_tensor *J = nb_jacobian(ctx, at_x, A, x, NB_JAC_INPUT_FIRST);
    CHECK_NOTNULL(J);
    CHECK(J && J->ndim == 2 && J->shape[0] == 3 && J->shape[1] == 4);
    for (int i = 0; J && i < 12; i++) CHECK_NEAR(nb_tensor_get(J, i), nb_tensor_get(A, i), 0, 1e-15);
    /* PyTorch's layout is the transpose: out dims first. */
    nb_tensor *Jt = nb_jacobian(ctx, at_x, A, x, NB_JAC_OUTPUT_FIRST);
    CHECK(Jt && Jt->shape[0] == 4 && Jt->shape[1] == 3);
    for (int i = 0; Jt && i < 3; i++)
        for (int j = 0; j < 4; j++) CHECK(nb_tensor_get(Jt, j * 3 + i) == nb_tensor_get(A, i * 4 + j));
    nb_ctx_free(ctx);
}

/* z = ||A^T x||^2 with A and x both leaves. */
static void p6_p7(nb_ctx *ctx, nb_tensor **A, nb_tensor **x) {
    nb_rng rng;
    nb_rng_seed(&rng, 67);
    *A = nb_normal(ctx, &rng, NB_F64, NB_SHAPE(3, 5), 0, 1);
    *x = nb_normal(ctx, &rng, NB_F64, NB_SHAPE(3, 1), 0, 1);
    nb_tensor_requires_grad(*A, true);
    nb_tensor_requires_grad(*x, true);
    nb_tensor *y = nb_matmul(ctx, nb_transpose(ctx, *A), *x); /* (5,1) */
    CHECK_OK(nb_backward(ctx, nb_sum(ctx, nb_mul(ctx, y, y), NB_ALL_AXES, false)));
}

/* P6: dz/dx = 2 A A^T x.  P7: dz/dA = 2 x x^T A. */
TEST(handout_p6_p7_squared_norm_of_linear_map) {
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *A, *x;
    p6_p7(ctx, &A, &x);
    nb_ctx_set_grad(ctx, false);
    nb_tensor *two = nb_scalar(ctx, NB_F64, 2);
    nb_tensor *AAt = nb_matmul(ctx, A, nb_transpose(ctx, A));
    nb_tensor *gx = nb_mul(ctx, two, nb_matmul(ctx, AAt, x));
    nb_tensor *gA = nb_mul(ctx, two, nb_matmul(ctx, nb_matmul(ctx, x, nb_transpose(ctx, x)), A));
    for (int i = 0; i < 3; i++) CHECK_NEAR(nb_tensor_get(x->grad, i), nb_tensor_get(gx, i), 1e-13, 1e-12);
    for (int i = 0; i < 15; i++) CHECK_NEAR(nb_tensor_get(A->grad, i), nb_tensor_get(gA, i), 1e-13, 1e-12);
    nb_ctx_free(ctx);
}

/* f(X) = tanh(X)^T v for X (2,3), v (2): a matrix input, vector output in R^3. */
static nb_tensor *mat_to_vec(nb_ctx *ctx, nb_tensor *const *in, void *v) {
    return nb_matmul(ctx, (nb_tensor *)v, nb_tanh(ctx, in[0]));
}
static nb_tensor *flat_to_vec(nb_ctx *ctx, nb_tensor *const *in, void *v) {
    nb_tensor *X = nb_reshape(ctx, in[0], NB_SHAPE(2, 3));
    return mat_to_vec(ctx, &X, v);
}

/* The d1 x d2 x n Jacobian equals flatten, vector Jacobian, reshape. */
TEST(handout_matrix_input_jacobian_is_reshaped_flat_jacobian) {
    nb_ctx *ctx = nb_ctx_new();
    nb_rng rng;
    nb_rng_seed(&rng, 8);
    nb_tensor *X = nb_normal(ctx, &rng, NB_F64, NB_SHAPE(2, 3), 0, 1);
    nb_tensor *v = nb_normal(ctx, &rng, NB_F64, NB_SHAPE(2), 0, 1);
    nb_tensor *J3 = nb_jacobian(ctx, mat_to_vec, v, X, NB_JAC_INPUT_FIRST);
    nb_tensor *Xf = nb_reshape(ctx, X, NB_SHAPE(6));
    nb_tensor *J2 = nb_jacobian(ctx, flat_to_vec, v, Xf, NB_JAC_INPUT_FIRST);
    CHECK(J3 && J3->ndim == 3 && J3->shape[0] == 2 && J3->shape[1] == 3 && J3->shape[2] == 3);
    CHECK(J2 && J2->ndim == 2 && J2->shape[0] == 6 && J2->shape[1] == 3);
    for (int i = 0; J3 && J2 && i < 18; i++) CHECK(nb_tensor_get(J3, i) == nb_tensor_get(J2, i));
    /* and each entry is df_k/dX_ij = v_i (1 - tanh^2 X_ij) [j == k] */
    for (int i = 0; J3 && i < 2; i++)
        for (int j = 0; j < 3; j++)
            for (int k = 0; k < 3; k++) {
                double t = tanh(nb_tensor_get(X, i * 3 + j));
                double want = j == k ? nb_tensor_get(v, i) * (1 - t * t) : 0;
                CHECK_NEAR(nb_tensor_get(J3, (i * 3 + j) * 3 + k), want, 1e-15, 1e-13);
            }
    nb_ctx_free(ctx);
}

TEST(leaf_gradients_accumulate_until_zeroed) {
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *x = nb_tensor_new(NB_F64, NB_SHAPE(2));
    nb_tensor_set(x, 0, 3);
    nb_tensor_set(x, 1, -1);
    nb_tensor_requires_grad(x, true);
    for (int k = 0; k < 3; k++) {
        CHECK_OK(nb_backward(ctx, nb_sum(ctx, nb_mul(ctx, x, x), NB_ALL_AXES, false)));
        nb_ctx_reset(ctx);
    }
    CHECK(nb_tensor_get(x->grad, 0) == 18 && nb_tensor_get(x->grad, 1) == -6);
    nb_tensor_zero_grad(x);
    CHECK(nb_tensor_get(x->grad, 0) == 0);
    nb_tensor_free(x);
    nb_ctx_free(ctx);
}

TEST(backward_twice_over_a_freed_graph_is_an_error) {
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *x = nb_ones(ctx, NB_F64, NB_SHAPE(3));
    nb_tensor_requires_grad(x, true);
    nb_tensor *f = nb_sum(ctx, nb_exp(ctx, x), NB_ALL_AXES, false);
    CHECK_OK(nb_backward(ctx, f));
    CHECK_ERR(nb_backward(ctx, f), NB_ESTATE, "freed");
    /* with retain, twice is fine and accumulates */
    nb_ctx_reset(ctx);
    x = nb_ones(ctx, NB_F64, NB_SHAPE(3));
    nb_tensor_requires_grad(x, true);
    f = nb_sum(ctx, nb_exp(ctx, x), NB_ALL_AXES, false);
    nb_tensor *one = nb_scalar(ctx, NB_F64, 1);
    CHECK_OK(nb_vjp(ctx, f, one, true));
    CHECK_OK(nb_vjp(ctx, f, one, true));
    CHECK_NEAR(nb_tensor_get(x->grad, 0), 2 * exp(1.0), 0, 1e-15);
    nb_ctx_free(ctx);
}

/* A context holds many graphs: each gets its own backward, and only a graph
 * (or a part of one) that a backward has already walked is refused. */
static nb_tensor *square_sum(nb_ctx *ctx, nb_tensor *const *in, void *user) {
    (void)user;
    return nb_mul(ctx, in[0], in[0]);
}

TEST(each_new_graph_in_a_context_gets_its_own_backward) {
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *x = nb_from_buffer(ctx, NB_F64, NB_SHAPE(3), (double[]){1, 2, 3});
    nb_tensor_requires_grad(x, true);
    nb_tensor *e = nb_exp(ctx, x);
    CHECK_OK(nb_backward(ctx, nb_sum(ctx, e, NB_ALL_AXES, false)));
    /* a second graph over the same leaf, built after the first backward */
    CHECK_OK(nb_backward(ctx, nb_sum(ctx, nb_mul(ctx, x, x), NB_ALL_AXES, false)));
    CHECK_NEAR(nb_tensor_get(x->grad, 2), exp(3.0) + 6, 0, 1e-15);
    /* and a VJP and a Jacobian after them */
    nb_tensor *y = nb_mul(ctx, x, x);
    CHECK_OK(nb_vjp(ctx, y, nb_ones(ctx, NB_F64, NB_SHAPE(3)), false));
    nb_tensor *J = nb_jacobian(ctx, square_sum, NULL, x, NB_JAC_INPUT_FIRST);
    CHECK(J != NULL && J->ndim == 2 && nb_tensor_get(J, 1 * 3 + 1) == 4);
    /* a new graph that reaches into the walked first one is refused, by name */
    CHECK_ERR(nb_backward(ctx, nb_sum(ctx, nb_scale(ctx, e, 2), NB_ALL_AXES, false)), NB_ESTATE, "already walked");
    nb_ctx_free(ctx);
}

TEST(no_grad_mode_records_nothing) {
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *x = nb_ones(ctx, NB_F32, NB_SHAPE(2, 2));
    nb_tensor_requires_grad(x, true);
    CHECK(nb_ctx_set_grad(ctx, false) == true);
    nb_tensor *y = nb_relu(ctx, nb_add(ctx, x, x));
    CHECK(y && !y->requires_grad && !y->node);
    CHECK_ERR(nb_backward(ctx, nb_sum(ctx, y, NB_ALL_AXES, false)), NB_EINVAL, "does not depend");
    nb_ctx_set_grad(ctx, true);
    nb_ctx_free(ctx);
}

TEST(vjp_with_non_scalar_output) {
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *x = from(ctx, NB_SHAPE(3), (double[]){1, 2, 3});
    nb_tensor_requires_grad(x, true);
    nb_tensor *y = nb_mul(ctx, x, x);
    nb_tensor *u = from(ctx, NB_SHAPE(3), (double[]){1, 10, 100});
    CHECK_ERR(nb_backward(ctx, y), NB_ESHAPE, "scalar");
    CHECK_OK(nb_vjp(ctx, y, u, false));
    CHECK(nb_tensor_get(x->grad, 0) == 2 && nb_tensor_get(x->grad, 1) == 40 && nb_tensor_get(x->grad, 2) == 600);
    nb_tensor *bad = nb_ones(ctx, NB_F64, NB_SHAPE(2));
    nb_ctx_reset(ctx);
    x = from(ctx, NB_SHAPE(3), (double[]){1, 2, 3});
    nb_tensor_requires_grad(x, true);
    bad = nb_ones(ctx, NB_F64, NB_SHAPE(2));
    CHECK_ERR(nb_vjp(ctx, nb_exp(ctx, x), bad, false), NB_ESHAPE, "upstream gradient");
    nb_ctx_free(ctx);
}

TEST(errors_name_the_op_and_the_shapes) {
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *a = nb_zeros(ctx, NB_F32, NB_SHAPE(3, 4)), *b = nb_zeros(ctx, NB_F32, NB_SHAPE(5, 2));
    CHECK_ERR(nb_matmul(ctx, a, b), NB_ESHAPE, "matmul: shapes (3,4) and (5,2) do not align");
    CHECK_ERR(nb_add(ctx, a, b), NB_ESHAPE, "add: shapes (3,4) and (5,2) do not broadcast");
    nb_tensor *d = nb_zeros(ctx, NB_F64, NB_SHAPE(3, 4));
    CHECK_ERR(nb_mul(ctx, a, d), NB_EDTYPE, "mul: dtypes f32 and f64 differ");
    CHECK_ERR(nb_sum(ctx, a, NB_AXES(2), false), NB_EINVAL, "sum: axis 2 out of range");
    CHECK_ERR(nb_softmax(ctx, a, -3), NB_EINVAL, "softmax: axis -3");
    CHECK_ERR(nb_reshape(ctx, a, NB_SHAPE(5, -1)), NB_ESHAPE, "reshape: cannot view (3,4)");
    CHECK_ERR(nb_exp(NULL, a), NB_EINVAL, "exp: NULL context");
    CHECK_ERR(nb_zeros(ctx, NB_F32, 9, (int64_t[9]){1}), NB_EINVAL, "9 dimensions");
    CHECK_ERR(nb_softmax_cross_entropy(ctx, a, (int32_t[]){0, 4, 1}), NB_EINVAL, "label 4 of row 1");
    /* A NULL from a failed op passes its message through the next op. */
    nb_clear_error();
    nb_tensor *bad = nb_exp(ctx, nb_matmul(ctx, a, b));
    CHECK(bad == NULL && strstr(nb_errmsg(), "matmul: shapes"));
    nb_ctx_free(ctx);
}

TEST(every_op_has_a_gradcheck_case) {
    int n = 0;
    for (const nb_op *const *op = nb__all_ops; *op; op++, n++)
        CHECK_MSG(nb__gradcheck_covers((*op)->name), "op %s has no gradcheck case", (*op)->name);
    CHECK(n >= 28);
}

TEST(gradcheck_passes_for_every_op) { CHECK(nb_gradcheck_ops(NULL) == 0); }

static nb_tensor *wrong_backward_square(nb_ctx *ctx, nb_tensor *const *in, void *u) {
    (void)u;
    /* x * x written as x * stop_gradient(x) misses half the gradient */
    nb_tensor *c = nb_copy(ctx, in[0]);
    return nb_mul(ctx, in[0], c);
}

TEST(gradcheck_catches_a_wrong_gradient) {
    nb_tensor *x = nb_tensor_new(NB_F64, NB_SHAPE(3));
    for (int i = 0; i < 3; i++) nb_tensor_set(x, i, 1 + i);
    nb_gradcheck_result r;
    CHECK_OK(nb_gradcheck(wrong_backward_square, NULL, 1, &x, NULL, &r));
    CHECK(!r.passed && r.max_abs_err > 0.5);
    nb_tensor *xf = nb_tensor_new(NB_F32, NB_SHAPE(3));
    CHECK_ERR(nb_gradcheck(wrong_backward_square, NULL, 1, &xf, NULL, &r), NB_EDTYPE, "needs f64");
    nb_tensor_free(x);
    nb_tensor_free(xf);
}

TEST(arena_steady_state_allocates_nothing_new) {
    nb_ctx *ctx = nb_ctx_new();
    nb_rng rng;
    nb_rng_seed(&rng, 1);
    size_t held = 0;
    for (int step = 0; step < 5; step++) {
        nb_tensor *x = nb_normal(ctx, &rng, NB_F32, NB_SHAPE(64, 300), 0, 1);
        nb_tensor *w = nb_normal(ctx, &rng, NB_F32, NB_SHAPE(300, 700), 0, 1);
        nb_tensor_requires_grad(w, true);
        CHECK_OK(nb_backward(ctx, nb_mean(ctx, nb_relu(ctx, nb_matmul(ctx, x, w)), NB_ALL_AXES, false)));
        if (step == 2) held = nb_ctx_bytes(ctx);
        if (step > 2) CHECK(nb_ctx_bytes(ctx) == held);
        nb_ctx_reset(ctx);
    }
    CHECK(nb_ctx_peak_bytes(ctx) >= (64 * 300 + 300 * 700) * 4);
    nb_ctx_free(ctx);
}

TEST(params_live_in_one_flat_buffer) {
    nb_params *p = nb_params_new(NB_F32);
    nb_tensor *w = nb_params_add(p, "w", NB_SHAPE(3, 5));
    nb_tensor *b = nb_params_add(p, "b", NB_SHAPE(5));
    CHECK(nb_params_count(p) == 2 && w->requires_grad && b->requires_grad);
    CHECK((char *)w->data == (char *)nb_params_data(p));
    CHECK((char *)b->data > (char *)w->data && ((uintptr_t)b->data & 63) == 0);
    CHECK((char *)b->grad->data - (char *)nb_params_grad(p) == (char *)b->data - (char *)nb_params_data(p));
    CHECK_ERR(nb_params_add(p, "w", NB_SHAPE(1)), NB_EINVAL, "exists already");
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *x = nb_ones(ctx, NB_F32, NB_SHAPE(2, 3));
    CHECK_OK(nb_backward(ctx, nb_sum(ctx, nb_linear(ctx, x, w, b), NB_ALL_AXES, false)));
    CHECK(nb_tensor_get(b->grad, 0) == 2 && nb_tensor_get(w->grad, 0) == 2);
    nb_params_zero_grad(p);
    CHECK(nb_tensor_get(b->grad, 0) == 0 && nb_tensor_get(w->grad, 0) == 0);
    nb_ctx_free(ctx);
    nb_params_free(p);
}

TEST(rng_is_reproducible_and_sane) {
    nb_rng a, b;
    nb_rng_seed(&a, 42);
    nb_rng_seed(&b, 42);
    for (int i = 0; i < 100; i++) CHECK(nb_rng_u64(&a) == nb_rng_u64(&b));
    nb_rng_seed(&a, 0);
    /* the stream is fixed across machines: the first value is pinned */
    uint64_t first = nb_rng_u64(&a);
    nb_rng_seed(&b, 0);
    CHECK(nb_rng_u64(&b) == first);
    double s = 0, s2 = 0;
    for (int i = 0; i < 100000; i++) {
        double z = nb_rng_normal(&a);
        s += z;
        s2 += z * z;
    }
    CHECK(fabs(s / 1e5) < 0.02 && fabs(s2 / 1e5 - 1) < 0.02);
    for (int i = 0; i < 1000; i++) CHECK(nb_rng_below(&a, 7) < 7);
}

static int cmp_double(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The ziggurat against the normal CDF: Kolmogorov-Smirnov on 200k draws
 * (the 0.1% critical value is 1.95/sqrt(n)), and the tail beyond R. */
TEST(rng_normal_passes_kolmogorov_smirnov) {
    enum { N = 200000 };
    static double v[N];
    nb_rng rng;
    nb_rng_seed(&rng, 2024);
    nb_rng_normals(&rng, N, v);
    int tail = 0;
    for (int i = 0; i < N; i++) tail += fabs(v[i]) > 3.6541528853610088;
    qsort(v, N, sizeof v[0], cmp_double);
    double d = 0;
    for (int i = 0; i < N; i++) {
        double F = 0.5 * erfc(-v[i] / sqrt(2.0));
        d = fmax(d, fmax(fabs(F - (double)i / N), fabs(F - (double)(i + 1) / N)));
    }
    CHECK_MSG(d < 1.95 / sqrt((double)N), "KS distance %.5f", d);
    /* P(|x| > R) = 2.58e-4: 51.6 expected, sd 7.2 */
    CHECK_MSG(tail > 51.6 - 4 * 7.2 && tail < 51.6 + 4 * 7.2, "%d draws beyond R", tail);
}

/* ---- the ready hook ---- */

/* A two-layer net on parameters p (W1 used twice when shared): the loss. */
static nb_tensor *hook_net(nb_ctx *ctx, nb_params *p, bool shared) {
    nb_rng rng;
    nb_rng_seed(&rng, 11);
    nb_tensor *x = nb_normal(ctx, &rng, NB_F64, NB_SHAPE(40, 600), 0, 1);
    /* shared: W1's other use comes first, so the walk passes it last */
    nb_tensor *s = shared ? nb_sum(ctx, nb_params_tensor(p, 0), NB_ALL_AXES, false) : NULL;
    nb_tensor *h = nb_linear_relu(ctx, x, nb_params_tensor(p, 0), nb_params_tensor(p, 1));
    nb_tensor *z = nb_linear(ctx, h, nb_params_tensor(p, 2), nb_params_tensor(p, 3));
    if (shared) z = nb_add(ctx, z, s);
    int32_t y[40];
    for (int i = 0; i < 40; i++) y[i] = i % 7;
    return nb_softmax_cross_entropy(ctx, z, y);
}

static nb_params *hook_params(void) {
    nb_params *p = nb_params_new(NB_F64);
    nb_params_add(p, "w1", NB_SHAPE(600, 300));
    nb_params_add(p, "b1", NB_SHAPE(300));
    nb_params_add(p, "w2", NB_SHAPE(300, 7));
    nb_params_add(p, "b2", NB_SHAPE(7));
    nb_rng rng;
    nb_rng_seed(&rng, 3);
    double *d = nb_params_data(p);
    for (int64_t i = 0; i < nb_params_numel(p); i++) d[i] = 0.1 * nb_rng_normal(&rng);
    return p;
}

typedef struct hook_log {
    nb_params *p;
    const double *want; /* the gradients of a backward without the hook */
    int *hits;          /* per element of the flat buffer: reports */
    int bad_value;      /* reported elements whose gradient was not final */
    int w1_calls; /* reports of W1 */
} hook_log;

/* Checks each reported block against the final gradient, then destroys the
 * leaf's values there: the rest of the backward must not read them. */
static void log_ready(void *user, nb_tensor *leaf, int64_t lo, int64_t hi) {
    hook_log *h = user;
    double *d = nb_params_data(h->p);
    const double *g = nb_params_grad(h->p);
    int64_t off = (double *)leaf->data - d;
#ifdef _OPENMP
#pragma omp critical(log_ready)
#endif
    {
        h->w1_calls += leaf == nb_params_tensor(h->p, 0);
        for (int64_t i = off + lo; i < off + hi; i++) {
            h->hits[i]++;
            if (g[i] != h->want[i]) h->bad_value++;
            d[i] = NAN;
        }
    }
}

static void hook_case(bool shared, int threads) {
    nb_params *p = hook_params(), *q = hook_params();
    nb_ctx *ctx = nb_ctx_new();
    CHECK_OK(nb_backward(ctx, hook_net(ctx, p, shared))); /* the reference gradients */
    int64_t n = nb_params_numel(q);
    hook_log h = {q, nb_params_grad(p), calloc((size_t)n, sizeof(int)), 0, 0};
    nb_ctx_reset(ctx);
    nb_tensor *loss = hook_net(ctx, q, shared);
    nb_ctx_on_grad_ready(ctx, log_ready, &h);
    int saved = nb_get_threads();
    nb_set_threads(threads);
    CHECK_OK(nb_backward(ctx, loss));
    nb_set_threads(saved);
    int64_t missed = 0, twice = 0;
    for (int k = 0; k < nb_params_count(q); k++) { /* the tensors, not the padding between them */
        nb_tensor *t = nb_params_tensor(q, k);
        int64_t off = (double *)t->data - (double *)nb_params_data(q);
        for (int64_t i = off; i < off + t->numel; i++) missed += h.hits[i] == 0, twice += h.hits[i] > 1;
    }
    CHECK_MSG(missed == 0 && twice == 0, "shared=%d threads=%d: %lld elements never reported, %lld twice", shared,
              threads, (long long)missed, (long long)twice);
    CHECK_MSG(h.bad_value == 0, "shared=%d: %d elements reported before their gradient was final", shared,
              h.bad_value);
    /* every gradient as without the hook, though each reported block's values were destroyed */
    CHECK(memcmp(nb_params_grad(q), nb_params_grad(p), (size_t)n * sizeof(double)) == 0);
    CHECK_MSG(!shared || h.w1_calls == 1, "W1, used twice, is reported whole once the walk passed both uses (%d calls)",
              h.w1_calls);
    nb_ctx_on_grad_ready(ctx, NULL, NULL);
    free(h.hits);
    nb_ctx_free(ctx);
    nb_params_free(p);
    nb_params_free(q);
}

TEST(grad_ready_hook_reports_each_final_block_once) {
    hook_case(false, 1);
    hook_case(false, 2);
    hook_case(true, 1);
    hook_case(true, 2);
}
