/* The built-in gradcheck cases: every op of the library, with broadcast and
 * size-1 dims, inputs kept away from kinks. nb_gradcheck_ops runs them all;
 * a test fails when an op in nb__all_ops has no case here. */
#include <stdio.h>

#include "core/internal.h"
#include "nabla/autodiff.h"

typedef enum { ANY, POSITIVE, AWAY_FROM_ZERO, DISTINCT } input_kind;

typedef struct gc_case {
    const char *op;
    nb_fn fn;
    int nin;
    int ndim[4];
    int64_t shape[4][NB_MAX_DIMS];
    input_kind kind[4];
    int iarg[4];   /* axes, stride, pad... */
    double farg;   /* pow's exponent, scale's factor */
} gc_case;

#define C(x) ((const gc_case *)(x))
static nb_tensor *f_add(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_add(c, x[0], x[1]); }
static nb_tensor *f_sub(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_sub(c, x[0], x[1]); }
static nb_tensor *f_mul(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_mul(c, x[0], x[1]); }
static nb_tensor *f_div(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_div(c, x[0], x[1]); }
static nb_tensor *f_neg(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_neg(c, x[0]); }
static nb_tensor *f_pow(nb_ctx *c, nb_tensor *const *x, void *u) { return nb_pow(c, x[0], C(u)->farg); }
static nb_tensor *f_exp(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_exp(c, x[0]); }
static nb_tensor *f_log(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_log(c, x[0]); }
static nb_tensor *f_sqrt(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_sqrt(c, x[0]); }
static nb_tensor *f_tanh(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_tanh(c, x[0]); }
static nb_tensor *f_sigmoid(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_sigmoid(c, x[0]); }
static nb_tensor *f_relu(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_relu(c, x[0]); }
static nb_tensor *f_abs(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_abs(c, x[0]); }
static nb_tensor *f_scale(nb_ctx *c, nb_tensor *const *x, void *u) { return nb_scale(c, x[0], C(u)->farg); }
/* iarg[0] = number of axes (0: all), iarg[1..2] = axes, iarg[3] = keepdim */
static nb_tensor *f_sum(nb_ctx *c, nb_tensor *const *x, void *u) {
    const int *a = C(u)->iarg;
    return nb_sum(c, x[0], a[0], a + 1, a[3]);
}
static nb_tensor *f_mean(nb_ctx *c, nb_tensor *const *x, void *u) {
    const int *a = C(u)->iarg;
    return nb_mean(c, x[0], a[0], a + 1, a[3]);
}
static nb_tensor *f_max(nb_ctx *c, nb_tensor *const *x, void *u) { return nb_max(c, x[0], C(u)->iarg[0], C(u)->iarg[1]); }
static nb_tensor *f_matmul(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_matmul(c, x[0], x[1]); }
static nb_tensor *f_linear(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_linear(c, x[0], x[1], x[2]); }
static nb_tensor *f_linear_relu(nb_ctx *c, nb_tensor *const *x, void *u) {
    (void)u;
    return nb_linear_relu(c, x[0], x[1], x[2]);
}
static nb_tensor *f_reshape(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_reshape(c, x[0], NB_SHAPE(4, -1)); }
static nb_tensor *f_permute(nb_ctx *c, nb_tensor *const *x, void *u) { return nb_permute(c, x[0], C(u)->iarg); }
static nb_tensor *f_transpose(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_transpose(c, x[0]); }
static nb_tensor *f_flatten(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_flatten(c, x[0]); }
static nb_tensor *f_softmax(nb_ctx *c, nb_tensor *const *x, void *u) { return nb_softmax(c, x[0], C(u)->iarg[0]); }
static nb_tensor *f_log_softmax(nb_ctx *c, nb_tensor *const *x, void *u) { return nb_log_softmax(c, x[0], C(u)->iarg[0]); }
static nb_tensor *f_xent(nb_ctx *c, nb_tensor *const *x, void *u) {
    (void)u;
    static const int32_t labels[] = {2, 0, 4, 1, 3, 3};
    return nb_softmax_cross_entropy(c, x[0], labels);
}
static nb_tensor *f_mse(nb_ctx *c, nb_tensor *const *x, void *u) { (void)u; return nb_mse(c, x[0], x[1]); }
static nb_tensor *f_conv2d(nb_ctx *c, nb_tensor *const *x, void *u) {
    return nb_conv2d(c, x[0], x[1], C(u)->nin > 2 ? x[2] : NULL, C(u)->iarg[0], C(u)->iarg[1]);
}
static nb_tensor *f_conv2d_relu_pool(nb_ctx *c, nb_tensor *const *x, void *u) {
    return nb_conv2d_relu_pool(c, x[0], x[1], C(u)->nin > 2 ? x[2] : NULL, C(u)->iarg[0], C(u)->iarg[1]);
}
static nb_tensor *f_max_pool2d(nb_ctx *c, nb_tensor *const *x, void *u) { return nb_max_pool2d(c, x[0], C(u)->iarg[0]); }

/* picks with repeats (their gradients add) from a (3,4) input */
static nb_tensor *f_gather(nb_ctx *c, nb_tensor *const *x, void *u) {
    (void)u;
    static const int64_t idx[] = {0, 5, 11, 5, 2, 7};
    return nb__gather(c, x[0], NB_SHAPE(2, 3), idx);
}

#define S(...) {__VA_ARGS__}
static const gc_case cases[] = {
    {"add", f_add, 2, {3, 2}, {S(3, 1, 4), S(2, 4)}, {ANY, ANY}, {0}, 0},
    {"add", f_add, 2, {2, 0}, {S(2, 3), S(0)}, {ANY, ANY}, {0}, 0},
    {"sub", f_sub, 2, {2, 1}, {S(2, 3), S(3)}, {ANY, ANY}, {0}, 0},
    {"mul", f_mul, 2, {3, 2}, {S(2, 1, 3), S(4, 1)}, {ANY, ANY}, {0}, 0},
    {"div", f_div, 2, {2, 2}, {S(2, 3), S(1, 3)}, {ANY, POSITIVE}, {0}, 0},
    {"neg", f_neg, 1, {2}, {S(3, 4)}, {ANY}, {0}, 0},
    {"pow", f_pow, 1, {2}, {S(2, 3)}, {POSITIVE}, {0}, 2.5},
    {"pow", f_pow, 1, {1}, {S(5)}, {POSITIVE}, {0}, -1.5},
    {"exp", f_exp, 1, {2}, {S(2, 3)}, {ANY}, {0}, 0},
    {"log", f_log, 1, {2}, {S(2, 3)}, {POSITIVE}, {0}, 0},
    {"sqrt", f_sqrt, 1, {2}, {S(2, 3)}, {POSITIVE}, {0}, 0},
    {"tanh", f_tanh, 1, {2}, {S(2, 3)}, {ANY}, {0}, 0},
    {"sigmoid", f_sigmoid, 1, {2}, {S(2, 3)}, {ANY}, {0}, 0},
    {"relu", f_relu, 1, {2}, {S(3, 4)}, {AWAY_FROM_ZERO}, {0}, 0},
    {"abs", f_abs, 1, {2}, {S(3, 4)}, {AWAY_FROM_ZERO}, {0}, 0},
    {"scale", f_scale, 1, {2}, {S(2, 3)}, {ANY}, {0}, -0.75},
    {"sum", f_sum, 1, {3}, {S(2, 3, 4)}, {ANY}, {0, 0, 0, 0}, 0},
    {"sum", f_sum, 1, {3}, {S(2, 3, 4)}, {ANY}, {2, 0, 2, 1}, 0},
    {"sum", f_sum, 1, {3}, {S(2, 1, 4)}, {ANY}, {1, -1, 0, 0}, 0},
    {"mean", f_mean, 1, {3}, {S(2, 3, 4)}, {ANY}, {1, 1, 0, 1}, 0},
    {"mean", f_mean, 1, {2}, {S(3, 5)}, {ANY}, {0, 0, 0, 0}, 0},
    {"max", f_max, 1, {3}, {S(2, 5, 3)}, {DISTINCT}, {1, 0}, 0},
    {"max", f_max, 1, {2}, {S(4, 3)}, {DISTINCT}, {-1, 1}, 0},
    {"matmul", f_matmul, 2, {2, 2}, {S(3, 4), S(4, 2)}, {ANY, ANY}, {0}, 0},
    {"matmul", f_matmul, 2, {3, 2}, {S(2, 3, 4), S(4, 5)}, {ANY, ANY}, {0}, 0},
    {"matmul", f_matmul, 2, {4, 3}, {S(2, 1, 3, 4), S(3, 4, 2)}, {ANY, ANY}, {0}, 0},
    {"matmul", f_matmul, 2, {1, 2}, {S(4), S(4, 3)}, {ANY, ANY}, {0}, 0},
    {"matmul", f_matmul, 2, {2, 1}, {S(3, 4), S(4)}, {ANY, ANY}, {0}, 0},
    {"linear", f_linear, 3, {2, 2, 1}, {S(5, 4), S(4, 3), S(3)}, {ANY, ANY, ANY}, {0}, 0},
    {"linear_relu", f_linear_relu, 3, {2, 2, 1}, {S(5, 4), S(4, 3), S(3)}, {ANY, ANY, ANY}, {0}, 0},
    {"reshape", f_reshape, 1, {3}, {S(2, 3, 4)}, {ANY}, {0}, 0},
    {"reshape", f_flatten, 1, {4}, {S(2, 3, 1, 2)}, {ANY}, {0}, 0},
    {"permute", f_permute, 1, {3}, {S(2, 3, 4)}, {ANY}, {2, 0, 1}, 0},
    {"permute", f_transpose, 1, {3}, {S(2, 3, 4)}, {ANY}, {0}, 0},
    {"softmax", f_softmax, 1, {2}, {S(3, 5)}, {ANY}, {-1}, 0},
    {"softmax", f_softmax, 1, {3}, {S(2, 4, 3)}, {ANY}, {1}, 0},
    {"log_softmax", f_log_softmax, 1, {3}, {S(2, 4, 3)}, {ANY}, {1}, 0},
    {"log_softmax", f_log_softmax, 1, {2}, {S(3, 5)}, {ANY}, {-1}, 0},
    {"softmax_cross_entropy", f_xent, 1, {2}, {S(6, 5)}, {ANY}, {0}, 0},
    {"mse", f_mse, 2, {2, 2}, {S(3, 4), S(3, 4)}, {ANY, ANY}, {0}, 0},
    {"conv2d", f_conv2d, 3, {4, 4, 1}, {S(2, 3, 5, 5), S(4, 3, 3, 3), S(4)}, {ANY, ANY, ANY}, {1, 1}, 0},
    {"conv2d", f_conv2d, 2, {4, 4}, {S(2, 2, 6, 5), S(3, 2, 2, 3)}, {ANY, ANY}, {2, 0}, 0},
    {"conv2d", f_conv2d, 3, {4, 4, 1}, {S(2, 3, 7, 6), S(2, 3, 3, 3), S(2)}, {ANY, ANY, ANY}, {2, 1}, 0},
    {"conv2d", f_conv2d, 2, {4, 4}, {S(3, 4, 3, 2), S(2, 4, 1, 1)}, {ANY, ANY}, {1, 0}, 0},
    {"conv2d", f_conv2d, 3, {4, 4, 1}, {S(1, 2, 4, 3), S(3, 2, 1, 1), S(3)}, {ANY, ANY, ANY}, {1, 0}, 0},
    {"conv2d", f_conv2d, 3, {4, 4, 1}, {S(2, 1, 4, 4), S(2, 1, 3, 3), S(2)}, {ANY, ANY, ANY}, {1, 2}, 0},
    /* more filters than columns K+1 (the CNN's first layer): the transposed dW product */
    {"conv2d", f_conv2d, 3, {4, 4, 1}, {S(2, 1, 5, 5), S(12, 1, 3, 3), S(12)}, {ANY, ANY, ANY}, {1, 1}, 0},
    {"conv2d", f_conv2d, 2, {4, 4}, {S(2, 2, 5, 4), S(9, 2, 2, 2)}, {ANY, ANY}, {2, 1}, 0},
    /* KW*C >= 16: dW through the channels-last columns */
    {"conv2d", f_conv2d, 3, {4, 4, 1}, {S(2, 6, 5, 4), S(3, 6, 3, 3), S(3)}, {ANY, ANY, ANY}, {2, 1}, 0},
    {"conv2d", f_conv2d, 2, {4, 4}, {S(1, 8, 4, 5), S(2, 8, 2, 3)}, {ANY, ANY}, {1, 1}, 0},
    {"conv2d_relu_pool", f_conv2d_relu_pool, 3, {4, 4, 1}, {S(2, 1, 6, 6), S(12, 1, 3, 3), S(12)}, {ANY, ANY, ANY},
     {1, 1}, 0},
    {"conv2d_relu_pool", f_conv2d_relu_pool, 3, {4, 4, 1}, {S(2, 6, 5, 7), S(3, 6, 3, 3), S(3)}, {ANY, ANY, ANY},
     {1, 1}, 0},
    {"conv2d_relu_pool", f_conv2d_relu_pool, 2, {4, 4}, {S(1, 2, 7, 6), S(3, 2, 2, 2)}, {ANY, ANY}, {2, 0}, 0},
    {"max_pool2d", f_max_pool2d, 1, {4}, {S(2, 3, 4, 6)}, {DISTINCT}, {2}, 0},
    {"max_pool2d", f_max_pool2d, 1, {4}, {S(2, 2, 7, 5)}, {DISTINCT}, {2}, 0},
    {"max_pool2d", f_max_pool2d, 1, {4}, {S(1, 2, 6, 9)}, {DISTINCT}, {3}, 0},
    {"gather", f_gather, 1, {2}, {S(3, 4)}, {ANY}, {0}, 0},
};
#define NCASES (int)(sizeof cases / sizeof cases[0])

/* Inputs of the case's kinds from a fixed seed. Distinct values are a
 * shuffled ramp, so no two are within eps of each other (no max ties). */
static nb_tensor *make_input(const gc_case *c, int i, nb_rng *rng) {
    nb_tensor *t = nb_tensor_new(NB_F64, c->ndim[i], c->shape[i]);
    if (!t) return NULL;
    for (int64_t j = 0; j < t->numel; j++) {
        double u = nb_rng_uniform(rng), v;
        switch (c->kind[i]) {
        case POSITIVE: v = 0.5 + 1.5 * u; break;
        case AWAY_FROM_ZERO: v = (0.2 + 0.8 * u) * (nb_rng_u64(rng) & 1 ? 1 : -1); break;
        case DISTINCT: v = -1.0 + 2.0 * (double)j / (double)t->numel; break;
        default: v = 2 * u - 1;
        }
        nb_tensor_set(t, j, v);
    }
    if (c->kind[i] == DISTINCT)
        for (int64_t j = t->numel - 1; j > 0; j--) {
            int64_t k = (int64_t)nb_rng_below(rng, (uint64_t)j + 1);
            double a = nb_tensor_get(t, j);
            nb_tensor_set(t, j, nb_tensor_get(t, k));
            nb_tensor_set(t, k, a);
        }
    return t;
}

bool nb__gradcheck_covers(const char *op) {
    for (int i = 0; i < NCASES; i++)
        if (strcmp(cases[i].op, op) == 0) return true;
    return false;
}

/* One case's inputs (heap) and their shapes as text. */
static void case_inputs(const gc_case *c, int i, nb_tensor **in, char *shapes, size_t n) {
    nb_rng rng;
    nb_rng_seed(&rng, 1000 + (uint64_t)i);
    size_t at = 0;
    shapes[0] = 0;
    for (int k = 0; k < c->nin; k++) {
        in[k] = make_input(c, k, &rng);
        char s[48];
        if (in[k] && at < n) at += (size_t)snprintf(shapes + at, n - at, "%s%s", k ? " " : "", nb_shape_str(in[k], s, sizeof s));
    }
}

int nb_gradcheck_ops(FILE *out) {
    int failures = 0;
    if (out) fprintf(out, "%-22s %-28s %12s %12s  %s\n", "op", "input shapes", "max abs err", "max rel err", "result");
    for (int i = 0; i < NCASES; i++) {
        const gc_case *c = &cases[i];
        nb_tensor *in[4] = {0};
        char shapes[96];
        case_inputs(c, i, in, shapes, sizeof shapes);
        nb_gradcheck_result r = {0};
        nb_gradcheck_opts opts = {0, 0, 0, (uint64_t)i};
        nb_status st = nb_gradcheck(c->fn, (void *)c, c->nin, in, &opts, &r);
        bool pass = st == NB_OK && r.passed;
        failures += !pass;
        if (out) {
            if (st != NB_OK) fprintf(out, "%-22s %-28s %12s %12s  FAIL: %s\n", c->op, shapes, "-", "-", nb_errmsg());
            else fprintf(out, "%-22s %-28s %12.2e %12.2e  %s\n", c->op, shapes, r.max_abs_err, r.max_rel_err, pass ? "pass" : "FAIL");
        }
        for (int k = 0; k < c->nin; k++) nb_tensor_free(in[k]);
    }
    if (out) fprintf(out, "%d cases, %d failed\n", NCASES, failures);
    return failures;
}

int nb_gradgradcheck_ops(FILE *out) {
    int failures = 0;
    if (out)
        fprintf(out, "%-22s %-28s %12s %12s  %s\n", "op (second order)", "input shapes", "jvp abs err", "hvp abs err",
                "result");
    for (int i = 0; i < NCASES; i++) {
        const gc_case *c = &cases[i];
        nb_tensor *in[4] = {0};
        char shapes[96];
        case_inputs(c, i, in, shapes, sizeof shapes);
        nb_gradcheck_result rj = {0}, rh = {0};
        nb_gradcheck_opts opts = {0, 0, 0, (uint64_t)i};
        nb_status st = nb_gradgradcheck(c->fn, (void *)c, c->nin, in, &opts, &rj, &rh);
        bool pass = st == NB_OK && rj.passed && rh.passed;
        failures += !pass;
        if (out) {
            if (st != NB_OK) fprintf(out, "%-22s %-28s %12s %12s  FAIL: %s\n", c->op, shapes, "-", "-", nb_errmsg());
            else fprintf(out, "%-22s %-28s %12.2e %12.2e  %s\n", c->op, shapes, rj.max_abs_err, rh.max_abs_err, pass ? "pass" : "FAIL");
        }
        for (int k = 0; k < c->nin; k++) nb_tensor_free(in[k]);
    }
    if (out) fprintf(out, "%d cases, %d failed\n", NCASES, failures);
    return failures;
}
