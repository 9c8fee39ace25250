/* Every public function that can fail, called wrong: with NULL, bad shapes,
 * bad dtypes and out-of-range values. Each must return NULL or an error
 * status (never crash, never exit) and leave a message that names the
 * function (ops: the op's name; optimizers: the optimizer) or, for files,
 * the file. Where a message names an inner function instead, the case says
 * so. SHOW=1 prints every message. */
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "nabla.h"
#include "nabla/checkpoint.h"
#include "nabla/data.h"
#include "nabla/linreg.h"
#include "nabla/matrix_io.h"
#include "nabla/optim.h"
#include "test.h"

static void expect(const char *file, int line, const char *what, bool failed, nb_status code, const char *name) {
    if (getenv("SHOW")) fprintf(stderr, "%s -> %s\n", what, nb_errmsg());
    if (!failed) test_fail(file, line, "%s: did not fail", what);
    else if (nb_errcode() != code || !strstr(nb_errmsg(), name))
        test_fail(file, line, "%s: got error %d '%s', expected %d naming '%s'", what, (int)nb_errcode(), nb_errmsg(),
                  (int)code, name);
}
/* expr returns a pointer that must be NULL */
#define EXPECT_NULL(expr, code, name)                                                         \
    do {                                                                                       \
        nb_clear_error();                                                                      \
        const void *p_ = (expr);                                                               \
        expect(__FILE__, __LINE__, #expr, p_ == NULL, (code), (name));                        \
    } while (0)
/* expr returns an nb_status that must be code */
#define EXPECT_FAIL(expr, code, name)                                                         \
    do {                                                                                       \
        nb_clear_error();                                                                      \
        nb_status s_ = (expr);                                                                 \
        expect(__FILE__, __LINE__, #expr, s_ != NB_OK, (code), (name));                       \
        if (s_ != NB_OK && s_ != nb_errcode())                                                 \
            test_fail(__FILE__, __LINE__, "%s returned %d but recorded %d", #expr, (int)s_,      \
                      (int)nb_errcode());                                                      \
    } while (0)

static const nb_dtype BAD_DT = (nb_dtype)7;

TEST(api_errors_tensor) {
    nb_ctx *ctx = nb_ctx_new();
    nb_rng rng;
    nb_rng_seed(&rng, 1);
    EXPECT_NULL(nb_ctx_alloc(NULL, 8), NB_EINVAL, "nb_ctx_alloc");
    EXPECT_NULL(nb_tensor_new(BAD_DT, NB_SHAPE(2)), NB_EDTYPE, "nb_tensor_new");
    EXPECT_NULL(nb_tensor_new(NB_F32, 9, (int64_t[9]){1, 1, 1, 1, 1, 1, 1, 1, 1}), NB_EINVAL, "nb_tensor_new");
    EXPECT_NULL(nb_tensor_new(NB_F32, -1, NULL), NB_EINVAL, "nb_tensor_new");
    EXPECT_NULL(nb_tensor_new(NB_F32, 2, NULL), NB_EINVAL, "nb_tensor_new");
    EXPECT_NULL(nb_tensor_new(NB_F64, NB_SHAPE(3, -1)), NB_EINVAL, "nb_tensor_new");
    EXPECT_NULL(nb_tensor_new(NB_F64, NB_SHAPE(INT64_MAX / 2, 4)), NB_EINVAL, "nb_tensor_new");
    EXPECT_NULL(nb_zeros(ctx, BAD_DT, NB_SHAPE(2)), NB_EDTYPE, "nb_zeros");
    EXPECT_NULL(nb_ones(ctx, NB_F32, NB_SHAPE(-2)), NB_EINVAL, "bad dimension -2"); /* says nb_full */
    EXPECT_NULL(nb_full(ctx, BAD_DT, NB_SHAPE(2), 1.0), NB_EDTYPE, "nb_full");
    EXPECT_NULL(nb_scalar(ctx, BAD_DT, 1.0), NB_EDTYPE, "unknown dtype 7"); /* says nb_full */
    EXPECT_NULL(nb_from_buffer(ctx, NB_F32, NB_SHAPE(2), NULL), NB_EINVAL, "nb_from_buffer");
    EXPECT_NULL(nb_from_buffer(ctx, BAD_DT, NB_SHAPE(2), (double[]){1, 2}), NB_EDTYPE, "nb_from_buffer");
    EXPECT_NULL(nb_arange(ctx, NB_F32, -1), NB_EINVAL, "nb_arange");
    EXPECT_NULL(nb_uniform(ctx, NULL, NB_F32, NB_SHAPE(2), 0, 1), NB_EINVAL, "nb_uniform");
    EXPECT_NULL(nb_uniform(ctx, &rng, NB_F32, NB_SHAPE(2), 1, 0), NB_EINVAL, "nb_uniform");
    EXPECT_NULL(nb_uniform(ctx, &rng, NB_F32, NB_SHAPE(2), 0, INFINITY), NB_EINVAL, "nb_uniform");
    EXPECT_NULL(nb_normal(ctx, NULL, NB_F64, NB_SHAPE(2), 0, 1), NB_EINVAL, "nb_normal");
    EXPECT_NULL(nb_normal(ctx, &rng, NB_F64, NB_SHAPE(2), 0, -1), NB_EINVAL, "nb_normal");
    EXPECT_NULL(nb_normal(ctx, &rng, NB_F64, NB_SHAPE(2), NAN, 1), NB_EINVAL, "nb_normal");
    EXPECT_NULL(nb_copy(ctx, NULL), NB_EINVAL, "nb_copy");
    EXPECT_FAIL(nb_tensor_requires_grad(NULL, true), NB_EINVAL, "nb_tensor_requires_grad");
    nb_tensor *x = nb_ones(ctx, NB_F64, NB_SHAPE(2));
    CHECK_OK(nb_tensor_requires_grad(x, true));
    nb_tensor *y = nb_neg(ctx, x);
    CHECK_NOTNULL(y);
    EXPECT_FAIL(nb_tensor_requires_grad(y, true), NB_EINVAL, "nb_tensor_requires_grad");

    EXPECT_NULL(nb_params_new(BAD_DT), NB_EDTYPE, "nb_params_new");
    nb_params *p = nb_params_new(NB_F32);
    CHECK_NOTNULL(p);
    EXPECT_NULL(nb_params_add(NULL, "w", NB_SHAPE(2)), NB_EINVAL, "nb_params_add");
    EXPECT_NULL(nb_params_add(p, NULL, NB_SHAPE(2)), NB_EINVAL, "nb_params_add");
    CHECK_NOTNULL(nb_params_add(p, "w", NB_SHAPE(2)));
    EXPECT_NULL(nb_params_add(p, "w", NB_SHAPE(3)), NB_EINVAL, "nb_params_add");
    EXPECT_NULL(nb_params_add(p, "b", NB_SHAPE(-3)), NB_EINVAL, "bad dimension -3"); /* says nb_tensor_new */
    EXPECT_NULL(nb_params_add(p, "c", 2, NULL), NB_EINVAL, "dimensions"); /* says nb_tensor_new */
    nb_params_free(p);
    nb_ctx_free(ctx);
}

/* A function of one input for nb_jacobian and nb_gradcheck. */
static nb_tensor *square_sum(nb_ctx *ctx, nb_tensor *const *in, void *user) {
    (void)user;
    return nb_sum(ctx, nb_mul(ctx, in[0], in[0]), NB_ALL_AXES, false);
}

TEST(api_errors_ops) {
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *a23 = nb_ones(ctx, NB_F64, NB_SHAPE(2, 3)), *b4 = nb_ones(ctx, NB_F64, NB_SHAPE(4)),
              *f32 = nb_ones(ctx, NB_F32, NB_SHAPE(2, 3)), *s = nb_scalar(ctx, NB_F64, 1.0),
              *a34 = nb_ones(ctx, NB_F64, NB_SHAPE(3, 4));
    struct {
        const char *name;
        nb_tensor *(*fn)(nb_ctx *, nb_tensor *, nb_tensor *);
    } bin[] = {{"add", nb_add}, {"sub", nb_sub}, {"mul", nb_mul}, {"div", nb_div}, {"matmul", nb_matmul},
               {"mse", nb_mse}};
    for (size_t i = 0; i < sizeof bin / sizeof bin[0]; i++) {
        EXPECT_NULL(bin[i].fn(ctx, a23, b4), NB_ESHAPE, bin[i].name);
        EXPECT_NULL(bin[i].fn(ctx, a23, f32), NB_EDTYPE, bin[i].name);
        EXPECT_NULL(bin[i].fn(ctx, NULL, a23), NB_EINVAL, bin[i].name);
        EXPECT_NULL(bin[i].fn(ctx, a23, NULL), NB_EINVAL, bin[i].name);
        EXPECT_NULL(bin[i].fn(NULL, a23, a23), NB_EINVAL, bin[i].name);
    }
    EXPECT_NULL(nb_matmul(ctx, s, a23), NB_ESHAPE, "matmul");
    struct {
        const char *name;
        nb_tensor *(*fn)(nb_ctx *, nb_tensor *);
    } un[] = {{"neg", nb_neg},         {"exp", nb_exp},   {"log", nb_log},         {"sqrt", nb_sqrt},
              {"tanh", nb_tanh},       {"sigmoid", nb_sigmoid}, {"relu", nb_relu}, {"abs", nb_abs},
              {"transpose", nb_transpose}, {"flatten", nb_flatten}};
    for (size_t i = 0; i < sizeof un / sizeof un[0]; i++) {
        EXPECT_NULL(un[i].fn(ctx, NULL), NB_EINVAL, un[i].name);
        EXPECT_NULL(un[i].fn(NULL, a23), NB_EINVAL, un[i].name);
    }
    EXPECT_NULL(nb_transpose(ctx, b4), NB_ESHAPE, "transpose");
    EXPECT_NULL(nb_flatten(ctx, s), NB_ESHAPE, "flatten");
    EXPECT_NULL(nb_pow(ctx, a23, NAN), NB_EINVAL, "pow");
    EXPECT_NULL(nb_pow(ctx, NULL, 2), NB_EINVAL, "pow");
    EXPECT_NULL(nb_scale(ctx, a23, INFINITY), NB_EINVAL, "scale");
    EXPECT_NULL(nb_scale(ctx, NULL, 2), NB_EINVAL, "scale");

    EXPECT_NULL(nb_sum(ctx, a23, NB_AXES(2), false), NB_EINVAL, "sum");
    EXPECT_NULL(nb_sum(ctx, a23, NB_AXES(-3), false), NB_EINVAL, "sum");
    EXPECT_NULL(nb_sum(ctx, a23, NB_AXES(0, 0), false), NB_EINVAL, "sum");
    EXPECT_NULL(nb_sum(ctx, a23, 1, NULL, false), NB_EINVAL, "sum");
    EXPECT_NULL(nb_sum(ctx, NULL, NB_ALL_AXES, false), NB_EINVAL, "sum");
    EXPECT_NULL(nb_mean(ctx, a23, NB_AXES(5), true), NB_EINVAL, "mean");
    EXPECT_NULL(nb_mean(ctx, NULL, NB_ALL_AXES, false), NB_EINVAL, "mean");
    EXPECT_NULL(nb_max(ctx, a23, 2, false), NB_EINVAL, "max");
    EXPECT_NULL(nb_max(ctx, NULL, 0, false), NB_EINVAL, "max");
    EXPECT_NULL(nb_max(ctx, nb_zeros(ctx, NB_F64, NB_SHAPE(2, 0)), 1, false), NB_ESHAPE, "max");

    EXPECT_NULL(nb_reshape(ctx, a23, NB_SHAPE(4, 2)), NB_ESHAPE, "reshape");
    EXPECT_NULL(nb_reshape(ctx, a23, NB_SHAPE(-1, -1)), NB_EINVAL, "reshape");
    EXPECT_NULL(nb_reshape(ctx, a23, 9, (int64_t[9]){1, 1, 1, 1, 1, 1, 1, 2, 3}), NB_EINVAL, "reshape");
    EXPECT_NULL(nb_reshape(ctx, a23, 2, NULL), NB_EINVAL, "reshape");
    EXPECT_NULL(nb_reshape(ctx, NULL, NB_SHAPE(6)), NB_EINVAL, "reshape");
    EXPECT_NULL(nb_permute(ctx, a23, NULL), NB_EINVAL, "permute");
    EXPECT_NULL(nb_permute(ctx, a23, (int[]){0, 0}), NB_EINVAL, "permute");
    EXPECT_NULL(nb_permute(ctx, a23, (int[]){0, 2}), NB_EINVAL, "permute");
    EXPECT_NULL(nb_permute(ctx, NULL, (int[]){0, 1}), NB_EINVAL, "permute");

    EXPECT_NULL(nb_softmax(ctx, a23, 2), NB_EINVAL, "softmax");
    EXPECT_NULL(nb_softmax(ctx, NULL, 0), NB_EINVAL, "softmax");
    EXPECT_NULL(nb_log_softmax(ctx, a23, -3), NB_EINVAL, "log_softmax");
    EXPECT_NULL(nb_log_softmax(ctx, NULL, 0), NB_EINVAL, "log_softmax");
    int32_t labels[2] = {0, 1}, bad_labels[2] = {0, 3}, neg_labels[2] = {-1, 0};
    EXPECT_NULL(nb_softmax_cross_entropy(ctx, a23, NULL), NB_EINVAL, "softmax_cross_entropy");
    EXPECT_NULL(nb_softmax_cross_entropy(ctx, a23, bad_labels), NB_EINVAL, "softmax_cross_entropy");
    EXPECT_NULL(nb_softmax_cross_entropy(ctx, a23, neg_labels), NB_EINVAL, "softmax_cross_entropy");
    EXPECT_NULL(nb_softmax_cross_entropy(ctx, b4, labels), NB_ESHAPE, "softmax_cross_entropy");
    EXPECT_NULL(nb_softmax_cross_entropy(ctx, NULL, labels), NB_EINVAL, "softmax_cross_entropy");

    nb_tensor *x = nb_ones(ctx, NB_F64, NB_SHAPE(1, 2, 5, 5)), *w = nb_ones(ctx, NB_F64, NB_SHAPE(3, 2, 3, 3)),
              *w1 = nb_ones(ctx, NB_F64, NB_SHAPE(3, 1, 3, 3)), *wbig = nb_ones(ctx, NB_F64, NB_SHAPE(3, 2, 9, 9)),
              *b3 = nb_ones(ctx, NB_F64, NB_SHAPE(3)), *wf = nb_ones(ctx, NB_F32, NB_SHAPE(3, 2, 3, 3));
    EXPECT_NULL(nb_conv2d(ctx, a23, w, NULL, 1, 0), NB_ESHAPE, "conv2d");
    EXPECT_NULL(nb_conv2d(ctx, x, w1, NULL, 1, 0), NB_ESHAPE, "conv2d");
    EXPECT_NULL(nb_conv2d(ctx, x, w, b4, 1, 0), NB_ESHAPE, "conv2d");
    EXPECT_NULL(nb_conv2d(ctx, x, w, b3, 0, 0), NB_EINVAL, "conv2d");
    EXPECT_NULL(nb_conv2d(ctx, x, w, b3, 1, -1), NB_EINVAL, "conv2d");
    EXPECT_NULL(nb_conv2d(ctx, x, wbig, NULL, 1, 0), NB_ESHAPE, "conv2d");
    EXPECT_NULL(nb_conv2d(ctx, x, wf, NULL, 1, 0), NB_EDTYPE, "conv2d");
    EXPECT_NULL(nb_conv2d(ctx, NULL, w, NULL, 1, 0), NB_EINVAL, "conv2d");
    EXPECT_NULL(nb_max_pool2d(ctx, a23, 2), NB_ESHAPE, "max_pool2d");
    EXPECT_NULL(nb_max_pool2d(ctx, x, 0), NB_EINVAL, "max_pool2d");
    EXPECT_NULL(nb_max_pool2d(ctx, x, 6), NB_EINVAL, "max_pool2d");
    EXPECT_NULL(nb_max_pool2d(ctx, NULL, 2), NB_EINVAL, "max_pool2d");
    nb_tensor *b34 = nb_ones(ctx, NB_F64, NB_SHAPE(4));
    EXPECT_NULL(nb_linear(ctx, a23, a23, b34), NB_ESHAPE, "linear");
    EXPECT_NULL(nb_linear(ctx, a23, a34, b3), NB_ESHAPE, "linear");
    EXPECT_NULL(nb_linear(ctx, f32, a34, b34), NB_EDTYPE, "linear");
    EXPECT_NULL(nb_linear(ctx, NULL, a34, b34), NB_EINVAL, "linear");
    EXPECT_NULL(nb_linear_relu(ctx, a23, a23, b34), NB_ESHAPE, "linear_relu");
    EXPECT_NULL(nb_linear_relu(ctx, a23, a34, NULL), NB_EINVAL, "linear_relu");

    /* the first error passes through a chain of ops unchanged */
    nb_clear_error();
    nb_tensor *chain = nb_exp(ctx, nb_add(ctx, a23, b4));
    CHECK(chain == NULL);
    CHECK_MSG(strstr(nb_errmsg(), "add") && nb_errcode() == NB_ESHAPE, "chain: '%s'", nb_errmsg());
    nb_ctx_free(ctx);
}

TEST(api_errors_autodiff) {
    nb_ctx *ctx = nb_ctx_new(), *other = nb_ctx_new();
    nb_tensor *x = nb_from_buffer(ctx, NB_F64, NB_SHAPE(3), (double[]){1, 2, 3});
    CHECK_OK(nb_tensor_requires_grad(x, true));
    nb_tensor *v = nb_mul(ctx, x, x);
    EXPECT_FAIL(nb_backward(ctx, v), NB_ESHAPE, "nb_backward");
    EXPECT_FAIL(nb_backward(ctx, NULL), NB_EINVAL, "nb_backward");
    EXPECT_FAIL(nb_backward(NULL, nb_sum(ctx, v, NB_ALL_AXES, false)), NB_EINVAL, "nb_backward");
    EXPECT_FAIL(nb_backward(other, nb_sum(ctx, v, NB_ALL_AXES, false)), NB_EINVAL, "nb_backward");
    nb_tensor *c = nb_scalar(ctx, NB_F64, 2.0);
    EXPECT_FAIL(nb_backward(ctx, c), NB_EINVAL, "nb_backward");
    EXPECT_FAIL(nb_vjp(ctx, v, NULL, false), NB_EINVAL, "nb_vjp");
    EXPECT_FAIL(nb_ctx_on_grad_ready(NULL, NULL, NULL), NB_EINVAL, "nb_ctx_on_grad_ready");
    EXPECT_FAIL(nb_vjp(ctx, v, nb_ones(ctx, NB_F64, NB_SHAPE(4)), false), NB_ESHAPE, "nb_vjp");
    EXPECT_FAIL(nb_vjp(ctx, v, nb_ones(ctx, NB_F32, NB_SHAPE(3)), false), NB_ESHAPE, "nb_vjp");
    nb_tensor *f = nb_sum(ctx, v, NB_ALL_AXES, false);
    CHECK_OK(nb_backward(ctx, f));
    EXPECT_FAIL(nb_backward(ctx, f), NB_ESTATE, "nb_backward");

    EXPECT_NULL(nb_jacobian(ctx, NULL, NULL, x, NB_JAC_INPUT_FIRST), NB_EINVAL, "jacobian");
    EXPECT_NULL(nb_jacobian(ctx, square_sum, NULL, NULL, NB_JAC_INPUT_FIRST), NB_EINVAL, "jacobian");
    EXPECT_NULL(nb_jacobian(NULL, square_sum, NULL, x, NB_JAC_INPUT_FIRST), NB_EINVAL, "jacobian");
    EXPECT_NULL(nb_jacobian(ctx, square_sum, NULL, x, (nb_jac_layout)9), NB_EINVAL, "jacobian");

    nb_gradcheck_result res;
    nb_tensor *x32 = nb_tensor_new(NB_F32, NB_SHAPE(3)), *x64 = nb_tensor_new(NB_F64, NB_SHAPE(3));
    EXPECT_FAIL(nb_gradcheck(square_sum, NULL, 1, &x32, NULL, &res), NB_EDTYPE, "nb_gradcheck");
    EXPECT_FAIL(nb_gradcheck(NULL, NULL, 1, &x64, NULL, &res), NB_EINVAL, "nb_gradcheck");
    EXPECT_FAIL(nb_gradcheck(square_sum, NULL, 1, NULL, NULL, &res), NB_EINVAL, "nb_gradcheck");
    EXPECT_FAIL(nb_gradcheck(square_sum, NULL, 1, &x64, NULL, NULL), NB_EINVAL, "nb_gradcheck");
    EXPECT_FAIL(nb_gradcheck(square_sum, NULL, 0, &x64, NULL, &res), NB_EINVAL, "nb_gradcheck");
    EXPECT_FAIL(nb_gradcheck(square_sum, NULL, 1, (nb_tensor *[]){NULL}, NULL, &res), NB_EINVAL, "nb_gradcheck");
    nb_tensor_free(x32);
    nb_tensor_free(x64);
    nb_ctx_free(other);
    nb_ctx_free(ctx);
}

TEST(api_errors_io_plot) {
    nb_outfile f;
    EXPECT_FAIL(nb_outfile_open(NULL, "x"), NB_EINVAL, "open output");
    EXPECT_FAIL(nb_outfile_open(&f, NULL), NB_EINVAL, "open output");
    EXPECT_FAIL(nb_outfile_open(&f, ""), NB_EINVAL, "open output");
    EXPECT_FAIL(nb_outfile_open(&f, "/nonexistent-dir/x.csv"), NB_EIO, "/nonexistent-dir/x.csv");
    EXPECT_FAIL(nb_outfile_commit(NULL, false), NB_EINVAL, "commit output");
    nb_outfile_abort(NULL); /* harmless */

    EXPECT_NULL(nb_fig_new(0, 100, 1, 1), NB_EINVAL, "nb_fig_new");
    EXPECT_NULL(nb_fig_new(100, NAN, 1, 1), NB_EINVAL, "nb_fig_new");
    EXPECT_NULL(nb_fig_new(100, 100, 0, 1), NB_EINVAL, "nb_fig_new");
    EXPECT_NULL(nb_fig_new(100, 100, 1, -1), NB_EINVAL, "nb_fig_new");
    nb_fig *fig = nb_fig_new(200, 100, 1, 1);
    CHECK_NOTNULL(fig);
    EXPECT_NULL(nb_fig_panel(fig, 1), NB_EINVAL, "nb_fig_panel");
    EXPECT_NULL(nb_fig_panel(fig, -1), NB_EINVAL, "nb_fig_panel");
    EXPECT_NULL(nb_fig_panel(NULL, 0), NB_EINVAL, "nb_fig_panel");
    nb_panel *p = nb_fig_panel(fig, 0);
    double xs[2] = {1, 2};
    EXPECT_FAIL(nb_panel_xlim(p, 1, 1), NB_EINVAL, "nb_panel_xlim");
    EXPECT_FAIL(nb_panel_ylim(p, 2, 1), NB_EINVAL, "nb_panel_ylim");
    EXPECT_FAIL(nb_panel_xlim(p, NAN, 1), NB_EINVAL, "nb_panel_xlim");
    EXPECT_FAIL(nb_panel_xlim(NULL, 0, 1), NB_EINVAL, "nb_panel_xlim");
    CHECK_OK(nb_panel_scale(p, true, false));
    EXPECT_FAIL(nb_panel_xlim(p, -1, 1), NB_EINVAL, "nb_panel_xlim");
    EXPECT_FAIL(nb_panel_scale(NULL, false, false), NB_EINVAL, "nb_panel_scale");
    EXPECT_FAIL(nb_panel_labels(NULL, "t", NULL, NULL), NB_EINVAL, "nb_panel_labels");
    EXPECT_FAIL(nb_panel_legend(p, (nb_legend_pos)99), NB_EINVAL, "nb_panel_legend");
    EXPECT_FAIL(nb_plot_line(p, 2, NULL, xs, "a", NULL), NB_EINVAL, "nb_plot_line");
    EXPECT_FAIL(nb_plot_line(p, -1, xs, xs, "a", NULL), NB_EINVAL, "nb_plot_line");
    EXPECT_FAIL(nb_plot_line(NULL, 2, xs, xs, "a", NULL), NB_EINVAL, "nb_plot_line");
    EXPECT_FAIL(nb_plot_points(p, 2, xs, NULL, NULL, "a", NULL), NB_EINVAL, "nb_plot_points");
    EXPECT_FAIL(nb_plot_refline(NULL, false, 1, "r", NULL), NB_EINVAL, "nb_plot_refline");
    EXPECT_FAIL(nb_plot_text(p, 1, 1, NULL, 0, NULL), NB_EINVAL, "nb_plot_text");
    double lv[4] = {1, 2, 3, 4};
    EXPECT_FAIL(nb_plot_contour(p, NULL, NULL, 1, lv, 0, NULL), NB_EINVAL, "nb_plot_contour");
    EXPECT_FAIL(nb_plot_levels(1, 2, 0, false, lv), NB_EINVAL, "nb_plot_levels");
    EXPECT_FAIL(nb_plot_levels(-1, 2, 4, true, lv), NB_EINVAL, "nb_plot_levels");
    EXPECT_FAIL(nb_plot_levels(1, 2, 4, false, NULL), NB_EINVAL, "nb_plot_levels");
    EXPECT_FAIL(nb_fig_title(NULL, "t"), NB_EINVAL, "nb_fig_title");
    EXPECT_FAIL(nb_fig_caption(NULL, "t"), NB_EINVAL, "nb_fig_caption");
    EXPECT_FAIL(nb_fig_write(NULL, stdout), NB_EINVAL, "nb_fig_write");
    EXPECT_FAIL(nb_fig_write(fig, NULL), NB_EINVAL, "nb_fig_write");
    EXPECT_FAIL(nb_fig_save(NULL, "x.svg"), NB_EINVAL, "nb_fig_save");
    EXPECT_FAIL(nb_fig_save(fig, "/nonexistent-dir/x.svg"), NB_EIO, "/nonexistent-dir/x.svg");
    nb_fig_free(fig);
}

TEST(api_errors_optim) {
    nb_optim_config c = nb_optim_defaults(NB_OPT_ADAM, NB_CONV_HANDOUT);
    nb_optim_config bad = c;
    bad.lr = 0;
    EXPECT_FAIL(nb_optim_validate(&bad), NB_EINVAL, "lr");
    bad = c, bad.lr = NAN;
    EXPECT_FAIL(nb_optim_validate(&bad), NB_EINVAL, "lr");
    bad = c, bad.beta1 = 1;
    EXPECT_FAIL(nb_optim_validate(&bad), NB_EINVAL, "beta1");
    bad = c, bad.beta2 = -0.1;
    EXPECT_FAIL(nb_optim_validate(&bad), NB_EINVAL, "beta2");
    bad = c, bad.eps = -1;
    EXPECT_FAIL(nb_optim_validate(&bad), NB_EINVAL, "eps");
    bad = c, bad.weight_decay = INFINITY;
    EXPECT_FAIL(nb_optim_validate(&bad), NB_EINVAL, "weight decay");
    bad = nb_optim_defaults(NB_OPT_MOMENTUM, NB_CONV_HANDOUT), bad.momentum = 1;
    EXPECT_FAIL(nb_optim_validate(&bad), NB_EINVAL, "momentum");
    bad = nb_optim_defaults(NB_OPT_RMSPROP, NB_CONV_HANDOUT), bad.beta = 1;
    EXPECT_FAIL(nb_optim_validate(&bad), NB_EINVAL, "beta");
    bad = c, bad.kind = (nb_optim_kind)42;
    EXPECT_FAIL(nb_optim_validate(&bad), NB_EINVAL, "unknown kind");
    EXPECT_FAIL(nb_optim_validate(NULL), NB_EINVAL, "optimizer: NULL config");
    nb_optim_kind k;
    nb_convention cv;
    EXPECT_FAIL(nb_optim_kind_parse("lbfgs", &k), NB_EINVAL, "lbfgs");
    EXPECT_FAIL(nb_optim_kind_parse(NULL, &k), NB_EINVAL, "optimizer: no name");
    EXPECT_FAIL(nb_convention_parse("keras", &cv), NB_EINVAL, "keras");
    EXPECT_FAIL(nb_convention_parse(NULL, &cv), NB_EINVAL, "convention: no name");

    EXPECT_NULL(nb_optim_new(NULL, NB_F64, 4), NB_EINVAL, "optimizer: NULL config");
    EXPECT_NULL(nb_optim_new(&c, NB_F64, -5), NB_EINVAL, "nb_optim_new");
    EXPECT_NULL(nb_optim_new(&c, BAD_DT, 4), NB_EDTYPE, "nb_optim_new");
    bad = c, bad.lr = -1;
    EXPECT_NULL(nb_optim_new(&bad, NB_F64, 4), NB_EINVAL, "lr");
    EXPECT_NULL(nb_optim_new_params(&c, NULL), NB_EINVAL, "nb_optim_new_params");

    nb_optim *o = nb_optim_new(&c, NB_F64, 4);
    CHECK_NOTNULL(o);
    double th[4] = {0}, g[4] = {1, 2, 3, 4};
    EXPECT_FAIL(nb_optim_step(o, NULL, g), NB_EINVAL, "nb_optim_step");
    EXPECT_FAIL(nb_optim_step(o, th, NULL), NB_EINVAL, "nb_optim_step");
    EXPECT_FAIL(nb_optim_step(NULL, th, g), NB_EINVAL, "nb_optim_step");
    EXPECT_FAIL(nb_optim_zero_grad(o, NULL), NB_EINVAL, "nb_optim_zero_grad");
    EXPECT_FAIL(nb_optim_set_lr(o, -1), NB_EINVAL, "nb_optim_set_lr");
    EXPECT_FAIL(nb_optim_set_lr(o, NAN), NB_EINVAL, "nb_optim_set_lr");
    EXPECT_FAIL(nb_optim_set_lr(NULL, 0.1), NB_EINVAL, "nb_optim_set_lr");
    EXPECT_FAIL(nb_optim_set_steps(o, -1), NB_EINVAL, "nb_optim_set_steps");
    EXPECT_FAIL(nb_optim_step_params(o, NULL), NB_EINVAL, "nb_optim_step_params");
    nb_params *p32 = nb_params_new(NB_F32);
    nb_params_add(p32, "w", NB_SHAPE(4));
    EXPECT_FAIL(nb_optim_step_params(o, p32), NB_EINVAL, "nb_optim_step_params");
    nb_params *p64 = nb_params_new(NB_F64);
    nb_params_add(p64, "w", NB_SHAPE(5));
    EXPECT_FAIL(nb_optim_step_params(o, p64), NB_EINVAL, "nb_optim_step_params");
    CHECK(nb_optim_state_data(o, 99) == NULL);
    CHECK(nb_optim_state_data(o, -1) == NULL);
    nb_params_free(p32);
    nb_params_free(p64);
    nb_optim_free(o);
    nb_optim_free(NULL);

    double lr;
    nb_schedule s = {.kind = NB_SCHED_STEP, .gamma = 0.5, .step_size = 0};
    EXPECT_FAIL(nb_schedule_lr(&s, 0.1, 3, &lr), NB_EINVAL, "step_size");
    s = (nb_schedule){.kind = NB_SCHED_EXPONENTIAL, .gamma = -1};
    EXPECT_FAIL(nb_schedule_lr(&s, 0.1, 3, &lr), NB_EINVAL, "gamma");
    s = (nb_schedule){.kind = NB_SCHED_MULTISTEP, .gamma = 0.5, .nmilestones = 2, .milestones = (int64_t[]){5, 2}};
    EXPECT_FAIL(nb_schedule_lr(&s, 0.1, 3, &lr), NB_EINVAL, "milestones");
    s = (nb_schedule){.kind = NB_SCHED_MULTISTEP, .gamma = 0.5, .nmilestones = 2, .milestones = NULL};
    EXPECT_FAIL(nb_schedule_lr(&s, 0.1, 3, &lr), NB_EINVAL, "milestones");
    s = (nb_schedule){.kind = NB_SCHED_LINEAR, .start_factor = 0, .end_factor = 1, .total = 5};
    EXPECT_FAIL(nb_schedule_lr(&s, 0.1, 3, &lr), NB_EINVAL, "start_factor");
    s = (nb_schedule){.kind = NB_SCHED_COSINE, .total = 0};
    EXPECT_FAIL(nb_schedule_lr(&s, 0.1, 3, &lr), NB_EINVAL, "T_max");
    s = (nb_schedule){.kind = NB_SCHED_CONSTANT};
    EXPECT_FAIL(nb_schedule_lr(&s, 0.1, -1, &lr), NB_EINVAL, "nb_schedule_lr");
    EXPECT_FAIL(nb_schedule_lr(NULL, 0.1, 1, &lr), NB_EINVAL, "nb_schedule_lr");
    EXPECT_FAIL(nb_schedule_lr(&s, 0.1, 1, NULL), NB_EINVAL, "nb_schedule_lr");
    s = (nb_schedule){.kind = (nb_sched_kind)77};
    EXPECT_FAIL(nb_schedule_lr(&s, 0.1, 1, &lr), NB_EINVAL, "nb_schedule_lr");

    EXPECT_FAIL(nb_clip_grad_norm(NB_F64, 4, g, -1, 2, NULL), NB_EINVAL, "nb_clip_grad_norm");
    EXPECT_FAIL(nb_clip_grad_norm(NB_F64, 4, g, 1, 0, NULL), NB_EINVAL, "nb_clip_grad_norm");
    EXPECT_FAIL(nb_clip_grad_norm(NB_F64, 4, NULL, 1, 2, NULL), NB_EINVAL, "nb_clip_grad_norm");
    EXPECT_FAIL(nb_clip_grad_norm(BAD_DT, 4, g, 1, 2, NULL), NB_EDTYPE, "nb_clip_grad_norm");
    EXPECT_FAIL(nb_clip_grad_value(NB_F64, 4, g, -1), NB_EINVAL, "nb_clip_grad_value");
    EXPECT_FAIL(nb_clip_grad_value(NB_F64, 4, g, NAN), NB_EINVAL, "nb_clip_grad_value");
    EXPECT_FAIL(nb_clip_grad_value(NB_F64, -4, g, 1), NB_EINVAL, "nb_clip_grad_value");
}

TEST(api_errors_linreg) {
    double X[6] = {1, 0, 0, 1, 1, 1}, y[3] = {1, 2, 3}, th[2], M[6], xt[2] = {1, 1}, L[4] = {1, 2, 2, 1};
    nb_rng rng;
    nb_rng_seed(&rng, 1);
    nb_biasvar bv;
    EXPECT_FAIL(nb_cholesky(2, L, 0), NB_ENUM, "nb_cholesky");
    EXPECT_FAIL(nb_cholesky(2, NULL, 0), NB_EINVAL, "nb_cholesky");
    EXPECT_FAIL(nb_cholesky(-1, L, 0), NB_EINVAL, "nb_cholesky");
    EXPECT_FAIL(nb_ridge_fit(3, 2, NULL, y, 0, th), NB_EINVAL, "nb_ridge_fit");
    EXPECT_FAIL(nb_ridge_fit(3, 2, X, NULL, 0, th), NB_EINVAL, "nb_ridge_fit");
    EXPECT_FAIL(nb_ridge_fit(3, 2, X, y, 0, NULL), NB_EINVAL, "nb_ridge_fit");
    EXPECT_FAIL(nb_ridge_fit(0, 2, X, y, 0, th), NB_ESHAPE, "nb_ridge_fit");
    EXPECT_FAIL(nb_ridge_fit(3, 0, X, y, 0, th), NB_ESHAPE, "nb_ridge_fit");
    EXPECT_FAIL(nb_ridge_fit(3, 2, X, y, -1, th), NB_EINVAL, "nb_ridge_fit");
    EXPECT_FAIL(nb_ridge_fit(3, 2, X, y, NAN, th), NB_EINVAL, "nb_ridge_fit");
    double Xs[6] = {1, 2, 2, 4, 3, 6}; /* rank 1: X^T X singular */
    EXPECT_FAIL(nb_ridge_fit(3, 2, Xs, y, 0, th), NB_ENUM, "lambda > 0");
    EXPECT_FAIL(nb_ridge_operator(3, 2, X, -1, M), NB_EINVAL, "nb_ridge_operator");
    EXPECT_FAIL(nb_ridge_operator(3, 2, NULL, 0, M), NB_EINVAL, "nb_ridge_operator");
    EXPECT_FAIL(nb_ridge_operator(3, 2, Xs, 0, M), NB_ENUM, "lambda > 0");
    nb_optim_config gd = nb_optim_defaults(NB_OPT_GD, NB_CONV_HANDOUT), gd_bad = gd;
    gd_bad.lr = 0;
    EXPECT_FAIL(nb_ridge_fit_gd(3, 2, X, y, 0, &gd_bad, 10, th), NB_EINVAL, "lr");
    EXPECT_FAIL(nb_ridge_fit_gd(3, 2, X, y, 0, NULL, 10, th), NB_EINVAL, "nb_ridge_fit_gd");
    EXPECT_FAIL(nb_ridge_fit_gd(3, 2, X, y, -1, &gd, 10, th), NB_EINVAL, "nb_ridge_fit_gd");
    EXPECT_FAIL(nb_ridge_fit_gd(3, 2, NULL, y, 0, &gd, 10, th), NB_EINVAL, "nb_ridge_fit_gd");
    EXPECT_FAIL(nb_ridge_fit_gd(3, 2, X, y, 0, &gd, -1, th), NB_EINVAL, "nb_ridge_fit_gd");
    EXPECT_FAIL(nb_lstsq_qr(3, 2, NULL, y, 0, th), NB_EINVAL, "nb_lstsq_qr");
    EXPECT_FAIL(nb_lstsq_qr(3, 2, X, y, -2, th), NB_EINVAL, "nb_lstsq_qr");
    EXPECT_FAIL(nb_biasvar_exact(3, 2, X, NULL, 0.5, 1, xt, 0, &bv, NULL, NULL), NB_EINVAL, "nb_biasvar_exact");
    EXPECT_FAIL(nb_biasvar_exact(3, 2, X, th, -0.5, 1, xt, 0, &bv, NULL, NULL), NB_EINVAL, "nb_biasvar_exact");
    EXPECT_FAIL(nb_biasvar_exact(3, 2, X, th, 0.5, 0, xt, 0, &bv, NULL, NULL), NB_ESHAPE, "nb_biasvar_exact");
    EXPECT_FAIL(nb_biasvar_exact(3, 2, X, th, 0.5, 1, xt, 0, NULL, NULL, NULL), NB_EINVAL, "nb_biasvar_exact");
    EXPECT_FAIL(nb_biasvar_exact(3, 2, Xs, th, 0.5, 1, xt, 0, &bv, NULL, NULL), NB_ENUM, "lambda > 0");
    EXPECT_FAIL(nb_biasvar_mc(3, 2, X, th, 0.5, 1, xt, 0, 0, &rng, &bv), NB_EINVAL, "nb_biasvar_mc");
    EXPECT_FAIL(nb_biasvar_mc(3, 2, X, th, 0.5, 1, xt, 0, 10, NULL, &bv), NB_EINVAL, "nb_biasvar_mc");
    EXPECT_FAIL(nb_biasvar_mc(3, 2, X, th, 0.5, 1, xt, -1, 10, &rng, &bv), NB_EINVAL, "nb_biasvar_mc");
    EXPECT_FAIL(nb_biasvar_from_samples(1, 0, xt, xt, &bv), NB_EINVAL, "nb_biasvar_from_samples");
    EXPECT_FAIL(nb_biasvar_from_samples(1, 2, NULL, xt, &bv), NB_EINVAL, "nb_biasvar_from_samples");
    EXPECT_FAIL(nb_biasvar_poly(-1, 30, 0.3, 10, 0, 10, &rng, &bv), NB_EINVAL, "nb_biasvar_poly");
    EXPECT_FAIL(nb_biasvar_poly(3, 30, 0.3, 10, 0, 0, &rng, &bv), NB_EINVAL, "nb_biasvar_poly");
    EXPECT_FAIL(nb_biasvar_poly(3, 30, 0.3, 10, 0, 10, NULL, &bv), NB_EINVAL, "nb_biasvar_poly");
    EXPECT_FAIL(nb_biasvar_mlp(0, 20, 0.3, 10, 10, 0.1, 5, &rng, &bv), NB_EINVAL, "nb_biasvar_mlp");
    EXPECT_FAIL(nb_biasvar_mlp(4, 20, 0.3, 10, 10, -0.1, 5, &rng, &bv), NB_EINVAL, "nb_biasvar_mlp");
    EXPECT_FAIL(nb_biasvar_mlp(4, 20, 0.3, 10, 10, 0.1, 5, NULL, &bv), NB_EINVAL, "nb_biasvar_mlp");
}

TEST(api_errors_files) {
    nb_idx idx;
    nb_dataset ds;
    nb_matrix m;
    double v[2] = {1, 2};
    EXPECT_FAIL(nb_idx_read("x", 1, NULL), NB_EINVAL, "nb_idx_read");
    EXPECT_FAIL(nb_idx_read(NULL, 1, &idx), NB_EINVAL, "nb_idx_read");
    EXPECT_FAIL(nb_idx_read("x", 5, &idx), NB_EINVAL, "nb_idx_read");
    EXPECT_FAIL(nb_idx_read("/nonexistent/labels", 1, &idx), NB_EIO, "/nonexistent/labels");
    EXPECT_FAIL(nb_idx_read("/", 1, &idx), NB_EIO, "/");
    EXPECT_FAIL(nb_idx_parse((const uint8_t *)"", 0, 1, "x", NULL), NB_EINVAL, "nb_idx_parse");
    EXPECT_FAIL(nb_idx_parse((const uint8_t *)"", 0, 1, NULL, &idx), NB_EINVAL, "nb_idx_parse: name is NULL");
    EXPECT_FAIL(nb_idx_parse((const uint8_t *)"", 0, 5, "x", &idx), NB_EINVAL, "nb_idx_parse: x: ndim 5");
    EXPECT_FAIL(nb_dataset_from_idx(NULL, NULL, NULL, NULL, NULL), NB_EINVAL, "nb_dataset_from_idx");
    EXPECT_FAIL(nb_dataset_load(NULL, "/tmp", "train"), NB_EINVAL, "nb_dataset_load");
    EXPECT_FAIL(nb_dataset_load(&ds, NULL, "train"), NB_EINVAL, "nb_dataset_load");
    EXPECT_FAIL(nb_dataset_load(&ds, "/tmp", "valid"), NB_EINVAL, "nb_dataset_load");
    EXPECT_FAIL(nb_dataset_load(&ds, "/nonexistent-data", "train"), NB_EIO, "/nonexistent-data");
    EXPECT_FAIL(nb_npy_read(NULL, "x.npy"), NB_EINVAL, "nb_npy_read");
    EXPECT_FAIL(nb_npy_read(&m, NULL), NB_EINVAL, "nb_npy_read");
    EXPECT_FAIL(nb_npy_read(&m, "/nonexistent.npy"), NB_EIO, "/nonexistent.npy");
    EXPECT_FAIL(nb_csv_read(NULL, "x.csv"), NB_EINVAL, "nb_csv_read");
    EXPECT_FAIL(nb_csv_read(&m, NULL), NB_EINVAL, "nb_csv_read");
    EXPECT_FAIL(nb_csv_read(&m, "/"), NB_EIO, "/");
    EXPECT_FAIL(nb_matrix_read(&m, NULL), NB_EINVAL, "nb_csv_read");
    EXPECT_FAIL(nb_npy_write(NULL, v, 1, 2), NB_EINVAL, "nb_npy_write");
    EXPECT_FAIL(nb_npy_write("/tmp/x.npy", NULL, 1, 2), NB_EINVAL, "nb_npy_write");
    EXPECT_FAIL(nb_npy_write("/tmp/x.npy", v, 0, 2), NB_EINVAL, "nb_npy_write");
    EXPECT_FAIL(nb_npy_write("/nonexistent-dir/x.npy", v, 1, 2), NB_EIO, "/nonexistent-dir/x.npy");
    EXPECT_FAIL(nb_csv_write("/tmp/x.csv", v, 1, -2, NULL), NB_EINVAL, "nb_csv_write");
    EXPECT_FAIL(nb_csv_write(NULL, v, 1, 2, NULL), NB_EINVAL, "nb_csv_write");

    EXPECT_NULL(nb_st_read(NULL), NB_EINVAL, "nb_st_read");
    EXPECT_NULL(nb_st_read("/nonexistent.safetensors"), NB_EIO, "/nonexistent.safetensors");
    EXPECT_NULL(nb_st_read("/"), NB_EIO, "/");
    CHECK(nb_st_find(NULL, "x") == NULL);
    CHECK(nb_st_meta(NULL, "x") == NULL);
    float buf[4];
    EXPECT_FAIL(nb_st_get(NULL, "w", NB_ST_F32, NB_SHAPE(4), buf), NB_EINVAL, "nb_st_get");
    nb_st_writer *w = nb_st_writer_new();
    CHECK_NOTNULL(w);
    EXPECT_FAIL(nb_st_writer_add(NULL, "w", NB_ST_F32, NB_SHAPE(2), buf), NB_EINVAL, "nb_st_writer_add");
    EXPECT_FAIL(nb_st_writer_add(w, NULL, NB_ST_F32, NB_SHAPE(2), buf), NB_EINVAL, "nb_st_writer_add");
    EXPECT_FAIL(nb_st_writer_add(w, "", NB_ST_F32, NB_SHAPE(2), buf), NB_EINVAL, "nb_st_writer_add");
    EXPECT_FAIL(nb_st_writer_add(w, "w", NB_ST_NDTYPES, NB_SHAPE(2), buf), NB_EINVAL, "nb_st_writer_add");
    EXPECT_FAIL(nb_st_writer_add(w, "w", NB_ST_F32, NB_SHAPE(-2), buf), NB_EINVAL, "nb_st_writer_add");
    EXPECT_FAIL(nb_st_writer_add(w, "w", NB_ST_F32, 9, (int64_t[9]){1, 1, 1, 1, 1, 1, 1, 1, 1}, buf), NB_EINVAL,
                "nb_st_writer_add");
    EXPECT_FAIL(nb_st_writer_add(w, "w", NB_ST_F32, NB_SHAPE(2), NULL), NB_EINVAL, "nb_st_writer_add");
    EXPECT_FAIL(nb_st_writer_add(w, "__metadata__", NB_ST_F32, NB_SHAPE(2), buf), NB_EINVAL, "nb_st_writer_add");
    CHECK_OK(nb_st_writer_add(w, "w", NB_ST_F32, NB_SHAPE(2, 2), buf));
    EXPECT_FAIL(nb_st_writer_add(w, "w", NB_ST_F32, NB_SHAPE(2), buf), NB_EINVAL, "nb_st_writer_add");
    EXPECT_FAIL(nb_st_writer_meta(w, NULL, "v"), NB_EINVAL, "nb_st_writer_meta");
    EXPECT_FAIL(nb_st_writer_meta(NULL, "k", "v"), NB_EINVAL, "nb_st_writer_meta");
    EXPECT_FAIL(nb_st_writer_save(NULL, "/tmp/x.safetensors"), NB_EINVAL, "nb_st_writer_save");
    EXPECT_FAIL(nb_st_writer_save(w, NULL), NB_EINVAL, "nb_st_writer_save");
    EXPECT_FAIL(nb_st_writer_bytes(NULL, NULL, NULL), NB_EINVAL, "nb_st_writer_bytes");
    EXPECT_FAIL(nb_st_writer_save(w, "/nonexistent-dir/m.safetensors"), NB_EIO, "/nonexistent-dir/m.safetensors");
    /* a saved file read back with the wrong dtype or shape names both */
    char path[] = "/tmp/nabla-api-XXXXXX";
    int fd = mkstemp(path);
    CHECK(fd >= 0);
    close(fd);
    CHECK_OK(nb_st_writer_save(w, path));
    nb_safetensors *st = nb_st_read(path);
    CHECK_NOTNULL(st);
    EXPECT_FAIL(nb_st_get(st, "w", NB_ST_F64, NB_SHAPE(2, 2), buf), NB_EFORMAT, "F32");
    EXPECT_FAIL(nb_st_get(st, "w", NB_ST_F32, NB_SHAPE(4), buf), NB_EFORMAT, "(2,2)");
    EXPECT_FAIL(nb_st_get(st, "nope", NB_ST_F32, NB_SHAPE(4), buf), NB_EFORMAT, "nope");
    EXPECT_FAIL(nb_st_get(st, "w", NB_ST_F32, 2, NULL, buf), NB_EINVAL, "nb_st_get");
    EXPECT_FAIL(nb_st_get(st, "w", NB_ST_F32, NB_SHAPE(2, 2), NULL), NB_EINVAL, "nb_st_get");
    nb_st_free(st);
    unlink(path);
    nb_st_writer_free(w);
}

TEST(api_errors_nn) {
    nb_rng rng;
    nb_rng_seed(&rng, 1);
    nb_tensor w = {0};
    EXPECT_FAIL(nb_init_uniform_fan_in(NULL, &w, 4), NB_EINVAL, "nb_init_uniform_fan_in");
    EXPECT_FAIL(nb_init_uniform_fan_in(&rng, NULL, 4), NB_EINVAL, "nb_init_uniform_fan_in");
    nb_model_desc d = nb_mlp_desc(2, (int64_t[]){16, 0});
    EXPECT_FAIL(nb_model_desc_validate(&d), NB_EINVAL, "hidden");
    d = nb_mlp_desc(-1, NULL);
    EXPECT_FAIL(nb_model_desc_validate(&d), NB_EINVAL, "model: -1 hidden layers");
    d = nb_cnn_desc();
    d.classes = 0;
    EXPECT_FAIL(nb_model_desc_validate(&d), NB_EINVAL, "classes");
    EXPECT_FAIL(nb_model_desc_validate(NULL), NB_EINVAL, "model: no description");
    nb_model_kind mk;
    EXPECT_FAIL(nb_model_kind_parse("rnn", &mk), NB_EINVAL, "rnn");
    nb_lr_schedule ls;
    EXPECT_FAIL(nb_lr_schedule_parse("step", &ls), NB_EINVAL, "step");
    nb_model_desc good = nb_mlp_desc(1, (int64_t[]){8});
    EXPECT_NULL(nb_model_new(&d, NB_F32, &rng), NB_EINVAL, "classes");
    EXPECT_NULL(nb_model_new(NULL, NB_F32, &rng), NB_EINVAL, "model: no description");
    EXPECT_NULL(nb_model_new(&good, BAD_DT, &rng), NB_EDTYPE, "unknown dtype 7"); /* says nb_params_new */
    nb_model *m = nb_model_new(&good, NB_F32, &rng);
    CHECK_NOTNULL(m);
    nb_ctx *ctx = nb_ctx_new();
    nb_tensor *x_bad = nb_zeros(ctx, NB_F32, NB_SHAPE(2, 100)), *x64 = nb_zeros(ctx, NB_F64, NB_SHAPE(2, 784));
    EXPECT_NULL(nb_model_forward(ctx, m, x_bad), NB_ESHAPE, "linear_relu: x (2,100)");
    EXPECT_NULL(nb_model_forward(ctx, m, x64), NB_EDTYPE, "linear_relu: dtypes f64 and f32");
    EXPECT_NULL(nb_model_forward(ctx, NULL, x64), NB_EINVAL, "nb_model_forward");
    nb_train_config cfg = nb_train_defaults();
    cfg.batch = 0;
    EXPECT_NULL(nb_trainer_new(&good, &cfg), NB_EINVAL, "batch 0: must be in 1..1048576");
    cfg = nb_train_defaults();
    cfg.optim.lr = -1;
    EXPECT_NULL(nb_trainer_new(&good, &cfg), NB_EINVAL, "lr");
    EXPECT_NULL(nb_trainer_new(NULL, &cfg), NB_EINVAL, "nb_trainer_new");
    nb_epoch_stats es;
    EXPECT_FAIL(nb_train_epoch(NULL, NULL, &es, NULL, NULL), NB_EINVAL, "nb_train_epoch");
    double loss, acc;
    EXPECT_FAIL(nb_evaluate(m, ctx, NULL, NULL, 10, &loss, &acc), NB_EINVAL, "test set"); /* a NULL set: "empty" */
    EXPECT_FAIL(nb_checkpoint_save(NULL, "/tmp/x.safetensors"), NB_EINVAL, "nb_checkpoint_save");
    unsigned char *bytes = (unsigned char *)"x";
    size_t nbytes = 1;
    EXPECT_FAIL(nb_checkpoint_bytes(NULL, &bytes, &nbytes), NB_EINVAL, "nb_checkpoint_bytes");
    CHECK(bytes == NULL && nbytes == 0);
    EXPECT_NULL(nb_checkpoint_load(NULL), NB_EINVAL, "path is NULL"); /* says nb_st_read */
    EXPECT_NULL(nb_checkpoint_load("/nonexistent.safetensors"), NB_EIO, "/nonexistent.safetensors");
    nb_ctx_free(ctx);
    nb_model_free(m);
}

/* nb_gemm returns nothing: a bad call does nothing and leaves the error. */
#define EXPECT_GEMM_ERR(call, code, substr)                                                    \
    do {                                                                                       \
        nb_clear_error();                                                                      \
        nb_status st_ = call;                                                                  \
        expect(__FILE__, __LINE__, #call, st_ == nb_errcode() && st_ != NB_OK, (code), (substr)); \
    } while (0)

TEST(api_errors_gemm) {
    float a[4] = {1, 2, 3, 4}, b[4] = {1, 2, 3, 4}, c[4] = {7, 7, 7, 7};
    EXPECT_GEMM_ERR(nb_gemm(BAD_DT, false, false, 2, 2, 2, 1, a, 2, b, 2, 0, c, 2), NB_EDTYPE, "nb_gemm");
    EXPECT_GEMM_ERR(nb_gemm(NB_F32, false, false, -1, 2, 2, 1, a, 2, b, 2, 0, c, 2), NB_ESHAPE, "nb_gemm");
    EXPECT_GEMM_ERR(nb_gemm(NB_F32, false, false, 2, 2, 2, 1, a, 1, b, 2, 0, c, 2), NB_ESHAPE, "lda=1");
    EXPECT_GEMM_ERR(nb_gemm(NB_F32, false, true, 2, 2, 2, 1, a, 2, b, 1, 0, c, 2), NB_ESHAPE, "ldb=1");
    EXPECT_GEMM_ERR(nb_gemm(NB_F32, false, false, 2, 2, 2, 1, NULL, 2, b, 2, 0, c, 2), NB_EINVAL, "nb_gemm");
    EXPECT_GEMM_ERR(nb_gemm_ex(NULL, NB_F32, false, false, 2, 2, 2, 1, a, 2, b, 2, 0, NULL, 2, NULL), NB_EINVAL, "nb_gemm");
    CHECK(c[0] == 7 && c[3] == 7); /* untouched */
}
