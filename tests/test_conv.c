/* conv2d and max_pool2d beyond the PyTorch fixtures: errors that name the op
 * and the shapes, results independent of the thread count, gradients that
 * add into what is there, inputs that do not require grad, ties and NaNs in
 * pooling. */
#include <stdlib.h>
#include <string.h>

#include "test.h"

static nb_tensor *randn(nb_ctx *ctx, nb_rng *rng, nb_dtype dt, int ndim, const int64_t *shape, bool grad) {
    nb_tensor *t = nb_normal(ctx, rng, dt, ndim, shape, 0, 1);
    if (t && grad) nb_tensor_requires_grad(t, true);
    return t;
}

TEST(conv2d_errors_name_op_and_shapes) {
    nb_ctx *ctx = nb_ctx_new();
    nb_rng rng;
    nb_rng_seed(&rng, 1);
    nb_tensor *x = randn(ctx, &rng, NB_F64, NB_SHAPE(2, 3, 8, 8), false);
    nb_tensor *w_bad = randn(ctx, &rng, NB_F64, NB_SHAPE(4, 2, 3, 3), false);
    nb_tensor *w = randn(ctx, &rng, NB_F64, NB_SHAPE(4, 3, 3, 3), false);
    nb_tensor *w3 = randn(ctx, &rng, NB_F64, NB_SHAPE(4, 3, 3), false);
    nb_tensor *big = randn(ctx, &rng, NB_F64, NB_SHAPE(4, 3, 9, 3), false);
    nb_tensor *b_bad = randn(ctx, &rng, NB_F64, NB_SHAPE(5), false);
    nb_tensor *x32 = randn(ctx, &rng, NB_F32, NB_SHAPE(2, 3, 8, 8), false);
    CHECK_ERR(nb_conv2d(ctx, x, w_bad, NULL, 1, 0), NB_ESHAPE,
              "conv2d: input (2,3,8,8) and weight (4,2,3,3) disagree on channels");
    CHECK_ERR(nb_conv2d(ctx, x, w3, NULL, 1, 0), NB_ESHAPE, "(4,3,3)");
    CHECK_ERR(nb_conv2d(ctx, x, w, b_bad, 1, 0), NB_ESHAPE, "bias (5)");
    CHECK_ERR(nb_conv2d(ctx, x, w, NULL, 0, 0), NB_EINVAL, "stride 0");
    CHECK_ERR(nb_conv2d(ctx, x, w, NULL, 1, -1), NB_EINVAL, "pad -1");
    CHECK_ERR(nb_conv2d(ctx, x, big, NULL, 1, 0), NB_ESHAPE, "larger than input (2,3,8,8)");
    CHECK_ERR(nb_conv2d(ctx, x32, w, NULL, 1, 0), NB_EDTYPE, "conv2d");
    CHECK_ERR(nb_conv2d(ctx, NULL, w, NULL, 1, 0), NB_EINVAL, "conv2d");
    CHECK_ERR(nb_conv2d(NULL, x, w, NULL, 1, 0), NB_EINVAL, "conv2d");
    /* padding makes a kernel larger than the input fit */
    nb_clear_error();
    nb_tensor *y = nb_conv2d(ctx, x, big, NULL, 1, 1);
    CHECK_NOTNULL(y);
    if (y) CHECK(y->shape[2] == 2 && y->shape[3] == 8);
    nb_ctx_free(ctx);
}

TEST(max_pool2d_errors_name_op_and_shapes) {
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *x = nb_zeros(ctx, NB_F32, NB_SHAPE(2, 3, 5, 4));
    nb_tensor *x3 = nb_zeros(ctx, NB_F32, NB_SHAPE(3, 5, 4));
    CHECK_ERR(nb_max_pool2d(ctx, x3, 2), NB_ESHAPE, "max_pool2d: input (3,5,4) must be 4-D");
    CHECK_ERR(nb_max_pool2d(ctx, x, 0), NB_EINVAL, "max_pool2d: window 0");
    CHECK_ERR(nb_max_pool2d(ctx, x, 5), NB_EINVAL, "(2,3,5,4)");
    CHECK_ERR(nb_max_pool2d(ctx, NULL, 2), NB_EINVAL, "max_pool2d");
    nb_ctx_free(ctx);
}

/* The CNN's two convolutions and pools, forward and backward, at a thread
 * count; returns the bytes of every result, to be compared bit for bit. */
typedef struct conv_run {
    double *vals;
    int64_t n;
} conv_run;

static conv_run run_cnn(int threads, nb_dtype dt) {
    nb_set_threads(threads);
    nb_ctx *ctx = nb_ctx_new();
    nb_rng rng;
    nb_rng_seed(&rng, 7);
    nb_tensor *x = randn(ctx, &rng, dt, NB_SHAPE(37, 1, 12, 12), true);
    nb_tensor *w1 = randn(ctx, &rng, dt, NB_SHAPE(12, 1, 3, 3), true);
    nb_tensor *b1 = randn(ctx, &rng, dt, NB_SHAPE(12), true);
    nb_tensor *w2 = randn(ctx, &rng, dt, NB_SHAPE(6, 12, 3, 3), true);
    nb_tensor *b2 = randn(ctx, &rng, dt, NB_SHAPE(6), true);
    nb_tensor *w3 = randn(ctx, &rng, dt, NB_SHAPE(5, 6, 1, 1), true);
    nb_tensor *h = nb_max_pool2d(ctx, nb_relu(ctx, nb_conv2d(ctx, x, w1, b1, 1, 1)), 2);
    h = nb_max_pool2d(ctx, nb_relu(ctx, nb_conv2d(ctx, h, w2, b2, 2, 1)), 2);
    h = nb_conv2d(ctx, h, w3, NULL, 1, 0);
    nb_tensor *loss = nb_sum(ctx, nb_mul(ctx, h, h), NB_ALL_AXES, false);
    conv_run r = {0, 0};
    CHECK_NOTNULL(loss);
    if (!loss) {
        nb_ctx_free(ctx);
        return r;
    }
    CHECK_OK(nb_backward(ctx, loss));
    nb_tensor *res[] = {h, x->grad, w1->grad, b1->grad, w2->grad, b2->grad, w3->grad};
    for (int i = 0; i < 7; i++) r.n += res[i] ? res[i]->numel : 0;
    r.vals = malloc((size_t)r.n * sizeof *r.vals);
    int64_t k = 0;
    for (int i = 0; i < 7; i++) {
        CHECK(res[i] != NULL);
        for (int64_t j = 0; res[i] && j < res[i]->numel; j++) r.vals[k++] = nb_tensor_get(res[i], j);
    }
    nb_ctx_free(ctx);
    return r;
}

TEST(conv2d_results_do_not_depend_on_thread_count) {
    SKIP_UNLESS_THREADS(2);
    int saved = nb_get_threads();
    for (int d = 0; d < 2; d++) {
        nb_dtype dt = d ? NB_F64 : NB_F32;
        conv_run one = run_cnn(1, dt);
        int counts[] = {2, 3, 8};
        for (int t = 0; t < 3; t++) {
            conv_run many = run_cnn(counts[t], dt);
            CHECK(one.n == many.n && one.n > 0);
            CHECK_MSG(one.vals && many.vals && !memcmp(one.vals, many.vals, (size_t)one.n * sizeof(double)),
                      "%s results with %d threads differ from 1 thread", nb_dtype_name(dt), counts[t]);
            free(many.vals);
        }
        free(one.vals);
    }
    nb_set_threads(saved);
}

/* Backward adds into the gradient: x used by conv2d and directly, for both
 * the im2col path and the 1x1 path, gets the sum of the two gradients. */
TEST(conv2d_backward_adds_into_gradients) {
    int shapes[2][3] = {{3, 1, 1}, {1, 1, 0}}; /* kernel, stride, pad */
    for (int s = 0; s < 2; s++) {
        int k = shapes[s][0], stride = shapes[s][1], pad = shapes[s][2];
        nb_ctx *ctx = nb_ctx_new();
        nb_rng rng;
        nb_rng_seed(&rng, 3);
        nb_tensor *x = randn(ctx, &rng, NB_F64, NB_SHAPE(2, 3, 5, 5), true);
        nb_tensor *w = randn(ctx, &rng, NB_F64, NB_SHAPE(4, 3, k, k), true);
        nb_tensor *y = nb_conv2d(ctx, x, w, NULL, stride, pad);
        nb_tensor *loss = nb_add(ctx, nb_sum(ctx, y, NB_ALL_AXES, false), nb_sum(ctx, nb_scale(ctx, x, 2.0), NB_ALL_AXES, false));
        CHECK_OK(nb_backward(ctx, loss));
        /* alone: the conv's part of dL/dx */
        nb_ctx *c2 = nb_ctx_new();
        nb_tensor *x2 = nb_copy(c2, x), *w2 = nb_copy(c2, w);
        nb_tensor_requires_grad(x2, true);
        CHECK_OK(nb_backward(c2, nb_sum(c2, nb_conv2d(c2, x2, w2, NULL, stride, pad), NB_ALL_AXES, false)));
        for (int64_t i = 0; x->grad && x2->grad && i < x->numel; i++)
            CHECK_NEAR(nb_tensor_get(x->grad, i), nb_tensor_get(x2->grad, i) + 2.0, 1e-12, 1e-12);
        CHECK(w2->grad == NULL); /* w2 does not require grad: nothing is computed for it */
        nb_ctx_free(c2);
        nb_ctx_free(ctx);
    }
}

/* A first layer's input does not require grad: the weights' gradient is the
 * same, and the input gets none. No-grad mode records nothing. */
TEST(conv2d_input_without_grad_and_no_grad_mode) {
    nb_ctx *ctx = nb_ctx_new();
    nb_rng rng;
    nb_rng_seed(&rng, 5);
    nb_tensor *x = randn(ctx, &rng, NB_F32, NB_SHAPE(3, 2, 6, 6), false);
    nb_tensor *w = randn(ctx, &rng, NB_F32, NB_SHAPE(4, 2, 3, 3), true);
    nb_tensor *b = randn(ctx, &rng, NB_F32, NB_SHAPE(4), true);
    CHECK_OK(nb_backward(ctx, nb_sum(ctx, nb_conv2d(ctx, x, w, b, 2, 1), NB_ALL_AXES, false)));
    CHECK(x->grad == NULL);
    CHECK(w->grad != NULL && b->grad != NULL);
    /* db = number of output positions per filter (sum of ones) */
    for (int f = 0; b->grad && f < 4; f++) CHECK_NEAR(nb_tensor_get(b->grad, f), 3 * 3 * 3, 0, 1e-6);
    bool was = nb_ctx_set_grad(ctx, false);
    nb_tensor *y = nb_conv2d(ctx, x, w, b, 1, 0);
    CHECK(y && y->requires_grad == false);
    nb_tensor *p = nb_max_pool2d(ctx, y, 2);
    CHECK(p && p->requires_grad == false && p->shape[2] == 2 && p->shape[3] == 2);
    nb_ctx_set_grad(ctx, was);
    nb_ctx_free(ctx);
}

/* Ties go to the first element of the window in row-major order (PyTorch's
 * choice); a NaN in a window wins it; floor drops the ragged edge. */
TEST(max_pool2d_ties_nan_and_floor) {
    nb_ctx *ctx = nb_ctx_new();
    double v[1 * 1 * 5 * 5];
    for (int i = 0; i < 25; i++) v[i] = 1.0;
    v[1 * 5 + 1] = NAN; /* in window (0,0) at its last position */
    nb_tensor *x = nb_from_buffer(ctx, NB_F64, NB_SHAPE(1, 1, 5, 5), v);
    nb_tensor_requires_grad(x, true);
    nb_tensor *y = nb_max_pool2d(ctx, x, 2);
    CHECK(y && y->shape[2] == 2 && y->shape[3] == 2);
    if (!y) {
        nb_ctx_free(ctx);
        return;
    }
    CHECK(isnan(nb_tensor_get(y, 0)));
    for (int i = 1; i < 4; i++) CHECK(nb_tensor_get(y, i) == 1.0);
    double up[4] = {10, 20, 30, 40};
    CHECK_OK(nb_vjp(ctx, y, nb_from_buffer(ctx, NB_F64, NB_SHAPE(1, 1, 2, 2), up), false));
    double want[25] = {0};
    want[1 * 5 + 1] = 10; /* the NaN */
    want[0 * 5 + 2] = 20; /* first of each tied window */
    want[2 * 5 + 0] = 30;
    want[2 * 5 + 2] = 40;
    for (int i = 0; x->grad && i < 25; i++)
        CHECK_MSG(nb_tensor_get(x->grad, i) == want[i], "dx[%d] = %g, want %g", i, nb_tensor_get(x->grad, i), want[i]);
    nb_ctx_free(ctx);
}

/* k = 2 against a plain scan (the winner: first max in row-major order, the
 * last NaN when there is one), in both dtypes, with many ties, signed zeros
 * and NaNs, at widths that exercise the four-window groups, their
 * overlapping tail and rows too short for them. */
TEST(max_pool2d_k2_matches_a_plain_scan) {
    static const int64_t hw[][2] = {{6, 14}, {5, 11}, {4, 8}, {3, 7}, {2, 10}, {4, 28}};
    static const double vals[] = {0.0, -0.0, 1.0, 1.0, -1.0, 2.0, 0.5};
    nb_rng rng;
    nb_rng_seed(&rng, 7);
    for (int d = 0; d < 2; d++)
        for (size_t s = 0; s < sizeof hw / sizeof hw[0]; s++) {
            nb_dtype dt = d ? NB_F64 : NB_F32;
            int64_t N = 2, C = 3, H = hw[s][0], W = hw[s][1], OH = H / 2, OW = W / 2;
            int64_t nx = N * C * H * W, ny = N * C * OH * OW;
            double *xv = malloc(sizeof(double) * (size_t)nx), *up = malloc(sizeof(double) * (size_t)ny);
            double *want_y = malloc(sizeof(double) * (size_t)ny), *want_dx = calloc((size_t)nx, sizeof(double));
            for (int64_t i = 0; i < nx; i++) {
                uint64_t r = nb_rng_below(&rng, 64);
                xv[i] = r < 2 ? NAN : vals[r % (sizeof vals / sizeof vals[0])];
            }
            for (int64_t i = 0; i < ny; i++) up[i] = (double)(i % 13) - 6.0;
            for (int64_t pl = 0; pl < N * C; pl++)
                for (int64_t oh = 0; oh < OH; oh++)
                    for (int64_t ow = 0; ow < OW; ow++) {
                        int64_t best = pl * H * W + 2 * oh * W + 2 * ow;
                        for (int64_t kh = 0; kh < 2; kh++)
                            for (int64_t kw = 0; kw < 2; kw++) {
                                int64_t j = pl * H * W + (2 * oh + kh) * W + 2 * ow + kw;
                                if (xv[j] > xv[best] || xv[j] != xv[j]) best = j;
                            }
                        int64_t o = (pl * OH + oh) * OW + ow;
                        want_y[o] = xv[best];
                        want_dx[best] += 2 * up[o]; /* two backward passes add */
                    }
            nb_ctx *ctx = nb_ctx_new();
            nb_tensor *x = nb_zeros(ctx, dt, NB_SHAPE(N, C, H, W)), *u = nb_zeros(ctx, dt, NB_SHAPE(N, C, OH, OW));
            for (int64_t i = 0; i < nx; i++) nb_tensor_set(x, i, xv[i]);
            for (int64_t i = 0; i < ny; i++) nb_tensor_set(u, i, up[i]);
            nb_tensor_requires_grad(x, true);
            nb_tensor *y = nb_max_pool2d(ctx, x, 2);
            CHECK_OK(nb_vjp(ctx, y, u, true));
            CHECK_OK(nb_vjp(ctx, y, u, false));
            int bad_y = 0, bad_dx = 0;
            for (int64_t i = 0; y && i < ny; i++) {
                double g = nb_tensor_get(y, i);
                bad_y += isnan(want_y[i]) ? !isnan(g) : g != want_y[i];
            }
            for (int64_t i = 0; x->grad && i < nx; i++) bad_dx += nb_tensor_get(x->grad, i) != want_dx[i];
            CHECK_MSG(y && x->grad && bad_y == 0 && bad_dx == 0, "%s (%lld,%lld): %d outputs, %d gradients differ",
                      d ? "f64" : "f32", (long long)H, (long long)W, bad_y, bad_dx);
            nb_ctx_free(ctx);
            free(xv), free(up), free(want_y), free(want_dx);
        }
}

/* conv2d_relu_pool is relu(max_pool2d(conv2d(...), 2)) bit for bit, output
 * and every gradient, in the CNN's shapes and an odd, strided one. */
TEST(conv2d_relu_pool_equals_the_three_ops) {
    static const int64_t cfg[][7] = {/* N, C, H, W, F, stride, pad */
                                     {5, 1, 12, 12, 16, 1, 1},
                                     {3, 16, 6, 6, 8, 1, 1},
                                     {2, 3, 9, 11, 4, 2, 1}};
    for (int d = 0; d < 2; d++)
        for (int s = 0; s < 3; s++) {
            nb_dtype dt = d ? NB_F64 : NB_F32;
            const int64_t *c = cfg[s];
            double *got[4] = {0}, *want[4] = {0};
            int64_t n[4] = {0};
            for (int fused = 0; fused < 2; fused++) {
                nb_ctx *ctx = nb_ctx_new();
                nb_rng rng;
                nb_rng_seed(&rng, 11);
                nb_tensor *x = randn(ctx, &rng, dt, NB_SHAPE(c[0], c[1], c[2], c[3]), true);
                nb_tensor *w = randn(ctx, &rng, dt, NB_SHAPE(c[4], c[1], 3, 3), true);
                nb_tensor *b = randn(ctx, &rng, dt, NB_SHAPE(c[4]), true);
                int st = (int)c[5], pad = (int)c[6];
                nb_tensor *y = fused ? nb_conv2d_relu_pool(ctx, x, w, b, st, pad)
                                     : nb_relu(ctx, nb_max_pool2d(ctx, nb_conv2d(ctx, x, w, b, st, pad), 2));
                CHECK_NOTNULL(y);
                nb_tensor *up = y ? randn(ctx, &rng, dt, y->ndim, y->shape, false) : NULL;
                if (y) CHECK_OK(nb_vjp(ctx, y, up, true));
                nb_tensor *res[4] = {y, x->grad, w->grad, b->grad};
                for (int r = 0; r < 4; r++) {
                    CHECK(res[r] != NULL);
                    if (!res[r]) continue;
                    double *v = malloc(sizeof(double) * (size_t)res[r]->numel);
                    for (int64_t i = 0; i < res[r]->numel; i++) v[i] = nb_tensor_get(res[r], i);
                    n[r] = res[r]->numel;
                    if (fused) got[r] = v;
                    else want[r] = v;
                }
                nb_ctx_free(ctx);
            }
            for (int r = 0; r < 4; r++) {
                CHECK_MSG(got[r] && want[r] && !memcmp(got[r], want[r], sizeof(double) * (size_t)n[r]),
                          "%s case %d: result %d differs from the three ops", nb_dtype_name(dt), s, r);
                free(got[r]), free(want[r]);
            }
        }
}
